"""The broker goes away while uploads arrive: a private `redis-server` (never the machine's shared one),
stopped and started again without its messages (no persistence): nothing is lost, nothing graded twice."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.utils.cluster import Cluster, cluster, stop
from tests.utils.service import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


class PrivateRedis:
    """`redis-server` on a port of its own, keeping nothing on disk, that a test may stop and start."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        server = shutil.which("redis-server")
        assert server, "redis-server is not installed (Debian's redis-server package)"
        self.process = subprocess.Popen([server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no"], stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "the private redis-server did not start"
                time.sleep(0.1)
        client.close()

    def stop(self) -> None:
        assert self.process is not None
        stop(self.process)


@pytest.fixture
def broker() -> Iterator[PrivateRedis]:
    private = PrivateRedis(free_port())
    private.start()
    yield private
    private.stop()


def test_uploads_while_the_broker_is_down_are_accepted_and_graded_once_it_is_back(
        tmp_path: Path, broker: PrivateRedis) -> None:
    # the restarted broker lost the messages it held: the service sees their queue empty and sends them again
    with cluster(tmp_path, f"redis://127.0.0.1:{broker.port}/0") as grading:
        grading.start_worker("o1")
        before = grading.submit(4)
        broker.stop()
        during = grading.submit(4)  # still 202: stored, queued, published once the broker is back
        _wait_not_ready(grading)
        broker.start()
        rows = grading.assert_graded_once(before + during)
        assert {row.attempts for row in rows.values()} <= {1, 2}
        ready = grading.ready()
        assert (ready["http_status"], ready["broker"]) == (200, True)


def _wait_not_ready(grading: Cluster, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while (ready := grading.ready())["http_status"] != 503:
        assert time.monotonic() < deadline, f"still ready with the broker down: {ready}"
        time.sleep(0.2)
    assert (ready["broker"], ready["database"], ready["queues"]) == (False, True, None)
