"""Public tests for neural-learning: run them with `grader check neural-learning.ipynb`.

They check properties any correct solution has, with PyTorch as an independent
calculator. Passing them is a good sign, not a guarantee: the graded (hidden)
tests try many more inputs and compare with a reference solution.
"""

import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader.errors import StudentError
from grader.expect import expect, expect_close, expect_responsive, expect_responsive_to_any, expect_tensor


def one_number(value, what):
    """A loss may come back as a number or as a length-1 array (like y[i])."""
    array = np.asarray(value.numpy() if isinstance(value, torch.Tensor) else value)
    expect(array.dtype.kind in "fiu" and array.size == 1,
           f"{what} should be a single number (or a length-1 array), got {type(value).__name__} "
           f"of shape {array.shape}")
    return float(array.reshape(-1)[0])


def clusters(rng, n):
    """Two labelled clusters like generate_data: X rows (1, x1, x2), y of shape (2n, 1)."""
    points = np.concatenate([rng.normal([2.0, 1.0], 0.8, (n, 2)), rng.normal([1.0, 0.0], 0.8, (n, 2))])
    X = np.column_stack([np.ones(2 * n), points])
    y = np.concatenate([np.ones(n), np.zeros(n)]).reshape(-1, 1)
    return X, y


def printed_losses(printed):
    """The first number after "loss" on every line that mentions it."""
    number = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|nan|inf)")
    numbers = (number.search(line, line.lower().rindex("loss")) for line in printed.splitlines()
               if "loss" in line.lower())
    return [float(match.group()) for match in numbers if match]


def descent_losses(X, y, eta, T, loss, grad):
    """The T losses gradient descent from w = 0 goes through, for the given loss and gradient of one point."""
    w, losses = np.zeros(X.shape[1]), []
    for _ in range(T):
        losses.append(sum(one_number(loss(w, X[i], y[i]), "loss_i(w, x_i, y_i)") for i in range(len(X))))
        w = w - eta * sum(np.asarray(grad(w, X[i], y[i]), dtype=np.float64) for i in range(len(X)))
    return losses


def torch_grad(w, x, y):
    w_t = torch.tensor(w, requires_grad=True)
    torch_loss(w_t, x, y).backward()
    return w_t.grad.numpy()


def torch_loss(w, x, y):
    z = torch.as_tensor(w, dtype=torch.float64) @ torch.tensor(x, dtype=torch.float64)
    return F.binary_cross_entropy_with_logits(z, torch.tensor(float(y[0]), dtype=torch.float64))


def random_point(rng, label):
    """(w, x_i, y_i) as gradient_descent passes them: x_i = (1, x1, x2), y_i an array holding the label."""
    return rng.normal(0, 1, 3), np.array([1.0, *rng.normal(0, 2, 2)]), np.array([float(label)])



# Each exercise's "depends on" test is worth nothing itself: it makes sure that the tests of
# properties a constant or a handed-back input also has (counts_if) are earned by real work.

@pytest.mark.exercise("loss_i")
@pytest.mark.points(0)
def test_loss_depends_on_the_inputs(student, rng):
    points = [random_point(rng, k % 2) for k in range(6)]
    got = [one_number(student.loss_i(w, x, y), "loss_i(w, x_i, y_i)") for w, x, y in points]
    expect_responsive(got, [float(torch_loss(w, x, y)) for w, x, y in points], inputs=[y for _, _, y in points],
                      what="loss_i(w, x_i, y_i) on random points",
                      hint="the loss should depend on w, x_i and y_i through p_i = sigmoid(w^T x_i)")


@pytest.mark.exercise("loss_i")
@pytest.mark.points(1)
@pytest.mark.counts_if("loss_depends_on_the_inputs")
def test_loss_is_ln2_at_zero_weights(student):
    w = np.array([0, 0, 0])  # gradient_descent starts here (an integer array)
    x = np.array([1.0, 2.0, -1.0])
    for label in (0.0, 1.0):
        got = one_number(student.loss_i(w, x, np.array([label])), "loss_i(w, x_i, y_i)")
        expect_close(got, math.log(2), rtol=1e-9, atol=1e-9, what=f"loss_i at w = 0 for label {label:g}",
                     hint="with w = 0 the model predicts p = 1/2 for every point")


@pytest.mark.exercise("loss_i")
@pytest.mark.points(1)
def test_loss_matches_pytorch(student, rng):
    for _ in range(5):
        w, x = rng.normal(0, 1, 3), np.array([1.0, *rng.normal(0, 2, 2)])
        y = np.array([float(rng.integers(0, 2))])
        got = one_number(student.loss_i(w, x, y), "loss_i(w, x_i, y_i)")
        expect_close(got, float(torch_loss(w, x, y)), rtol=1e-7, atol=1e-9,
                     what="loss_i on a random point", hint="compare with F.binary_cross_entropy_with_logits")


@pytest.mark.exercise("grad_loss_i")
@pytest.mark.points(1)
def test_gradient_matches_pytorch_autograd(student, rng):
    for _ in range(5):
        w, x = rng.normal(0, 1, 3), np.array([1.0, *rng.normal(0, 2, 2)])
        y = np.array([float(rng.integers(0, 2))])
        got = expect_tensor(student.grad_loss_i(w, x, y), shape=(3,), dtype="float", allow_numpy=True,
                            what="grad_loss_i(w, x_i, y_i) for a w of length 3")
        expect_close(got, torch_grad(w, x, y), rtol=1e-7, atol=1e-9, what="grad_loss_i on a random point",
                     hint="compare with the gradient PyTorch's autograd computes")


@pytest.mark.exercise("grad_loss_i")
@pytest.mark.points(1)
def test_gradient_at_zero_weights(student):
    w = np.array([0, 0, 0])  # gradient_descent starts here (an integer array)
    x = np.array([1.0, 2.0, -1.0])
    for label in (0.0, 1.0):
        got = expect_tensor(student.grad_loss_i(w, x, np.array([label])), shape=(3,), dtype="float",
                            allow_numpy=True, what="grad_loss_i(w, x_i, y_i) for a w of length 3")
        expect_close(got, torch_grad(w.astype(float), x, np.array([label])), rtol=1e-9, atol=1e-9,
                     what=f"grad_loss_i at w = 0 for label {label:g}", hint="at w = 0 the prediction is p = 1/2")


@pytest.mark.exercise("gradient_descent")
@pytest.mark.points(0)
def test_printed_losses_depend_on_the_data(student, rng):
    # Datasets of one size: the loss at w = 0 is the same on all of them, the later losses are not.
    problems = [clusters(rng, 5) for _ in range(3)]
    got = []
    for X, y in problems:
        _, printed = student.call_printing("gradient_descent", X, y, 0.05, 4)
        got.append(np.array(printed_losses(printed)))
        expect(len(got[-1]) == 4, "gradient_descent(X, y, eta, 4) should print 4 lines `loss = ...`")
    candidates = []
    # Correct losses (from PyTorch), or those of your own loss_i and grad_loss_i if they are constant.
    for loss, grad in ((lambda *a: float(torch_loss(*a)), torch_grad), (student.loss_i, student.grad_loss_i)):
        try:
            candidates.append([np.array(descent_losses(X, y, 0.05, 4, loss, grad)) for X, y in problems])
        except (StudentError, AssertionError):
            continue
    expect_responsive_to_any(got, candidates, what="the printout of gradient_descent on datasets of 10 points",
                             hint="the printed losses should fall as w moves away from w = 0")


@pytest.mark.exercise("gradient_descent")
@pytest.mark.points(1)
@pytest.mark.counts_if("printed_losses_depend_on_the_data")
def test_prints_one_loss_per_iteration(student, rng):
    X, y = clusters(rng, 15)
    _, printed = student.call_printing("gradient_descent", X, y, 0.01, 6)
    losses = printed_losses(printed)
    expect(len(losses) == 6, f"gradient_descent(X, y, 0.01, 6) should print 6 lines `loss = ...`, found "
                             f"{len(losses)}")


@pytest.mark.exercise("gradient_descent")
@pytest.mark.points(1)
def test_losses_follow_gradient_descent(student, rng):
    X, y = clusters(rng, 5)
    _, printed = student.call_printing("gradient_descent", X, y, 0.05, 4)
    losses = printed_losses(printed)
    expect(len(losses) == 4, "gradient_descent(X, y, eta, 4) should print 4 lines `loss = ...`")
    # Correct losses (from PyTorch), or those of your own loss_i and grad_loss_i if they differ.
    for loss, grad in ((lambda *a: float(torch_loss(*a)), torch_grad), (student.loss_i, student.grad_loss_i)):
        try:
            expected = descent_losses(X, y, 0.05, 4, loss, grad)
        except (StudentError, AssertionError):
            continue
        if np.allclose(losses, expected, rtol=1e-6, atol=1e-4):  # 4 printed decimals are enough
            return
    expect(False, "the printed losses are not those of gradient descent from w = 0: each iteration should "
                  "print the summed loss of all points at the current w, then move w by -eta times the summed "
                  "gradient")


def descent_along(X, y, eta, batches, grad):
    """The weights from w = 0 along the given batches, each step scaled by N / m, shape (T + 1, d)."""
    N, m = len(X), len(batches[0])
    W = [np.zeros(X.shape[1])]
    for batch in batches:
        W.append(W[-1] - eta * (N / m) * sum(np.asarray(grad(W[-1], X[i], y[i]), dtype=np.float64) for i in batch))
    return np.array(W)


@pytest.mark.exercise("batch_gradient_descent")
@pytest.mark.points(0)
def test_batch_gd_weights_depend_on_the_data(student, rng):
    problems = [clusters(rng, 10) for _ in range(3)]
    got = []
    for X, y in problems:
        result = student.batch_gradient_descent(X, y, 0.01, 4, 4, 5)
        expect(isinstance(result, (tuple, list)) and len(result) == 2,
               "batch_gradient_descent should return two values: W and batches")
        got.append(expect_tensor(result[0], shape=(5, 3), dtype="float", allow_numpy=True,
                                 what="W for T = 4 updates and d = 3"))
    # Descent along the first 4 points is enough to say that W should move with the data; it stays put
    # with your own grad_loss_i only if that is constant.
    batches = np.tile(np.arange(4), (4, 1))
    candidates = []
    for grad in (torch_grad, student.grad_loss_i):
        try:
            candidates.append([descent_along(X, y, 0.01, batches, grad) for X, y in problems])
        except (StudentError, ValueError, TypeError):
            continue
    expect_responsive_to_any(got, candidates, what="W returned by batch_gradient_descent on datasets of 20 points",
                             hint="each update should move w against the batch's gradient")


@pytest.mark.exercise("batch_gradient_descent")
@pytest.mark.points(1)
@pytest.mark.counts_if("batch_gd_weights_depend_on_the_data")
def test_batch_gd_shapes_and_start(student, rng):
    X, y = clusters(rng, 20)
    result = student.batch_gradient_descent(X, y, 0.01, 7, 5, 3)
    expect(isinstance(result, (tuple, list)) and len(result) == 2,
           "batch_gradient_descent should return two values: W and batches")
    W = expect_tensor(result[0], shape=(8, 3), dtype="float", allow_numpy=True,
                      what="W for T = 7 updates and d = 3")
    batches = expect_tensor(result[1], shape=(7, 5), dtype="int", allow_numpy=True,
                            what="batches for T = 7 updates of m = 5 points")
    expect(bool(torch.all(W[0] == 0)), "W[0] should be the starting point, the zero vector")
    for row in batches:
        expect(len(set(row.tolist())) == 5 and bool(torch.all((row >= 0) & (row < 40))),
               "each batch should hold m distinct indices of points of X")


@pytest.mark.exercise("batch_gradient_descent")
@pytest.mark.points(1)
@pytest.mark.counts_if("batch_gd_weights_depend_on_the_data")
def test_batch_gd_same_seed_same_run(student, rng):
    X, y = clusters(rng, 20)
    first = student.batch_gradient_descent(X, y, 0.01, 5, 4, 11)
    again = student.batch_gradient_descent(X, y, 0.01, 5, 4, 11)
    expect(all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(first, again)),
           "two runs with the same seed should return the same W and batches")


def f2(x):
    t = x**2 + math.exp(x**2)
    return math.sqrt(t) + math.cos(t)


def finite_difference(x, h=1e-6):
    return (f2(x + h) - f2(x - h)) / (2 * h)


def check_odd(student, name):
    # f2 depends on x only through x^2: it is even, so its derivative is odd and 0 at x = 0.
    derivative = getattr(student, name)
    expect_close(one_number(derivative(0.0), f"{name}(x)"), 0.0, rtol=0, atol=1e-12, what=f"{name}(0.0)",
                 hint="f2 has a minimum or a maximum at x = 0")
    expect_close(one_number(derivative(-0.7), f"{name}(x)"), -one_number(derivative(0.7), f"{name}(x)"),
                 rtol=1e-9, atol=1e-9, what=f"{name}(-0.7) compared with -{name}(0.7)",
                 hint="the derivative of an even function is odd")


def check_depends_on_x(student, name):
    xs = [-1.3, -0.4, 0.2, 0.9]
    expect_responsive([one_number(getattr(student, name)(x), f"{name}(x)") for x in xs],
                      [finite_difference(x) for x in xs], inputs=xs, what=f"{name}(x) at x = -1.3, -0.4, 0.2, 0.9",
                      hint="the derivative of f2 changes with x, and it is not x itself")


@pytest.mark.exercise("grad_func2")
@pytest.mark.points(0)
def test_grad_func2_depends_on_x(student):
    check_depends_on_x(student, "grad_func2")


@pytest.mark.exercise("sequential_func2")
@pytest.mark.points(0)
def test_sequential_func2_depends_on_x(student):
    check_depends_on_x(student, "sequential_func2")


@pytest.mark.exercise("grad_func2")
@pytest.mark.points(1)
def test_grad_func2_matches_finite_differences(student):
    for x in (-1.3, 0.2, 0.9):
        got = one_number(student.grad_func2(x), "grad_func2(x)")
        expect_close(got, finite_difference(x), rtol=1e-5, atol=1e-5, what=f"grad_func2({x})",
                     hint="compare with (func2(x + h) - func2(x - h)) / (2h) for a small h")


@pytest.mark.exercise("sequential_func2")
@pytest.mark.points(1)
def test_sequential_func2_matches_finite_differences(student):
    for x in (-1.3, 0.2, 0.9):
        got = one_number(student.sequential_func2(x), "sequential_func2(x)")
        expect_close(got, finite_difference(x), rtol=1e-5, atol=1e-5, what=f"sequential_func2({x})",
                     hint="compare with (func2(x + h) - func2(x - h)) / (2h) for a small h")


@pytest.mark.exercise("grad_func2")
@pytest.mark.points(0.5)
@pytest.mark.counts_if("grad_func2_depends_on_x")
def test_grad_func2_is_odd(student):
    check_odd(student, "grad_func2")


@pytest.mark.exercise("sequential_func2")
@pytest.mark.points(0.5)
@pytest.mark.counts_if("sequential_func2_depends_on_x")
def test_sequential_func2_is_odd(student):
    check_odd(student, "sequential_func2")
