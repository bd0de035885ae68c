"""Every error grader raises, in one tree.

::

    GraderError
    ├── ConfigError                 a setting or manifest is invalid
    │   └── ManifestError           an assignment's manifest.toml is invalid
    ├── UnknownAssignment (LookupError)
    ├── RosterError (ValueError)    a roster entry is invalid or its email is taken
    ├── NotebookError (ValueError)  the submitted file is not a gradable notebook
    │   └── NotebookTooLarge        over the upload size limit
    ├── SubmissionRefused           the service will not take this submission now
    │   ├── DeadlinePassed          the deadline has passed and the policy refuses late work
    │   └── TooManySubmissions      the rate limit is reached (``retry_after`` seconds)
    ├── ServiceError                the grading service refused a request or could not be reached
    ├── SuiteError                  a test suite is broken (our bug, never the student's)
    ├── KernelError                 the student's kernel could not start or died
    │   └── SandboxError            bubblewrap is missing or the sandbox could not start
    └── ChannelError                a reply from the kernel broke the protocol or its limits
        └── StudentError            the student's code raised, or a name is missing
            └── StudentTimeout (TimeoutError)
                └── TimeBudgetSpent     the suites' time budget ran out (a call cut short, a test not run)

``StudentError`` subclasses ``AssertionError`` so that a test calling into the
student's code fails (rather than errors) when that code raises.
"""

from __future__ import annotations

from typing import Any

from grader.text import one_line


class GraderError(Exception):
    """Base of every error grader raises on purpose."""


class ConfigError(GraderError):
    """A setting or a manifest has a value grader cannot work with."""


class ManifestError(ConfigError):
    """An assignment's manifest is missing or invalid."""


class UnknownAssignment(GraderError, LookupError):
    """No assignment has the requested id."""

    @classmethod
    def from_id(cls, assignment_id: str, known: list[str]) -> UnknownAssignment:
        listed = ", ".join(known) or "none"
        shown = assignment_id if len(assignment_id) <= 80 else assignment_id[:80] + "..."
        return cls(f"unknown assignment {shown!r} (available: {listed})")


class RosterError(GraderError, ValueError):
    """A roster entry is invalid or already taken."""


class NotebookError(GraderError, ValueError):
    """The submitted file cannot be graded as a notebook."""


class NotebookTooLarge(NotebookError):
    """The upload is over the size limit."""


class SubmissionRefused(GraderError):
    """The service will not take this submission now (one of the two cases below)."""


class DeadlinePassed(SubmissionRefused):
    """The assignment's deadline has passed and its policy refuses late submissions."""


class TooManySubmissions(SubmissionRefused):
    """The student reached the submission rate limit; ``retry_after`` says when to try again."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceError(GraderError):
    """The grading service refused a request or could not be reached (the client's side)."""


class Unreachable(GraderError):
    """A database or broker the service needs does not answer (the service's side)."""


class SuiteError(GraderError):
    """A public or hidden test suite could not be collected or is inconsistent."""


class KernelError(GraderError):
    """The kernel running the student's code could not start or stopped answering."""


class SandboxError(KernelError):
    """Student code cannot be confined here (no bubblewrap, or the sandbox failed to start)."""


class ChannelError(GraderError):
    """A reply from the student's kernel was malformed or over a limit."""


class StudentError(ChannelError, AssertionError):
    """The student's code raised an exception (or a name it should define is missing)."""

    def __init__(self, message: str, *, ename: str = "", where: str = "") -> None:
        super().__init__(message)
        # Kept apart from the message so scoring can tell a stub (NotImplementedError) from a bug.
        self.ename = ename  # the student's exception class name ("MissingName"; "" when none was raised)
        self.where = where  # what the grader called ("approximate_function", "calling your Net")

    @classmethod
    def from_reply(cls, error: dict[str, Any]) -> StudentError:
        """The error of a failed reply, as the student should read it."""
        # the kernel's words: shown to people in terminals and pages, so no escapes, one line each
        ename = one_line(error.get("ename", "Exception"), 100)
        evalue = one_line(error.get("evalue", ""), 300)
        where = one_line(error.get("where", "your code"), 100)
        if ename == "MissingName":
            exercise = one_line(error.get("exercise", ""), 100)
            when = f" when the {exercise} exercise was completed" if exercise else ""
            return cls(f"{where} was not defined{when}: did the cell that defines it run without errors?"
                       if when else f"{where} is not defined: did the cell that defines it run without errors?",
                       ename=ename, where=where)
        detail = f": {evalue}" if evalue else ""
        line = one_line(error.get("line", ""), 200)
        suffix = f" ({line})" if line else ""
        return cls(f"{where} raised {ename}{detail}{suffix}", ename=ename, where=where)


class StudentTimeout(StudentError, TimeoutError):
    """A call into the student's code ran past its time limit and was interrupted."""

    @classmethod
    def from_label(cls, label: str, seconds: float) -> StudentTimeout:
        return cls(f"{label} did not finish within {seconds:g} s and was interrupted")


class TimeBudgetSpent(StudentTimeout):
    """The suites' time budget (an exercise's or the whole suite's) ran out: a call was cut short or not made."""

    def __init__(self, message: str, *, budget: str) -> None:
        super().__init__(message)
        self.budget = budget  # which one ran out: "the time budget of Net (120 s)"

    @classmethod
    def stopped(cls, label: str, budget: str) -> TimeBudgetSpent:
        """``label`` was cut short (or never sent) because ``budget`` ran out."""
        return cls(f"{label} was stopped: {budget} ran out", budget=budget)

    @classmethod
    def not_run(cls, budget: str) -> TimeBudgetSpent:
        """A test skipped before it started: ``budget`` was already spent."""
        return cls(f"not run: {budget} ran out", budget=budget)
