"""The student's commands: ``fetch`` a kit, ``check`` on this machine, ``submit``, read ``submissions``."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from grader.assignments import ID_PATTERN, find_assignment
from grader.cli.output import err, fail, guard, local_time, out, print_result
from grader.client import (SubmissionView, client_config, fetch_kit, list_submissions, read_submission, upload,
                           wait_for_result)
from grader.errors import NotebookError
from grader.grading import grade_path
from grader.kit import unpack_kit
from grader.models import SubmissionStatus
from grader.scoring import format_score

NotebookArg = Annotated[Path, typer.Argument(help="The .ipynb file.", metavar="NOTEBOOK", show_default=False)]
ServerOpt = Annotated[str | None, typer.Option(help="Service URL (or GRADER_SERVER, or the config file).",
                                               metavar="URL")]
TokenOpt = Annotated[str | None, typer.Option(help="Your token (or GRADER_TOKEN, or the config file).",
                                              metavar="TOKEN")]
UNSANDBOXED_NOTE = ("grader check runs your notebook here, outside any sandbox: your own code on your own machine "
                    "(or your Colab session). Submissions are graded in the service's sandbox.")


def fetch(
    assignment: Annotated[str, typer.Argument(help="Assignment id, e.g. mlp-basics.", metavar="ASSIGNMENT",
                                              show_default=False)],
    server: ServerOpt = None,
    token: TokenOpt = None,
    folder: Annotated[Path, typer.Option("--dir", help="Where to put the assignment's folder.",
                                         metavar="DIR")] = Path("."),
) -> None:
    """Download ASSIGNMENT's notebook, public tests and data files into DIR/ASSIGNMENT/."""
    if not re.fullmatch(ID_PATTERN, assignment):
        fail(f"{assignment[:80]!r} is not an assignment id (e.g. mlp-basics)")
    url, secret = guard(lambda: client_config(server, token))
    with err.status(Text(f"fetching {assignment} from {url}")):
        data = guard(lambda: fetch_kit(assignment, server=url, token=secret))
    kit, kept = guard(lambda: unpack_kit(data, folder, assignment_id=assignment))
    found = guard(lambda: find_assignment(assignment, near=kit))
    notebook = kit / found.manifest.notebook
    out.print(Text(f"fetched {assignment} into {kit}"))
    for name in kept:
        out.print(Text(f"kept your {name} as it was (not overwritten); move it away to get a fresh copy"))
    out.print(Text(f"next: work in {notebook} with Jupyter; in that folder run `grader check {notebook.name}` "
                   f"(public tests) and `grader submit {notebook.name}`"))


def check(
    notebook: NotebookArg,
    assignment: Annotated[str | None, typer.Option(
        "--assignment", "-a", help="Assignment id; read from the notebook if omitted.", metavar="ID")] = None,
) -> None:
    """Run the public tests on NOTEBOOK here; exit 0 only if all of them pass (the hidden ones run on submit)."""
    assignment_id = assignment or guard(lambda: assignment_from_metadata(notebook))
    target = guard(lambda: find_assignment(assignment_id, near=notebook.resolve().parent))
    err.print(Text(UNSANDBOXED_NOTE, "dim"), soft_wrap=True)
    result = guard(lambda: grade_path(notebook, assignment=target, hidden=False, sandboxed=False))
    print_result(result, public_only=True)
    tests = [t for e in result.exercises for t in e.tests]
    raise typer.Exit(0 if tests and all(t.passed for t in tests) else 1)


def submit(
    notebook: NotebookArg,
    assignment: Annotated[str | None, typer.Option(
        "--assignment", "-a", help="Assignment id; read from the notebook if omitted.", metavar="ID")] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the result.", metavar="SECONDS")] = 900,
) -> None:
    """Upload NOTEBOOK, follow it live, print the results; exit 0 only if it was graded."""
    assignment_id = assignment or guard(lambda: assignment_from_metadata(notebook))
    url, secret = guard(lambda: client_config(server, token))
    with err.status(Text(f"uploading {notebook.name} to {url}")):
        receipt = guard(lambda: upload(notebook, assignment=assignment_id, server=url, token=secret))
    out.print(Text(f"submitted {notebook.name} for {receipt.assignment}: submission {receipt.id}"))
    out.print(Text(f"receipt: sha256 {receipt.notebook_sha256}, stored {local_time(receipt.queued_at)}"
                   + (" — late (after the deadline)" if receipt.late else "")))
    seen: list[SubmissionStatus] = []

    def show(status: SubmissionStatus, waited: float) -> None:
        if err.is_terminal:
            spinner.update(Text(f"submission {receipt.id}: {status.value} · {waited:.0f} s"))
        elif not seen or seen[-1] != status:  # a log or a pipe: one line per phase
            err.print(f"{status.value} after {waited:.0f} s", highlight=False)
        seen.append(status)

    with err.status(Text(f"submission {receipt.id}: queued")) as spinner:
        submission = guard(lambda: wait_for_result(receipt, server=url, token=secret, timeout=timeout,
                                                   on_status=show))
    _print_submission(submission)
    raise typer.Exit(0 if submission.status == SubmissionStatus.graded else 1)


def submissions(
    assignment: Annotated[str | None, typer.Option("--assignment", "-a", help="Only this assignment.",
                                                   metavar="ID")] = None,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """List your submissions, newest first, with their status and score."""
    url, secret = guard(lambda: client_config(server, token))
    rows = [s for s in guard(lambda: list_submissions(server=url, token=secret))
            if assignment is None or s.assignment == assignment]
    if not rows:
        out.print("no submissions yet" + (f" for {assignment}" if assignment else ""), markup=False)
        return
    table = Table("id", "submitted", "assignment", "status", "score")
    for row in rows:
        score = f"{format_score(row.result.score)} / {format_score(row.result.max_score)}" if row.result else "–"
        table.add_row(Text(row.id), local_time(row.queued_at) + (" (late)" if row.late else ""),
                      Text(row.assignment), row.status.value, score)
    out.print(table)
    out.print("details: grader result ID", highlight=False)


def result(
    submission_id: Annotated[str, typer.Argument(help="The submission's id (from submit or submissions).",
                                                 metavar="ID", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result contract as JSON.")] = False,
    server: ServerOpt = None,
    token: TokenOpt = None,
) -> None:
    """Print one of your submissions and its result; exit 0 only if it was graded."""
    url, secret = guard(lambda: client_config(server, token))
    submission = guard(lambda: read_submission(submission_id, server=url, token=secret))
    if as_json:
        sys.stdout.write(submission.model_dump_json() + "\n")
    else:
        out.print(Text(f"submission {submission.id} for {submission.assignment}, submitted "
                       f"{local_time(submission.queued_at)}" + (" (late)" if submission.late else "")))
        _print_submission(submission)
    raise typer.Exit(0 if submission.status == SubmissionStatus.graded else 1)


def _print_submission(submission: SubmissionView) -> None:
    if submission.result is not None:
        print_result(submission.result)
    elif submission.status in (SubmissionStatus.queued, SubmissionStatus.running):
        out.print(Text(f"{submission.status.value}: no result yet; ask again in a moment"))
    else:
        out.print(Text(f"{submission.status.value}: {submission.error or 'no result'}", "red"))


def assignment_from_metadata(notebook: Path) -> str:
    """The assignment id a notebook carries in its metadata (``metadata.grader.assignment``)."""
    try:
        meta = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
        found = meta.get("grader", {}).get("assignment")
    except OSError as exc:
        raise NotebookError(f"cannot read {notebook}: {exc.strerror or exc}") from None
    except (ValueError, AttributeError):
        found = None
    if not isinstance(found, str):
        raise NotebookError(f"{notebook} does not say which assignment it is; pass --assignment ID")
    return found
