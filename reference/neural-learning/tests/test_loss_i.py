"""Hidden tests for `loss_i`: the cross-entropy loss of one data point of the linear unit."""

import math

import numpy as np
import pytest
import torch

from grader.expect import expect, expect_close, expect_responsive

pytestmark = pytest.mark.exercise("loss_i")


def random_point(rng):
    """(w, x_i, y_i) as gradient_descent passes them: x_i = (1, x1, x2), y_i an array holding one label."""
    w = rng.normal(0.0, 1.0, 3)
    x = np.array([1.0, *rng.normal(0.0, 2.0, 2)])
    y = np.array([float(rng.integers(0, 2))])
    return w, x, y


def loss_of(student, w, x, y, what="loss_i(w, x_i, y_i)"):
    """The student's loss as a float: a number, a 0-d array or a length-1 array are all accepted."""
    value = student.loss_i(w, x, y)
    array = np.asarray(value.numpy() if isinstance(value, torch.Tensor) else value)
    expect(array.dtype.kind in "fiu" and array.size == 1,
           f"{what} should be a single number (a length-1 array like y_i is fine), got "
           f"{type(value).__name__} of shape {array.shape}")
    return float(array.reshape(-1)[0])


def reference_loss(reference, w, x, y):
    return float(np.asarray(reference.loss_i(w, x, y)).reshape(-1)[0])


@pytest.mark.points(0)
def test_answers_depend_on_the_inputs(student, reference, rng):
    """The gate of the property tests: a constant (0, or ln 2 everywhere) or y_i handed back meets them too."""
    points = [(w, x, np.array([float(k % 2)])) for k, (w, x, _) in enumerate(random_point(rng) for _ in range(6))]
    expect_responsive([loss_of(student, w, x, y) for w, x, y in points],
                      [reference_loss(reference, w, x, y) for w, x, y in points],
                      inputs=[y for _, _, y in points], what="loss_i(w, x_i, y_i) on random points",
                      hint="the loss should depend on w, x_i and y_i through p_i = sigmoid(w^T x_i)")


@pytest.mark.points(0.5)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_returns_one_number(student, rng):
    for _ in range(2):
        got = loss_of(student, *random_point(rng))
        expect(math.isfinite(got), "loss_i should be finite for moderate weights and inputs")


@pytest.mark.points(2)
def test_matches_reference_on_random_points(student, reference, rng):
    for _ in range(20):
        w, x, y = random_point(rng)
        expect_close(loss_of(student, w, x, y), reference_loss(reference, w, x, y), rtol=1e-7, atol=1e-9,
                     what=f"loss_i on a random point with label {y[0]:g}",
                     hint="with p_i = sigmoid(w^T x_i), the loss is -ln p_i for label 1 and -ln(1 - p_i) for label 0")


@pytest.mark.points(0.5)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_is_ln2_at_zero_weights(student, rng):
    w = np.array([0, 0, 0])  # gradient_descent's starting point is an integer array
    for label in (0.0, 1.0):
        _, x, _ = random_point(rng)
        expect_close(loss_of(student, w, x, np.array([label])), math.log(2), rtol=1e-9, atol=1e-9,
                     what=f"loss_i at w = 0 for label {label:g}",
                     hint="with w = 0 the model predicts p = 1/2, whatever the point")


@pytest.mark.points(1)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_flipping_label_and_weights_gives_the_same_loss(student, rng):
    for _ in range(4):
        w, x, _ = random_point(rng)
        one = loss_of(student, w, x, np.array([1.0]))
        zero = loss_of(student, -w, x, np.array([0.0]))
        expect_close(one, zero, rtol=1e-7, atol=1e-9,
                     what="loss_i(w, x, 1) compared with loss_i(-w, x, 0)",
                     hint="since 1 - sigmoid(z) = sigmoid(-z), predicting label 1 with w is predicting label 0 "
                          "with -w")


@pytest.mark.points(0.5)
def test_confident_predictions(student, reference, rng):
    w, x, _ = random_point(rng)
    z = float(w @ x)
    w = w * (10.0 / abs(z))  # the same direction, scaled so that |w^T x| = 10
    sign = 1.0 if z > 0 else 0.0  # the label the unit confidently predicts
    right = loss_of(student, w, x, np.array([sign]))
    wrong = loss_of(student, w, x, np.array([1.0 - sign]))
    expect(0.0 <= right < 1e-3, "a confident, correct prediction should cost almost nothing")
    expect_close(wrong, reference_loss(reference, w, x, np.array([1.0 - sign])), rtol=1e-7, atol=1e-9,
                 what="the loss of a confident, wrong prediction",
                 hint="it should grow like |w^T x| when the prediction is confidently wrong")
