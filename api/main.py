"""Build the HTTP service. Thin: routes call into ``grader``, never the other way round."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.metrics import Metrics
from api.routes import assignments, health, submissions
from grader.config import Settings, get_settings
from grader.service.db import make_engine, migrate
from grader.service.dispatch import Dispatcher
from grader.errors import (GraderError, NotebookError, NotebookTooLarge, RosterError, SubmissionRefused,
                           UnknownAssignment)


def create_app(settings: Settings | None = None, *, workers: int | None = None) -> FastAPI:
    """The FastAPI application: migrates the database and runs the dispatcher while it lives."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings or get_settings()
        app.state.engine = make_engine(app.state.settings)
        migrate(app.state.engine)
        app.state.metrics = Metrics(app.state.engine)
        app.state.dispatcher = Dispatcher(app.state.engine, app.state.settings, workers=workers,
                                          on_finished=app.state.metrics.finished)
        app.state.dispatcher.start()
        try:
            yield
        finally:
            app.state.dispatcher.stop()
            app.state.engine.dispose()

    app = FastAPI(title="grader", version="0.1.0", lifespan=lifespan,
                  description="Sandboxed grading of deep-learning notebook exercises.")
    app.include_router(health.router)
    app.include_router(assignments.router)
    app.include_router(submissions.router)
    app.add_exception_handler(GraderError, _grader_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    return app


_STATUS: list[tuple[type[GraderError], int]] = [
    (UnknownAssignment, status.HTTP_404_NOT_FOUND),
    (NotebookTooLarge, status.HTTP_413_CONTENT_TOO_LARGE),
    (NotebookError, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (RosterError, status.HTTP_422_UNPROCESSABLE_CONTENT),
]


async def _grader_error(_request: Request, exc: GraderError) -> JSONResponse:
    """The one place grader's errors become HTTP answers: a status and a sentence."""
    if isinstance(exc, SubmissionRefused):
        if exc.retry_after is not None:
            return JSONResponse({"detail": str(exc)}, status.HTTP_429_TOO_MANY_REQUESTS,
                                headers={"Retry-After": str(exc.retry_after)})
        return JSONResponse({"detail": str(exc)}, status.HTTP_403_FORBIDDEN)
    code = next((code for kind, code in _STATUS if isinstance(exc, kind)), status.HTTP_500_INTERNAL_SERVER_ERROR)
    return JSONResponse({"detail": str(exc)}, code)


async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's validation errors as one sentence naming each field."""
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors())
    hint = " (submit multipart/form-data with the fields 'assignment' and 'notebook')"
    return JSONResponse({"detail": problems + hint}, status.HTTP_422_UNPROCESSABLE_CONTENT)


app = create_app()
