"""The result contract: what ``grader grade --json`` prints and the API returns."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Status = Literal["graded", "timeout", "error", "rejected"]


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
    status: Status
    score: float
    max_score: float
    exercises: list[ExerciseResult]
    execution: ExecutionInfo
