"""The suites' time budget: per exercise and in total, a spent budget fails the rest, earned points stay."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

import pytest

import grader.grading
from grader.assignments import Assignment, Limits, load_assignment
from grader.channel import LocalTransport
from grader.config import REPO_ROOT, Settings
from grader.errors import StudentTimeout, TimeBudgetSpent
from grader.grading import grade_notebook
from grader.models import ExecutionInfo, ExerciseResult, GradeResult, SubmissionStatus
from grader.scoring import score_outcomes
from grader.student import Student
from grader.suites import TestOutcome, TimeBudget, run_suites
from tests.utils.toy import ADD, DOUBLER, IMPORTS, SCALE, toy_notebook

TOY = REPO_ROOT / "tests" / "files" / "toy"
TOY_FUNCTIONS = ["import torch\nfrom torch import nn", ADD, SCALE, DOUBLER]


class SlowTransport(LocalTransport):
    """Answers as the kernel would after ``delay`` s in each notebook function, stopping at the timeout as it does."""

    def __init__(self, namespace: dict[str, Any], delay: float) -> None:
        super().__init__(namespace)
        self.delay = delay
        self.calls: list[tuple[str, float]] = []  # (label, timeout) of every request that reached the notebook

    def request(self, payload: str, *, label: str, timeout: float) -> str:
        self.calls.append((label, timeout))
        request = json.loads(payload)
        if request["op"] == "call" and "name" in request:
            time.sleep(min(self.delay, timeout))
            if self.delay > timeout:
                raise StudentTimeout.from_label(label, timeout)
        return super().request(payload, label=label, timeout=timeout)


def _toy_namespace() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    for cell in TOY_FUNCTIONS:
        exec(cell, namespace)
    return namespace


def _toy_settings(**update: Any) -> Settings:
    return Settings(exercises_dir=TOY / "exercises", reference_dir=TOY / "reference", **update)


def _student(transport: Any, call_timeout: float = 5.0) -> Student:
    return Student(transport, call_timeout=call_timeout, max_reply_bytes=1_000_000)


def _exercises(result: GradeResult) -> dict[str, ExerciseResult]:
    return {e.id: e for e in result.exercises}


# -- the bookkeeping, without a kernel -------------------------------------------
def test_the_tighter_budget_binds_and_is_named() -> None:
    budget = TimeBudget(per_exercise=10, total=25)
    first = budget.allowance("add")
    assert first is not None and (first.seconds, first.budget) == (10, "the time budget of add (10 s)")
    budget.charge("add", 8)
    budget.charge("scale", 9)
    left = budget.allowance("add")
    assert left is not None and (left.seconds, left.budget) == (2, "the time budget of add (10 s)")
    left = budget.allowance("Doubler")
    assert left is not None and (left.seconds, left.budget) == (8, "the suite's time budget (25 s)")
    assert TimeBudget().allowance("add") is None  # no budget: nothing to cap


class RecordingTransport:
    """Records the timeout of each request; times out when told to."""

    def __init__(self, *, time_out: bool = False) -> None:
        self.timeouts: list[float] = []
        self.time_out = time_out

    def request(self, payload: str, *, label: str, timeout: float) -> str:
        self.timeouts.append(timeout)
        if self.time_out:
            raise StudentTimeout.from_label(label, timeout)
        return json.dumps({"ok": True, "value": 1})


def test_calls_are_capped_by_what_is_left_of_the_budget() -> None:
    transport = RecordingTransport()
    student = _student(transport, call_timeout=30)
    student.add(1)
    student.limit_calls(until=time.monotonic() + 3600, budget="the time budget of add (3600 s)")
    student.add(1)
    student.limit_calls(until=time.monotonic() + 2, budget="the time budget of add (2 s)")
    student.add(1)
    assert transport.timeouts[:2] == [30, 30] and 1.5 < transport.timeouts[2] <= 2
    assert student.budget_stop is None


def test_a_call_past_the_deadline_is_never_sent() -> None:
    transport = RecordingTransport()
    student = _student(transport)
    student.limit_calls(until=time.monotonic() - 1, budget="the suite's time budget (300 s)")
    with pytest.raises(TimeBudgetSpent, match=r"^add was stopped: the suite's time budget \(300 s\) ran out$"):
        student.add(1)
    assert transport.timeouts == []
    assert student.budget_stop is not None and student.budget_stop.budget == "the suite's time budget (300 s)"
    student.limit_calls(until=None)
    assert student.budget_stop is None and student.add(1) == 1


def test_a_call_cut_short_says_the_budget_ran_out_not_the_call_limit() -> None:
    student = _student(RecordingTransport(time_out=True), call_timeout=30)
    student.limit_calls(until=time.monotonic() + 2, budget="the time budget of add (120 s)")
    with pytest.raises(TimeBudgetSpent, match=r"^add was stopped: the time budget of add \(120 s\) ran out$"):
        student.add(1)
    student.limit_calls(until=time.monotonic() + 3600, budget="the time budget of add (3600 s)")
    with pytest.raises(StudentTimeout, match="did not finish within 30 s") as raised:
        student.add(1)  # the call timeout was the limit: its own message
    assert not isinstance(raised.value, TimeBudgetSpent) and student.budget_stop is None


@pytest.fixture(scope="module")
def slow_run() -> tuple[list[TestOutcome], SlowTransport, GradeResult]:
    """The toy suites, in process, against functions that take 0.5 s each: budgets 0.8 s per exercise, 1.7 s in all."""
    assignment = load_assignment("toy", _toy_settings())
    transport = SlowTransport(_toy_namespace(), delay=0.5)
    outcomes = run_suites([assignment.public_tests, TOY / "reference" / "toy" / "tests"], student=_student(transport),
                          reference=assignment.load_reference(), seed=1, hidden_root=assignment.hidden_tests,
                          rootdir=assignment.exercise_dir.parent.parent,
                          budget=TimeBudget(per_exercise=0.8, total=1.7))
    result = score_outcomes(assignment.manifest, outcomes, status=SubmissionStatus.graded,
                            execution=ExecutionInfo(duration_s=0.0, cell_errors=[]))
    return outcomes, transport, result


def test_spent_budgets_fail_the_remaining_tests_with_the_reason(
        slow_run: tuple[list[TestOutcome], SlowTransport, GradeResult]) -> None:
    outcomes, _, _ = slow_run
    assert [(o.name, o.passed, o.message) for o in outcomes] == [
        ("adds_small_numbers", True, ""),
        ("add_random", False, "add was stopped: the time budget of add (0.8 s) ran out"),
        ("scale_random", True, ""),
        ("structure", False, "Doubler was stopped: the suite's time budget (1.7 s) ran out"),
        ("forward_matches", False, "not run: the suite's time budget (1.7 s) ran out"),
    ]
    assert [bool(o.budget_ran_out) for o in outcomes] == [False, True, False, True, True]


def test_a_test_not_run_never_reaches_the_notebook_and_calls_get_what_is_left(
        slow_run: tuple[list[TestOutcome], SlowTransport, GradeResult]) -> None:
    _, transport, _ = slow_run
    assert [label for label, _ in transport.calls].count("Doubler") == 1  # forward_matches never built one
    timeouts = dict(transport.calls)
    assert timeouts["add"] < 0.5 and timeouts["Doubler"] < 0.5  # cut short at the budget, not the 5 s limit
    assert 0.5 < timeouts["scale"] <= 0.8


def test_the_points_earned_stay_and_the_note_names_the_budget(
        slow_run: tuple[list[TestOutcome], SlowTransport, GradeResult]) -> None:
    _, _, result = slow_run
    exercises = _exercises(result)
    assert {k: e.score for k, e in exercises.items()} == {"add": 0.5, "scale": 1.0, "Doubler": 0.0}
    assert exercises["add"].note == "the time budget of add (0.8 s) ran out after 1 of 2 tests"
    assert exercises["Doubler"].note == "the suite's time budget (1.7 s) ran out after 0 of 2 tests"
    assert exercises["scale"].note == ""


def _outcome(name: str, *, message: str = "", ename: str = "", ran_out: str = "") -> TestOutcome:
    return TestOutcome(exercise="add", name=name, weight=1.0, passed=not message, hidden=False, message=message,
                       ename=ename, where="add" if ename else "", budget_ran_out=ran_out)


@pytest.mark.parametrize("other", [
    _outcome("wrong", message="add(a, b) differs from the expected value"),
    _outcome("stub", message="add raised NotImplementedError", ename="NotImplementedError"),
])
def test_other_failures_beside_the_budget_keep_their_own_messages(other: TestOutcome) -> None:
    budget = "the time budget of add (2 s)"
    spent = _outcome("late", message=f"not run: {budget} ran out", ran_out=budget)
    result = score_outcomes(load_assignment("toy", _toy_settings()).manifest, [other, spent],
                            status=SubmissionStatus.graded, require_all=False,
                            execution=ExecutionInfo(duration_s=0.0, cell_errors=[]))
    (exercise,) = result.exercises
    assert exercise.note == ""
    assert [t.message for t in exercise.tests] == [other.message, spent.message]


def test_budgets_come_from_the_manifest_else_the_settings() -> None:
    settings = _toy_settings(exercise_budget_s=7, suite_budget_s=11)
    assignment = load_assignment("toy", settings)
    assert (assignment.exercise_budget(settings), assignment.suite_budget(settings)) == (7, 11)
    limits = Limits(exercise_budget_s=2, suite_budget_s=5)
    custom = dataclasses.replace(assignment, manifest=assignment.manifest.model_copy(update={"limits": limits}))
    assert isinstance(custom, Assignment)
    assert (custom.exercise_budget(settings), custom.suite_budget(settings)) == (2, 5)
    defaults = Settings.model_fields
    assert (defaults["exercise_budget_s"].default, defaults["suite_budget_s"].default) == (120, 300)


# -- real kernels ----------------------------------------------------------------
SLEEPING = [
    IMPORTS + "\nimport time",
    ADD.replace("    return", "    time.sleep(2)\n    return"),
    SCALE.replace("    return", "    time.sleep(2)\n    return"),
    DOUBLER.replace("super().__init__()", "super().__init__()\n        time.sleep(2)"),
]
BUSY = "def busy(seconds):\n    end = time.monotonic() + seconds\n    while time.monotonic() < end:\n        pass"
SLOW_BUT_CORRECT = [
    IMPORTS + "\nimport time\n" + BUSY,
    ADD.replace("    return", "    busy(0.5)\n    return"),
    SCALE.replace("    return", "    busy(0.5)\n    return"),
    DOUBLER.replace("super().__init__()", "super().__init__()\n        busy(0.5)"),
]
EXERCISE_BUDGET, SUITE_BUDGET = 3.0, 6.5


def _grade_timing_suites(settings: Settings, cells: list[str],
                         monkeypatch: pytest.MonkeyPatch) -> tuple[GradeResult, float]:
    """Grade with small budgets; also return the seconds the suites took."""
    settings = settings.model_copy(update={"exercise_budget_s": EXERCISE_BUDGET, "suite_budget_s": SUITE_BUDGET})
    took: list[float] = []

    def timed(*args: Any, **kwargs: Any) -> list[TestOutcome]:
        started = time.monotonic()
        try:
            return run_suites(*args, **kwargs)
        finally:
            took.append(time.monotonic() - started)

    monkeypatch.setattr(grader.grading, "run_suites", timed)
    result = grade_notebook(toy_notebook(*cells), assignment=load_assignment("toy", settings), settings=settings)
    return result, took[0]


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_sleeping_submission_runs_out_of_budget_and_keeps_what_it_earned(
        toy_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    result, suites_s = _grade_timing_suites(toy_settings, SLEEPING, monkeypatch)
    assert result.status == "timeout" and result.execution.cell_errors == []
    exercises = _exercises(result)
    assert {k: e.score for k, e in exercises.items()} == {"add": 0.5, "scale": 1.0, "Doubler": 0.0}
    assert exercises["add"].note == "the time budget of add (3 s) ran out after 1 of 2 tests"
    assert exercises["Doubler"].note == "the suite's time budget (6.5 s) ran out after 0 of 2 tests"
    # unbudgeted, its calls would take 10 s (5 of 2 s each); the slack is the interrupt's recovery
    assert suites_s < SUITE_BUDGET + 2


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_slow_but_correct_submission_within_budget_keeps_full_marks(
        toy_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    result, suites_s = _grade_timing_suites(toy_settings, SLOW_BUT_CORRECT, monkeypatch)
    assert (result.status, result.score, result.max_score) == ("graded", 4.0, 4.0)
    assert all(e.note == "" for e in result.exercises)
    assert suites_s >= 2.5  # five calls of 0.5 s: it was slow, and still fitted
