"""Bad input to the API: each gets its exact 4xx and a sentence saying what is wrong, and leaves nothing behind.

"Nothing behind" is checked in the database (no submission row) and on disk (no
file under data_dir/notebooks, partial writes included). Tests that queue a valid
submission start a grading process with a kernel, so they are marked slow.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import httpx2
import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_notebook

from tests.api.conftest import PEOPLE, Service, StartService
from tests.utils.toy import toy_bytes, toy_notebook

SQL_LIKE = ["toy' OR '1'='1", "toy'; DROP TABLE users; --", 'toy" OR 1=1 --',
            "toy UNION SELECT token_sha256 FROM users"]
PATH_LIKE = ["../x", "..%2F..%2Fetc", "/etc/passwd", "../../exercises/toy", "toy/../toy", "..", "toy/"]
EVERYONE = sorted((email, role.value) for _name, email, role in PEOPLE.values())


def assert_problem(response: httpx2.Response, status: int, *phrases: str) -> str:
    """The status is exactly ``status`` and ``detail`` is a sentence containing each phrase (case-insensitive)."""
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    detail = response.json()["detail"]
    assert isinstance(detail, str) and len(detail.split()) >= 2, detail
    for phrase in phrases:
        assert phrase.lower() in detail.lower(), f"{phrase!r} not in {detail!r}"
    return detail


def segment(value: str) -> str:
    """``value`` as one URL path segment; dots too, so that the client does not resolve ``..`` itself."""
    return quote(value, safe="").replace(".", "%2E")


def assert_nothing_stored(service: Service) -> None:
    assert service.submission_count() == 0
    assert service.stored_files() == []


# --- who is calling -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("authorization", "phrase"), [
    pytest.param(None, "missing bearer token", id="missing"),
    pytest.param("Bearer not-a-real-token", "invalid token", id="invalid"),
    pytest.param("Bearer " + "x" * 5000, "invalid token", id="invalid-long"),
    pytest.param("Token {alice}", "missing bearer token", id="wrong-scheme"),
    pytest.param("Basic YWxpY2U6c2VjcmV0", "missing bearer token", id="basic"),
    pytest.param("{alice}", "missing bearer token", id="token-without-scheme"),
    pytest.param("Bearer", "missing bearer token", id="scheme-without-token"),
    pytest.param("Bearer   ", "missing bearer token", id="scheme-and-blanks"),
    pytest.param("Bearer{alice}", "missing bearer token", id="no-space"),
    pytest.param("Bearer ' OR '1'='1", "invalid token", id="sql-or"),
    pytest.param("Bearer x'; DROP TABLE users; --", "invalid token", id="sql-drop"),
])
def test_a_submission_without_a_valid_bearer_token_is_401(service: Service, authorization: str | None,
                                                          phrase: str) -> None:
    headers = {} if authorization is None else {"Authorization": authorization.format(**service.tokens)}
    response = service.submit(notebook=toy_bytes(), headers=headers)
    assert_problem(response, 401, phrase)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert_nothing_stored(service)
    assert service.users() == EVERYONE  # an SQL-looking token changed nothing


def _api_operations(service: Service) -> list[tuple[str, str]]:
    """(method, path template) of every operation under /api/ in the app's OpenAPI schema."""
    paths = service.client.get("/openapi.json").json()["paths"]
    return [(method.upper(), path) for path, operations in paths.items() if path.startswith("/api/")
            for method in operations]


def test_every_api_route_wants_a_token(service: Service) -> None:
    operations = _api_operations(service)
    assert ("POST", "/api/v1/submissions") in operations and len(operations) >= 5
    for method, template in operations:
        path = template.replace("{assignment_id}", "toy").replace("{submission_id}", str(uuid.uuid4()))
        assert_problem(service.client.request(method, path), 401, "missing bearer token")
        wrong = service.client.request(method, path, headers={"Authorization": "Bearer nope"})
        assert_problem(wrong, 401, "invalid token")


# --- what is submitted to ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("assignment", ["nope", "TOY", "toy ", "toy\n", "mlp-basics", *PATH_LIKE, *SQL_LIKE])
def test_a_submission_to_an_unknown_assignment_is_404(service: Service, assignment: str) -> None:
    response = service.submit(assignment=assignment)
    assert_problem(response, 404, "unknown assignment", "available: toy")
    assert_nothing_stored(service)
    assert service.users() == EVERYONE


@pytest.mark.parametrize("assignment", ["nope", "..", *SQL_LIKE])
def test_the_instructor_listing_of_an_unknown_assignment_is_404(service: Service, assignment: str) -> None:
    response = service.client.get(f"/api/v1/assignments/{segment(assignment)}/submissions",
                                  headers=service.headers("teacher"))
    assert_problem(response, 404, f"unknown assignment {assignment!r}")
    assert service.users() == EVERYONE


# --- what is submitted ------------------------------------------------------------------------------------------------

def _notebook_json(**fields: object) -> bytes:
    return json.dumps(fields).encode()


NBFORMAT_3 = _notebook_json(nbformat=3, nbformat_minor=0, metadata={"name": "toy"},
                            worksheets=[{"cells": [{"cell_type": "code", "input": "1 + 1", "language": "python",
                                                    "outputs": []}]}])


@pytest.mark.parametrize(("notebook", "phrase"), [
    pytest.param(b"", "the file is empty", id="empty"),
    pytest.param(b"  \n\t\n", "the file is empty", id="blank"),
    pytest.param(b"def add(a, b):\n    return a + b\n", "not JSON", id="python-source"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8", id="binary"),
    pytest.param(b'{"cells": [', "not JSON", id="truncated-json"),
    pytest.param(b'{"hello": "world"}', "not a Jupyter notebook", id="json-object"),
    pytest.param(b"[1, 2, 3]", "not a Jupyter notebook", id="json-array"),
    pytest.param(b'"cells"', "not a Jupyter notebook", id="json-string"),
    pytest.param(b"null", "not a Jupyter notebook", id="json-null"),
    pytest.param(_notebook_json(cells=[], metadata={}), "'nbformat' version missing", id="no-version"),
    pytest.param(_notebook_json(cells=[], metadata={}, nbformat="4"), "'nbformat' version missing",
                 id="version-as-string"),
    pytest.param(NBFORMAT_3, "nbformat 3 is not supported", id="nbformat-3"),
    pytest.param(_notebook_json(cells=[], metadata={}, nbformat=5, nbformat_minor=0), "nbformat 5 is not supported",
                 id="nbformat-5"),
    pytest.param(_notebook_json(cells="x", metadata={}, nbformat=4, nbformat_minor=5), "invalid notebook",
                 id="cells-not-a-list"),
    pytest.param(_notebook_json(cells=[{"cell_type": "code"}], metadata={}, nbformat=4, nbformat_minor=5),
                 "invalid notebook", id="cell-without-source"),
    pytest.param(nbformat.writes(new_notebook(cells=[new_markdown_cell("# only prose")])).encode(),
                 "no code cells", id="no-code-cells"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, "nested too deeply", id="deeply-nested"),
    # json.loads raises a plain ValueError (not JSONDecodeError) past Python's 4300-digit limit for int().
    pytest.param(b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {"n": ' + b"9" * 5000 + b'}, "cells": []}',
                 "", id="integer-of-5000-digits"),
])
def test_a_file_that_is_not_a_gradable_notebook_is_422(service: Service, notebook: bytes, phrase: str) -> None:
    assert_problem(service.submit(notebook=notebook), 422, phrase)
    assert_nothing_stored(service)


def _big_notebook(size: int) -> bytes:
    nb = toy_notebook()
    nb.cells.append(new_markdown_cell("padding " * (size // 8)))
    return str(nbformat.writes(nb)).encode()


def test_a_notebook_over_the_size_limit_is_413(start_service: StartService) -> None:
    service = start_service(max_notebook_bytes=4000)
    # At the limit the size passes and the content is judged; one byte over, the size alone refuses it.
    assert_problem(service.submit(notebook=b"x" * 4000), 422, "not JSON")
    assert_problem(service.submit(notebook=b"x" * 4001), 413, "over the", "limit")
    over = _big_notebook(4000)
    assert len(over) > 4000
    assert_problem(service.submit(notebook=over), 413, "over the", "limit")
    assert_nothing_stored(service)


def test_the_413_detail_states_the_limit(start_service: StartService) -> None:
    service = start_service(max_notebook_bytes=4000)
    detail = assert_problem(service.submit(notebook=_big_notebook(8000)), 413, "limit")
    assert not re.search(r"\b0\.0 MB\b", detail), f"a limit of 4000 bytes reads {detail!r}"


@pytest.mark.parametrize("content_type", ["image/png", "text/html", "application/zip", "multipart/form-data"])
def test_a_notebook_part_of_the_wrong_content_type_is_415(service: Service, content_type: str) -> None:
    assert_problem(service.submit(content_type=content_type), 415, content_type, "application/x-ipynb+json")
    assert_nothing_stored(service)


# --- how it is submitted ----------------------------------------------------------------------------------------------

def test_a_json_body_instead_of_multipart_is_422_naming_both_fields(service: Service) -> None:
    response = service.client.post("/api/v1/submissions", headers=service.headers("alice"),
                                   json={"assignment": "toy", "notebook": toy_bytes().decode()})
    assert_problem(response, 422, "assignment: field required", "notebook: field required", "multipart/form-data")
    assert_nothing_stored(service)


def test_a_multipart_without_the_notebook_field_is_422_naming_it(service: Service) -> None:
    response = service.client.post("/api/v1/submissions", headers=service.headers("alice"),
                                   data={"assignment": "toy"},
                                   files={"file": ("toy.ipynb", toy_bytes(), "application/x-ipynb+json")})
    detail = assert_problem(response, 422, "notebook: field required")
    assert "assignment: field required" not in detail.lower()
    assert_nothing_stored(service)


@pytest.mark.parametrize("form", [{}, {"assignment": ""}, {"assignment_id": "toy"}],
                         ids=["absent", "empty", "misnamed"])
def test_a_multipart_without_the_assignment_field_is_422_naming_it(service: Service, form: dict[str, str]) -> None:
    response = service.client.post("/api/v1/submissions", headers=service.headers("alice"), data=form,
                                   files={"notebook": ("toy.ipynb", toy_bytes(), "application/x-ipynb+json")})
    detail = assert_problem(response, 422, "assignment: field required")
    assert "notebook: field required" not in detail.lower()
    assert_nothing_stored(service)


@pytest.mark.parametrize(("content_type", "body"), [
    ("multipart/form-data; boundary=zzz", b"this is no multipart body"),
    ("multipart/form-data", b"--zzz\r\n"),
], ids=["garbage", "no-boundary"])
def test_a_broken_multipart_body_is_400(service: Service, content_type: str, body: bytes) -> None:
    response = service.client.post("/api/v1/submissions", content=body,
                                   headers={**service.headers("alice"), "Content-Type": content_type})
    assert_problem(response, 400, "multipart")
    assert_nothing_stored(service)


# --- when and how often -----------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_resubmission_storm_is_cut_at_the_rate_limit_with_retry_after(service: Service) -> None:
    limit = service.settings.submissions_per_minute
    notebook = toy_bytes()
    answers = [service.submit("alice", notebook) for _ in range(limit + 3)]
    assert [a.status_code for a in answers] == [202] * limit + [429] * 3
    for refused in answers[limit:]:
        assert_problem(refused, 429, "too many submissions", f"at most {limit} a minute")
        assert 1 <= int(refused.headers["Retry-After"]) <= 61
    assert service.submission_count("alice") == limit
    assert len(service.stored_files()) == limit
    # The limit is per student: bob is not held back by alice's storm.
    assert service.submit("bob", notebook).status_code == 202
    assert service.submission_count() == limit + 1


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_late_submission_under_the_flag_policy_is_accepted_and_flagged(
        start_service: StartService, exercises_with_policy: Callable[[str], Path]) -> None:
    exercises = exercises_with_policy('deadline = 2000-01-01T00:00:00Z\nlate = "flag"')
    service = start_service(exercises_dir=exercises)
    response = service.submit("alice")
    assert response.status_code == 202, response.text
    submission = service.client.get(f"/api/v1/submissions/{response.json()['id']}", headers=service.headers("alice"))
    assert submission.status_code == 200 and submission.json()["late"] is True
    assert service.submission_count() == 1 and len(service.stored_files()) == 1


def test_a_late_submission_under_the_refuse_policy_is_403_and_not_stored(
        start_service: StartService, exercises_with_policy: Callable[[str], Path]) -> None:
    exercises = exercises_with_policy('deadline = 2000-01-01T00:00:00Z\nlate = "refuse"')
    service = start_service(exercises_dir=exercises)
    listed = service.client.get("/api/v1/assignments", headers=service.headers("alice")).json()
    assert [(a["id"], a["late_policy"]) for a in listed] == [("toy", "refuse")]  # the policy was read
    assert_problem(service.submit("alice"), 403, "deadline", "has passed")
    assert_nothing_stored(service)


# --- whose submission -------------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_student_cannot_read_another_students_submission(service: Service) -> None:
    accepted = service.submit("alice")
    assert accepted.status_code == 202, accepted.text
    url = f"/api/v1/submissions/{accepted.json()['id']}"
    assert service.client.get(url, headers=service.headers("alice")).status_code == 200
    assert service.client.get(url, headers=service.headers("teacher")).status_code == 200
    assert_problem(service.client.get(url, headers=service.headers("bob")), 404, "no submission")
    assert service.client.get("/api/v1/submissions", headers=service.headers("bob")).json() == []


def test_a_student_calling_an_instructor_endpoint_is_403(service: Service) -> None:
    students_too = {"/api/v1/assignments/{assignment_id}/kit"}  # what a student fetches to work on
    instructor_only = [path for method, path in _api_operations(service)
                       if method == "GET" and path.startswith("/api/v1/assignments/{assignment_id}/")
                       and path not in students_too]
    assert "/api/v1/assignments/{assignment_id}/submissions" in instructor_only
    for path in instructor_only:
        url = path.replace("{assignment_id}", "toy")
        assert service.client.get(url, headers=service.headers("teacher")).status_code == 200
        for student in ("alice", "bob"):
            assert_problem(service.client.get(url, headers=service.headers(student)), 403, "only instructors")


@pytest.mark.parametrize("submission_id", [str(uuid.uuid4()), "nope", "' OR 1=1 --", "..", "1; DROP TABLE users"])
@pytest.mark.parametrize("who", ["alice", "teacher"])
def test_an_unknown_submission_is_404(service: Service, submission_id: str, who: str) -> None:
    response = service.client.get(f"/api/v1/submissions/{segment(submission_id)}", headers=service.headers(who))
    assert_problem(response, 404, "no submission", submission_id)
    assert service.users() == EVERYONE
