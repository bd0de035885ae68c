"""Submission states in the database: guarded transitions, one result, recovery, the counting policy."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from grader.assignments import load_assignment
from grader.config import Settings
from grader.service.db import make_engine, migrate, session_scope
from grader.errors import DeadlinePassed, TooManySubmissions
from grader.models import ExecutionInfo, GradeResult
from grader.service.records import Submission, SubmissionStatus, User
from grader.service.roster import add_member
from grader.service.submissions import (accept_submission, claim, counting_submissions, finish, queued_ids, recover,
                                requeue)
from tests.conftest import FILES
from tests.utils.toy import toy_bytes


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    exercises = tmp_path / "exercises"
    shutil.copytree(FILES / "toy" / "exercises", exercises)
    return Settings(exercises_dir=exercises, reference_dir=FILES / "toy" / "reference", cache_dir=tmp_path / "cache",
                    data_dir=tmp_path / "data", submissions_per_minute=2)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings)
    migrate(engine)
    yield engine
    engine.dispose()


def _policy(settings: Settings, text: str) -> None:
    manifest = settings.exercises_dir / "toy" / "manifest.toml"
    manifest.write_text(manifest.read_text().replace("[limits]", f"[policy]\n{text}\n\n[limits]"))


def _student(engine: Engine, email: str = "ada@example.org") -> User:
    with session_scope(engine) as session:
        add_member(session, name="Ada", email=email)
    with session_scope(engine) as session:
        return session.query(User).filter_by(email=email).one()


def _submit(engine: Engine, settings: Settings, user: User, now: dt.datetime | None = None,
            data: bytes | None = None) -> str:
    with session_scope(engine) as session:
        return accept_submission(session, user=user, assignment=load_assignment("toy", settings), data=data or toy_bytes(),
                                 settings=settings, now=now).id


def _result(score: float) -> GradeResult:
    return GradeResult(assignment="toy", status="graded", score=score, max_score=4.0, exercises=[],
                       execution=ExecutionInfo(duration_s=1.0, cell_errors=[]))


def test_each_transition_happens_once(engine: Engine, settings: Settings) -> None:
    submission_id = _submit(engine, settings, _student(engine))
    with session_scope(engine) as session:
        assert claim(session, submission_id) and not claim(session, submission_id)
        assert finish(session, submission_id, result=_result(4.0))
        assert not finish(session, submission_id, result=_result(1.0))  # already final: ignored
        assert not requeue(session, submission_id)
    with session_scope(engine) as session:
        row = session.get(Submission, submission_id)
        assert row is not None and row.status == SubmissionStatus.graded and row.attempts == 1
        assert row.result is not None and row.result.score == 4.0


def test_recovery_requeues_what_a_crash_left_running(engine: Engine, settings: Settings) -> None:
    user = _student(engine)
    first, second = _submit(engine, settings, user), _submit(engine, settings, user)
    with session_scope(engine) as session:
        claim(session, first)
    with session_scope(engine) as session:
        assert recover(session) == 1
        assert queued_ids(session, limit=10) == [first, second]


def test_stored_notebooks_are_named_by_id_with_their_hash(engine: Engine, settings: Settings) -> None:
    data = toy_bytes()
    submission_id = _submit(engine, settings, _student(engine), data=data)
    with session_scope(engine) as session:
        row = session.get(Submission, submission_id)
        assert row is not None and Path(row.notebook_path).read_bytes() == data
        assert Path(row.notebook_path).name == f"{submission_id}.ipynb"
        assert row.notebook_sha256 == hashlib.sha256(data).hexdigest()


def test_the_rate_limit_says_when_to_come_back(engine: Engine, settings: Settings) -> None:
    user = _student(engine)
    now = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    _submit(engine, settings, user, now)
    _submit(engine, settings, user, now + dt.timedelta(seconds=20))
    with pytest.raises(TooManySubmissions, match="at most 2 a minute") as refused:
        _submit(engine, settings, user, now + dt.timedelta(seconds=30))
    assert refused.value.retry_after == 31
    _submit(engine, settings, user, now + dt.timedelta(seconds=61))  # the first left the window


def test_a_late_submission_is_flagged_or_refused_per_policy(engine: Engine, settings: Settings) -> None:
    user = _student(engine)
    _policy(settings, 'deadline = 2026-01-01T00:00:00Z\nlate = "flag"')
    submission_id = _submit(engine, settings, user)
    with session_scope(engine) as session:
        assert session.get(Submission, submission_id).late is True  # type: ignore[union-attr]
    manifest = settings.exercises_dir / "toy" / "manifest.toml"
    manifest.write_text(manifest.read_text().replace('late = "flag"', 'late = "refuse"'))
    with pytest.raises(DeadlinePassed, match="deadline of toy .* has passed"):
        _submit(engine, settings, user)


@pytest.mark.parametrize(("counts", "expected"), [("latest", 1.0), ("best", 3.0)])
def test_the_counting_submission_follows_the_policy(engine: Engine, settings: Settings, counts: str,
                                                     expected: float) -> None:
    _policy(settings, f'counts = "{counts}"\nsubmissions_per_minute = 5')
    user = _student(engine)
    for score in (2.0, 3.0, 1.0):
        submission_id = _submit(engine, settings, user)
        with session_scope(engine) as session:
            claim(session, submission_id)
            finish(session, submission_id, result=_result(score))
    with session_scope(engine) as session:
        (row,) = counting_submissions(session, load_assignment("toy", settings))
        assert row.result is not None and row.result.score == expected
