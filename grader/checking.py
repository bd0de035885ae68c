"""``grader.check`` inside a running Jupyter notebook (the student's machine, no sandbox)."""

from __future__ import annotations

import inspect
from typing import Any

from rich.console import Console

from grader.assignments import Assignment, list_assignments, load_assignment
from grader.errors import GraderError, UnknownAssignment
from grader.grading import check_namespace
from grader.models import GradeResult


def check_live(exercise: str, *, assignment: str | None, namespace: dict[str, Any] | None) -> GradeResult:
    """Run ``exercise``'s public tests against ``namespace`` (the notebook's by default)."""
    namespace = namespace if namespace is not None else _caller_namespace()
    target = load_assignment(assignment) if assignment else _find_assignment(exercise)
    result = check_namespace(namespace, assignment=target, exercise=exercise)
    console = Console(highlight=False)
    for ex in result.exercises:
        for test in ex.tests:
            mark = "[green]✓[/green]" if test.passed else "[red]✗[/red]"
            console.print(f"{mark} {ex.id}: {test.name}" + (f" — {test.message}" if test.message else ""))
    tests = [t for e in result.exercises for t in e.tests]
    if not tests:
        console.print(f"[yellow]{exercise} has no public tests[/yellow]")
    elif all(t.passed for t in tests):
        console.print(f"[green]{exercise}: all {len(tests)} public tests pass[/green]")
    return result


def _find_assignment(exercise: str) -> Assignment:
    matches = []
    for assignment_id in list_assignments():
        candidate = load_assignment(assignment_id)
        if any(e.id == exercise for e in candidate.manifest.exercises):
            matches.append(candidate)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UnknownAssignment(f"no assignment has an exercise {exercise!r}")
    names = ", ".join(m.id for m in matches)
    raise GraderError(f"{exercise!r} is in several assignments ({names}); pass assignment=...")


def _caller_namespace() -> dict[str, Any]:
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        return shell.user_ns  # type: ignore[no-any-return]
    frame = inspect.stack()[3].frame  # check_live <- grader.check <- the notebook
    return frame.f_globals
