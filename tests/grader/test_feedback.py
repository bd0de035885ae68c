"""The student's view of a result under ``[policy] hidden_feedback``: the hidden tests folded, the scores kept."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import get_args

import pytest

from grader.assignments import Policy
from grader.config import Settings
from grader.feedback import FALLBACK, HIDDEN_LINE, HiddenFeedback, hidden_feedback, student_view
from grader.models import ExecutionInfo, ExerciseResult, GradeResult, TestResult
from tests.conftest import FILES


def verdict(name: str, points: float, max_points: float, *, hidden: bool, message: str = "") -> TestResult:
    return TestResult(name=name, points=points, max_points=max_points, passed=points == max_points, hidden=hidden,
                      message=message)


def sample() -> GradeResult:
    """``add``: one public test and three hidden (two passed); ``scale``: public tests only."""
    add = ExerciseResult(id="add", score=2.5, max_score=4.0, tests=[
        verdict("test_add_small", 1.0, 1.0, hidden=False, message=""),
        verdict("test_add_secret_overflow", 1.0, 1.0, hidden=True),
        verdict("test_add_secret_negative", 0.0, 1.5, hidden=True, message="expected -3 for add(-1, -2)"),
        verdict("test_add_secret_floats", 0.5, 0.5, hidden=True),
    ])
    scale = ExerciseResult(id="scale", score=0.0, max_score=1.0, tests=[
        verdict("test_scale", 0.0, 1.0, hidden=False, message="scale(2, 3) returned 5"),
    ])
    return GradeResult(assignment="toy", status="graded", score=2.5, max_score=5.0, exercises=[add, scale],
                       execution=ExecutionInfo(duration_s=1.0, cell_errors=[]))


def test_full_shows_every_test_as_graded() -> None:
    assert student_view(sample(), "full") == sample()


@pytest.mark.parametrize(("mode", "message"), [("summary", "2 of 3 passed"), ("none", "")])
def test_the_hidden_tests_of_an_exercise_become_one_line(mode: HiddenFeedback, message: str) -> None:
    shown = student_view(sample(), mode)
    add = shown.exercises[0]
    assert [t.name for t in add.tests] == ["test_add_small", HIDDEN_LINE]
    assert add.tests[0] == sample().exercises[0].tests[0]  # the public test as it was
    assert add.tests[1] == TestResult(name=HIDDEN_LINE, points=1.5, max_points=3.0, passed=False, hidden=True,
                                      message=message)
    assert "secret" not in shown.model_dump_json() and "expected -3" not in shown.model_dump_json()


@pytest.mark.parametrize("mode", ["summary", "none"])
def test_scores_and_public_tests_never_change(mode: HiddenFeedback) -> None:
    shown = student_view(sample(), mode)
    assert (shown.score, shown.max_score) == (2.5, 5.0)
    assert [(e.id, e.score, e.max_score) for e in shown.exercises] == [("add", 2.5, 4.0), ("scale", 0.0, 1.0)]
    assert shown.exercises[1] == sample().exercises[1]  # no hidden tests: nothing to fold, no empty line added
    assert shown.execution == sample().execution
    for exercise in shown.exercises:  # the lines still add up to the exercise's points
        assert sum(t.max_points for t in exercise.tests) == exercise.max_score


def test_all_hidden_tests_passed_is_a_passed_line() -> None:
    result = sample()
    result.exercises[0].tests[2] = verdict("test_add_secret_negative", 1.5, 1.5, hidden=True)
    line = student_view(result, "summary").exercises[0].tests[-1]
    assert line.passed and line.points == line.max_points == 3.0 and line.message == "3 of 3 passed"


def test_the_stored_result_is_left_alone() -> None:
    result = sample()
    student_view(result, "summary")
    assert result == sample()


def test_the_policy_takes_the_same_three_values() -> None:
    assert get_args(Policy.model_fields["hidden_feedback"].annotation) == get_args(HiddenFeedback)
    assert Policy().hidden_feedback == "full"


def test_the_mode_comes_from_the_manifest_and_falls_back_to_summary(tmp_path: Path) -> None:
    exercises = tmp_path / "exercises"
    shutil.copytree(FILES / "toy" / "exercises", exercises)
    manifest = exercises / "toy" / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + '\n[policy]\nhidden_feedback = "none"\n',
                        encoding="utf-8")
    settings = Settings(exercises_dir=exercises, reference_dir=FILES / "toy" / "reference",
                        cache_dir=tmp_path / "cache", data_dir=tmp_path / "data")
    assert hidden_feedback("toy", settings) == "none"
    assert hidden_feedback("vanished", settings) == FALLBACK == "summary"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('"none"', '"all"'), encoding="utf-8")
    assert hidden_feedback("toy", settings) == "summary"  # a broken manifest: the private choice, no 500
