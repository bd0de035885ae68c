"""Build the HTTP service. Thin: routes call into ``grader``, never the other way round."""

from __future__ import annotations

from fastapi import FastAPI

from api.routes import health


def create_app() -> FastAPI:
    """The FastAPI application (submissions arrive with the service issue)."""
    app = FastAPI(title="grader", version="0.1.0", description="Sandboxed grading of notebook exercises.")
    app.include_router(health.router)
    return app


app = create_app()
