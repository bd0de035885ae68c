"""The distributed mode with RabbitMQ as the broker (the machine's, on 5672) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.utils.cluster import cluster, rabbitmq_url

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_forty_submissions_over_rabbitmq_are_each_graded_exactly_once(tmp_path: Path) -> None:
    with cluster(tmp_path, rabbitmq_url()) as grading:
        grading.start_workers("r1", "r2")
        ids = grading.submit(40)
        rows = grading.assert_graded_once(ids)
        assert {row.attempts for row in rows.values()} == {1}
        workers = {results[0].worker.split("@")[0] for results in grading.results(ids).values()
                   if results[0].worker}
        assert workers == {"r1", "r2"}
        ready = grading.ready()
        assert (ready["http_status"], ready["broker"], ready["queues"]) == (200, True, {"cpu": 0, "gpu": 0})
