"""Grade a notebook without a kernel: cells run in a plain namespace in this process.

Only for OUR sample cells (buggy variants, alternatives), never for student code:
it skips the kernel start and torch import that dominate a real grading, so a
matrix of variants stays fast. The suites, fixtures and scoring are exactly the
ones real grading uses; only the transport differs (``LocalTransport``, which is
also what ``grader.check`` uses). Real-kernel gradings of the same notebooks live
beside these tests (stub, completed, original form).
"""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import torch
from nbformat import NotebookNode

from grader.agent import Snapshots
from grader.assignments import Assignment, build_data_files, stage_workdir
from grader.channel import LocalTransport
from grader.config import Settings
from grader.execution import cell_error
from grader.grading import cell_plan, with_fallback
from grader.fallback import fallback_reason
from grader.needs import CellPlan
from grader.models import ExecutionInfo, GradeResult
from grader.scoring import score_outcomes
from grader.student import Student
from grader.suites import run_suites


def grade_in_process(nb: NotebookNode, *, assignment: Assignment, settings: Settings,
                     seed: int | None = None, full: bool = False, names_read: set[str] | None = None) -> GradeResult:
    """Run the code cells with ``exec`` in a fresh namespace, then the public and hidden suites.

    As real grading does, only the cells the graded names need run unless ``full``
    or the manifest says otherwise, with a full run when the skipping could explain a lost point.
    """
    seed = secrets.randbits(63) if seed is None else seed
    plan = None if full else cell_plan(nb, assignment, settings)
    result = _grade_once(nb, assignment=assignment, settings=settings, seed=seed, plan=plan, names_read=names_read)
    reason = fallback_reason(plan, result) if plan is not None else ""
    if reason:
        return with_fallback(_grade_once(nb, assignment=assignment, settings=settings, seed=seed, plan=None), reason)
    return result


def _grade_once(nb: NotebookNode, *, assignment: Assignment, settings: Settings, seed: int,
                plan: CellPlan | None, names_read: set[str] | None = None) -> GradeResult:
    skipped = frozenset(plan.skipped) if plan is not None else frozenset()
    matplotlib.use("Agg")
    plt.close("all")  # one pyplot per process here, one per kernel in real grading
    namespace: dict[str, Any] = {"__name__": "__main__"}
    snapshots = Snapshots(assignment.manifest.snapshot_plan)  # as the kernel's post_run_cell keeps them
    errors = []
    with (tempfile.TemporaryDirectory(prefix="grader-inproc-") as workdir, _cwd(Path(workdir)),
          warnings.catch_warnings()):
        warnings.simplefilter("default")  # as in a kernel: warnings print, they do not raise,
        warnings.simplefilter("ignore", DeprecationWarning)  # and library deprecations stay quiet
        stage_workdir(assignment, Path(workdir), settings)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or index in skipped:
                continue
            source = "\n".join(line for line in cell.source.split("\n") if not line.lstrip().startswith(("!", "%")))
            try:
                exec(compile(source, f"<cell {index}>", "exec"), namespace)
            except Exception as exc:
                errors.append(cell_error(nb, index, type(exc).__name__, str(exc)))
            snapshots.after_cell(namespace)
        torch.manual_seed(0)  # as the kernel's agent does before the tests (grader.channel.RESEED)
        np.random.seed(0)
        random.seed(0)
        student = Student(LocalTransport(namespace, snapshots), call_timeout=settings.call_timeout_s,
                          max_reply_bytes=settings.max_reply_bytes,
                          exercises=frozenset(e.id for e in assignment.manifest.exercises))
        outcomes = run_suites([assignment.public_tests, assignment.hidden_tests], student=student,
                              reference=assignment.load_reference(), seed=seed,
                              hidden_root=assignment.hidden_tests, rootdir=assignment.exercise_dir.parent.parent,
                              data_files={p.name: p for p in build_data_files(assignment, settings)})
        if names_read is not None:
            names_read |= student.names_read
    mode = "full" if plan is None or plan.opaque else "needed"
    return score_outcomes(assignment.manifest, outcomes, status="graded",
                          execution=ExecutionInfo(duration_s=0.0, cell_errors=errors, mode=mode,
                                                  skipped_cells=sorted(skipped),
                                                  fallback=plan.opaque if plan is not None else ""))


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)
