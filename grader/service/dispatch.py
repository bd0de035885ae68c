"""The embedded dispatcher: feeds queued submissions to grading processes, durably.

The database is the queue's source of truth. A claimed submission is leased to
this dispatcher (``settings.lease_s``), and a heartbeat renews the leases of what
it grades; on start and then periodically, any submission whose lease expired
(its service crashed or hangs) goes back to ``queued``, so several services on
one database never grade the same submission at once. Only the lease's holder
stores a result. A worker process that dies takes its submission back to the
queue (at most ``settings.max_attempts`` tries); each grading ends with exactly
one final status and at most one result version, whose executed notebook
(outputs capped) is kept beside the stored upload.
"""

from __future__ import annotations

import logging
import multiprocessing
import socket
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from sqlalchemy import Engine

from grader.batch import BatchItem, grade_file, start_worker
from grader.config import Settings
from grader.service.db import session_scope
from grader.service.jobs import Feeder, Job, lost, store, take, take_back_expired, worker_id
from grader.service.submissions import queued_ids, renew_leases

log = logging.getLogger(__name__)


class Dispatcher(Feeder):
    """Runs up to ``workers`` gradings at once in worker processes, each with its own warm pool."""

    def __init__(self, engine: Engine, settings: Settings, *, workers: int | None = None,
                 on_finished: Callable[[str, str, float], None] | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.settings = settings
        self.workers = workers or settings.workers
        self.on_finished = on_finished  # (submission id, status, seconds) for metrics
        self._running: dict[str, tuple[Job, Future[BatchItem], float]] = {}
        self._executor: ProcessPoolExecutor | None = None
        # who holds the leases this dispatcher takes: unique per process and start
        self.worker_id = worker_id(socket.gethostname())
        self._heartbeat_s = settings.lease_s / 3
        self._last_heartbeat = 0.0

    thread_name = "grader-dispatcher"

    def start(self) -> None:
        take_back_expired(self.engine)
        self._last_heartbeat = time.monotonic()
        self._executor = self._new_executor()
        super().start()

    def stop(self) -> None:
        """Stop taking work; gradings in progress finish and keep their results, so worker processes
        close their kernels before they exit (any that cannot be stored go back to the queue)."""
        super().stop()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            try:
                self._collect()
            except Exception:  # the database is gone too: the leases expire and another service takes them
                log.exception("could not store the last gradings while stopping")

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=start_worker, initargs=(self.settings,))

    def _heartbeat(self) -> None:
        """Renew the leases of what this dispatcher grades, then sweep; every third of a lease."""
        if time.monotonic() - self._last_heartbeat < self._heartbeat_s:
            return
        self._last_heartbeat = time.monotonic()
        mine = list(self._running)
        with session_scope(self.engine) as session:
            held = renew_leases(session, mine, worker=self.worker_id, lease_s=self.settings.lease_s)
        for submission_id in sorted(set(mine) - held):  # e.g. a database outage outlasted the lease
            log.warning("submission %s: its lease was taken back; this grading's result will be discarded",
                        submission_id)
        take_back_expired(self.engine)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._heartbeat()
                self._collect()
                self._feed()
            except Exception:  # keep dispatching; the database keeps every submission's state
                log.exception("dispatcher step failed")
            self._rest(0.5)

    def _feed(self) -> None:
        free = self.workers - len(self._running)
        if free <= 0:
            return
        with session_scope(self.engine) as session:
            candidates = queued_ids(session, limit=free)
        for submission_id in candidates:
            job = take(self.engine, self.settings, submission_id, worker=self.worker_id)
            if job is None:
                continue
            log.info("submission %s: running (%s)", submission_id, job.assignment)
            assert self._executor is not None
            future = self._executor.submit(grade_file, job.notebook, job.assignment, executed_to=job.executed_to)
            future.add_done_callback(lambda _: self._wake.set())
            self._running[submission_id] = (job, future, time.monotonic())

    def _collect(self) -> None:
        broken = False
        for submission_id, (job, future, started) in list(self._running.items()):
            if not future.done():
                continue
            del self._running[submission_id]
            try:
                item = future.result()
            except Exception as exc:  # the grading raised outside grader's errors, or its process died
                broken = broken or isinstance(exc, BrokenProcessPool)
                lost(self.engine, self.settings, submission_id, f"{type(exc).__name__}: {exc}",
                     worker=self.worker_id)
                continue
            if store(self.engine, job, item, worker=self.worker_id) and self.on_finished:
                self.on_finished(submission_id, item.status, time.monotonic() - started)
        if broken and not self._stop.is_set():
            log.warning("a grading process died; starting new ones")
            assert self._executor is not None
            self._executor.shutdown(wait=False, cancel_futures=True)
            for submission_id in list(self._running):
                lost(self.engine, self.settings, submission_id, "its grading process was replaced",
                     worker=self.worker_id)
            self._running.clear()
            self._executor = self._new_executor()
