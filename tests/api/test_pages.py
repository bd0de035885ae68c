"""The web pages: signing in and out, who may see what, the students' upload form, the exports, regrading.

Each person browses with a ``TestClient`` of their own (its own cookie jar) on the
service's app, whose lifespan the ``service`` fixture already entered. Refusals are
checked as in ``test_bad_input``: the exact status, a sentence naming the problem,
and nothing left behind (no submission row, no stored file). Tests that queue a
valid notebook start a grading process with a kernel, so they are marked slow.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.deps import SESSION_COOKIE
from api.routes.pages import LOGIN_CSRF_COOKIE
from grader.feedback import SERVICE_FAULT
from grader.models import SubmissionStatus
from grader.service.db import session_scope
from grader.service.records import Result, Role, Submission, User, WebSession
from grader.service.roster import add_member
from tests.api.conftest import PEOPLE, Service, StartService
from tests.api.test_bad_input import NBFORMAT_3
from tests.api.test_feedback_policy import HIDDEN_MESSAGE, HIDDEN_NAMES, plant_graded, read
from tests.utils.html import parse_html
from tests.utils.toy import ADD, IMPORTS, toy_bytes

EXERCISES = ["add", "scale", "Doubler"]  # tests/files/toy/exercises/toy/manifest.toml, in order
HOME = {"teacher": "/dashboard", "alice": "/me", "bob": "/me"}


# --- helpers ----------------------------------------------------------------------------------------------------------

def inputs(page: str, name: str) -> list[dict[str, str]]:
    return [attrs for attrs in parse_html(page).all("input") if attrs.get("name") == name]


def csrf_of(page: str) -> str:
    """The value of the page's (first) hidden ``csrf`` field."""
    fields = inputs(page, "csrf")
    assert fields, "the page has no csrf field"
    value = fields[0].get("value")
    assert value, "the csrf field is empty"
    return value


def browser(service: Service) -> TestClient:
    """A client with a cookie jar of its own on the running app (its lifespan is not entered again)."""
    return TestClient(service.app, follow_redirects=False)


def post_login(client: TestClient, token: str, *, next: str = "") -> httpx2.Response:
    """GET the sign-in form, then POST ``token`` with the form's CSRF token."""
    form = client.get("/login")
    assert form.status_code == 200, form.text
    return client.post("/login", data={"token": token, "csrf": csrf_of(form.text), "next": next})


def sign_in(service: Service, who: str) -> TestClient:
    """A browser signed in as ``who`` (its session cookie in its jar)."""
    client = browser(service)
    answer = post_login(client, service.tokens[who])
    assert answer.status_code == 303 and answer.headers["location"] == HOME[who], answer.text
    assert client.cookies.get(SESSION_COOKIE)
    return client


def set_cookie_lines(response: httpx2.Response, name: str) -> list[str]:
    return [line for line in response.headers.get_list("set-cookie") if line.startswith(f"{name}=")]


def web_sessions(service: Service) -> list[tuple[str, str, str]]:
    """(token_sha256, csrf_token, email) of every stored web session."""
    with session_scope(service.app.state.engine) as session:
        return [(s.token_sha256, s.csrf_token, s.user.email) for s in session.scalars(select(WebSession))]


def problem_text(page: str) -> str:
    """The text of the page's alert paragraphs, unescaped."""
    found = re.findall(r'<p class="problem" role="alert">(.*?)</p>', page, flags=re.S)
    assert found, f"no problem shown on the page: {page[:2000]}"
    return html.unescape(" ".join(found))


def assert_page_problem(response: httpx2.Response, status: int, *phrases: str) -> str:
    """An HTML answer of exactly ``status`` whose alert contains each phrase (case-insensitive)."""
    assert response.status_code == status, f"{response.status_code}: {response.text[:2000]}"
    assert response.headers["content-type"].startswith("text/html")
    shown = problem_text(response.text)
    for phrase in phrases:
        assert phrase.lower() in shown.lower(), f"{phrase!r} not in {shown!r}"
    return shown


def assert_my_page(response: httpx2.Response, name: str = "Alice Student") -> None:
    """The answer is the student's own page re-rendered, upload forms and all."""
    assert f"<h1>Hello, {name}</h1>" in response.text
    assert 'action="/me/submissions"' in response.text and inputs(response.text, "notebook")


def assert_nothing_stored(service: Service) -> None:
    assert service.submission_count() == 0
    assert service.stored_files() == []


def upload(client: TestClient, notebook: bytes | None, *, assignment: str = "toy", csrf: str | None = None,
           filename: str = "toy.ipynb") -> httpx2.Response:
    """POST the upload form of /me (``csrf=None``: the one on the page); ``notebook=None`` sends no file part."""
    token = csrf_of(client.get("/me").text) if csrf is None else csrf
    files = None if notebook is None else {"notebook": (filename, notebook, "application/x-ipynb+json")}
    data = {"assignment": assignment, "csrf": token}
    if files is None:  # a multipart body without the file part, as a form whose file input was left alone
        files = {"unrelated": ("", b"", "application/octet-stream")}
    return client.post("/me/submissions", data=data, files=files)


def plant_submission(service: Service, who: str) -> str:
    """A finished submission of ``who`` written straight to the database and disk (no grading)."""
    folder = service.settings.data_dir / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    submission_id = str(uuid.uuid4())
    path = folder / f"{submission_id}.ipynb"
    data = toy_bytes()
    path.write_bytes(data)
    with session_scope(service.app.state.engine) as session:
        user = session.scalar(select(User).where(User.email == PEOPLE[who][1]))
        assert user is not None
        session.add(Submission(id=submission_id, assignment_id="toy", user_id=user.id, notebook_path=str(path),
                               notebook_sha256=hashlib.sha256(data).hexdigest(), status=SubmissionStatus.rejected,
                               error="planted by the test"))
    return submission_id


def submit_and_grade(service: Service, who: str = "alice", notebook: bytes | None = None) -> dict[str, Any]:
    accepted = service.submit(who, notebook)
    assert accepted.status_code == 202, accepted.text
    return service.wait_final(accepted.json()["id"])


def read_csv(response: httpx2.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.text)))


def by_email(rows: list[list[str]], column: int) -> dict[str, list[str]]:
    return {row[column]: row for row in rows}


# --- 1. signing in ----------------------------------------------------------------------------------------------------

def test_the_login_form_has_one_token_field_and_a_csrf_field_matching_its_cookie(service: Service) -> None:
    client = browser(service)
    form = client.get("/login")
    assert form.status_code == 200 and form.headers["content-type"].startswith("text/html")
    tokens = inputs(form.text, "token")
    assert len(tokens) == 1 and tokens[0]["type"] == "password"
    csrf = csrf_of(form.text)
    assert len(inputs(form.text, "csrf")) == 1 and inputs(form.text, "csrf")[0]["type"] == "hidden"
    assert form.cookies.get(LOGIN_CSRF_COOKIE) == csrf
    (line,) = set_cookie_lines(form, LOGIN_CSRF_COOKIE)
    assert "httponly" in line.lower() and "samesite=strict" in line.lower() and "path=/login" in line.lower()
    # Each form gets its own token.
    assert csrf_of(client.get("/login").text) != csrf


@pytest.mark.parametrize("who", ["teacher", "alice"])
def test_the_right_token_signs_in_with_a_strict_httponly_cookie(service: Service, who: str) -> None:
    client = browser(service)
    answer = post_login(client, service.tokens[who])
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == HOME[who]
    (line,) = set_cookie_lines(answer, SESSION_COOKIE)
    attributes = [part.strip().lower() for part in line.split(";")]
    assert "httponly" in attributes and "samesite=strict" in attributes and "path=/" in attributes
    assert "secure" not in attributes  # plain http: a Secure cookie would never come back
    landing = client.get(HOME[who])
    assert landing.status_code == 200, landing.text
    assert PEOPLE[who][0] in landing.text
    # The signed-in browser is sent on from the sign-in form.
    again = client.get("/login")
    assert again.status_code == 303 and again.headers["location"] == HOME[who]


def test_the_cookie_is_no_roster_token_and_only_its_sha256_is_stored(service: Service) -> None:
    client = sign_in(service, "alice")
    cookie = client.cookies[SESSION_COOKIE]
    assert cookie not in service.tokens.values()
    assert len(cookie) >= 32
    stored = web_sessions(service)
    assert stored == [(hashlib.sha256(cookie.encode()).hexdigest(), stored[0][1], PEOPLE["alice"][1])]
    digest, csrf, _email = stored[0]
    assert cookie not in (digest, csrf)
    assert csrf in client.get("/me").text  # the forms carry the session's CSRF token, not the cookie
    assert cookie not in client.get("/me").text


@pytest.mark.parametrize("token", ["not-a-real-token", "   ", "", "x' OR '1'='1"])
def test_a_token_not_on_the_roster_is_401_and_signs_nobody_in(service: Service, token: str) -> None:
    client = browser(service)
    answer = post_login(client, token)
    assert_page_problem(answer, 401, "not on the roster")
    assert set_cookie_lines(answer, SESSION_COOKIE) == []
    assert SESSION_COOKIE not in client.cookies
    assert web_sessions(service) == []
    assert inputs(answer.text, "token"), "the form is shown again"
    assert client.get("/me").status_code == 303


@pytest.mark.parametrize("tamper", ["no-field", "wrong-field", "no-cookie", "cookie-from-another-form"])
def test_a_sign_in_without_the_forms_csrf_token_is_403(service: Service, tamper: str) -> None:
    client = browser(service)
    csrf = csrf_of(client.get("/login").text)
    data = {"token": service.tokens["teacher"], "csrf": csrf}
    if tamper == "no-field":
        del data["csrf"]
    elif tamper == "wrong-field":
        data["csrf"] = csrf[:-2] + "xx"
    elif tamper == "no-cookie":
        client.cookies.clear()
    else:
        other = browser(service)
        other.get("/login")
        client.cookies.clear()
        client.cookies.set(LOGIN_CSRF_COOKIE, other.cookies[LOGIN_CSRF_COOKIE], path="/login")
    answer = client.post("/login", data=data)
    assert_page_problem(answer, 403, "expired")
    assert set_cookie_lines(answer, SESSION_COOKIE) == []
    assert web_sessions(service) == []


def test_next_is_honoured_for_the_instructor(service: Service) -> None:
    client = browser(service)
    form = client.get("/login", params={"next": "/dashboard/assignments/toy"})
    assert [field["value"] for field in inputs(form.text, "next")] == ["/dashboard/assignments/toy"]
    answer = client.post("/login", data={"token": service.tokens["teacher"], "csrf": csrf_of(form.text),
                                         "next": "/dashboard/assignments/toy"})
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard/assignments/toy"
    assert client.get("/dashboard/assignments/toy").status_code == 200


@pytest.mark.parametrize("next_", ["//evil.example/x", "https://evil.example", "http://evil.example/dashboard",
                                   "/\\evil.example", "\\\\evil.example", "javascript:alert(1)", "/login",
                                   "/api/v1/submissions", "evil.example/dashboard"])
@pytest.mark.parametrize("who", ["teacher", "alice"])
def test_next_to_another_site_or_page_lands_on_the_default_page(service: Service, next_: str, who: str) -> None:
    client = browser(service)
    answer = post_login(client, service.tokens[who], next=next_)
    assert answer.status_code == 303 and answer.headers["location"] == HOME[who]
    form = browser(service).get("/login", params={"next": next_})
    assert [field["value"] for field in inputs(form.text, "next")] == [""]


@pytest.mark.parametrize("next_", ["/dashboard", "/dashboard/assignments/toy", "/dashboard/students/1"])
def test_a_student_sent_to_the_dashboard_lands_on_me(service: Service, next_: str) -> None:
    answer = post_login(browser(service), service.tokens["alice"], next=next_)
    assert answer.status_code == 303 and answer.headers["location"] == "/me"


def test_a_student_sent_to_one_of_their_pages_lands_there(service: Service) -> None:
    answer = post_login(browser(service), service.tokens["alice"], next="/me/submissions")
    assert answer.status_code == 303 and answer.headers["location"] == "/me/submissions"


# --- 2. who may see what ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/dashboard", "/dashboard/assignments/toy", "/dashboard/assignments/toy?sort=score",
                                  "/me", f"/me/submissions/{uuid.uuid4()}", "/dashboard/students/1"])
def test_an_anonymous_page_view_is_sent_to_sign_in_and_back(service: Service, path: str) -> None:
    answer = browser(service).get(path)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/login?" + urlencode({"next": path})


def test_a_page_with_a_stale_or_made_up_cookie_is_sent_to_sign_in(service: Service) -> None:
    client = browser(service)
    client.cookies.set(SESSION_COOKIE, service.tokens["teacher"])  # a roster token is no session token
    answer = client.get("/dashboard")
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=%2Fdashboard"
    assert client.get("/login").status_code == 200  # the stale cookie just shows the form


def _instructor_only(submission_id: str) -> list[tuple[str, str]]:
    return [
        ("GET", "/dashboard"), ("GET", "/dashboard/queue"), ("GET", "/dashboard/assignments/toy"),
        ("GET", "/dashboard/assignments/toy/failures?exercise=add&test=nope"),
        ("GET", f"/dashboard/submissions/{submission_id}"), ("GET", f"/dashboard/submissions/{submission_id}/status"),
        ("GET", "/dashboard/students/1"),
        ("GET", "/dashboard/charts/toy/histogram.svg"), ("GET", "/dashboard/charts/toy/exercises.svg"),
        ("GET", f"/dashboard/submissions/{submission_id}/submitted.ipynb"),
        ("GET", f"/dashboard/submissions/{submission_id}/executed.ipynb"),
        ("POST", "/dashboard/assignments/toy/regrade"), ("POST", f"/dashboard/submissions/{submission_id}/regrade"),
    ]


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_a_student_is_refused_every_instructor_page_with_a_403_page(service: Service, who: str) -> None:
    submission_id = plant_submission(service, "alice")
    client = sign_in(service, who)
    csrf = csrf_of(client.get("/me").text)
    for method, path in _instructor_only(submission_id):
        answer = client.request(method, path, data={"csrf": csrf} if method == "POST" else None)
        assert_page_problem(answer, 403, "only instructors may see this page")
        assert "Not allowed" in answer.text, path
    with session_scope(service.app.state.engine) as session:  # the regrade forms did nothing
        planted = session.get(Submission, submission_id)
        assert planted is not None and planted.status == SubmissionStatus.rejected
    # The instructor does get them (the same ids: the 403 is about who asks).
    teacher = sign_in(service, "teacher")
    for path in ("/dashboard", f"/dashboard/submissions/{submission_id}", "/dashboard/students/1",
                 "/dashboard/charts/toy/histogram.svg"):
        assert teacher.get(path).status_code == 200, path
    download = teacher.get(f"/dashboard/submissions/{submission_id}/submitted.ipynb")
    stored = service.stored_files()
    assert download.status_code == 200 and len(stored) == 1 and download.content == stored[0].read_bytes()


def test_a_student_cannot_see_another_students_submission_page(service: Service) -> None:
    submission_id = plant_submission(service, "alice")
    alice, bob = sign_in(service, "alice"), sign_in(service, "bob")
    assert alice.get(f"/me/submissions/{submission_id}").status_code == 200
    for path in (f"/me/submissions/{submission_id}", f"/me/submissions/{submission_id}/result"):
        assert_page_problem(bob.get(path), 404, "you have no submission")
    assert submission_id not in bob.get("/me").text
    assert submission_id not in bob.get("/me/submissions").text
    # An instructor uses the dashboard's page, not the student's.
    assert sign_in(service, "teacher").get(f"/me/submissions/{submission_id}").status_code == 404


@pytest.mark.parametrize(("path", "phrase"), [
    (f"/dashboard/submissions/{uuid.uuid4()}", "no submission"),
    (f"/dashboard/submissions/{uuid.uuid4()}/status", "no submission"),
    (f"/dashboard/submissions/{uuid.uuid4()}/submitted.ipynb", "no submission"),
    (f"/dashboard/submissions/{uuid.uuid4()}/executed.ipynb", "no submission"),
    ("/dashboard/students/999999", "no student 999999"),
    ("/dashboard/assignments/nope", "unknown assignment 'nope'"),
    ("/dashboard/assignments/nope/failures?exercise=add&test=x", "unknown assignment 'nope'"),
    ("/dashboard/assignments/toy/failures?exercise=add&test=nope", "no test add::nope"),
    ("/dashboard/charts/nope/histogram.svg", "unknown assignment 'nope'"),
    ("/dashboard/charts/nope/exercises.svg", "unknown assignment 'nope'"),
])
def test_unknown_ids_on_instructor_pages_are_a_404_page(service: Service, path: str, phrase: str) -> None:
    answer = sign_in(service, "teacher").get(path)
    assert_page_problem(answer, 404, phrase)
    assert "Not found" in answer.text


def test_unknown_ids_in_instructor_forms_are_a_404_page(service: Service) -> None:
    teacher = sign_in(service, "teacher")
    csrf = csrf_of(teacher.get("/dashboard").text)
    assert_page_problem(teacher.post(f"/dashboard/submissions/{uuid.uuid4()}/regrade", data={"csrf": csrf}), 404,
                        "no submission")
    assert_page_problem(teacher.post("/dashboard/assignments/nope/regrade", data={"csrf": csrf}), 404,
                        "unknown assignment")


def test_bearer_tokens_work_on_the_api_but_sign_nobody_into_the_pages(service: Service) -> None:
    client = browser(service)
    for who in ("alice", "teacher"):
        assert client.get("/api/v1/submissions", headers=service.headers(who)).status_code == 200
        for path in ("/me", "/dashboard"):
            answer = client.get(path, headers=service.headers(who))
            assert answer.status_code == 303, f"{who} {path}: {answer.status_code}"
            assert answer.headers["location"].startswith("/login?next=")
    assert web_sessions(service) == []


def test_a_session_cookie_signs_nobody_into_the_json_api(service: Service) -> None:
    client = sign_in(service, "teacher")
    assert client.get("/api/v1/submissions").status_code == 401
    assert client.get("/api/v1/assignments/toy/gradebook").status_code == 401
    assert client.post("/api/v1/assignments/toy/regrade").status_code == 401


# --- 3. signing out ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sent", [None, "", "not-the-token"])
def test_a_sign_out_without_the_sessions_csrf_token_is_403_and_changes_nothing(service: Service,
                                                                               sent: str | None) -> None:
    client = sign_in(service, "alice")
    answer = client.post("/logout", data={} if sent is None else {"csrf": sent})
    assert_page_problem(answer, 403, "CSRF token")
    assert len(web_sessions(service)) == 1
    assert client.get("/me").status_code == 200


def test_a_sign_out_ends_the_session_on_the_server(service: Service) -> None:
    client = sign_in(service, "alice")
    cookie = client.cookies[SESSION_COOKIE]
    page = client.get("/me")
    answer = client.post("/logout", data={"csrf": csrf_of(page.text)})
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    (line,) = set_cookie_lines(answer, SESSION_COOKIE)
    assert "max-age=0" in line.lower() or "expires=" in line.lower()
    assert web_sessions(service) == []
    assert client.get("/me").status_code == 303
    # Setting the old cookie back by hand does not help: the server forgot it.
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, cookie)
    again = client.get("/me")
    assert again.status_code == 303 and again.headers["location"] == "/login?next=%2Fme"


def test_signing_out_one_browser_keeps_the_other_signed_in(service: Service) -> None:
    first, second = sign_in(service, "alice"), sign_in(service, "alice")
    assert first.post("/logout", data={"csrf": csrf_of(first.get("/me").text)}).status_code == 303
    assert first.get("/me").status_code == 303
    assert second.get("/me").status_code == 200


# --- 4. the upload form -----------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.timeout(180)
def test_the_upload_form_queues_the_notebook_and_its_page_shows_the_result(service: Service) -> None:
    alice = sign_in(service, "alice")
    notebook = toy_bytes()
    answer = upload(alice, notebook)
    assert answer.status_code == 303, answer.text
    match = re.fullmatch(r"/me/submissions/([0-9a-f-]{36})", answer.headers["location"])
    assert match, answer.headers["location"]
    submission_id = match.group(1)
    assert service.submission_count("alice") == 1 and len(service.stored_files()) == 1
    page = alice.get(answer.headers["location"])
    assert page.status_code == 200 and "<h1>toy" in page.text
    deadline = time.monotonic() + 60
    while 'data-final="true"' not in page.text:
        assert time.monotonic() < deadline, "not graded within 60 s"
        time.sleep(0.3)
        page = alice.get(f"/me/submissions/{submission_id}")
        assert page.status_code == 200
    assert "status-graded" in page.text and "4 / 4" in page.text
    fragment = alice.get(f"/me/submissions/{submission_id}/result")
    assert fragment.status_code == 200 and "4 / 4" in fragment.text and "<html" not in fragment.text
    assert submission_id in alice.get("/me").text
    api = service.client.get(f"/api/v1/submissions/{submission_id}", headers=service.headers("alice")).json()
    assert api["status"] == "graded" and api["result"]["score"] == 4
    # Bob's browser does not see it; the instructor's dashboard does.
    assert sign_in(service, "bob").get(f"/me/submissions/{submission_id}").status_code == 404
    teacher = sign_in(service, "teacher")
    dashboard_page = teacher.get(f"/dashboard/submissions/{submission_id}")
    assert dashboard_page.status_code == 200 and "4 / 4" in dashboard_page.text
    assert teacher.get(f"/dashboard/submissions/{submission_id}/submitted.ipynb").content == notebook
    executed = teacher.get(f"/dashboard/submissions/{submission_id}/executed.ipynb")
    assert executed.status_code == 200 and b'"outputs"' in executed.content


@pytest.mark.parametrize(("notebook", "assignment", "status", "phrase"), [
    pytest.param(None, "toy", 422, "choose a notebook file", id="no-file-part"),
    pytest.param(b"", "toy", 422, "the file is empty", id="empty-file"),
    pytest.param(b"def add(a, b):\n    return a + b\n", "toy", 422, "not JSON", id="not-json"),
    pytest.param(NBFORMAT_3, "toy", 422, "nbformat 3 is not supported", id="nbformat-3"),
    pytest.param(toy_bytes(), "nope", 404, "unknown assignment 'nope' (available: toy)", id="unknown-assignment"),
    pytest.param(toy_bytes(), "", 404, "unknown assignment", id="no-assignment"),
    pytest.param(toy_bytes(), "../toy", 404, "unknown assignment", id="path-like-assignment"),
])
def test_a_bad_upload_re_renders_my_page_with_the_problem(service: Service, notebook: bytes | None,
                                                          assignment: str, status: int, phrase: str) -> None:
    alice = sign_in(service, "alice")
    answer = upload(alice, notebook, assignment=assignment)
    assert_page_problem(answer, status, phrase)
    assert_my_page(answer)
    assert_nothing_stored(service)


def test_an_upload_with_an_empty_file_input_asks_for_a_file(service: Service) -> None:
    # What a browser sends when the file input is left empty: the part is there, its filename is "".
    alice = sign_in(service, "alice")
    answer = upload(alice, b"", filename="")
    assert_page_problem(answer, 422, "choose a notebook file")
    assert_my_page(answer)
    assert_nothing_stored(service)


def test_the_problem_on_the_page_is_escaped(service: Service) -> None:
    alice = sign_in(service, "alice")
    answer = upload(alice, toy_bytes(), assignment="<b>x</b><script>alert(1)</script>")
    assert_page_problem(answer, 404, "unknown assignment '<b>x</b><script>alert(1)</script>'")
    assert "&lt;b&gt;x&lt;/b&gt;&lt;script&gt;" in answer.text
    assert "<b>x</b>" not in answer.text and "<script>alert" not in answer.text
    assert_nothing_stored(service)


def test_an_upload_over_the_size_limit_is_413_on_my_page(start_service: StartService) -> None:
    service = start_service(max_notebook_bytes=2000)
    alice = sign_in(service, "alice")
    big = toy_bytes(IMPORTS, ADD, "# " + "padding " * 400)
    assert len(big) > 2000
    answer = upload(alice, big)
    assert_page_problem(answer, 413, "over the 2,000 bytes limit")
    assert_my_page(answer)
    assert_nothing_stored(service)


def test_an_upload_after_a_refusing_deadline_is_403_on_my_page(start_service: StartService,
                                                                exercises_with_policy: Callable[[str], Path]) -> None:
    service = start_service(exercises_dir=exercises_with_policy('deadline = 2000-01-01T00:00:00Z\nlate = "refuse"'))
    alice = sign_in(service, "alice")
    page = alice.get("/me")
    assert "late work is refused" in page.text
    answer = upload(alice, toy_bytes())
    assert_page_problem(answer, 403, "the deadline of toy", "has passed")
    assert_my_page(answer)
    assert_nothing_stored(service)


@pytest.mark.parametrize("csrf", ["", "not-the-token", "bobs"])
def test_an_upload_without_the_sessions_csrf_token_is_403(service: Service, csrf: str) -> None:
    alice = sign_in(service, "alice")
    if csrf == "bobs":  # a token from another session does not do either
        csrf = csrf_of(sign_in(service, "bob").get("/me").text)
    answer = upload(alice, toy_bytes(), csrf=csrf)
    assert_page_problem(answer, 403, "CSRF token is missing or stale")
    assert_nothing_stored(service)


def test_an_upload_without_a_session_is_sent_to_sign_in(service: Service) -> None:
    answer = browser(service).post("/me/submissions", data={"assignment": "toy", "csrf": "x"},
                                   files={"notebook": ("toy.ipynb", toy_bytes(), "application/x-ipynb+json")})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
    assert_nothing_stored(service)


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_an_upload_over_the_rate_limit_is_429_with_retry_after(start_service: StartService) -> None:
    service = start_service(submissions_per_minute=1)
    alice = sign_in(service, "alice")
    assert upload(alice, toy_bytes()).status_code == 303
    answer = upload(alice, toy_bytes())
    assert_page_problem(answer, 429, "too many submissions", "at most 1 a minute")
    assert 1 <= int(answer.headers["Retry-After"]) <= 61
    assert_my_page(answer)
    assert service.submission_count() == 1 and len(service.stored_files()) == 1


# --- 5. exports -------------------------------------------------------------------------------------------------------

GRADEBOOK = "/api/v1/assignments/toy/gradebook"
HEADER = ["name", "email", *EXERCISES, "total", "max_score", "status", "late", "submissions", "counts", "submission"]
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Toy assignment for engine tests (toy)"]


def test_the_gradebook_csv_lists_every_roster_student(service: Service) -> None:
    rows = read_csv(service.client.get(f"{GRADEBOOK}.csv", headers=service.headers("teacher")))
    assert rows[0] == HEADER
    assert len(rows) == 3  # alice and bob; the instructor is no student
    students = by_email(rows[1:], 1)
    assert set(students) == {PEOPLE["alice"][1], PEOPLE["bob"][1]}
    for who in ("alice", "bob"):
        row = dict(zip(HEADER, students[PEOPLE[who][1]], strict=True))
        assert row["name"] == PEOPLE[who][0]
        assert [row[e] for e in EXERCISES] == ["", "", ""] and row["total"] == ""
        assert row["status"] == "not submitted" and row["submissions"] == "0" and row["submission"] == ""
        assert row["max_score"] in ("4", "4.0")


def test_the_canvas_csv_has_canvas_headers_and_points_possible(service: Service) -> None:
    rows = read_csv(service.client.get(f"{GRADEBOOK}.canvas.csv", headers=service.headers("teacher")))
    assert rows[0] == CANVAS_HEADER
    assert rows[1] == ["Points Possible", "", "", "", "", "4"]
    assert {row[3]: row[5] for row in rows[2:]} == {PEOPLE["alice"][1]: "", PEOPLE["bob"][1]: ""}


@pytest.mark.parametrize("export", ["gradebook.csv", "gradebook.canvas.csv"])
def test_the_exports_are_for_instructors_only(service: Service, export: str) -> None:
    url = f"/api/v1/assignments/toy/{export}"
    for who in ("alice", "bob"):
        refused = service.client.get(url, headers=service.headers(who))
        assert refused.status_code == 403 and "only instructors" in refused.json()["detail"]
    assert browser(service).get(url).status_code == 401
    assert browser(service).get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
    unknown = service.client.get(f"/api/v1/assignments/nope/{export}", headers=service.headers("teacher"))
    assert unknown.status_code == 404 and "unknown assignment 'nope'" in unknown.json()["detail"]
    # The dashboard's link: the signed-in instructor's cookie is enough; a student's is not.
    assert sign_in(service, "teacher").get(url).status_code == 200
    assert sign_in(service, "alice").get(url).status_code == 403


def test_the_dashboard_links_to_both_exports(service: Service) -> None:
    page = sign_in(service, "teacher").get("/dashboard/assignments/toy")
    assert page.status_code == 200
    assert 'href="/api/v1/assignments/toy/gradebook.csv"' in page.text
    assert 'href="/api/v1/assignments/toy/gradebook.canvas.csv"' in page.text


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)"])
def test_a_formula_like_name_is_exported_as_text(service: Service, name: str) -> None:
    with session_scope(service.app.state.engine) as session:
        add_member(session, name=name, email="mallory@example.org", role=Role.student)
    rows = read_csv(service.client.get(f"{GRADEBOOK}.csv", headers=service.headers("teacher")))
    assert by_email(rows[1:], 1)["mallory@example.org"][0] == "'" + name
    canvas = read_csv(service.client.get(f"{GRADEBOOK}.canvas.csv", headers=service.headers("teacher")))
    assert by_email(canvas[2:], 3)["mallory@example.org"][0] == "'" + name
    assert by_email(rows[1:], 1)[PEOPLE["alice"][1]][0] == PEOPLE["alice"][0]  # plain names stay as they are


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_the_exports_agree_with_the_json_gradebook_after_a_grading(service: Service) -> None:
    graded = submit_and_grade(service, "alice")
    assert graded["status"] == "graded" and graded["result"]["score"] == 4
    book = service.client.get(GRADEBOOK, headers=service.headers("teacher"))
    assert book.status_code == 200
    json_rows = {row["student"]: row for row in book.json()}
    rows = read_csv(service.client.get(f"{GRADEBOOK}.csv", headers=service.headers("teacher")))
    assert rows[0] == HEADER
    csv_rows = {email: dict(zip(HEADER, row, strict=True)) for email, row in by_email(rows[1:], 1).items()}
    assert set(csv_rows) == set(json_rows) == {PEOPLE["alice"][1], PEOPLE["bob"][1]}
    alice = csv_rows[PEOPLE["alice"][1]]
    assert float(alice["total"]) == json_rows[PEOPLE["alice"][1]]["score"] == 4
    for exercise in EXERCISES:
        assert float(alice[exercise]) == json_rows[PEOPLE["alice"][1]]["exercises"][exercise]
    assert alice["status"] == "graded" and alice["submission"] == graded["id"] and alice["submissions"] == "1"
    assert alice["late"] == "no"
    bob = csv_rows[PEOPLE["bob"][1]]
    assert bob["total"] == "" and bob["status"] == "not submitted"
    assert json_rows[PEOPLE["bob"][1]] == {
        "student": PEOPLE["bob"][1], "name": PEOPLE["bob"][0], "submission": None, "score": None, "max_score": 4,
        "exercises": {e: None for e in EXERCISES}, "status": "not submitted", "late": False, "submissions": 0}
    canvas = read_csv(service.client.get(f"{GRADEBOOK}.canvas.csv", headers=service.headers("teacher")))
    assert {row[3]: row[5] for row in canvas[2:]} == {PEOPLE["alice"][1]: "4", PEOPLE["bob"][1]: ""}


# --- 6. regrading over the API ----------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_regrade_adds_a_result_version_and_the_newest_counts(service: Service) -> None:
    first = submit_and_grade(service, "alice")
    assert first["status"] == "graded"
    url = f"/api/v1/submissions/{first['id']}/regrade"
    accepted = service.client.post(url, headers=service.headers("teacher"))
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["id"] == first["id"] and accepted.json()["status"] == "queued"
    busy = service.client.post(url, headers=service.headers("teacher"))
    assert busy.status_code == 409, busy.text
    assert "can be regraded once it has finished" in busy.json()["detail"]
    second = service.wait_final(first["id"])
    assert second["status"] == "graded" and second["result"]["score"] == 4
    with session_scope(service.app.state.engine) as session:
        submission = session.get(Submission, first["id"])
        assert submission is not None and submission.result_version == 2
        versions = session.scalars(select(Result).where(Result.submission_id == first["id"])
                                   .order_by(Result.version)).all()
        assert [r.version for r in versions] == [1, 2]
        newest: dict[str, Any] = versions[1].payload
        assert versions[0].created_at <= versions[1].created_at
    assert second["result"]["execution"] == newest["execution"]
    assert second["finished_at"] is not None and second["finished_at"] >= first["finished_at"]
    # The whole assignment: alice's counting submission goes back in the queue (bob has none).
    everything = service.client.post("/api/v1/assignments/toy/regrade", headers=service.headers("teacher"))
    assert everything.status_code == 202, everything.text
    assert everything.json() == {"submissions": [first["id"]]}
    assert service.wait_final(first["id"])["status"] == "graded"
    with session_scope(service.app.state.engine) as session:
        count = session.scalar(select(func.count(Result.id)).where(Result.submission_id == first["id"]))
        assert count == 3


def test_regrading_is_for_instructors_and_known_submissions(service: Service) -> None:
    submission_id = plant_submission(service, "alice")
    for who in ("alice", "bob"):
        for url in (f"/api/v1/submissions/{submission_id}/regrade", "/api/v1/assignments/toy/regrade"):
            refused = service.client.post(url, headers=service.headers(who))
            assert refused.status_code == 403 and "only instructors" in refused.json()["detail"]
    with session_scope(service.app.state.engine) as session:
        planted = session.get(Submission, submission_id)
        assert planted is not None and planted.status == SubmissionStatus.rejected
    unknown = service.client.post(f"/api/v1/submissions/{uuid.uuid4()}/regrade", headers=service.headers("teacher"))
    assert unknown.status_code == 404 and "no submission" in unknown.json()["detail"]
    nope = service.client.post("/api/v1/assignments/nope/regrade", headers=service.headers("teacher"))
    assert nope.status_code == 404 and "unknown assignment" in nope.json()["detail"]
    # Nothing counts yet (the planted submission has no result): nothing to regrade.
    none = service.client.post("/api/v1/assignments/toy/regrade", headers=service.headers("teacher"))
    assert none.status_code == 202 and none.json() == {"submissions": []}


# --- 7. security headers ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "method", "path"), [
    (None, "GET", "/login"), (None, "GET", "/"), (None, "GET", "/me"), (None, "POST", "/login"),
    ("alice", "GET", "/me"), ("alice", "GET", "/dashboard"), ("alice", "GET", "/me/submissions/nope"),
    ("teacher", "GET", "/dashboard"), ("teacher", "GET", "/dashboard/assignments/toy"),
    ("teacher", "GET", "/dashboard/charts/toy/histogram.svg"), ("teacher", "GET", "/dashboard/students/999"),
    (None, "GET", "/api/v1/assignments"), ("api", "GET", "/api/v1/assignments"),
    ("api", "GET", "/api/v1/assignments/toy/gradebook.csv"), (None, "GET", "/static/style.css"),
    (None, "GET", "/no/such/page"),
])
def test_every_answer_carries_the_content_security_policy(service: Service, who: str | None, method: str,
                                                          path: str) -> None:
    if who in ("alice", "teacher"):
        client = sign_in(service, who)
        headers: dict[str, str] = {}
    else:
        client = browser(service)
        headers = service.headers("teacher") if who == "api" else {}
    answer = client.request(method, path, headers=headers)
    assert answer.status_code < 500, answer.text
    policy = answer.headers["content-security-policy"]
    directives = [d.strip() for d in policy.split(";")]
    assert "script-src 'self'" in directives and "frame-ancestors 'none'" in directives
    assert "default-src 'self'" in directives
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_the_pages_use_no_inline_script(service: Service) -> None:
    teacher, alice = sign_in(service, "teacher"), sign_in(service, "alice")
    for client, path in ((teacher, "/dashboard"), (teacher, "/dashboard/assignments/toy"), (alice, "/me"),
                         (browser(service), "/login")):
        page = client.get(path).text
        for tag in re.findall(r"<script\b[^>]*>", page):
            assert re.search(r'src="/static/', tag), f"{path}: {tag}"
        assert not re.search(r"\son[a-z]+\s*=", page), f"{path} has an inline event handler"


# --- 8. the JSON gradebook --------------------------------------------------------------------------------------------

def test_the_json_gradebook_lists_students_who_never_submitted(service: Service) -> None:
    submission_id = plant_submission(service, "alice")  # a submission without a result counts for nothing
    answer = service.client.get(GRADEBOOK, headers=service.headers("teacher"))
    assert answer.status_code == 200, answer.text
    rows = {row["student"]: row for row in answer.json()}
    assert set(rows) == {PEOPLE["alice"][1], PEOPLE["bob"][1]}
    assert rows[PEOPLE["bob"][1]] == {
        "student": PEOPLE["bob"][1], "name": PEOPLE["bob"][0], "submission": None, "score": None, "max_score": 4,
        "exercises": {e: None for e in EXERCISES}, "status": "not submitted", "late": False, "submissions": 0}
    alice = rows[PEOPLE["alice"][1]]
    assert alice["submission"] is None and alice["score"] is None and alice["submissions"] == 1
    assert submission_id not in answer.text
    assert service.client.get(GRADEBOOK, headers=service.headers("alice")).status_code == 403


def test_a_student_added_later_appears_in_the_gradebook(service: Service) -> None:
    with session_scope(service.app.state.engine) as session:
        add_member(session, name="Carol Late", email="carol@example.org", role=Role.student)
        add_member(session, name="Ivan Instructor", email="ivan@example.org", role=Role.instructor)
    rows = service.client.get(GRADEBOOK, headers=service.headers("teacher")).json()
    assert sorted(row["student"] for row in rows) == sorted([PEOPLE["alice"][1], PEOPLE["bob"][1],
                                                             "carol@example.org"])
    page = sign_in(service, "teacher").get("/dashboard/assignments/toy")
    assert "Carol Late" in page.text and "Ivan Instructor" not in page.text.split("</header>", 1)[-1]


# --- 9. hidden feedback on the pages ----------------------------------------------------------------------------------

def test_a_students_result_page_folds_the_hidden_tests_while_the_instructors_shows_them(
        start_service: StartService, exercises_with_policy: Callable[[str], Path]) -> None:
    service = start_service(exercises_dir=exercises_with_policy('hidden_feedback = "summary"'))
    submission_id = plant_graded(service, "alice")
    alice = sign_in(service, "alice")
    for path in (f"/me/submissions/{submission_id}", f"/me/submissions/{submission_id}/result"):
        page = alice.get(path)
        assert page.status_code == 200, page.text
        shown = html.unescape(page.text)
        assert "hidden tests" in shown and "2 of 3 passed" in shown and "test_adds_small_numbers" in shown
        assert not [name for name in HIDDEN_NAMES if name in shown] and HIDDEN_MESSAGE not in shown, path
        assert "2.75 / 4" in shown  # the score is the whole score
    teacher = sign_in(service, "teacher").get(f"/dashboard/submissions/{submission_id}")
    assert teacher.status_code == 200, teacher.text
    shown = html.unescape(teacher.text)
    assert all(name in shown for name in HIDDEN_NAMES) and HIDDEN_MESSAGE in shown and "2 of 3 passed" not in shown


# --- 10. an exercise not attempted is said once -----------------------------------------------------------------------

def plant_not_attempted(service: Service, who: str, note: str) -> str:
    """A graded submission of ``who`` whose ``add`` exercise carries ``note`` and two failing tests without messages."""
    from grader.models import ExecutionInfo, ExerciseResult, GradeResult, TestResult

    tests = [TestResult(name=name, points=0.0, max_points=0.5, passed=False, hidden=False, message="")
             for name in ("adds_small_numbers", "adds_random_tensors")]
    return service.plant(who, GradeResult(
        assignment="toy", status=SubmissionStatus.graded, score=0.0, max_score=4.0,
        exercises=[ExerciseResult(id="add", score=0.0, max_score=1.0, tests=tests, note=note)],
        execution=ExecutionInfo(duration_s=1.0, cell_errors=[])))


def test_the_result_pages_say_not_attempted_once_under_the_exercise(service: Service) -> None:
    note = "not attempted: add raises NotImplementedError"
    submission_id = plant_not_attempted(service, "alice", note)
    for client, path in ((sign_in(service, "alice"), f"/me/submissions/{submission_id}"),
                         (sign_in(service, "teacher"), f"/dashboard/submissions/{submission_id}")):
        page = client.get(path)
        assert page.status_code == 200, page.text
        assert page.text.count(note) == 1, path
        _, rest = page.text.split("<h3>add", 1)[1].split("</h3>", 1)
        assert rest.lstrip().startswith(f'<p class="exercise-note muted">{note}</p>'), path  # right under it
        assert re.findall(r'<td class="message">([^<]*)</td>', rest) == ["", ""], path


def test_a_hostile_name_in_the_note_is_escaped(service: Service) -> None:
    # The name comes from the student's kernel: it is text on the page, never markup.
    submission_id = plant_not_attempted(service, "alice", 'not attempted: <img src=x onerror=alert(1)> raises X')
    page = sign_in(service, "alice").get(f"/me/submissions/{submission_id}")
    assert page.status_code == 200, page.text
    assert not [tag for tag in parse_html(page.text).all("img") if tag.get("src") == "x"]
    assert "not attempted: &lt;img src=x onerror=alert(1)&gt; raises X" in page.text


# --- 11. a failing cell is named as Jupyter shows it ------------------------------------------------------------------

HOSTILE = "<img src=x onerror=alert(1)>"


def plant_cell_errors(service: Service, who: str) -> str:
    """A graded submission of ``who`` whose In [3] raised a hostile message and whose kernel then hit a limit."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from grader.models import CellError, ExecutionInfo
    from tests.utils.records import toy_result

    line = f"raise ValueError({HOSTILE!r})"
    failing = new_code_cell(f"x = 1\n{line}", execution_count=3,
                            outputs=[new_output("error", ename="ValueError", evalue=HOSTILE, traceback=[])])
    executed = new_notebook(cells=[new_markdown_cell("# toy"), new_code_cell(ADD, execution_count=1), failing])
    errors = [CellError(cell=3, counted=True, index=2, ename="ValueError", evalue=HOSTILE, line=line),
              CellError(cell=-1, ename="MemoryLimitExceeded", evalue="a sandbox limit stopped the kernel")]
    result = toy_result(2.0).model_copy(update={"execution": ExecutionInfo(duration_s=1.0, cell_errors=errors)})
    return service.plant(who, result, executed=executed)


def execution_rows(page: str) -> list[str]:
    """The text of each row of the page's execution table, one space between its text nodes."""
    section = page.split('<section class="execution">', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", section, flags=re.S)[1:]  # past the header
    return [" ".join(" ".join(parse_html(row).text).split()) for row in rows]


def test_a_failing_cell_shows_its_number_message_and_line_escaped(service: Service) -> None:
    submission_id = plant_cell_errors(service, "alice")
    line = f"raise ValueError({HOSTILE!r})"
    for client, path in ((sign_in(service, "alice"), f"/me/submissions/{submission_id}"),
                         (sign_in(service, "teacher"), f"/dashboard/submissions/{submission_id}")):
        page = client.get(path)
        assert page.status_code == 200, page.text
        assert execution_rows(page.text) == [f"In [3] ValueError: {HOSTILE} {line}",
                                             "the notebook MemoryLimitExceeded: a sandbox limit stopped the kernel"]
        assert "<code>ValueError: &lt;img src=x onerror=alert(1)&gt;</code>" in page.text, path
        assert "<code>raise ValueError(&#39;&lt;img src=x onerror=alert(1)&gt;&#39;)</code>" in page.text, path
        assert HOSTILE not in page.text and not [t for t in parse_html(page.text).all("img") if t.get("src") == "x"]
    # The instructor's label links to the cell in the executed notebook below it, which is marked.
    section = page.text.split('<section class="execution">', 1)[1].split("</section>", 1)[0]
    assert parse_html(section).all("a") == [{"href": "#cell-2"}]
    assert '<section class="cell cell-code cell-error" id="cell-2">' in page.text


# --- 12. a failed grading's internals are the instructors' -----------------------------------------------------
SUITE_FAILURE = ("test suite is broken: reference/toy/tests/test_hidden.py::test_add_overflow: "
                 "KeyError: 'expected'")


@pytest.mark.parametrize("status, student_reads", [
    (SubmissionStatus.error, SERVICE_FAULT),
    (SubmissionStatus.rejected, SUITE_FAILURE),  # a rejected file's reason is about the student's own file
])
def test_a_student_reads_no_internals_of_a_failed_grading(service: Service, status: SubmissionStatus,
                                                         student_reads: str) -> None:
    submission_id = service.plant("alice", None, error=SUITE_FAILURE, status=status)
    assert read(service, "alice", submission_id)["error"] == student_reads
    listed = service.client.get("/api/v1/submissions", headers=service.headers("alice")).json()
    assert [s["error"] for s in listed if s["id"] == submission_id] == [student_reads]
    assert read(service, "teacher", submission_id)["error"] == SUITE_FAILURE
    page = sign_in(service, "alice").get(f"/me/submissions/{submission_id}")
    assert page.status_code == 200 and student_reads in html.unescape(page.text)
    if status == SubmissionStatus.error:
        assert "test_add_overflow" not in page.text
