"""The web pages in real headless Chromium: what an instructor and a student do, and what hostile content can't.

Every page visited is saved under ``build/screenshots/``.
"""

from __future__ import annotations

import csv
import io
import re

import nbformat
import pytest
import requests
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from playwright.sync_api import Page, expect

from tests.utils.browser import Watched, screenshot
from tests.utils.toy import ADD, DOUBLER, IMPORTS, SCALE, toy_bytes
from tests.web.conftest import FINAL, Site, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

GRADED_TIMEOUT_MS = 90_000


def _api_gradebook(site: Site) -> dict[str, dict[str, object]]:
    rows = requests.get(f"{site.url}/api/v1/assignments/toy/gradebook", headers=site.headers("teacher"),
                        timeout=30).json()
    return {row["student"]: row for row in rows}


def test_an_instructor_reads_the_gradebook_opens_a_notebook_regrades_and_exports(page: Page, site: Site,
                                                                                watched: Watched) -> None:
    sign_in(page, site, "teacher")
    expect(page).to_have_url(f"{site.url}/dashboard")
    card = page.locator("#assignment-toy")
    expect(card.locator("[data-count=graded]")).to_have_text(re.compile(r"^[3-9]$"))
    expect(card.locator(".submitted")).not_to_have_text("0")
    expect(card.locator("img.chart")).to_have_js_property("complete", True)
    assert card.locator("img.chart").evaluate("img => img.naturalWidth") > 0  # the SVG histogram rendered
    expect(page.locator("#queue")).to_be_visible()
    screenshot(page, "dashboard")

    page.click("#assignment-toy h2 a")
    expect(page.locator("#policy")).to_have_text("latest")
    api = _api_gradebook(site)
    rows = page.locator("table.gradebook tbody tr")
    expect(rows).to_have_count(len(api))  # the whole roster, dave (never submitted) included
    for email, row in api.items():
        shown = page.locator(f'tr[data-student="{email}"] td.total')
        expected = "–" if row["score"] is None else f"{round(float(row['score']), 2):g}"  # type: ignore[arg-type]
        expect(shown).to_have_text(expected)
    expect(page.locator('tr[data-student="dave@example.org"]')).to_contain_text("not submitted")
    expect(page.locator('tr[data-student="alice@example.org"] td.total')).to_have_text("4")
    expect(page.locator("#wrong tbody tr").first).to_contain_text("%")
    screenshot(page, "gradebook")

    page.click("a.sort >> text=total")  # sortable: ascending total, students without a score first
    expect(page.locator("table.gradebook tbody tr").first.locator("td.total")).to_have_text("–")
    page.click("a.sort >> text=total")  # again: descending
    expect(page.locator("table.gradebook tbody tr").first.locator("td.total")).to_have_text("4")
    page.fill("#q", "alice")
    page.click("form.filter button")
    expect(page.locator("table.gradebook tbody tr")).to_have_count(1)

    with page.expect_download() as download:
        page.click("#csv")
    exported = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert {row["email"]: row["total"] for row in exported} == {
        email: ("" if row["score"] is None else format(float(row["score"]), ".12g"))  # type: ignore[arg-type]
        for email, row in api.items()}

    page.goto(f"{site.url}/dashboard/submissions/{site.graded['alice']}")
    expect(page.locator("#score")).to_have_text("4 / 4")
    notebook = page.locator("#notebook .notebook")
    expect(notebook.locator(".cell-code")).to_have_count(5)
    expect(notebook).to_contain_text("hello from alice")
    expect(notebook.locator("img.output-image")).to_have_count(1)  # the matplotlib plot, as it ran
    assert notebook.locator("img.output-image").evaluate("img => img.naturalWidth") > 100
    screenshot(page, "submission")

    page.click("#regrade")
    expect(page.locator("#status")).to_contain_text("graded", timeout=GRADED_TIMEOUT_MS)  # refreshed live
    page.reload()
    expect(page.locator("#versions tbody tr")).to_have_count(2)
    expect(page.locator("#score")).to_have_text("4 / 4")
    answer = requests.get(f"{site.url}/api/v1/submissions/{site.graded['alice']}", headers=site.headers("teacher"),
                          timeout=30).json()
    assert answer["status"] == "graded" and answer["result"]["score"] == 4.0

    page.click("a >> text=Alice Archer")
    expect(page).to_have_url(re.compile(r"/dashboard/students/\d+$"))
    expect(page.locator("table.data").first).to_contain_text("4 / 4")
    screenshot(page, "student")
    assert watched.foreign_requests == [] and watched.dialogs == []
    assert page.evaluate("window.__violations") == []


def test_a_student_uploads_through_the_form_and_watches_it_get_graded(page: Page, site: Site,
                                                                      watched: Watched, tmp_path: object) -> None:
    sign_in(page, site, "bob")
    expect(page).to_have_url(f"{site.url}/me")
    expect(page.locator("#upload-toy")).to_contain_text("no deadline")
    screenshot(page, "me")

    bad = site.data_dir.parent / "not-a-notebook.ipynb"
    bad.write_text("this is not json", encoding="utf-8")
    page.set_input_files("#notebook-toy", str(bad))
    page.click("#upload-toy button[type=submit]")
    expect(page.locator("#upload-toy .problem")).to_contain_text("not JSON")

    good = site.data_dir.parent / "bob.ipynb"
    good.write_bytes(toy_bytes(IMPORTS, ADD, SCALE, DOUBLER))
    page.set_input_files("#notebook-toy", str(good))
    page.click("#upload-toy button[type=submit]")
    expect(page).to_have_url(re.compile(r"/me/submissions/[0-9a-f-]{36}$"))
    expect(page.locator("#status")).to_have_text("graded", timeout=GRADED_TIMEOUT_MS)  # no reload needed
    expect(page.locator("#score")).to_have_text("4 / 4")
    expect(page.locator(".exercise").first).to_contain_text("add")
    screenshot(page, "my-result")

    page.click("a >> text=My submissions")
    expect(page.locator("#my-submissions tbody tr")).to_have_count(2)  # the fixture's and this one
    assert watched.foreign_requests == [] and page.evaluate("window.__violations") == []


def test_a_student_cannot_reach_any_instructor_page(page: Page, site: Site) -> None:
    anonymous = page.goto(f"{site.url}/dashboard/assignments/toy")
    assert anonymous is not None and "/login?next=" in page.url
    sign_in(page, site, "bob")
    alice = site.graded["alice"]
    for path in ("/dashboard", "/dashboard/assignments/toy", f"/dashboard/submissions/{alice}",
                 f"/dashboard/submissions/{alice}/submitted.ipynb", "/dashboard/students/1",
                 "/dashboard/charts/toy/histogram.svg", "/api/v1/assignments/toy/gradebook.csv"):
        answer = page.goto(f"{site.url}{path}")
        assert answer is not None and answer.status == 403, path
    answer = page.goto(f"{site.url}/me/submissions/{alice}")
    assert answer is not None and answer.status == 404  # another student's result does not exist for bob
    screenshot(page, "forbidden")


def _hostile_notebook() -> bytes:
    display = (
        "from IPython.display import HTML, SVG, Markdown, Javascript, display\n"
        "display(HTML(\"<script>window.__pwned='html'</script><b>bold output</b>\"))\n"
        "display(HTML('<img src=x onerror=\"window.__pwned=1\">image'))\n"
        "display(HTML('<a href=\"javascript:window.__pwned=2\">a javascript link</a>'))\n"
        "display(SVG('<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"window.__pwned=3\">"
        "<script>window.__pwned=4</script><circle r=\"5\"/></svg>'))\n"
        "display(Markdown(\"<script>window.__pwned=5</script>**markdown output**\"))\n"
        "display(Javascript('window.__pwned=6'))\n"
        "print('</pre><script>window.__pwned=7</script>printed text')"
    )
    nb = new_notebook(cells=[
        new_code_cell(IMPORTS),
        new_markdown_cell("<script>window.__pwned=8</script><img src=x onerror='window.__pwned=9'> "
                          "[click](javascript:window.__pwned=10) <iframe src='javascript:alert(1)'></iframe>"),
        new_code_cell(display), new_code_cell(ADD),
        new_code_cell("raise ValueError('<img src=x onerror=\"window.__pwned=11\"> message as text')"),
        new_code_cell("Evil = type('<img src=x onerror=window.__pwned=12>', (Exception,), {})\nraise Evil('boom')"),
        new_code_cell(SCALE), new_code_cell(DOUBLER),
    ], metadata={"grader": {"assignment": "toy"}})
    return nbformat.writes(nb).encode()


def test_a_hostile_notebook_runs_no_script_in_the_instructors_browser(page: Page, site: Site,
                                                                      watched: Watched) -> None:
    submission_id = site.submit("mallory", _hostile_notebook(), assignment="toy")
    assert site.wait("mallory", submission_id, until=FINAL)["status"] == "graded"
    sign_in(page, site, "teacher")
    for path in (f"/dashboard/submissions/{submission_id}", "/dashboard/assignments/toy",
                 "/dashboard", f"/dashboard/students/{_user_id(page, site)}"):
        page.goto(f"{site.url}{path}")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__pwned") is None, path
    page.goto(f"{site.url}/dashboard/submissions/{submission_id}")
    notebook = page.locator("#notebook")
    for text in ("bold output", "markdown output", "printed text", "message as text", "a javascript link"):
        expect(notebook).to_contain_text(text)
    expect(page.locator(".execution")).to_contain_text("<img src=x onerror=window.__pwned=12>")  # as text
    expect(page.locator("h1")).to_contain_text("<script>window.__pwned='name'</script>Mallory")
    screenshot(page, "hostile-submission")
    assert page.evaluate("window.__pwned") is None and watched.dialogs == []
    assert watched.foreign_requests == []


def _user_id(page: Page, site: Site) -> str:
    page.goto(f"{site.url}/dashboard/assignments/toy")
    href = page.locator('tr[data-student="mallory@example.org"] td a').first.get_attribute("href") or ""
    return href.rsplit("/", 1)[-1]


def test_the_api_docs_render_offline_under_the_policy(page: Page, site: Site, watched: Watched) -> None:
    schema = requests.get(f"{site.url}/openapi.json", timeout=10).json()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    answer = page.goto(f"{site.url}/docs")
    assert answer is not None and answer.status == 200
    page.wait_for_selector(".opblock", timeout=30_000)
    page.wait_for_load_state("networkidle")
    submit = page.locator('.opblock-post:has(.opblock-summary-path[data-path="/api/v1/submissions"])')
    submit.locator(".opblock-summary").click()  # an operation opened: its form and examples
    submit.locator(".opblock-body").wait_for(timeout=10_000)
    shown: list[list[str]] = page.locator(".opblock").evaluate_all(
        "blocks => blocks.map(b => [b.querySelector('.opblock-summary-method').textContent,"
        " b.querySelector('.opblock-summary-path').dataset.path])")
    screenshot(page, "docs")
    operations = {(method.upper(), path) for path, item in schema["paths"].items() for method in item
                  if method in ("get", "put", "post", "delete", "patch")}
    assert ("POST", "/api/v1/submissions") in operations
    assert operations <= {(method.upper(), path) for method, path in shown}, "operations missing from the page"
    assert page.title() == "grader API"
    assert watched.foreign_requests == [] and page.evaluate("window.__violations") == []
    assert watched.console_errors == [] and errors == []
