"""Builders for notebooks of the ``toy`` engine-test assignment."""

from __future__ import annotations

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_notebook

IMPORTS = "import numpy as np, torch\nfrom torch import nn\nnumbers = np.load('numbers.npy')"
ADD = "def add(a, b):\n    return a + b"
SCALE = "def scale(x, k):\n    return x * k"
DOUBLER = (
    "class Doubler(nn.Module):\n"
    "    def __init__(self, n):\n"
    "        super().__init__()\n"
    "        self.linear = nn.Linear(n, n)\n"
    "    def forward(self, x):\n"
    "        return 2 * self.linear(x)"
)
COMPLETE = [IMPORTS, ADD, SCALE, DOUBLER]


def toy_notebook(*cells: str) -> NotebookNode:
    """A toy notebook with the given cell sources (the complete solution by default)."""
    return new_notebook(cells=[new_code_cell(c) for c in (cells or COMPLETE)],
                        metadata={"grader": {"assignment": "toy"}})


def toy_bytes(*cells: str) -> bytes:
    return nbformat.writes(toy_notebook(*cells)).encode()
