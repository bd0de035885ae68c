"""/docs: Swagger UI served from this host alone, working under the service's Content-Security-Policy."""

from __future__ import annotations

from urllib.parse import urlsplit


from api.security import CONTENT_SECURITY_POLICY
from tests.api.conftest import Service
from tests.utils.html import parse_html

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
    page = parse_html(answer.text)
    assert [title for title in page.all("title")] and "<title>grader API</title>" in answer.text
    scripts = page.all("script")
    assert scripts and all(attrs.get("src") for attrs in scripts), "a <script> without src"
    assert all(not body.strip() for body in page.script_bodies), "a <script> with inline code"
    handlers = [(tag, name) for tag, attrs in page.start_tags for name, _ in attrs if name.lower().startswith("on")]
    assert handlers == []
    assert page.urls(), "the page links no assets"
    for url in page.urls():
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and url.startswith("/") and not url.startswith("//"), url
    assert "://" not in answer.text
    mounts = [attrs for attrs in page.all("div") if attrs.get("id") == "swagger-ui"]
    assert mounts == [{"id": "swagger-ui", "data-openapi-url": service.app.openapi_url}]


def test_every_asset_of_the_docs_page_is_served_here_with_its_type(service: Service) -> None:
    page = parse_html(service.client.get("/docs").text)
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


def test_the_docs_page_has_the_same_strict_policy_as_every_page(service: Service) -> None:
    answer = service.client.get("/docs")
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert answer.headers["x-content-type-options"] == "nosniff"
    docs = _directives(answer.headers["content-security-policy"])
    assert docs["script-src"] == ["'self'"] and docs["style-src"] == ["'self'"]
    assert not any("'unsafe-" in source for sources in docs.values() for source in sources)
    for other in ("/static/docs.js", "/static/vendor/swagger-ui-bundle.js", _schema_url(service)):
        assert service.client.get(other).headers["content-security-policy"] == CONTENT_SECURITY_POLICY, other


def test_the_docs_are_not_in_the_schema_and_fastapis_cdn_pages_are_gone(service: Service) -> None:
    paths = service.client.get(_schema_url(service)).json()["paths"]
    assert "/docs" not in paths and "/api/v1/submissions" in paths
    assert service.client.get("/redoc").status_code == 404
    assert service.client.get("/docs/oauth2-redirect").status_code == 404
