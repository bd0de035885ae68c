"""The service end to end over real HTTP: `grader serve` (uvicorn) in its own process, real grading.

One server per module (starting one costs a few seconds); the crash test starts
and kills its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
import requests
from nbformat.v4 import new_code_cell
from sqlalchemy import func, select

from grader.config import REPO_ROOT, Settings
from grader.service.db import make_engine, session_scope
from grader.service.records import Result, Submission
from tests.utils.notebooks import complete_notebook
from tests.utils.service import Server, free_port, seed_roster, service_environment, serving, start_server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

STUB = REPO_ROOT / "exercises" / "mlp-basics" / "mlp-basics.ipynb"


def _start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    return start_server(service_environment(data_dir), port=port, workers=1, log=data_dir.parent / "serve.log")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("service") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def completed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("notebooks") / "mlp-basics.ipynb"
    nbformat.write(complete_notebook("mlp-basics"), path)
    return path


def test_the_reference_notebook_gets_full_marks_and_only_its_owner_and_instructors_see_it(
        server: Server, completed: Path) -> None:
    submission_id = server.submit("alice", completed)
    body = server.wait("alice", submission_id, until=("graded", "timeout", "error", "rejected"))
    assert body["status"] == "graded" and body["attempts"] == 1 and body["late"] is False
    result = body["result"]
    assert isinstance(result, dict) and (result["score"], result["max_score"]) == (10.0, 10.0)
    assert body["queued_at"] and body["started_at"] and body["finished_at"]
    other = requests.get(f"{server.url}/api/v1/submissions/{submission_id}", headers=server.headers("bob"),
                         timeout=30)
    assert other.status_code == 404
    teacher = requests.get(f"{server.url}/api/v1/submissions/{submission_id}", headers=server.headers("teacher"),
                           timeout=30)
    assert teacher.status_code == 200 and teacher.json()["result"]["score"] == 10.0
    listed = requests.get(f"{server.url}/api/v1/assignments/mlp-basics/submissions",
                          headers=server.headers("teacher"), timeout=30).json()
    assert submission_id in [s["id"] for s in listed]
    mine = requests.get(f"{server.url}/api/v1/submissions", headers=server.headers("bob"), timeout=30).json()
    assert mine == []


def test_grader_submit_prints_the_results_and_its_exit_code_says_graded_or_not(server: Server) -> None:
    env = {**os.environ, "GRADER_SERVER": server.url, "GRADER_TOKEN": server.tokens["bob"], "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-m", "grader", "submit", str(STUB), "-a", "mlp-basics"],
                          capture_output=True, text=True, env=env, timeout=240, check=False)
    assert "mlp-basics: 0 / 10 (graded)" in proc.stdout, proc.stdout + proc.stderr
    assert proc.returncode == 0  # graded, though with nothing earned
    wrong = subprocess.run([sys.executable, "-m", "grader", "submit", str(STUB), "-a", "nope"], capture_output=True,
                           text=True, env=env, timeout=60, check=False)
    assert wrong.returncode == 2 and "404: unknown assignment 'nope'" in wrong.stderr


def test_metrics_count_results_and_the_queue(server: Server) -> None:
    text = requests.get(f"{server.url}/metrics", timeout=30).text
    assert "grader_queue_depth" in text and "grader_grading_seconds_bucket" in text
    assert 'grader_results_total{status="graded"}' in text
    # the completed notebook skipped its demo cells; no grading fell back to a full run
    needed = next(line for line in text.splitlines() if line.startswith('grader_results_by_execution{execution="needed"}'))
    assert float(needed.split()[-1]) >= 1
    assert 'grader_results_by_execution{execution="fallback"} 0.0' in text


def test_a_killed_server_finishes_the_running_submission_after_restart(tmp_path: Path) -> None:
    """kill -9 while a submission is running; on restart it is graded, with exactly one result row."""
    data_dir = tmp_path / "data"
    tokens = seed_roster(data_dir)
    slow = complete_notebook("mlp-basics")
    slow.cells.insert(0, new_code_cell("import time\ntime.sleep(6)"))
    notebook = tmp_path / "slow.ipynb"
    nbformat.write(slow, notebook)
    port = free_port()
    process = _start(data_dir, port)
    server = Server(f"http://127.0.0.1:{port}", data_dir, process, tokens)
    try:
        submission_id = server.submit("alice", notebook)
        server.wait("alice", submission_id, until=("running",), timeout=60)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        server.process = process = _start(data_dir, port)
        body = server.wait("alice", submission_id, until=("graded", "timeout", "error", "rejected"))
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert body["status"] == "graded" and body["attempts"] == 2
    assert body["result"]["score"] == 10.0  # type: ignore[index]
    engine = make_engine(Settings(data_dir=data_dir))
    with session_scope(engine) as session:
        assert session.scalar(select(func.count(Result.id)).where(Result.submission_id == submission_id)) == 1
        assert session.get(Submission, submission_id).status == "graded"  # type: ignore[union-attr]
    engine.dispose()


def test_a_second_service_on_the_same_database_never_grades_the_first_ones_submission(tmp_path: Path) -> None:
    """Start-up recovery takes back only expired leases: the first service's grading is not redone."""
    data_dir = tmp_path / "data"
    tokens = seed_roster(data_dir)
    slow = complete_notebook("mlp-basics")
    slow.cells.insert(0, new_code_cell("import time\ntime.sleep(15)"))  # more than two heartbeats (lease 6 s)
    notebook = tmp_path / "slow.ipynb"
    nbformat.write(slow, notebook)
    first_port, second_port = free_port(), free_port()
    first = Server(f"http://127.0.0.1:{first_port}", data_dir, _start(data_dir, first_port), tokens)
    second = None
    try:
        submission_id = first.submit("alice", notebook)
        first.wait("alice", submission_id, until=("running",), timeout=60)
        second = _start(data_dir, second_port)  # its start-up and its sweeps run while the first grades
        body = first.wait("alice", submission_id, until=("graded", "timeout", "error", "rejected"))
    finally:
        for process in (first.process, second):
            if process is not None:
                process.send_signal(signal.SIGINT)
                process.wait(timeout=30)
    assert (body["status"], body["attempts"]) == ("graded", 1)
    engine = make_engine(Settings(data_dir=data_dir))
    with session_scope(engine) as session:
        assert session.scalar(select(func.count(Result.id)).where(Result.submission_id == submission_id)) == 1
    engine.dispose()
