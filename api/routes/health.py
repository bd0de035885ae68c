"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from api.deps import SessionDep
from api.schemas import Ready
from grader.assignments import list_assignments

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """Liveness, with the assignments found on disk."""

    status: str
    assignments: list[str]


@router.get("/healthz", response_model=Health)
def healthz(request: Request) -> Health:
    """The service is up; lists the assignments it found."""
    return Health(status="ok", assignments=list_assignments(request.app.state.settings))


@router.get("/readyz", response_model=Ready, responses={503: {"model": Ready}})
def readyz(request: Request, session: SessionDep, response: Response) -> Ready:
    """Ready to take submissions: the database answers and the dispatcher runs, and in the distributed mode the
    broker answers (503 otherwise; uploads are still accepted and wait, queued)."""
    try:
        database = session.execute(text("SELECT 1")).scalar() == 1
    except Exception:  # noqa: BLE001 - any database failure means not ready
        database = False
    feeder = request.app.state.dispatcher
    workers = bool(feeder.alive)
    if request.app.state.settings.broker_url is None:
        ready = database and workers
        answer = Ready(status="ready" if ready else "not ready", database=database, workers=workers)
    else:  # the workers are `grader worker`s elsewhere: here, the publisher runs and the broker answers
        queues = feeder.queue_depths()
        ready = database and workers and queues is not None
        answer = Ready(status="ready" if ready else "not ready", database=database, workers=workers,
                       mode="distributed", broker=queues is not None, queues=queues)
    if not ready:
        response.status_code = 503
    return answer


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus: queue depth, grading latency histogram, results by status."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
