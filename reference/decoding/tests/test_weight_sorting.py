"""Hidden tests for `weight_sorting` (Exercise 4): `preferred_orientation`, `isort`, `W_in_sorted`.

Everything is checked against the notebook's own data: `resp_all` as loaded, and `W_in` as
it was when the exercise ran. Later cells of the tutorial rebind `W_in` (and `net`), so the
tests rebuild it in the kernel from the given lines of the training cell: the same seeds,
the notebook's own `DeepNetReLU` and `train`, then `net.in_layer.weight`. Whatever those two
do, the result is the matrix the exercise saw.
"""

import pytest
import torch

from grader.errors import StudentError
from grader.expect import expect, expect_tensor

pytestmark = pytest.mark.exercise("weight_sorting")


def notebook_W_in(student):
    """`W_in` when the exercise ran: the in-layer weights of the network trained in Exercise 3's demo."""
    student.make("numpy.random.seed", 1)
    student.make("torch.manual_seed", 1)
    net = student.DeepNetReLU(student.get("n_neurons"), 10)
    try:
        student.train(net, student.make("torch.nn.MSELoss"), student.get("resp_train"), student.get("stimuli_train"))
    except StudentError:
        pass  # the notebook's training cell stopped at the same point, leaving the same weights
    return student.state_dict(net)["in_layer.weight"]


def expected_preferred(student, reference):
    return torch.from_numpy(reference.preferred_orientations(student.get("resp_all")))


def as_tensor(value, what, shape):
    """The notebook's value as a tensor of that shape (NumPy arrays are fine)."""
    return expect_tensor(value, shape=shape, allow_numpy=True, what=what)


@pytest.mark.points(1.5)
def test_preferred_orientation_is_the_peak_of_each_smoothed_tuning_curve(student, reference):
    expected = expected_preferred(student, reference)
    got = as_tensor(student.get("preferred_orientation"), "preferred_orientation", tuple(expected.shape))
    expect(bool(torch.equal(got.double(), expected.double())),
           "preferred_orientation should give, for each neuron (a column of resp_smoothed), the index of the "
           "stimulus where its smoothed response is largest: argmax over the stimulus axis")


@pytest.mark.points(1)
def test_isort_orders_the_neurons_by_preferred_orientation(student, reference):
    preferred = expected_preferred(student, reference)
    n_neurons = preferred.shape[0]
    isort = as_tensor(student.get("isort"), "isort", (n_neurons,))
    expect(not isort.dtype.is_floating_point and torch.equal(isort.sort().values, torch.arange(n_neurons)),
           "isort should be an ordering of the neurons: each index 0 ... n_neurons - 1 exactly once "
           "(argsort gives indices, sort gives values)")
    ordered = preferred[isort.long()]
    expect(bool((ordered[1:] >= ordered[:-1]).all()),
           "preferred_orientation[isort] should increase from the first neuron to the last")


@pytest.mark.points(1.5)
def test_W_in_sorted_reorders_the_columns_of_W_in(student):
    W_in = notebook_W_in(student)
    n_hidden, n_neurons = W_in.shape
    isort = as_tensor(student.get("isort"), "isort", (n_neurons,))
    expect(not isort.dtype.is_floating_point and bool(((isort >= 0) & (isort < n_neurons)).all()),
           "isort should hold neuron indices (0 ... n_neurons - 1)")
    got = as_tensor(student.get("W_in_sorted"), "W_in_sorted (hidden units x neurons)", (n_hidden, n_neurons))
    expected = W_in[:, isort.long()]
    expect(bool(torch.allclose(got.double(), expected.double(), rtol=1e-4, atol=1e-6, equal_nan=True)),
           "W_in_sorted should be W_in with its columns (one per neuron) put in the order isort gives")
