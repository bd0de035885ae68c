"""Hidden tests for `training_run`: after the notebook's 5-epoch run, `model` classifies the digits well.

The digits are the ones the notebook trained on (``digits28.npz``), read here on
the trusted side from the grader's own data cache, never from the student's
working directory. The accuracy threshold comes from the reference: over 150
runs with different random initialisations, the tutorial's setup reached between
91% and 97.5% on the 400 test digits after 5 epochs (its usual buggy variants
that still train, e.g. a linear model or another optimizer, stay above 88%).
"""

from functools import lru_cache

import numpy as np
import pytest
import torch

from grader.expect import expect, expect_tensor
from grader.student import Handle

pytestmark = pytest.mark.exercise("training_run")

DATA_FILE = "digits28.npz"
MEAN, STD = 0.1307, 0.3081  # the tutorial's normalisation, as in the notebook's data pipeline
TEST_THRESHOLD = 0.85
TRAIN_THRESHOLD = 0.85
TRAIN_EVERY = 4  # a fixed quarter of the training digits (all of them would be 4 MB to send)
NUM_EPOCHS = 5


@lru_cache(maxsize=1)
def digits(path):
    """The normalised (N, 1, 28, 28) images and labels of both splits."""
    with np.load(path) as data:
        return {
            split: ((torch.from_numpy(data[f"{split}_images"]).float().div(255).unsqueeze(1) - MEAN) / STD,
                    torch.from_numpy(data[f"{split}_labels"]))
            for split in ("train", "test")
        }


def trained_model(student):
    expect(student.has("model"), "`model` is not defined: did the cells that create and train it run?")
    model = student.get("model")
    expect(isinstance(model, Handle), f"`model` should be your trained network, got {type(model).__name__}")
    return model


def accuracy(student, data_files, split, every=1):
    """The model's accuracy on a split (on every ``every``-th digit of it)."""
    images, labels = digits(data_files[DATA_FILE])[split]
    images, labels = images[::every], labels[::every]
    outputs = expect_tensor(trained_model(student)(images), shape=(len(labels), 10), dtype="float",
                            what=f"model's output for {len(labels)} {split} digits")
    return float((outputs.argmax(dim=-1) == labels).float().mean())


@pytest.mark.points(3)
def test_model_classifies_the_test_digits(student, data_files):
    acc = accuracy(student, data_files, "test")
    expect(acc >= TEST_THRESHOLD,
           f"after the run, model classifies {100 * acc:.1f}% of the test digits correctly; five epochs of "
           f"training with Adam and the cross-entropy loss do much better: call train(...) on train_loader "
           f"once per epoch, with the model's own optimizer")


@pytest.mark.points(1)
def test_model_fits_the_training_digits(student, data_files):
    acc = accuracy(student, data_files, "train", every=TRAIN_EVERY)
    expect(acc >= TRAIN_THRESHOLD,
           f"after the run, model classifies {100 * acc:.1f}% of the training digits correctly; five epochs of "
           f"training on train_loader do much better")


@pytest.mark.points(1.5)
def test_trained_for_five_epochs(student):
    """Adam-like optimizers count their steps: five epochs are five passes over train_loader."""
    expect(student.has("optimizer") and student.has("train_loader"),
           "`optimizer` and `train_loader` should be defined when the training run is done")
    optimizer, loader = student.get("optimizer"), student.get("train_loader")
    expect(isinstance(optimizer, Handle) and isinstance(loader, Handle),
           "`optimizer` should be the optimizer the run used, and `train_loader` its DataLoader")
    batches = loader.method("__len__")
    state = optimizer.method("state_dict")
    expect(isinstance(state, dict) and isinstance(batches, int), "could not read the optimizer's state")
    per_param = state.get("state")
    first = per_param.method("get", 0) if isinstance(per_param, Handle) else None
    expect(isinstance(first, dict) and first,
           "`optimizer` never took a step: call train(...) with it for every epoch of the run")
    steps = first.get("step")
    if steps is None:  # an optimizer that does not count its steps: the accuracy tests judge the run
        return
    steps = int(float(steps))
    expect(steps == NUM_EPOCHS * batches,
           f"the optimizer took {steps} steps; 5 epochs over train_loader ({batches} batches each) take "
           f"{NUM_EPOCHS * batches}. Train for exactly 5 epochs, each a full pass over train_loader")
