"""mlp-basics specifics: an endless cell after two exercises.

Stub, completed, original form and the variant matrix: test_assignment_contract.py.
"""

from __future__ import annotations

import time

import pytest
from nbformat.v4 import new_code_cell

from grader.assignments import load_assignment
from grader.config import Settings
from grader.grading import grade_notebook
from tests.utils.notebooks import complete_notebook

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
ASSIGNMENT = "mlp-basics"


def test_endless_cell_after_two_exercises_keeps_their_points(repo_settings: Settings) -> None:
    nb = complete_notebook(ASSIGNMENT)
    tags = [c.get("metadata", {}).get("grader", {}).get("exercise") for c in nb.cells]
    nb.cells.insert(tags.index("Net") + 1, new_code_cell("while True:\n    pass"))
    assignment = load_assignment(ASSIGNMENT, repo_settings)
    limits = assignment.manifest.limits.model_copy(update={"cell_timeout_s": 5.0, "total_timeout_s": 60.0})
    assignment = type(assignment)(assignment.manifest.model_copy(update={"limits": limits}),
                                  assignment.exercise_dir, assignment.reference_dir)
    skipping = grade_notebook(nb, assignment=assignment, settings=repo_settings)
    assert skipping.status == "graded" and tags.index("Net") + 1 in skipping.execution.skipped_cells  # binds nothing
    started = time.monotonic()
    result = grade_notebook(nb, assignment=assignment, settings=repo_settings, full=True)
    assert result.status == "timeout"
    assert time.monotonic() - started < 60 + 30  # the total limit, plus start-up and the suites
    full = {e.id: e.points for e in assignment.manifest.exercises}
    scores = {e.id: e.score for e in result.exercises}
    assert scores["approximate_function"] == full["approximate_function"]
    assert scores["Net"] == full["Net"]
