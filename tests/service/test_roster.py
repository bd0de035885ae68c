"""The roster: people and their tokens, in the real database through the real migrations."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from grader.config import Settings
from grader.service.db import make_engine, migrate, session_scope
from grader.errors import RosterError
from grader.service.records import Role, User
from grader.service.roster import add_member, authenticate, hash_token, import_roster, seed_demo


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(Settings(data_dir=tmp_path / "data"))
    migrate(engine)
    yield engine
    engine.dispose()


def _count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count(User.id))) or 0)


def test_a_token_is_returned_once_and_stored_only_hashed(engine: Engine) -> None:
    with session_scope(engine) as session:
        member = add_member(session, name=" Ada Lovelace ", email="Ada@Example.org")
    assert (member.name, member.email, member.role) == ("Ada Lovelace", "ada@example.org", Role.student)
    assert len(member.token) >= 40
    with session_scope(engine) as session:
        (user,) = session.scalars(select(User)).all()
        assert user.token_sha256 == hash_token(member.token) and member.token not in user.token_sha256
        assert authenticate(session, member.token) == user
        assert authenticate(session, member.token + "x") is None and authenticate(session, "") is None


@pytest.mark.parametrize(("name", "email", "message"), [
    ("Bob", "not-an-email", "is not an email address"),
    ("", "bob@example.org", "a name must have 1 to 200 characters"),
    ("Bob", "bob@example.org'; DROP TABLE users; --", "is not an email address"),
])
def test_bad_entries_are_refused(engine: Engine, name: str, email: str, message: str) -> None:
    with pytest.raises(RosterError, match=message), session_scope(engine) as session:
        add_member(session, name=name, email=email)
    assert _count(engine) == 0


def test_a_taken_email_is_refused_whatever_its_case(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_member(session, name="Ada", email="ada@example.org")
    with pytest.raises(RosterError, match="ada@example.org is already on the roster"), session_scope(engine) as s:
        add_member(s, name="Ada again", email="ADA@example.org")
    assert _count(engine) == 1


def test_an_import_adds_everyone_or_nobody(engine: Engine, tmp_path: Path) -> None:
    good = tmp_path / "roster.csv"
    good.write_text("name,email,role\nBob,bob@x.org,\nCy,cy@x.org,instructor\n")
    with session_scope(engine) as session:
        members = import_roster(session, good)
    assert [(m.email, m.role) for m in members] == [("bob@x.org", Role.student), ("cy@x.org", Role.instructor)]
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email\nDee,dee@x.org\nEve,eve-at-x\n")
    with pytest.raises(RosterError, match="bad.csv, line 3: 'eve-at-x' is not an email address"), \
            session_scope(engine) as session:
        import_roster(session, bad)
    assert _count(engine) == 2  # Dee was rolled back with Eve


@pytest.mark.parametrize(("text", "message"), [
    ("email\nbob@x.org\n", "needs a header row with name and email"),
    ("name,email\n", "lists nobody"),
    ("name,email,role\nBob,bob@x.org,admin\n", "line 2: role 'admin' is neither student nor instructor"),
])
def test_bad_roster_files_are_named(engine: Engine, tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(text)
    with pytest.raises(RosterError, match=message), session_scope(engine) as session:
        import_roster(session, path)


def test_the_cli_prints_each_token_whole_on_its_own_line(tmp_path: Path) -> None:
    env = {**os.environ, "GRADER_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "40"}
    run = [sys.executable, "-m", "grader", "roster"]
    added = subprocess.run([*run, "add", "Ada Lovelace", "ada@example.org", "--instructor"], capture_output=True,
                           text=True, env=env, timeout=60, check=False)
    assert added.returncode == 0, added.stderr
    match = re.search(r"^Ada Lovelace <ada@example.org> instructor: (\S{43})$", added.stdout, re.MULTILINE)
    assert match, added.stdout
    again = subprocess.run([*run, "add", "Ada", "ada@example.org"], capture_output=True, text=True, env=env,
                           timeout=60, check=False)
    assert again.returncode == 2 and "error: ada@example.org is already on the roster" in again.stderr
    assert "Traceback" not in again.stderr
    engine = make_engine(Settings(data_dir=tmp_path / "data"))
    with session_scope(engine) as session:
        assert authenticate(session, match.group(1)) is not None
    engine.dispose()


def test_the_demo_course_is_seeded_once_and_its_tokens_renewed_on_each_run(engine: Engine) -> None:
    with session_scope(engine) as session:
        first = seed_demo(session)
    with session_scope(engine) as session:
        second = seed_demo(session)
    assert [m.role for m in first] == [Role.instructor, Role.student, Role.student]
    assert [m.email for m in first] == [m.email for m in second] and _count(engine) == 3
    with session_scope(engine) as session:
        assert all(authenticate(session, m.token) is None for m in first)
        assert all(authenticate(session, m.token) is not None for m in second)
