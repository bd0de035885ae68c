"""Builders for rows of the service's database: students, submissions, graded results."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from grader.assignments import load_assignment
from grader.config import Settings
from grader.models import ExecutionInfo, ExerciseResult, GradeResult, TestResult
from grader.service.db import session_scope
from grader.service.records import Role, User
from grader.service.roster import add_member
from grader.service.submissions import accept_submission, claim, finish
from tests.utils.toy import toy_bytes


def add_student(engine: Engine, email: str = "ada@example.org", name: str = "Ada",
                role: Role = Role.student) -> User:
    with session_scope(engine) as session:
        add_member(session, name=name, email=email, role=role)
    with session_scope(engine) as session:
        return session.query(User).filter_by(email=email).one()


def set_policy(settings: Settings, text: str) -> None:
    """Give the (copied) toy manifest a ``[policy]`` table."""
    manifest = settings.exercises_dir / "toy" / "manifest.toml"
    manifest.write_text(manifest.read_text().replace("[limits]", f"[policy]\n{text}\n\n[limits]"))


def submit(engine: Engine, settings: Settings, user: User, now: dt.datetime | None = None,
           data: bytes | None = None) -> str:
    with session_scope(engine) as session:
        return accept_submission(session, user=user, assignment=load_assignment("toy", settings),
                                 data=data or toy_bytes(), settings=settings, now=now).id


def toy_result(score: float, *, tests: dict[str, tuple[bool, str]] | None = None) -> GradeResult:
    """A result worth ``score`` of 4; ``tests`` adds an ``add`` exercise with those tests (name: passed, message)."""
    exercises = []
    if tests:
        exercises.append(ExerciseResult(id="add", score=score, max_score=1.0, tests=[
            TestResult(name=name, points=1.0 if passed else 0.0, max_points=1.0, passed=passed, hidden=True,
                       message=message) for name, (passed, message) in tests.items()]))
    return GradeResult(assignment="toy", status="graded", score=score, max_score=4.0, exercises=exercises,
                       execution=ExecutionInfo(duration_s=1.0, cell_errors=[]))


def grade(engine: Engine, submission_id: str, result: GradeResult) -> None:
    """Claim a queued submission and finish it with ``result`` (as the dispatcher would)."""
    with session_scope(engine) as session:
        assert claim(session, submission_id)
        assert finish(session, submission_id, result=result)
