"""Hidden tests for `grad_func2`: the hand-derived derivative of f2(x) = sqrt(x^2 + e^(x^2)) + cos(x^2 + e^(x^2))."""

import math

import pytest

from grader.expect import expect, expect_close, expect_number, expect_responsive

pytestmark = pytest.mark.exercise("grad_func2")

HINT = "with t = x^2 + exp(x^2), f2 = sqrt(t) + cos(t): multiply dt/dx by the derivative of the outer part"


def derivative_of(student, x):
    return expect_number(student.grad_func2(x), what=f"grad_func2({x:.3f})")


def points(rng, k):
    return [float(x) for x in rng.uniform(-2.0, 2.0, k)]


@pytest.mark.points(0)
def test_answers_depend_on_the_inputs(student, reference, rng):
    """The gate of the property tests: 0 everywhere, or x handed back, is a finite, odd function too."""
    xs = points(rng, 4)
    expect_responsive([derivative_of(student, x) for x in xs], [float(reference.grad_func2(x)) for x in xs], inputs=xs,
                      what="grad_func2(x) at random points", hint=HINT)


@pytest.mark.points(0.5)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_returns_one_number(student, rng):
    for x in points(rng, 2):
        expect(math.isfinite(derivative_of(student, x)), f"grad_func2({x:.3f}) should be finite")


@pytest.mark.points(2)
def test_matches_reference_at_random_points(student, reference, rng):
    for x in points(rng, 8):
        expect_close(derivative_of(student, x), float(reference.grad_func2(x)), rtol=1e-7, atol=1e-9,
                     what=f"grad_func2 at x = {x:.3f}", hint=HINT)


@pytest.mark.points(1)
def test_matches_finite_differences(student, reference, rng):
    h = 1e-6
    for x in points(rng, 4):
        numeric = (reference.func2(x + h) - reference.func2(x - h)) / (2 * h)
        expect_close(derivative_of(student, x), float(numeric), rtol=1e-5, atol=1e-5,
                     what=f"grad_func2 at x = {x:.3f} compared with a finite difference of func2", hint=HINT)


@pytest.mark.points(0.5)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_is_odd(student, rng):
    # f2 is even (it depends on x only through x^2), so its derivative is odd and vanishes at 0.
    expect_close(derivative_of(student, 0.0), 0.0, rtol=0, atol=1e-12, what="grad_func2 at x = 0",
                 hint="f2 depends on x only through x^2")
    for x in points(rng, 3):
        expect_close(derivative_of(student, -x), -derivative_of(student, x), rtol=1e-9, atol=1e-9,
                     what=f"grad_func2 at x = {-x:.3f} compared with x = {x:.3f}",
                     hint="f2 is an even function, so its derivative is odd")
