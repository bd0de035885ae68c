"""When a grading that skipped cells must run every cell: the skipping could explain a lost point."""

from __future__ import annotations

import re
from pathlib import Path

from grader.models import GradeResult
from grader.needs import CellPlan

# Errors a skipped cell can explain: a name, an attribute or a key it would have bound,
# a file or module it would have written (one a skipped cell's source names).
_NAMING_ERRORS = ("NameError", "UnboundLocalError", "AttributeError", "KeyError", "MissingName")
_FILE_ERRORS = ("FileNotFoundError", "ModuleNotFoundError", "ImportError")
_QUOTED = re.compile(r"['\"]([A-Za-z_][A-Za-z0-9_]*)['\"]")
_QUOTED_ANY = re.compile(r"['\"]([^'\"]{1,200})['\"]")
_UNDEFINED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*) (?:is|was) not defined")


def fallback_reason(plan: CellPlan, result: GradeResult) -> str:
    """Why the skipping could explain a point lost in ``result`` ("" when it cannot): then every cell must run."""
    if not plan.skipped:
        return ""
    for error in result.execution.cell_errors:
        written = _written_by_skipped(plan, error.evalue)
        if error.ename in _FILE_ERRORS and written:
            return f"{error.label} raised {error.ename} on {_listed(written)}, which a skipped cell names"
        if error.ename in _NAMING_ERRORS:
            named = _names_in(error.evalue) & plan.skipped_names
            if named:
                return f"{error.label} raised {error.ename} on {_listed(named)}, which a skipped cell binds"
    for exercise in result.exercises:
        for test in exercise.tests:
            text = test.message or exercise.note
            written = _written_by_skipped(plan, text) if any(kind in text for kind in _FILE_ERRORS) else set()
            if not test.passed and written:
                return f"{test.name} failed on {_listed(written)}, which a skipped cell names"
            if test.passed or not any(kind in text for kind in (*_NAMING_ERRORS, "not defined")):
                continue
            named = _names_in(text) & plan.skipped_names
            if named:
                return f"{test.name} failed on {_listed(named)}, which a skipped cell binds"
    return ""


def _written_by_skipped(plan: CellPlan, text: str) -> set[str]:
    """The files or modules an error names ('w.pt', 'helpers') that a skipped cell's source names too."""
    missing = {Path(name).name.split(".")[0] for name in _QUOTED_ANY.findall(text)}
    return {name for name in missing if name and any(name in source for source in plan.skipped_sources)}


def _names_in(text: str) -> set[str]:
    """The names an error message is about: quoted (``'x'``) or the subject of "x is not defined"."""
    return set(_QUOTED.findall(text)) | set(_UNDEFINED.findall(text))


def _listed(names: set[str]) -> str:
    return ", ".join(sorted(names)[:3])
