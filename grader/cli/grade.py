"""The instructor's commands on this machine: ``grade`` notebooks, list the ``assignments``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from grader.assignments import list_assignments, load_assignment
from grader.batch import BatchItem, grade_many, notebooks_in, write_csv
from grader.cli.output import err, fail, guard, out, print_result
from grader.config import Settings, get_settings
from grader.errors import NotebookError
from grader.grading import grade_path
from grader.scoring import format_score


def _default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)))


def grade(
    notebooks: Annotated[list[Path], typer.Argument(help="Notebooks, or folders of them, to grade.",
                                                    metavar="NOTEBOOK", show_default=False)],
    assignment: Annotated[str, typer.Option("--assignment", "-a", help="Assignment id, e.g. mlp-basics.", metavar="ID")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result contract as JSON (one notebook).")] = False,
    seed: Annotated[int | None, typer.Option(help="Fix the secret test seed (to reproduce a grading).",
                                              metavar="N")] = None,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write one row per notebook to this CSV file.",
                                                                  metavar="FILE")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for each notebook's result JSON "
                                                 "(default: beside the notebook, NAME.result.json).",
                                                 metavar="DIR")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Notebooks graded at once.", metavar="N")] = _default_jobs(),
    full: Annotated[bool, typer.Option("--full", help="Run every cell, even where the manifest's [execution] "
                                       "mode skips those no grade depends on.")] = False,
) -> None:
    """Execute each notebook in a sandboxed kernel and grade it with the public and hidden tests.

    One notebook: prints its results. Several (or a folder): grades them in
    parallel with a progress bar, writes each result as JSON and a summary CSV.
    """
    paths = guard(lambda: _existing(notebooks_in(notebooks)))
    if len(paths) == 1 and csv_path is None and out_dir is None:
        result = guard(lambda: grade_path(paths[0], assignment=assignment, seed=seed, full=full))
        if as_json:
            sys.stdout.write(result.model_dump_json() + "\n")
        else:
            print_result(result)
        if result.status == "error":
            raise typer.Exit(1)
        return
    if as_json:
        fail("--json prints one result; with several notebooks use --out and --csv")
    settings = get_settings()
    guard(lambda: load_assignment(assignment, settings))
    items = _grade_batch(paths, assignment=assignment, settings=settings, jobs=min(jobs, len(paths)), seed=seed,
                         full=full)
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


def assignments() -> None:
    """List the assignments and their exercises."""
    table = Table("assignment", "title", "exercises", "points")
    for assignment_id in list_assignments():
        manifest = guard(lambda: load_assignment(assignment_id)).manifest
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
                 seed: int | None, full: bool) -> list[BatchItem]:
    items: list[BatchItem] = []
    columns = (SpinnerColumn(), TextColumn("[progress.description]{task.description}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err) as progress:
        task = progress.add_task(f"grading {assignment} ({jobs} at once)", total=len(paths))
        try:
            for item in grade_many(paths, assignment=assignment, settings=settings, jobs=jobs, seed=seed,
                                   full=full):
                items.append(item)
                progress.advance(task)
                score = f"{format_score(item.result.score)}/{format_score(item.result.max_score)}" if item.result else item.error
                progress.console.print(f"{item.path}: {item.status} {score}", highlight=False, markup=False)
        except KeyboardInterrupt:
            fail("interrupted")
    return sorted(items, key=lambda item: paths.index(item.path))


def _print_summary(items: list[BatchItem], csv_path: Path | None) -> None:
    table = Table("notebook", "status", "score")
    for item in items:
        score = f"{format_score(item.result.score)} / {format_score(item.result.max_score)}" if item.result else (item.error or "")
        table.add_row(str(item.path), item.status, score)
    out.print(table)
    graded = sum(item.status == "graded" for item in items)
    out.print(f"{graded} of {len(items)} graded" + (f"; wrote {csv_path}" if csv_path else ""))
