"""Are the instructor pages fast on a big course? p50/p99 of the gradebook, overview, exports and chart.

``.venv/bin/python bench/dashboard.py [--students 1000] [--per-student 3] [--runs 30] [--json FILE] [--keep]``

Seeds a fresh data dir (``--data-dir``, default a temp dir) with bulk inserts
(SQLAlchemy Core, a few transactions): one instructor (``add_member``, for a real
token) and ``--students`` students, and for each of the four real assignments
``--per-student`` submissions per student, each with a graded result (version 1)
whose payload is a realistic result contract: every exercise of the manifest
with 3-6 tests, passed at random, a few distinct failure messages per test,
some cell errors, some late submissions, a few timeouts. Then starts the real
``grader serve`` (one worker, pool of one: nothing is queued, so it grades
nothing), signs in as the instructor through the login form, and times
``--runs`` requests to each of these pages, in rounds (one request to each page
per round, so a burst of other work on a shared machine hits all of them alike;
``--warmup`` untimed rounds first):

* ``/dashboard/assignments/<id>`` (the gradebook page), also sorted by score, descending;
* ``/dashboard`` (the overview of every assignment);
* ``/api/v1/assignments/<id>/gradebook.csv`` and ``/gradebook`` (JSON), with the bearer token;
* ``/dashboard/charts/<id>/histogram.svg``;
* ``/dashboard/queue`` (the empty live queue: the fixed cost of a signed-in page, as a baseline).

Every answer must be 200, and the gradebook page and CSV (and the JSON) must have
one row per student, else it fails loudly. Prints p50, p99 (nearest rank), max and
size, the 1-minute load average around the measurement, and the gradebook page's
p50 against the 300 ms target. When that p50 is over the target (or with
``--profile``) it also profiles the gradebook page in process, on the seeded
database, without HTTP: the time of each step the route takes
(``build_gradebook``, ``summarize_tests``, ``regrade_changes``, rendering
``assignment.html``), how much of each went to the garbage collector, the page
with the collector off, and cProfile's top functions, per page.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import hashlib
import io
import json
import math
import os
import pstats
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import Engine, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.assignments import Assignment, list_assignments, load_assignment  # noqa: E402
from grader.config import REPO_ROOT, Settings  # noqa: E402
from grader.models import GradeResult, SubmissionStatus  # noqa: E402
from grader.service.db import make_engine, migrate, session_scope  # noqa: E402
from grader.service.records import Base, Role, User  # noqa: E402
from grader.service.roster import add_member  # noqa: E402
from grader.service.submissions import MESSAGE_CHARS  # noqa: E402
from tests.utils.service import free_port, start_server  # noqa: E402

TARGET_MS = 300.0
INSTRUCTOR_EMAIL = "instructor@bench.invalid"

FIRST = ["Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "John", "Katherine", "Ken", "Leslie",
         "Margaret", "Niklaus", "Radia", "Shafi", "Tim", "Yoshua", "Fei-Fei", "Geoffrey", "Hedy", "Jürgen", "Sophie",
         "Chen", "Amara", "Ravi", "Ingrid", "Mateo", "Zainab", "Olu", "Anouk"]
LAST = ["Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "McCarthy", "Johnson", "Thompson",
        "Lamport", "Hamilton", "Wirth", "Perlman", "Goldwasser", "Berners-Lee", "Bengio", "Li", "Hinton", "Lamarr",
        "Schmidhuber", "Wilson", "Wei", "Okafor", "Iyer", "Daubechies", "García", "Haddad", "Adeyemi", "de Vries"]
TEST_NAMES = ["test_shape", "test_output_shape", "matches_reference_on_random_batches", "test_dtype",
              "test_handles_a_batch_of_one", "test_gradients_flow", "test_does_not_modify_its_inputs",
              "test_deterministic_with_a_seed", "test_parameters_have_the_right_shapes", "test_loss_decreases",
              "test_returns_a_scalar", "matches_reference_on_edge_cases", "test_uses_the_given_optimizer",
              "test_values_in_range", "test_flattens_image_shaped_inputs"]
CELL_ERRORS = ["NameError", "ValueError", "RuntimeError", "AssertionError", "TypeError", "IndexError"]


def _failure_messages(exercise: str) -> list[str]:
    return [
        f"AssertionError: {exercise}(...) returned shape (32, 1), expected (32, 10)",
        f"{exercise} is not defined: did the cell that defines it run without errors?",
        "AssertionError: values differ from the reference: max abs difference 0.153 (tolerance 1e-05)",
        "NotImplementedError: Student exercise: complete the function",
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (32x784 and 10x128)",
        "TypeError: 'NoneType' object is not subscriptable",
        "CallTimeout: the call did not return within 30 s",
        "AssertionError: expected a torch.float32 tensor, got torch.float64",
    ]


@dataclass(frozen=True)
class TestSpec:
    """One test of a suite: its share of the exercise's points and the ways it fails."""

    __test__ = False  # not a pytest class

    name: str
    hidden: bool
    max_points: float
    messages: tuple[str, ...]
    weights: tuple[float, ...]


@dataclass(frozen=True)
class ExerciseSuite:
    id: str
    points: float
    tests: tuple[TestSpec, ...]


@dataclass(frozen=True)
class Page:
    """One measured URL: how it authenticates and what rows it must have."""

    label: str
    path: str
    auth: str  # "cookie" (the signed-in browser) or "bearer" (the API token)
    rows: str | None  # "html" (data-student= attributes), "csv" (lines - 1), "json" (list length) or None


@dataclass(frozen=True)
class Timing:
    label: str
    path: str
    p50_ms: float
    p99_ms: float
    max_ms: float
    bytes: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--per-student", type=int, default=3, help="submissions per student and assignment")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds over the pages first")
    parser.add_argument("--assignment", default="mlp-basics", help="the assignment whose pages are measured")
    parser.add_argument("--data-dir", type=Path, default=None, help="seed here (must not hold a database yet)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the generated course")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers to this file")
    parser.add_argument("--profile", action="store_true", help="profile the gradebook page even if it is fast")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (data, server log)")
    args = parser.parse_args()
    if args.students < 1 or args.per_student < 1 or args.runs < 1:
        parser.error("--students, --per-student and --runs must be at least 1")

    if args.data_dir is not None and (args.data_dir / "grader.db").exists():
        parser.error(f"{args.data_dir} already holds a database; give a fresh --data-dir")
    folder = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))  # cache and server log (and data, by default)
    data_dir: Path = args.data_dir or folder / "data"
    try:
        settings = Settings(data_dir=data_dir)
        engine = make_engine(settings)
        started = time.perf_counter()
        token, submissions = seed(engine, settings, students=args.students, per_student=args.per_student,
                                  rng=random.Random(args.seed))
        seed_s = time.perf_counter() - started
        print(f"seeded {args.students} students + 1 instructor, {submissions} submissions with results "
              f"({len(list_assignments(settings))} assignments x {args.per_student} per student) "
              f"in {seed_s:.1f} s; os.cpu_count() = {os.cpu_count()}")
        print(f"data dir: {data_dir}")

        env = {**os.environ, "GRADER_DATA_DIR": str(data_dir), "GRADER_POOL_SIZE": "1",
               "GRADER_CACHE_DIR": str(folder / "cache")}
        log = folder / "server.log"
        port = free_port()
        server = start_server(env, port=port, workers=1, log=log)
        load_before = os.getloadavg()[0]
        try:
            timings = measure(f"http://127.0.0.1:{port}", token, pages(args.assignment),
                              students=args.students, runs=args.runs, warmup=args.warmup)
        except BaseException:
            print(f"server log tail:\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)
            raise
        finally:
            stop(server)

        load_after = os.getloadavg()[0]
        print(f"\n{args.runs} requests per page after {args.warmup} warm-up; {args.students} students, "
              f"{args.per_student} submissions each per assignment; 1-min load average {load_before:.2f} "
              f"before measuring, {load_after:.2f} after ({os.cpu_count()} CPUs)")
        print(f"{'page':<34}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'bytes':>11}")
        for timing in timings:
            print(f"{timing.label:<34}{timing.p50_ms:>9.1f}{timing.p99_ms:>9.1f}{timing.max_ms:>9.1f}"
                  f"{timing.bytes:>11}")
        gradebook_p50 = timings[0].p50_ms
        verdict = "within" if gradebook_p50 <= TARGET_MS else "OVER"
        print(f"gradebook page p50 {gradebook_p50:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target "
              f"({gradebook_p50 / TARGET_MS:.2f}x)")

        profile: dict[str, Any] | None = None
        if args.profile or gradebook_p50 > TARGET_MS:
            profile = profile_gradebook(engine, settings, args.assignment)
        engine.dispose()
        if args.json:
            args.json.write_text(json.dumps({
                "students": args.students, "per_student": args.per_student, "submissions": submissions,
                "runs": args.runs, "warmup": args.warmup, "assignment": args.assignment,
                "cpu_count": os.cpu_count(), "load_average": [load_before, load_after],
                "seed_s": round(seed_s, 3), "target_ms": TARGET_MS,
                "gradebook_p50_ms": round(gradebook_p50, 2),
                "pages": [{"page": t.label, "path": t.path, "p50_ms": round(t.p50_ms, 2),
                           "p99_ms": round(t.p99_ms, 2), "max_ms": round(t.max_ms, 2), "bytes": t.bytes}
                          for t in timings],
                "profile": profile,
            }, indent=2) + "\n")
            print(f"wrote {args.json}")
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


# --- seeding -------------------------------------------------------------------------------------------------

def seed(engine: Engine, settings: Settings, *, students: int, per_student: int,
         rng: random.Random) -> tuple[str, int]:
    """A course in the database: returns the instructor's token and how many submissions were made."""
    migrate(engine)
    with session_scope(engine) as session:
        token = add_member(session, name="Bench Instructor", email=INSTRUCTOR_EMAIL, role=Role.instructor).token
    users, submissions_table, results_table, tests_table = (
        Base.metadata.tables[name] for name in ("users", "submissions", "results", "result_tests"))
    result_id = 0
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        connection.execute(insert(users), [
            {"name": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "email": f"student{i:05d}@bench.invalid",
             "role": Role.student, "token_sha256": hashlib.sha256(rng.randbytes(32)).hexdigest(),
             "created_at": now - dt.timedelta(days=60)}
            for i in range(students)])
        student_ids = list(connection.scalars(select(users.c.id).where(users.c.role == Role.student)))
    skill = {user_id: rng.betavariate(4, 1.6) for user_id in student_ids}
    notebooks = settings.data_dir / "notebooks"  # never created: the measured pages do not read notebooks
    total = 0
    for assignment_id in list_assignments(settings):
        assignment = load_assignment(assignment_id, settings)
        suites = make_suites(assignment, rng)
        difficulty = rng.uniform(-0.1, 0.05)
        submission_rows: list[dict[str, Any]] = []
        result_rows: list[dict[str, Any]] = []
        test_rows: list[dict[str, Any]] = []
        for user_id in student_ids:
            start = now - dt.timedelta(days=21) + dt.timedelta(seconds=rng.uniform(0, 14 * 86400))
            queued = start
            for attempt in range(per_student):
                queued += dt.timedelta(seconds=rng.uniform(60, 3 * 86400))
                submission_id = str(uuid.UUID(bytes=rng.randbytes(16), version=4))
                timeout = rng.random() < 0.03
                payload = make_payload(assignment, suites, rng, timeout=timeout,
                                       p=min(0.98, max(0.05, skill[user_id] + difficulty + 0.06 * attempt)))
                status = SubmissionStatus.timeout if timeout else SubmissionStatus.graded
                started_at = queued + dt.timedelta(seconds=rng.uniform(0.2, 5))
                finished_at = started_at + dt.timedelta(seconds=float(payload["execution"]["duration_s"]) + 2)
                last = attempt == per_student - 1
                submission_rows.append({
                    "id": submission_id, "assignment_id": assignment.id, "user_id": user_id,
                    "notebook_sha256": hashlib.sha256(submission_id.encode()).hexdigest(),
                    "notebook_path": str(notebooks / f"{submission_id}.ipynb"), "status": status,
                    "late": rng.random() < (0.12 if last else 0.03), "attempts": 1, "error": None,
                    "queued_at": queued, "started_at": started_at, "finished_at": finished_at,
                    "result_version": 1})
                result_id += 1
                test_rows += [{"result_id": result_id, "exercise": e["id"], "name": t["name"], "hidden": t["hidden"],
                               "passed": t["passed"], "message": t["message"][:MESSAGE_CHARS]}
                              for e in payload["exercises"] for t in e["tests"]]
                result_rows.append({
                    "id": result_id, "submission_id": submission_id, "version": 1, "status": status.value,
                    "score": payload["score"], "max_score": payload["max_score"], "payload": payload,
                    "exercise_scores": {e["id"]: e["score"] for e in payload["exercises"]},
                    "executed_path": None, "created_at": finished_at})
        # the shape is the contract's: one ordinary and (if any) one timed-out payload of each assignment
        for row in [result_rows[0], *[r for r in result_rows if r["status"] == "timeout"][:1]]:
            GradeResult.model_validate(row["payload"])
        with engine.begin() as connection:
            connection.execute(insert(submissions_table), submission_rows)
            connection.execute(insert(results_table), result_rows)
            connection.execute(insert(tests_table), test_rows)
        total += len(submission_rows)
    return token, total


def make_suites(assignment: Assignment, rng: random.Random) -> list[ExerciseSuite]:
    """The same tests for every submission of an assignment: 3-6 per exercise, points shared equally."""
    suites = []
    for spec in assignment.manifest.exercises:
        count = rng.randint(3, 6)
        share = round(spec.points / count, 4)
        shares = [share] * (count - 1) + [round(spec.points - share * (count - 1), 4)]
        messages = _failure_messages(spec.id)
        tests = []
        for index, (name, points) in enumerate(zip(rng.sample(TEST_NAMES, count), shares)):
            ways = rng.sample(messages, rng.randint(2, 4))
            tests.append(TestSpec(name=name, hidden=index >= 2, max_points=points, messages=tuple(ways),
                                  weights=(0.55, 0.25, 0.15, 0.05)[:len(ways)]))
        suites.append(ExerciseSuite(spec.id, spec.points, tuple(tests)))
    return suites


def make_payload(assignment: Assignment, suites: list[ExerciseSuite], rng: random.Random, *, p: float,
                 timeout: bool) -> dict[str, Any]:
    """A result contract (``GradeResult`` as JSON): each test passes with probability ``p``; a timed-out
    notebook never defined the exercises from a random one on; now and then an exercise is missing."""
    cut = rng.randrange(1, len(suites)) if timeout else len(suites)
    exercises: list[dict[str, Any]] = []
    for index, suite in enumerate(suites):
        undefined = index >= cut or rng.random() < 0.05
        tests: list[dict[str, Any]] = []
        for test in suite.tests:
            passed = not undefined and rng.random() < p
            if passed:
                message = ""
            elif undefined:
                message = f"{suite.id} is not defined: did the cell that defines it run without errors?"
            else:
                message = rng.choices(test.messages, weights=test.weights)[0]
            tests.append({"name": test.name, "points": test.max_points if passed else 0.0,
                          "max_points": test.max_points, "passed": passed, "hidden": test.hidden,
                          "message": message})
        score = round(sum(float(t["points"]) for t in tests), 4)
        exercises.append({"id": suite.id, "score": score, "max_score": suite.points, "tests": tests})
    cell_errors: list[dict[str, Any]] = []
    if timeout:
        duration = assignment.manifest.limits.total_timeout_s or 300.0
        cell_errors.append({"cell": rng.randint(10, 40), "ename": "CellTimeoutError"})
    else:
        duration = rng.uniform(4, 45)
        if rng.random() < 0.15:
            cell_errors.append({"cell": rng.randint(2, 40), "ename": rng.choice(CELL_ERRORS)})
    return {"assignment": assignment.id, "status": "timeout" if timeout else "graded",
            "score": round(sum(float(e["score"]) for e in exercises), 4),
            "max_score": round(sum(e.points for e in assignment.manifest.exercises), 4),
            "exercises": exercises, "execution": {"duration_s": round(duration, 3), "cell_errors": cell_errors}}


# --- measuring -----------------------------------------------------------------------------------------------

def pages(assignment_id: str) -> list[Page]:
    """The measured pages; the first is the gradebook page the target is about."""
    return [
        Page("gradebook page", f"/dashboard/assignments/{assignment_id}", "cookie", "html"),
        Page("gradebook page, score desc", f"/dashboard/assignments/{assignment_id}?sort=score&order=desc",
             "cookie", "html"),
        Page("overview /dashboard", "/dashboard", "cookie", None),
        Page("gradebook.csv (bearer)", f"/api/v1/assignments/{assignment_id}/gradebook.csv", "bearer", "csv"),
        Page("gradebook JSON (bearer)", f"/api/v1/assignments/{assignment_id}/gradebook", "bearer", "json"),
        Page("histogram.svg", f"/dashboard/charts/{assignment_id}/histogram.svg", "cookie", None),
        Page("queue fragment (baseline)", "/dashboard/queue", "cookie", None),
    ]


def sign_in(url: str, token: str) -> requests.Session:
    """The browser's way in: GET /login for the form's CSRF field and cookie, POST the token with it."""
    browser = requests.Session()
    form = browser.get(f"{url}/login", timeout=30)
    found = re.search(r'name="csrf" value="([^"]+)"', form.text)
    if form.status_code != 200 or found is None or "grader_login_csrf" not in browser.cookies:
        raise SystemExit(f"FAILED: GET /login gave {form.status_code} without a CSRF field and cookie")
    answer = browser.post(f"{url}/login", data={"token": token, "csrf": found.group(1)}, allow_redirects=False,
                          timeout=30)
    if answer.status_code != 303 or "grader_session" not in browser.cookies:
        raise SystemExit(f"FAILED: POST /login gave {answer.status_code}, cookies {sorted(browser.cookies.keys())}")
    return browser


def measure(url: str, token: str, measured: list[Page], *, students: int, runs: int, warmup: int) -> list[Timing]:
    """Round robin over the pages (a burst of other work on the machine then hits all of them alike),
    ``warmup`` untimed rounds first; each request is timed from sending to the whole body read."""
    browser = sign_in(url, token)
    api = requests.Session()  # no cookie: the exports and the JSON gradebook see only the bearer token
    api.headers["Authorization"] = f"Bearer {token}"
    seconds: dict[str, list[float]] = {page.path: [] for page in measured}
    sizes: dict[str, int] = {}
    for run in range(warmup + runs):
        for page in measured:
            client = browser if page.auth == "cookie" else api
            started = time.perf_counter()
            answer = client.get(url + page.path, allow_redirects=False, timeout=120)
            body = answer.content
            elapsed = time.perf_counter() - started
            check(page, answer, students)
            if run >= warmup:
                seconds[page.path].append(elapsed)
                sizes[page.path] = len(body)
    timings = []
    for page in measured:
        times = sorted(seconds[page.path])
        timings.append(Timing(page.label, page.path, statistics.median(times) * 1000,
                              times[max(0, math.ceil(0.99 * len(times)) - 1)] * 1000, times[-1] * 1000,
                              sizes[page.path]))
    return timings


def check(page: Page, answer: requests.Response, students: int) -> None:
    """200, and one row per student where the page has rows; anything else ends the bench."""
    if answer.status_code != 200:
        raise SystemExit(f"FAILED: {page.path} answered {answer.status_code}: {answer.text[:500]}")
    counters: dict[str, Callable[[], int]] = {
        "html": lambda: answer.text.count("data-student="),
        "csv": lambda: len(answer.text.splitlines()) - 1,
        "json": lambda: len(answer.json()),
    }
    if page.rows is not None and (found := counters[page.rows]()) != students:
        raise SystemExit(f"FAILED: {page.path} has {found} student rows, expected {students}")


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGINT (uvicorn's graceful shutdown), then wait; kill only if it hangs."""
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


# --- profiling -----------------------------------------------------------------------------------------------

class GcClock:
    """Time spent in Python's cyclic garbage collector while installed in ``gc.callbacks``."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full = 0  # generation-2 collections (they walk every tracked object of the process)
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.full += info.get("generation") == 2


def profile_gradebook(engine: Engine, settings: Settings, assignment_id: str, *, runs: int = 7,
                      top: int = 25) -> dict[str, Any]:
    """The gradebook page's work in this process, step by step (the route's own calls, without HTTP):
    the wall time of each step over ``runs`` pages (median, min, mean) and the garbage collector's share
    of it (a mean: a full collection happens in some pages only, in whichever step crosses the
    threshold), the same pages with the collector off, then cProfile's top functions over another ``runs`` pages with the collector off, per
    page (the machine may be shared: one page alone says little)."""
    from api.routes.dashboard import _sort_key
    from api.templating import templates
    from grader.service.gradebook import build_gradebook, regrade_changes, summarize_tests

    assignment = load_assignment(assignment_id, settings)
    template = templates.get_template("assignment.html")
    clock = GcClock()

    def page() -> dict[str, tuple[float, float]]:
        """(wall seconds, of which garbage collection) per step of one page."""
        steps: dict[str, tuple[float, float]] = {}
        marks = [time.perf_counter(), clock.seconds]

        def done(step: str) -> None:
            now, collected = time.perf_counter(), clock.seconds
            steps[step] = (now - marks[0], collected - marks[1])
            marks[:] = [now, collected]

        with session_scope(engine) as session:
            instructor = session.scalar(select(User).where(User.email == INSTRUCTOR_EMAIL))
            done("(instructor lookup)")
            book = build_gradebook(session, assignment)
            done("build_gradebook")
            rows = sorted(book.rows, key=_sort_key("name"))
            done("filter + sort rows")
            summary = book.summary()
            tests = summarize_tests(session, book)
            done("summary + summarize_tests")
            changes = regrade_changes(session, book)
            done("regrade_changes")
            template.render(request=None, signed_in=None, user=instructor, csrf="x" * 43, assignment=assignment,
                            book=book, rows=rows, q="", sort="name", order="asc", summary=summary, tests=tests,
                            changes=changes)
            done("render assignment.html")
        del steps["(instructor lookup)"]
        steps["total"] = (sum(wall for wall, _ in steps.values()), sum(gc_s for _, gc_s in steps.values()))
        return steps

    page()  # warm: compiled template, imported modules, SQLite page cache
    gc.collect()  # no garbage left from seeding and measuring
    tracked = len(gc.get_objects())
    gc.callbacks.append(clock)
    full_before = clock.full
    samples: dict[str, list[tuple[float, float]]] = {}
    try:
        for _ in range(runs):
            for step, measured in page().items():
                samples.setdefault(step, []).append(measured)
    finally:
        gc.callbacks.remove(clock)
    full = (clock.full - full_before) / runs
    profiler = cProfile.Profile()
    gc.disable()  # collections are measured above; here they would land on whichever function runs then
    try:
        without_gc = [page()["total"][0] for _ in range(runs)]
        profiler.enable()
        for _ in range(runs):
            page()
        profiler.disable()
    finally:
        gc.enable()

    print(f"\nin-process profile of the gradebook page ({assignment_id}), {runs} pages; "
          f"{tracked} objects tracked by the collector in this process before them")
    print(f"  {'step':<34}{'median ms':>11}{'min ms':>9}{'mean ms':>9}{'of it gc, mean ms':>19}")
    for step, values in samples.items():
        walls, collections = [wall for wall, _ in values], [gc_s for _, gc_s in values]
        print(f"  {step:<34}{statistics.median(walls) * 1000:>11.1f}{min(walls) * 1000:>9.1f}"
              f"{statistics.fmean(walls) * 1000:>9.1f}{statistics.fmean(collections) * 1000:>19.1f}")
    print(f"  {'total with the collector off':<34}{statistics.median(without_gc) * 1000:>11.1f}"
          f"{min(without_gc) * 1000:>9.1f}{statistics.fmean(without_gc) * 1000:>9.1f}")
    print(f"  (generation-2 collections: {full:.1f} per page)")
    stats = pstats.Stats(profiler, stream=io.StringIO())
    entries = []
    for (filename, line, function), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        entries.append({"function": f"{_short(filename)}:{line}({function})", "calls": calls // runs,
                        "tottime_ms": round(tottime * 1000 / runs, 1), "cumtime_ms": round(cumtime * 1000 / runs, 1)})
    by_cumulative = sorted(entries, key=lambda e: -float(e["cumtime_ms"]))[:top]
    by_own = sorted(entries, key=lambda e: -float(e["tottime_ms"]))[:top]
    print(f"\ncProfile (its overhead included; the collector off), per page over {runs} pages, "
          f"top {top} by cumulative time:")
    _print_entries(by_cumulative)
    print(f"\ncProfile, per page, top {top} by own time:")
    _print_entries(by_own)
    return {"steps_ms": {step: {"median": round(statistics.median(wall for wall, _ in values) * 1000, 1),
                                "min": round(min(wall for wall, _ in values) * 1000, 1),
                                "mean": round(statistics.fmean(wall for wall, _ in values) * 1000, 1),
                                "gc_mean": round(statistics.fmean(gc_s for _, gc_s in values) * 1000, 1)}
                         for step, values in samples.items()},
            "total_gc_off_ms": {"median": round(statistics.median(without_gc) * 1000, 1),
                                "min": round(min(without_gc) * 1000, 1),
                                "mean": round(statistics.fmean(without_gc) * 1000, 1)},
            "full_collections_per_page": full, "tracked_objects": tracked, "top_cumulative": by_cumulative, "top_own": by_own}


def _short(filename: str) -> str:
    """A path without the site-packages, repository or standard library folder in front."""
    for marker in ("site-packages/", f"{REPO_ROOT}/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return re.sub(r"^.*/python3\.\d+/", "", filename)


def _print_entries(entries: list[dict[str, Any]]) -> None:
    print(f"  {'cum ms':>9}{'own ms':>9}{'calls':>9}  function")
    for entry in entries:
        print(f"  {entry['cumtime_ms']:>9.1f}{entry['tottime_ms']:>9.1f}{entry['calls']:>9}  {entry['function']}")


if __name__ == "__main__":
    main()
