"""The distributed mode on the machine's Redis and PostgreSQL: two workers, then faults one at a time.

One cluster for the module (a serve and two workers cost ~15 s to start); each test
leaves two cpu workers running for the next.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
import requests
from sqlalchemy import select

from grader.service.db import session_scope
from grader.service.records import Submission
from tests.utils.cluster import COMPLETE, Cluster, cluster, redis_url, stop, tiny_bytes

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

REDIS_DB = 11  # of the machine's shared Redis; tests/distributed/test_broker_outage.py runs its own server
SHOW_DEVICES = "import os\nprint('CUDA_VISIBLE_DEVICES=' + repr(os.environ.get('CUDA_VISIBLE_DEVICES')))"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with cluster(tmp_path_factory.mktemp("redis-cluster"), redis_url(REDIS_DB)) as grading:
        grading.start_workers("w1", "w2")
        yield grading


def test_forty_submissions_from_several_students_are_each_graded_exactly_once(running: Cluster) -> None:
    ids = running.submit(40)
    rows = running.assert_graded_once(ids)
    assert {row.attempts for row in rows.values()} == {1}
    graders = {result[0].worker.split("@")[0] for result in running.results(ids).values() if result[0].worker}
    assert graders == {"w1", "w2"}  # both workers took part
    ready = running.ready()
    assert (ready["http_status"], ready["mode"], ready["broker"]) == (200, "distributed", True)
    assert ready["queues"] == {"cpu": 0, "gpu": 0}
    metrics = requests.get(f"{running.server.url}/metrics", timeout=30).text
    assert "grader_broker_up 1.0" in metrics and 'grader_broker_messages{queue="cpu"} 0.0' in metrics


def _running_on(grading: Cluster, ids: list[str], worker: str, timeout: float = 60) -> str:
    """The id of a submission that ``worker`` is grading now."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(grading.engine) as session:
            held = session.scalars(select(Submission.id).where(
                Submission.id.in_(ids), Submission.status == "running",
                Submission.lease_owner.startswith(f"{worker}@"))).first()
        if held:
            return held
        time.sleep(0.1)
    raise AssertionError(f"{worker} graded none of {len(ids)} submissions within {timeout:g} s")


def test_a_worker_killed_in_the_middle_of_a_grading_loses_nothing(running: Cluster) -> None:
    ids = running.submit(4, notebook=tiny_bytes(*COMPLETE, "import time\ntime.sleep(3)"))  # long enough to kill
    victim = _running_on(running, ids, "w1")
    running.kill_worker("w1")
    rows = running.assert_graded_once(ids)
    assert rows[victim].attempts == 2  # taken back once its lease expired, then graded by the other worker
    assert running.results([victim])[victim][0].worker.startswith("w2@")  # type: ignore[union-attr]
    running.start_worker("w1")


def test_a_second_serve_on_the_same_database_grades_nothing_twice(running: Cluster) -> None:
    second = running.start_server()
    try:
        ids = [server.submit("alice", tiny_bytes(), assignment="tiny")
               for _ in range(4) for server in (running.server, second)]
        rows = running.assert_graded_once(ids)
        assert {row.attempts for row in rows.values()} == {1}
    finally:
        stop(second.process, signal.SIGINT)


def test_the_api_killed_between_commit_and_publish_loses_nothing(running: Cluster) -> None:
    stop(running.server.process, signal.SIGINT)  # the only service on the database: nobody else publishes
    doomed = running.start_server(extra_env={"GRADER_FAULT_EXIT_BEFORE_PUBLISH": "true"})
    submission_id = doomed.submit("alice", tiny_bytes(), assignment="tiny")
    assert doomed.process.wait(timeout=30) == 137
    with session_scope(running.engine) as session:
        row = session.get(Submission, submission_id)
        assert row is not None and (row.status, row.published_at) == ("queued", None)
    running.server = running.start_server()  # the restarted service finds it unpublished and publishes it
    running.assert_graded_once([submission_id])


def test_a_gpu_assignment_goes_to_a_gpu_worker_whose_kernels_see_its_device(running: Cluster) -> None:
    running.start_worker("gpu1", "--queues", "gpu", "--gpus", "0")
    notebook = tiny_bytes(*COMPLETE, SHOW_DEVICES)
    gpu_ids = running.submit(3, assignment="tiny-gpu", notebook=notebook)
    cpu_ids = running.submit(3, assignment="tiny", notebook=notebook)
    running.assert_graded_once(gpu_ids + cpu_ids)
    results = running.results(gpu_ids + cpu_ids)
    for ids, graders, devices in ((gpu_ids, {"gpu1"}, "'0'"), (cpu_ids, {"w1", "w2"}, "''")):
        assert {results[i][0].worker.split("@")[0] for i in ids} <= graders  # type: ignore[union-attr]
        for i in ids:
            executed = nbformat.read(Path(results[i][0].executed_path or ""), as_version=4)
            printed = "".join(output.get("text", "") for output in executed.cells[-1].outputs)
            assert printed.strip() == f"CUDA_VISIBLE_DEVICES={devices}"
