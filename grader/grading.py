"""Grade one notebook: execute it in its own sandboxed kernel, then run the suites in this process."""

from __future__ import annotations

import logging
import secrets
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from grader.assignments import Assignment, build_data_files, load_assignment
from grader.channel import DeadTransport, KernelTransport, LocalTransport, snapshots_setup
from grader.config import Settings, get_settings
from grader.errors import ChannelError, KernelError, SuiteError
from grader.execution import ExecutionReport, execute_notebook
from grader.kernel import Kernel, blocking_client, interrupt, running_kernel
from grader.fallback import fallback_reason
from grader.needs import CellPlan, plan_cells
from grader.models import CellError, ExecutionInfo, GradeResult, SubmissionStatus
from grader.notebook import prepare_for_grading, read_notebook_file
from grader.pool import KernelPool
from grader.sandbox import warn_unsandboxed
from grader.scoring import score_outcomes
from grader.student import Student
from grader.suites import TestOutcome, TimeBudget, run_suites

log = logging.getLogger(__name__)


def grade_path(path: Path, *, assignment: str | Assignment, hidden: bool = True, seed: int | None = None,
               settings: Settings | None = None, pool: KernelPool | None = None,
               sandboxed: bool | None = None, full: bool = False) -> GradeResult:
    """Validate the notebook file at ``path`` and grade it (see ``grade_notebook``)."""
    settings = settings or get_settings()
    target = assignment if isinstance(assignment, Assignment) else load_assignment(assignment, settings)
    nb = read_notebook_file(path, max_bytes=target.max_notebook_bytes(settings))
    return grade_notebook(nb, assignment=target, hidden=hidden, seed=seed, settings=settings, pool=pool,
                          sandboxed=sandboxed, full=full)


def grade_notebook(nb: NotebookNode, *, assignment: Assignment, hidden: bool = True, seed: int | None = None,
                   settings: Settings | None = None, pool: KernelPool | None = None,
                   sandboxed: bool | None = None, full: bool = False) -> GradeResult:
    """Grade a validated notebook (see ``execute_and_grade``)."""
    return execute_and_grade(nb, assignment=assignment, hidden=hidden, seed=seed, settings=settings, pool=pool,
                             sandboxed=sandboxed, full=full)[0]


def execute_and_grade(nb: NotebookNode, *, assignment: Assignment, hidden: bool = True, seed: int | None = None,
                      settings: Settings | None = None, pool: KernelPool | None = None,
                      sandboxed: bool | None = None, full: bool = False) -> tuple[GradeResult, NotebookNode]:
    """Grade a validated notebook; returns the result and the notebook as executed (with outputs).

    Parameters
    ----------
    nb:
        A notebook that passed ``grader.notebook.parse_notebook`` (left unchanged).
    assignment:
        The assignment whose suites judge it.
    hidden:
        Run the hidden suite (and give tests the reference) besides the public tests.
    seed:
        The secret seed the tests draw inputs from; a fresh random one by default.
    pool:
        Take a warm kernel from this pool; by default one is started for this notebook.
    sandboxed:
        Run the kernel under bubblewrap (default: ``settings.sandbox``). Only
        ``grader check`` on a student's own machine passes False.
    full:
        Run every cell, whatever the manifest's ``[execution] mode``. In ``needed``
        mode only the cells the graded names depend on run (``grader.needs``); when
        the skipping could explain a lost point, the notebook is graded again with
        every cell in a fresh kernel, and that result counts (``execution.fallback``).

    Returns
    -------
    (GradeResult, NotebookNode)
        ``status`` is ``timeout`` when a cell, the whole notebook or the tests' time
        budget ran out (finished exercises keep their points) and ``error`` when the kernel died;
        a sandbox limit that killed it is named in ``execution.cell_errors``.
    """
    settings = settings or get_settings()
    seed = secrets.randbits(63) if seed is None else seed
    if pool is None:
        sandboxed = settings.sandbox if sandboxed is None else sandboxed
        if not sandboxed and hidden:
            warn_unsandboxed()

    def kernels() -> AbstractContextManager[Kernel]:
        return pool.kernel() if pool is not None else running_kernel(settings, sandboxed=bool(sandboxed))

    plan = None if full else cell_plan(nb, assignment, settings)
    with kernels() as kernel:
        result, executed = grade_in_kernel(kernel, nb, assignment=assignment, hidden=hidden, seed=seed,
                                           settings=settings, plan=plan)
    reason = fallback_reason(plan, result) if plan is not None else ""
    if not reason:
        return result, executed
    log.info("grading every cell: %s", reason)
    with kernels() as kernel:
        result, executed = grade_in_kernel(kernel, nb, assignment=assignment, hidden=hidden, seed=seed,
                                           settings=settings)
    return with_fallback(result, reason), executed


def cell_plan(nb: NotebookNode, assignment: Assignment, settings: Settings) -> CellPlan | None:
    """The cells a grading of ``nb`` runs; None for every cell (the manifest asks for a full run)."""
    if assignment.manifest.execution.mode == "full":
        return None
    prepared, _ = prepare_for_grading(nb)
    local = {Path(name).stem for name in [*assignment.manifest.support_files,
                                          *(f.name for f in assignment.manifest.data_files)]}
    return plan_cells(prepared, needed=assignment.manifest.needed_names, local_modules=local)


def with_fallback(result: GradeResult, reason: str) -> GradeResult:
    """A full run's result, saying why it replaced the run that skipped cells."""
    return result.model_copy(update={"execution": result.execution.model_copy(update={"fallback": reason})})


def grade_in_kernel(kernel: Kernel, nb: NotebookNode, *, assignment: Assignment, hidden: bool = True,
                    seed: int | None = None, settings: Settings | None = None,
                    plan: CellPlan | None = None) -> tuple[GradeResult, NotebookNode]:
    """The grading itself, in a kernel that is already started (it is left running).

    ``plan`` names the cells to skip (``cell_plan``); by default every cell runs.
    """
    settings = settings or get_settings()
    seed = secrets.randbits(63) if seed is None else seed
    nb, disarmed = prepare_for_grading(nb)
    if disarmed:
        log.info("disarmed network shell lines in cells %s", disarmed)
    reference = assignment.load_reference() if hidden else None
    if plan is not None and plan.opaque:
        log.info("grading every cell: %s", plan.opaque)
    not_run = frozenset(plan.skipped) if plan is not None else frozenset()
    report = execute_notebook(
        nb, kernel, cell_timeout=assignment.cell_timeout(settings),
        total_timeout=assignment.total_timeout(settings),
        startup_timeout=settings.kernel_startup_timeout_s,
        max_output_bytes=settings.max_cell_output_bytes,
        setup_code="\n".join(filter(None, [kernel.stage(assignment, settings),
                                            snapshots_setup(assignment.manifest.snapshot_plan)])),
        not_run=not_run,
    )
    if report.kernel_died:
        _name_the_limit(report, kernel.limit_exceeded())
    with ExitStack() as stack:
        transport, reached = _open_channel(kernel, report, stack, timeout=assignment.call_timeout(settings),
                                           settings=settings)
        outcomes = _run(assignment, student=_student(transport, assignment, settings), reference=reference,
                        seed=seed, hidden=hidden, settings=settings)
    status = _status(report) if reached else SubmissionStatus.error
    result = score_outcomes(
        assignment.manifest, outcomes, status=_budget_status(status, outcomes), require_all=hidden,
        execution=ExecutionInfo(duration_s=report.duration_s, cell_errors=report.cell_errors,
                                mode="full" if plan is None or plan.opaque else "needed",
                                skipped_cells=sorted(not_run),
                                fallback=plan.opaque if plan is not None else ""),
    )
    return result, nb


def _open_channel(kernel: Kernel, report: ExecutionReport, stack: ExitStack, *, timeout: float,
                  settings: Settings) -> tuple[Any, bool]:
    """The transport the tests talk to the notebook through; False if a live kernel kept it from opening.

    Whatever the kernel does to stop it (not answering, stalling the agent, a
    malformed reply) ends here: every test then fails with the reason, and the
    result's status is ``error``.
    """
    if not report.kernel_usable:  # the status already says why (error or timeout)
        return DeadTransport("the kernel died or stopped answering"), True
    try:
        client = stack.enter_context(blocking_client(kernel.km, timeout=timeout))
        transport = KernelTransport(client, interrupt=lambda: interrupt(kernel.km),
                                    max_reply_bytes=settings.max_reply_bytes)
        transport.install_agent(timeout=timeout)
    except (KernelError, ChannelError) as exc:
        log.info("the grading channel could not be opened: %s", exc)
        return DeadTransport(f"the grader could not reach the notebook's kernel ({exc})"), False
    return transport, True


def _name_the_limit(report: ExecutionReport, limit: str | None) -> None:
    """Replace the cell error of a kernel a sandbox limit killed with that limit's name."""
    if limit is None:
        return
    evalue = "a sandbox limit stopped the kernel"
    for index, error in enumerate(report.cell_errors):
        if error.ename == "DeadKernelError":
            report.cell_errors[index] = error.model_copy(update={"ename": limit, "evalue": evalue})
            return
    report.cell_errors.append(CellError(cell=-1, ename=limit, evalue=evalue))


def check_namespace(namespace: dict[str, Any], *, assignment: Assignment, exercise: str | None = None,
                    settings: Settings | None = None) -> GradeResult:
    """Run the public tests against a live namespace (``grader.check`` inside Jupyter)."""
    settings = settings or get_settings()
    student = _student(LocalTransport(namespace), assignment, settings)
    outcomes = _run(assignment, student=student, reference=None, seed=secrets.randbits(63), hidden=False,
                    settings=settings)
    if exercise is not None:
        outcomes = [o for o in outcomes if o.exercise == exercise]
    status = _budget_status(SubmissionStatus.graded, outcomes)
    return score_outcomes(assignment.manifest, outcomes, status=status, require_all=False,
                          execution=ExecutionInfo(duration_s=0.0, cell_errors=[]))


def _student(transport: Any, assignment: Assignment, settings: Settings) -> Student:
    return Student(transport, call_timeout=assignment.call_timeout(settings),
                   max_reply_bytes=settings.max_reply_bytes, max_reply_items=settings.max_reply_items,
                   max_reply_depth=settings.max_reply_depth,
                   exercises=frozenset(e.id for e in assignment.manifest.exercises))


def _run(assignment: Assignment, *, student: Student, reference: Any, seed: int, hidden: bool,
         settings: Settings) -> list[TestOutcome]:
    paths = [p for p in (assignment.public_tests, assignment.hidden_tests if hidden else None) if p and p.is_dir()]
    if not paths:
        raise SuiteError(f"{assignment.id} has no tests")
    data_files = {p.name: p for p in build_data_files(assignment, settings)}
    # a course keeps exercises/<id>/ and reference/<id>/ under one root; a student's kit is its own root
    rootdir = assignment.exercise_dir.parent.parent if assignment.reference_dir else assignment.exercise_dir
    budget = TimeBudget(per_exercise=assignment.exercise_budget(settings), total=assignment.suite_budget(settings))
    return run_suites(paths, student=student, reference=reference, seed=seed, data_files=data_files,
                      hidden_root=assignment.hidden_tests, rootdir=rootdir, budget=budget)


def _budget_status(status: SubmissionStatus, outcomes: list[TestOutcome]) -> SubmissionStatus:
    """``timeout`` for a grading whose tests ran out of their time budget (the points earned stay)."""
    if status == SubmissionStatus.graded and any(o.budget_ran_out for o in outcomes):
        return SubmissionStatus.timeout
    return status


def _status(report: ExecutionReport) -> SubmissionStatus:
    if report.kernel_died:
        return SubmissionStatus.error
    if report.timed_out:
        return SubmissionStatus.timeout
    return SubmissionStatus.graded
