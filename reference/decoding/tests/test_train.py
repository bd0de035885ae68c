"""Hidden tests for `train`: gradient descent that matches the reference step for step.

The networks are built in the kernel from torch parts only (an nn.Sequential whose layers
are named `in_layer` and `out_layer`, as `train` expects), so these tests do not depend on
the notebook's `DeepNetReLU`. Both sides start from the same weights and data.

`train` is called with positional arguments in the template's order (net, loss_fn,
train_data, train_labels, n_iter, learning_rate, test_data, test_labels, L2_penalty,
L1_penalty): a loop whose parameters are named otherwise (the tutorial's later
``n_epochs``), or that stops after ``learning_rate``, loses only the tests of the
arguments it lacks. A list of the right length of made-up numbers is the shape of the
answer and nothing else: that test counts only when the losses change with the data.
"""

from collections import OrderedDict

import numpy as np
import pytest
import torch
from torch import nn

from grader.errors import StudentError
from grader.expect import expect, expect_close, expect_responsive, expect_tensor

pytestmark = pytest.mark.exercise("train")


def draw(gen, low, high):
    return int(torch.randint(low, high, (1,), generator=gen))


def layers(n_inputs, n_hidden, n_outputs, classifier):
    yield "in_layer", ("torch.nn.Linear", (n_inputs, n_hidden), {})
    yield "relu", ("torch.nn.ReLU", (), {})
    yield "out_layer", ("torch.nn.Linear", (n_hidden, n_outputs), {})
    if classifier:
        yield "logprob", ("torch.nn.LogSoftmax", (), {"dim": 1})


def build_pair(student, gen, n_inputs, n_hidden, n_outputs=1, classifier=False):
    """The same network twice: a handle in the kernel and a module here, with equal random weights."""
    net = student.make("torch.nn.Sequential")
    parts = OrderedDict()
    for name, (qualname, args, kwargs) in layers(n_inputs, n_hidden, n_outputs, classifier):
        net.method("add_module", name, student.make(qualname, *args, **kwargs))
        parts[name] = getattr(nn, qualname.rpartition(".")[2])(*args, **kwargs)
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


def classification_data(gen, n_inputs, n_samples, n_classes):
    data = torch.randn(n_samples, n_inputs, generator=gen)
    labels = torch.randint(0, n_classes, (n_samples,), generator=gen)
    return data, labels


def is_number(value):
    if isinstance(value, torch.Tensor):
        return value.numel() == 1
    if isinstance(value, np.ndarray):
        return value.size == 1
    return type(value) in (int, float)


def losses(value, n_iter, what):
    """A list of n_iter numbers (a 1-D tensor or array is accepted too) as a float64 tensor."""
    if isinstance(value, (list, tuple)):
        expect(all(is_number(v) for v in value), f"{what} should be a list of numbers (use loss.item())")
        value = torch.tensor([float(v) for v in value], dtype=torch.float64)
    tensor = expect_tensor(value, dtype="float", allow_numpy=True, what=what)
    expect(tuple(tensor.shape) == (n_iter,), f"{what} should hold one value per iteration ({n_iter}), "
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
                     hint="each iteration should clear the gradients, backpropagate the loss and take one "
                          "optimizer step")


@pytest.mark.points(0)
def test_answers_depend_on_the_inputs(student, reference, gen):
    n_iter, rate = 5, 1e-4
    got, expected = [], []
    for _ in range(2):
        net, ref = build_pair(student, gen, 8, 4)
        data, labels = regression_data(gen, 8, 30)
        result = student.train(net, student.make("torch.nn.MSELoss"), data, labels, n_iter, rate)
        got.append(losses(result, n_iter, what=f"the value returned by train (n_iter={n_iter}, no test data)"))
        expected.append(torch.tensor(reference.train(ref, nn.MSELoss(), data, labels, n_iter, rate)))
    expect_responsive(got, expected, what=f"the losses train returns for {n_iter} iterations on random data",
                      hint="store the value of loss_fn on the training data at every iteration (loss.item())")


@pytest.mark.points(1)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_returns_one_loss_per_iteration(student, gen):
    net, _ = build_pair(student, gen, 8, 4)
    data, labels = regression_data(gen, 8, 30)
    n_iter = 5 * draw(gen, 1, 4)
    result = student.train(net, student.make("torch.nn.MSELoss"), data, labels, n_iter, 1e-4)
    losses(result, n_iter, what=f"the value returned by train (n_iter={n_iter}, no test data)")


@pytest.mark.points(3)
def test_loss_and_weights_match_reference(student, reference, gen):
    for _ in range(2):
        n_inputs, n_hidden = draw(gen, 10, 40), draw(gen, 3, 12)
        net, ref = build_pair(student, gen, n_inputs, n_hidden)
        data, labels = regression_data(gen, n_inputs, draw(gen, 40, 100))
        n_iter = 5 * draw(gen, 2, 5)
        rate = float(torch.empty(1).uniform_(1e-4, 5e-4, generator=gen))
        got = student.train(net, student.make("torch.nn.MSELoss"), data, labels, n_iter, rate)
        expected = reference.train(ref, nn.MSELoss(), data, labels, n_iter, rate)
        what = f"train with nn.MSELoss for {n_iter} iterations at learning rate {rate:.2g}"
        expect_close(losses(got, n_iter, what=f"the losses returned by {what}"), torch.tensor(expected),
                     rtol=1e-4, atol=1e-6, what=f"the losses of {what}", on=size(data, n_hidden),
                     hint="the first value is the loss of the untrained network; each iteration should clear "
                          "the gradients, backpropagate the loss and take one optimizer step")
        compare_weights(student, net, ref, what, on=size(data, n_hidden))


@pytest.mark.points(1)
def test_default_arguments(student, reference, gen):
    net, ref = build_pair(student, gen, 20, 6)
    data, labels = regression_data(gen, 20, 60)
    got = student.train(net, student.make("torch.nn.MSELoss"), data, labels)
    expected = reference.train(ref, nn.MSELoss(), data, labels)
    expect_close(losses(got, 50, what="the losses returned by train with its default arguments"),
                 torch.tensor(expected), rtol=1e-4, atol=1e-6, what="the losses of train with its default arguments",
                 hint="keep the defaults of the template: 50 iterations at a learning rate of 1e-4")
    compare_weights(student, net, ref, "train with its default arguments")


@pytest.mark.points(2)
def test_trains_a_classifier_with_test_data(student, reference, gen):
    n_inputs, n_hidden, n_classes = draw(gen, 10, 40), draw(gen, 4, 12), draw(gen, 3, 8)
    net, ref = build_pair(student, gen, n_inputs, n_hidden, n_classes, classifier=True)
    train_data, train_labels = classification_data(gen, n_inputs, draw(gen, 40, 100), n_classes)
    test_data, test_labels = classification_data(gen, n_inputs, draw(gen, 20, 50), n_classes)
    n_iter = 5 * draw(gen, 2, 5)
    args = (n_iter, 0.1, test_data, test_labels)  # test data as the 7th and 8th arguments, as in the template
    result = student.train(net, student.make("torch.nn.NLLLoss"), train_data, train_labels, *args)
    expected_train, expected_test = reference.train(ref, nn.NLLLoss(), train_data, train_labels, *args)
    expect(isinstance(result, (tuple, list)) and len(result) == 2,
           "with test data, train should return two lists: the training loss and the test loss")
    what = f"train with nn.NLLLoss and test data for {n_iter} iterations"
    on = f"{size(train_data, n_hidden)}, {n_classes} classes and {test_data.shape[0]} test samples"
    expect_close(losses(result[0], n_iter, what=f"the training losses of {what}"), torch.tensor(expected_train),
                 rtol=1e-4, atol=1e-6, what=f"the training losses of {what}", on=on)
    expect_close(losses(result[1], n_iter, what=f"the test losses of {what}"), torch.tensor(expected_test),
                 rtol=1e-4, atol=1e-6, what=f"the test losses of {what}", on=on,
                 hint="after each step, evaluate the loss of the network on test_data")
    compare_weights(student, net, ref, what, on=on)


def replay_with_penalties(ref, value_and_grad, data, labels, penalties, *, n_iter, rate):
    """The reference loop, with the loss value and gradients from the kernel's regularized_loss."""
    optimizer = torch.optim.SGD(ref.parameters(), lr=rate)
    expected = []
    for _ in range(n_iter):
        out = ref(data)
        weight = ref.in_layer.weight
        optimizer.zero_grad()
        (grad_out, grad_weight), loss = value_and_grad(out.detach(), labels, weight.detach(), *penalties)
        out.backward(grad_out)  # backpropagate the loss's gradient through the network...
        weight.grad += grad_weight  # ...and add the penalties' direct gradient on the in-layer weights
        optimizer.step()
        expected.append(float(loss))
    return expected


@pytest.mark.points(1)
def test_penalties_reach_the_loss_function(student, reference, gen):
    """With a penalty, train calls loss_fn(out, labels, net.in_layer.weight, L2_penalty, L1_penalty).

    The loss is the notebook's own regularized_loss (graded on its own). The expected run is
    replayed here with the same SGD steps, asking the kernel for that function's value and
    gradients at every step, so this checks train whatever regularized_loss computes. If
    regularized_loss does not run yet (or is missing), or nothing it returns depends on the
    network (no gradient to descend), the check trains the classifier without penalties instead.
    """
    n_inputs, n_hidden, n_classes = draw(gen, 10, 40), draw(gen, 4, 12), draw(gen, 3, 8)
    net, ref = build_pair(student, gen, n_inputs, n_hidden, n_classes, classifier=True)
    data, labels = classification_data(gen, n_inputs, draw(gen, 40, 100), n_classes)
    n_iter, rate = 10, 0.05
    penalties = (float(torch.empty(1).uniform_(0.01, 0.1, generator=gen)),
                 float(torch.empty(1).uniform_(0.001, 0.01, generator=gen)))
    try:
        value_and_grad = student.make("torch.func.grad_and_value", student.get("regularized_loss"), argnums=(0, 2))
        grads, _ = value_and_grad(ref(data).detach(), labels, ref.in_layer.weight.detach(), *penalties)
        if not any(isinstance(g, torch.Tensor) and bool(g.abs().sum() > 0) for g in grads):
            value_and_grad = None  # a constant: loss.backward() has nothing to work on, whatever train does
    except StudentError:
        value_and_grad = None
    if value_and_grad is None:
        what = "train with nn.NLLLoss"
        got = student.train(net, student.make("torch.nn.NLLLoss"), data, labels, n_iter, rate)
        expected = reference.train(ref, nn.NLLLoss(), data, labels, n_iter, rate)
    else:
        what = f"train with L2_penalty={penalties[0]:.3g}, L1_penalty={penalties[1]:.3g} and your regularized_loss"
        # the penalties as the 9th and 10th arguments (no test data), as in the template
        got = student.train(net, student.get("regularized_loss"), data, labels, n_iter, rate, None, None, *penalties)
        expected = replay_with_penalties(ref, value_and_grad, data, labels, penalties, n_iter=n_iter, rate=rate)
    on = f"{size(data, n_hidden)} and {n_classes} classes"
    expect_close(losses(got, n_iter, what=f"the losses returned by {what}"), torch.tensor(expected),
                 rtol=1e-4, atol=1e-6, what=f"the losses of {what}", on=on,
                 hint="with a penalty, call loss_fn(out, train_labels, net.in_layer.weight, L2_penalty, L1_penalty) "
                      "as the template does")
    compare_weights(student, net, ref, what, on=on)
