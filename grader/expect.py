"""Checks for suite authors: each failure says what was checked, never the answer."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from grader.errors import SuiteError

_FAMILIES: dict[str, Callable[[torch.dtype], bool]] = {
    "float": lambda dt: dt.is_floating_point,
    "int": lambda dt: not dt.is_floating_point and not dt.is_complex and dt != torch.bool,
    "bool": lambda dt: dt == torch.bool,
}


def expect(condition: bool, message: str) -> None:
    """Fail the test with ``message`` unless ``condition`` holds."""
    if not condition:
        raise AssertionError(message)


def expect_tensor(value: Any, *, what: str, shape: tuple[int, ...] | None = None,
                  dtype: str | torch.dtype | None = None, allow_numpy: bool = False) -> torch.Tensor:
    """Check that ``value`` is a tensor of the given shape and dtype family; return it."""
    if allow_numpy and isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    if not isinstance(value, torch.Tensor):
        kind = "an array" if isinstance(value, np.ndarray) else type(value).__name__
        raise AssertionError(f"{what} should be a torch tensor, got {kind}")
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise AssertionError(f"{what} has shape {tuple(value.shape)}, expected {tuple(shape)}")
    if isinstance(dtype, str):
        if not _FAMILIES[dtype](value.dtype):
            raise AssertionError(f"{what} has dtype {value.dtype}, expected a {dtype} tensor")
    elif dtype is not None and value.dtype != dtype:
        raise AssertionError(f"{what} has dtype {value.dtype}, expected {dtype}")
    return value


def expect_number(value: Any, *, what: str) -> float:
    """Accept a Python number or a tensor/array holding exactly one number; return it as a float."""
    if type(value) in (int, float) or isinstance(value, (np.integer, np.floating)):
        return float(value)
    array = value.numpy() if isinstance(value, torch.Tensor) else value
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "fiu" or array.size != 1:
        shape = f" of shape {tuple(array.shape)}" if hasattr(array, "shape") else ""
        raise AssertionError(f"{what} should be a single number, got {type(value).__name__}{shape}")
    return float(array.reshape(-1)[0])


def expect_close(got: Any, expected: Any, *, what: str, rtol: float = 1e-5, atol: float = 1e-8,
                 hint: str | None = None, on: str | None = None) -> None:
    """Check elementwise closeness of plain data; NaN never passes for a finite expectation.

    A failure says which kind of difference it found (shape, NaN or infinity, which element,
    about how far off, on which input, e.g. ``on="a batch of 8 samples"``), never the
    expected values: no expected number, no signed difference, only the largest distance
    rounded to one significant figure.
    """
    got_t = _as_tensor(got, what)
    exp_t = _as_tensor(expected, "the expected value").to(torch.float64)
    subject = f"{what} on {on}" if on else what
    if tuple(got_t.shape) != tuple(exp_t.shape):
        raise AssertionError(f"{subject} has shape {tuple(got_t.shape)}, expected {tuple(exp_t.shape)}")
    got_t = got_t.to(torch.float64)
    finite = torch.isfinite(exp_t)
    ok = torch.isclose(got_t, exp_t, rtol=rtol, atol=atol, equal_nan=False) | (~finite & (got_t == exp_t))
    if bool(ok.all()):
        return
    blown = ~ok & finite & ~torch.isfinite(got_t)  # NaN or infinity where a number belongs
    off = ~ok & ~blown
    findings = []
    if bool(blown.any()):
        findings.append(f"{_how_many(blown)} NaN or infinite where a correct solution gives a finite "
                        f"number{_first(blown)}")
    if bool(off.any()):
        findings.append(f"{_how_many(off)} not what a correct solution gives{_first(off)}"
                        f"{_how_far(got_t, exp_t, off & finite, rtol=rtol, atol=atol)}")
    message = f"{subject}: {'; '.join(findings)}"
    raise AssertionError(f"{message}. {hint}" if hint else message)


def _how_many(mask: torch.Tensor) -> str:
    count, total = int(mask.sum()), mask.numel()
    if total == 1:
        return "the value is"
    return f"{count} of {total} values {'is' if count == 1 else 'are'}"


def _first(mask: torch.Tensor) -> str:
    """Where the first such element is, as an index the student can use (``[3, 1]``)."""
    if mask.numel() == 1:
        return ""
    first = "at" if int(mask.sum()) == 1 else "the first at"
    return f" ({first} index {torch.nonzero(mask)[0].tolist()})"


def _how_far(got: torch.Tensor, expected: torch.Tensor, mask: torch.Tensor, *, rtol: float, atol: float) -> str:
    """The largest distance to one significant figure, and the tolerance: never which side, nor exactly."""
    if not bool(mask.any()):
        return ""
    largest = float((got - expected).abs()[mask].max())
    if not math.isfinite(largest):
        return ""
    about = f"{float(f'{largest:.0e}'):g}"
    up_to = "up to " if int(mask.sum()) > 1 else ""
    tolerance = f"{atol:g}" if rtol == 0 else f"{atol:g} + {rtol:g} relative"
    return f", off by {up_to}about {about} (tolerance: {tolerance})"


def _as_tensor(value: Any, what: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return torch.from_numpy(value)
    if type(value) in (int, float, bool):
        return torch.tensor(float(value), dtype=torch.float64)
    if isinstance(value, (list, tuple)):
        try:
            return torch.tensor(value, dtype=torch.float64)
        except (TypeError, ValueError):
            pass
    raise AssertionError(f"{what} should be numeric, got {type(value).__name__}")


def expect_responsive(got: list[Any], expected: list[Any], *, what: str, inputs: list[Any] | None = None,
                      hint: str | None = None) -> None:
    """Fail when the student's answers ignore inputs that the reference's answers depend on.

    ``got`` and ``expected`` are the student's and the reference's answers to the same
    different inputs (at least two). A constant (the same answer whatever the input)
    fails where the reference's answers differ; with ``inputs``, so does handing the
    input back unchanged where the reference's answers differ from their inputs. A
    real but wrong attempt passes: this only asks that the answers respond to the
    inputs, so property tests gated on it (``counts_if``) cannot be met by a stub.
    """
    if len(expected) < 2 or (inputs is not None and len(inputs) != len(expected)):
        raise SuiteError("expect_responsive needs two or more expected answers, one per input")
    if len(got) != len(expected):  # answers counted from what the student's code returned
        raise AssertionError(f"{what}: {len(got)} answers where a correct solution gives {len(expected)}")
    mine = [_flat(v, what) for v in got]
    theirs = [_flat(v, "the expected value") for v in expected]
    message = ""
    if any(not _same(t, theirs[0]) for t in theirs[1:]) and all(_same(m, mine[0]) for m in mine[1:]):
        message = f"{what} is the same whatever the input, where a correct solution's changes with it"
    elif inputs is not None:
        given = [_flat(v, "the input") for v in inputs]
        changed = [k for k, (t, i) in enumerate(zip(theirs, given)) if not _same(t, i)]
        if changed and all(_same(mine[k], given[k]) for k in changed):
            message = f"{what} is its input handed back unchanged, where a correct solution's differs from it"
    if message:
        raise AssertionError(f"{message}. {hint}" if hint else message)


def expect_responsive_to_any(got: list[Any], candidates: list[list[Any]], *, what: str,
                             inputs: list[Any] | None = None, hint: str | None = None) -> None:
    """``expect_responsive`` against several correct answer lists: passes if one of them does.

    For an exercise that may build on the student's own earlier functions (gradient descent
    with their ``loss_i``): a stub there makes the reference's answers constant too, and must
    not fail this exercise. The first candidate's failure is the one reported.
    """
    failures = []
    for expected in candidates:
        try:
            expect_responsive(got, expected, what=what, inputs=inputs, hint=hint)
            return
        except AssertionError as error:
            failures.append(error)
    raise failures[0]


def _flat(value: Any, what: str) -> np.ndarray:
    """An answer as one float64 vector (tuples and lists of arrays end to end) for sameness checks."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (list, tuple)) and value and not all(type(v) in (int, float, bool) for v in value):
        return np.concatenate([_flat(v, what) for v in value])
    return _as_tensor(value, what).to(torch.float64).reshape(-1).numpy()


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True))
