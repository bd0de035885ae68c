"""Liveness and the list of assignments the service can grade."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from grader.assignments import list_assignments

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """Liveness, with the assignments found on disk."""

    status: str
    assignments: list[str]


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The service is up; lists the assignments it found."""
    return Health(status="ok", assignments=list_assignments())
