"""The distributed mode's side of ``grader serve``: sends queued submissions' ids to the broker, sweeps leases.

It stands where the embedded dispatcher stands (``wake``, ``alive``, ``stop``), so an
upload is handled the same in both modes: committed, then the feeder is woken. Here
the feeder publishes: it marks a queued submission as published (a guarded UPDATE,
so two services do not both send it), then sends its id; when the broker refuses,
the mark is taken back and the submission waits, still ``queued``, for the next
try. Every heartbeat it also takes back expired leases (a worker died) and sends
those again, and a submission published ``republish_s`` ago and still not taken
(a broker that restarted without its messages) is sent again: duplicates are
no-ops at the worker.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time

from celery import Celery
from sqlalchemy import Engine

from grader.config import Settings
from grader.service.broker import TASK, queue_depths, queue_for
from grader.service.db import session_scope
from grader.service.records import utcnow
from grader.service.submissions import (mark_published, published_waiting, recover, to_publish,
                                        unmark_published)

log = logging.getLogger(__name__)
BATCH = 200  # submissions published per pass


class Publisher:
    """Feeds the broker from the database, the source of truth."""

    def __init__(self, engine: Engine, settings: Settings, app: Celery) -> None:
        self.engine = engine
        self.settings = settings
        self.app = app
        self.broker_up = True  # as last seen by a publish
        self._queues: dict[str, str] = {}  # assignment id -> queue
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sweep_every_s = settings.lease_s / 3
        self._last_sweep = 0.0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="grader-publisher", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """A submission was queued: publish it now."""
        self._wake.set()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def queue_depths(self) -> dict[str, int] | None:
        """Messages waiting per queue, or None when the broker does not answer."""
        try:
            return queue_depths(self.app)
        except Exception as exc:  # noqa: BLE001 - any failure means the broker is not usable now
            log.warning("the broker does not answer: %s", exc)
            return None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._sweep()
                self._publish()
            except Exception:  # keep going; the database keeps every submission's state
                log.exception("publisher step failed")
            self._wake.wait(timeout=1.0)
            self._wake.clear()

    def _sweep(self) -> None:
        if time.monotonic() - self._last_sweep < self._sweep_every_s:
            return
        self._last_sweep = time.monotonic()
        with session_scope(self.engine) as session:
            recovered = recover(session)
        if recovered:
            log.info("took back %d submission(s) whose grading lease expired", recovered)
        self._resend_lost()

    def _resend_lost(self) -> None:
        """A queue the broker says is empty while submissions for it wait, published a while ago: the broker
        lost them (it restarted without its messages). Send them again now rather than after republish_s."""
        depths = self.queue_depths()
        if depths is None:
            return
        before = utcnow() - dt.timedelta(seconds=self.settings.lease_s)
        with session_scope(self.engine) as session:
            lost = [submission_id for submission_id, assignment in published_waiting(session, before=before)
                    if depths.get(self._queue(assignment)) == 0]
            for submission_id in lost:
                unmark_published(session, submission_id)
        if lost:
            log.warning("%d queued submission(s) are not on the broker any more; sending them again", len(lost))

    def _publish(self) -> None:
        stale_before = utcnow() - dt.timedelta(seconds=self.settings.republish_s)
        with session_scope(self.engine) as session:
            pending = to_publish(session, stale_before=stale_before, limit=BATCH)
        for submission_id, assignment in pending:
            if self.settings.fault_exit_before_publish:
                log.critical("GRADER_FAULT_EXIT_BEFORE_PUBLISH: exiting before publishing %s", submission_id)
                os._exit(137)
            with session_scope(self.engine) as session:
                if not mark_published(session, submission_id, stale_before=stale_before):
                    continue
            try:
                self.app.send_task(TASK, args=[submission_id], queue=self._queue(assignment), retry=False)
            except Exception as exc:  # kombu's and the transport's errors: the broker is down or refuses
                with session_scope(self.engine) as session:
                    unmark_published(session, submission_id)
                if self.broker_up:
                    log.warning("the broker does not take submissions (%s); they wait, queued, until it does", exc)
                self.broker_up = False
                return
            if not self.broker_up:
                log.info("the broker takes submissions again")
            self.broker_up = True
            log.info("submission %s: published to the %s queue", submission_id, self._queue(assignment))

    def _queue(self, assignment: str) -> str:
        if assignment not in self._queues:
            self._queues[assignment] = queue_for(self.settings, assignment)
        return self._queues[assignment]
