"""``MNIST``: the offline digits (``digits28.npz``) behind torchvision's MNIST interface."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["MNIST"]

DATA_FILE = "digits28.npz"


class MNIST(torch.utils.data.Dataset):
    """Handwritten digits as (image, label) pairs; images are (28, 28) uint8 arrays before ``transform``.

    ``root`` and ``download`` are accepted for compatibility: the data is read from
    ``digits28.npz`` in ``root`` or, failing that, in the working directory.
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike[str] = ".", train: bool = True,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None, download: bool = False) -> None:
        self.root = root
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        split = "train" if train else "test"
        with np.load(_find_data(root)) as data:
            self.data = torch.from_numpy(data[f"{split}_images"])  # (N, 28, 28) uint8, like torchvision
            self.targets = torch.from_numpy(data[f"{split}_labels"])  # (N,) int64

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image: Any = self.data[index].numpy()
        target: Any = int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __repr__(self) -> str:
        split = "Train" if self.train else "Test"
        return (f"Dataset MNIST (offline digits)\n    Number of datapoints: {len(self)}\n"
                f"    Root location: {self.root}\n    Split: {split}")


def _find_data(root: str | os.PathLike[str]) -> Path:
    for folder in (Path(root), Path.cwd()):
        if (folder / DATA_FILE).is_file():
            return folder / DATA_FILE
    raise FileNotFoundError(f"{DATA_FILE} was not found in {os.fspath(root)!r} or the working directory; "
                            f"this offline MNIST stand-in downloads nothing (run data.py to make the file)")
