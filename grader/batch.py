"""Grade many notebooks in parallel: worker processes, each with its own warm kernel pool.

Processes, not threads: each grading runs pytest in-process, which is not
thread-safe. Each worker keeps ``settings.pool_size`` sandboxed kernels warm, so
only the first notebook a worker grades waits for a cold kernel.
"""

from __future__ import annotations

import csv
import ctypes
import multiprocessing
import os
import signal
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing.util import Finalize
from pathlib import Path

from grader.assignments import load_assignment
from grader.config import Settings
from grader.errors import GraderError, NotebookError
from grader.grading import execute_and_grade
from grader.models import GradeResult, SubmissionStatus
from grader.notebook import cap_outputs, read_notebook_file, write_notebook
from grader.pool import KernelPool

_POOL: KernelPool | None = None
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class BatchItem:
    """One notebook's outcome: a result, or the reason it could not be graded (``rejected``: not a gradable
    notebook; ``error``: grading itself failed)."""

    path: Path
    result: GradeResult | None
    error: str | None = None
    failed_as: SubmissionStatus = SubmissionStatus.error
    executed_path: Path | None = None  # where the notebook as it ran was written, if asked for

    @property
    def status(self) -> SubmissionStatus:
        return self.result.status if self.result else self.failed_as


def notebooks_in(paths: Iterable[Path]) -> list[Path]:
    """The notebooks named, with folders expanded to the ``.ipynb`` files inside (sorted)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        else:
            found.append(path)
    return found


def grade_many(paths: list[Path], *, assignment: str, settings: Settings, jobs: int,
               seed: int | None = None, full: bool = False) -> Iterator[BatchItem]:
    """Grade ``paths`` with ``jobs`` worker processes; yields each outcome as it finishes."""
    context = multiprocessing.get_context("spawn")  # no forked copies of this process's threads
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=start_worker,
                             initargs=(settings,)) as executor:
        pending: dict[Future[BatchItem], Path] = {
            executor.submit(grade_file, path, assignment, seed, full=full): path for path in paths
        }
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                path = pending.pop(future)
                try:
                    yield future.result()
                except Exception as exc:  # a worker crashed: say so, keep the batch going  # noqa: BLE001
                    yield BatchItem(path, None, f"grading crashed: {type(exc).__name__}: {exc}")


def write_csv(items: list[BatchItem], target: Path) -> None:
    """One row per notebook: path, status, score, max score, then each exercise's score."""
    exercise_ids: list[str] = []
    for item in items:
        for exercise in item.result.exercises if item.result else []:
            if exercise.id not in exercise_ids:
                exercise_ids.append(exercise.id)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["notebook", "status", "score", "max_score", *exercise_ids, "error"])
        for item in items:
            scores = {e.id: e.score for e in item.result.exercises} if item.result else {}
            writer.writerow([
                str(item.path), item.status, item.result.score if item.result else "",
                item.result.max_score if item.result else "", *[scores.get(i, "") for i in exercise_ids],
                item.error or "",
            ])


def start_worker(settings: Settings) -> None:
    """Initializer of a grading process: its own pool of warm sandboxed kernels."""
    global _POOL
    _die_with_parent()
    _POOL = KernelPool(settings)
    Finalize(_POOL, _POOL.close, exitpriority=10)


def _die_with_parent() -> None:
    """A grading process must not outlive the process that hands it work (e.g. ``kill -9`` of the service)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown still applies
        pass
    if os.getppid() == 1:  # the parent is already gone
        os._exit(1)


def grade_file(path: Path, assignment: str, seed: int | None = None, *,
               executed_to: Path | None = None, full: bool = False) -> BatchItem:
    """Grade one notebook file in a grading process (see ``start_worker``).

    ``executed_to``: also write the notebook as it ran there (outputs capped at
    ``settings.max_executed_notebook_bytes``), for the instructor's pages.
    ``full``: run every cell, whatever the manifest's ``[execution] mode``.
    """
    assert _POOL is not None
    settings = _POOL.settings
    try:
        target = load_assignment(assignment, settings)
        nb = read_notebook_file(path, max_bytes=target.max_notebook_bytes(settings))
    except NotebookError as exc:
        return BatchItem(path, None, str(exc), failed_as=SubmissionStatus.rejected)
    except GraderError as exc:
        return BatchItem(path, None, str(exc))
    try:
        result, executed = execute_and_grade(nb, assignment=target, seed=seed, settings=settings, pool=_POOL,
                                              full=full)
    except GraderError as exc:
        return BatchItem(path, None, str(exc))
    if executed_to is None:
        return BatchItem(path, result)
    write_notebook(cap_outputs(executed, settings.max_executed_notebook_bytes), executed_to)
    return BatchItem(path, result, executed_path=executed_to)
