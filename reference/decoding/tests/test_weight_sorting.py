"""Hidden tests for `weight_sorting` (Exercise 4): `preferred_orientation`, `isort`, `W_in_sorted`.

Everything is checked against the notebook's own data as the exercise's cell saw it
(``student.at_exercise``): `resp_all` as loaded, and `W_in` as the cell above the exercise
set it from the trained network. The tutorial rebinds `W_in` (and `net`) later, for the
classifier.

`W_in_sorted` is checked against the notebook's own `isort`, so that a wrong order still
earns the reordering right; that check counts only when the sorted matrix is not `W_in`
handed back unchanged (nor a constant), where the correctly sorted one is not.
"""

import pytest
import torch

from grader.expect import expect, expect_responsive, expect_tensor

pytestmark = pytest.mark.exercise("weight_sorting")


def cell(student):
    return student.at_exercise("weight_sorting")


def expected_preferred(student, reference):
    return torch.from_numpy(reference.preferred_orientations(cell(student).get("resp_all")))


def as_tensor(value, what, shape):
    """The notebook's value as a tensor of that shape (NumPy arrays are fine)."""
    return expect_tensor(value, shape=shape, allow_numpy=True, what=what)


def notebook_isort(student, n_neurons):
    isort = as_tensor(cell(student).get("isort"), "isort", (n_neurons,))
    expect(not isort.dtype.is_floating_point and bool(((isort >= 0) & (isort < n_neurons)).all()),
           "isort should hold neuron indices (0 ... n_neurons - 1)")
    return isort.long()


def sorted_and_W_in(student):
    """The notebook's `W_in_sorted` and `W_in` (hidden units x neurons), exercise names first."""
    kept = cell(student)
    got = kept.get("W_in_sorted")
    W_in = as_tensor(kept.get("W_in"), "W_in", None)
    expect(W_in.dim() == 2 and W_in.shape[0] >= 2,
           f"W_in should be a matrix (hidden units x neurons), got shape {tuple(W_in.shape)}")
    return as_tensor(got, "W_in_sorted (hidden units x neurons)", tuple(W_in.shape)), W_in


@pytest.mark.points(0)
def test_answers_depend_on_the_inputs(student, reference):
    # Each hidden unit's row of W_in is one input the sorting is applied to.
    got, W_in = sorted_and_W_in(student)
    expected = W_in[:, torch.argsort(expected_preferred(student, reference), stable=True)]
    expect_responsive(list(got), list(expected), inputs=list(W_in),
                      what="the rows of W_in_sorted (one per hidden unit)",
                      hint="W_in_sorted should be W_in with its columns put in the order of isort")


@pytest.mark.points(1.5)
def test_preferred_orientation_is_the_peak_of_each_smoothed_tuning_curve(student, reference):
    expected = expected_preferred(student, reference)
    got = as_tensor(cell(student).get("preferred_orientation"), "preferred_orientation", tuple(expected.shape))
    expect(bool(torch.equal(got.double(), expected.double())),
           "preferred_orientation should give, for each neuron (a column of resp_smoothed), the index of the "
           "stimulus where its smoothed response is largest: argmax over the stimulus axis")


@pytest.mark.points(1)
def test_isort_orders_the_neurons_by_preferred_orientation(student, reference):
    isort = as_tensor(cell(student).get("isort"), "isort", None)
    preferred = expected_preferred(student, reference)
    n_neurons = preferred.shape[0]
    expect(tuple(isort.shape) == (n_neurons,), f"isort has shape {tuple(isort.shape)}, expected ({n_neurons},)")
    expect(not isort.dtype.is_floating_point and torch.equal(isort.sort().values, torch.arange(n_neurons)),
           "isort should be an ordering of the neurons: each index 0 ... n_neurons - 1 exactly once "
           "(argsort gives indices, sort gives values)")
    ordered = preferred[isort.long()]
    expect(bool((ordered[1:] >= ordered[:-1]).all()),
           "preferred_orientation[isort] should increase from the first neuron to the last")


@pytest.mark.points(1.5)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_W_in_sorted_reorders_the_columns_of_W_in(student):
    got, W_in = sorted_and_W_in(student)
    expected = W_in[:, notebook_isort(student, W_in.shape[1])]
    expect(bool(torch.allclose(got.double(), expected.double(), rtol=1e-4, atol=1e-6, equal_nan=True)),
           "W_in_sorted should be W_in with its columns (one per neuron) put in the order isort gives")
