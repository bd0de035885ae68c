"""One grading's steps against the database, the same in both modes.

The embedded dispatcher (``dispatch``) takes and stores in the service's process
and grades in its worker processes; a Celery worker (``worker``) does all three in
its own process. Either way a grading is: ``take`` (claim the lease), grade while a
heartbeat renews the lease, then ``store`` (only while the lease is still ours) or
``lost`` (back to the queue, or ``error`` once the attempts are spent).
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from grader.batch import BatchItem
from grader.config import Settings
from grader.service.db import session_scope
from grader.service.records import Submission
from grader.service.submissions import claim, executed_notebook_path, finish, recover, renew_leases, requeue

log = logging.getLogger(__name__)


def worker_id(node: str) -> str:
    """Who holds a lease: the node (a host, or a Celery worker's name), this process, and a nonce per start."""
    return f"{node[:70]}:{os.getpid()}:{secrets.token_hex(4)}"


class Feeder:
    """What an upload wakes, in either mode (the embedded dispatcher, the distributed publisher): a thread
    running ``_loop`` until ``stop``; ``wake`` says a submission was queued."""

    thread_name = "grader-feeder"

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """A submission was queued: look at the queue now."""
        self._wake.set()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        raise NotImplementedError

    def _rest(self, seconds: float) -> None:
        """Wait until woken, or ``seconds``."""
        self._wake.wait(timeout=seconds)
        self._wake.clear()


def take_back_expired(engine: Engine) -> None:
    """Every submission whose lease expired (its grading process died or hangs) goes back to the queue."""
    with session_scope(engine) as session:
        recovered = recover(session)
    if recovered:
        log.info("took back %d submission(s) whose grading lease expired", recovered)


@dataclass(frozen=True)
class Job:
    """A claimed submission: what to grade and where its executed notebook goes."""

    submission_id: str
    notebook: Path
    assignment: str
    executed_to: Path


def take(engine: Engine, settings: Settings, submission_id: str, *, worker: str) -> Job | None:
    """Claim a queued submission for ``worker``; None if it is not queued (someone else has it, it is final,
    or it is gone: a duplicate message is a no-op). One whose attempts are spent ends as ``error`` instead."""
    with session_scope(engine) as session:
        if not claim(session, submission_id, worker=worker, lease_s=settings.lease_s):
            return None
        submission = session.get(Submission, submission_id)
        assert submission is not None
        if submission.attempts > settings.max_attempts:  # its grading process was lost every time
            tries = submission.attempts - 1
            finish(session, submission_id, result=None, worker=worker,
                   error=f"grading failed {tries} times (its grading process was lost each time)")
            log.error("submission %s: error after %d attempts", submission_id, tries)
            return None
        return Job(submission_id, Path(submission.notebook_path), submission.assignment_id,
                   executed_notebook_path(settings, submission_id))


def store(engine: Engine, job: Job, item: BatchItem, *, worker: str) -> bool:
    """Record the grading's outcome; False (and the executed notebook deleted) if the lease is no longer ours."""
    executed = str(item.executed_path) if item.executed_path else None
    with session_scope(engine) as session:
        stored = finish(session, job.submission_id, result=item.result, error=item.error, status=item.status,
                        executed_path=executed, worker=worker)
    if stored:
        log.info("submission %s: %s", job.submission_id, item.status)
    else:
        log.warning("submission %s: a late result discarded (its lease is no longer %s's)", job.submission_id,
                    worker)
        if item.executed_path is not None:
            item.executed_path.unlink(missing_ok=True)
    return stored


def lost(engine: Engine, settings: Settings, submission_id: str, reason: str, *, worker: str) -> None:
    """The grading failed outside grader's errors: back to the queue, or ``error`` after the last attempt."""
    with session_scope(engine) as session:
        submission = session.get(Submission, submission_id)
        if submission is None:
            return
        if submission.attempts >= settings.max_attempts:
            if finish(session, submission_id, result=None, worker=worker,
                      error=f"grading failed {submission.attempts} times ({reason})"):
                log.error("submission %s: error after %d attempts", submission_id, submission.attempts)
        elif requeue(session, submission_id, worker=worker):
            log.warning("submission %s: back in the queue (%s)", submission_id, reason)


@contextmanager
def holding_lease(engine: Engine, submission_id: str, *, worker: str, lease_s: float) -> Iterator[None]:
    """Renew ``worker``'s lease on ``submission_id`` every third of ``lease_s`` while the block runs."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(lease_s / 3):
            try:
                with session_scope(engine) as session:
                    held = renew_leases(session, [submission_id], worker=worker, lease_s=lease_s)
            except Exception:  # a database outage: the next beat tries again; past the lease, it is lost
                log.exception("submission %s: could not renew its lease", submission_id)
                continue
            if not held:
                log.warning("submission %s: its lease was taken back; this grading's result will be discarded",
                            submission_id)
                return

    thread = threading.Thread(target=beat, name=f"lease-{submission_id[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=5)
