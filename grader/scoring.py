"""Turn test outcomes into exercise scores and the result contract."""

from __future__ import annotations

import math

from grader.assignments import Manifest
from grader.errors import SuiteError
from grader.models import ExecutionInfo, ExerciseResult, GradeResult, SubmissionStatus, TestResult
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
    return GradeResult(
        assignment=manifest.id, status=status,
        score=_round(sum(e.score for e in exercises)),
        max_score=_round(sum(e.max_score for e in exercises)),
        exercises=exercises, execution=execution,
    )


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
