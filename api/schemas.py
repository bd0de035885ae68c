"""What the API sends and receives (one model per purpose)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

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
    """The answer to an upload: where to follow the submission."""

    id: str
    status: str
    url: str


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
    """Readiness: the database answers and the dispatcher runs."""

    status: str
    database: bool
    workers: bool


class GradebookRow(BaseModel):
    """The submission that counts for one student (per the assignment's ``counts`` policy)."""

    student: str
    name: str
    submission: str
    score: float
    max_score: float
    status: str
    late: bool
