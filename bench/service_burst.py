"""A burst of small submissions over HTTP against `grader serve`: none lost, none duplicated, all graded.

``.venv/bin/python bench/service_burst.py [--submissions 200] [--clients 20] [--workers 2]``

Starts `grader serve` on a free port with a fresh SQLite database and the toy
assignment (tests/files/toy: four small exercises), adds one student per client,
and has every client upload its share of notebooks as fast as it can, then follow
them one at a time (a status read every 0.5 s, as ``grader submit`` does) until
all are final. Reports submissions graded per minute (first
upload to last result) and the p50/p99 latency of the status reads made during
the burst, then checks the database: one row and one result per upload.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.config import REPO_ROOT, Settings  # noqa: E402
from grader.service.db import make_engine, migrate, session_scope  # noqa: E402
from grader.service.records import Result, Submission  # noqa: E402
from grader.service.roster import add_member  # noqa: E402
from tests.utils.service import free_port, start_server  # noqa: E402
from tests.utils.toy import toy_bytes  # noqa: E402

FINAL = ("graded", "timeout", "error", "rejected")
TOY = REPO_ROOT / "tests" / "files" / "toy"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="burst-") as folder:
        data_dir = Path(folder) / "data"
        env = {**os.environ, "GRADER_DATA_DIR": str(data_dir), "GRADER_EXERCISES_DIR": str(TOY / "exercises"),
               "GRADER_REFERENCE_DIR": str(TOY / "reference"), "GRADER_CACHE_DIR": str(Path(folder) / "cache"),
               "GRADER_SUBMISSIONS_PER_MINUTE": "1000"}
        settings = Settings(data_dir=data_dir)
        engine = make_engine(settings)
        migrate(engine)
        with session_scope(engine) as session:
            tokens = [add_member(session, name=f"Student {i}", email=f"s{i}@burst.invalid").token
                      for i in range(args.clients)]
        port = free_port()
        server = start_server(env, port=port, workers=args.workers)
        try:
            url = f"http://127.0.0.1:{port}"
            notebook = toy_bytes()
            reads: list[float] = []
            ids: list[str] = []
            lock = threading.Lock()
            shares = [args.submissions // args.clients + (i < args.submissions % args.clients)
                      for i in range(args.clients)]
            started = time.perf_counter()
            threads = [threading.Thread(target=_client, args=(url, token, notebook, share, reads, ids, lock))
                       for token, share in zip(tokens, shares)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=60)
        with session_scope(engine) as session:
            rows = session.scalar(select(func.count(Submission.id))) or 0
            graded = session.scalar(select(func.count(Submission.id)).where(Submission.status == "graded")) or 0
            results = session.scalar(select(func.count(Result.id))) or 0
            distinct = session.scalar(select(func.count(func.distinct(Result.submission_id)))) or 0
        engine.dispose()
    reads.sort()
    print(f"{args.submissions} submissions from {args.clients} clients, {args.workers} workers: "
          f"{elapsed:.1f} s, {args.submissions / elapsed * 60:.0f} submissions/min")
    print(f"status reads during the burst: {len(reads)}, p50 {statistics.median(reads) * 1000:.1f} ms, "
          f"p99 {reads[int(len(reads) * 0.99) - 1] * 1000:.1f} ms")
    print(f"database: {rows} submissions ({graded} graded), {results} results for {distinct} submissions; "
          f"accepted ids {len(ids)} ({len(set(ids))} distinct)")
    lost_or_doubled = not (rows == results == distinct == graded == len(set(ids)) == args.submissions)
    print("none lost, none duplicated, all graded" if not lost_or_doubled else "MISMATCH")
    sys.exit(1 if lost_or_doubled else 0)


def _client(url: str, token: str, notebook: bytes, count: int, reads: list[float], ids: list[str],
            lock: threading.Lock) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    mine = []
    for _ in range(count):
        answer = session.post(f"{url}/api/v1/submissions", data={"assignment": "toy"},
                              files={"notebook": ("toy.ipynb", notebook, "application/x-ipynb+json")}, timeout=60)
        answer.raise_for_status()
        mine.append(answer.json()["id"])
    # like `grader submit`: follow one submission at a time, one status read every 0.5 s
    for submission_id in mine:
        while True:
            started = time.perf_counter()
            status = session.get(f"{url}/api/v1/submissions/{submission_id}", timeout=60).json()["status"]
            with lock:
                reads.append(time.perf_counter() - started)
            if status in FINAL:
                break
            time.sleep(0.5)
    with lock:
        ids.extend(mine)


if __name__ == "__main__":
    main()
