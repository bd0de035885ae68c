"""grader.expect: checks for suite authors."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
import torch

from grader.expect import expect_close, expect_number, expect_tensor


@pytest.mark.parametrize("value", [2.5, 3, np.float32(2.5), torch.tensor(2.5), torch.tensor([2.5]), np.array([[2.5]])])
def test_expect_number_accepts_one_number(value: Any) -> None:
    assert expect_number(value, what="x") == float(value if not hasattr(value, "reshape") else value.reshape(-1)[0])


@pytest.mark.parametrize("value", ["2.5", [1.0, 2.0], torch.zeros(2), np.array(["a"]), None])
def test_expect_number_refuses_anything_else(value: Any) -> None:
    with pytest.raises(AssertionError, match="x should be a single number"):
        expect_number(value, what="x")


def test_expect_tensor_checks_type_shape_and_dtype_family() -> None:
    assert expect_tensor(torch.zeros(2, 3), shape=(2, 3), dtype="float", what="t").shape == (2, 3)
    with pytest.raises(AssertionError, match=r"t has shape \(3,\), expected \(2, 3\)"):
        expect_tensor(torch.zeros(3), shape=(2, 3), what="t")
    with pytest.raises(AssertionError, match="expected a float tensor"):
        expect_tensor(torch.zeros(3, dtype=torch.int64), dtype="float", what="t")
    with pytest.raises(AssertionError, match="should be a torch tensor, got an array"):
        expect_tensor(np.zeros(3), what="t")


def test_expect_close_never_accepts_nan_for_a_finite_value() -> None:
    expect_close(torch.tensor([1.0, 2.0]), [1.0, 2.0], what="v")
    with pytest.raises(AssertionError, match=r"^v: 1 of 2 values is NaN or infinite where a correct solution gives "
                                             r"a finite number \(at index \[1\]\)$"):
        expect_close(torch.tensor([1.0, float("nan")]), [1.0, 2.0], what="v")
    with pytest.raises(AssertionError, match="v has shape"):
        expect_close(torch.tensor([1.0]), 1.0, what="v")


def test_expect_close_says_which_element_by_about_how_much_and_on_what_input() -> None:
    with pytest.raises(AssertionError) as failed:
        expect_close(torch.tensor([[1.0, 2.0], [3.0, 4.47], [5.0, 6.2]]), [[1, 2], [3, 4], [5, 6]], what="y_hat",
                     rtol=1e-5, atol=1e-6, on="a batch of 3 samples", hint="check the bias")
    assert str(failed.value) == (
        "y_hat on a batch of 3 samples: 2 of 6 values are not what a correct solution gives (the first at index "
        "[1, 1]), off by up to about 0.5 (tolerance: 1e-06 + 1e-05 relative). check the bias")
    with pytest.raises(AssertionError) as failed:
        expect_close(0.0123, 0.0, what="the loss", rtol=0, atol=1e-3)
    assert str(failed.value) == "the loss: the value is not what a correct solution gives, off by about 0.01 " \
                                "(tolerance: 0.001)"
    with pytest.raises(AssertionError, match=r"^x on 8 samples has shape \(2,\), expected \(3,\)$"):
        expect_close(torch.zeros(2), torch.zeros(3), what="x", on="8 samples")


def test_expect_close_names_nan_and_wrong_values_apart() -> None:
    with pytest.raises(AssertionError) as failed:
        expect_close(torch.tensor([float("inf"), 2.0, float("nan"), 40.0]), [1.0, 2.0, 3.0, 4.0], what="v")
    assert str(failed.value) == (
        "v: 2 of 4 values are NaN or infinite where a correct solution gives a finite number (the first at index "
        "[0]); 1 of 4 values is not what a correct solution gives (at index [3]), off by about 40 (tolerance: "
        "1e-08 + 1e-05 relative)")


def _spellings(value: float) -> set[str]:
    """The ways a message could print ``value`` to 3 or more significant digits (enough to recover it)."""
    spelled = {repr(value), str(np.float32(value)), f"{value:g}", f"{value:.2f}", f"{value:.3f}", f"{value:.4f}",
               f"{value:.3g}", f"{value:.4g}", f"{value:.6g}", f"{abs(value):.3g}", f"{abs(value):.2f}"}
    return {s for s in spelled if len(re.sub(r"e.*|\D", "", s).strip("0")) >= 3}


@pytest.mark.parametrize("seed", range(12))
def test_expect_close_never_prints_the_expected_values(seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    expected = 10 * torch.randn(4, 5, generator=gen, dtype=torch.float64)
    got = expected + torch.randn(4, 5, generator=gen, dtype=torch.float64) * 10.0 ** torch.randint(-3, 2, (4, 5),
                                                                                                    generator=gen)
    got[0, seed % 5] = float("nan") if seed % 2 else float("inf")
    for g, e in ((got, expected), (got[1, 2], expected[1, 2])):  # a whole array, and a single value
        with pytest.raises(AssertionError) as failed:
            expect_close(g, e, what="the output", rtol=1e-5, atol=1e-6, on="a batch of 4 samples")
        message = str(failed.value)
        leaked = {s for v in e.reshape(-1).tolist() for s in _spellings(v)} | {
            s for d in (g - e).reshape(-1).tolist() if d == d and abs(d) != float("inf") for s in _spellings(d)}
        assert not {s for s in leaked if s in message}, message
        largest = float((g - e).abs()[torch.isfinite(g - e)].max())
        assert f"about {float(f'{largest:.0e}'):g} " in message  # one significant figure, no sign


def test_expect_responsive_fails_a_constant_and_the_input_handed_back_but_not_a_real_attempt() -> None:
    from grader.errors import SuiteError
    from grader.expect import expect_responsive

    inputs = [torch.tensor([1.0, 2.0]), torch.tensor([3.0, 5.0]), torch.tensor([0.5, -1.0])]
    expected = [2 * x for x in inputs]
    expect_responsive([3 * x for x in inputs], expected, inputs=inputs, what="f(x)")  # wrong, but it responds
    expect_responsive([np.float64(x.sum()) for x in inputs], [x.sum() for x in inputs], what="sum")  # numpy scalars
    with pytest.raises(AssertionError, match="the same whatever the input"):
        expect_responsive([torch.zeros(2)] * 3, expected, inputs=inputs, what="f(x)")
    with pytest.raises(AssertionError, match="its input handed back unchanged"):
        expect_responsive(inputs, expected, inputs=inputs, what="f(x)")
    with pytest.raises(AssertionError, match="2 answers where a correct solution gives 3"):
        expect_responsive(expected[:2], expected, what="f(x)")  # counted from the student's answer
    with pytest.raises(SuiteError):
        expect_responsive(expected[:1], expected[:1], what="f(x)")  # one input proves nothing: the suite's bug
