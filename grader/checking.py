"""``grader.check`` inside a running Jupyter notebook (the student's machine, no sandbox).

It runs public tests only and says so: the score that counts comes from the
service, which also runs the hidden tests.
"""

from __future__ import annotations

import html
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.text import Text

from grader.assignments import Assignment, kits_near, list_assignments, load_assignment
from grader.errors import GraderError
from grader.grading import check_namespace
from grader.models import GradeResult, TestResult

HIDDEN_NOTE = "the hidden tests run when you submit"


@dataclass(frozen=True)
class CheckReport:
    """What ``grader.check`` returns: Jupyter shows it as a compact table, a terminal as lines."""

    exercise: str
    result: GradeResult | None = None
    error: str = ""

    @property
    def tests(self) -> list[TestResult]:
        return [t for e in self.result.exercises for t in e.tests] if self.result else []

    @property
    def passed(self) -> bool:
        """Every public test of the exercise passed (and there was at least one)."""
        return bool(self.tests) and all(t.passed for t in self.tests)

    def headline(self) -> str:
        if self.error:
            return self.error
        tests = self.tests
        if not tests:
            return f"{self.exercise} has no public tests; {HIDDEN_NOTE}"
        return f"{self.exercise}: public tests {sum(t.passed for t in tests)}/{len(tests)} passed — {HIDDEN_NOTE}"

    def __rich__(self) -> RenderableType:
        if self.error:
            return Text(self.error, "red")
        lines: list[RenderableType] = [
            Text.assemble(("✓ " if t.passed else "✗ ", "green" if t.passed else "red"), f"{self.exercise}: {t.name}",
                          f" — {t.message}" if t.message else "")
            for t in self.tests
        ]
        lines.extend(Text(e.note, "yellow") for e in (self.result.exercises if self.result else []) if e.note)
        lines.append(Text(self.headline(), "green" if self.passed else "bold"))
        return Group(*lines)

    def __repr__(self) -> str:
        console = Console(width=100, no_color=True, highlight=False)
        with console.capture() as captured:
            console.print(self)
        return captured.get().rstrip()

    def _repr_html_(self) -> str:
        # messages carry the student's own text (their exception messages): escaped, never markup
        if self.error:
            return f'<p style="color:#b00020">{html.escape(self.error, quote=False)}</p>'
        rows = "".join(
            f'<tr><td style="color:{"#1b7f3b" if t.passed else "#b00020"}">{"✓" if t.passed else "✗"}</td>'
            f"<td>{html.escape(t.name, quote=False)}</td><td>{html.escape(t.message, quote=False)}</td></tr>"
            for t in self.tests
        )
        notes = "".join(f"<p><em>{html.escape(e.note, quote=False)}</em></p>"
                        for e in (self.result.exercises if self.result else []) if e.note)
        return (f"<div><table><thead><tr><th></th><th>public test</th><th>feedback</th></tr></thead>"
                f"<tbody>{rows}</tbody></table>{notes}<p><strong>{html.escape(self.headline(), quote=False)}</strong></p></div>")


def check_live(exercise: str, *, assignment: str | None, namespace: dict[str, Any] | None) -> CheckReport:
    """Run ``exercise``'s public tests against ``namespace`` (the notebook's by default)."""
    namespace = namespace if namespace is not None else _caller_namespace()
    try:
        target = _target(exercise, assignment)
    except GraderError as exc:
        report = CheckReport(exercise, error=str(exc))
    else:
        report = CheckReport(exercise, check_namespace(namespace, assignment=target, exercise=exercise))
    if not _in_ipython():  # Jupyter shows the returned report; a plain script would show nothing
        Console(highlight=False).print(report)
    return report


def _target(exercise: str, assignment: str | None) -> Assignment:
    """The assignment that has ``exercise``: the kits in this folder first, then this machine's course."""
    candidates = kits_near(Path.cwd())
    if assignment is not None:
        chosen = [c for c in candidates if c.id == assignment] or [load_assignment(assignment)]
        candidates = chosen
    elif not candidates:
        candidates = [load_assignment(a) for a in list_assignments()]
    matches = [c for c in candidates if any(e.id == exercise for e in c.manifest.exercises)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = ", ".join(m.id for m in matches)
        raise GraderError(f"{exercise!r} is in several assignments ({names}); pass assignment=...")
    valid = sorted({e.id for c in candidates for e in c.manifest.exercises})
    if not valid:
        raise GraderError(f"no assignment found here for {exercise!r}: run this notebook in the folder "
                          "`grader fetch` made")
    shown = exercise if len(exercise) <= 80 else exercise[:80] + "..."
    raise GraderError(f"unknown exercise {shown!r}; the exercises are: {', '.join(valid)}")


def _in_ipython() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def _caller_namespace() -> dict[str, Any]:
    if _in_ipython():
        from IPython import get_ipython

        return get_ipython().user_ns  # type: ignore[no-any-return]
    frame = inspect.stack()[3].frame  # check_live <- grader.check <- the notebook
    return frame.f_globals
