"""Hidden tests for `train`: full-batch gradient descent that matches the reference epoch for epoch.

The networks are built in the kernel from torch parts only (an nn.Sequential), so these
tests do not depend on the notebook's `DeepNetReLU`. Both sides start from the same
weights and data. `train` is called positionally, as its signature in the tutorial
allows: train(net, loss_fn, train_data, train_labels, n_epochs, learning_rate).
Its properties (one loss per epoch, a falling loss) count only when the losses respond
to the data and the weights move: a constant list or a loop that never steps earns nothing.
"""

from collections import OrderedDict

import numpy as np
import pytest
import torch
from torch import nn

from grader.expect import expect, expect_close, expect_responsive, expect_tensor

pytestmark = pytest.mark.exercise("train")

GATES = ("answers_depend_on_the_inputs", "training_moves_the_weights")


def draw(gen, low, high):
    return int(torch.randint(low, high, (1,), generator=gen))


def build_pair(student, gen, n_inputs, n_hidden, n_outputs=1):
    """The same network twice: a handle in the kernel and a module here, with equal random weights."""
    net = student.make("torch.nn.Sequential")
    parts = OrderedDict()
    for name, (qualname, args) in (("in_layer", ("torch.nn.Linear", (n_inputs, n_hidden))),
                                   ("relu", ("torch.nn.ReLU", ())),
                                   ("out_layer", ("torch.nn.Linear", (n_hidden, n_outputs)))):
        net.method("add_module", name, student.make(qualname, *args))
        parts[name] = getattr(nn, qualname.rpartition(".")[2])(*args)
    ref = nn.Sequential(parts)
    with torch.no_grad():
        for param in ref.parameters():
            param.copy_(torch.randn(param.shape, generator=gen) / param.shape[-1] ** 0.5)
    student.load_state_dict(net, ref.state_dict())
    return net, ref


def regression_data(gen, n_inputs, n_samples):
    """Responses and orientation-like targets (degrees) with some structure to learn."""
    data = torch.randn(n_samples, n_inputs, generator=gen)
    labels = 180 + 60 * data[:, :1] + 10 * torch.randn(n_samples, 1, generator=gen)
    return data, labels


def epochs(gen):
    """A number of epochs the tutorial's progress print can divide (every n_epochs // 5)."""
    return 5 * draw(gen, 2, 5)


def is_number(value):
    if isinstance(value, torch.Tensor):
        return value.numel() == 1
    if isinstance(value, np.ndarray):
        return value.size == 1
    return type(value) in (int, float)


def losses(value, n_epochs, what):
    """A list of n_epochs numbers (a 1-D tensor or array is accepted too) as a float64 tensor."""
    if isinstance(value, (list, tuple)):
        expect(all(is_number(v) for v in value), f"{what} should be a list of numbers (use loss.item())")
        value = torch.tensor([float(v) for v in value], dtype=torch.float64)
    tensor = expect_tensor(value, dtype="float", allow_numpy=True, what=what)
    expect(tuple(tensor.shape) == (n_epochs,), f"{what} should hold one value per epoch ({n_epochs}), "
                                               f"got {tensor.numel()}")
    return tensor.double()


def size(data, n_hidden):
    """The input size, for failure messages."""
    return f"{data.shape[0]} samples of {data.shape[1]} inputs and a network of {n_hidden} hidden units"


def compare_weights(student, net, ref, what, on=None):
    got = student.state_dict(net)
    for name, expected in ref.state_dict().items():
        expect(name in got, f"{what}: the network lost its parameter {name}")
        expect_close(got[name], expected, rtol=1e-4, atol=1e-6, what=f"{what}: the trained {name}", on=on,
                     hint="each epoch should clear the gradients, backpropagate the loss and take one "
                          "optimizer step")


def compare_run(student, reference, gen, *, loss, n_inputs, n_hidden, data, labels, n_epochs, rate, n_outputs=1):
    """Train both sides from the same weights with the loss torch.nn.<loss>; compare losses and final weights."""
    net, ref = build_pair(student, gen, n_inputs, n_hidden, n_outputs)
    got = student.train(net, student.make(f"torch.nn.{loss}"), data, labels, n_epochs, rate)
    expected = reference.train(ref, getattr(nn, loss)(), data, labels, n_epochs, rate)
    what = f"train with nn.{loss} for {n_epochs} epochs at learning rate {rate:.2g}"
    expect_close(losses(got, n_epochs, what=f"the losses returned by {what}"), torch.tensor(expected),
                 rtol=1e-4, atol=1e-6, what=f"the losses of {what}", on=size(data, n_hidden),
                 hint="the first value is the loss of the untrained network; each epoch should clear the "
                      "gradients, backpropagate the loss of the whole training set and take one optimizer step")
    compare_weights(student, net, ref, what, on=size(data, n_hidden))


@pytest.mark.points(0)
def test_answers_depend_on_the_inputs(student, reference, gen):
    n_inputs, n_hidden, n_epochs = draw(gen, 5, 20), draw(gen, 3, 10), epochs(gen)
    got, expected = [], []
    for _ in range(3):  # a fresh network and other data each time, the same on both sides
        net, ref = build_pair(student, gen, n_inputs, n_hidden)
        data, labels = regression_data(gen, n_inputs, 30)
        got.append(student.train(net, student.make("torch.nn.MSELoss"), data, labels, n_epochs, 1e-4))
        expected.append(reference.train(ref, nn.MSELoss(), data, labels, n_epochs, 1e-4))
    expect_responsive(got, expected, what=f"the list train returns ({n_epochs} epochs)",
                      hint="append the loss of every epoch, computed from the network's output on train_data")


@pytest.mark.points(0)
def test_training_moves_the_weights(student, gen):
    net, ref = build_pair(student, gen, 10, 5)
    data, labels = regression_data(gen, 10, 40)
    student.train(net, student.make("torch.nn.MSELoss"), data, labels, 10, 1e-4)
    got = student.state_dict(net)
    expect(any(name in got and (got[name].shape != start.shape or not torch.equal(got[name], start))
               for name, start in ref.state_dict().items()),
           "after train (10 epochs at learning rate 1e-4) the network's weights are where they started: "
           "each epoch should take one optimizer step")


@pytest.mark.points(0.5)
@pytest.mark.counts_if(*GATES)
def test_returns_one_loss_per_epoch(student, gen):
    net, _ = build_pair(student, gen, 8, 4)
    data, labels = regression_data(gen, 8, 30)
    n_epochs = epochs(gen)
    result = student.train(net, student.make("torch.nn.MSELoss"), data, labels, n_epochs, 1e-4)
    losses(result, n_epochs, what=f"the value returned by train (n_epochs={n_epochs})")


@pytest.mark.points(1)
@pytest.mark.counts_if(*GATES)
def test_loss_decreases_on_an_easy_problem(student, gen):
    # A linear network on a noiseless linear problem: the MSE is a convex quadratic of the
    # weights, and at this small learning rate every step of gradient descent lowers it.
    n_inputs, n_epochs = draw(gen, 3, 8), epochs(gen)
    net = student.make("torch.nn.Linear", n_inputs, 1)
    student.load_state_dict(net, {"weight": torch.zeros(1, n_inputs), "bias": torch.zeros(1)})
    data = torch.randn(60, n_inputs, generator=gen)
    labels = data @ torch.randn(n_inputs, 1, generator=gen) + 1
    what = f"the losses of train on a linear regression ({n_epochs} epochs at learning rate 0.05)"
    got = losses(student.train(net, student.make("torch.nn.MSELoss"), data, labels, n_epochs, 0.05),
                 n_epochs, what=what)
    expect(bool((got[1:] < got[:-1]).all()), f"{what} should fall at every epoch")


@pytest.mark.points(2.5)
def test_loss_and_weights_match_reference(student, reference, gen):
    for _ in range(2):
        n_inputs, n_hidden = draw(gen, 10, 40), draw(gen, 3, 12)
        data, labels = regression_data(gen, n_inputs, draw(gen, 40, 100))
        rate = float(torch.empty(1).uniform_(1e-4, 5e-4, generator=gen))
        compare_run(student, reference, gen, loss="MSELoss", n_inputs=n_inputs, n_hidden=n_hidden,
                    data=data, labels=labels, n_epochs=epochs(gen), rate=rate)


@pytest.mark.points(1)
def test_default_arguments(student, reference, gen):
    net, ref = build_pair(student, gen, 20, 6)
    data, labels = regression_data(gen, 20, 60)
    got = student.train(net, student.make("torch.nn.MSELoss"), data, labels)
    expected = reference.train(ref, nn.MSELoss(), data, labels)
    expect_close(losses(got, 50, what="the losses returned by train with its default arguments"),
                 torch.tensor(expected), rtol=1e-4, atol=1e-6, what="the losses of train with its default arguments",
                 hint="keep the defaults of the template: 50 epochs at a learning rate of 1e-4")
    compare_weights(student, net, ref, "train with its default arguments")


@pytest.mark.points(1)
def test_works_with_other_loss_functions(student, reference, gen):
    # train takes any loss: the absolute error on orientations, and a cross-entropy on
    # class numbers (integer labels, one output per class) that must reach loss_fn as they are.
    n_inputs, n_hidden = draw(gen, 10, 30), draw(gen, 3, 10)
    data, labels = regression_data(gen, n_inputs, draw(gen, 40, 80))
    compare_run(student, reference, gen, loss="L1Loss", n_inputs=n_inputs, n_hidden=n_hidden,
                data=data, labels=labels, n_epochs=epochs(gen), rate=1e-2)
    n_classes = draw(gen, 3, 8)
    classes = torch.randint(0, n_classes, (data.shape[0],), generator=gen)
    compare_run(student, reference, gen, loss="CrossEntropyLoss", n_inputs=n_inputs, n_hidden=n_hidden,
                data=data, labels=classes, n_epochs=epochs(gen), rate=0.1, n_outputs=n_classes)
