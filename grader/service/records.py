"""The service's tables (SQLAlchemy 2): people, submissions and their results.

The schema evolves only through Alembic (``grader/service/migrations``); a test checks
that these models and the migrations agree.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import (JSON, Boolean, DateTime, Enum, Float, ForeignKey, Integer, String, Text, UniqueConstraint,
                        and_)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, foreign, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from grader.models import SubmissionStatus


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A moment stored in UTC and read back aware, in UTC, on every database.

    SQLite keeps no offset (it would store an aware time's wall clock and hand back a
    naive one); PostgreSQL answers in the connection's time zone. The column stays a
    ``DateTime(timezone=True)``, so the migrations do not change.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # a naive time is a bug: whose clock would it be?
            raise ValueError(f"{value.isoformat()} has no time zone; pass an aware datetime")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Every table of the service."""


class Role(enum.StrEnum):
    student = "student"
    instructor = "instructor"


class User(Base):
    """A student or an instructor; they authenticate with a bearer token stored only as its SHA-256."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # set by ``grader roster remove``: no sign-in any more, but their submissions and results stay
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    submissions: Mapped[list[Submission]] = relationship(back_populates="user")


class Submission(Base):
    """One uploaded notebook and where it is in its life: queued -> running -> a final status."""

    __tablename__ = "submissions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    assignment_id: Mapped[str] = mapped_column(String(100), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    notebook_sha256: Mapped[str] = mapped_column(String(64))
    notebook_path: Mapped[str] = mapped_column(Text)
    status: Mapped[SubmissionStatus] = mapped_column(Enum(SubmissionStatus, native_enum=False, length=20),
                                                     default=SubmissionStatus.queued, index=True)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    queued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    result_version: Mapped[int] = mapped_column(Integer, default=0)  # the version of the result that counts
    # While running: which grading process holds it, and until when without a heartbeat. Recovery takes
    # back only an expired lease, and only the holder may store the result (guarded UPDATEs).
    lease_owner: Mapped[str | None] = mapped_column(String(100), default=None)
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Distributed mode: when its id was last sent to the broker (None: not yet, or to be sent again).
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    user: Mapped[User] = relationship(back_populates="submissions")
    # The current result: the newest version. Older versions stay (a regrade keeps them) in ``results``.
    result: Mapped[Result | None] = relationship(
        primaryjoin=lambda: and_(Submission.id == foreign(Result.submission_id),
                                 Submission.result_version == foreign(Result.version)),
        viewonly=True, uselist=False)
    results: Mapped[list[Result]] = relationship(back_populates="submission", order_by=lambda: Result.version)


class Result(Base):
    """The result contract of one grading of a submission: version 1, then one more per regrade."""

    __tablename__ = "results"
    __table_args__ = (UniqueConstraint("submission_id", "version", name="uq_results_submission_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    # {exercise id: score}, copied out of the payload so a gradebook of 1,000 rows need not parse every payload
    exercise_scores: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    executed_path: Mapped[str | None] = mapped_column(Text, default=None)  # the notebook as it ran, with outputs
    worker: Mapped[str | None] = mapped_column(String(100), default=None)  # the grading process that stored it
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="results")
    tests: Mapped[list[ResultTest]] = relationship(back_populates="result")


class ResultTest(Base):
    """One test's verdict in one result, as a row: what the class got wrong is a GROUP BY over these."""

    __tablename__ = "result_tests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id"), index=True)
    exercise: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    hidden: Mapped[bool] = mapped_column(Boolean)
    passed: Mapped[bool] = mapped_column(Boolean)
    message: Mapped[str] = mapped_column(Text)  # cut to 300 characters: enough to group failures by

    result: Mapped[Result] = relationship(back_populates="tests")


class WebSession(Base):
    """A signed-in browser: the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "web_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
