"""Submissions in the service: accept an upload, move it through its states, record its one result.

States: ``queued`` -> ``running`` -> ``graded`` | ``timeout`` | ``error`` |
``rejected``; a regrade takes a final submission back to ``queued``. Every
transition is one guarded UPDATE (``WHERE status = ...``), so two dispatchers, or
a restart racing a finishing worker, cannot both move a submission. Each grading
adds one result version; the unique constraint on ``(submission_id, version)`` is
the last word on "one result per grading", and the newest version counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from grader.assignments import Assignment
from grader.config import Settings
from grader.errors import DeadlinePassed, TooManySubmissions
from grader.models import FINAL_STATUSES, GradeResult, SubmissionStatus
from grader.notebook import parse_notebook
from grader.service.records import Result, ResultTest, Role, Submission, User, utcnow

MESSAGE_CHARS = 300  # of a test's message kept for grouping the class's failures

def accept_submission(session: Session, *, user: User, assignment: Assignment, data: bytes, settings: Settings,
                      now: dt.datetime | None = None) -> Submission:
    """Validate an upload and store it, queued; raises a ``GraderError`` saying what is wrong.

    The notebook is validated here once, under the assignment's size limit (the
    same limit grading applies). Nothing is written unless every check passed:
    the notebook file is written last, under the submission's id, after the row
    was flushed; the caller's transaction commits both.
    """
    now = now or utcnow()
    policy = assignment.manifest.policy
    parse_notebook(data, max_bytes=assignment.max_notebook_bytes(settings))
    late = policy.deadline is not None and now > policy.deadline
    if late and policy.late == "refuse":
        raise DeadlinePassed(f"the deadline of {assignment.id} ({policy.deadline:%Y-%m-%d %H:%M %Z}) has passed")
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
        oldest = recent[0]
        retry_after = max(1, int((oldest + dt.timedelta(minutes=1) - now).total_seconds()) + 1)
        raise TooManySubmissions(f"too many submissions: at most {limit} a minute for {assignment.id}; "
                                f"try again in {retry_after} s", retry_after=retry_after)


def notebook_folder(settings: Settings) -> Path:
    folder = settings.data_dir / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def executed_notebook_path(settings: Settings, submission_id: str) -> Path:
    """A fresh file for one grading's executed notebook (each grading of a submission gets its own)."""
    folder = settings.data_dir / "executed"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{submission_id}.{uuid.uuid4().hex[:12]}.ipynb"


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_suffix(".partial")
    with open(partial, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def claim(session: Session, submission_id: str, *, worker: str = "", lease_s: float = 60.0,
          now: dt.datetime | None = None) -> bool:
    """queued -> running, held by ``worker`` for ``lease_s`` seconds, counting the attempt.

    False if someone else got there first.
    """
    now = now or utcnow()
    moved = session.execute(
        update(Submission).where(Submission.id == submission_id, Submission.status == SubmissionStatus.queued)
        .values(status=SubmissionStatus.running, started_at=now, attempts=Submission.attempts + 1,
                lease_owner=worker or None, lease_expires_at=now + dt.timedelta(seconds=lease_s))
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


def renew_leases(session: Session, submission_ids: list[str], *, worker: str, lease_s: float,
                 now: dt.datetime | None = None) -> set[str]:
    """The heartbeat: extend ``worker``'s leases on these running submissions; returns the ones still held."""
    if not submission_ids:
        return set()
    now = now or utcnow()
    held = _held_by(worker, submission_ids)
    session.execute(update(Submission).where(held).values(lease_expires_at=now + dt.timedelta(seconds=lease_s)))
    return set(session.scalars(select(Submission.id).where(held)))


def _held_by(worker: str, submission_ids: list[str]) -> Any:
    return and_(Submission.id.in_(submission_ids), Submission.status == SubmissionStatus.running,
                Submission.lease_owner == worker)


def _running(submission_id: str, worker: str | None) -> Any:
    """The guard of a write that only the lease's holder may make (any holder when ``worker`` is None)."""
    guard = and_(Submission.id == submission_id, Submission.status == SubmissionStatus.running)
    return guard if worker is None else and_(guard, Submission.lease_owner == worker)


def finish(session: Session, submission_id: str, *, result: GradeResult | None, error: str | None = None,
           status: SubmissionStatus | None = None, executed_path: str | None = None, worker: str | None = None,
           now: dt.datetime | None = None) -> bool:
    """running -> a final status, storing ``result`` as the submission's next result version.

    The status is the result's, else ``status`` (e.g. ``rejected``), else ``error``.
    With ``worker``, only while that worker holds the lease: a grading whose lease was
    taken back (and given to another) stores nothing. Returns False if nothing was stored.
    """
    final = SubmissionStatus(result.status) if result is not None else (status or SubmissionStatus.error)
    values: dict[str, object] = {"status": final, "finished_at": now or utcnow(), "error": error,
                                 "lease_owner": None, "lease_expires_at": None}
    if result is not None:
        values["result_version"] = Submission.result_version + 1
    moved = session.execute(update(Submission).where(_running(submission_id, worker)).values(**values))
    if not moved.rowcount:  # type: ignore[attr-defined]
        return False
    if result is not None:
        version = session.scalar(select(Submission.result_version).where(Submission.id == submission_id))
        session.add(Result(submission_id=submission_id, version=version, status=result.status,
                           score=result.score, max_score=result.max_score, payload=result.model_dump(mode="json"),
                           exercise_scores={e.id: e.score for e in result.exercises}, executed_path=executed_path,
                           tests=verdict_rows(result), worker=worker))
    return True


def verdict_rows(result: GradeResult) -> list[ResultTest]:
    """The result's verdicts as rows of ``result_tests``."""
    # a collapsed failure ("not attempted: ...") says why once, on its exercise: group the class's failures by it
    return [ResultTest(exercise=exercise.id, name=test.name[:200], hidden=test.hidden, passed=test.passed,
                       message=(test.message or ("" if test.passed else exercise.note))[:MESSAGE_CHARS])
            for exercise in result.exercises for test in exercise.tests]


def regrade_submission(session: Session, submission_id: str) -> bool:
    """A finished submission -> queued again; its results so far are kept, the next one becomes current.

    False if it is queued or running already (nothing to do) or does not exist.
    """
    moved = session.execute(
        update(Submission).where(Submission.id == submission_id, Submission.status.in_(FINAL_STATUSES))
        .values(status=SubmissionStatus.queued, started_at=None, finished_at=None, error=None, attempts=0,
                published_at=None)
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


def regrade_assignment(session: Session, assignment: Assignment) -> list[str]:
    """Regrade every counting submission of ``assignment`` (e.g. after a suite fix); returns their ids."""
    ids = [submission_id for submission_id, _ in _counting_picks(session, assignment).values()]
    return [submission_id for submission_id in ids if regrade_submission(session, submission_id)]


def requeue(session: Session, submission_id: str, *, worker: str | None = None) -> bool:
    """running -> queued (the process grading it was lost); with ``worker``, only while it holds the lease."""
    moved = session.execute(
        update(Submission).where(_running(submission_id, worker))
        .values(status=SubmissionStatus.queued, started_at=None, lease_owner=None, lease_expires_at=None,
                published_at=None)
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


def recover(session: Session, *, now: dt.datetime | None = None) -> int:
    """Every running submission whose lease has expired (its process died or hangs) goes back to the queue.

    A lease still current belongs to a live process, perhaps another ``grader serve``
    on the same database: it is left alone. Returns how many went back.
    """
    expired = or_(Submission.lease_expires_at.is_(None), Submission.lease_expires_at < (now or utcnow()))
    moved = session.execute(
        update(Submission).where(Submission.status == SubmissionStatus.running, expired)
        .values(status=SubmissionStatus.queued, started_at=None, lease_owner=None, lease_expires_at=None,
                published_at=None)
    )
    return int(moved.rowcount)  # type: ignore[attr-defined]


def to_publish(session: Session, *, limit: int) -> list[tuple[str, str]]:
    """Distributed mode: (id, assignment) of the queued submissions not on the broker yet, oldest first: never
    published (the service died first, or the broker was down), or sent back to the queue."""
    rows = session.execute(select(Submission.id, Submission.assignment_id)
                           .where(Submission.status == SubmissionStatus.queued, Submission.published_at.is_(None))
                           .order_by(Submission.queued_at).limit(limit)).all()
    return [(submission_id, assignment) for submission_id, assignment in rows]


def mark_published(session: Session, submission_id: str, *, now: dt.datetime) -> bool:
    """Take the job of publishing ``submission_id`` (False: another service took it, or it is no longer queued)."""
    moved = session.execute(update(Submission).where(Submission.id == submission_id,
                                                     Submission.status == SubmissionStatus.queued,
                                                     Submission.published_at.is_(None))
                            .values(published_at=now))
    return bool(moved.rowcount)  # type: ignore[attr-defined]


def unmark_published(session: Session, submission_id: str, *, published_at: dt.datetime) -> None:
    """Publish it again at the next pass: the broker refused it or lost it. Only the mark that was seen is
    taken back (another service may have published it again since)."""
    session.execute(update(Submission).where(Submission.id == submission_id,
                                             Submission.status == SubmissionStatus.queued,
                                             Submission.published_at == published_at)
                    .values(published_at=None))


def published_waiting(session: Session, *, before: dt.datetime) -> list[tuple[str, str, dt.datetime]]:
    """(id, assignment, published_at) of the submissions published before ``before`` and still queued, the
    longest waiting first."""
    rows = session.execute(select(Submission.id, Submission.assignment_id, Submission.published_at).where(
        Submission.status == SubmissionStatus.queued, Submission.published_at < before)
        .order_by(Submission.published_at)).all()
    return [(submission_id, assignment, published) for submission_id, assignment, published in rows
            if published is not None]


def queued_ids(session: Session, *, limit: int) -> list[str]:
    """The oldest queued submissions first."""
    return list(session.scalars(
        select(Submission.id).where(Submission.status == SubmissionStatus.queued)
        .order_by(Submission.queued_at).limit(limit)
    ))


def queue_depth(session: Session) -> int:
    return int(session.scalar(select(func.count(Submission.id))
                              .where(Submission.status == SubmissionStatus.queued)) or 0)


def execution_counts(session: Session) -> dict[str, int]:
    """Stored results by how their cells ran: ``needed`` (cells skipped), ``fallback`` (a needed run
    replaced by a full one), ``full``; results stored before the field existed count as ``full``."""
    execution = Result.payload["execution"]
    counts = {"needed": 0, "fallback": 0, "full": 0}
    for mode, fallback in session.execute(select(execution["mode"].as_string(), execution["fallback"].as_string())):
        counts["fallback" if fallback else ("needed" if mode == "needed" else "full")] += 1
    return counts


def visible_submission(session: Session, submission_id: str, user: User) -> Submission | None:
    """The submission if ``user`` may see it: its owner, or any instructor."""
    submission = session.get(Submission, submission_id)
    if submission is None or (user.role != Role.instructor and submission.user_id != user.id):
        return None
    return submission


def counting_scores(session: Session, assignment: Assignment) -> list[float]:
    """The score of each student's counting submission (see ``counting_submissions``), read from two columns."""
    return [score for _, score in _counting_picks(session, assignment).values()]


def _counting_picks(session: Session, assignment: Assignment) -> dict[int, tuple[str, float]]:
    """Per user id, the counting submission's id and score: the latest with a result, or the best (ties: the
    earlier), chosen on three narrow columns."""
    picks = session.execute(
        select(Submission.id, Submission.user_id, Result.score)
        .join(Result, and_(Result.submission_id == Submission.id, Result.version == Submission.result_version))
        .where(Submission.assignment_id == assignment.id).order_by(Submission.queued_at)
    ).all()
    chosen: dict[int, tuple[str, float]] = {}
    best = assignment.manifest.policy.counts == "best"
    for submission_id, user_id, score in picks:
        current = chosen.get(user_id)
        if current is None or not best or score > current[1]:
            chosen[user_id] = (submission_id, score)
    return chosen


def counting_submissions(session: Session, assignment: Assignment) -> list[Submission]:
    """Per student, the submission that counts under the assignment's policy: the latest one with a result,
    or the best-scoring one (ties: the earlier). Users and current results come loaded (a result's payload
    only when read), sorted by email."""
    ids = [submission_id for submission_id, _ in _counting_picks(session, assignment).values()]
    options = [joinedload(Submission.user), joinedload(Submission.result).defer(Result.payload)]
    rows: list[Submission] = []
    for start in range(0, len(ids), 5000):  # bounded IN lists
        rows += session.scalars(select(Submission).where(Submission.id.in_(ids[start:start + 5000]))
                                .options(*options)).all()
    return sorted(rows, key=lambda row: row.user.email)

