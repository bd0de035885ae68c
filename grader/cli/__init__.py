"""The ``grader`` command line (typer + rich): one module per audience, registered here."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer

from grader.cli.grade import assignments, grade
from grader.cli.plain_help import plain_help
from grader.cli.roster import roster_app
from grader.cli.serve import serve, worker
from grader.cli.student import check, fetch, result, submissions, submit

__all__ = ["app"]

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Grade deep-learning notebook exercises: students fetch, check and submit; "
                       "instructors grade, serve and keep the roster.")


def _version(shown: bool) -> None:
    if shown:
        try:
            typer.echo(f"grader {version('grader')}")
        except PackageNotFoundError:  # running from a source tree that was never installed
            typer.echo("grader (not installed)")
        raise typer.Exit()


@app.callback()
def main(
    _show_version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print grader's version and exit.")] = False,
) -> None:
    """Grade deep-learning notebook exercises: students fetch, check and submit; instructors grade and serve."""


# students first: they are most of the people who type `grader --help`
for student_command in (fetch, check, submit, submissions, result):
    app.command(rich_help_panel="Students")(student_command)
for instructor_command in (grade, assignments, serve, worker):
    app.command(rich_help_panel="Instructors")(instructor_command)
app.add_typer(roster_app, name="roster", rich_help_panel="Instructors")
plain_help(app)
