"""Start `grader serve` in its own process and wait until it is ready (e2e tests and the burst bench)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(env: dict[str, str], *, port: int, workers: int, log: Path | None = None,
                 timeout: float = 60) -> subprocess.Popen[bytes]:
    """`grader serve` on 127.0.0.1:``port``, returned once /readyz answers 200 (stderr to ``log``)."""
    with open(log or "/dev/null", "ab") as stderr:  # the child keeps its own copy of the fd
        process = subprocess.Popen([sys.executable, "-m", "grader", "serve", "--port", str(port),
                                    "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=stderr)
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
