"""neural-learning end to end: stub and completed notebook in a real kernel, variants in process."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from nbformat import NotebookNode

from grader.assignments import load_assignment
from grader.config import Settings
from grader.grading import grade_notebook
from grader.models import GradeResult
from tests.utils.inprocess import grade_in_process
from tests.utils.notebooks import complete_notebook, list_variants, load_notebook

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
ASSIGNMENT = "neural-learning"
EXERCISES = ["loss_i", "grad_loss_i", "gradient_descent", "batch_gradient_descent", "grad_func2",
             "sequential_func2"]
# Cells that only demonstrate (plots, a small network's training): the real-kernel gradings run them;
# the variant matrix leaves them out, since no test reads what they compute.
DEMO_CELLS = {"sigmoid-plot", "ex3-demo", "ex4-demo", "autodiff-example-check", "ex56-check", "network-demo"}


def _grade(nb: NotebookNode, settings: Settings) -> GradeResult:
    return grade_notebook(nb, assignment=load_assignment(ASSIGNMENT, settings), settings=settings)


def _grade_in_process(nb: NotebookNode, settings: Settings) -> GradeResult:
    nb.cells = [cell for cell in nb.cells if cell.get("id") not in DEMO_CELLS]
    # One pyplot for every notebook of the session: start each from no open figure, as a kernel does.
    plt.close("all")
    return grade_in_process(nb, assignment=load_assignment(ASSIGNMENT, settings), settings=settings)


def _scores(result: GradeResult) -> dict[str, float]:
    return {e.id: e.score for e in result.exercises}


@pytest.fixture(scope="module")
def repo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:  # module-scoped for full_marks
    from grader.config import REPO_ROOT

    return Settings(exercises_dir=REPO_ROOT / "exercises", reference_dir=REPO_ROOT / "reference",
                    cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def full_marks(repo_settings: Settings) -> dict[str, float]:
    return {e.id: e.points for e in load_assignment(ASSIGNMENT, repo_settings).manifest.exercises}


def test_manifest_names_the_contract_exercises(repo_settings: Settings) -> None:
    manifest = load_assignment(ASSIGNMENT, repo_settings).manifest
    assert [e.id for e in manifest.exercises] == EXERCISES
    assert manifest.max_score == 10.0


def test_demo_cells_left_out_of_the_matrix_exist() -> None:
    ids = {cell.get("id") for cell in load_notebook(ASSIGNMENT).cells}
    assert DEMO_CELLS <= ids


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
        assert result.execution.cell_errors == []
    assert len({r.score for r in results}) == 1


# A kernel prints numpy's overflow and log(0) warnings and goes on; so does in-process grading here.
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("variant", list_variants(ASSIGNMENT, "buggy"), ids=lambda v: v.id)
def test_buggy_variant_loses_points_on_its_exercise_only(variant, repo_settings: Settings,
                                                         full_marks: dict[str, float]) -> None:
    result = _grade_in_process(complete_notebook(ASSIGNMENT, {variant.exercise: variant.source}), repo_settings)
    scores = _scores(result)
    assert scores[variant.exercise] < full_marks[variant.exercise]
    assert {k: v for k, v in scores.items() if k != variant.exercise} == {
        k: v for k, v in full_marks.items() if k != variant.exercise
    }
    failed = [t for e in result.exercises if e.id == variant.exercise for t in e.tests if not t.passed]
    assert all(t.message for t in failed)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("variant", list_variants(ASSIGNMENT, "alternatives"), ids=lambda v: v.id)
def test_valid_alternative_gets_full_marks(variant, repo_settings: Settings) -> None:
    result = _grade_in_process(complete_notebook(ASSIGNMENT, {variant.exercise: variant.source}), repo_settings)
    failed = [(e.id, t.name, t.message) for e in result.exercises for t in e.tests if not t.passed]
    assert failed == [] and result.score == result.max_score
