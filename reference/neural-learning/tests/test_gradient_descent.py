"""Hidden tests for `gradient_descent`: judged by the losses it prints, one line per iteration.

A correct gradient_descent prints the losses of gradient descent run with the
student's own `loss_i` and `grad_loss_i` (or with correct ones, for a solution that
does not call them), so a mistake in those exercises does not cost points here too.
"""

import math
import re

import numpy as np
import pytest
import torch

from grader.errors import StudentError
from grader.expect import expect, expect_responsive_to_any

pytestmark = pytest.mark.exercise("gradient_descent")

# A number standing alone: not the 64 of "float64", nor part of a word.
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf)(?![\w.])", re.IGNORECASE)
HINT = ("each iteration should print the summed loss of all N points at the current w (starting from w = 0), "
        "then move w by -eta times the summed gradient")


def parse_losses(printed):
    """One (value, resolution) per printed loss: the first number after "loss" on each line that names it
    (or, when no line does, the last number of each line). The resolution is half a unit in the last
    printed digit, so any sensible formatting of the same number is accepted."""
    lines = [line for line in printed.splitlines() if line.strip()]
    named = [line for line in lines if "loss" in line.lower()]
    found = []
    for line in named or lines:
        if named:
            match = NUMBER.search(line, line.lower().rindex("loss") + 4)
        else:
            matches = list(NUMBER.finditer(line))
            match = matches[-1] if matches else None
        if match is not None:
            found.append(_token(match.group()))
    return found


def _token(text):
    value = float(text)
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2]) if "." in mantissa else 0
    resolution = 0.5 * 10.0 ** (int(exponent or 0) - decimals) if math.isfinite(value) else 0.0
    return value, resolution


def agrees(printed, expected):
    value, resolution = printed
    if not math.isfinite(expected) or not math.isfinite(value):  # inf/nan: only the same non-finite value
        return (math.isnan(value) and math.isnan(expected)) or value == expected
    return abs(value - expected) <= resolution * (1 + 1e-6) + 1e-7 * abs(expected) + 1e-9


def problem(reference, rng, *, n=None, T=None):
    """A random dataset like the lab's and a step size small enough for steady descent."""
    n = n or int(rng.integers(8, 21))
    X, y = reference.two_clusters(rng, n)
    eta = reference.safe_step(X, float(rng.uniform(0.3, 1.0)))
    return X, y, eta, T or int(rng.integers(4, 8))


def printed_by(student, X, y, eta, T):
    _, printed = student.call_printing("gradient_descent", X, y, eta, T)
    losses = parse_losses(printed)
    expect(len(losses) == T,
           f"gradient_descent(X, y, eta, T={T}) should print one line `loss = ...` per iteration ({T} lines); "
           f"found {len(losses)} printed losses")
    return losses


class _Remote:
    """The student's loss_i or grad_loss_i as a plain function (cached: candidates share calls)."""

    def __init__(self, student, name):
        self.student, self.name, self.cache = student, name, {}

    def __call__(self, w, x, y):
        key = (np.asarray(w, dtype=np.float64).tobytes(), x.tobytes(), y.tobytes())
        if key not in self.cache:
            value = self.student.call(self.name, w, x, y)
            self.cache[key] = np.asarray(value.numpy() if isinstance(value, torch.Tensor) else value,
                                         dtype=np.float64)
        return self.cache[key]


def helper_candidates(student):
    """The loss and gradient a correct gradient_descent may use: the correct ones or the student's own."""
    loss, grad = _Remote(student, "loss_i"), _Remote(student, "grad_loss_i")
    return [{}, {"loss": loss}, {"grad": grad}, {"loss": loss, "grad": grad}]



def check_losses(student, reference, X, y, eta, T, what):
    """Fail unless the printed losses are gradient descent's, with correct helpers or the student's own."""
    losses = printed_by(student, X, y, eta, T)
    candidates = helper_candidates(student)
    furthest = 0
    for helpers in candidates:
        agreed = 0
        try:
            for got, expected in zip(losses, reference.descent_losses(X, y, eta, T, **helpers)):
                if not agrees(got, expected):
                    break
                agreed += 1
        except (StudentError, ValueError, TypeError, FloatingPointError):
            pass  # a helper that fails or returns odd shapes cannot explain the printout
        if agreed == T:
            return
        furthest = max(furthest, agreed)
    expect(False, f"{what}: the loss printed at iteration {furthest + 1} is not what gradient descent gives. {HINT}")


@pytest.mark.points(0)
def test_losses_depend_on_the_data(student, reference, rng):
    """The gate of the tests of the printout's form: a loop printing 0s, or one that never moves w, meets them.

    The datasets have the same size, so that the loss at w = 0 is the same on all of them
    and only the later, descending losses can tell them apart. Printouts that are
    constant only because the student's own loss_i or grad_loss_i is are not held
    against gradient_descent.
    """
    n, T = int(rng.integers(8, 21)), 5
    problems = [problem(reference, rng, n=n, T=T) for _ in range(3)]
    got = [np.array([value for value, _ in printed_by(student, X, y, eta, T)]) for X, y, eta, T in problems]
    candidates = []
    for helpers in helper_candidates(student):
        try:
            candidates.append([np.array(list(reference.descent_losses(X, y, eta, T, **helpers)))
                               for X, y, eta, T in problems])
        except (StudentError, ValueError, TypeError, FloatingPointError):
            pass  # a helper that fails cannot say what the printout should be
    expect_responsive_to_any(got, candidates, what=f"the printout of gradient_descent on datasets of {2 * n} points",
                             hint=HINT)


@pytest.mark.points(1)
@pytest.mark.counts_if("losses_depend_on_the_data")
def test_prints_one_loss_per_iteration(student, reference, rng):
    for _ in range(2):
        X, y, eta, T = problem(reference, rng, T=int(rng.integers(2, 12)))
        printed_by(student, X, y, eta, T)


@pytest.mark.points(3)
def test_losses_match_gradient_descent(student, reference, rng):
    for _ in range(3):
        X, y, eta, T = problem(reference, rng)
        check_losses(student, reference, X, y, eta, T,
                     what=f"gradient_descent on {X.shape[0]} random points (T = {T})")


@pytest.mark.points(1)
def test_small_datasets_and_a_single_iteration(student, reference, rng):
    X, y, eta, _ = problem(reference, rng, n=int(rng.integers(2, 5)))
    check_losses(student, reference, X, y, eta, 1, what=f"gradient_descent on {X.shape[0]} points with T = 1")
    check_losses(student, reference, X, y, eta, 5, what=f"gradient_descent on {X.shape[0]} points with T = 5")


@pytest.mark.points(0.5)
@pytest.mark.counts_if("losses_depend_on_the_data")
def test_repeated_calls_print_the_same(student, reference, rng):
    X, y, eta, T = problem(reference, rng)
    first = printed_by(student, X, y, eta, T)
    again = printed_by(student, X, y, eta, T)
    expect(all(agrees(a, b[0]) for a, b in zip(first, again)),
           "two calls with the same arguments should print the same losses: start every run from w = 0")
