"""Hidden tests for `mse_loss` (Exercise 2): `loss` is the mean squared error of the cell's `out` and `ori`.

Later cells of the tutorial rebind `out`, `ori`, `net` and `loss_fn`, so the tests rebuild
the cell's batch in the kernel from its given lines (the same seeds, the notebook's own
`DeepNetReLU` and `get_data`) and compare the notebook's `loss` with the MSE of that batch.
Whatever `DeepNetReLU` does, the batch is the one the cell saw.
"""

import pytest
import torch
import torch.nn.functional as F

from grader.expect import expect, expect_close

pytestmark = pytest.mark.exercise("mse_loss")


def cell_batch(student):
    """`out` and `ori` as the exercise cell computed them."""
    student.make("numpy.random.seed", 1)
    student.make("torch.manual_seed", 1)
    net = student.DeepNetReLU(student.get("n_neurons"), 10)
    r, ori = student.get_data(20, student.get("resp_train"), student.get("stimuli_train"))
    return net(r), ori


def notebook_loss(student):
    """The notebook's `loss` as a 0-d float64 tensor (a tensor or a plain number is accepted)."""
    loss = student.get("loss")
    if type(loss) in (int, float):
        return torch.tensor(float(loss), dtype=torch.float64)
    expect(isinstance(loss, torch.Tensor) and loss.dim() == 0 and loss.dtype.is_floating_point,
           "loss should be a single number: the value returned by calling loss_fn on out and ori")
    return loss.double()


@pytest.mark.points(0.5)
def test_loss_is_a_scalar(student):
    notebook_loss(student)


@pytest.mark.points(2)
def test_loss_is_the_mse_of_out_and_ori(student):
    loss = notebook_loss(student)
    out, ori = cell_batch(student)
    expected = F.mse_loss(torch.as_tensor(out).double(), torch.as_tensor(ori).double())
    expect_close(loss, expected, rtol=1e-5, atol=1e-3,
                 what="loss, compared with the mean squared error of the cell's out and ori",
                 hint="use nn.MSELoss(): the average over the 20 stimuli of the squared difference between "
                      "the decoded and the true orientation")


@pytest.mark.points(0.5)
def test_loss_is_a_squared_error(student):
    # The mean of squares is at least the square of the mean absolute error: an absolute
    # error, or a root of the MSE, is far below it for errors of a hundred degrees.
    loss = notebook_loss(student)
    out, ori = cell_batch(student)
    mean_abs = (torch.as_tensor(out).double() - torch.as_tensor(ori).double()).abs().mean()
    expect(bool(loss >= mean_abs ** 2 * (1 - 1e-6)),
           "loss is smaller than a squared error of the decoded orientations can be: square the errors "
           "(not their absolute value), and do not take a square root")
