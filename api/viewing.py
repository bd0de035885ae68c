"""What the instructor's and the student's result pages share: the stored executed notebook and cell labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from api.rendering import cell_label
from grader.models import CellError, GradeResult
from grader.service.records import Submission


def current_result(submission: Submission) -> GradeResult | None:
    """The result that counts, as the result contract."""
    return GradeResult.model_validate(submission.result.payload) if submission.result else None


def executed_notebook(submission: Submission) -> dict[str, Any] | None:
    """The notebook as it ran (written by the trusted grading process), or None if it was not kept."""
    path = submission.result.executed_path if submission.result else None
    if not path:
        return None
    try:
        loaded = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def labelled_errors(result: GradeResult | None, executed: dict[str, Any] | None) -> list[tuple[CellError, str]]:
    """Each cell error with the cell's name as Jupyter shows it (``In [7]``, ``code cell 3``)."""
    if result is None:
        return []
    return [_labelled(error, executed) for error in result.execution.cell_errors]


def _labelled(error: CellError, executed: dict[str, Any] | None) -> tuple[CellError, str]:
    if error.index >= 0 or error.cell < 0 or executed is None:
        return error, error.label
    # stored before cells were numbered as Jupyter does: ``cell`` was the index, the executed notebook names it
    return error.model_copy(update={"index": error.cell}), cell_label(executed, error.cell)
