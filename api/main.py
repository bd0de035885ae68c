"""Build the HTTP service. Thin: routes call into ``grader``, never the other way round."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.deps import LoginRequired
from api.errors import error_status
from api.metrics import Metrics
from api.routes import assignments, dashboard, docs, health, me, pages, submissions
from api.routes.docs import VENDOR_ASSETS
from api.security import SecurityHeaders
from api.templating import STATIC, error_page, is_page
from grader.config import Settings, get_settings
from grader.service.db import make_engine, migrate
from grader.service.dispatch import Dispatcher
from grader.service.jobs import Feeder
from grader.errors import GraderError, TooManySubmissions


def create_app(settings: Settings | None = None, *, workers: int | None = None) -> FastAPI:
    """The FastAPI application: migrates the database and runs the dispatcher while it lives."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings or get_settings()
        app.state.engine = make_engine(app.state.settings)
        migrate(app.state.engine)
        app.state.metrics = Metrics(app.state.engine)
        app.state.dispatcher = _feeder(app.state.engine, app.state.settings, workers, app.state.metrics)
        app.state.dispatcher.start()
        # Everything imported and built so far lives as long as the service: keep it out of the garbage
        # collector's full passes, which otherwise walk it again for every big page.
        gc.freeze()
        try:
            yield
        finally:
            app.state.dispatcher.stop()
            app.state.engine.dispose()

    app = FastAPI(title="grader", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Sandboxed grading of deep-learning notebook exercises.")
    # every asset is served from here: grading machines have no internet, and the CSP allows 'self' only
    app.mount("/static/vendor", StaticFiles(directory=VENDOR_ASSETS), name="vendor")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (health.router, assignments.router, submissions.router, docs.router, pages.router,
                   dashboard.router, me.router):
        app.include_router(router)
    app.add_middleware(SecurityHeaders)
    app.add_exception_handler(GraderError, _grader_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    return app


def _feeder(engine: Engine, settings: Settings, workers: int | None, metrics: Metrics) -> Feeder:
    """What an upload wakes: the embedded dispatcher, or (GRADER_BROKER_URL set) the broker's publisher."""
    if settings.broker_url is None:
        return Dispatcher(engine, settings, workers=workers, on_finished=metrics.finished)
    from grader.service.broker import celery_app
    from grader.service.publisher import Publisher

    publisher = Publisher(engine, settings, celery_app(settings))
    metrics.watch_broker(publisher)
    return publisher


async def _grader_error(request: Request, exc: GraderError) -> Response:
    """The one place grader's errors become HTTP answers: a status and a sentence (a page for pages)."""
    code = error_status(exc)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManySubmissions) else None
    if is_page(request.url.path):
        return error_page(request, code, str(exc), headers=headers)
    return JSONResponse({"detail": str(exc)}, code, headers=headers)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    """Pages answer in HTML (sign-in redirects, a readable 403 or 404); the API keeps its JSON."""
    if not is_page(request.url.path):
        return await http_exception_handler(request, exc)
    if isinstance(exc, LoginRequired):
        return RedirectResponse(exc.location, status.HTTP_303_SEE_OTHER)
    return error_page(request, exc.status_code, str(exc.detail))


async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
    """FastAPI's validation errors as one sentence naming each field."""
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors())
    if is_page(request.url.path):
        return error_page(request, status.HTTP_422_UNPROCESSABLE_CONTENT, f"the form is incomplete: {problems}")
    hint = " (submit multipart/form-data with the fields 'assignment' and 'notebook')"
    return JSONResponse({"detail": problems + hint}, status.HTTP_422_UNPROCESSABLE_CONTENT)


app = create_app()
