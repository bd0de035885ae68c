"""The result contract: what ``grader grade --json`` prints and the API returns."""

from __future__ import annotations

import enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator


class SubmissionStatus(enum.StrEnum):
    """The one status enum: where a submission is (``queued``, ``running``) or how it ended (the rest)."""

    queued = "queued"
    running = "running"
    graded = "graded"        # every cell ran (errors in them included) and the suites judged it
    timeout = "timeout"      # a cell, the whole notebook or the tests' time budget ran out; finished
                             # exercises (and tests) keep their points
    error = "error"          # the kernel died or grading failed
    rejected = "rejected"    # the file is not a gradable notebook


FINAL_STATUSES = frozenset({SubmissionStatus.graded, SubmissionStatus.timeout, SubmissionStatus.error,
                            SubmissionStatus.rejected})


CELL_TIMEOUT = "CellTimeoutError"  # a cell stopped at its limit (the cells after it still ran)
NOTEBOOK_TIMEOUT = "NotebookTimeoutError"  # the notebook's total limit: the cell named and those after it never ran


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
    # Said once for the exercise ("not attempted: Net raises NotImplementedError"); its failing tests
    # then carry no message. Empty otherwise, and in results stored before it existed.
    note: str = ""


class CellError(_Model):
    """A cell of the notebook that raised while it was executed, named as Jupyter shows it."""

    model_config = ConfigDict(use_attribute_docstrings=True)  # the field docstrings document the JSON schema

    cell: int
    """The cell's number as Jupyter shows it: its execution count ``In [n]`` when ``counted``, else its
    1-based position among the code cells; -1 for the notebook as a whole (a limit that hit no cell)."""
    counted: bool = False
    """Whether ``cell`` is the execution count (the cell ran and the kernel numbered it)."""
    index: int = -1
    """The cell's 0-based position in the notebook's cells, markdown cells included (-1: none)."""
    ename: str
    """The exception's class name, or the grader's name for what went wrong (``CellTimeoutError``)."""
    evalue: str = ""
    """The exception's message on one line, cut to 300 characters."""
    line: str = ""
    """The line of the cell's source where it raised, stripped and cut to 200 characters; "" when unknown."""

    @property
    def label(self) -> str:
        """The cell as a person finds it in Jupyter: ``In [7]``, ``code cell 3`` or ``the notebook``."""
        if self.cell < 0:
            return "the notebook"
        if self.index < 0:  # stored before cells were numbered as Jupyter does: ``cell`` was the index
            return f"cell {self.cell + 1}"
        return f"In [{self.cell}]" if self.counted else f"code cell {self.cell}"


class TimeoutInfo(_Model):
    """What ran out of time in a grading whose status is ``timeout``, and whether the score is complete."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    limit: Literal["cell", "notebook", "tests"]
    """The limit that was reached first: a cell's, the whole notebook's, or the tests' time budget."""
    cell: str = ""
    """The cell that was stopped (``In [37]``, ``code cell 12``); "" when the tests' budget ran out."""
    exercises_graded: bool
    """Whether every exercise's tests ran to the end: the score is then complete, whatever the status says."""
    message: str
    """One line for people, e.g. ``In [37] ran past 60 s and was stopped; every exercise was graded``."""


class ExecutionInfo(_Model):
    """How executing the notebook went."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    duration_s: float
    cell_errors: list[CellError]
    timeout: TimeoutInfo | None = None
    """What ran out of time; set when the status is ``timeout``."""
    mode: Literal["full", "needed"] = "full"
    """``needed``: only the cells the graded names depend on ran; ``full``: every cell."""
    skipped_cells: list[int] = []
    """The cells a ``needed`` run skipped, as 0-based positions in the notebook's cells."""
    fallback: str = ""
    """Why a ``needed`` run was replaced by a full run in a fresh kernel ("" when it was not)."""


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
