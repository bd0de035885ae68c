"""Every assignment, end to end: what the issues promise for each of them.

- the manifest names the contract's exercise ids;
- the shipped stub scores 0 with status graded, through a real kernel;
- the reference-completed notebook scores full marks three times, identically;
- the original tutorial's form grades full marks offline (where the issue asks);
- each buggy variant loses points on its own exercise and only there;
- each degenerate answer (a right-shaped constant, the input handed back, structure without a
  working forward) scores 0 on its exercise and leaves the others at full marks;
- each valid alternative gets full marks;
- skipping the cells no grade depends on (``[execution] mode = "needed"``) changes no
  verdict: every variant, alternative and original form is graded both ways, and the
  verdicts (each test's pass and points) must be identical, exercise by exercise.

The variant matrices run in process (``tests.utils.inprocess``) to stay fast; the
real-kernel path is covered by the stub, completed and original-form gradings.
Assignment-specific checks live in ``test_<assignment>.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import torch
from nbformat import NotebookNode

from grader.assignments import load_assignment
from grader.config import REPO_ROOT, Settings
from grader.grading import grade_notebook
from grader.models import GradeResult
from tests.utils.inprocess import grade_in_process
from tests.utils.notebooks import Variant, complete_notebook, list_variants, load_notebook, original_form_notebook

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@dataclass(frozen=True)
class Contract:
    """What one assignment promises."""

    exercises: list[str]
    # the error names the original form records offline; None: no original form is asked for
    original_form_errors: set[str] | None = None


CONTRACTS = {
    "mlp-basics": Contract(
        ["approximate_function", "Net", "cross_entropy_loss", "shuffle_and_split_data"],
        # the feedback gadget and the remote style sheet, offline
        original_form_errors={"ModuleNotFoundError", "NameError", "OSError"},
    ),
    "decoding": Contract(
        ["DeepNetReLU", "mse_loss", "train", "weight_sorting", "classification", "regularized_loss"],
        original_form_errors={"OSError"},  # the remote style sheet
    ),
    "decoding-2022": Contract(
        ["DeepNetReLU", "train"],
        original_form_errors={"OSError"},  # the remote style sheet
    ),
    "mnist-mlp": Contract(
        ["MultiLayerPerceptron", "optimizer_and_loss", "train", "test", "training_run"],
        # the seed plots test images 1000-1019; the offline test split has 400
        original_form_errors={"IndexError", "TypeError"},
    ),
    "neural-learning": Contract(
        ["loss_i", "grad_loss_i", "gradient_descent", "batch_gradient_descent", "grad_func2", "sequential_func2"],
    ),
}
WITH_ORIGINAL_FORM = [a for a, c in CONTRACTS.items() if c.original_form_errors is not None]


def _variants(kind: str) -> list[Variant]:
    return [v for assignment in CONTRACTS for v in list_variants(assignment, kind)]  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The repo's assignments with one data cache for the whole module."""
    return Settings(exercises_dir=REPO_ROOT / "exercises", reference_dir=REPO_ROOT / "reference",
                    cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """The in-process gradings run tiny networks: torch's thread pool costs more than it saves."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _grade(assignment: str, nb: NotebookNode, settings: Settings) -> GradeResult:
    return grade_notebook(nb, assignment=load_assignment(assignment, settings), settings=settings)


def _grade_in_process(variant: Variant, settings: Settings) -> GradeResult:
    """The variant graded as the manifest says (skipping what no grade needs), checked against a full run."""
    nb = complete_notebook(variant.assignment, {variant.exercise: variant.source})
    assignment = load_assignment(variant.assignment, settings)
    needed = grade_in_process(nb, assignment=assignment, settings=settings, seed=0)
    if needed.execution.skipped_cells:  # else both runs are the same cells
        full = grade_in_process(nb, assignment=assignment, settings=settings, seed=0, full=True)
        assert verdicts(needed) == verdicts(full), f"skipped cells {needed.execution.skipped_cells}"
    return needed


def verdicts(result: GradeResult) -> dict[str, list[tuple[str, bool, float]]]:
    """Each exercise's tests: name, passed, points."""
    return {e.id: [(t.name, t.passed, t.points) for t in e.tests] for e in result.exercises}


def _failures(result: GradeResult) -> list[tuple[str, str, str]]:
    return [(e.id, t.name, t.message) for e in result.exercises for t in e.tests if not t.passed]


def _scores(result: GradeResult) -> dict[str, float]:
    return {e.id: e.score for e in result.exercises}


@pytest.mark.parametrize("assignment", sorted(CONTRACTS))
def test_manifest_names_the_contract_exercises(assignment: str, settings: Settings) -> None:
    manifest = load_assignment(assignment, settings).manifest
    assert [e.id for e in manifest.exercises] == CONTRACTS[assignment].exercises
    assert manifest.max_score == 10.0


@pytest.mark.parametrize("assignment", sorted(CONTRACTS))
def test_shipped_stub_scores_zero(assignment: str, settings: Settings) -> None:
    result = _grade(assignment, load_notebook(assignment), settings)
    assert (result.status, result.score, result.max_score) == ("graded", 0.0, 10.0)
    # each failure says why: on the test, or once for its exercise ("not attempted: ...")
    assert all(not t.passed and (t.message or e.note) for e in result.exercises for t in e.tests)


@pytest.mark.parametrize("assignment", sorted(CONTRACTS))
def test_completed_notebook_scores_full_marks_three_times(assignment: str, settings: Settings) -> None:
    results = [_grade(assignment, complete_notebook(assignment), settings) for _ in range(3)]
    for result in results:
        assert _failures(result) == []
        assert result.execution.cell_errors == []
        assert (result.status, result.score) == ("graded", result.max_score)
    assert len({r.score for r in results}) == 1


@pytest.mark.parametrize("assignment", WITH_ORIGINAL_FORM)
def test_original_tutorial_form_grades_offline(assignment: str, settings: Settings) -> None:
    nb = original_form_notebook(assignment)
    assert nb.metadata.kernelspec.name == "nonexistent-kernel"  # never trusted
    result = _grade(assignment, nb, settings)
    assert _failures(result) == []
    assert (result.status, result.score) == ("graded", result.max_score)
    assert result.execution.fallback == ""  # offline failures of kept cells are nothing a skipped cell explains
    if not result.execution.skipped_cells:
        assert {e.ename for e in result.execution.cell_errors} == CONTRACTS[assignment].original_form_errors
    else:  # the cells that fail offline may be among those skipped; a full run records every one
        full = grade_notebook(nb, assignment=load_assignment(assignment, settings), settings=settings, full=True)
        assert verdicts(full) == verdicts(result)
        assert {e.ename for e in full.execution.cell_errors} == CONTRACTS[assignment].original_form_errors


@pytest.mark.parametrize("variant", _variants("buggy"), ids=lambda v: f"{v.assignment}:{v.id}")
def test_buggy_variant_loses_points_on_its_exercise_only(variant: Variant, settings: Settings) -> None:
    full = {e.id: e.points for e in load_assignment(variant.assignment, settings).manifest.exercises}
    result = _grade_in_process(variant, settings)
    scores = _scores(result)
    assert scores[variant.exercise] < full[variant.exercise]
    assert {k: v for k, v in scores.items() if k != variant.exercise} == {
        k: v for k, v in full.items() if k != variant.exercise
    }
    assert all(message for exercise, _, message in _failures(result) if exercise == variant.exercise)


@pytest.mark.parametrize("variant", _variants("degenerate"), ids=lambda v: f"{v.assignment}:{v.id}")
def test_degenerate_answer_scores_zero_on_its_exercise(variant: Variant, settings: Settings) -> None:
    full = {e.id: e.points for e in load_assignment(variant.assignment, settings).manifest.exercises}
    result = _grade_in_process(variant, settings)
    scores = _scores(result)
    assert scores[variant.exercise] == 0.0, _failures(result)
    assert all(scores[k] < full[k] for k in variant.also_loses)  # graded on what this exercise's cell left
    unrelated = {variant.exercise, *variant.also_loses}
    assert {k: v for k, v in scores.items() if k not in unrelated} == {
        k: v for k, v in full.items() if k not in unrelated}
    exercise = next(e for e in result.exercises if e.id == variant.exercise)
    assert all(t.message or exercise.note for t in exercise.tests if not t.passed)


@pytest.mark.parametrize("assignment", sorted(CONTRACTS))
def test_every_exercise_has_degenerate_answers(assignment: str) -> None:
    covered = {v.exercise for v in list_variants(assignment, "degenerate")}
    assert covered == set(CONTRACTS[assignment].exercises)


@pytest.mark.parametrize("variant", _variants("alternatives"), ids=lambda v: f"{v.assignment}:{v.id}")
def test_valid_alternative_gets_full_marks(variant: Variant, settings: Settings) -> None:
    result = _grade_in_process(variant, settings)
    assert _failures(result) == [] and result.score == result.max_score


@pytest.mark.parametrize("assignment", sorted(CONTRACTS))
def test_every_exercise_has_three_bugs_and_two_alternatives(assignment: str) -> None:
    for kind, least in (("buggy", 3), ("alternatives", 2)):
        counts = {e: 0 for e in CONTRACTS[assignment].exercises}
        for variant in list_variants(assignment, kind):  # type: ignore[arg-type]
            counts[variant.exercise] += 1
        assert min(counts.values()) >= least, (kind, counts)


@pytest.mark.parametrize("assignment", sorted(CONTRACTS))
def test_the_completed_notebook_skips_its_demo_cells(assignment: str, settings: Settings) -> None:
    """Where the notebook has cells no grade reads, a needed run skips them, and scores the same."""
    nb = complete_notebook(assignment)
    target = load_assignment(assignment, settings)
    names: set[str] = set()
    needed = grade_in_process(nb, assignment=target, settings=settings, seed=0, names_read=names)
    assert names <= target.manifest.needed_names, "the suites read names the manifest's [execution] needs lacks"
    assert needed.execution.fallback == "" and needed.score == needed.max_score
    if assignment in ("mlp-basics", "neural-learning"):  # their demos bind nothing graded
        assert needed.execution.mode == "needed" and needed.execution.skipped_cells
