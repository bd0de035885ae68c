"""`decoding` across the forms of its tutorial students hold.

- The revised tutorial (July 2021, ``tests/files/decoding/revised-form.ipynb``, written by
  ``make_revised.py``) has a pre-filled MSE cell, a ``train`` with ``n_epochs`` and neither
  test data nor penalties, and no weight-sorting or bonus cells. Graded as `decoding` in a
  real kernel, it keeps what it has: full marks on the network and the loss, the loop tests
  of ``train`` (the suites call ``train`` positionally), and one clear line per test for each
  name it lacks.
- The tutorial rebinds ``loss_fn``, ``out`` and ``net`` after their exercises: each exercise
  is graded on its own cell's values, whatever later cells bind.
"""

from __future__ import annotations

import nbformat
import pytest
import torch
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell

from grader.assignments import load_assignment
from grader.config import REPO_ROOT, Settings
from grader.grading import grade_notebook
from grader.models import ExerciseResult, GradeResult
from tests.utils.inprocess import grade_in_process
from tests.utils.notebooks import FILES, complete_notebook

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

# The tests of train a loop without test data or penalties passes (penalties_reach_the_loss_function
# trains without penalties when the notebook has no regularized_loss to train with).
LOOP_TESTS = {"answers_depend_on_the_inputs", "returns_one_loss_per_iteration", "loss_and_weights_match_reference",
              "default_arguments", "penalties_reach_the_loss_function", "train_follows_gradient_descent_on_a_parabola"}
TEST_DATA_TESTS = {"trains_a_classifier_with_test_data", "train_returns_test_losses_when_given_test_data"}
# the exercises the revised form does not have, and the name each test should say is missing
ABSENT = {"weight_sorting": ("preferred_orientation", "isort", "W_in_sorted"), "classification": ("n_classes",),
          "regularized_loss": ("regularized_loss",)}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The repo's assignments with one data cache for the whole module."""
    return Settings(exercises_dir=REPO_ROOT / "exercises", reference_dir=REPO_ROOT / "reference",
                    cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def revised(settings: Settings) -> GradeResult:
    """The revised form, graded once in a real kernel for the whole module."""
    nb = nbformat.read(FILES / "decoding" / "revised-form.ipynb", as_version=4)
    assert nb.metadata.kernelspec.name == "nonexistent-kernel"  # never trusted
    return grade_notebook(nb, assignment=load_assignment("decoding", settings), settings=settings)


def _exercise(result: GradeResult, exercise: str) -> ExerciseResult:
    return next(e for e in result.exercises if e.id == exercise)


def _failures(result: GradeResult) -> list[tuple[str, str, str]]:
    return [(e.id, t.name, t.message) for e in result.exercises for t in e.tests if not t.passed]


def test_revised_form_is_graded_without_a_suite_error(revised: GradeResult) -> None:
    assert revised.status == "graded"
    assert {e.id for e in revised.exercises} == {"DeepNetReLU", "mse_loss", "train", *ABSENT}
    # offline, only the remote style sheet fails
    assert {e.ename for e in revised.execution.cell_errors} == {"OSError"}


@pytest.mark.parametrize("exercise", ["DeepNetReLU", "mse_loss"])
def test_revised_form_keeps_full_marks_on_the_network_and_the_loss(revised: GradeResult, exercise: str) -> None:
    result = _exercise(revised, exercise)
    assert [(t.name, t.message) for t in result.tests if not t.passed] == []
    assert result.score == result.max_score


def test_revised_train_passes_the_loop_tests(revised: GradeResult) -> None:
    result = _exercise(revised, "train")
    verdicts = {t.name: t.passed for t in result.tests}
    assert set(verdicts) == LOOP_TESTS | TEST_DATA_TESTS
    assert {name for name, passed in verdicts.items() if passed} == LOOP_TESTS
    for test in result.tests:
        if not test.passed:  # the call with test data is one argument list too long for it, and says so
            assert "TypeError" in test.message and "positional argument" in test.message, test.message
    assert 0 < result.score < result.max_score


@pytest.mark.parametrize("exercise", sorted(ABSENT))
def test_absent_exercises_score_zero_with_one_clear_line_each(revised: GradeResult, exercise: str) -> None:
    result = _exercise(revised, exercise)
    assert result.score == 0
    lines = [result.note] if result.note else [t.message for t in result.tests]
    for line in lines:
        assert "\n" not in line and "is not defined" in line, line
        assert any(line.startswith(f"{name} is not defined") for name in ABSENT[exercise]), line


def _rebound_after_the_exercises(nb: NotebookNode) -> NotebookNode:
    """The notebook with a last cell rebinding every name an exercise's tests read, as later tutorial cells do."""
    nb.cells.append(new_code_cell("loss_fn = None; out = None; ori = None; net = None; W_in = None; n_classes = None"))
    return nb


def test_exercises_are_graded_on_their_own_cells_values(settings: Settings) -> None:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks, in process: torch's thread pool costs more than it saves
    try:
        result = grade_in_process(_rebound_after_the_exercises(complete_notebook("decoding")),
                                  assignment=load_assignment("decoding", settings), settings=settings)
    finally:
        torch.set_num_threads(threads)
    assert _failures(result) == []
    assert result.score == result.max_score
