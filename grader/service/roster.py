"""Students and instructors: adding, listing and removing them, importing a roster, checking bearer tokens.

A token is shown once, when it is made; the database keeps only its SHA-256
(tokens are 256 random bits, so a fast hash is enough: there is nothing to guess).
Removing someone only marks them (``removed_at``): their submissions and results stay,
and adding their email again brings them back with a new token.
"""

from __future__ import annotations

import csv
import hashlib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from grader.errors import RosterError
from grader.service.records import Role, Submission, User, WebSession, utcnow

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Member:
    """Someone just added, with the token they will use (shown this once)."""

    name: str
    email: str
    role: Role
    token: str
    restored: bool = False  # they had been removed and are back on the roster


@dataclass(frozen=True)
class RosterEntry:
    """One person as ``grader roster list`` shows them."""

    user: User
    submissions: int


@dataclass(frozen=True)
class Removal:
    """Someone just taken off the roster, and how many of their submissions are kept."""

    name: str
    email: str
    submissions: int


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    """A fresh token and the digest stored for it."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def add_member(session: Session, *, name: str, email: str, role: Role = Role.student) -> Member:
    """Add a student or instructor and make their token; ``RosterError`` for a bad or taken email."""
    name, email = name.strip(), email.strip().lower()
    if not name or len(name) > 200:
        raise RosterError("a name must have 1 to 200 characters")
    if not name.isprintable():  # a terminal escape in a name would reach every `grader roster list`
        raise RosterError(f"the name {name!r} holds control characters")
    if not _EMAIL.match(email) or len(email) > 320 or not email.isprintable():
        raise RosterError(f"{email!r} is not an email address")
    user = session.scalar(select(User).where(User.email == email))
    if user is not None and user.removed_at is None:
        raise RosterError(f"{email} is already on the roster")
    token, digest = _new_token()
    if user is None:
        session.add(User(name=name, email=email, role=role, token_sha256=digest))
    else:  # back on the roster, as the command now names them, with their old submissions
        user.name, user.role, user.token_sha256, user.removed_at = name, role, digest, None
    session.flush()
    return Member(name, email, role, token, restored=user is not None)


def read_roster(path: Path) -> list[tuple[str, str, Role]]:
    """Rows of a CSV with columns ``name,email`` and optionally ``role`` (student or instructor)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"cannot read {path}: {exc}") from exc
    reader = csv.DictReader(text.splitlines())
    missing = {"name", "email"} - set(reader.fieldnames or [])
    if missing:
        raise RosterError(f"{path} needs a header row with name and email (missing: {', '.join(sorted(missing))})")
    rows = []
    for line, row in enumerate(reader, start=2):
        role = (row.get("role") or "student").strip().lower()
        if role not in Role.__members__:
            raise RosterError(f"{path}, line {line}: role {role!r} is neither student nor instructor")
        rows.append(((row.get("name") or "").strip(), (row.get("email") or "").strip(), Role(role)))
    if not rows:
        raise RosterError(f"{path} lists nobody")
    return rows


def import_roster(session: Session, path: Path) -> list[Member]:
    """Add everyone in the CSV at ``path``, or nobody if any row is wrong (one transaction)."""
    members = []
    for line, (name, email, role) in enumerate(read_roster(path), start=2):
        try:
            members.append(add_member(session, name=name, email=email, role=role))
        except RosterError as exc:
            raise RosterError(f"{path}, line {line}: {exc}") from None
    return members


def authenticate(session: Session, token: str) -> User | None:
    """The user a bearer token belongs to, if any and not removed."""
    return session.scalar(select(User).where(User.token_sha256 == hash_token(token), User.removed_at.is_(None)))


def list_members(session: Session) -> list[RosterEntry]:
    """Everyone ever on the roster with their submission count, by name, the removed ones last."""
    counts = (select(Submission.user_id, func.count(Submission.id).label("n"))
              .group_by(Submission.user_id).subquery())
    query = (select(User, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.user_id == User.id)
             .order_by(User.removed_at.is_not(None), User.name, User.email))
    return [RosterEntry(user, number) for user, number in session.execute(query)]


def reissue_token(session: Session, email: str) -> tuple[Member, int]:
    """A new token for someone who lost theirs, and how many browser sessions ended: the old token dies now."""
    user = _find(session, email)
    if user.removed_at is not None:
        raise RosterError(f"{user.email} was removed from the roster; `grader roster add` brings them back "
                          "with a new token")
    token, user.token_sha256 = _new_token()
    ended = _end_sessions(session, user)
    return Member(user.name, user.email, user.role, token), ended


def remove_member(session: Session, email: str) -> Removal:
    """Take someone off the roster (no API, no sign-in) and keep their submissions; not the last instructor."""
    user = _find(session, email)
    if user.removed_at is not None:
        raise RosterError(f"{user.email} is already removed from the roster")
    if user.role == Role.instructor and session.scalar(
            select(func.count(User.id)).where(User.role == Role.instructor, User.removed_at.is_(None))) == 1:
        raise RosterError(f"{user.email} is the last instructor: add another instructor before removing them")
    user.removed_at = utcnow()
    _end_sessions(session, user)
    kept = session.scalar(select(func.count(Submission.id)).where(Submission.user_id == user.id)) or 0
    return Removal(user.name, user.email, kept)


def _find(session: Session, email: str) -> User:
    email = email.strip().lower()
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        raise RosterError(f"no one on the roster has the email {email}")
    return user


def _end_sessions(session: Session, user: User) -> int:
    """Sign ``user`` out of every browser; how many sessions ended."""
    mine = WebSession.user_id == user.id
    ended = session.scalar(select(func.count()).select_from(WebSession).where(mine)) or 0
    session.execute(delete(WebSession).where(mine))
    return ended


DEMO_COURSE = [("Demo Instructor", "instructor@demo.invalid", Role.instructor),
               ("Demo Student One", "student1@demo.invalid", Role.student),
               ("Demo Student Two", "student2@demo.invalid", Role.student)]


def seed_demo(session: Session) -> list[Member]:
    """The demo course's people (one instructor, two students), with fresh tokens each time it runs."""
    members = []
    for name, email, role in DEMO_COURSE:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            members.append(add_member(session, name=name, email=email, role=role))
            continue
        token, user.token_sha256 = _new_token()
        restored, user.removed_at = user.removed_at is not None, None
        members.append(Member(user.name, user.email, user.role, token, restored=restored))
    return members
