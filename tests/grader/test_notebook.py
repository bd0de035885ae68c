"""Bad input gets a NotebookError that names the problem."""

from __future__ import annotations

import json

import nbformat
import pytest

from grader.errors import NotebookError
from grader.notebook import disarm_network_lines, parse_notebook, prepare_for_grading
from tests.utils.toy import toy_bytes, toy_notebook

LIMIT = 10_000_000


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"{not json", "not JSON"),
        (b"[1, 2, 3]", "not a Jupyter notebook"),
        (json.dumps({"hello": "world"}).encode(), "not a Jupyter notebook"),
        (json.dumps({"cells": [], "metadata": {}}).encode(), "'nbformat' version missing"),
        (json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}).encode(), "nbformat 3"),
        (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code"}]}).encode(),
         "invalid notebook"),
        (nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("hi")])).encode(),
         "no code cells"),
        (b"[" * 100_000 + b"]" * 100_000, "not"),
    ],
    ids=["empty", "blank", "binary", "not-json", "json-list", "json-object", "no-version", "nbformat3",
         "schema-violation", "no-code-cells", "deeply-nested"],
)
def test_bad_input_is_named(data: bytes, needle: str) -> None:
    with pytest.raises(NotebookError, match=needle):
        parse_notebook(data, max_bytes=LIMIT)


def test_oversized_notebook_is_refused_before_parsing() -> None:
    with pytest.raises(NotebookError, match=r"50\.0 MB, over the 10\.0 MB limit"):
        parse_notebook(b" " * 50_000_000, max_bytes=LIMIT)


def test_valid_notebook_with_list_sources_parses() -> None:
    raw = json.loads(toy_bytes())
    assert isinstance(raw["cells"][1]["source"], list)  # as Jupyter writes multi-line cells
    raw["cells"][1]["metadata"]["collapsed"] = "not-a-bool"  # invalid metadata real editors leave
    nb = parse_notebook(json.dumps(raw).encode(), max_bytes=LIMIT)
    assert nb.cells[1].source.startswith("def add(a, b):")


def test_prepare_drops_kernelspec_and_outputs() -> None:
    nb = toy_notebook()
    nb.metadata["kernelspec"] = {"name": "evil", "display_name": "evil", "language": "python"}
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="old output")]
    cleaned, _ = prepare_for_grading(nb)
    assert "kernelspec" not in cleaned.metadata
    assert cleaned.cells[1].outputs == []
    assert nb.metadata["kernelspec"]["name"] == "evil"  # the caller's copy is untouched


@pytest.mark.parametrize(
    "line",
    ["!pip install vibecheck", "!pip3 install vibecheck datatops --quiet", "%pip install x",
     "  !wget http://example.com/x", "!python -m pip install x", "%conda install x"],
)
def test_network_shell_lines_are_disarmed(line: str) -> None:
    source, changed = disarm_network_lines(f"import os\n{line}\nx = 1")
    assert changed
    lines = source.split("\n")
    assert lines[0] == "import os" and lines[2] == "x = 1"
    assert lines[1].strip().startswith("pass  # grader: offline")
    assert lines[1][: len(line) - len(line.lstrip())] == line[: len(line) - len(line.lstrip())]


def test_ordinary_lines_are_kept() -> None:
    source = "x = 1  # !pip install\nprint('!pip install')\n!ls"
    assert disarm_network_lines(source) == (source, False)
