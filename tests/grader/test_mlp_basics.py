"""mlp-basics end to end: stub, completed, buggy variants, valid alternatives, original form."""

from __future__ import annotations

import time

import pytest
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell

from grader.assignments import load_assignment
from grader.config import Settings
from grader.grading import grade_notebook
from grader.models import GradeResult
from tests.utils.notebooks import complete_notebook, list_variants, load_notebook, original_form_notebook

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
ASSIGNMENT = "mlp-basics"
EXERCISES = ["approximate_function", "Net", "cross_entropy_loss", "shuffle_and_split_data"]


def _grade(nb: NotebookNode, settings: Settings) -> GradeResult:
    return grade_notebook(nb, assignment=load_assignment(ASSIGNMENT, settings), settings=settings)


def _scores(result: GradeResult) -> dict[str, float]:
    return {e.id: e.score for e in result.exercises}


@pytest.fixture(scope="module")
def full_marks(repo_settings: Settings) -> dict[str, float]:
    return {e.id: e.points for e in load_assignment(ASSIGNMENT, repo_settings).manifest.exercises}


@pytest.fixture(scope="module")
def repo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:  # module-scoped for the fixture above
    from grader.config import REPO_ROOT

    return Settings(exercises_dir=REPO_ROOT / "exercises", reference_dir=REPO_ROOT / "reference",
                    cache_dir=tmp_path_factory.mktemp("cache"))


def test_manifest_names_the_contract_exercises(repo_settings: Settings) -> None:
    manifest = load_assignment(ASSIGNMENT, repo_settings).manifest
    assert [e.id for e in manifest.exercises] == EXERCISES


def test_shipped_stub_scores_zero(repo_settings: Settings) -> None:
    result = _grade(load_notebook(ASSIGNMENT), repo_settings)
    assert result.status == "graded"
    assert result.score == 0.0 and result.max_score == 10.0
    assert all(not t.passed for e in result.exercises for t in e.tests)


def test_completed_notebook_scores_full_marks_three_times(repo_settings: Settings) -> None:
    results = [_grade(complete_notebook(ASSIGNMENT), repo_settings) for _ in range(3)]
    for result in results:
        failed = [(e.id, t.name, t.message) for e in result.exercises for t in e.tests if not t.passed]
        assert failed == []
        assert (result.status, result.score) == ("graded", result.max_score)
    assert len({r.score for r in results}) == 1


@pytest.mark.parametrize("variant", list_variants(ASSIGNMENT, "buggy"), ids=lambda v: v.id)
def test_buggy_variant_loses_points_on_its_exercise_only(variant, repo_settings: Settings,
                                                         full_marks: dict[str, float]) -> None:
    result = _grade(complete_notebook(ASSIGNMENT, {variant.exercise: variant.source}), repo_settings)
    scores = _scores(result)
    assert scores[variant.exercise] < full_marks[variant.exercise]
    assert {k: v for k, v in scores.items() if k != variant.exercise} == {
        k: v for k, v in full_marks.items() if k != variant.exercise
    }
    failed = [t for e in result.exercises if e.id == variant.exercise for t in e.tests if not t.passed]
    assert all(t.message for t in failed)


@pytest.mark.parametrize("variant", list_variants(ASSIGNMENT, "alternatives"), ids=lambda v: v.id)
def test_valid_alternative_gets_full_marks(variant, repo_settings: Settings) -> None:
    result = _grade(complete_notebook(ASSIGNMENT, {variant.exercise: variant.source}), repo_settings)
    failed = [(e.id, t.name, t.message) for e in result.exercises for t in e.tests if not t.passed]
    assert failed == [] and result.score == result.max_score


def test_original_tutorial_form_grades_offline(repo_settings: Settings) -> None:
    result = _grade(original_form_notebook(ASSIGNMENT), repo_settings)
    assert result.status == "graded"
    assert result.score == result.max_score
    enames = {e.ename for e in result.execution.cell_errors}
    assert enames & {"ModuleNotFoundError", "NameError"}  # feedback widgets failed and were recorded


def test_endless_cell_after_two_exercises_keeps_their_points(repo_settings: Settings,
                                                             full_marks: dict[str, float]) -> None:
    nb = complete_notebook(ASSIGNMENT)
    cells = [c.get("metadata", {}).get("grader", {}).get("exercise") for c in nb.cells]
    second = cells.index(EXERCISES[1])
    nb.cells.insert(second + 1, new_code_cell("while True:\n    pass"))
    settings = repo_settings.model_copy()
    assignment = load_assignment(ASSIGNMENT, settings)
    limits = assignment.manifest.limits.model_copy(update={"cell_timeout_s": 5.0, "total_timeout_s": 60.0})
    assignment = type(assignment)(assignment.manifest.model_copy(update={"limits": limits}),
                                  assignment.exercise_dir, assignment.reference_dir)
    started = time.monotonic()
    result = grade_notebook(nb, assignment=assignment, settings=settings)
    assert result.status == "timeout"
    assert time.monotonic() - started < 60 + 30  # total limit plus start-up and suites
    scores = _scores(result)
    assert scores["approximate_function"] == full_marks["approximate_function"]
    assert scores["Net"] == full_marks["Net"]
