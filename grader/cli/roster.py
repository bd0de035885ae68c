"""``grader roster``: who may submit and who sees everything; tokens are printed once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.table import Table
from rich.text import Text

from grader.cli.output import guard, need_service, out
from grader.config import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from grader.service.roster import Member

T = TypeVar("T")

roster_app = typer.Typer(no_args_is_help=True, callback=need_service,
                         help="Add, list and remove students and instructors; print their tokens once.")


@roster_app.command("add")
def roster_add(
    name: Annotated[str, typer.Argument(help="Full name.", show_default=False)],
    email: Annotated[str, typer.Argument(help="Email address (unique).", show_default=False)],
    instructor: Annotated[bool, typer.Option("--instructor", help="An instructor: sees every submission.")] = False,
) -> None:
    """Add one person to the roster and print their bearer token (shown only now)."""
    from grader.service.records import Role
    from grader.service.roster import add_member

    role = Role.instructor if instructor else Role.student
    members = guard(lambda: with_session(lambda session: [add_member(session, name=name, email=email, role=role)]))
    _print_tokens(members)


@roster_app.command("import")
def roster_import(
    csv_file: Annotated[Path, typer.Argument(help="CSV with a header: name,email[,role].", show_default=False)],
) -> None:
    """Add everyone in a roster CSV (all or nobody) and print their tokens (shown only now)."""
    from grader.service.roster import import_roster

    _print_tokens(guard(lambda: with_session(lambda session: import_roster(session, csv_file))))


@roster_app.command("demo")
def roster_demo() -> None:
    """Seed the demo course (one instructor, two students) and print fresh tokens for them."""
    from grader.service.roster import seed_demo

    _print_tokens(guard(lambda: with_session(seed_demo)))


@roster_app.command("list")
def roster_list(
    show_all: Annotated[bool, typer.Option("--all", help="Also list the people removed (last).")] = False,
) -> None:
    """Everyone on the roster: name, email, role, submissions, the date they were added."""
    from grader.service.roster import list_members

    entries = guard(lambda: with_session(list_members))
    removed = sum(entry.user.removed_at is not None for entry in entries)
    shown = [entry for entry in entries if show_all or entry.user.removed_at is None]
    hidden = f"; {removed} removed (--all lists them)" if removed and not show_all else ""
    if not shown:
        out.print(f"no one is on the roster{hidden}: add people with `grader roster add` or `grader roster import`",
                  soft_wrap=True, markup=False, highlight=False)
        return
    table = Table()
    table.add_column("name", overflow="fold")
    table.add_column("email", overflow="fold")
    for column in ("role", "submissions", "added (UTC)", *(["removed (UTC)"] if show_all else [])):
        table.add_column(column, no_wrap=True, justify="right" if column == "submissions" else "left")
    for entry in shown:  # names and emails are whatever was typed or imported: never read as markup
        user = entry.user
        removed_on = [_date(user.removed_at) if user.removed_at else ""] if show_all else []
        table.add_row(Text(_printable(user.name)), Text(_printable(user.email)), user.role.value, str(entry.submissions),
                      _date(user.created_at), *removed_on)
    out.print(table)
    out.print(f"{len(shown)} {'person' if len(shown) == 1 else 'people'}{hidden}", soft_wrap=True, markup=False,
              highlight=False)


@roster_app.command("reissue")
def roster_reissue(
    email: Annotated[str, typer.Argument(help="Email of the person who lost their token.", show_default=False)],
) -> None:
    """Print a new token for someone (shown only now); their old token and browser sessions stop working."""
    from grader.service.roster import reissue_token

    member, ended = guard(lambda: with_session(lambda session: reissue_token(session, email)))
    _print_tokens([member])
    out.print(f"the old token no longer works; {ended} browser session(s) ended", soft_wrap=True, markup=False,
              highlight=False)


@roster_app.command("remove")
def roster_remove(
    email: Annotated[str, typer.Argument(help="Email of the person to take off the roster.", show_default=False)],
) -> None:
    """Take someone off the roster: no API, no sign-in; their submissions and results are kept."""
    from grader.service.roster import remove_member

    removal = guard(lambda: with_session(lambda session: remove_member(session, email)))
    kept = f"{removal.submissions} submission{'' if removal.submissions == 1 else 's'} kept"
    out.print(f"removed {_printable(removal.name)} <{_printable(removal.email)}>: {kept} (`grader roster add` brings them back)",
              soft_wrap=True, markup=False, highlight=False)


def with_session(action: Callable[[Session], T]) -> T:
    """Run ``action`` in one transaction on the service's database (migrated first)."""
    from grader.service.db import make_engine, migrate, session_scope

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
        out.print(f"{_printable(member.name)} <{_printable(member.email)}> {member.role.value}: {member.token}", soft_wrap=True,
                  highlight=False, markup=False)
    for member in members:
        if member.restored:
            out.print(f"{member.email} was removed and is back on the roster with a new token; "
                      "their earlier submissions are kept", soft_wrap=True, highlight=False, markup=False)
    out.print(f"{len(members)} token(s), shown only now and stored hashed: hand them out securely.")


def _date(moment: dt.datetime) -> str:
    # SQLite hands back naive datetimes; they were stored in UTC
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).date().isoformat()


def _printable(text: str) -> str:
    # add refuses control characters, but rows from before that must not drive the terminal either
    return "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in text)
