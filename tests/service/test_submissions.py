"""Submission states in the database: guarded transitions, one result, recovery, the counting policy."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import Engine

from grader.assignments import load_assignment
from grader.config import Settings
from grader.errors import DeadlinePassed, TooManySubmissions
from grader.models import SubmissionStatus
from grader.service.db import session_scope
from grader.service.records import Result, Submission, utcnow
from grader.service.submissions import (claim, counting_submissions, execution_counts, finish, queued_ids, recover,
                                        regrade_assignment, regrade_submission, renew_leases, requeue)
from tests.utils.records import add_student, grade, set_policy, submit, toy_result
from tests.utils.toy import toy_bytes


def test_each_transition_happens_once(engine: Engine, settings: Settings) -> None:
    submission_id = submit(engine, settings, add_student(engine))
    with session_scope(engine) as session:
        assert claim(session, submission_id) and not claim(session, submission_id)
        assert finish(session, submission_id, result=toy_result(4.0))
        assert not finish(session, submission_id, result=toy_result(1.0))  # already final: ignored
        assert not requeue(session, submission_id)
    with session_scope(engine) as session:
        row = session.get(Submission, submission_id)
        assert row is not None and row.status == SubmissionStatus.graded and row.attempts == 1
        assert row.result is not None and row.result.score == 4.0


def test_recovery_requeues_only_what_an_expired_lease_left_running(engine: Engine, settings: Settings) -> None:
    user = add_student(engine)
    first, second = submit(engine, settings, user), submit(engine, settings, user)
    with session_scope(engine) as session:
        claim(session, first, worker="a", lease_s=60)
    with session_scope(engine) as session:
        assert recover(session) == 0  # a live service's grading: left alone
        assert recover(session, now=utcnow() + dt.timedelta(seconds=61)) == 1
        assert queued_ids(session, limit=10) == [first, second]


def test_the_heartbeat_renews_only_the_holders_leases(engine: Engine, settings: Settings) -> None:
    user = add_student(engine)
    mine, theirs = submit(engine, settings, user), submit(engine, settings, user)
    with session_scope(engine) as session:
        assert claim(session, mine, worker="a", lease_s=10) and claim(session, theirs, worker="b", lease_s=10)
    later = utcnow() + dt.timedelta(seconds=8)
    with session_scope(engine) as session:
        assert renew_leases(session, [mine, theirs], worker="a", lease_s=10, now=later) == {mine}
    with session_scope(engine) as session:  # 12 s after the claims: a's renewed lease holds, b's expired
        assert recover(session, now=later + dt.timedelta(seconds=4)) == 1
        assert queued_ids(session, limit=10) == [theirs]


def test_only_the_lease_holder_stores_a_result(engine: Engine, settings: Settings) -> None:
    submission_id = submit(engine, settings, add_student(engine))
    with session_scope(engine) as session:
        assert claim(session, submission_id, worker="first", lease_s=1)
    with session_scope(engine) as session:  # "first" hung past its lease; "second" took it over
        assert recover(session, now=utcnow() + dt.timedelta(seconds=2)) == 1
        assert claim(session, submission_id, worker="second", lease_s=60)
    with session_scope(engine) as session:
        assert not finish(session, submission_id, result=toy_result(1.0), worker="first")  # the late result
        assert not requeue(session, submission_id, worker="first")
        assert finish(session, submission_id, result=toy_result(4.0), worker="second")
    with session_scope(engine) as session:
        submission = session.get(Submission, submission_id)
        assert submission is not None and submission.result is not None and submission.result.score == 4.0
        assert (submission.attempts, submission.result_version, submission.lease_owner) == (2, 1, None)


def test_stored_notebooks_are_named_by_id_with_their_hash(engine: Engine, settings: Settings) -> None:
    data = toy_bytes()
    submission_id = submit(engine, settings, add_student(engine), data=data)
    with session_scope(engine) as session:
        row = session.get(Submission, submission_id)
        assert row is not None and Path(row.notebook_path).read_bytes() == data
        assert Path(row.notebook_path).name == f"{submission_id}.ipynb"
        assert row.notebook_sha256 == hashlib.sha256(data).hexdigest()


def test_the_rate_limit_says_when_to_come_back(engine: Engine, settings: Settings) -> None:
    user = add_student(engine)
    now = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    submit(engine, settings, user, now)
    submit(engine, settings, user, now + dt.timedelta(seconds=20))
    with pytest.raises(TooManySubmissions, match="at most 2 a minute") as refused:
        submit(engine, settings, user, now + dt.timedelta(seconds=30))
    assert refused.value.retry_after == 31
    submit(engine, settings, user, now + dt.timedelta(seconds=61))  # the first left the window


def test_a_late_submission_is_flagged_or_refused_per_policy(engine: Engine, settings: Settings) -> None:
    user = add_student(engine)
    set_policy(settings, 'deadline = 2026-01-01T00:00:00Z\nlate = "flag"')
    submission_id = submit(engine, settings, user)
    with session_scope(engine) as session:
        assert session.get(Submission, submission_id).late is True  # type: ignore[union-attr]
    manifest = settings.exercises_dir / "toy" / "manifest.toml"
    manifest.write_text(manifest.read_text().replace('late = "flag"', 'late = "refuse"'))
    with pytest.raises(DeadlinePassed, match="deadline of toy .* has passed"):
        submit(engine, settings, user)


@pytest.mark.parametrize(("counts", "expected"), [("latest", 1.0), ("best", 3.0)])
def test_the_counting_submission_follows_the_policy(engine: Engine, settings: Settings, counts: str,
                                                     expected: float) -> None:
    set_policy(settings, f'counts = "{counts}"\nsubmissions_per_minute = 5')
    user = add_student(engine)
    for score in (2.0, 3.0, 1.0):
        submission_id = submit(engine, settings, user)
        with session_scope(engine) as session:
            claim(session, submission_id)
            finish(session, submission_id, result=toy_result(score))
    with session_scope(engine) as session:
        (row,) = counting_submissions(session, load_assignment("toy", settings))
        assert row.result is not None and row.result.score == expected


def test_a_regrade_keeps_the_old_result_and_the_new_one_counts(engine: Engine, settings: Settings) -> None:
    submission_id = submit(engine, settings, add_student(engine))
    with session_scope(engine) as session:
        assert not regrade_submission(session, submission_id)  # queued: nothing to regrade yet
    grade(engine, submission_id, toy_result(2.0))
    with session_scope(engine) as session:
        assert regrade_submission(session, submission_id)
        assert not regrade_submission(session, submission_id)  # already back in the queue
    with session_scope(engine) as session:
        row = session.get(Submission, submission_id)
        assert row is not None and row.status == SubmissionStatus.queued
        assert row.result is not None and row.result.score == 2.0  # still shown until the new one lands
    grade(engine, submission_id, toy_result(3.0))
    with session_scope(engine) as session:
        row = session.get(Submission, submission_id)
        assert row is not None and row.result_version == 2 and row.result is not None and row.result.score == 3.0
        assert [(r.version, r.score) for r in session.query(Result).order_by(Result.version)] == [(1, 2.0), (2, 3.0)]


def test_regrading_an_assignment_takes_each_students_counting_submission(engine: Engine, settings: Settings) -> None:
    set_policy(settings, "submissions_per_minute = 5")
    ada, bob = add_student(engine), add_student(engine, "bob@example.org", "Bob")
    first, latest = submit(engine, settings, ada), submit(engine, settings, ada)
    bobs = submit(engine, settings, bob)
    for submission_id in (first, latest, bobs):
        grade(engine, submission_id, toy_result(1.0))
    with session_scope(engine) as session:
        assert sorted(regrade_assignment(session, load_assignment("toy", settings))) == sorted([latest, bobs])
        assert sorted(queued_ids(session, limit=10)) == sorted([latest, bobs])


def test_an_ungradable_file_ends_rejected_without_a_result(engine: Engine, settings: Settings) -> None:
    submission_id = submit(engine, settings, add_student(engine))
    with session_scope(engine) as session:
        claim(session, submission_id)
        assert finish(session, submission_id, result=None, error="not JSON", status=SubmissionStatus.rejected)
    with session_scope(engine) as session:
        row = session.get(Submission, submission_id)
        assert row is not None and row.status == SubmissionStatus.rejected and row.result is None
        assert row.error == "not JSON"


def test_a_collapsed_failure_is_grouped_by_its_exercise_note() -> None:
    from grader.models import ExecutionInfo, ExerciseResult, GradeResult, TestResult
    from grader.service.submissions import verdict_rows

    tests = [TestResult(name=n, points=0.0, max_points=1.0, passed=False, hidden=True, message="") for n in "ab"]
    tests.append(TestResult(name="c", points=1.0, max_points=1.0, passed=True, hidden=True, message=""))
    result = GradeResult(assignment="toy", status="graded", score=1.0, max_score=3.0, execution=ExecutionInfo(
        duration_s=1.0, cell_errors=[]), exercises=[ExerciseResult(
            id="add", score=1.0, max_score=3.0, tests=tests, note="not finished: add raises NotImplementedError")])
    rows = verdict_rows(result)
    assert [(r.name, r.message) for r in rows] == [("a", "not finished: add raises NotImplementedError"),
                                                   ("b", "not finished: add raises NotImplementedError"), ("c", "")]


def test_results_are_counted_by_how_their_cells_ran(engine: Engine, settings: Settings) -> None:
    """/metrics reports how many gradings skipped cells, and how many fell back to every cell."""
    runs = [{"mode": "needed", "skipped_cells": [3, 5]}, {"mode": "full", "fallback": "In [4] raised NameError"},
            {"mode": "full"}, {"mode": "needed", "skipped_cells": [2]}]
    for number, update in enumerate(runs):
        result = toy_result(4.0)
        result = result.model_copy(update={"execution": result.execution.model_copy(update=update)})
        grade(engine, submit(engine, settings, add_student(engine, f"student{number}@example.org")), result)
    with session_scope(engine) as session:
        assert execution_counts(session) == {"needed": 2, "fallback": 1, "full": 1}
