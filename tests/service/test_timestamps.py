"""Every stored moment reads back aware and in UTC, on SQLite (which keeps no offset) and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import StatementError

from grader.config import Settings
from grader.service.db import session_scope
from grader.service.records import Result, Submission, User, WebSession
from grader.service.submissions import claim, finish
from grader.service.websessions import start_session
from tests.utils.records import add_student, submit, toy_result

PARIS = dt.timezone(dt.timedelta(hours=1))
QUEUED = dt.datetime(2026, 11, 2, 23, 30, tzinfo=PARIS)  # 22:30 UTC
STARTED = dt.datetime(2026, 11, 3, 4, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))  # 23:00 UTC, a day earlier
FINISHED = dt.datetime(2026, 11, 2, 18, 15, tzinfo=dt.timezone(dt.timedelta(hours=-5)))  # 23:15 UTC


def assert_utc(moment: dt.datetime | None, expected: dt.datetime | None = None) -> None:
    assert moment is not None and moment.utcoffset() == dt.timedelta(0), moment
    if expected is not None:
        assert moment == expected and moment.hour == expected.astimezone(dt.UTC).hour


def test_a_submissions_moments_read_back_aware_in_utc(engine: Engine, settings: Settings) -> None:
    user = add_student(engine)
    submission_id = submit(engine, settings, user, now=QUEUED)
    with session_scope(engine) as session:
        assert claim(session, submission_id, now=STARTED)
        assert finish(session, submission_id, result=toy_result(3.0), now=FINISHED)
        owner = session.get(User, user.id)
        assert owner is not None
        start_session(session, owner, hours=1)
    with session_scope(engine) as session:
        row = session.get(Submission, submission_id)
        assert row is not None
        assert_utc(row.queued_at, QUEUED)
        assert_utc(row.started_at, STARTED)
        assert_utc(row.finished_at, FINISHED)
        assert_utc(row.user.created_at)
        assert_utc(session.scalar(select(Result.created_at)))
        web = session.scalar(select(WebSession))
        assert web is not None
        assert_utc(web.created_at)
        assert_utc(web.expires_at, web.created_at + dt.timedelta(hours=1))


def test_comparisons_hold_across_time_zones(engine: Engine, settings: Settings) -> None:
    """A bound moment in another zone is compared as the same instant (SQLite compares the stored text)."""
    submission_id = submit(engine, settings, add_student(engine), now=QUEUED)  # 22:30 UTC
    just_before = dt.datetime(2026, 11, 3, 3, 29, tzinfo=dt.timezone(dt.timedelta(hours=5)))  # 22:29 UTC
    with session_scope(engine) as session:
        assert session.scalars(select(Submission.id).where(Submission.queued_at > just_before)).all() == [
            submission_id]
        assert session.scalars(select(Submission.id).where(Submission.queued_at > QUEUED)).all() == []


def test_a_naive_moment_is_refused(engine: Engine, settings: Settings) -> None:
    user = add_student(engine)
    with pytest.raises(StatementError, match="has no time zone"), session_scope(engine) as session:
        session.add(Submission(assignment_id="toy", user_id=user.id, notebook_sha256="0" * 64, notebook_path="x",
                               queued_at=dt.datetime(2026, 11, 2, 9, 30)))
        session.flush()
