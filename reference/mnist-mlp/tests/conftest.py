"""Fixtures shared by the hidden suites of mnist-mlp.

`classifier_pair` builds the same small image classifier twice, from torch's own
layers: once on the student's side (a handle) and once here, with the same
weights. The `train` and `test` suites hand it, a DataLoader, a loss and an
optimizer to the student's function and to the reference, so a mistake in the
student's MultiLayerPerceptron cannot fail them. The images are smaller than
28x28 (train and test work for any input size), which keeps the data sent to
the kernel small.
"""

import contextlib
import io
import re
from dataclasses import dataclass
from typing import Any

import pytest
import torch
import torch.nn as nn

from grader.errors import SuiteError
from grader.expect import expect

# Sizes whose last batch is partial and whose count is prime: an accuracy computed
# from one batch, or per batch, can then never equal the accuracy over all samples
# (unless every prediction is right, or every one wrong).
PRIME_SIZES = (197, 211, 223, 227, 229, 233, 239, 241, 251)
NUMBER = r"([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|nan|inf))"


@dataclass
class Pair:
    """A classifier on the student's side and its twin here; the data both see."""

    model: Any  # Handle
    ref: nn.Module
    inputs: torch.Tensor
    targets: torch.Tensor
    batch_size: int

    def loader(self, student):
        """A DataLoader over the data, built on the student's side (no shuffling)."""
        dataset = student.make("torch.utils.data.TensorDataset", self.inputs, self.targets)
        return student.make("torch.utils.data.DataLoader", dataset, batch_size=self.batch_size, shuffle=False)

    def ref_loader(self):
        dataset = torch.utils.data.TensorDataset(self.inputs, self.targets)
        return torch.utils.data.DataLoader(dataset, batch_size=self.batch_size, shuffle=False)

    @property
    def size(self):
        """The input size, for failure messages."""
        side = "x".join(str(n) for n in self.inputs.shape[-2:])
        return f"{self.inputs.shape[0]} images of {side} pixels in batches of {self.batch_size}"


def _layers(make, n_in, hidden):
    return [make("Flatten"), make("Linear", n_in, hidden), make("ReLU"), make("Linear", hidden, 10)]


@pytest.fixture
def classifier_pair(student, gen):
    """``build(weight_scale=..., batch_size=..., channel=...)``: a fresh Pair on random images and labels."""

    def build(*, weight_scale=0.05, batch_size=32, channel=True):
        hidden = int(torch.randint(16, 49, (1,), generator=gen))
        side = int(torch.randint(8, 13, (1,), generator=gen))
        ref = nn.Sequential(*_layers(lambda name, *a: getattr(nn, name)(*a), side * side, hidden))
        with torch.no_grad():
            for param in ref.parameters():
                param.copy_(weight_scale * torch.randn(param.shape, generator=gen))
        model = student.make("torch.nn.Sequential",
                             *_layers(lambda name, *a: student.make(f"torch.nn.{name}", *a), side * side, hidden))
        student.load_state_dict(model, ref.state_dict())
        n = PRIME_SIZES[int(torch.randint(0, len(PRIME_SIZES), (1,), generator=gen))]
        shape = (n, 1, side, side) if channel else (n, side, side)
        inputs = torch.randn(shape, generator=gen)
        targets = torch.randint(0, 10, (n,), generator=gen)
        return Pair(model, ref, inputs, targets, batch_size)

    return build


def run_printing(func, *args, **kwargs):
    """Call a reference function; return what it printed."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        func(*args, **kwargs)
    return buffer.getvalue()


def _reports(printed, split):
    pattern = (rf"Epoch\s+(-?\d+)\s+done\.\s+Average\s+{split}\s+loss\s*=\s*{NUMBER}\s*,\s*"
               rf"average\s+{split}\s+accuracy\s*=\s*{NUMBER}\s*%")
    return [(int(epoch), float(loss), float(accuracy)) for epoch, loss, accuracy in re.findall(pattern, printed)]


def parse_report(printed, name, split):
    """The ``(epoch, loss, accuracy in %)`` of the template's last line, ``Epoch E done. Average ...``."""
    matches = _reports(printed, split)
    expect(bool(matches), f"{name} should end by printing the template's line \"Epoch ... done. Average {split} "
                          f"loss = ..., average {split} accuracy = ...%\"; it printed {printed[-200:]!r}")
    return matches[-1]


def parse_reference_report(printed, split):
    """The reference's own report line. Without one the suite is broken: never echo it to the student."""
    matches = _reports(printed, split)
    if not matches:
        raise SuiteError(f"the reference printed no {split} report line")
    return matches[-1]


@pytest.fixture
def report():
    """``report(printed, name, split)``: parse a train/test report line (see ``parse_report``)."""
    return parse_report


@pytest.fixture
def reference_report():
    """``reference_report(printed, split)``: parse the reference's report line (see ``parse_reference_report``)."""
    return parse_reference_report


@pytest.fixture
def printing():
    """``printing(func, *args, **kwargs)``: what a reference function prints."""
    return run_printing
