"""mnist-mlp specifics: the offline digits and the torchvision stand-in.

Stub, completed, original form and the variant matrix: test_assignment_contract.py.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from grader.assignments import build_data_files, load_assignment
from grader.config import Settings

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
