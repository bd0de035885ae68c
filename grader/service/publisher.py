"""The distributed mode's side of ``grader serve``: sends queued submissions' ids to the broker, sweeps leases.

It stands where the embedded dispatcher stands (``wake``, ``alive``, ``stop``), so an
upload is handled the same in both modes: committed, then the feeder is woken. Here
the feeder publishes: it marks a queued submission as published (a guarded UPDATE,
so two services do not both send it), then sends its id; when the broker refuses,
the mark is taken back and the submission waits, still ``queued``, for the next
pass. Every heartbeat it also takes back expired leases (a worker died; they are
sent again), and it sends again what the broker lost: when a queue holds fewer
messages than there are submissions for it published a lease ago and still
queued (a broker that restarted without its messages, a publish lost on a broken
connection), the longest waiting are sent again. A duplicate is a no-op at the worker.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import threading
import time
from collections.abc import Callable

from celery import Celery
from sqlalchemy import Engine

from grader.config import Settings
from grader.service.broker import TASK, queue_depths, queue_for
from grader.service.db import session_scope
from grader.service.jobs import Feeder, take_back_expired
from grader.service.records import utcnow
from grader.service.submissions import mark_published, published_waiting, to_publish, unmark_published

log = logging.getLogger(__name__)
BATCH = 200  # submissions published per pass
DEPTHS_TTL_S = 1.0


class Publisher(Feeder):
    """Feeds the broker from the database, the source of truth."""

    thread_name = "grader-publisher"

    def __init__(self, engine: Engine, settings: Settings, app: Celery) -> None:
        super().__init__()
        self.engine = engine
        self.settings = settings
        self.app = app
        self.broker_up = True  # as last seen by a publish
        self._sweep_every_s = settings.lease_s / 3
        self._last_sweep = 0.0
        self._depths: tuple[float, dict[str, int] | None] = (0.0, None)  # (when read, what the broker said)
        self._depths_lock = threading.Lock()

    def queue_depths(self) -> dict[str, int] | None:
        """Messages waiting per queue, or None when the broker does not answer (read at most once a second,
        so health checks and scrapes do not each open a connection)."""
        with self._depths_lock:
            read_at, depths = self._depths
            if time.monotonic() - read_at < DEPTHS_TTL_S:
                return depths
            try:
                depths = queue_depths(self.app)
            except Exception as exc:  # noqa: BLE001 - any failure means the broker is not usable now
                log.warning("the broker does not answer: %s", exc)
                depths = None
            self._depths = (time.monotonic(), depths)
            return depths

    def _loop(self) -> None:
        while not self._stop.is_set():
            for step in (self._sweep, self._publish):
                try:
                    step()
                except Exception:  # keep going; the database keeps every submission's state
                    log.exception("publisher step failed")
            self._rest(1.0)

    def _sweep(self) -> None:
        if time.monotonic() - self._last_sweep < self._sweep_every_s:
            return
        self._last_sweep = time.monotonic()
        take_back_expired(self.engine)
        self._resend_lost()

    def _resend_lost(self) -> None:
        depths = self.queue_depths()
        if depths is None:
            return
        before = utcnow() - dt.timedelta(seconds=self.settings.lease_s)
        route = self._router()
        with session_scope(self.engine) as session:
            waiting = [(submission_id, route(assignment), published)
                       for submission_id, assignment, published in published_waiting(session, before=before)]
            lost = lost_messages(waiting, depths)
            for submission_id, published in lost:
                unmark_published(session, submission_id, published_at=published)
        if lost:
            log.warning("%d queued submission(s) are not on the broker; sending them again", len(lost))

    def _router(self) -> Callable[[str], str]:
        """An assignment's queue, each manifest read once per pass (a manifest changed since is read again)."""
        return functools.cache(lambda assignment: queue_for(self.settings, assignment))

    def _publish(self) -> None:
        with session_scope(self.engine) as session:
            pending = to_publish(session, limit=BATCH)
        route = self._router()
        for submission_id, assignment in pending:
            if self.settings.fault_exit_before_publish:
                time.sleep(0.5)  # the 202 reaches the client, as it would before a real crash
                log.critical("GRADER_FAULT_EXIT_BEFORE_PUBLISH: exiting before publishing %s", submission_id)
                os._exit(137)
            queue = route(assignment)
            now = utcnow()
            with session_scope(self.engine) as session:
                if not mark_published(session, submission_id, now=now):
                    continue
            try:
                self.app.send_task(TASK, args=[submission_id], queue=queue, retry=False)
            except Exception as exc:  # kombu's and the transport's errors: the broker is down or refuses
                with session_scope(self.engine) as session:
                    unmark_published(session, submission_id, published_at=now)
                if self.broker_up:
                    log.warning("the broker does not take submissions (%s); they wait, queued, until it does", exc)
                self.broker_up = False
                return
            if not self.broker_up:
                log.info("the broker takes submissions again")
            self.broker_up = True
            log.info("submission %s: published to the %s queue", submission_id, queue)


def lost_messages(waiting: list[tuple[str, str, dt.datetime]],
                  depths: dict[str, int]) -> list[tuple[str, dt.datetime]]:
    """Of the submissions published a while ago and still queued (id, queue, published_at; longest waiting
    first), the ones whose messages the broker cannot be holding: a queue holding fewer messages than it has
    such submissions lost some, and the longest waiting are the likeliest lost (a restart drops the older)."""
    by_queue: dict[str, list[tuple[str, dt.datetime]]] = {}
    for submission_id, queue, published in waiting:
        by_queue.setdefault(queue, []).append((submission_id, published))
    lost: list[tuple[str, dt.datetime]] = []
    for queue, submissions in by_queue.items():
        missing = len(submissions) - depths.get(queue, 0)
        lost += submissions[:max(0, missing)]
    return lost
