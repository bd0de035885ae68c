"""Start `grader serve` in its own process and wait until it is ready (e2e tests and the burst bench)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests


def service_environment(data_dir: Path) -> dict[str, str]:
    """The environment of a `grader serve` whose database and stored notebooks live in ``data_dir``."""
    # short leases: a killed service's submission is taken back within seconds, not a minute
    return {**os.environ, "GRADER_DATA_DIR": str(data_dir), "GRADER_POOL_SIZE": "1",
            "GRADER_CACHE_DIR": str(data_dir.parent / "cache"), "GRADER_LEASE_S": "6"}


def seed_roster(data_dir: Path, *, database_url: str | None = None,
                students: tuple[str, ...] = ("alice", "bob")) -> dict[str, str]:
    """``students`` and Tess (instructor, "teacher") on the roster of the database (``data_dir``'s SQLite
    unless ``database_url``); their tokens by name."""
    from grader.config import Settings
    from grader.service.db import make_engine, migrate, session_scope
    from grader.service.records import Role
    from grader.service.roster import add_member

    engine = make_engine(Settings(data_dir=data_dir, database_url=database_url))
    migrate(engine)
    with session_scope(engine) as session:
        tokens = {who: add_member(session, name=who.title(), email=f"{who}@example.org").token for who in students}
        tokens["teacher"] = add_member(session, name="Tess", email="tess@example.org", role=Role.instructor).token
    engine.dispose()
    return tokens


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(env: dict[str, str], *, port: int, workers: int | None, log: Path | None = None,
                 timeout: float = 60) -> subprocess.Popen[bytes]:
    """`grader serve` on 127.0.0.1:``port``, returned once /readyz answers 200 (stderr to ``log``);
    ``workers=None`` for the distributed mode (the workers are `grader worker`s)."""
    command = [sys.executable, "-m", "grader", "serve", "--port", str(port)]
    command += [] if workers is None else ["--workers", str(workers)]
    with open(log or "/dev/null", "ab") as stderr:  # the child keeps its own copy of the fd
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process
        except requests.ConnectionError:
            pass
        if process.poll() is not None:
            tail = log.read_text()[-2000:] if log else ""
            raise RuntimeError(f"grader serve exited with {process.returncode}\n{tail}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"grader serve was not ready within {timeout:g} s")
        time.sleep(0.2)


@dataclass
class Server:
    """A running `grader serve` and the people on its roster."""

    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def submit(self, who: str, notebook: Path | bytes, assignment: str = "mlp-basics") -> str:
        """Upload over the API with ``who``'s bearer token; returns the submission id."""
        data = notebook.read_bytes() if isinstance(notebook, Path) else notebook
        answer = requests.post(f"{self.url}/api/v1/submissions", headers=self.headers(who),
                               data={"assignment": assignment},
                               files={"notebook": ("notebook.ipynb", data, "application/x-ipynb+json")}, timeout=30)
        assert answer.status_code == 202, answer.text
        return str(answer.json()["id"])

    def wait(self, who: str, submission_id: str, until: tuple[str, ...], timeout: float = 180) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while True:
            body: dict[str, object] = requests.get(f"{self.url}/api/v1/submissions/{submission_id}",
                                                   headers=self.headers(who), timeout=30).json()
            if body["status"] in until:
                return body
            assert time.monotonic() < deadline, f"still {body['status']} after {timeout} s"
            time.sleep(0.2)


@contextmanager
def serving(data_dir: Path) -> Iterator[Server]:
    """`grader serve` (one worker) over ``data_dir`` with the seeded roster, on a free port; interrupted after."""
    port = free_port()
    tokens = seed_roster(data_dir)
    process = start_server(service_environment(data_dir), port=port, workers=1, log=data_dir.parent / "serve.log")
    try:
        yield Server(f"http://127.0.0.1:{port}", data_dir, process, tokens)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
