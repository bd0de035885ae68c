"""The service's Prometheus metrics, in a registry of its own (one per app)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from grader.service.db import session_scope
from grader.service.submissions import execution_counts, queue_depth


class _QueueDepth(Collector):
    """Read from the database at each scrape: the queue's truth lives there, and so do the results."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with session_scope(self.engine) as session:
            depth = queue_depth(session)
            runs = execution_counts(session)
        yield GaugeMetricFamily("grader_queue_depth", "submissions waiting to be graded", value=depth)
        results = GaugeMetricFamily("grader_results_by_execution", "stored results by how their cells ran: "
                                    "needed (demo cells skipped), fallback (a skipping run replaced by a full "
                                    "one), full", labels=["execution"])
        for run, count in runs.items():
            results.add_metric([run], count)
        yield results


class _Broker(Collector):
    """Distributed mode: whether the broker answers, and the messages waiting in each of its queues."""

    def __init__(self, depths: Callable[[], dict[str, int] | None]) -> None:
        self.depths = depths

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depths = self.depths()
        yield GaugeMetricFamily("grader_broker_up", "1 if the broker answers", value=0 if depths is None else 1)
        waiting = GaugeMetricFamily("grader_broker_messages", "messages waiting in the broker, per queue",
                                    labels=["queue"])
        for queue, count in (depths or {}).items():
            waiting.add_metric([queue], count)
        yield waiting


class _HasDepths(Protocol):
    def queue_depths(self) -> dict[str, int] | None: ...


class Metrics:
    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.results = Counter("grader_results", "finished submissions by status", ["status"],
                               registry=self.registry)
        self.latency = Histogram("grader_grading_seconds", "time from a worker taking a submission to its result",
                                 buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600), registry=self.registry)
        self.registry.register(_QueueDepth(engine))

    def watch_broker(self, publisher: _HasDepths) -> None:
        """Distributed mode: report the broker and its queues at each scrape."""
        self.registry.register(_Broker(publisher.queue_depths))

    def finished(self, _submission_id: str, status: str, seconds: float) -> None:
        self.results.labels(status=status).inc()
        self.latency.observe(seconds)
