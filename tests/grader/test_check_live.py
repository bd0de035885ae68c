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
    report = grader.check("add", namespace={"add": lambda a, b: a + b})
    assert report.result is not None and report.passed
    (exercise,) = report.result.exercises
    assert exercise.id == "add" and [t.passed for t in exercise.tests] == [True]
    assert all(not t.hidden for t in exercise.tests)
    assert repr(report).splitlines()[-1] == "add: public tests 1/1 passed — the hidden tests run when you submit"


def test_check_reports_a_wrong_function(toy_env: None) -> None:
    report = grader.check("add", namespace={"add": lambda a, b: a - b})
    (test,) = report.tests
    assert not test.passed and "add([1], [2])" in test.message
    assert not report.passed and "public tests 0/1 passed" in repr(report)


def test_check_uses_the_callers_globals_outside_ipython(toy_env: None) -> None:
    globals()["add"] = lambda a, b: a + b
    try:
        report = grader.check("add")
    finally:
        del globals()["add"]
    assert report.passed


def test_an_unknown_exercise_is_one_line_naming_the_valid_ones(toy_env: None) -> None:
    report = grader.check("nope", namespace={})
    assert report.error == "unknown exercise 'nope'; the exercises are: Doubler, add, scale"
    assert repr(report) == report.error and report.error in report._repr_html_()
    assert not report.passed


def test_the_html_summary_escapes_what_the_students_code_said(toy_env: None) -> None:
    def add(a: object, b: object) -> object:
        raise ValueError("<img src=x onerror=alert(1)>")

    html = grader.check("add", namespace={"add": add})._repr_html_()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "the hidden tests run when you submit" in html and "GradeResult" not in html


def test_check_finds_a_fetched_kit_in_the_working_folder(tmp_path, monkeypatch, toy_settings) -> None:  # type: ignore[no-untyped-def]
    from grader.assignments import load_assignment
    from grader.kit import build_kit, unpack_kit

    unpack_kit(build_kit(load_assignment("toy", toy_settings), toy_settings), tmp_path, assignment_id="toy")
    monkeypatch.setenv("GRADER_EXERCISES_DIR", str(tmp_path / "no-course-here"))
    get_settings.cache_clear()
    monkeypatch.chdir(tmp_path)  # Colab's /content, with the kit fetched into toy/
    try:
        assert grader.check("add", namespace={"add": lambda a, b: a + b}).passed
        assert "the exercises are: Doubler, add, scale" in grader.check("ad", namespace={}).error
    finally:
        get_settings.cache_clear()


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_check_inside_a_real_jupyter_kernel(toy_env: None, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from grader.execution import execute_notebook
    from grader.kernel import running_kernel
    from tests.utils.toy import ADD, toy_notebook

    cells = ["import torch", ADD,
             "import grader\nassert grader.check('add').passed\n"
             "def add(a, b):\n    return a - b\nassert not grader.check('add').passed\ngrader.check('add')"]
    nb = toy_notebook(*cells)
    # grader check runs on the student's own machine, in their own (unsandboxed) kernel
    with running_kernel(Settings(), sandboxed=False) as kernel:
        report = execute_notebook(nb, kernel, cell_timeout=60, total_timeout=90, startup_timeout=60)
    assert report.cell_errors == []
    # rich renders to display_data inside Jupyter, plain text elsewhere
    outputs = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for c in nb.cells for o in c.outputs)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", outputs)
    # the last line of the cell is the report: Jupyter shows its HTML, and its text for plain front ends
    (last,) = [o for o in nb.cells[-1].outputs if o.get("output_type") == "execute_result"]
    assert "<table>" in last["data"]["text/html"] and "GradeResult" not in str(last["data"])
    assert "✗ add: adds_small_numbers — add([1], [2])" in plain
    assert "add: public tests 0/1 passed — the hidden tests run when you submit" in plain


def test_a_stub_is_said_once_in_the_report(toy_env: None) -> None:
    def add(a: object, b: object) -> object:
        raise NotImplementedError

    report = grader.check("add", namespace={"add": add})
    assert repr(report).count("not attempted: add raises NotImplementedError") == 1
    assert report._repr_html_().count("not attempted: add raises NotImplementedError") == 1
