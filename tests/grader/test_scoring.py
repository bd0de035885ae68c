"""grader.scoring: points by weight, and one note for an exercise still raising NotImplementedError."""

from __future__ import annotations

import pytest

from grader.assignments import ExerciseSpec, Manifest, load_assignment
from grader.config import Settings
from grader.grading import check_namespace, grade_notebook
from grader.models import ExecutionInfo, ExerciseResult, SubmissionStatus
from grader.scoring import score_outcomes
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
