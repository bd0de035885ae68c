"""End to end on the toy assignment: execution, time limits, scoring, determinism."""

from __future__ import annotations

import time

import pytest
from nbformat.v4 import new_markdown_cell

from grader.assignments import load_assignment
from grader.config import Settings
from grader.grading import grade_notebook
from grader.models import GradeResult
from tests.utils.toy import ADD, DOUBLER, IMPORTS, SCALE, toy_notebook

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def _grade(settings: Settings, *cells: str, seed: int | None = None) -> GradeResult:
    return grade_notebook(toy_notebook(*cells), assignment=load_assignment("toy", settings), settings=settings,
                          seed=seed)


def _scores(result: GradeResult) -> dict[str, float]:
    return {e.id: e.score for e in result.exercises}


def test_complete_notebook_gets_full_marks(toy_settings: Settings) -> None:
    result = _grade(toy_settings)
    assert (result.status, result.score, result.max_score) == ("graded", 4.0, 4.0)
    assert result.execution.cell_errors == []
    hidden = {t.name: t.hidden for e in result.exercises for t in e.tests}
    assert hidden["adds_small_numbers"] is False and hidden["add_random"] is True


def test_errors_are_recorded_and_execution_continues(toy_settings: Settings) -> None:
    result = _grade(toy_settings, IMPORTS, "1/0", ADD, "raise ValueError('x')", SCALE, DOUBLER)
    assert result.status == "graded" and result.score == 4.0
    assert [(e.label, e.ename, e.evalue, e.line) for e in result.execution.cell_errors] == [
        ("In [2]", "ZeroDivisionError", "division by zero", "1/0"),
        ("In [4]", "ValueError", "x", "raise ValueError('x')"),
    ]


def test_a_stub_is_said_once_to_be_not_attempted(toy_settings: Settings) -> None:
    result = _grade(toy_settings, IMPORTS, ADD, "def scale(x, k):\n    raise NotImplementedError('todo')", DOUBLER)
    assert _scores(result) == {"add": 1.0, "scale": 0.0, "Doubler": 2.0}
    (scale,) = [e for e in result.exercises if e.id == "scale"]
    assert scale.note == "not attempted: scale raises NotImplementedError"  # said once, not on every test
    assert [t.message for t in scale.tests] == [""]


def test_a_later_failing_line_keeps_earlier_definitions(toy_settings: Settings) -> None:
    result = _grade(toy_settings, IMPORTS, ADD + "\nimport vibecheck", SCALE, DOUBLER)
    assert result.score == 4.0
    assert [e.ename for e in result.execution.cell_errors] == ["ModuleNotFoundError"]


def test_infinite_loop_times_out_and_finished_exercises_keep_points(toy_settings: Settings) -> None:
    started = time.monotonic()
    result = _grade(toy_settings, IMPORTS, ADD, SCALE, "while True:\n    pass", DOUBLER)
    elapsed = time.monotonic() - started
    assert result.status == "timeout"
    assert _scores(result) == {"add": 1.0, "scale": 1.0, "Doubler": 2.0}
    (error,) = result.execution.cell_errors
    assert (error.label, error.ename, error.evalue) == ("In [4]", "CellTimeoutError", "ran past 4 s")
    assert error.line in ("while True:", "pass")  # where the interrupt found it
    assert elapsed < 30  # cell limit 4 s; the rest is kernel start-up and the suites
    # full marks under a timeout status: the result says which cell and that every exercise was graded
    assert result.execution.timeout is not None
    assert result.execution.timeout.model_dump() == {
        "limit": "cell", "cell": "In [4]", "exercises_graded": True,
        "message": "In [4] ran past 4 s and was stopped; every exercise was graded"}


def test_loop_that_ignores_interrupts_is_replayed_without_it(toy_settings: Settings) -> None:
    stubborn = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
    result = _grade(toy_settings, IMPORTS, ADD, SCALE, stubborn, DOUBLER)
    assert result.status == "timeout"
    assert [(e.index, e.ename, e.evalue) for e in result.execution.cell_errors] == [
        (3, "CellTimeoutError", "ran past 4 s and ignored the interrupt")]
    assert _scores(result) == {"add": 1.0, "scale": 1.0, "Doubler": 2.0}


def test_total_time_limit_stops_execution(toy_settings: Settings) -> None:
    settings = toy_settings.model_copy()
    sleepy = "import time\ntime.sleep(3)"
    started = time.monotonic()
    result = grade_notebook(
        toy_notebook(IMPORTS, ADD, *[sleepy] * 12, SCALE, DOUBLER),
        assignment=load_assignment("toy", settings), settings=settings,
    )
    assert result.status == "timeout"
    assert _scores(result)["add"] == 1.0 and _scores(result)["scale"] == 0.0
    assert time.monotonic() - started < 60  # the toy's total limit is 30 s
    (error,) = result.execution.cell_errors  # the sleep it stopped, not a cell timeout
    assert (error.ename, error.evalue) == (
        "NotebookTimeoutError", "the notebook ran past its 30 s limit in this cell: the cells after it did not run")
    timeout = result.execution.timeout
    assert timeout is not None and (timeout.limit, timeout.cell, timeout.exercises_graded) == (
        "notebook", error.label, True)
    assert timeout.message == (f"the notebook reached its time limit at {error.label}: the cells after it did not "
                               "run; every exercise was graded on the cells that ran")


def test_call_that_never_returns_fails_only_its_test(toy_settings: Settings) -> None:
    result = _grade(toy_settings, IMPORTS, ADD, "def scale(x, k):\n    while True:\n        pass", DOUBLER)
    assert _scores(result) == {"add": 1.0, "scale": 0.0, "Doubler": 2.0}
    (test,) = [t for e in result.exercises if e.id == "scale" for t in e.tests]
    assert "did not finish within 5 s" in test.message


def test_kernel_death_is_an_error_status(toy_settings: Settings) -> None:
    result = _grade(toy_settings, IMPORTS, ADD, "import os\nos._exit(1)", SCALE, DOUBLER)
    assert result.status == "error"
    assert result.score == 0.0
    assert any(e.ename == "DeadKernelError" for e in result.execution.cell_errors)


def test_grading_is_deterministic_across_seeds(toy_settings: Settings) -> None:
    cells = (IMPORTS, ADD, "def scale(x, k):\n    return x * k + (x.abs() > 0.1).float()", DOUBLER)
    results = [_grade(toy_settings, *cells) for _ in range(3)]
    verdicts = {tuple((t.name, t.passed, t.points) for e in r.exercises for t in e.tests) for r in results}
    assert len(verdicts) == 1 and {r.score for r in results} == {3.0}


def test_network_is_refused_fast_but_local_sockets_work(toy_settings: Settings) -> None:
    probe = (
        "import socket, time\n"
        "started = time.monotonic()\n"
        "try:\n"
        "    socket.create_connection(('example.com', 80), timeout=30)\n"
        "except OSError as exc:\n"
        "    refused = 'disabled' in str(exc)\n"
        "assert refused and time.monotonic() - started < 1\n"
        "a, b = socket.socketpair()\n"
        "a.sendall(b'ok'); assert b.recv(2) == b'ok'\n"
        "from torch.utils.data import DataLoader\n"
        "assert sum(len(x) for x in DataLoader(list(range(8)), batch_size=2, num_workers=2)) == 8"
    )
    result = _grade(toy_settings, IMPORTS, probe, ADD, SCALE, DOUBLER)
    assert result.execution.cell_errors == [] and result.score == 4.0


def test_giant_output_is_capped_per_cell(toy_settings: Settings) -> None:
    from grader.execution import execute_notebook
    from grader.kernel import running_kernel

    nb = toy_notebook("for _ in range(2000):\n    print('x' * 10_000)", "1/0")
    with running_kernel(toy_settings, sandboxed=True) as kernel:
        report = execute_notebook(nb, kernel, cell_timeout=30, total_timeout=60, startup_timeout=60,
                                  max_output_bytes=100_000)
    kept = sum(len(o.get("text", "")) for o in nb.cells[0].outputs)
    assert 50_000 < kept < 150_000
    assert "output past 100000 bytes dropped" in nb.cells[0].outputs[-1]["text"]
    assert [e.ename for e in report.cell_errors] == ["ZeroDivisionError"]


def test_output_widgets_do_not_break_grading(toy_settings: Settings) -> None:
    widget = "from ipywidgets import widgets\nout = widgets.Output()\nwith out:\n    print('hi')\ndisplay(out)"
    result = _grade(toy_settings, IMPORTS, widget, ADD, SCALE, DOUBLER)
    assert (result.status, result.score) == ("graded", 4.0)
    assert result.execution.cell_errors == []


def test_kernel_threads_follow_the_setting(toy_settings: Settings) -> None:
    settings = toy_settings.model_copy(update={"kernel_threads": 1})
    probe = "import torch, os\nassert torch.get_num_threads() == 1, torch.get_num_threads()\nassert os.environ['OMP_NUM_THREADS'] == '1'"
    result = grade_notebook(toy_notebook(IMPORTS, probe, ADD, SCALE, DOUBLER),
                            assignment=load_assignment("toy", settings), settings=settings)
    assert result.execution.cell_errors == []


def test_a_failing_cell_is_named_as_jupyter_shows_it(toy_settings: Settings) -> None:
    """In the JSON: the cell's execution count, where it sits in the notebook, its message and its line."""
    nb = toy_notebook(IMPORTS, ADD + "\ndef lookup(d, key):\n    return d[key]", "",
                      "x = 1\nlookup({}, '<img src=x onerror=alert(1)>')", SCALE, DOUBLER)
    for index, text in ((0, "# Toy"), (2, "## add"), (5, "## lookup")):
        nb.cells.insert(index, new_markdown_cell(text))
    # markdown, In [1], markdown, In [2], an empty code cell (never run), markdown, In [3] raises, ...
    result = grade_notebook(nb, assignment=load_assignment("toy", toy_settings), settings=toy_settings)
    assert result.score == 4.0
    assert result.model_dump(mode="json")["execution"]["cell_errors"] == [{
        "cell": 3, "counted": True, "index": 6, "ename": "KeyError", "evalue": "'<img src=x onerror=alert(1)>'",
        # the call in In [3], not `return d[key]` in In [2]
        "line": "lookup({}, '<img src=x onerror=alert(1)>')",
    }]
    assert result.execution.cell_errors[0].label == "In [3]"
