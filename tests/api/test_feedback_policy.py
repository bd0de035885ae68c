"""``[policy] hidden_feedback`` over the API: students see what the policy allows, instructors everything.

Graded submissions are planted through ``finish`` (as a grading process would store
them), so no kernel starts. Also here: the API's timestamps carry their time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from grader.models import ExecutionInfo, ExerciseResult, GradeResult, TestResult
from grader.service.db import session_scope
from grader.service.records import Result, ResultTest
from tests.api.conftest import Service, StartService

HIDDEN_NAMES = ["test_add_random", "test_add_overflow", "test_add_floats", "test_structure"]
HIDDEN_MESSAGE = "add(-1, -2) returned 3, expected -3"
QUEUED_AT = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))  # 08:30 UTC


def graded_result() -> GradeResult:
    """A toy result with public and hidden tests: ``add`` 2 of 3 hidden passed, ``Doubler`` hidden only."""
    def test(name: str, points: float, max_points: float, hidden: bool, message: str = "") -> TestResult:
        return TestResult(name=name, points=points, max_points=max_points, passed=points == max_points,
                          hidden=hidden, message=message)

    add = ExerciseResult(id="add", score=0.75, max_score=1.0, tests=[
        test("test_adds_small_numbers", 0.25, 0.25, hidden=False),
        test(HIDDEN_NAMES[0], 0.25, 0.25, hidden=True),
        test(HIDDEN_NAMES[1], 0.0, 0.25, hidden=True, message=HIDDEN_MESSAGE),
        test(HIDDEN_NAMES[2], 0.25, 0.25, hidden=True)])
    doubler = ExerciseResult(id="Doubler", score=2.0, max_score=2.0, tests=[test(HIDDEN_NAMES[3], 2.0, 2.0, True)])
    return GradeResult(assignment="toy", status="graded", score=2.75, max_score=4.0, exercises=[add, doubler],
                       execution=ExecutionInfo(duration_s=1.0, cell_errors=[]))


def plant_graded(service: Service, who: str) -> str:
    """A graded submission of ``who`` with ``graded_result()``, submitted at ``QUEUED_AT``."""
    return service.plant(who, graded_result(), queued_at=QUEUED_AT)


def service_with(start_service: StartService, exercises_with_policy: Callable[[str], Path], mode: str) -> Service:
    return start_service(exercises_dir=exercises_with_policy(f'hidden_feedback = "{mode}"'))


def read(service: Service, who: str, submission_id: str) -> dict[str, Any]:
    answer = service.client.get(f"/api/v1/submissions/{submission_id}", headers=service.headers(who))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def listed(service: Service, who: str) -> list[dict[str, Any]]:
    answer = service.client.get("/api/v1/submissions", headers=service.headers(who))
    assert answer.status_code == 200, answer.text
    body: list[dict[str, Any]] = answer.json()
    return body


def lines_of(body: dict[str, Any]) -> dict[str, list[tuple[str, float, float, bool, bool, str]]]:
    """Per exercise: (name, points, max_points, passed, hidden, message) of each test line."""
    return {e["id"]: [(t["name"], t["points"], t["max_points"], t["passed"], t["hidden"], t["message"])
                      for t in e["tests"]] for e in body["result"]["exercises"]}


FULL = {e.id: [(t.name, t.points, t.max_points, t.passed, t.hidden, t.message) for t in e.tests]
        for e in graded_result().exercises}
PUBLIC_ADD = ("test_adds_small_numbers", 0.25, 0.25, True, False, "")
FOLDED = {
    "summary": {"add": [PUBLIC_ADD, ("hidden tests", 0.5, 0.75, False, True, "2 of 3 passed")],
                "Doubler": [("hidden tests", 2.0, 2.0, True, True, "1 of 1 passed")]},
    "none": {"add": [PUBLIC_ADD, ("hidden tests", 0.5, 0.75, False, True, "")],
             "Doubler": [("hidden tests", 2.0, 2.0, True, True, "")]},
    "full": FULL,
}


@pytest.mark.parametrize("mode", ["full", "summary", "none"])
def test_a_student_sees_the_hidden_tests_as_the_policy_says(start_service: StartService,
                                                            exercises_with_policy: Callable[[str], Path],
                                                            mode: str) -> None:
    service = service_with(start_service, exercises_with_policy, mode)
    submission_id = plant_graded(service, "alice")
    one, (in_list,) = read(service, "alice", submission_id), listed(service, "alice")
    for body in (one, in_list):
        assert lines_of(body) == FOLDED[mode]
        assert (body["result"]["score"], body["result"]["max_score"]) == (2.75, 4.0)  # the score is the same
        assert [(e["id"], e["score"], e["max_score"]) for e in body["result"]["exercises"]] == [
            ("add", 0.75, 1.0), ("Doubler", 2.0, 2.0)]
        if mode != "full":
            text = str(body)
            assert not [name for name in HIDDEN_NAMES if name in text] and HIDDEN_MESSAGE not in text


@pytest.mark.parametrize("mode", ["summary", "none"])
def test_an_instructor_sees_every_hidden_test(start_service: StartService,
                                              exercises_with_policy: Callable[[str], Path], mode: str) -> None:
    service = service_with(start_service, exercises_with_policy, mode)
    alices, own = plant_graded(service, "alice"), plant_graded(service, "teacher")
    assert lines_of(read(service, "teacher", alices)) == FULL
    assert lines_of(read(service, "teacher", own)) == FULL  # their own submission too
    assert [lines_of(body) for body in listed(service, "teacher")] == [FULL]
    answer = service.client.get("/api/v1/assignments/toy/submissions", headers=service.headers("teacher"))
    assert answer.status_code == 200 and [lines_of(body) for body in answer.json()] == [FULL, FULL]


def test_what_is_stored_stays_complete(start_service: StartService,
                                       exercises_with_policy: Callable[[str], Path]) -> None:
    service = service_with(start_service, exercises_with_policy, "none")
    submission_id = plant_graded(service, "alice")
    assert lines_of(read(service, "alice", submission_id)) == FOLDED["none"]
    with session_scope(service.app.state.engine) as session:
        result = session.scalar(select(Result).where(Result.submission_id == submission_id))
        assert result is not None and GradeResult.model_validate(result.payload) == graded_result()
        rows = session.scalars(select(ResultTest.name).where(ResultTest.result_id == result.id)).all()
        assert sorted(rows) == sorted(name for tests in FULL.values() for name, *_ in tests)


def test_a_vanished_assignment_shows_students_the_summary(start_service: StartService,
                                                          exercises_with_policy: Callable[[str], Path]) -> None:
    exercises = exercises_with_policy('hidden_feedback = "full"')
    service = start_service(exercises_dir=exercises)
    submission_id = plant_graded(service, "alice")
    (exercises / "toy" / "manifest.toml").unlink()  # the course dropped the assignment; its results stay
    assert lines_of(read(service, "alice", submission_id)) == FOLDED["summary"]
    assert lines_of(listed(service, "alice")[0]) == FOLDED["summary"]
    assert lines_of(read(service, "teacher", submission_id)) == FULL


# --- the timestamps the API sends carry their time zone ---------------------------------------------------------------

def test_the_api_timestamps_are_in_utc_with_an_offset(service: Service) -> None:
    submission_id = plant_graded(service, "alice")
    for body in (read(service, "alice", submission_id), listed(service, "alice")[0]):
        for field in ("queued_at", "started_at", "finished_at"):
            assert body[field].endswith(("Z", "+00:00")), f"{field}: {body[field]}"
        assert dt.datetime.fromisoformat(body["queued_at"]) == QUEUED_AT  # stored at +01:00, the same moment
        assert body["queued_at"].startswith("2026-11-02T08:30:00")

