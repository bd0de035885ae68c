"""The distributed mode's bookkeeping in the database: which queued submissions still need sending to the
broker, who sends each one, and a grading whose attempts are spent (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import fcntl
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from grader.config import Settings
from grader.errors import ConfigError
from grader.service.db import session_scope
from grader.service.jobs import take
from grader.service.records import Submission, utcnow
from grader.service.publisher import lost_messages
from grader.service.submissions import (claim, finish, mark_published, published_waiting, recover,
                                        regrade_submission, requeue, to_publish, unmark_published)
from grader.service import worker
from grader.service.worker import gpu_for_slot, take_slot
from tests.utils.records import add_student, submit, toy_result


def _pending(engine: Engine) -> list[str]:
    """What the publisher would send now."""
    with session_scope(engine) as session:
        return [submission_id for submission_id, _ in to_publish(session, limit=10)]


def _mark(engine: Engine, submission_id: str) -> dt.datetime | None:
    """Publish it as a service would: the time of the mark, or None if another service has it."""
    now = utcnow()
    with session_scope(engine) as session:
        return now if mark_published(session, submission_id, now=now) else None


def test_a_queued_submission_is_sent_once_until_the_broker_refuses_it(engine: Engine, settings: Settings) -> None:
    user = add_student(engine)
    first, second = submit(engine, settings, user), submit(engine, settings, user)
    assert _pending(engine) == [first, second]  # oldest first
    marked = _mark(engine, first)
    assert marked and not _mark(engine, first)  # a second service does not send it again
    assert _pending(engine) == [second]
    with session_scope(engine) as session:
        unmark_published(session, first, published_at=marked - dt.timedelta(seconds=1))  # not the mark we saw
    assert _pending(engine) == [second]
    with session_scope(engine) as session:
        unmark_published(session, first, published_at=marked)  # the broker refused it
    assert _pending(engine) == [first, second]
    assert _mark(engine, first) and _mark(engine, second)
    assert _pending(engine) == []
    with session_scope(engine) as session:
        waiting = published_waiting(session, before=utcnow() + dt.timedelta(seconds=1))
    assert [submission_id for submission_id, _, _ in waiting] == [first, second]


def test_what_the_broker_cannot_be_holding_is_sent_again_longest_waiting_first() -> None:
    t = [utcnow() + dt.timedelta(seconds=i) for i in range(4)]
    waiting = [("a", "cpu", t[0]), ("b", "gpu", t[1]), ("c", "cpu", t[2]), ("d", "cpu", t[3])]
    assert lost_messages(waiting, {"cpu": 3, "gpu": 1}) == []  # every one may still be on the broker
    assert lost_messages(waiting, {"cpu": 5, "gpu": 1}) == []  # duplicates: more messages than submissions
    assert lost_messages(waiting, {"cpu": 1, "gpu": 1}) == [("a", t[0]), ("c", t[2])]
    assert lost_messages(waiting, {"cpu": 0, "gpu": 0}) == [("a", t[0]), ("c", t[2]), ("d", t[3]), ("b", t[1])]


def test_a_submission_taken_back_or_regraded_is_sent_again(engine: Engine, settings: Settings) -> None:
    expired, lost, regraded = (submit(engine, settings, add_student(engine, email=f"{who}@example.org"))
                               for who in ("ada", "bo", "cy"))
    for submission_id in (expired, lost, regraded):
        assert _mark(engine, submission_id)
    with session_scope(engine) as session:
        assert claim(session, expired, worker="a", lease_s=1) and claim(session, lost, worker="a", lease_s=60)
        assert claim(session, regraded, worker="a", lease_s=60)
        assert finish(session, regraded, result=toy_result(4.0), worker="a")
    assert _pending(engine) == []  # running or final: nothing to send
    with session_scope(engine) as session:
        assert recover(session, now=utcnow() + dt.timedelta(seconds=2)) == 1
        assert requeue(session, lost, worker="a")
        assert regrade_submission(session, regraded)
    assert sorted(_pending(engine)) == sorted([expired, lost, regraded])


def test_a_duplicate_message_is_a_no_op_and_spent_attempts_end_in_error(engine: Engine, settings: Settings) -> None:
    submission_id = submit(engine, settings, add_student(engine))
    job = take(engine, settings, submission_id, worker="w1")
    assert job is not None and job.assignment == "toy" and job.notebook.exists()
    assert take(engine, settings, submission_id, worker="w2") is None  # redelivered while w1 grades
    for _ in range(settings.max_attempts):  # its grading process dies every time; the lease expires
        with session_scope(engine) as session:
            assert recover(session, now=utcnow() + dt.timedelta(seconds=settings.lease_s + 1)) == 1
        job = take(engine, settings, submission_id, worker="w1")
    assert job is None
    with session_scope(engine) as session:
        row = session.get(Submission, submission_id)
        assert row is not None and row.status == "error" and row.result is None
        assert row.error == f"grading failed {settings.max_attempts} times (its grading process was lost each time)"


def test_each_grading_process_of_a_gpu_worker_holds_its_own_slot(tmp_path: Path) -> None:
    assert [gpu_for_slot((0, 1), slot) for slot in range(4)] == [0, 1, 0, 1]
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from grader.service.worker import take_slot; "
        f"print(take_slot(Path({str(tmp_path)!r}), 2), flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "0"
        assert take_slot(tmp_path, 2) == 1  # slot 0 is held by a living process
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    replacement = subprocess.run([sys.executable, "-c", (
        "from pathlib import Path; from grader.service.worker import take_slot; "
        f"print(take_slot(Path({str(tmp_path)!r}), 2))")], capture_output=True, text=True, check=True)
    assert replacement.stdout.strip() == "0"  # the dead holder's slot went to its replacement
    with pytest.raises(ConfigError, match="every one of the 2 GPU slots is taken"):
        with open(tmp_path / "slot-0", "w") as other:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            take_slot(tmp_path, 2)  # this process already holds slot 1
    worker._SLOT_LOCK.close()


def test_a_gpu_submission_that_reaches_a_process_without_a_gpu_is_sent_back(engine: Engine,
                                                                              settings: Settings) -> None:
    submission_id = submit(engine, settings, add_student(engine))
    assert _mark(engine, submission_id)
    cpu_process = worker.ProcessState(engine, settings, "cpu@test:1:ab")
    assert not worker._misrouted(cpu_process, submission_id)  # a cpu assignment: graded here
    manifest = settings.exercises_dir / "toy" / "manifest.toml"
    manifest.write_text(manifest.read_text().replace('id = "toy"', 'id = "toy"\ndevice = "gpu"', 1))
    gpu_process = worker.ProcessState(engine, settings.model_copy(update={"gpu": 0}), "gpu@test:1:ab")
    assert not worker._misrouted(gpu_process, submission_id)
    assert worker._misrouted(cpu_process, submission_id)  # its manifest says gpu now
    assert _pending(engine) == [submission_id]  # to be published again, to the gpu queue
    with session_scope(engine) as session:
        row = session.get(Submission, submission_id)
        assert row is not None and (row.status, row.attempts) == ("queued", 0)


def test_a_grading_process_that_cannot_start_exits_instead_of_taking_messages(tmp_path: Path) -> None:
    started = subprocess.run([sys.executable, "-c", (
        "from pathlib import Path; from grader.config import Settings; from grader.service import worker; "
        f"worker._PLAN = worker.WorkerPlan(Settings(), 'gpu@test', (0,), Path({str(tmp_path / 'gone')!r})); "
        "worker._start_process(); print('took work')")], capture_output=True, text=True, timeout=120)
    assert started.returncode == 1 and "took work" not in started.stdout
    assert "cannot start (FileNotFoundError" in started.stderr
