"""grader.check inside a live session runs one exercise's public tests on the namespace."""

from __future__ import annotations

import re

import pytest

import grader
from grader.config import Settings, get_settings


@pytest.fixture
def toy_env(toy_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADER_EXERCISES_DIR", str(toy_settings.exercises_dir))
    monkeypatch.setenv("GRADER_REFERENCE_DIR", str(toy_settings.reference_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_check_passes_a_correct_function(toy_env: None) -> None:
    result = grader.check("add", namespace={"add": lambda a, b: a + b})
    (exercise,) = result.exercises
    assert exercise.id == "add" and [t.passed for t in exercise.tests] == [True]
    assert all(not t.hidden for t in exercise.tests)


def test_check_reports_a_wrong_function(toy_env: None) -> None:
    result = grader.check("add", namespace={"add": lambda a, b: a - b})
    (test,) = result.exercises[0].tests
    assert not test.passed and "add([1], [2])" in test.message


def test_check_uses_the_callers_globals_outside_ipython(toy_env: None) -> None:
    globals()["add"] = lambda a, b: a + b
    try:
        result = grader.check("add")
    finally:
        del globals()["add"]
    assert result.exercises[0].tests[0].passed


def test_unknown_exercise_is_named(toy_env: None) -> None:
    with pytest.raises(grader.GraderError, match="no assignment has an exercise 'nope'"):
        grader.check("nope", namespace={})


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_check_inside_a_real_jupyter_kernel(toy_env: None, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from grader.execution import execute_notebook
    from grader.kernel import running_kernel
    from tests.utils.toy import ADD, toy_notebook

    cells = ["import torch", ADD,
             "import grader\nresult = grader.check('add')\nassert result.exercises[0].tests[0].passed\n"
             "def add(a, b):\n    return a - b\nassert not grader.check('add').exercises[0].tests[0].passed"]
    nb = toy_notebook(*cells)
    # grader check runs on the student's own machine, in their own (unsandboxed) kernel
    with running_kernel(Settings(), sandboxed=False) as kernel:
        report = execute_notebook(nb, kernel, cell_timeout=60, total_timeout=90, startup_timeout=60)
    assert report.cell_errors == []
    # rich renders to display_data inside Jupyter, plain text elsewhere
    outputs = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for c in nb.cells for o in c.outputs)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", outputs)
    assert "add: all 1 public tests pass" in plain
    assert "✗ add: adds_small_numbers — add([1], [2])" in plain
