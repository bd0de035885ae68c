"""`grader serve` and `grader worker` refuse to start, in one line, when their database or broker does not
answer or an option is wrong (real connections: nothing listens on the ports they are given)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.config import get_settings
from tests.utils.postgres import fresh_postgres_database
from tests.utils.service import free_port


def _run(tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    """The CLI in this process (each check fails before anything starts): exit code and stderr."""
    from typer.testing import CliRunner

    from grader.cli import app

    get_settings.cache_clear()
    try:
        done = CliRunner().invoke(app, list(args), env={"GRADER_DATA_DIR": str(tmp_path / "data"),
                                                         "COLUMNS": "200", **env})
    finally:
        get_settings.cache_clear()
    return done.exit_code, done.stderr


def _one_line_error(code: int, stderr: str, *expected: str) -> None:
    assert code == 2, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("error: ") and "Traceback" not in stderr, stderr
    for text in expected:
        assert text in stderr, stderr


def test_serve_refuses_to_start_when_the_broker_does_not_answer(tmp_path: Path) -> None:
    port = free_port()
    code, stderr = _run(tmp_path, "serve", GRADER_BROKER_URL=f"redis://:secret@127.0.0.1:{port}/0")
    _one_line_error(code, stderr, f"cannot reach the broker at redis://:**@127.0.0.1:{port}/0", "refused")
    assert "secret" not in stderr


def test_serve_refuses_to_start_when_the_database_does_not_answer(tmp_path: Path) -> None:
    port = free_port()
    code, stderr = _run(tmp_path, "serve",
                        GRADER_DATABASE_URL=f"postgresql+psycopg://grader:secret@127.0.0.1:{port}/grader")
    _one_line_error(code, stderr, f"cannot reach the database at postgresql+psycopg://grader:***@127.0.0.1:{port}",
                    "refused")
    assert "secret" not in stderr


def test_serve_in_the_distributed_mode_has_no_grading_processes_to_count(tmp_path: Path) -> None:
    code, stderr = _run(tmp_path, "serve", "--workers", "2", GRADER_BROKER_URL="redis://127.0.0.1:6379/0")
    _one_line_error(code, stderr, "--workers is for the embedded mode")


@pytest.mark.parametrize(("args", "expected"), [
    (["--queues", "tpu"], "--queues takes cpu, gpu or cpu,gpu, not 'tpu'"),
    (["--queues", "gpu"], "a gpu worker needs the devices it may use: --gpus 0"),
    (["--gpus", "0"], "--gpus is for a worker of the gpu queue"),
    (["--queues", "gpu", "--gpus", "first"], "--gpus takes device indices separated by commas"),
    (["--concurrency", "0"], "--concurrency takes a number of processes, at least 1, not 0"),
])
def test_worker_options_are_checked_before_anything_starts(tmp_path: Path, args: list[str], expected: str) -> None:
    code, stderr = _run(tmp_path, "worker", *args, GRADER_BROKER_URL="redis://127.0.0.1:6379/0")
    _one_line_error(code, stderr, expected)


def test_a_worker_needs_a_broker_and_a_migrated_database(tmp_path: Path) -> None:
    code, stderr = _run(tmp_path, "worker")
    _one_line_error(code, stderr, "grader worker needs a broker: set GRADER_BROKER_URL")
    with fresh_postgres_database() as url:  # reachable, but no `grader serve` has migrated it yet
        code, stderr = _run(tmp_path, "worker", GRADER_BROKER_URL="redis://127.0.0.1:6379/0",
                            GRADER_DATABASE_URL=url)
    _one_line_error(code, stderr, "the database is at migration none", "start grader serve first")


@pytest.mark.parametrize(("url", "expected"), [
    ("foo://broker", "GRADER_BROKER_URL: 'foo' is not a broker Celery can use here"),
    ("redis://127.0.0.1:six/0", "GRADER_BROKER_URL: the port in 'redis://127.0.0.1:six/0' is not a number"),
])
def test_a_broker_url_celery_cannot_use_is_one_line(tmp_path: Path, url: str, expected: str) -> None:
    for command in ("serve", "worker"):
        code, stderr = _run(tmp_path, command, GRADER_BROKER_URL=url)
        _one_line_error(code, stderr, "invalid settings", expected)
