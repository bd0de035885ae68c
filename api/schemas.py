"""What the API sends and receives (one model per purpose)."""

from __future__ import annotations

import datetime as dt

from typing import Literal

from pydantic import BaseModel, Field

from grader.models import GradeResult


class AssignmentPublic(BaseModel):
    """An assignment a student can submit to."""

    id: str
    title: str
    max_score: float
    exercises: list[str]
    deadline: dt.datetime | None
    late_policy: str
    counts: str


class SubmissionAccepted(BaseModel):
    """The answer to an upload: where to follow the submission, and a receipt of what was stored."""

    id: str
    status: str
    url: str
    assignment: str
    notebook_sha256: str = Field(description="sha256 of the bytes stored, to compare with what was sent")
    queued_at: dt.datetime
    late: bool


class SubmissionPublic(BaseModel):
    """One submission, its phases and (once graded) its result."""

    id: str
    assignment: str
    student: str
    status: str
    late: bool
    attempts: int
    notebook_sha256: str
    queued_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error: str | None
    result: GradeResult | None


class Problem(BaseModel):
    """Every error answer: what is wrong, in one sentence."""

    detail: str


class Ready(BaseModel):
    """Readiness: the database answers and the dispatcher runs; in the distributed mode, the broker answers too
    (``broker`` and ``queues``, messages waiting per queue, are null in the embedded mode)."""

    status: str
    database: bool
    workers: bool
    mode: Literal["embedded", "distributed"] = "embedded"
    broker: bool | None = None
    queues: dict[str, int] | None = None


class GradebookRow(BaseModel):
    """One roster student and the submission that counts for them (per the assignment's ``counts`` policy);
    ``submission`` and ``score`` are null for a student who never submitted."""

    student: str
    name: str
    submission: str | None
    score: float | None
    max_score: float
    exercises: dict[str, float | None]
    status: str
    late: bool
    submissions: int


class Regraded(BaseModel):
    """The submissions put back in the queue by a regrade; each gets a new result version."""

    submissions: list[str]
