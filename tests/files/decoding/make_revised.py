"""Write revised-form.ipynb: a completed decoding notebook in the form the tutorial took in July 2021.

The revised tutorial is the one `decoding-2022` grades, so this notebook is that assignment's
original form (``tests/files/decoding-2022/make_original.py``) with one cell changed: the
filled-in MSE cell decodes a batch of 20 training stimuli into ``out`` and compares it with
their ``ori``, as `decoding`'s mse_loss suite reads the cell. The rest is the revised
tutorial as students hold it: `train(net, loss_fn, train_data, train_labels, n_epochs=50,
learning_rate=1e-4)` runs a plain loop with neither test data nor penalties and returns the
training losses only, and neither the weight-sorting exercise nor the bonus cells
(`DeepNetSoftmax`, `n_classes`, `regularized_loss`) are there. Later cells rebind `out`,
`ori` and `net`, as the tutorial does.

Graded against the `decoding` assignment it should keep full marks on `DeepNetReLU` and
`mse_loss`, pass the loop tests of `train`, and score 0 on what it lacks
(``tests/grader/test_decoding_versions.py``).

Run from the repository root: ``python tests/files/decoding/make_revised.py``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.utils.notebooks import assemble_original_form  # noqa: E402

ORIGINAL_2022 = HERE.parent / "decoding-2022" / "make_original.py"

# (old, new) edits of the decoding-2022 cells; each old text stands in exactly one cell
MSE_BATCH = [
    ("# Decode orientation from every neural response of the training set\nout = net(resp_train)",
     "# Get neural responses (r) to and orientations (ori) of 20 stimuli in the training set\n"
     "r, ori = get_data(20, resp_train, stimuli_train)\n\n"
     "# Decode orientation from these neural responses\nout = net(r)"),
    ("loss = loss_fn(out, stimuli_train)", "loss = loss_fn(out, ori)"),
]


def load_original_2022() -> ModuleType:
    """decoding-2022's make_original module, loaded by path (tests/files holds no packages)."""
    spec = importlib.util.spec_from_file_location("make_original_decoding_2022", ORIGINAL_2022)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def with_edits(sources: list[tuple[str, str]], edits: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The cells with each edit made in the one code cell that holds its old text."""
    sources = list(sources)
    for old, new in edits:
        where = [i for i, (kind, source) in enumerate(sources) if kind == "code" and old in source]
        assert len(where) == 1, f"{old!r} should stand in exactly one cell, not {len(where)}"
        kind, source = sources[where[0]]
        sources[where[0]] = (kind, source.replace(old, new))
    return sources


def build() -> nbformat.NotebookNode:
    """The revised-form notebook: decoding-2022's original form with the MSE cell on a batch of 20."""
    return assemble_original_form(with_edits(load_original_2022().SOURCES, MSE_BATCH))


if __name__ == "__main__":
    nbformat.write(build(), HERE / "revised-form.ipynb")
