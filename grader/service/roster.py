"""Students and instructors: adding them, importing a roster, checking bearer tokens.

A token is shown once, when it is made; the database keeps only its SHA-256
(tokens are 256 random bits, so a fast hash is enough: there is nothing to guess).
"""

from __future__ import annotations

import csv
import hashlib
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from grader.errors import RosterError
from grader.service.records import Role, User

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Member:
    """Someone just added, with the token they will use (shown this once)."""

    name: str
    email: str
    role: Role
    token: str


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
    if not _EMAIL.match(email) or len(email) > 320:
        raise RosterError(f"{email!r} is not an email address")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise RosterError(f"{email} is already on the roster")
    token, digest = _new_token()
    session.add(User(name=name, email=email, role=role, token_sha256=digest))
    session.flush()
    return Member(name, email, role, token)


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
    """The user a bearer token belongs to, if any."""
    return session.scalar(select(User).where(User.token_sha256 == hash_token(token)))


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
        members.append(Member(user.name, user.email, user.role, token))
    return members
