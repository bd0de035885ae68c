"""Hidden tests for `mse_loss` (Exercise 2): `loss_fn` is a mean squared error, `loss` its value on the cell's batch.

Later cells of the tutorial rebind `out`, `ori`, `net` and `loss_fn`, so everything is read
as the exercise's own cell left it (``student.at_exercise``): its `out` and `ori` are the
batch `loss` was computed on, whatever `DeepNetReLU` does.

A `loss` that is a constant (``torch.tensor(0.0)``) is a scalar, and a large one is at least
as large as any squared error: those properties count only when `loss` is what the cell's
`loss_fn` gives on its `out` and `ori`, and that `loss_fn` answers differently for different
inputs. The check of `loss_fn` itself counts only then too, so that a right `loss_fn` beside
a made-up `loss` earns nothing: the cell's two lines are graded together.
"""

import pytest
import torch
import torch.nn.functional as F

from grader.expect import expect, expect_close, expect_responsive, expect_tensor
from grader.student import Handle

pytestmark = pytest.mark.exercise("mse_loss")


def draw(gen, low, high):
    return int(torch.randint(low, high, (1,), generator=gen))


def cell(student):
    """The names as the exercise's cell left them."""
    return student.at_exercise("mse_loss")


def as_float64(value, what):
    """A tensor (or NumPy array, or plain number) as a float64 tensor."""
    if type(value) in (int, float):
        return torch.tensor(float(value), dtype=torch.float64)
    return expect_tensor(value, allow_numpy=True, dtype="float", what=what).double()


def notebook_loss(student):
    """The cell's `loss` as a 0-d float64 tensor (a tensor or a plain number is accepted)."""
    loss = cell(student).get("loss")
    if type(loss) in (int, float):
        return torch.tensor(float(loss), dtype=torch.float64)
    expect(isinstance(loss, torch.Tensor) and loss.dim() == 0 and loss.dtype.is_floating_point,
           "loss should be a single number: the value returned by calling loss_fn on out and ori")
    return loss.double()


def cell_batch(student):
    """The cell's `out` and `ori` as float64 tensors."""
    kept = cell(student)
    return as_float64(kept.get("out"), "out"), as_float64(kept.get("ori"), "ori")


def mean_squared_error(out, ori):
    """What nn.MSELoss() gives, broadcasting as it does (the cell's out is whatever DeepNetReLU returned)."""
    return ((out - ori) ** 2).mean()


def loss_function(student):
    loss_fn = cell(student).get("loss_fn")
    expect(isinstance(loss_fn, Handle),
           "loss_fn should be a loss function you can call on out and ori (such as nn.MSELoss())")
    return loss_fn


def decoded_batches(gen, count):
    """(decoded, true) orientation pairs of random sizes, with errors of tens to hundreds of degrees."""
    for _ in range(count):
        batch = draw(gen, 5, 40)
        true = 360 * torch.rand(batch, 1, generator=gen)
        yield true + 100 * torch.randn(batch, 1, generator=gen), true


@pytest.mark.points(0)
def test_answers_depend_on_the_inputs(student, gen):
    loss_fn = loss_function(student)
    batches = list(decoded_batches(gen, 3))
    got = [as_float64(loss_fn(out, ori), "loss_fn(out, ori)") for out, ori in batches]
    expect_responsive(got, [F.mse_loss(out, ori) for out, ori in batches], inputs=[out for out, _ in batches],
                      what="loss_fn(out, ori) on random decoded and true orientations",
                      hint="loss_fn should compare its two arguments (nn.MSELoss() does)")
    # the cell's own out and ori, as they were (a tensor or an array goes back as it came)
    kept = cell(student)
    out, ori = kept.get("out"), kept.get("ori")
    expect_close(notebook_loss(student), as_float64(loss_fn(out, ori), "loss_fn(out, ori)"), rtol=1e-5, atol=1e-6,
                 what="loss, compared with what your loss_fn gives on the cell's out and ori",
                 hint="compute loss by calling loss_fn on out and ori")


@pytest.mark.points(0.5)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_loss_is_a_scalar(student):
    notebook_loss(student)


@pytest.mark.points(2)
def test_loss_is_the_mse_of_out_and_ori(student):
    loss = notebook_loss(student)
    out, ori = cell_batch(student)
    expect_close(loss, mean_squared_error(out, ori), rtol=1e-5, atol=1e-3,
                 what="loss, compared with the mean squared error of the cell's out and ori",
                 hint="use nn.MSELoss(): the average over the 20 stimuli of the squared difference between "
                      "the decoded and the true orientation")


@pytest.mark.points(0.5)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_loss_is_a_squared_error(student):
    # The mean of squares is at least the square of the mean absolute error: an absolute
    # error, or a root of the MSE, is far below it for errors of a hundred degrees.
    loss = notebook_loss(student)
    out, ori = cell_batch(student)
    mean_abs = (out - ori).abs().mean()
    expect(bool(loss >= mean_abs ** 2 * (1 - 1e-6)),
           "loss is smaller than a squared error of the decoded orientations can be: square the errors "
           "(not their absolute value), and do not take a square root")


@pytest.mark.points(1)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_loss_fn_is_the_mean_squared_error(student, gen):
    loss_fn = loss_function(student)
    for out, ori in decoded_batches(gen, 3):
        got = expect_tensor(loss_fn(out, ori), shape=(), dtype="float", what="loss_fn(out, ori)")
        expect_close(got, F.mse_loss(out, ori), rtol=1e-5, atol=1e-3, what="loss_fn",
                     on=f"a batch of {out.shape[0]} random decoded and true orientations",
                     hint="use PyTorch's built-in mean squared error loss (nn.MSELoss), averaged over the batch")
