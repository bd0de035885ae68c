"""The ``grader`` command line: ``grade``, ``check`` and ``assignments``."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from collections.abc import Callable
from typing import Annotated, NoReturn, TypeVar

import typer
from sqlalchemy.orm import Session
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from grader.assignments import list_assignments, load_assignment
from grader.batch import BatchItem, grade_many, notebooks_in, write_csv
from grader.config import Settings, get_settings
from grader.errors import GraderError, NotebookError
from grader.grading import grade_path
from grader.client import client_config, submit_and_wait
from grader.service.db import make_engine, migrate, session_scope
from grader.models import GradeResult
from grader.service.records import Role
from grader.service.roster import Member, add_member, import_roster, seed_demo
from grader.sandbox import tool_paths, warn_unsandboxed

T = TypeVar("T")

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Grade deep-learning notebook exercises.")
out = Console()
err = Console(stderr=True)

def _default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)))


NotebookArg = Annotated[Path, typer.Argument(help="The .ipynb file to grade.", show_default=False)]


@app.command()
def grade(
    notebooks: Annotated[list[Path], typer.Argument(help="Notebooks, or folders of them, to grade.",
                                                    show_default=False)],
    assignment: Annotated[str, typer.Option("--assignment", "-a", help="Assignment id, e.g. mlp-basics.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result contract as JSON (one notebook).")] = False,
    seed: Annotated[int | None, typer.Option(help="Fix the secret test seed (to reproduce a grading).")] = None,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write one row per notebook to this CSV file.")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for each notebook's result JSON "
                                                 "(default: beside the notebook, NAME.result.json).")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Notebooks graded at once.")] = _default_jobs(),
) -> None:
    """Execute each notebook in a sandboxed kernel and grade it with the public and hidden tests.

    One notebook: prints its results. Several (or a folder): grades them in
    parallel with a progress bar, writes each result as JSON and a summary CSV.
    """
    paths = _guard(lambda: _existing(notebooks_in(notebooks)))
    if len(paths) == 1 and csv_path is None and out_dir is None:
        result = _guard(lambda: grade_path(paths[0], assignment=assignment, seed=seed))
        if as_json:
            sys.stdout.write(result.model_dump_json() + "\n")
        else:
            _print_result(result)
        if result.status == "error":
            raise typer.Exit(1)
        return
    if as_json:
        fail("--json prints one result; with several notebooks use --out and --csv")
    settings = get_settings()
    _guard(lambda: load_assignment(assignment, settings))
    items = _grade_batch(paths, assignment=assignment, settings=settings, jobs=min(jobs, len(paths)), seed=seed)
    for item in items:
        if item.result is not None:
            target = out_dir / f"{item.path.stem}.result.json" if out_dir else item.path.with_suffix(".result.json")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(item.result.model_dump_json(indent=1) + "\n", encoding="utf-8")
    if csv_path is not None:
        write_csv(items, csv_path)
    _print_summary(items, csv_path)
    if any(item.status in ("error", "rejected") for item in items):
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


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int | None, typer.Option(help="Grading processes (default: GRADER_WORKERS).")] = None,
) -> None:
    """Run the grading service: migrations, the sandboxed pool and the API, in one process."""
    import uvicorn

    from api.main import create_app

    settings = _guard(get_settings)
    if settings.sandbox:
        _guard(tool_paths)  # refuse to start without bubblewrap
    else:
        warn_unsandboxed()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    err.print(f"grader: sign in at http://{host}:{port}/login with a roster token; API docs at /docs",
              highlight=False, soft_wrap=True)
    uvicorn.run(create_app(settings, workers=workers), host=host, port=port, log_level="info")


@app.command()
def submit(
    notebook: NotebookArg,
    assignment: Annotated[str, typer.Option("--assignment", "-a", help="Assignment id, e.g. mlp-basics.")],
    server: Annotated[str | None, typer.Option(help="Service URL (or GRADER_SERVER, or the config file).")] = None,
    token: Annotated[str | None, typer.Option(help="Your token (or GRADER_TOKEN, or the config file).")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the result.")] = 900,
) -> None:
    """Upload NOTEBOOK, follow it live, print the results; exit 0 only if it was graded."""
    url, secret = _guard(lambda: client_config(server, token))
    with err.status(f"uploading {notebook.name} to {url}") as spinner:
        result = _guard(lambda: submit_and_wait(
            notebook, assignment=assignment, server=url, token=secret, timeout=timeout,
            on_status=lambda status: spinner.update(f"{notebook.name}: {status}")))
    _print_result(result)
    raise typer.Exit(0 if result.status == "graded" else 1)


roster_app = typer.Typer(no_args_is_help=True, help="Add students and instructors; print their tokens once.")
app.add_typer(roster_app, name="roster")


@roster_app.command("add")
def roster_add(
    name: Annotated[str, typer.Argument(help="Full name.", show_default=False)],
    email: Annotated[str, typer.Argument(help="Email address (unique).", show_default=False)],
    instructor: Annotated[bool, typer.Option("--instructor", help="An instructor: sees every submission.")] = False,
) -> None:
    """Add one person to the roster and print their bearer token (shown only now)."""
    role = Role.instructor if instructor else Role.student
    members = _guard(lambda: _with_session(lambda session: [add_member(session, name=name, email=email, role=role)]))
    _print_tokens(members)


@roster_app.command("import")
def roster_import(
    csv_file: Annotated[Path, typer.Argument(help="CSV with a header: name,email[,role].", show_default=False)],
) -> None:
    """Add everyone in a roster CSV (all or nobody) and print their tokens (shown only now)."""
    _print_tokens(_guard(lambda: _with_session(lambda session: import_roster(session, csv_file))))


@roster_app.command("demo")
def roster_demo() -> None:
    """Seed the demo course (one instructor, two students) and print fresh tokens for them."""
    _print_tokens(_guard(lambda: _with_session(seed_demo)))


def _with_session(action: Callable[[Session], T]) -> T:
    engine = make_engine(get_settings())
    try:
        migrate(engine)
        with session_scope(engine) as session:
            return action(session)
    finally:
        engine.dispose()


def _print_tokens(members: list[Member]) -> None:
    # one plain line each, never wrapped or cut: a token must survive copy and paste
    for member in members:
        out.print(f"{member.name} <{member.email}> {member.role.value}: {member.token}", soft_wrap=True,
                  highlight=False, markup=False)
    out.print(f"{len(members)} token(s), shown only now and stored hashed: hand them out securely.")


@app.command("assignments")
def assignments_command() -> None:
    """List the assignments and their exercises."""
    table = Table("assignment", "title", "exercises", "points")
    for assignment_id in list_assignments():
        manifest = _guard(lambda: load_assignment(assignment_id)).manifest
        table.add_row(manifest.id, manifest.title, ", ".join(e.id for e in manifest.exercises),
                      f"{manifest.max_score:g}")
    out.print(table)


def _existing(paths: list[Path]) -> list[Path]:
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise NotebookError(f"no such notebook: {', '.join(missing)}")
    if not paths:
        raise NotebookError("no .ipynb files found")
    return paths


def _grade_batch(paths: list[Path], *, assignment: str, settings: Settings, jobs: int,
                 seed: int | None) -> list[BatchItem]:
    items: list[BatchItem] = []
    columns = (SpinnerColumn(), TextColumn("[progress.description]{task.description}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err) as progress:
        task = progress.add_task(f"grading {assignment} ({jobs} at once)", total=len(paths))
        try:
            for item in grade_many(paths, assignment=assignment, settings=settings, jobs=jobs, seed=seed):
                items.append(item)
                progress.advance(task)
                score = f"{item.result.score:g}/{item.result.max_score:g}" if item.result else item.error
                progress.console.print(f"{item.path}: {item.status} {score}", highlight=False)
        except KeyboardInterrupt:
            fail("interrupted")
    return sorted(items, key=lambda item: paths.index(item.path))


def _print_summary(items: list[BatchItem], csv_path: Path | None) -> None:
    table = Table("notebook", "status", "score")
    for item in items:
        score = f"{item.result.score:g} / {item.result.max_score:g}" if item.result else (item.error or "")
        table.add_row(str(item.path), item.status, score)
    out.print(table)
    graded = sum(item.status == "graded" for item in items)
    out.print(f"{graded} of {len(items)} graded" + (f"; wrote {csv_path}" if csv_path else ""))


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
