"""The ``grader`` command line: ``grade``, ``check`` and ``assignments``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from collections.abc import Callable
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from grader.assignments import list_assignments, load_assignment
from grader.config import get_settings
from grader.errors import GraderError, NotebookError
from grader.grading import grade_path
from grader.models import GradeResult

T = TypeVar("T")

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Grade deep-learning notebook exercises.")
out = Console()
err = Console(stderr=True)

NotebookArg = Annotated[Path, typer.Argument(help="The .ipynb file to grade.", show_default=False)]


@app.command()
def grade(
    notebook: NotebookArg,
    assignment: Annotated[str, typer.Option("--assignment", "-a", help="Assignment id, e.g. mlp-basics.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result contract as JSON.")] = False,
    seed: Annotated[int | None, typer.Option(help="Fix the secret test seed (to reproduce a grading).")] = None,
) -> None:
    """Execute NOTEBOOK and grade it with the public and hidden tests."""
    result = _guard(lambda: grade_path(notebook, assignment=assignment, seed=seed))
    if as_json:
        sys.stdout.write(result.model_dump_json() + "\n")
    else:
        _print_result(result)
    if result.status == "error":
        raise typer.Exit(1)


@app.command()
def check(
    notebook: NotebookArg,
    assignment: Annotated[
        str | None, typer.Option("--assignment", "-a", help="Assignment id; read from the notebook if omitted.")
    ] = None,
) -> None:
    """Run the public tests on NOTEBOOK; exit 0 only if all of them pass."""
    assignment_id = assignment or _guard(lambda: _assignment_from_metadata(notebook))
    result = _guard(lambda: grade_path(notebook, assignment=assignment_id, hidden=False, sandboxed=False))
    _print_result(result)
    passed = all(t.passed for e in result.exercises for t in e.tests)
    if passed:
        out.print("[green]All public tests pass.[/green] Hidden tests run when you submit.")
    raise typer.Exit(0 if passed else 1)


@app.command("assignments")
def assignments_command() -> None:
    """List the assignments and their exercises."""
    table = Table("assignment", "title", "exercises", "points")
    for assignment_id in list_assignments():
        manifest = _guard(lambda: load_assignment(assignment_id)).manifest
        table.add_row(manifest.id, manifest.title, ", ".join(e.id for e in manifest.exercises),
                      f"{manifest.max_score:g}")
    out.print(table)


def _assignment_from_metadata(notebook: Path) -> str:
    try:
        meta = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
        found = meta.get("grader", {}).get("assignment")
    except (OSError, ValueError, AttributeError):
        found = None
    if not isinstance(found, str):
        raise NotebookError("the notebook does not say which assignment it is; pass --assignment ID")
    return found


def _guard(action: Callable[[], T]) -> T:
    """Run ``action``; turn grader's errors into a one-line message and exit code 2."""
    try:
        return action()
    except GraderError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted")


def _print_result(result: GradeResult) -> None:
    status_style = {"graded": "green", "timeout": "yellow", "error": "red", "rejected": "red"}[result.status]
    for exercise in result.exercises:
        table = Table(title=f"{exercise.id}  {exercise.score:g}/{exercise.max_score:g}", title_justify="left",
                      show_lines=False, expand=False)
        table.add_column("test")
        table.add_column("", justify="center")
        table.add_column("points", justify="right")
        table.add_column("feedback", overflow="fold")
        for test in exercise.tests:
            mark = "[green]✓[/green]" if test.passed else "[red]✗[/red]"
            name = f"{test.name} [dim](hidden)[/dim]" if test.hidden else test.name
            table.add_row(name, mark, f"{test.points:g}/{test.max_points:g}", test.message)
        out.print(table)
    errors = ", ".join(f"cell {e.cell}: {e.ename}" for e in result.execution.cell_errors)
    out.print(f"cells ran in {result.execution.duration_s:.1f} s" + (f"; errors in {errors}" if errors else ""))
    out.print(f"[bold]{result.assignment}: {result.score:g} / {result.max_score:g}[/bold] "
              f"([{status_style}]{result.status}[/{status_style}])")


def fail(message: str) -> NoReturn:
    """Print a one-line error and exit with status 2."""
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)
