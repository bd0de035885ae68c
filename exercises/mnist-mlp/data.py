"""Offline stand-in for MNIST: scikit-learn's bundled handwritten digits, resized to 28x28.

The grading machines have no internet, so the MNIST download of the original
tutorial cannot work. scikit-learn ships 1,797 scans of handwritten digits (8x8
pixels, 16 grey levels) with the package; this module blows them up to MNIST's
format the way MNIST itself was made (the digit fills a 20x20 box centred in a
28x28 image, 0-255 grey levels, white ink on black) and splits them into a
training set and a test set, stratified by digit and the same on every run.

The grader calls ``make_digits28`` to place ``digits28.npz`` in the kernel's
working directory. Run this file to make it yourself: ``python data.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

FILENAME = "digits28.npz"
N_TEST = 400  # 40 of each digit; the other 1,397 images are for training
SPLIT_SEED = 2021


def load_digits28() -> dict[str, np.ndarray]:
    """The digits as ``train_images`` (N, 28, 28) uint8, ``train_labels`` (N,) int64, and the same for test."""
    from scipy.ndimage import zoom
    from sklearn.datasets import load_digits

    digits = load_digits()
    small = digits.images.astype(np.float64) / 16.0  # (1797, 8, 8), ink in [0, 1]
    big = np.clip(zoom(small, (1, 20 / 8, 20 / 8), order=1), 0.0, 1.0)  # (1797, 20, 20)
    images = np.zeros((len(big), 28, 28), dtype=np.uint8)
    images[:, 4:24, 4:24] = np.round(255 * big).astype(np.uint8)
    labels = digits.target.astype(np.int64)

    rng = np.random.default_rng(SPLIT_SEED)
    per_class = N_TEST // 10
    test_index = np.sort(np.concatenate([
        rng.choice(np.flatnonzero(labels == digit), size=per_class, replace=False) for digit in range(10)
    ]))
    is_test = np.zeros(len(labels), dtype=bool)
    is_test[test_index] = True
    train_index = rng.permutation(np.flatnonzero(~is_test))  # mixed digits, as in MNIST's files
    test_index = rng.permutation(test_index)
    return {
        "train_images": images[train_index], "train_labels": labels[train_index],
        "test_images": images[test_index], "test_labels": labels[test_index],
    }


def make_digits28(path: str | Path) -> None:
    """Write the train/test split to ``path`` (an ``.npz`` file)."""
    with open(path, "wb") as f:
        np.savez_compressed(f, **load_digits28())


if __name__ == "__main__":
    make_digits28(FILENAME)
    print(f"wrote {FILENAME}")
