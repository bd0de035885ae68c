"""``grader worker``: a Celery worker whose processes grade submissions, each with its warm sandboxed pool.

A message names a submission; the process claims its lease (nothing to do if it
is not queued: a redelivered or duplicated message), grades it while a heartbeat
renews the lease, and stores the result only while the lease is still its own.
On a GPU worker each process takes one slot of ``--gpus`` for its life (a file
lock, so a process that replaces a dead one gets the freed slot): its kernels
see that device alone (``CUDA_VISIBLE_DEVICES`` and its device nodes); a CPU
worker's kernels see none.
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import worker_process_init, worker_process_shutdown
from sqlalchemy import Engine

from grader.batch import grade_file, start_worker
from grader.config import Settings
from grader.errors import ConfigError
from grader.service.broker import TASK, celery_app, queue_for
from grader.service.db import make_engine, session_scope
from grader.service.jobs import holding_lease, lost, store, take, worker_id
from grader.service.records import Submission
from grader.service.submissions import unmark_published

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerPlan:
    """What the main process decided; its processes (forked) read it."""

    settings: Settings
    node: str
    gpus: tuple[int, ...]
    slots_dir: Path  # one lock file per slot: which process has which GPU
    slots: int = 1  # as many as processes (at least one per GPU)


@dataclass
class ProcessState:
    """One grading process: its engine, its lease holder name, its settings (with its GPU)."""

    engine: Engine
    settings: Settings
    worker: str


_PLAN: WorkerPlan | None = None
_STATE: ProcessState | None = None
_SLOT_LOCK: Any = None  # held open for the process's life


def gpu_for_slot(gpus: tuple[int, ...], slot: int) -> int:
    """Slot ``slot``'s device: one per slot, round robin when there are more processes than devices."""
    return gpus[slot % len(gpus)]


def take_slot(slots_dir: Path, slots: int) -> int:
    """The first slot no living process holds (an exclusive lock the kernel drops when its holder dies)."""
    global _SLOT_LOCK
    for slot in range(slots):
        handle = open(slots_dir / f"slot-{slot}", "w")  # noqa: SIM115 - held for the process's life
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        _SLOT_LOCK = handle
        return slot
    raise ConfigError(f"every one of the {slots} GPU slots is taken")


def _start_process(**_: Any) -> None:
    """A new grading process: its GPU slot, its pool of warm kernels, its own database engine.

    Celery only logs what this signal handler raises and would hand the process
    messages anyway; a process that cannot grade exits instead (Celery starts another).
    """
    global _STATE
    assert _PLAN is not None
    try:
        settings = _PLAN.settings
        if _PLAN.gpus:
            slot = take_slot(_PLAN.slots_dir, _PLAN.slots)
            settings = settings.model_copy(update={"gpu": gpu_for_slot(_PLAN.gpus, slot)})
            log.info("grading process %d: GPU %d", os.getpid(), settings.gpu)
        start_worker(settings)
        _STATE = ProcessState(make_engine(settings), settings, worker_id(_PLAN.node))
    except BaseException as exc:  # noqa: BLE001 - whatever it is, this process must not take work
        log.critical("grading process %d cannot start (%s: %s); it exits", os.getpid(), type(exc).__name__, exc)
        os._exit(1)


def _stop_process(**_: Any) -> None:
    if _STATE is not None:
        _STATE.engine.dispose()


def grade_submission(submission_id: str) -> None:
    """The task: grade one submission if it is still queued; every outcome ends in the database."""
    assert _STATE is not None, "a grading process starts through worker_process_init"
    state = _STATE
    if _misrouted(state, submission_id):
        return
    job = take(state.engine, state.settings, submission_id, worker=state.worker)
    if job is None:
        log.info("submission %s: not queued (a duplicate message, or taken back); nothing to do", submission_id)
        return
    log.info("submission %s: running (%s) on GPU %s", submission_id, job.assignment,
             "none" if state.settings.gpu is None else state.settings.gpu)
    with holding_lease(state.engine, submission_id, worker=state.worker, lease_s=state.settings.lease_s):
        try:
            item = grade_file(job.notebook, job.assignment, executed_to=job.executed_to)
        except Exception as exc:  # noqa: BLE001 - outside grader's errors: the queue tries again
            lost(state.engine, state.settings, submission_id, f"{type(exc).__name__}: {exc}", worker=state.worker)
            return
    store(state.engine, job, item, worker=state.worker)


def _misrouted(state: ProcessState, submission_id: str) -> bool:
    """A GPU assignment's submission reached a process without a GPU (its manifest changed after it was
    published): not graded here, but marked to be published again, to the queue its manifest names now."""
    if state.settings.gpu is not None:
        return False
    with session_scope(state.engine) as session:
        submission = session.get(Submission, submission_id)
        if submission is None or submission.published_at is None:
            return False
        if queue_for(state.settings, submission.assignment_id) != "gpu":
            return False
        unmark_published(session, submission_id, published_at=submission.published_at)
    log.warning("submission %s: its assignment needs a GPU and this process has none; sent back", submission_id)
    return True


def worker_app(settings: Settings) -> Celery:
    """The Celery application with the grading task registered."""
    app = celery_app(settings)
    app.task(name=TASK, ignore_result=True)(grade_submission)
    return app


def run_worker(settings: Settings, *, queues: list[str], concurrency: int, gpus: tuple[int, ...],
               node: str) -> None:
    """Run the Celery worker in this process until it is stopped (prefork: ``concurrency`` grading processes)."""
    global _PLAN
    slots_dir = Path(tempfile.mkdtemp(prefix="grader-gpu-slots-"))
    _PLAN = WorkerPlan(settings, node, gpus, slots_dir, slots=max(concurrency, len(gpus)))
    worker_process_init.connect(_start_process, weak=False)
    worker_process_shutdown.connect(_stop_process, weak=False)
    app = worker_app(settings)
    app.worker_main(["worker", "--queues", ",".join(queues), "--concurrency", str(concurrency),
                     "--hostname", node, "--pool", "prefork", "--loglevel", "INFO",
                     "--without-gossip", "--without-mingle"])
