"""Hidden tests for `grad_loss_i`: the gradient of one point's cross-entropy loss with respect to w."""

import numpy as np
import pytest

from grader.expect import expect_close, expect_responsive, expect_tensor

pytestmark = pytest.mark.exercise("grad_loss_i")


def random_point(rng):
    """(w, x_i, y_i) as gradient_descent passes them: x_i = (1, x1, x2), y_i an array holding one label."""
    w = rng.normal(0.0, 1.0, 3)
    x = np.array([1.0, *rng.normal(0.0, 2.0, 2)])
    y = np.array([float(rng.integers(0, 2))])
    return w, x, y


def gradient_of(student, w, x, y, what="grad_loss_i(w, x_i, y_i)"):
    got = student.grad_loss_i(w, x, y)
    return expect_tensor(got, shape=(3,), dtype="float", allow_numpy=True,
                         what=f"{what} (a vector shaped like w, for a w of length 3)").double()


@pytest.mark.points(0)
def test_answers_depend_on_the_inputs(student, reference, rng):
    """The gate of the shape test: zeros shaped like w, or x_i or w handed back, have the right shape too."""
    points = [random_point(rng) for _ in range(4)]
    got = [gradient_of(student, w, x, y) for w, x, y in points]
    expected = [np.asarray(reference.grad_loss_i(w, x, y), dtype=np.float64) for w, x, y in points]
    for index in (1, 0):  # x_i handed back, then w
        expect_responsive(got, expected, inputs=[point[index] for point in points],
                          what="grad_loss_i(w, x_i, y_i) on random points",
                          hint="the gradient should depend on w, x_i and y_i through p_i = sigmoid(w^T x_i)")


@pytest.mark.points(0.5)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_returns_a_vector_shaped_like_w(student, rng):
    for _ in range(2):
        gradient_of(student, *random_point(rng))


@pytest.mark.points(2)
def test_matches_reference_on_random_points(student, reference, rng):
    for _ in range(20):
        w, x, y = random_point(rng)
        expect_close(gradient_of(student, w, x, y), np.asarray(reference.grad_loss_i(w, x, y), dtype=np.float64),
                     rtol=1e-7, atol=1e-9, what=f"grad_loss_i on a random point with label {y[0]:g}",
                     hint="differentiate -[y ln p + (1 - y) ln(1 - p)] with p = sigmoid(w^T x) with respect to w")


def stable_loss(w, x, y):
    """The same cross-entropy as logaddexp(0, z) - y z: no cancellation where sigmoid(z) nears 0 or 1.

    Finite differences of the textbook form lose all precision there (a correct
    gradient then failed about one grading in 450).
    """
    z = float(w @ x)
    return np.logaddexp(0.0, z) - y[0] * z


@pytest.mark.points(1.5)
def test_matches_finite_differences_of_the_loss(student, rng):
    h = 1e-6
    for _ in range(5):
        w, x, y = random_point(rng)
        numeric = np.array([(stable_loss(w + h * e, x, y) - stable_loss(w - h * e, x, y)) / (2 * h) for e in np.eye(3)])
        expect_close(gradient_of(student, w, x, y), numeric, rtol=1e-5, atol=1e-6,
                     what="grad_loss_i compared with finite differences of the cross-entropy loss",
                     hint="each component k should be the rate of change of the loss when only w[k] moves")


@pytest.mark.points(0.5)
def test_at_zero_weights(student, rng):
    w = np.array([0, 0, 0])  # gradient_descent's starting point is an integer array
    for label in (0.0, 1.0):
        _, x, _ = random_point(rng)
        expect_close(gradient_of(student, w, x, np.array([label])), (0.5 - label) * x, rtol=1e-9, atol=1e-9,
                     what=f"grad_loss_i at w = 0 for label {label:g}",
                     hint="at w = 0 the prediction is p = 1/2")
