"""The service's Prometheus metrics, in a registry of its own (one per app)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from grader.service.db import session_scope
from grader.service.submissions import queue_depth


class _QueueDepth(Collector):
    """Read from the database at each scrape: the queue's truth lives there."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with session_scope(self.engine) as session:
            depth = queue_depth(session)
        yield GaugeMetricFamily("grader_queue_depth", "submissions waiting to be graded", value=depth)


class Metrics:
    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.results = Counter("grader_results", "finished submissions by status", ["status"],
                               registry=self.registry)
        self.latency = Histogram("grader_grading_seconds", "time from a worker taking a submission to its result",
                                 buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600), registry=self.registry)
        self.registry.register(_QueueDepth(engine))

    def finished(self, _submission_id: str, status: str, seconds: float) -> None:
        self.results.labels(status=status).inc()
        self.latency.observe(seconds)
