"""Jinja2 for the server-rendered pages: the environment, its filters, and the helpers routes render with.

Autoescaping is on for every template: whatever a student wrote (names, messages,
outputs) reaches the page as text unless it went through ``api.rendering``'s
sanitizer first.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from grader.scoring import format_score
from grader.service.records import WebSession

HERE = Path(__file__).parent
STATIC = HERE / "static"
PAGE_PREFIXES = ("/login", "/logout", "/dashboard", "/me")

templates = Jinja2Templates(directory=HERE / "templates")


def format_time(moment: dt.datetime | None) -> str:
    """A timestamp in UTC, to the minute."""
    if moment is None:
        return "–"
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def format_percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


templates.env.filters.update(score=format_score, when=format_time, percent=format_percent)


def is_page(path: str) -> bool:
    """Paths answered in HTML (the rest is the JSON API)."""
    return path == "/" or path.startswith(PAGE_PREFIXES)


def render(request: Request, name: str, *, signed_in: WebSession | None, status_code: int = 200,
           headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    """A page; ``signed_in`` supplies the navigation and the CSRF token every form carries."""
    context.update(user=signed_in.user if signed_in else None, csrf=signed_in.csrf_token if signed_in else "")
    return templates.TemplateResponse(request, name, context, status_code=status_code, headers=headers)


def error_page(request: Request, status_code: int, message: str, *,
               headers: dict[str, str] | None = None) -> HTMLResponse:
    """A readable error page with the sentence that says what is wrong."""
    return render(request, "error.html", signed_in=None, status_code=status_code, headers=headers,
                  status_code_shown=status_code, message=message)
