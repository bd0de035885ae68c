"""The student's side of the service: upload a notebook and wait for its result (``grader submit``)."""

from __future__ import annotations

import os
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import requests

from grader.errors import ServiceError
from grader.models import FINAL_STATUSES, GradeResult

CONFIG_FILE = Path("~/.config/grader/config.toml").expanduser()


def client_config(server: str | None, token: str | None, config_file: Path = CONFIG_FILE) -> tuple[str, str]:
    """Server URL and token: options first, then GRADER_SERVER / GRADER_TOKEN, then the config file."""
    stored: dict[str, object] = {}
    if config_file.is_file():
        try:
            stored = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ServiceError(f"cannot read {config_file}: {exc}") from exc
    server = server or os.environ.get("GRADER_SERVER") or str(stored.get("server") or "http://127.0.0.1:8000")
    token = token or os.environ.get("GRADER_TOKEN") or str(stored.get("token") or "")
    if not token:
        raise ServiceError(f"no token: pass --token, set GRADER_TOKEN, or put token = '...' in {config_file}")
    return server.rstrip("/"), token


def submit_and_wait(notebook: Path, *, assignment: str, server: str, token: str, timeout: float,
                    on_status: Callable[[str], None] | None = None, poll_s: float = 1.0) -> GradeResult:
    """Upload ``notebook`` and poll until its submission has a final status; returns its result."""
    headers = {"Authorization": f"Bearer {token}"}
    try:
        data = notebook.read_bytes()
    except OSError as exc:
        raise ServiceError(f"cannot read {notebook}: {exc.strerror or exc}") from exc
    answer = _call("post", f"{server}/api/v1/submissions", headers=headers, data={"assignment": assignment},
                   files={"notebook": (notebook.name, data, "application/x-ipynb+json")})
    url = str(answer["url"])
    deadline = time.monotonic() + timeout
    while True:
        submission = _call("get", url, headers=headers)
        status = str(submission["status"])
        if on_status:
            on_status(status)
        if status in FINAL_STATUSES:
            if submission.get("result") is None:
                raise ServiceError(f"submission {submission['id']} ended {status}: {submission.get('error')}")
            return GradeResult.model_validate(submission["result"])
        if time.monotonic() > deadline:
            raise ServiceError(f"no result after {timeout:g} s; follow it at {url}")
        time.sleep(poll_s)


def _call(method: str, url: str, **kwargs: object) -> dict[str, object]:
    try:
        response = requests.request(method, url, timeout=60, **kwargs)  # type: ignore[arg-type]
    except requests.RequestException as exc:
        raise ServiceError(f"cannot reach {url}: {exc}") from exc
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise ServiceError(f"{response.status_code}: {detail}")
    body = response.json()
    if not isinstance(body, dict):
        raise ServiceError(f"unexpected answer from {url}")
    return body
