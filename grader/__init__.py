"""grader: sandboxed grading of deep-learning notebook exercises.

Inside Jupyter, ``grader.check("cross_entropy_loss")`` runs that exercise's public
tests against the live notebook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from grader.assignments import Assignment, list_assignments, load_assignment
from grader.config import Settings, get_settings
from grader.errors import GraderError
from grader.grading import grade_notebook, grade_path
from grader.models import GradeResult
from grader.pool import KernelPool

if TYPE_CHECKING:
    from grader.checking import CheckReport

__all__ = [
    "Assignment",
    "GradeResult",
    "GraderError",
    "KernelPool",
    "Settings",
    "check",
    "get_settings",
    "grade_notebook",
    "grade_path",
    "list_assignments",
    "load_assignment",
]


def check(exercise: str, *, assignment: str | None = None, namespace: dict[str, Any] | None = None) -> CheckReport:
    """Run one exercise's public tests against the calling notebook; Jupyter shows the report as a table.

    Only the public tests run here: ``report.passed`` is not a grade (the hidden
    tests run when you submit). An unknown exercise gives a report with one line,
    ``report.error``, naming the valid ones.
    """
    from grader.checking import check_live

    return check_live(exercise, assignment=assignment, namespace=namespace)
