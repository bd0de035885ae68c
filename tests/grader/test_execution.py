"""Naming a failing cell as Jupyter does: its number, its message, the line of the student's code (no kernel)."""

from __future__ import annotations

import pytest
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.execution import cell_error, failing_line
from grader.models import CellError

# What ipykernel 7 / IPython 9 send for `f(a)` in In [2], where f (from In [1]) divides by zero.
NESTED = [
    "\x1b[31m---------------------------------------------------------------------------\x1b[39m",
    "\x1b[31mZeroDivisionError\x1b[39m                         Traceback (most recent call last)",
    "\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[2]\x1b[39m\x1b[32m, line 2\x1b[39m\n\x1b[32m      1\x1b[39m a = "
    "\x1b[32m1\x1b[39m\n\x1b[32m----> \x1b[39m\x1b[32m2\x1b[39m f(a)\n",
    "\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[1]\x1b[39m\x1b[32m, line 3\x1b[39m, in \x1b[36mf\x1b[39m\x1b[34m(x)"
    "\x1b[39m\n\x1b[32m----> \x1b[39m\x1b[32m3\x1b[39m     \x1b[38;5;28;01mreturn\x1b[39;00m x / \x1b[32m0\x1b[39m\n",
    "\x1b[31mZeroDivisionError\x1b[39m: division by zero",
]
EARLIER_CELL = "def f(x):\n    y = 1\n    return x / 0"
FAILING_CELL = "a = 1\nf(a)\n"
# A SyntaxError has no "Traceback" header, and its frame line is indented.
SYNTAX = ["  \x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[3]\x1b[39m\x1b[32m, line 2\x1b[39m\n\x1b[31m    \x1b[39m"
          "\x1b[31mdef g(:\x1b[39m\n          ^\n\x1b[31mSyntaxError\x1b[39m\x1b[31m:\x1b[39m invalid syntax\n"]


def test_the_line_is_the_last_frame_in_the_failing_cell_itself() -> None:
    # The error belongs to In [2], so its line is the call there, not the line of f in In [1].
    assert failing_line(NESTED, count=2, source=FAILING_CELL) == "f(a)"
    assert failing_line(NESTED, count=1, source=EARLIER_CELL) == "return x / 0"


def test_a_function_of_the_same_cell_names_the_line_that_raised() -> None:
    frames = ["Cell In[4], line 3\n----> 3 f()\n", "Cell In[4], line 2, in f()\n----> 2     raise ValueError\n"]
    assert failing_line(frames, count=4, source="def f():\n    raise ValueError\nf()") == "raise ValueError"


def test_a_syntax_error_names_its_line() -> None:
    assert failing_line(SYNTAX, count=3, source="x = 1\ndef g(:\n    pass") == "def g(:"


@pytest.mark.parametrize("traceback", [
    pytest.param(NESTED[-1:], id="no-frame-left"),  # the frames were cut off
    pytest.param(["Cell In[7], line 1"], id="another-cell"),
    pytest.param(["Cell In[2], line 9"], id="line-past-the-end"),
    pytest.param(["Cell In[2], line 0"], id="line-zero"),
    pytest.param([f"Cell In[{'9' * 5000}], line 1", f"Cell In[2], line {'9' * 5000}"], id="huge-numbers"),
    pytest.param("Cell In[2], line 1", id="not-a-list"),
    pytest.param(None, id="none"),
])
def test_no_frame_of_the_cell_means_no_line(traceback: object) -> None:
    assert failing_line(traceback, count=2, source=FAILING_CELL) == ""


def test_no_count_means_no_line() -> None:
    assert failing_line(NESTED, count=None, source=FAILING_CELL) == ""


def test_the_line_is_one_stripped_line_without_escapes_and_cut() -> None:
    source = "\t x = '\x1b[31mred\x1b[0m' \x07\r\n" + "y" * 500
    assert failing_line(["Cell In[1], line 1"], count=1, source=source) == "x = 'red'"
    long = failing_line(["Cell In[1], line 2"], count=1, source=source)
    assert len(long) == 200 and long.endswith("…")


def notebook_with_markdown() -> NotebookNode:
    cells = [new_markdown_cell("intro"), new_code_cell("a", execution_count=1), new_code_cell(""),
             new_markdown_cell("more"), new_code_cell("b", execution_count=2), new_code_cell("c")]
    nb: NotebookNode = new_notebook(cells=cells)
    return nb


def test_a_cell_that_ran_is_its_execution_count() -> None:
    error = cell_error(notebook_with_markdown(), 4, "ValueError", "bad\n\x1b[1mnews\x1b[0m",
                       ["Cell In[2], line 1"])
    assert error.model_dump() == {"cell": 2, "counted": True, "index": 4, "ename": "ValueError",
                                  "evalue": "bad news", "line": "b"}
    assert error.label == "In [2]"


def test_a_cell_without_a_count_is_its_position_among_code_cells() -> None:
    error = cell_error(notebook_with_markdown(), 5, "CellTimeoutError", "ran past 4 s")
    assert (error.cell, error.counted, error.index, error.line) == (4, False, 5, "")
    assert error.label == "code cell 4"


def test_a_long_message_is_cut() -> None:
    error = cell_error(notebook_with_markdown(), 1, "ValueError", "x" * 1000)
    assert len(error.evalue) == 300 and error.evalue.endswith("…")


@pytest.mark.parametrize(("error", "label"), [
    (CellError(cell=7, counted=True, index=9, ename="E"), "In [7]"),
    (CellError(cell=3, index=9, ename="E"), "code cell 3"),
    (CellError(cell=-1, ename="MemoryLimitExceeded"), "the notebook"),
    # stored before cells were numbered as Jupyter does: ``cell`` was the 0-based index
    (CellError.model_validate({"cell": 4, "ename": "E"}), "cell 5"),
])
def test_label(error: CellError, label: str) -> None:
    assert error.label == label


def test_a_stored_result_of_the_old_contract_still_loads() -> None:
    error = CellError.model_validate({"cell": 4, "ename": "NameError"})
    assert (error.evalue, error.line, error.index, error.counted) == ("", "", -1, False)
