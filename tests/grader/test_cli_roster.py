"""``grader roster``: what an instructor sees in the terminal (tokens, the table, one-line errors, exit codes)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from grader.config import Settings
from grader.service.db import make_engine, migrate, session_scope
from grader.service.records import Role, User
from grader.service.roster import add_member, authenticate
from tests.conftest import FILES
from tests.utils.records import submit

TOKEN_LINE = r"^{who} (student|instructor): (\S{{43}})$"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(exercises_dir=FILES / "toy" / "exercises", reference_dir=FILES / "toy" / "reference",
                    cache_dir=tmp_path / "cache", data_dir=tmp_path / "data")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """The database the CLI will open (GRADER_DATA_DIR), for seeding and checking tokens."""
    engine = make_engine(settings)
    migrate(engine)
    yield engine
    engine.dispose()


def _run(args: list[str], settings: Settings, *, columns: int = 200) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GRADER_DATA_DIR": str(settings.data_dir), "COLUMNS": str(columns)}
    return subprocess.run([sys.executable, "-m", "grader", "roster", *args], capture_output=True, text=True,
                          env=env, timeout=60, check=False)


def _token(output: str, who: str) -> str:
    match = re.search(TOKEN_LINE.format(who=re.escape(who)), output, re.MULTILINE)
    assert match, output
    return match.group(2)


def _authenticates(engine: Engine, token: str) -> bool:
    with session_scope(engine) as session:
        return authenticate(session, token) is not None


def _rows(output: str) -> list[list[str]]:
    """The body rows of a rich table, cell by cell (each row on one line at 200 columns)."""
    return [[cell.strip() for cell in line.split("│")[1:-1]] for line in output.splitlines() if line.startswith("│")]


def _one_error(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == f"error: {message}" and "Traceback" not in result.stderr


def test_the_cli_prints_each_token_whole_on_its_own_line(settings: Settings, engine: Engine) -> None:
    added = _run(["add", "Ada Lovelace", "ada@example.org", "--instructor"], settings, columns=40)
    assert added.returncode == 0, added.stderr
    assert _authenticates(engine, _token(added.stdout, "Ada Lovelace <ada@example.org>"))
    _one_error(_run(["add", "Ada", "ada@example.org"], settings), "ada@example.org is already on the roster")


def test_an_empty_roster_says_so_in_one_line(settings: Settings, engine: Engine) -> None:
    listed = _run(["list"], settings, columns=40)
    assert listed.returncode == 0 and listed.stderr == ""
    assert listed.stdout.strip() == ("no one is on the roster: add people with `grader roster add` "
                                     "or `grader roster import`")


@pytest.fixture
def course(settings: Settings, engine: Engine) -> dict[str, str]:
    """Ada (3 submissions), a student with markup in her name, a pre-existing row with a terminal escape, and
    an instructor; the tokens of Ada and the instructor."""
    with session_scope(engine) as session:
        tokens = {"ada": add_member(session, name="Ada Lovelace", email="ada@example.org").token,
                  "tess": add_member(session, name="Tess", email="tess@example.org", role=Role.instructor).token}
        add_member(session, name="[bold red]Mallory[/] [link=https://evil.example]x[/link]",
                   email="mallory@example.org")
        # add refuses control characters now; a row from before that must still not reach the terminal raw
        session.add(User(name="Eve\x1b[2J", email="eve@example.org", role=Role.student, token_sha256="e" * 64))
    with session_scope(engine) as session:
        user = session.query(User).filter_by(email="ada@example.org").one()
    for minute in range(3):  # a minute apart: under the rate limit
        submit(engine, settings, user, now=dt.datetime(2026, 11, 2, 9, minute, tzinfo=dt.UTC))
    return tokens


def test_the_list_shows_everyone_as_typed_with_their_submissions(settings: Settings, course: dict[str, str]) -> None:
    listed = _run(["list"], settings)
    assert listed.returncode == 0, listed.stderr
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert _rows(listed.stdout) == [
        ["Ada Lovelace", "ada@example.org", "student", "3", today],
        ["Eve\N{REPLACEMENT CHARACTER}[2J", "eve@example.org", "student", "0", today],
        ["Tess", "tess@example.org", "instructor", "0", today],
        ["[bold red]Mallory[/] [link=https://evil.example]x[/link]", "mallory@example.org", "student", "0", today],
    ]
    assert "\x1b" not in listed.stdout
    assert listed.stdout.rstrip().endswith("4 people")


def test_remove_says_what_is_kept_and_add_brings_the_person_back(settings: Settings, engine: Engine,
                                                                 course: dict[str, str]) -> None:
    removed = _run(["remove", "Ada@Example.org"], settings)
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.strip() == ("removed Ada Lovelace <ada@example.org>: 3 submissions kept "
                                      "(`grader roster add` brings them back)")
    assert not _authenticates(engine, course["ada"])
    listed = _run(["list"], settings)
    assert "ada@example.org" not in listed.stdout
    assert listed.stdout.rstrip().endswith("3 people; 1 removed (--all lists them)")
    everyone = _rows(_run(["list", "--all"], settings).stdout)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert everyone[-1] == ["Ada Lovelace", "ada@example.org", "student", "3", today, today]  # removed: last
    assert [row[-1] for row in everyone[:-1]] == ["", "", ""]
    back = _run(["add", "Ada Lovelace", "ada@example.org"], settings, columns=40)
    assert back.returncode == 0, back.stderr
    assert _authenticates(engine, _token(back.stdout, "Ada Lovelace <ada@example.org>"))
    assert ("ada@example.org was removed and is back on the roster with a new token; their earlier submissions "
            "are kept") in back.stdout


def test_reissue_prints_a_new_token_and_the_old_one_stops_working(settings: Settings, engine: Engine,
                                                                  course: dict[str, str]) -> None:
    reissued = _run(["reissue", "ada@example.org"], settings, columns=40)
    assert reissued.returncode == 0, reissued.stderr
    token = _token(reissued.stdout, "Ada Lovelace <ada@example.org>")
    assert token != course["ada"] and _authenticates(engine, token) and not _authenticates(engine, course["ada"])
    assert "the old token no longer works; 0 browser session(s) ended" in reissued.stdout


@pytest.mark.parametrize("command", ["reissue", "remove"])
def test_an_unknown_email_is_one_line_and_exit_code_2(settings: Settings, course: dict[str, str],
                                                      command: str) -> None:
    _one_error(_run([command, "nobody@example.org"], settings),
               "no one on the roster has the email nobody@example.org")


def test_the_last_instructor_is_not_removed(settings: Settings, engine: Engine, course: dict[str, str]) -> None:
    _one_error(_run(["remove", "tess@example.org"], settings),
               "tess@example.org is the last instructor: add another instructor before removing them")
    assert _authenticates(engine, course["tess"])
