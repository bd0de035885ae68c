"""The student's side of the service over HTTP: fetch a kit, submit a notebook, read submissions."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import requests
from pydantic import BaseModel, ValidationError

from grader.errors import ServiceError
from grader.models import FINAL_STATUSES, GradeResult, SubmissionStatus

CONFIG_FILE = Path("~/.config/grader/config.toml").expanduser()
DEFAULT_SERVER = "http://127.0.0.1:8000"
M = TypeVar("M", bound=BaseModel)


class Receipt(BaseModel):
    """What the service answered to an upload: the submission's id and what it stored, when."""

    id: str
    status: SubmissionStatus
    assignment: str
    notebook_sha256: str
    queued_at: dt.datetime
    late: bool


class SubmissionView(BaseModel):
    """One of the caller's submissions, as the API lists it."""

    id: str
    assignment: str
    status: SubmissionStatus
    late: bool
    queued_at: dt.datetime
    finished_at: dt.datetime | None = None
    error: str | None = None
    result: GradeResult | None = None


def server_url(server: str | None, config_file: Path = CONFIG_FILE) -> str:
    """The service's URL: the option, then GRADER_SERVER, then the config file, then the local default."""
    return (server or os.environ.get("GRADER_SERVER") or str(_stored(config_file).get("server") or DEFAULT_SERVER)
            ).rstrip("/")


def client_config(server: str | None, token: str | None, config_file: Path = CONFIG_FILE) -> tuple[str, str]:
    """Server URL and token: options first, then GRADER_SERVER / GRADER_TOKEN, then the config file."""
    token = token or os.environ.get("GRADER_TOKEN") or str(_stored(config_file).get("token") or "")
    if not token:
        raise ServiceError(f"no token: pass --token, set GRADER_TOKEN, or put token = '...' in {config_file}")
    return server_url(server, config_file), token


def _stored(config_file: Path) -> dict[str, object]:
    if not config_file.is_file():
        return {}
    try:
        return tomllib.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ServiceError(f"cannot read {config_file}: {exc}") from exc


def fetch_kit(assignment: str, *, server: str, token: str) -> bytes:
    """The assignment's kit (a zip) from ``GET /api/v1/assignments/{id}/kit``."""
    response = _request("get", f"{server}/api/v1/assignments/{assignment}/kit", token=token)
    return response.content


def upload(notebook: Path, *, assignment: str, server: str, token: str) -> Receipt:
    """Upload ``notebook``; the receipt's sha256 is checked against the bytes sent."""
    try:
        data = notebook.read_bytes()
    except OSError as exc:
        raise ServiceError(f"cannot read {notebook}: {exc.strerror or exc}") from exc
    answer = _json(_request("post", f"{server}/api/v1/submissions", token=token, data={"assignment": assignment},
                            files={"notebook": (notebook.name, data, "application/x-ipynb+json")}))
    receipt = _model(Receipt, answer, server)
    if receipt.notebook_sha256 != hashlib.sha256(data).hexdigest():
        raise ServiceError(f"submission {receipt.id}: the server stored other bytes than were sent "
                           "(sha256 differs); submit again")
    return receipt


def wait_for_result(receipt: Receipt, *, server: str, token: str, timeout: float, poll_s: float = 1.0,
                    on_status: Callable[[SubmissionStatus, float], None] | None = None) -> SubmissionView:
    """Poll the submission until it has a final status; ``on_status`` gets the status and seconds waited.

    It polls ``server`` (where the token was sent), not the URL in the answer: behind a
    proxy that one can name an internal address.
    """
    started = time.monotonic()
    while True:
        submission = read_submission(receipt.id, server=server, token=token)
        waited = time.monotonic() - started
        if on_status:
            on_status(submission.status, waited)
        if submission.status in FINAL_STATUSES:
            return submission
        if waited > timeout:
            raise ServiceError(f"no result after {timeout:g} s; it is still {submission.status.value}: "
                               f"see it later with `grader result {submission.id}`")
        time.sleep(poll_s)


def list_submissions(*, server: str, token: str) -> list[SubmissionView]:
    """The caller's own submissions, newest first."""
    answer = _body(_request("get", f"{server}/api/v1/submissions", token=token))
    if not isinstance(answer, list):
        raise ServiceError(f"unexpected answer from {server} (is this a grader service?)")
    return [_model(SubmissionView, item, server) for item in answer]


def read_submission(submission_id: str, *, server: str, token: str) -> SubmissionView:
    """One of the caller's submissions."""
    url = f"{server}/api/v1/submissions/{quote(submission_id, safe='')}"
    return _model(SubmissionView, _json(_request("get", url, token=token)), url)


def _request(method: str, url: str, *, token: str, **kwargs: Any) -> requests.Response:
    try:
        response = requests.request(method, url, headers={"Authorization": f"Bearer {token}"}, timeout=60,
                                    **kwargs)
    except requests.RequestException as exc:
        raise ServiceError(f"cannot reach {_origin(url)}: {_reason(exc)}") from None
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except (ValueError, AttributeError):
            detail = response.text[:200]
        hint = " (check your token)" if response.status_code == 401 else ""
        raise ServiceError(f"{_origin(url)} answered {response.status_code}: {detail}{hint}")
    return response


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:  # e.g. a proxy's HTML page
        return None


def _json(response: requests.Response) -> dict[str, Any]:
    body = _body(response)
    if not isinstance(body, dict):
        raise ServiceError(f"unexpected answer from {_origin(response.url)} (is this a grader service?)")
    return body


def _model(model: type[M], data: Any, where: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError:
        raise ServiceError(f"unexpected answer from {_origin(where)} (is this a grader service?)") from None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url


def _reason(exc: requests.RequestException) -> str:
    """The cause a person can act on, not urllib3's chain of wrappers."""
    text = str(exc)
    if isinstance(exc, requests.Timeout):
        return "no answer within 60 s"
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema |
                  requests.exceptions.InvalidSchema):
        return "not a valid http(s) URL"
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text or "Failed to resolve" in text:
        return "unknown host"
    if "SSL" in text or "certificate" in text:
        return "TLS failed (wrong https address, or a certificate problem)"
    return "the connection failed"
