"""Dependencies of the routes: settings, a database session, the caller."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from grader.config import Settings
from grader.service.db import session_scope
from grader.service.records import Role, User, WebSession
from grader.service.roster import authenticate
from grader.service.websessions import find_session

_bearer = HTTPBearer(auto_error=False, description="the token `grader roster` printed")


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    with session_scope(request.app.state.engine) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


def current_user(session: SessionDep,
                 credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing bearer token (Authorization: Bearer TOKEN)",
                            headers={"WWW-Authenticate": "Bearer"})
    user = authenticate(session, credentials.credentials)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid token", headers={"WWW-Authenticate": "Bearer"})
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_instructor(user: User, *, may: str = "do this") -> User:
    """``user`` if an instructor, else 403 saying what only instructors may do."""
    if user.role != Role.instructor:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"only instructors may {may}")
    return user


def current_instructor(user: CurrentUser) -> User:
    return require_instructor(user)


CurrentInstructor = Annotated[User, Depends(current_instructor)]


# --- The web pages: a session cookie instead of the bearer header -------------------------------------------

SESSION_COOKIE = "grader_session"


class LoginRequired(HTTPException):
    """Nobody is signed in: pages answer with a redirect to /login (see ``api.main``)."""

    def __init__(self, next_path: str) -> None:
        self.location = f"/login?{urlencode({'next': next_path})}"
        super().__init__(status.HTTP_303_SEE_OTHER, "sign in first", headers={"Location": self.location})


def web_session(request: Request, session: SessionDep) -> WebSession:
    token = request.cookies.get(SESSION_COOKIE, "")
    found = find_session(session, token) if token else None
    if found is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    return found


WebSessionDep = Annotated[WebSession, Depends(web_session)]


def page_user(signed_in: WebSessionDep) -> User:
    return signed_in.user


PageUser = Annotated[User, Depends(page_user)]


def page_instructor(user: PageUser) -> User:
    return require_instructor(user, may="see this page")


PageInstructor = Annotated[User, Depends(page_instructor)]


def check_csrf(signed_in: WebSession, sent: str) -> None:
    """A state-changing form must carry its session's CSRF token."""
    if not sent or not secrets.compare_digest(sent, signed_in.csrf_token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the form's CSRF token is missing or stale; "
                                                       "reload the page and try again")


def bearer_or_cookie_instructor(request: Request, session: SessionDep,
                                credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
                                ) -> User:
    """Exports: a bearer token (scripts) or the signed-in browser (the link on the page)."""
    if credentials is None and request.cookies.get(SESSION_COOKIE):
        user = page_user(web_session(request, session))
    else:
        user = current_user(session, credentials)
    return require_instructor(user)


ExportInstructor = Annotated[User, Depends(bearer_or_cookie_instructor)]
