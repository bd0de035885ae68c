"""The OpenAPI docs (Swagger UI) served entirely from this host, with no inline script."""

from __future__ import annotations

import html
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["docs"], include_in_schema=False)

# Swagger UI's bundle, stylesheet and icon as shipped by the pinned fastapi-offline (mounted at /static/vendor).
VENDOR_ASSETS: Path = Path(fastapi_offline.__file__).resolve().parent / "static"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>grader API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui.css">
<link rel="icon" type="image/png" href="/static/vendor/favicon.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="/static/vendor/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body>
</html>
"""


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI for this service's OpenAPI schema; /static/docs.js starts it (the CSP forbids inline script)."""
    openapi_url: str | None = request.app.openapi_url
    if not openapi_url:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this service publishes no OpenAPI schema")
    return HTMLResponse(_PAGE.format(openapi_url=html.escape(openapi_url, quote=True)))
