"""mnist-mlp specifics: the offline digits, the torchvision stand-in, and which cell each exercise is graded on.

Stub, completed, original form and the variant matrix: test_assignment_contract.py.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from nbformat import NotebookNode

from grader.agent import Snapshots
from grader.assignments import build_data_files, load_assignment
from grader.config import Settings
from tests.utils.inprocess import grade_in_process
from tests.utils.notebooks import complete_notebook, list_variants, original_form_notebook

ASSIGNMENT = "mnist-mlp"


@pytest.fixture
def digits_file(repo_settings: Settings) -> Path:
    (path,) = build_data_files(load_assignment(ASSIGNMENT, repo_settings), repo_settings)
    return path


@pytest.fixture
def torchvision_shim(digits_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The offline torchvision stand-in, imported as a kernel would: from a working directory holding the data."""
    (tmp_path / digits_file.name).write_bytes(digits_file.read_bytes())
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(load_assignment(ASSIGNMENT).exercise_dir / "shims"))
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        monkeypatch.delitem(sys.modules, name)
    yield importlib.import_module("torchvision")
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]


def test_offline_digits_are_a_stratified_mnist_sized_split(digits_file: Path) -> None:
    with np.load(digits_file) as data:
        assert data["train_images"].shape == (1397, 28, 28) and data["test_images"].shape == (400, 28, 28)
        assert data["train_images"].dtype == np.uint8 and data["train_labels"].dtype == np.int64
        assert np.bincount(data["test_labels"]).tolist() == [40] * 10
        assert set(np.unique(data["train_labels"])) == set(range(10))
        assert data["train_images"][:, :4].max() == 0 and data["train_images"].max() == 255  # 20x20 box, inked


def test_torchvision_stand_in_serves_the_digits_like_mnist(torchvision_shim: Any, digits_file: Path) -> None:
    tv = torchvision_shim
    transform = tv.transforms.Compose([tv.transforms.ToTensor(), tv.transforms.Normalize(mean=0.1307, std=0.3081)])
    train = tv.datasets.MNIST("./datafiles/", train=True, download=True, transform=transform)
    test = tv.datasets.MNIST("./datafiles/", train=False, download=True, transform=transform)
    assert (len(train), len(test)) == (1397, 400)
    image, label = test[7]
    with np.load(digits_file) as data:
        expected = (torch.from_numpy(data["test_images"][7]).float() / 255 - 0.1307) / 0.3081
        assert label == int(data["test_labels"][7]) and isinstance(label, int)
    assert image.shape == (1, 28, 28) and image.dtype == torch.float32
    assert torch.allclose(image[0], expected, atol=1e-6)
    inputs, targets = next(iter(torch.utils.data.DataLoader(train, batch_size=64)))
    assert inputs.shape == (64, 1, 28, 28) and targets.dtype == torch.int64


def _bound_names(source: str) -> set[str]:
    """The module-level names a cell binds (assignments, loop targets, defs, imports), read from its code."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            return  # names bound inside belong to the function or class
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Lambda):
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return names


def _completing_cells(nb: NotebookNode) -> dict[str, dict[str, int]]:
    """For each exercise, the index of the cell that bound each name of its snapshot (the kernel's rule)."""
    snapshots = Snapshots(load_assignment(ASSIGNMENT).manifest.snapshot_plan)
    namespace: dict[str, Any] = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            namespace.update({name: (index, name) for name in _bound_names(cell.source)})  # a new object per binding
            snapshots.after_cell(namespace)
    return {exercise: {name: value[0] for name, value in kept.items()}
            for exercise in snapshots.plan if (kept := snapshots.at(exercise)) is not None}


def test_optimizer_and_loss_is_graded_on_its_own_cell_in_both_forms() -> None:
    # The original tutorial sets up optimizer and loss_fn in two cells of Section 2, then again in the
    # training cell of Section 4 (the only cell binding both): the snapshot must come from Section 2.
    nb = complete_notebook(ASSIGNMENT)
    tagged = {c.metadata["grader"]["exercise"]: i for i, c in enumerate(nb.cells) if "grader" in c.metadata}
    cells = _completing_cells(nb)
    assert cells["optimizer_and_loss"] == dict.fromkeys(["loss_fn", "model", "optimizer"], tagged["optimizer_and_loss"])
    for exercise in ("MultiLayerPerceptron", "train", "test"):
        assert cells[exercise] == {exercise: tagged[exercise]}

    original = original_form_notebook(ASSIGNMENT)
    setup = [i for i, c in enumerate(original.cells) if "optimizer = optim.Adam(" in c.source]
    loss = [i for i, c in enumerate(original.cells) if "loss_fn = nn.CrossEntropyLoss()" in c.source]
    assert len(setup) == len(loss) == 2 and setup[1] == loss[1]  # Section 2's two cells, then the training cell
    assert _completing_cells(original)["optimizer_and_loss"] == {"loss_fn": loss[0], "model": setup[0],
                                                                  "optimizer": setup[0]}


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_training_cell_that_sets_up_again_does_not_mend_the_exercise(repo_settings: Settings) -> None:
    # As in the original tutorial, the training cell creates a correct model, optimizer and loss_fn
    # again; the exercise is still graded on its own cell, here with the wrong learning rate.
    (buggy,) = [v for v in list_variants(ASSIGNMENT, "buggy") if v.id == "optimizer_and_loss/learning_rate_1e-3"]
    (fresh,) = [v for v in list_variants(ASSIGNMENT, "alternatives")
                if v.id == "training_run/fresh_setup_as_in_the_original"]
    assignment = load_assignment(ASSIGNMENT, repo_settings)
    nb = complete_notebook(ASSIGNMENT, {buggy.exercise: buggy.source, fresh.exercise: fresh.source})
    result = grade_in_process(nb, assignment=assignment, settings=repo_settings)
    scores = {e.id: e.score for e in result.exercises}
    full = {e.id: e.points for e in assignment.manifest.exercises}
    assert scores["optimizer_and_loss"] < full["optimizer_and_loss"]
    assert {k: v for k, v in scores.items() if k != "optimizer_and_loss"} == {
        k: v for k, v in full.items() if k != "optimizer_and_loss"}
