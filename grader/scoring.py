"""Turn test outcomes into exercise scores and the result contract."""

from __future__ import annotations

import dataclasses
import math

from grader.assignments import Manifest
from grader.errors import SuiteError
from grader.models import (
    CELL_TIMEOUT,
    NOTEBOOK_TIMEOUT,
    ExecutionInfo,
    ExerciseResult,
    GradeResult,
    SubmissionStatus,
    TestResult,
    TimeoutInfo,
)
from grader.suites import TestOutcome

NOT_IMPLEMENTED = "NotImplementedError"  # what the exercise stubs raise as handed out


def score_outcomes(manifest: Manifest, outcomes: list[TestOutcome], *, status: SubmissionStatus,
                   execution: ExecutionInfo, require_all: bool = True) -> GradeResult:
    """Share each exercise's points among its tests by weight; sum the earned points."""
    known = {e.id for e in manifest.exercises}
    strays = sorted({o.exercise for o in outcomes} - known)
    if strays:
        raise SuiteError(f"tests name exercises missing from the manifest: {', '.join(strays)}")
    exercises = []
    for spec in manifest.exercises:
        mine = [o for o in outcomes if o.exercise == spec.id]
        if not mine:
            if require_all:
                raise SuiteError(f"exercise {spec.id!r} has no tests")
            continue  # e.g. no public tests for it: not part of this check
        mine = _gated(spec.id, mine, strict=require_all)
        total_weight = sum(o.weight for o in mine) or 1.0
        note = _note(mine)
        tests = [
            TestResult(
                name=o.name,
                max_points=_round(spec.points * o.weight / total_weight),
                points=_round(spec.points * o.weight / total_weight) if o.passed else 0.0,
                passed=o.passed, hidden=o.hidden, message="" if note else o.message,
            )
            for o in mine
        ]
        score = _round(spec.points * sum(o.weight for o in mine if o.passed) / total_weight)
        exercises.append(ExerciseResult(id=spec.id, score=score, max_score=spec.points, tests=tests, note=note))
    if status == SubmissionStatus.timeout:
        execution = execution.model_copy(update={"timeout": timeout_info(execution, outcomes)})
    return GradeResult(
        assignment=manifest.id, status=status,
        score=_round(sum(e.score for e in exercises)),
        max_score=_round(sum(e.max_score for e in exercises)),
        exercises=exercises, execution=execution,
    )


def timeout_info(execution: ExecutionInfo, outcomes: list[TestOutcome]) -> TimeoutInfo:
    """What ran out of time, said so that full marks under a ``timeout`` status read as what they are."""
    cells = [e for e in execution.cell_errors if e.ename == CELL_TIMEOUT]
    stopped = next((e for e in execution.cell_errors if e.ename == NOTEBOOK_TIMEOUT), None)
    cut = list(dict.fromkeys(o.exercise for o in outcomes if o.budget_ran_out))
    parts = []
    if cells:
        more = f" ({len(cells) - 1} more cell{'s' if len(cells) > 2 else ''} too)" if len(cells) > 1 else ""
        parts.append(f"{cells[0].label} {cells[0].evalue or 'ran past its time limit'} and was stopped{more}")
    if stopped is not None:
        parts.append(f"the notebook reached its time limit at {stopped.label}: the cells after it did not run")
    if cut:
        parts.append(f"the tests' time budget ran out before {', '.join(cut)} was fully graded")
    else:
        parts.append("every exercise was graded" + (" on the cells that ran" if stopped is not None else ""))
    limit = "cell" if cells else "notebook" if stopped is not None else "tests"
    first = cells[0] if cells else stopped
    return TimeoutInfo(limit=limit, cell=first.label if first is not None else "", exercises_graded=not cut,
                       message="; ".join(parts))


def _gated(exercise: str, outcomes: list[TestOutcome], *, strict: bool) -> list[TestOutcome]:
    """Fail each test whose ``counts_if`` gates did not all pass: a property a stub also has earns nothing alone.

    A gate names a test of the same exercise (every parametrization of it must pass). Where the
    gate did not run at all (public tests checked without the hidden suite) the test counts as it
    is; in a full grading (``strict``) an unknown gate is a broken suite.
    """
    verdicts: dict[str, bool] = {}
    for o in outcomes:
        base = o.name.split("[", 1)[0]
        verdicts[base] = verdicts.get(base, True) and o.passed
    gated = []
    for o in outcomes:
        # a gate is named as the student sees the test, or as its function is called (``test_`` and all)
        names = [g if g in verdicts else g.removeprefix("test_") for g in o.counts_if]
        unknown = [g for g in names if g not in verdicts]
        if unknown and strict:
            raise SuiteError(f"{exercise}: {o.name} counts_if unknown tests: {', '.join(unknown)}")
        failing = [g for g in names if verdicts.get(g) is False]
        if o.passed and failing:
            gate = next(g for g in outcomes if g.name.split("[", 1)[0] == failing[0] and not g.passed)
            # a public test gated on a hidden one must not show the hidden test's name or message
            why = ("not counted until the hidden tests of this exercise find a working answer"
                   if gate.hidden and not o.hidden else f"not counted while {failing[0]} fails: {gate.message}")
            o = dataclasses.replace(o, passed=False, ename=gate.ename, where=gate.where, message=why[:500],
                                    budget_ran_out=gate.budget_ran_out)
        gated.append(o)
    return gated


def _note(outcomes: list[TestOutcome]) -> str:
    """One line for an exercise whose every failure is the stub's NotImplementedError, or the time budget, else ""."""
    failed = [o for o in outcomes if not o.passed]
    if failed and all(o.budget_ran_out for o in failed):
        return f"{failed[0].budget_ran_out} ran out after {len(outcomes) - len(failed)} of {len(outcomes)} tests"
    if not failed or any(o.ename != NOT_IMPLEMENTED for o in failed):
        return ""  # nothing failed, or something failed for another reason: each test says its own
    state = "not finished" if len(failed) < len(outcomes) else "not attempted"
    return f"{state}: {failed[0].where or 'your code'} raises {NOT_IMPLEMENTED}"


def _round(value: float) -> float:
    return round(value, 4)


def format_score(value: float | None) -> str:
    """A score for people: at most two decimals, no trailing zeros (``7.68``, ``10``); JSON keeps it exact."""
    if value is None or math.isnan(value):
        return "–"
    return f"{round(value, 2):g}"
