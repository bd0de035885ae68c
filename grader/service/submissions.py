"""Submissions in the service: accept an upload, move it through its states, record its one result.

States: ``queued`` -> ``running`` -> ``graded`` | ``timeout`` | ``error`` (or
``rejected``). Every transition is one guarded UPDATE (``WHERE status = ...``), so
two dispatchers, or a restart racing a finishing worker, cannot both move a
submission; the unique constraint on ``results.submission_id`` is the last word
on "exactly one result".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from grader.assignments import Assignment, load_assignment
from grader.config import MiB, Settings
from grader.errors import SubmissionRefused
from grader.models import GradeResult
from grader.notebook import parse_notebook
from grader.service.records import Result, Role, Submission, SubmissionStatus, User, utcnow

def accept_submission(session: Session, *, user: User, assignment_id: str, data: bytes, settings: Settings,
                      now: dt.datetime | None = None) -> Submission:
    """Validate an upload and store it, queued; raises a ``GraderError`` saying what is wrong.

    Nothing is written unless every check passed: the notebook file is written
    last, under the submission's id, and removed again if the row cannot be.
    """
    now = now or utcnow()
    assignment = load_assignment(assignment_id, settings)
    policy = assignment.manifest.policy
    parse_notebook(data, max_bytes=upload_limit(assignment, settings))
    late = policy.deadline is not None and now > policy.deadline
    if late and policy.late == "refuse":
        raise SubmissionRefused(f"the deadline of {assignment.id} ({policy.deadline:%Y-%m-%d %H:%M %Z}) has passed")
    _check_rate(session, user=user, assignment=assignment, settings=settings, now=now)
    submission = Submission(id=str(uuid.uuid4()), assignment_id=assignment.id, user_id=user.id,
                            notebook_sha256=hashlib.sha256(data).hexdigest(), late=late, queued_at=now,
                            notebook_path="")
    path = notebook_folder(settings) / f"{submission.id}.ipynb"
    submission.notebook_path = str(path)
    session.add(submission)
    session.flush()
    _write_atomically(path, data)
    return submission


def upload_limit(assignment: Assignment, settings: Settings) -> int:
    """The largest notebook the assignment takes, in bytes (its policy, else the setting)."""
    policy = assignment.manifest.policy
    return int(policy.max_upload_mib * MiB) if policy.max_upload_mib else settings.max_notebook_bytes


def _check_rate(session: Session, *, user: User, assignment: Assignment, settings: Settings,
                now: dt.datetime) -> None:
    limit = assignment.manifest.policy.submissions_per_minute or settings.submissions_per_minute
    window_start = now - dt.timedelta(minutes=1)
    recent = session.scalars(
        select(Submission.queued_at).where(Submission.user_id == user.id,
                                           Submission.assignment_id == assignment.id,
                                           Submission.queued_at > window_start)
        .order_by(Submission.queued_at)
    ).all()
    if len(recent) >= limit:
        oldest = _aware(recent[0])
        retry_after = max(1, int((oldest + dt.timedelta(minutes=1) - now).total_seconds()) + 1)
        raise SubmissionRefused(f"too many submissions: at most {limit} a minute for {assignment.id}; "
                                f"try again in {retry_after} s", retry_after=retry_after)


def notebook_folder(settings: Settings) -> Path:
    folder = settings.data_dir / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_suffix(".partial")
    with open(partial, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def claim(session: Session, submission_id: str, *, now: dt.datetime | None = None) -> bool:
    """queued -> running, counting the attempt; False if someone else got there first."""
    moved = session.execute(
        update(Submission).where(Submission.id == submission_id, Submission.status == SubmissionStatus.queued)
        .values(status=SubmissionStatus.running, started_at=now or utcnow(), attempts=Submission.attempts + 1)
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


def finish(session: Session, submission_id: str, *, result: GradeResult | None, error: str | None = None,
           now: dt.datetime | None = None) -> bool:
    """running -> the result's status (or ``error`` without one), storing the result; False if not running."""
    status = SubmissionStatus(result.status) if result is not None else SubmissionStatus.error
    moved = session.execute(
        update(Submission).where(Submission.id == submission_id, Submission.status == SubmissionStatus.running)
        .values(status=status, finished_at=now or utcnow(), error=error)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        return False
    if result is not None:
        session.add(Result(submission_id=submission_id, status=result.status, score=result.score,
                           max_score=result.max_score, payload=result.model_dump(mode="json")))
    return True


def requeue(session: Session, submission_id: str) -> bool:
    """running -> queued (the worker grading it was lost)."""
    moved = session.execute(
        update(Submission).where(Submission.id == submission_id, Submission.status == SubmissionStatus.running)
        .values(status=SubmissionStatus.queued, started_at=None)
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


def recover(session: Session) -> int:
    """After a crash: every submission left ``running`` goes back to the queue. Returns how many."""
    moved = session.execute(
        update(Submission).where(Submission.status == SubmissionStatus.running)
        .values(status=SubmissionStatus.queued, started_at=None)
    )
    return int(moved.rowcount)  # type: ignore[attr-defined]


def queued_ids(session: Session, *, limit: int) -> list[str]:
    """The oldest queued submissions first."""
    return list(session.scalars(
        select(Submission.id).where(Submission.status == SubmissionStatus.queued)
        .order_by(Submission.queued_at).limit(limit)
    ))


def queue_depth(session: Session) -> int:
    return int(session.scalar(select(func.count(Submission.id))
                              .where(Submission.status == SubmissionStatus.queued)) or 0)


def visible_submission(session: Session, submission_id: str, user: User) -> Submission | None:
    """The submission if ``user`` may see it: its owner, or any instructor."""
    submission = session.get(Submission, submission_id)
    if submission is None or (user.role != Role.instructor and submission.user_id != user.id):
        return None
    return submission


def counting_submissions(session: Session, assignment: Assignment) -> list[Submission]:
    """Per student, the submission that counts under the assignment's policy: the latest graded one,
    or the best-scoring one (ties: the earlier)."""
    rows = session.scalars(
        select(Submission).join(Result).where(Submission.assignment_id == assignment.id)
        .order_by(Submission.queued_at)
    ).all()
    chosen: dict[int, Submission] = {}
    best = assignment.manifest.policy.counts == "best"
    for row in rows:
        current = chosen.get(row.user_id)
        assert row.result is not None
        if current is None or not best or row.result.score > current.result.score:  # type: ignore[union-attr]
            chosen[row.user_id] = row
    return sorted(chosen.values(), key=lambda row: row.user.email)


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
