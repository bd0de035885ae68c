"""Signed-in browsers: a random cookie token per sign-in, stored only as its SHA-256, with a CSRF token.

Bearer tokens stay the API's way in; a browser cannot send them, so ``/login``
trades the roster token for one of these sessions.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from grader.service.records import User, WebSession, utcnow
from grader.service.roster import hash_token


def start_session(session: Session, user: User, *, hours: float, now: dt.datetime | None = None) -> str:
    """Sign ``user`` in; returns the cookie token (shown only now). Expired sessions are swept on the way."""
    now = now or utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_sha256=hash_token(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                           created_at=now, expires_at=now + dt.timedelta(hours=hours)))
    session.flush()
    return token


def find_session(session: Session, token: str, *, now: dt.datetime | None = None) -> WebSession | None:
    """The live session a cookie token belongs to (its user loaded), or None if unknown, expired or removed."""
    found = session.scalar(select(WebSession).options(joinedload(WebSession.user))
                           .where(WebSession.token_sha256 == hash_token(token)))
    if found is None or found.user.removed_at is not None:  # removing someone ends their sessions; this too
        return None
    return found if found.expires_at > (now or utcnow()) else None


def end_session(session: Session, token: str) -> None:
    """Sign out: the cookie token stops working at once."""
    session.execute(delete(WebSession).where(WebSession.token_sha256 == hash_token(token)))
