"""decoding end to end: stub, completed and original-form notebooks in a real kernel; variants in process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from nbformat import NotebookNode

from grader.assignments import load_assignment
from grader.config import Settings
from grader.grading import grade_notebook
from grader.models import GradeResult
from tests.utils.inprocess import grade_in_process
from tests.utils.notebooks import complete_notebook, list_variants, load_notebook, original_form_notebook

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
ASSIGNMENT = "decoding"
EXERCISES = ["DeepNetReLU", "mse_loss", "train", "weight_sorting", "classification", "regularized_loss"]


def _grade(nb: NotebookNode, settings: Settings) -> GradeResult:
    return grade_notebook(nb, assignment=load_assignment(ASSIGNMENT, settings), settings=settings)


def _grade_in_process(nb: NotebookNode, settings: Settings) -> GradeResult:
    return grade_in_process(nb, assignment=load_assignment(ASSIGNMENT, settings), settings=settings)


def _scores(result: GradeResult) -> dict[str, float]:
    return {e.id: e.score for e in result.exercises}


def _failures(result: GradeResult) -> list[tuple[str, str, str]]:
    return [(e.id, t.name, t.message) for e in result.exercises for t in e.tests if not t.passed]


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """Run torch on one thread here and in the kernels (they inherit OMP_NUM_THREADS).

    The networks of this assignment are tiny: on a CPU shared with other work, torch's
    thread pool costs far more than it saves (ten times slower under load).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OMP_NUM_THREADS", "1")
        yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def repo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:  # module-scoped: one data cache
    from grader.config import REPO_ROOT

    return Settings(exercises_dir=REPO_ROOT / "exercises", reference_dir=REPO_ROOT / "reference",
                    cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def full_marks(repo_settings: Settings) -> dict[str, float]:
    return {e.id: e.points for e in load_assignment(ASSIGNMENT, repo_settings).manifest.exercises}


def test_manifest_names_the_contract_exercises(repo_settings: Settings) -> None:
    manifest = load_assignment(ASSIGNMENT, repo_settings).manifest
    assert [e.id for e in manifest.exercises] == EXERCISES
    assert [d.name for d in manifest.data_files] == ["W3D4_stringer_oribinned1.npz"]


def test_shipped_stub_scores_zero(repo_settings: Settings) -> None:
    result = _grade(load_notebook(ASSIGNMENT), repo_settings)
    assert result.status == "graded"
    assert result.score == 0.0 and result.max_score == 10.0
    assert all(not t.passed for e in result.exercises for t in e.tests)


def test_completed_notebook_scores_full_marks_three_times(repo_settings: Settings) -> None:
    results = [_grade(complete_notebook(ASSIGNMENT), repo_settings) for _ in range(3)]
    for result in results:
        assert _failures(result) == []
        assert result.execution.cell_errors == []
        assert (result.status, result.score) == ("graded", result.max_score)
    assert len({r.score for r in results}) == 1


def test_original_tutorial_form_grades_offline(repo_settings: Settings) -> None:
    result = _grade(original_form_notebook(ASSIGNMENT), repo_settings)
    assert _failures(result) == []
    assert (result.status, result.score) == ("graded", result.max_score)
    enames = {e.ename for e in result.execution.cell_errors}
    assert "OSError" in enames  # the remote style sheet failed offline and was recorded


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


@pytest.mark.parametrize("variant", list_variants(ASSIGNMENT, "alternatives"), ids=lambda v: v.id)
def test_valid_alternative_gets_full_marks(variant, repo_settings: Settings) -> None:
    result = _grade_in_process(complete_notebook(ASSIGNMENT, {variant.exercise: variant.source}), repo_settings)
    assert _failures(result) == [] and result.score == result.max_score
