"""The result contract: what ``grader grade --json`` prints and the API returns."""

from __future__ import annotations

import enum

from pydantic import BaseModel, ConfigDict, field_validator


class SubmissionStatus(enum.StrEnum):
    """The one status enum: where a submission is (``queued``, ``running``) or how it ended (the rest)."""

    queued = "queued"
    running = "running"
    graded = "graded"        # every cell ran (errors in them included) and the suites judged it
    timeout = "timeout"      # a cell or the whole notebook ran out of time; finished exercises keep their points
    error = "error"          # the kernel died or grading failed
    rejected = "rejected"    # the file is not a gradable notebook


FINAL_STATUSES = frozenset({SubmissionStatus.graded, SubmissionStatus.timeout, SubmissionStatus.error,
                            SubmissionStatus.rejected})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TestResult(_Model):
    """One test's verdict and the points it earned."""

    __test__ = False  # not a pytest test class

    name: str
    points: float
    max_points: float
    passed: bool
    hidden: bool
    message: str


class ExerciseResult(_Model):
    """The tests of one exercise and their total."""

    id: str
    score: float
    max_score: float
    tests: list[TestResult]


class CellError(_Model):
    """A cell of the notebook that raised while it was executed."""

    cell: int
    ename: str


class ExecutionInfo(_Model):
    """How executing the notebook went."""

    duration_s: float
    cell_errors: list[CellError]


class GradeResult(_Model):
    """The whole verdict on one submission."""

    assignment: str
    status: SubmissionStatus
    score: float
    max_score: float
    exercises: list[ExerciseResult]
    execution: ExecutionInfo

    @field_validator("status")
    @classmethod
    def _final(cls, status: SubmissionStatus) -> SubmissionStatus:
        if status not in FINAL_STATUSES:
            raise ValueError(f"a result's status is final, not {status.value}")
        return status
