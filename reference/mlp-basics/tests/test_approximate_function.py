"""Hidden tests for `approximate_function`: ReLU basis functions and their weighted sum.

Zeros of the right shapes also pass the shape test, and the template already computes the
grid x: those two count only while y_hat and relu_acts respond to the training data.
"""

import numpy as np
import pytest
import torch

from grader.expect import expect, expect_close, expect_responsive, expect_tensor

pytestmark = pytest.mark.exercise("approximate_function")

GRID = 1000  # the template's x grid has 1000 points


def training_data(gen, n=None):
    """Sorted (N, 1) training points of a smooth function that is zero at the first point.

    Starting at zero keeps the test neutral on whether an estimate adds y_train[0]:
    the template's weighted sum of ReLUs is zero there.
    """
    n = n or int(torch.randint(6, 16, (1,), generator=gen))
    gaps = 0.2 + 0.6 * torch.rand(n - 1, generator=gen)
    start = -2.0 + 2.0 * torch.rand(1, generator=gen)
    x_train = torch.cat([start, start + torch.cumsum(gaps, 0)]).view(-1, 1)
    amp, freq, phase, tilt = (torch.rand(4, generator=gen) * torch.tensor([1.5, 1.5, 3.0, 0.6])).tolist()
    y_train = (0.5 + amp) * torch.sin((0.5 + freq) * x_train + phase) + (tilt - 0.3) * x_train
    return x_train, y_train - y_train[0]


def points(x_train):
    """The input size, for failure messages."""
    return f"{x_train.shape[0]} training points"


def call_student(student, x_train, y_train):
    """Call the student's function and check the three outputs' types and shapes."""
    result = student.approximate_function(x_train, y_train)
    expect(isinstance(result, (tuple, list)) and len(result) == 3,
           "approximate_function should return three values: y_hat, relu_acts, x")
    n_relus = x_train.shape[0] - 1
    y_hat = expect_tensor(result[0], shape=(GRID,), dtype="float", allow_numpy=True,
                          what="y_hat (the first returned value)")
    relu_acts = expect_tensor(result[1], shape=(n_relus, GRID), dtype="float", allow_numpy=True,
                              what="relu_acts (one row per ReLU, one column per grid point)")
    x = expect_tensor(result[2], shape=(GRID,), dtype="float", allow_numpy=True,
                      what="x (the grid of points along the x axis)")
    return y_hat, relu_acts, x


@pytest.mark.points(0)
def test_answers_depend_on_the_inputs(student, reference, gen):
    """The gate of the shape and grid tests: y_hat and relu_acts change with the training data."""
    n = int(torch.randint(6, 16, (1,), generator=gen))  # one size, so that zeros are the same every time
    data = [training_data(gen, n) for _ in range(3)]
    got = [call_student(student, x_train, y_train)[:2] for x_train, y_train in data]
    expected = [reference.approximate_function(x_train, y_train)[:2] for x_train, y_train in data]
    expect_responsive(got, expected, hint="both should be computed from x_train and y_train",
                      what=f"the answer (y_hat and relu_acts) for different sets of {n} training points")


@pytest.mark.points(1)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_returns_estimate_activations_and_grid(student, gen):
    for _ in range(2):
        x_train, y_train = training_data(gen)
        call_student(student, x_train, y_train)


@pytest.mark.points(0.5)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_grid_spans_the_training_data(student, reference, gen):
    x_train, y_train = training_data(gen)
    _, _, x = call_student(student, x_train, y_train)
    _, _, expected = reference.approximate_function(x_train, y_train)
    expect_close(x, expected, rtol=1e-5, atol=1e-6, what="the grid x", on=points(x_train),
                 hint="it should run evenly from the smallest to the largest training point")


@pytest.mark.points(1.5)
def test_relu_activations_match_reference(student, reference, gen):
    for _ in range(2):
        x_train, y_train = training_data(gen)
        _, relu_acts, _ = call_student(student, x_train, y_train)
        _, expected, _ = reference.approximate_function(x_train, y_train)
        expect_close(relu_acts, expected, rtol=1e-4, atol=1e-5, what="relu_acts", on=f"{points(x_train)} (random)",
                     hint="each ReLU should switch on at its own training point (check the bias terms)")


@pytest.mark.points(2)
def test_estimate_matches_reference(student, reference, gen):
    for _ in range(3):
        x_train, y_train = training_data(gen)
        y_hat, _, _ = call_student(student, x_train, y_train)
        expected, _, _ = reference.approximate_function(x_train, y_train)
        expect_close(y_hat, expected, rtol=1e-4, atol=1e-5, what="y_hat", on=f"{points(x_train)} (random)",
                     hint="each ReLU's weight is the change of slope at its training point")


@pytest.mark.points(1)
def test_estimate_interpolates_the_training_points(student, gen):
    x_train, y_train = training_data(gen)
    y_hat, _, x = call_student(student, x_train, y_train)
    # A sum of ReLUs with these weights is the straight-line interpolation of the data.
    expected = np.interp(x.double().numpy(), x_train.view(-1).double().numpy(), y_train.view(-1).double().numpy())
    expect_close(y_hat, torch.from_numpy(expected), rtol=1e-4, atol=1e-4, what="y_hat along the grid",
                 on=points(x_train),
                 hint="between two training points the estimate should follow the straight line joining them")
