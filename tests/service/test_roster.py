"""The roster: people and their tokens, in the real databases (SQLite, PostgreSQL) through the real migrations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import HTTPException
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import Engine, func, select

from api.deps import current_user
from grader.assignments import load_assignment
from grader.config import Settings
from grader.errors import RosterError
from grader.service.db import session_scope
from grader.service.gradebook import build_gradebook
from grader.service.records import Role, Submission, User
from grader.service.roster import (add_member, authenticate, hash_token, import_roster, list_members, reissue_token,
                                   remove_member, seed_demo)
from grader.service.websessions import find_session, start_session
from tests.utils.records import add_student, grade, submit, toy_result


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
    ("Bob\x1b[2J", "bob@example.org", "holds control characters"),  # would clear the terminal of `roster list`
    ("Bob", "bob\x1b]0;x\x07@example.org", "is not an email address"),
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


def _sign_in(engine: Engine, email: str) -> str:
    """A browser session for ``email``; its cookie token."""
    with session_scope(engine) as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        return start_session(session, user, hours=1)


def _signed_in(engine: Engine, cookie: str) -> bool:
    with session_scope(engine) as session:
        return find_session(session, cookie) is not None


def _api_status(engine: Engine, token: str) -> int:
    """What the API's bearer check answers for ``token``: 200 or the HTTP error's status."""
    with session_scope(engine) as session:
        try:
            current_user(session, HTTPAuthorizationCredentials(scheme="Bearer", credentials=token))
        except HTTPException as exc:
            return exc.status_code
    return 200


def test_a_reissued_token_replaces_the_old_one_and_ends_that_persons_sessions(engine: Engine) -> None:
    with session_scope(engine) as session:
        old = add_member(session, name="Ada", email="ada@example.org").token
        bob = add_member(session, name="Bob", email="bob@example.org").token
    ada_cookies = [_sign_in(engine, "ada@example.org"), _sign_in(engine, "ada@example.org")]
    bob_cookie = _sign_in(engine, "bob@example.org")
    with session_scope(engine) as session:
        member, ended = reissue_token(session, " ADA@example.org ")
    assert (member.email, ended) == ("ada@example.org", 2) and member.token != old
    assert _api_status(engine, old) == 401 and _api_status(engine, member.token) == 200
    assert not any(_signed_in(engine, cookie) for cookie in ada_cookies)
    assert _signed_in(engine, bob_cookie) and _api_status(engine, bob) == 200  # nobody else is touched


@pytest.fixture
def graded_ada(engine: Engine, settings: Settings) -> str:
    """Ada with one graded submission (3 of 4), Bob who never submitted, an instructor; Ada's token."""
    with session_scope(engine) as session:
        token = add_member(session, name="Ada", email="ada@example.org").token
    add_student(engine, "bob@example.org", "Bob")
    add_student(engine, "tess@example.org", "Tess", role=Role.instructor)
    with session_scope(engine) as session:
        ada = session.scalars(select(User).where(User.email == "ada@example.org")).one()
    grade(engine, submit(engine, settings, ada), toy_result(3.0, tests={"a": (True, "")}))
    return token


def _gradebook_emails(engine: Engine, settings: Settings) -> list[str]:
    with session_scope(engine) as session:
        return [row.student.email for row in build_gradebook(session, load_assignment("toy", settings)).rows]


def _ada_results(engine: Engine) -> list[float]:
    """The score of each of Ada's submissions, read as an instructor's page reads them."""
    with session_scope(engine) as session:
        return [s.result.score for s in session.scalars(select(Submission).join(User)
                                                        .where(User.email == "ada@example.org")) if s.result]


def test_removing_someone_keeps_their_work_and_takes_them_off_the_gradebook(engine: Engine, settings: Settings,
                                                                           graded_ada: str) -> None:
    cookie = _sign_in(engine, "ada@example.org")
    with session_scope(engine) as session:
        removal = remove_member(session, "ada@example.org")
    assert (removal.name, removal.email, removal.submissions) == ("Ada", "ada@example.org", 1)
    assert _api_status(engine, graded_ada) == 401 and not _signed_in(engine, cookie)
    with session_scope(engine) as session:
        assert authenticate(session, graded_ada) is None
    assert _gradebook_emails(engine, settings) == ["bob@example.org"]
    assert _ada_results(engine) == [3.0]
    with session_scope(engine) as session:
        listed = [(e.user.email, e.submissions, e.user.removed_at is not None) for e in list_members(session)]
    assert listed == [("bob@example.org", 0, False), ("tess@example.org", 0, False), ("ada@example.org", 1, True)]


def test_a_removed_persons_old_session_is_refused_even_if_left_behind(engine: Engine, graded_ada: str) -> None:
    cookie = _sign_in(engine, "ada@example.org")
    with session_scope(engine) as session:  # removed by hand, as a database edit might: the session row stays
        ada = session.scalars(select(User).where(User.email == "ada@example.org")).one()
        ada.removed_at = ada.created_at
    assert not _signed_in(engine, cookie)


def test_adding_a_removed_person_again_brings_them_back_with_a_new_token(engine: Engine, settings: Settings,
                                                                        graded_ada: str) -> None:
    with session_scope(engine) as session:
        remove_member(session, "ada@example.org")
    with session_scope(engine) as session:
        member = add_member(session, name="Ada Lovelace", email="Ada@example.org")
    assert member.restored and member.name == "Ada Lovelace"
    assert _api_status(engine, member.token) == 200 and _api_status(engine, graded_ada) == 401
    assert _gradebook_emails(engine, settings) == ["ada@example.org", "bob@example.org"]
    with session_scope(engine) as session:
        (row,) = [r for r in build_gradebook(session, load_assignment("toy", settings)).rows if r.submissions]
        assert row.student.name == "Ada Lovelace" and row.score == 3.0  # the same person, with the old work
        assert _count(engine) == 3


def test_the_last_instructor_cannot_be_removed(engine: Engine) -> None:
    with session_scope(engine) as session:
        add_member(session, name="Tess", email="tess@example.org", role=Role.instructor)
        add_member(session, name="Ada", email="ada@example.org")
    with pytest.raises(RosterError, match="tess@example.org is the last instructor"), session_scope(engine) as s:
        remove_member(s, "tess@example.org")
    with session_scope(engine) as session:
        add_member(session, name="Uma", email="uma@example.org", role=Role.instructor)
        remove_member(session, "tess@example.org")
    with pytest.raises(RosterError, match="uma@example.org is the last instructor"), session_scope(engine) as s:
        remove_member(s, "uma@example.org")
    with session_scope(engine) as session:
        assert [e.user.email for e in list_members(session) if e.user.removed_at is None] == [
            "ada@example.org", "uma@example.org"]


Action = Callable[..., object]


@pytest.mark.parametrize("action", [reissue_token, remove_member], ids=["reissue", "remove"])
def test_an_unknown_email_is_named(engine: Engine, action: Action) -> None:
    with session_scope(engine) as session:
        add_member(session, name="Ada", email="ada@example.org")
    with pytest.raises(RosterError, match="^no one on the roster has the email nobody@example.org$"), \
            session_scope(engine) as session:
        action(session, "Nobody@example.org")


@pytest.mark.parametrize(("action", "message"), [
    (reissue_token, "ada@example.org was removed from the roster; `grader roster add` brings them back"),
    (remove_member, "ada@example.org is already removed from the roster"),
], ids=["reissue", "remove"])
def test_a_removed_person_gets_no_token_and_no_second_removal(engine: Engine, action: Action, message: str) -> None:
    with session_scope(engine) as session:
        add_member(session, name="Ada", email="ada@example.org")
    with session_scope(engine) as session:
        remove_member(session, "ada@example.org")
    with pytest.raises(RosterError, match=message), session_scope(engine) as session:
        action(session, "ada@example.org")


def test_the_demo_course_brings_back_a_removed_demo_student(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed_demo(session)
        remove_member(session, "student1@demo.invalid")
    with session_scope(engine) as session:
        members = seed_demo(session)
    assert [m.restored for m in members] == [False, True, False]
    assert all(_api_status(engine, m.token) == 200 for m in members)
