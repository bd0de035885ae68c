"""Throughput and latency of the distributed mode against the embedded one, on the same notebooks.

``.venv/bin/python bench/distributed.py [--submissions 40] [--assignment tiny|decoding|...] [--broker URL]``

Every run uses a fresh database on the machine's PostgreSQL (127.0.0.1:5432) and
the same notebooks: the complete solution of ``--assignment`` (``tiny``, the
plain-Python test assignment, by default, graded with light kernels; a course
assignment such as ``decoding`` grades the real notebook). Runs, one after the other:

- embedded: `grader serve --workers 1`, then `--workers 2`;
- distributed: `grader serve` with ``--broker`` (Redis by default) and 1, then 2,
  `grader worker --concurrency 1` processes.

Each run first grades one notebook to warm up, then uploads the burst from four
students as fast as it can while a reader thread reads one submission's status
in a loop (a student's `grader submit` waiting). Reported per run: graded per
minute (first upload to last result), enqueue-to-start latency (``started_at -
queued_at``) p50/p99 over the burst and, separately, for single uploads to idle
workers, and the status reads' latency p50/p99 during the burst. Each run checks
that every submission has exactly one result. Not a test: numbers for the README.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import requests
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.config import REPO_ROOT, Settings  # noqa: E402
from grader.service.db import make_engine, session_scope  # noqa: E402
from grader.service.records import Submission  # noqa: E402
from tests.utils.cluster import STUDENTS, Cluster, cluster, redis_url, stop, tiny_bytes  # noqa: E402
from tests.utils.postgres import fresh_postgres_database  # noqa: E402
from tests.utils.service import Server, free_port, seed_roster, service_environment, start_server  # noqa: E402

IDLE_SAMPLES = 8


@dataclass
class Run:
    label: str
    per_minute: float
    burst_start: list[float]
    idle_start: list[float]
    reads: list[float]


def _notebook(assignment: str) -> bytes:
    if assignment == "tiny":
        return tiny_bytes()
    from tests.utils.notebooks import complete_notebook

    return nbformat.writes(complete_notebook(assignment)).encode()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _measure(label: str, server: Server, engine: object, assignment: str, notebook: bytes, count: int) -> Run:
    def upload(i: int) -> str:
        return server.submit(STUDENTS[i % len(STUDENTS)], notebook, assignment=assignment)

    def wait(ids: list[str], timeout: float = 1800) -> dict[str, Submission]:
        deadline = time.monotonic() + timeout
        while True:
            with session_scope(engine) as session:  # type: ignore[arg-type]
                rows = {r.id: r for r in session.scalars(select(Submission).where(Submission.id.in_(ids)))}
            if all(r.status not in ("queued", "running") for r in rows.values()):
                return rows
            assert time.monotonic() < deadline, f"{label}: not done after {timeout} s"
            time.sleep(0.2)

    wait([upload(0)])  # warm-up: kernels started, data files generated
    idle: list[float] = []
    for i in range(IDLE_SAMPLES):  # one at a time, the workers idle
        rows = wait([upload(i)])
        row = next(iter(rows.values()))
        assert row.started_at is not None
        idle.append((row.started_at - row.queued_at).total_seconds())
        time.sleep(0.5)
    reads: list[float] = []
    done = threading.Event()
    first = upload(1)

    def reader() -> None:
        url = f"{server.url}/api/v1/submissions/{first}"
        while not done.is_set():
            started = time.perf_counter()
            requests.get(url, headers=server.headers(STUDENTS[1 % len(STUDENTS)]), timeout=30).raise_for_status()
            reads.append(time.perf_counter() - started)
            time.sleep(0.05)

    thread = threading.Thread(target=reader, daemon=True)
    began = time.monotonic()
    thread.start()
    ids = [first] + [upload(i) for i in range(2, count + 1)]
    rows = wait(ids)
    elapsed = time.monotonic() - began
    done.set()
    thread.join()
    assert {r.status for r in rows.values()} == {"graded"}, {r.status for r in rows.values()}
    assert {r.result_version for r in rows.values()} == {1}, "a submission was graded twice"
    burst = [(r.started_at - r.queued_at).total_seconds() for r in rows.values() if r.started_at]
    return Run(label, len(ids) / elapsed * 60, burst, idle, reads)


def _embedded(root: Path, workers: int, assignment: str, notebook: bytes, count: int, env: dict[str, str]) -> Run:
    with fresh_postgres_database() as url:
        data_dir = root / f"embedded-{workers}"
        environment = {**service_environment(data_dir), **env, "GRADER_DATABASE_URL": url,
                       "GRADER_SUBMISSIONS_PER_MINUTE": "1000"}
        tokens = seed_roster(data_dir, database_url=url, students=STUDENTS)
        port = free_port()
        process = start_server(environment, port=port, workers=workers, log=root / f"embedded-{workers}.log")
        engine = make_engine(Settings(data_dir=data_dir, database_url=url))
        try:
            server = Server(f"http://127.0.0.1:{port}", data_dir, process, tokens)
            return _measure(f"embedded, {workers} grading process(es)", server, engine, assignment, notebook, count)
        finally:
            stop(process, signal.SIGINT)
            engine.dispose()


def _distributed(root: Path, workers: int, broker: str, assignment: str, notebook: bytes, count: int,
                 env: dict[str, str]) -> Run:
    folder = root / f"distributed-{workers}"
    folder.mkdir()
    with cluster(folder, broker, **env) as grading:
        grading.start_workers(*[f"b{i}" for i in range(workers)])
        return _measure(f"distributed, {workers} worker process(es)", grading.server, grading.engine, assignment,
                        notebook, count)


def _course(root: Path, assignment: str) -> tuple[dict[str, str], dict[str, str]]:
    """Settings of the embedded and the distributed runs: tiny from tests/files (cluster() copies it itself),
    with light kernels, or the course's own assignment, its data files generated once for all runs."""
    if assignment == "tiny":
        tiny = REPO_ROOT / "tests" / "files" / "tiny"
        light = {"GRADER_KERNEL_PRELOAD": "false"}
        return {**light, "GRADER_EXERCISES_DIR": str(tiny / "exercises"),
                "GRADER_REFERENCE_DIR": str(tiny / "reference")}, light
    course = {"GRADER_EXERCISES_DIR": str(REPO_ROOT / "exercises"),
              "GRADER_REFERENCE_DIR": str(REPO_ROOT / "reference"), "GRADER_KERNEL_PRELOAD": "true",
              "GRADER_CACHE_DIR": str(root / "cache")}
    return course, course


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--assignment", default="tiny")
    parser.add_argument("--broker", default=None, help="default: the machine's Redis, database 12 (emptied)")
    args = parser.parse_args()
    broker = args.broker or redis_url(12)
    notebook = _notebook(args.assignment)
    root = Path(tempfile.mkdtemp(prefix="bench-distributed-"))
    try:
        embedded_env, distributed_env = _course(root, args.assignment)
        runs = [_embedded(root, n, args.assignment, notebook, args.submissions, embedded_env) for n in (1, 2)]
        runs += [_distributed(root, n, broker, args.assignment, notebook, args.submissions, distributed_env)
                 for n in (1, 2)]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"{args.submissions} submissions of {args.assignment} per run, {os.cpu_count()} cores, PostgreSQL, "
          f"broker {broker.split('@')[-1]}")
    print(f"{'run':42} {'graded/min':>10} {'start p50/p99 (burst)':>22} {'start p50/p99 (idle)':>21} "
          f"{'status read p50/p99':>20}")
    for run in runs:
        print(f"{run.label:42} {run.per_minute:10.1f} "
              f"{_pct(run.burst_start, .5):9.2f} / {_pct(run.burst_start, .99):6.2f} s "
              f"{_pct(run.idle_start, .5) * 1000:8.0f} / {_pct(run.idle_start, .99) * 1000:5.0f} ms "
              f"{_pct(run.reads, .5) * 1000:8.1f} / {_pct(run.reads, .99) * 1000:5.1f} ms")
    print(f"(status reads during the bursts: {sum(len(r.reads) for r in runs)}; idle start: {IDLE_SAMPLES} single "
          "uploads per run)")


if __name__ == "__main__":
    main()
