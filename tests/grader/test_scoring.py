"""grader.scoring: points by weight, and one note for an exercise still raising NotImplementedError."""

from __future__ import annotations

import pytest

from grader.assignments import ExerciseSpec, Manifest, load_assignment
from grader.config import Settings
from grader.errors import SuiteError
from grader.grading import check_namespace, grade_notebook
from grader.models import CellError, ExecutionInfo, ExerciseResult, SubmissionStatus
from grader.scoring import score_outcomes, timeout_info
from grader.suites import TestOutcome
from tests.utils.notebooks import load_notebook

MANIFEST = Manifest(id="toy", title="Toy", notebook="toy.ipynb",
                    exercises=[ExerciseSpec(id="add", title="Add", points=2)])
STUB = "add raised NotImplementedError: todo (line 2:)"


def outcome(name: str, *, passed: bool = False, message: str = STUB, ename: str = "NotImplementedError",
            where: str = "add") -> TestOutcome:
    if passed:
        message, ename, where = "", "", ""
    return TestOutcome(exercise="add", name=name, weight=1.0, passed=passed, hidden=False, message=message,
                       ename=ename, where=where)


def score(*outcomes: TestOutcome) -> ExerciseResult:
    result = score_outcomes(MANIFEST, list(outcomes), status=SubmissionStatus.graded,
                            execution=ExecutionInfo(duration_s=0.0, cell_errors=[]))
    (exercise,) = result.exercises
    return exercise


def test_an_exercise_failing_only_on_not_implemented_is_not_attempted_once() -> None:
    exercise = score(outcome("one"), outcome("two"), outcome("three"))
    assert exercise.note == "not attempted: add raises NotImplementedError"
    assert [t.message for t in exercise.tests] == ["", "", ""]
    assert exercise.score == 0.0 and not any(t.passed for t in exercise.tests)


def test_some_tests_passed_and_the_rest_not_implemented_is_not_finished() -> None:
    exercise = score(outcome("one", passed=True), outcome("two", where="calling your Net"), outcome("three"))
    assert exercise.note == "not finished: calling your Net raises NotImplementedError"  # the first failure's call
    assert [(t.passed, t.message) for t in exercise.tests] == [(True, ""), (False, ""), (False, "")]
    assert exercise.score == pytest.approx(2 / 3, abs=1e-4)


@pytest.mark.parametrize("other", [
    outcome("wrong", message="y_hat: 3 of 10 values are not what a correct solution gives", ename="", where=""),
    outcome("raised", message="add raised ValueError: nope", ename="ValueError"),
    outcome("missing", message="add is not defined: did the cell run?", ename="MissingName"),
], ids=["wrong-value", "other-exception", "missing-name"])
def test_mixed_reasons_keep_every_message(other: TestOutcome) -> None:
    exercise = score(outcome("stub"), other)
    assert exercise.note == ""
    assert [t.message for t in exercise.tests] == [STUB, other.message]


def test_an_exercise_that_passes_has_no_note() -> None:
    assert score(outcome("one", passed=True)).note == ""


def test_results_stored_before_the_note_existed_still_validate() -> None:
    old = {"id": "add", "score": 0.0, "max_score": 1.0, "tests": []}
    assert ExerciseResult.model_validate(old).note == ""


def test_grader_check_in_a_live_session_collapses_the_stub(toy_settings: Settings) -> None:
    def add(a: object, b: object) -> object:
        raise NotImplementedError("todo")

    result = check_namespace({"add": add}, assignment=load_assignment("toy", toy_settings), exercise="add")
    (exercise,) = result.exercises
    assert exercise.note == "not attempted: add raises NotImplementedError"
    assert exercise.tests and all(not t.passed and t.message == "" for t in exercise.tests)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_stub_notebook_as_handed_out_says_not_attempted_once_per_exercise(repo_settings: Settings) -> None:
    result = grade_notebook(load_notebook("mlp-basics"), assignment=load_assignment("mlp-basics", repo_settings),
                            settings=repo_settings)
    assert (result.status, result.score) == ("graded", 0.0)
    assert {e.id: e.note for e in result.exercises} == {
        name: f"not attempted: {name} raises NotImplementedError"
        for name in ("approximate_function", "Net", "cross_entropy_loss", "shuffle_and_split_data")
    }
    assert all(t.message == "" for e in result.exercises for t in e.tests)


# -- counts_if: a property a stub also has earns nothing while the exercise's behaviour gate fails --------
def gated(name: str, *gates: str, passed: bool = True, weight: float = 1.0) -> TestOutcome:
    return TestOutcome(exercise="add", name=name, weight=weight, passed=passed, hidden=True,
                       message="" if passed else "add(a, b) has shape (3,), expected (2,)", counts_if=gates)


def gate(name: str, *, passed: bool, weight: float = 0.0) -> TestOutcome:
    return TestOutcome(exercise="add", name=name, weight=weight, passed=passed, hidden=True,
                       message="" if passed else "add(a, b) is the same whatever the input")


def test_a_property_counts_when_its_gate_passes() -> None:
    exercise = score(gate("responds", passed=True), gated("shape", "responds"), gated("values", passed=False))
    assert [(t.name, t.points, t.max_points) for t in exercise.tests] == [
        ("responds", 0.0, 0.0), ("shape", 1.0, 1.0), ("values", 0.0, 1.0)]
    assert exercise.score == 1.0


def test_a_property_earns_nothing_while_its_gate_fails_and_says_why() -> None:
    exercise = score(gate("responds", passed=False), gated("shape", "responds"), gated("values", passed=False))
    assert exercise.score == 0.0
    shape = exercise.tests[1]
    assert (shape.passed, shape.points) == (False, 0.0)
    assert shape.message == "not counted while responds fails: add(a, b) is the same whatever the input"


def test_every_parametrization_of_a_gate_must_pass() -> None:
    exercise = score(gate("responds[1]", passed=True), gate("responds[2]", passed=False),
                     gated("shape", "responds"))
    assert exercise.score == 0.0 and not exercise.tests[2].passed


def test_a_gate_on_a_stub_gives_the_not_attempted_note() -> None:
    """Structure that passes around a forward still raising NotImplementedError: the one note, 0 points."""
    exercise = score(outcome("forward"), outcome("forward_again"),
                     TestOutcome(exercise="add", name="structure", weight=1.0, passed=True, hidden=True, message="",
                                 counts_if=("forward",)))
    assert exercise.note == "not attempted: add raises NotImplementedError" and exercise.score == 0.0


def test_an_unknown_gate_is_a_broken_suite_in_grading_and_ignored_in_a_public_check() -> None:
    outcomes = [gated("shape", "responds_typo")]
    with pytest.raises(SuiteError, match="shape counts_if unknown tests: responds_typo"):
        score(*outcomes)
    public = score_outcomes(MANIFEST, outcomes, status=SubmissionStatus.graded, require_all=False,
                            execution=ExecutionInfo(duration_s=0.0, cell_errors=[]))
    assert public.score == 2.0  # the hidden gate did not run: the public test counts as it is


def test_a_timeout_says_what_ran_out_and_whether_every_exercise_was_graded() -> None:
    stopped = CellError(cell=37, counted=True, index=40, ename="CellTimeoutError", evalue="ran past 60 s")
    cells = timeout_info(ExecutionInfo(duration_s=70.0, cell_errors=[stopped, stopped]), [outcome("one", passed=True)])
    assert cells.model_dump() == {"limit": "cell", "cell": "In [37]", "exercises_graded": True,
                                  "message": "In [37] ran past 60 s and was stopped (1 more cell too); "
                                             "every exercise was graded"}
    cut = TestOutcome(exercise="add", name="slow", weight=1.0, passed=False, hidden=True, message="stopped",
                      budget_ran_out="the suite's time budget (300 s)")
    budget = timeout_info(ExecutionInfo(duration_s=1.0, cell_errors=[]), [cut])
    assert budget.model_dump() == {"limit": "tests", "cell": "", "exercises_graded": False,
                                   "message": "the tests' time budget ran out before add was fully graded"}
    result = score_outcomes(MANIFEST, [outcome("one", passed=True)], status=SubmissionStatus.timeout,
                            execution=ExecutionInfo(duration_s=70.0, cell_errors=[stopped]))
    assert result.execution.timeout is not None and result.execution.timeout.cell == "In [37]"
    graded = score_outcomes(MANIFEST, [outcome("one", passed=True)], status=SubmissionStatus.graded,
                            execution=ExecutionInfo(duration_s=1.0, cell_errors=[]))
    assert graded.execution.timeout is None


def test_a_public_test_gated_on_a_hidden_one_shows_neither_its_name_nor_its_message() -> None:
    public = TestOutcome(exercise="add", name="shape", weight=1.0, passed=True, hidden=False, message="",
                         counts_if=("responds",))
    exercise = score(gate("responds", passed=False), public)
    assert exercise.tests[1].message == "not counted until the hidden tests of this exercise find a working answer"


def test_a_gate_may_be_named_as_shown_or_as_its_function() -> None:
    """``test_test_reports`` is shown as ``test_reports``: either name finds it."""
    for name in ("test_reports", "test_test_reports"):
        exercise = score(gate("test_reports", passed=False), gated("shape", name))
        assert exercise.score == 0.0 and exercise.tests[1].message.startswith("not counted while test_reports fails")
