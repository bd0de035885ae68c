"""Run an assignment's public and hidden suites in the trusted process.

Suites are ordinary pytest files. This module registers the ``exercise`` and
``points`` markers and the ``student``/``reference``/``seed``/``gen``/``rng``
fixtures, runs pytest in-process, and collects one ``TestOutcome`` per test.
A ``TimeBudget`` caps the time the tests of one exercise, and all of them, may take.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import torch

from grader.errors import ChannelError, GraderError, KernelError, StudentError, SuiteError, TimeBudgetSpent
from grader.student import Student

_INI = Path(__file__).with_name("suite.ini")


@dataclass(frozen=True)
class TestOutcome:
    """One test's raw verdict before scoring."""

    __test__ = False

    exercise: str
    name: str
    weight: float
    passed: bool
    hidden: bool
    message: str
    ename: str = ""  # the exception the student's code raised to fail it ("" for any other failure)
    where: str = ""  # what the grader was calling then ("approximate_function")
    budget_ran_out: str = ""  # the budget that failed it, cut short or not run ("the time budget of Net (120 s)")
    counts_if: tuple[str, ...] = ()  # tests of the same exercise it earns its points only with (``counts_if``)


@dataclass(frozen=True)
class Allowance:
    """What a test may still spend: ``seconds`` (none when <= 0) under ``budget``, the limit that binds."""

    seconds: float
    budget: str  # "the time budget of Net (120 s)", as the test's message names it


class TimeBudget:
    """The time the tests spend, per exercise and in total, against their budgets (None: no limit)."""

    def __init__(self, *, per_exercise: float | None = None, total: float | None = None) -> None:
        self.per_exercise = per_exercise
        self.total = total
        self.spent: dict[str, float] = {}
        self.spent_total = 0.0

    def allowance(self, exercise: str) -> Allowance | None:
        """What a test of ``exercise`` may spend now: the tighter budget; None when neither is set."""
        left = []
        if self.per_exercise is not None:
            left.append(Allowance(self.per_exercise - self.spent.get(exercise, 0.0),
                                  f"the time budget of {exercise} ({self.per_exercise:g} s)"))
        if self.total is not None:
            left.append(Allowance(self.total - self.spent_total, f"the suite's time budget ({self.total:g} s)"))
        return min(left, key=lambda a: a.seconds, default=None)

    def charge(self, exercise: str, seconds: float) -> None:
        """Count ``seconds`` of wall clock against ``exercise`` and the total."""
        self.spent[exercise] = self.spent.get(exercise, 0.0) + seconds
        self.spent_total += seconds


class SuitePlugin:
    """pytest plugin object: fixtures and hooks for one grading run."""

    def __init__(self, *, student: Student, reference: ModuleType | None, seed: int, hidden_root: Path | None,
                 data_files: dict[str, Path], budget: TimeBudget | None = None) -> None:
        self._student = student
        self.budget = budget or TimeBudget()
        self._allowance: Allowance | None = None  # the running test's
        self._data_files = data_files
        self._reference = reference
        self._seed = seed
        self._hidden_root = hidden_root.resolve() if hidden_root else None
        self.outcomes: dict[str, TestOutcome] = {}
        self.collect_errors: list[str] = []
        self.internal_errors: list[str] = []

    # -- fixtures -----------------------------------------------------------
    @pytest.fixture
    def student(self) -> Student:
        return self._student

    @pytest.fixture
    def reference(self) -> ModuleType:
        if self._reference is None:
            raise SuiteError("the reference fixture is only available to hidden suites while grading")
        return self._reference

    @pytest.fixture
    def data_files(self) -> dict[str, Path]:
        return dict(self._data_files)

    @pytest.fixture
    def seed(self, request: pytest.FixtureRequest) -> int:
        digest = hashlib.sha256(f"{self._seed}:{request.node.nodeid}".encode()).digest()
        return int.from_bytes(digest[:4], "little")

    @pytest.fixture
    def gen(self, seed: int) -> torch.Generator:
        return torch.Generator().manual_seed(seed)

    @pytest.fixture
    def rng(self, seed: int) -> np.random.Generator:
        return np.random.default_rng(seed)

    # -- hooks --------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "exercise(id): the exercise a test grades")
        config.addinivalue_line("markers", "points(weight): the test's weight within its exercise")
        config.addinivalue_line("markers", "counts_if(*tests): the test earns its points only when these tests "
                                "of its exercise pass (a property a stub also has, gated on real behaviour)")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors.append(f"{report.nodeid}: {str(report.longrepr).splitlines()[-1][:300]}")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
        # setup, call and teardown all count: a slow fixture spends its exercise's time too
        exercise = _exercise_of(item)
        self._allowance = allowance = self.budget.allowance(exercise)
        started = time.monotonic()
        self._student.limit_calls(until=started + allowance.seconds if allowance else None,
                                  budget=allowance.budget if allowance else "")
        yield
        self.budget.charge(exercise, time.monotonic() - started)
        self._student.limit_calls(until=None)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if self._allowance is not None and self._allowance.seconds <= 0:
            raise TimeBudgetSpent.not_run(self._allowance.budget)  # before any fixture reaches the notebook

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        outcome = yield
        report = outcome.get_result()
        if call.when == "call" or report.failed:
            self._record(item, call, report)

    def _record(self, item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
        exercise = item.get_closest_marker("exercise")
        points = item.get_closest_marker("points")
        if exercise is None or points is None or not exercise.args or not points.args:
            self.collect_errors.append(f"{item.nodeid}: needs @pytest.mark.exercise(id) and @pytest.mark.points(w)")
            return
        message, raised, ran_out = "", None, ""
        if report.failed and call.excinfo is not None:
            # a call the budget stopped is why the test failed, whatever the test made of that error
            exc = self._student.budget_stop or call.excinfo.value
            message = self._message(item, exc)
            raised = exc if isinstance(exc, StudentError) else None
            ran_out = exc.budget if isinstance(exc, TimeBudgetSpent) else ""
        name = item.name.removeprefix("test_")
        path = Path(str(item.path)).resolve()
        hidden = self._hidden_root is not None and path.is_relative_to(self._hidden_root)
        previous = self.outcomes.get(item.nodeid)
        passed = report.passed and (previous is None or previous.passed)
        if not message and previous is not None:  # a later phase (teardown) keeps the first failure's reason
            message, ename, where = previous.message, previous.ename, previous.where
        else:
            ename, where = (raised.ename, raised.where) if raised else ("", "")
        self.outcomes[item.nodeid] = TestOutcome(
            exercise=str(exercise.args[0]), name=name, weight=float(points.args[0]),
            passed=passed, hidden=hidden, message=message, ename=ename, where=where,
            budget_ran_out=ran_out or (previous.budget_ran_out if previous is not None else ""),
            counts_if=tuple(str(name) for m in item.iter_markers("counts_if") for name in m.args),
        )

    def _message(self, item: pytest.Item, exc: BaseException) -> str:
        if isinstance(exc, (AssertionError, ChannelError, KernelError)):
            text = str(exc).strip() or "check failed"
            return text.splitlines()[0][:500] if isinstance(exc, StudentError) else text[:500]
        if isinstance(exc, GraderError):
            self.internal_errors.append(f"{item.nodeid}: {exc}")
            return "could not be checked (grader error)"
        # The student's value broke a check (e.g. a tensor op on a non-tensor): a
        # failure, but name only the exception type so no reference data leaks.
        return f"your result could not be checked ({type(exc).__name__})"


def run_suites(paths: list[Path], *, student: Student, reference: ModuleType | None, seed: int,
               hidden_root: Path | None, rootdir: Path, data_files: dict[str, Path] | None = None,
               budget: TimeBudget | None = None) -> list[TestOutcome]:
    """Run pytest on ``paths`` in this process and return one outcome per test (within ``budget``, if any)."""
    plugin = SuitePlugin(student=student, reference=reference, seed=seed, hidden_root=hidden_root,
                         data_files=data_files or {}, budget=budget)
    args = [
        *[str(p) for p in paths],
        "-c", str(_INI), "--rootdir", str(rootdir),
        "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:stepwise",
        # it runs gc.collect() five times per session: half a second of every grading, for warnings we drop
        "-p", "no:unraisableexception",
        "--assert=plain", "--import-mode=importlib",
    ]
    previous = os.environ.pop("PYTEST_ADDOPTS", None)
    try:
        code = pytest.main(args, plugins=[plugin])
    finally:
        if previous is not None:
            os.environ["PYTEST_ADDOPTS"] = previous
    if plugin.collect_errors or code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
        detail = "; ".join(plugin.collect_errors) or f"pytest exited with {code!r}"
        raise SuiteError(f"test suite is broken: {detail}")
    if plugin.internal_errors:
        raise SuiteError("test suite is broken: " + "; ".join(plugin.internal_errors))
    return list(plugin.outcomes.values())


def _exercise_of(item: pytest.Item) -> str:
    marker = item.get_closest_marker("exercise")
    return str(marker.args[0]) if marker is not None and marker.args else ""
