"""Signing in and out of the web pages with the roster token."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import SESSION_COOKIE, SessionDep, SettingsDep, check_csrf, web_session
from api.templating import render
from grader.service.records import Role
from grader.service.roster import authenticate
from grader.service.websessions import end_session, start_session

router = APIRouter(tags=["pages"], include_in_schema=False)

LOGIN_CSRF_COOKIE = "grader_login_csrf"


@router.get("/", response_class=RedirectResponse)
def home() -> RedirectResponse:
    """The front door: the sign-in page (which sends a signed-in browser on)."""
    return RedirectResponse("/login", status.HTTP_303_SEE_OTHER)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, session: SessionDep, next: str = "") -> Response:
    """The sign-in form: one field, the token ``grader roster`` printed."""
    if request.cookies.get(SESSION_COOKIE):
        try:
            signed_in = web_session(request, session)
            return RedirectResponse(_landing(signed_in.user.role, next), status.HTTP_303_SEE_OTHER)
        except HTTPException:  # a stale cookie just shows the form
            pass
    return _form(request, next=next)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, session: SessionDep, settings: SettingsDep, token: Annotated[str, Form()] = "",
          csrf: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "") -> Response:
    """Trade the roster token for a session cookie; instructors land on /dashboard, students on /me."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(csrf, expected):
        return _form(request, next=next, problem="The form expired; please sign in again.", status_code=403)
    user = authenticate(session, token.strip()) if token.strip() else None
    if user is None:
        return _form(request, next=next, problem="That token is not on the roster. Paste the whole token "
                                                 "your instructor gave you.", status_code=401)
    cookie = start_session(session, user, hours=settings.session_hours)
    response = RedirectResponse(_landing(user.role, next), status.HTTP_303_SEE_OTHER)
    response.set_cookie(SESSION_COOKIE, cookie, max_age=int(settings.session_hours * 3600), httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, csrf: Annotated[str, Form()] = "") -> RedirectResponse:
    """Sign out: the session ends on the server, the cookie is dropped."""
    signed_in = web_session(request, session)
    check_csrf(signed_in, csrf)
    end_session(session, request.cookies[SESSION_COOKIE])
    response = RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _form(request: Request, *, next: str, problem: str = "", status_code: int = 200) -> Response:
    # Before sign-in there is no session to hold a CSRF token: a cookie and the form carry the same one.
    csrf = secrets.token_urlsafe(32)
    response = render(request, "login.html", signed_in=None, status_code=status_code, login_csrf=csrf,
                      next=_safe_next(next), problem=problem)
    response.set_cookie(LOGIN_CSRF_COOKIE, csrf, max_age=3600, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/login")
    return response


def _landing(role: Role, next: str) -> str:
    target = _safe_next(next)
    home = "/dashboard" if role == Role.instructor else "/me"
    if not target or (role != Role.instructor and target.startswith("/dashboard")):
        return home
    return target


def _safe_next(next: str) -> str:
    """Only a path of this site: never an open redirect to another host."""
    if next.startswith("/") and not next.startswith("//") and "\\" not in next and (
            next.startswith("/dashboard") or next.startswith("/me")):
        return next
    return ""
