"""The distributed grader on this machine: `grader serve` with a broker, `grader worker` processes, PostgreSQL.

Everything is real: the machine's PostgreSQL (a throwaway database), its Redis or
RabbitMQ (or a private `redis-server` on another port), Celery workers that grade
in the bubblewrap sandbox. The course is the plain-Python ``tiny`` assignment plus
``tiny-gpu``, the same with ``device = "gpu"`` in its manifest; kernels skip the
heavy imports (``GRADER_KERNEL_PRELOAD=false``), so a grading costs about a second.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import requests
from nbformat.v4 import new_code_cell, new_notebook
from sqlalchemy import Engine, select

from grader.config import Settings
from grader.models import FINAL_STATUSES
from grader.service.db import make_engine, session_scope
from grader.service.records import Result, Submission
from tests.conftest import FILES
from tests.utils.postgres import fresh_postgres_database
from tests.utils.service import Server, free_port, seed_roster, service_environment, start_server


STUDENTS = ("alice", "bob", "carol", "dan")
COMPLETE = ["def add(a, b):\n    return a + b", "def mean(values):\n    return sum(values) / len(values)"]


def tiny_bytes(*cells: str) -> bytes:
    """A ``tiny`` notebook with these cells (the complete solution by default: 4 of 4 points)."""
    notebook = new_notebook(cells=[new_code_cell(cell) for cell in (cells or COMPLETE)],
                            metadata={"grader": {"assignment": "tiny"}})
    return nbformat.writes(notebook).encode()


def gpu_course(root: Path) -> tuple[Path, Path]:
    """``tiny`` and ``tiny-gpu`` (its copy routed to GPU workers): (exercises, reference) folders."""
    exercises, reference = root / "exercises", root / "reference"
    for name in ("tiny", "tiny-gpu"):
        shutil.copytree(FILES / "tiny" / "exercises" / "tiny", exercises / name)
        shutil.copytree(FILES / "tiny" / "reference" / "tiny", reference / name)
    manifest = exercises / "tiny-gpu" / "manifest.toml"
    text = manifest.read_text().replace('id = "tiny"', 'id = "tiny-gpu"\ndevice = "gpu"', 1)
    manifest.write_text(text)
    return exercises, reference


@dataclass
class Cluster:
    """A distributed grader: one `grader serve` (``server``) and the `grader worker`s started so far."""

    root: Path
    env: dict[str, str]
    server: Server
    engine: Engine
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start_worker(self, name: str, *options: str, timeout: float = 90) -> subprocess.Popen[bytes]:
        """`grader worker --name NAME@test OPTIONS` (one process unless told), returned once Celery says ready."""
        return self.start_workers(name, options=options, timeout=timeout)[0]

    def start_workers(self, *names: str, options: tuple[str, ...] = (),
                      timeout: float = 90) -> list[subprocess.Popen[bytes]]:
        """Several workers started at once (each ``--name NAME@test``), returned once all are ready."""
        started = []
        for name in names:
            command = [sys.executable, "-m", "grader", "worker", "--name", f"{name}@test", *options]
            if "--concurrency" not in options:
                command += ["--concurrency", "1"]
            with open(self.root / f"{name}.log", "ab") as stderr:
                self.workers[name] = subprocess.Popen(command, env=self.env, stdout=stderr, stderr=stderr)
            started.append(self.workers[name])
        for name in names:
            wait_for_line(self.root / f"{name}.log", f"{name}@test ready.", self.workers[name], timeout)
        return started

    def kill_worker(self, name: str) -> None:
        """``kill -9`` of the worker's main process (its grading processes and kernels die with it)."""
        process = self.workers.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def submit(self, count: int, assignment: str = "tiny", notebook: bytes | None = None) -> list[str]:
        """``count`` uploads, round robin over the students; their ids."""
        data = notebook or tiny_bytes()
        return [self.server.submit(STUDENTS[i % len(STUDENTS)], data, assignment=assignment) for i in range(count)]

    def wait_final(self, ids: list[str], timeout: float = 240) -> dict[str, Submission]:
        """Every submission once all have a final status (failing with how many are left after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            with session_scope(self.engine) as session:
                rows = {row.id: row for row in session.scalars(select(Submission).where(Submission.id.in_(ids)))}
            left = [i for i in ids if rows[i].status not in FINAL_STATUSES]
            if not left:
                return rows
            assert time.monotonic() < deadline, f"{len(left)} of {len(ids)} not final after {timeout:g} s"
            time.sleep(0.3)

    def results(self, ids: list[str]) -> dict[str, list[Result]]:
        """Every result row of each submission (exactly one each, when nothing was graded twice)."""
        with session_scope(self.engine) as session:
            rows = session.scalars(select(Result).where(Result.submission_id.in_(ids))).all()
        found: dict[str, list[Result]] = {i: [] for i in ids}
        for row in rows:
            found[row.submission_id].append(row)
        return found

    def assert_graded_once(self, ids: list[str], timeout: float = 240) -> dict[str, Submission]:
        """0 lost and exactly one result each: all ``graded``, 4/4, one result version, one result row."""
        rows = self.wait_final(ids, timeout)
        statuses = {i: rows[i].status for i in ids}
        assert set(statuses.values()) == {"graded"}, statuses
        results = self.results(ids)
        assert {i: len(r) for i, r in results.items()} == {i: 1 for i in ids}
        assert {rows[i].result_version for i in ids} == {1}
        assert {r[0].score for r in results.values()} == {4.0}
        return rows

    def start_server(self, *, extra_env: dict[str, str] | None = None, wait: bool = True) -> Server:
        """Another `grader serve` on the same database and broker."""
        port = free_port()
        env = {**self.env, **(extra_env or {})}
        log = self.root / f"serve-{port}.log"
        if wait:
            process = start_server(env, port=port, workers=None, log=log)
        else:
            with open(log, "ab") as stderr:
                process = subprocess.Popen([sys.executable, "-m", "grader", "serve", "--port", str(port)],
                                           env=env, stdout=subprocess.DEVNULL, stderr=stderr)
            wait_for_line(log, "Application startup complete", process, 60)
        return Server(f"http://127.0.0.1:{port}", self.server.data_dir, process, self.server.tokens)

    def ready(self) -> dict[str, object]:
        answer = requests.get(f"{self.server.url}/readyz", timeout=30)
        body: dict[str, object] = answer.json()
        body["http_status"] = answer.status_code
        return body


def wait_for_line(log: Path, text: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in (log.read_text(errors="replace") if log.exists() else ""):
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{text!r} not in {log} after {timeout:g} s\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def stop(process: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGTERM, timeout: float = 30) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def cluster(root: Path, broker_url: str, **extra_env: str) -> Iterator[Cluster]:
    """`grader serve` over a fresh PostgreSQL database and ``broker_url``; no workers yet."""
    exercises, reference = gpu_course(root)
    data_dir = root / "data"
    with fresh_postgres_database() as database_url:
        env = {**service_environment(data_dir), "GRADER_DATABASE_URL": database_url,
               "GRADER_BROKER_URL": broker_url, "GRADER_EXERCISES_DIR": str(exercises),
               "GRADER_REFERENCE_DIR": str(reference), "GRADER_SUBMISSIONS_PER_MINUTE": "1000",
               "GRADER_KERNEL_PRELOAD": "false", "GRADER_LEASE_S": "10", **extra_env}  # heartbeats every 3.3 s
        tokens = seed_roster(data_dir, database_url=database_url, students=STUDENTS)
        port = free_port()
        process = start_server(env, port=port, workers=None, log=root / "serve.log")
        engine = make_engine(Settings(data_dir=data_dir, database_url=database_url))
        running = Cluster(root, env, Server(f"http://127.0.0.1:{port}", data_dir, process, tokens), engine)
        try:
            yield running
        finally:
            for worker in running.workers.values():
                stop(worker, signal.SIGKILL)
            for server in {process, running.server.process}:  # a test may have replaced the service
                stop(server, signal.SIGINT)
            engine.dispose()


def redis_url(db: int) -> str:
    """A database of the machine's shared Redis, emptied first (each test module takes its own number)."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379, db=db)
    client.flushdb()
    client.close()
    return f"redis://127.0.0.1:6379/{db}"


def rabbitmq_url() -> str:
    """The machine's RabbitMQ, its grading queues emptied first (left-overs would only be no-ops, but slow)."""
    from kombu.connection import Connection

    url = "amqp://guest:guest@127.0.0.1:5672//"
    with Connection(url) as connection:
        for queue in ("cpu", "gpu"):
            channel = connection.channel()
            try:
                channel.queue_purge(queue)
            except connection.channel_errors:  # never declared: nothing to empty
                pass
            finally:
                try:
                    channel.close()
                except connection.channel_errors:
                    pass
    return url

