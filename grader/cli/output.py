"""What every command shares: the consoles, one-line errors, and how a result is printed for people."""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections.abc import Callable
from typing import NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.checking import HIDDEN_NOTE
from grader.errors import GraderError
from grader.feedback import HIDDEN_LINE
from grader.models import GradeResult
from grader.scoring import format_score

T = TypeVar("T")

out = Console()
err = Console(stderr=True)
# what `pip install 'grader[service]'` adds to the student's wheel
SERVICE_LIBRARIES = ("sqlalchemy", "alembic", "fastapi", "uvicorn", "celery")


def fail(message: str) -> NoReturn:
    """Print a one-line error and exit with status 2."""
    err.print(Text.assemble(("error:", "red"), " ", message), highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def guard(action: Callable[[], T]) -> T:
    """Run ``action``; turn grader's errors into a one-line message and exit code 2."""
    try:
        return action()
    except GraderError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted")


def need_service() -> None:
    """Stop with one line where the service's libraries are missing (the student's wheel alone)."""
    missing = [name for name in SERVICE_LIBRARIES if importlib.util.find_spec(name) is None]
    if missing:
        fail(f"this command is the grading service's: pip install 'grader[service]' (missing: {', '.join(missing)})")


def local_time(moment: dt.datetime) -> str:
    """A timestamp in this machine's time zone, to the second, with the zone's name."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def print_result(result: GradeResult, *, public_only: bool = False) -> None:
    """Each exercise's tests as a table, then the cell errors and the total.

    ``public_only`` (``grader check``): no points and no total, which would look
    like a grade; a count of the public tests passed instead.
    """
    for exercise in result.exercises:
        title = exercise.id if public_only else (
            f"{exercise.id}  {format_score(exercise.score)}/{format_score(exercise.max_score)}")
        table = Table(title=Text(title), title_justify="left", show_lines=False, expand=False)
        table.add_column("public test" if public_only else "test")
        table.add_column("", justify="center")
        if not public_only:
            table.add_column("points", justify="right")
        table.add_column("feedback", overflow="fold")
        for test in exercise.tests:
            mark = Text("✓", "green") if test.passed else Text("✗", "red")
            # names and messages can carry the student's own text: never read as markup
            name = Text.assemble(test.name, (" (hidden)", "dim") if test.hidden and test.name != HIDDEN_LINE else "")
            points = [] if public_only else [f"{format_score(test.points)}/{format_score(test.max_points)}"]
            table.add_row(name, mark, *points, Text(test.message))
        out.print(table)
        if exercise.note:
            out.print(Text(exercise.note, "yellow"))
    _print_cell_errors(result)
    if public_only:
        tests = [t for e in result.exercises for t in e.tests]
        out.print(Text(f"public tests: {sum(t.passed for t in tests)}/{len(tests)} passed — {HIDDEN_NOTE}", "bold"))
        return
    style = {"graded": "green", "timeout": "yellow", "error": "red", "rejected": "red"}[result.status]
    out.print(Text.assemble((f"{result.assignment}: {format_score(result.score)} / "
                             f"{format_score(result.max_score)}", "bold"), " (", (result.status.value, style), ")"))
    if result.execution.timeout is not None:  # a timeout with every exercise graded is no failure: say which
        out.print(Text(f"timeout: {result.execution.timeout.message}", style))


def _how_cells_ran(result: GradeResult) -> str:
    """", 7 skipped (no grade depends on them)", or why every cell ran after all."""
    execution = result.execution
    if execution.fallback:
        return f" (every cell: {execution.fallback})"
    if execution.skipped_cells:
        return f", {len(execution.skipped_cells)} skipped (no grade depends on them)"
    return ""


def _print_cell_errors(result: GradeResult) -> None:
    errors = result.execution.cell_errors
    out.print(Text(f"cells ran in {result.execution.duration_s:.1f} s" + _how_cells_ran(result)
                   + ("; no cell raised an error" if not errors else "")))
    if not errors:
        return
    table = Table("cell", "error", "line", title=Text("cells that failed"), title_justify="left")
    for error in errors:
        message = f"{error.ename}: {error.evalue}" if error.evalue else error.ename
        table.add_row(Text(error.label), Text(message), Text(error.line))
    out.print(table)
