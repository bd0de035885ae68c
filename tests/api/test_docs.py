"""/docs: Swagger UI served from this host alone, working under the service's Content-Security-Policy."""

from __future__ import annotations

import os
import signal
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from api.security import CONTENT_SECURITY_POLICY, DOCS_CONTENT_SECURITY_POLICY
from grader.config import REPO_ROOT
from tests.api.conftest import TOY_EXERCISES, TOY_REFERENCE, Service
from tests.utils.service import free_port, start_server

SCREENSHOT = REPO_ROOT / "build" / "screenshots" / "docs.png"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
CHROMIUM = "/usr/bin/chromium"  # Debian's; never `playwright install` (it downloads browsers)
# Collects CSP violations in the page; Playwright's init scripts run whatever the page's policy says.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


class _Page(HTMLParser):
    """Every start tag of a page with its attributes, and the text inside each <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.script_bodies: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))
        if tag == "script":
            self._in_script = True
            self.script_bodies.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_bodies[-1] += data

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag]

    def urls(self) -> list[str]:
        return [attrs[key] for _, attrs in self.tags for key in ("src", "href") if key in attrs]


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page


def _schema_url(service: Service) -> str:
    url = service.app.openapi_url
    assert url is not None
    return url


def _directives(policy: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as {directive: sources}."""
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def test_the_docs_page_has_no_inline_script_and_names_only_paths_on_this_host(service: Service) -> None:
    answer = service.client.get("/docs")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    page = _parse(answer.text)
    assert [title for title in page.all("title")] and "<title>grader API</title>" in answer.text
    scripts = page.all("script")
    assert scripts and all(attrs.get("src") for attrs in scripts), "a <script> without src"
    assert all(not body.strip() for body in page.script_bodies), "a <script> with inline code"
    handlers = [(tag, name) for tag, attrs in page.tags for name in attrs if name.lower().startswith("on")]
    assert handlers == []
    assert page.urls(), "the page links no assets"
    for url in page.urls():
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and url.startswith("/") and not url.startswith("//"), url
    assert "://" not in answer.text
    mounts = [attrs for attrs in page.all("div") if attrs.get("id") == "swagger-ui"]
    assert mounts == [{"id": "swagger-ui", "data-openapi-url": service.app.openapi_url}]


def test_every_asset_of_the_docs_page_is_served_here_with_its_type(service: Service) -> None:
    page = _parse(service.client.get("/docs").text)
    scripts = [attrs["src"] for attrs in page.all("script")]
    assert scripts == ["/static/vendor/swagger-ui-bundle.js", "/static/docs.js"]  # the bundle first
    expected = {src: "javascript" for src in scripts}
    for link in page.all("link"):
        expected[link["href"]] = "text/css" if link.get("rel") == "stylesheet" else "image/"
    assert "text/css" in expected.values()
    for url, kind in expected.items():
        asset = service.client.get(url)
        assert asset.status_code == 200, url
        assert kind in asset.headers["content-type"], (url, asset.headers["content-type"])
        assert asset.headers["x-content-type-options"] == "nosniff"
        assert len(asset.content) > (200 if url == "/static/docs.js" else 1000), url
    starter = service.client.get("/static/docs.js").text
    assert "SwaggerUIBundle(" in starter and "validatorUrl: null" in starter and "'#swagger-ui'" in starter


def test_the_docs_page_alone_may_use_inline_styles_and_no_page_may_use_inline_script(service: Service) -> None:
    answer = service.client.get("/docs")
    assert answer.headers["content-security-policy"] == DOCS_CONTENT_SECURITY_POLICY
    assert answer.headers["x-content-type-options"] == "nosniff"
    docs = _directives(answer.headers["content-security-policy"])
    assert docs["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in docs["style-src"]
    assert not any("'unsafe-" in source for name, sources in docs.items() if name != "style-src"
                   for source in sources)
    for other in ("/static/docs.js", "/static/vendor/swagger-ui-bundle.js", _schema_url(service)):
        assert service.client.get(other).headers["content-security-policy"] == CONTENT_SECURITY_POLICY, other


def test_the_docs_are_not_in_the_schema_and_fastapis_cdn_pages_are_gone(service: Service) -> None:
    paths = service.client.get(_schema_url(service)).json()["paths"]
    assert "/docs" not in paths and "/api/v1/submissions" in paths
    assert service.client.get("/redoc").status_code == 404
    assert service.client.get("/docs/oauth2-redirect").status_code == 404


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_swagger_ui_renders_in_chromium_without_leaving_the_machine_or_breaking_the_policy(tmp_path: Path) -> None:
    from playwright.sync_api import ConsoleMessage, Route, sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no {CHROMIUM}")
    env = {**os.environ, "GRADER_EXERCISES_DIR": str(TOY_EXERCISES), "GRADER_REFERENCE_DIR": str(TOY_REFERENCE),
           "GRADER_DATA_DIR": str(tmp_path / "data"), "GRADER_CACHE_DIR": str(tmp_path / "cache"),
           "GRADER_POOL_SIZE": "1"}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_server(env, port=port, workers=1, log=tmp_path / "serve.log")
    foreign: list[str] = []
    errors: list[str] = []

    def only_this_machine(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            errors.append(message.text)

    try:
        schema = requests.get(f"{base}/openapi.json", timeout=10).json()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                context = browser.new_context(viewport={"width": 1280, "height": 1000}, service_workers="block")
                context.route("**/*", only_this_machine)
                context.add_init_script(WATCH_VIOLATIONS)
                page = context.new_page()
                page.on("console", console)
                page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
                answer = page.goto(f"{base}/docs")
                assert answer is not None and answer.status == 200
                page.wait_for_selector(".opblock", timeout=30_000)
                page.wait_for_load_state("networkidle")
                submit = page.locator('.opblock-post:has(.opblock-summary-path[data-path="/api/v1/submissions"])')
                submit.locator(".opblock-summary").click()  # an operation opened: its form and examples
                submit.locator(".opblock-body").wait_for(timeout=10_000)
                shown: list[list[str]] = page.locator(".opblock").evaluate_all(
                    "blocks => blocks.map(b => [b.querySelector('.opblock-summary-method').textContent,"
                    " b.querySelector('.opblock-summary-path').dataset.path])")
                violations: list[str] = page.evaluate("window.__violations")
                title = page.title()
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOT), full_page=True)
            finally:
                browser.close()
    finally:
        _stop(process)

    assert title == "grader API"
    operations = {(method.upper(), path) for path, item in schema["paths"].items() for method in item
                  if method in HTTP_METHODS}
    wanted = {(method, path) for method, path in operations if path == "/api/v1/submissions"}
    assert wanted and wanted <= {(method.upper(), path) for method, path in shown}
    assert operations <= {(method.upper(), path) for method, path in shown}, "operations missing from the page"
    assert foreign == [], "requests to other hosts"
    assert violations == [] and not [e for e in errors if "Content Security Policy" in e], (violations, errors)
    assert errors == [], errors
