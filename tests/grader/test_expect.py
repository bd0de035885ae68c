"""grader.expect: checks for suite authors."""

from __future__ import annotations

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
    with pytest.raises(AssertionError, match="1 of 2 values are not what a correct solution gives"):
        expect_close(torch.tensor([1.0, float("nan")]), [1.0, 2.0], what="v")
    with pytest.raises(AssertionError, match="v has shape"):
        expect_close(torch.tensor([1.0]), 1.0, what="v")
