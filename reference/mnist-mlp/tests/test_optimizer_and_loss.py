"""Hidden tests for `optimizer_and_loss`: `optimizer` is Adam over `model`'s parameters, `loss_fn` is cross-entropy.

They inspect `model`, `optimizer` and `loss_fn` as the exercise's own cell left
them (``student.at_exercise``: the tutorial's training cell sets all three up again,
and that copy must not stand in for this exercise), without changing them (the
training run is graded too). The snapshot holds the objects themselves, so the
run may have trained them since; nothing here depends on that.

An Adam optimizer that cannot move the parameters (a learning rate of 0) earns
nothing for being Adam over the right parameters: those two tests count only with
a positive learning rate.
"""

import pytest
import torch
import torch.nn.functional as F

from grader.expect import expect, expect_close, expect_tensor
from grader.student import Handle

pytestmark = pytest.mark.exercise("optimizer_and_loss")

LEARNING_RATE = 1e-2


def remote(student, name, what):
    """``name`` as the exercise's cell left it, as a handle."""
    kept = student.at_exercise("optimizer_and_loss")
    expect(kept.has(name), f"`{name}` is not defined: did the cell that sets up {what} run?")
    value = kept.get(name)
    expect(isinstance(value, Handle), f"`{name}` should be {what}, got a plain value ({type(value).__name__})")
    return value


def optimizer_info(student):
    info = student.describe(remote(student, "optimizer", "an optimizer"))
    expect(info.is_a("torch.optim.Optimizer"), f"`optimizer` should be a torch optimizer, got a {info.type}")
    return info


def optimizer_tensors(student):
    """The tensors the optimizer updates, all groups together (sent back as plain tensors)."""
    groups = remote(student, "optimizer", "an optimizer").attr("param_groups")
    expect(isinstance(groups, list) and all(isinstance(g, dict) and isinstance(g.get("params"), list) for g in groups),
           "`optimizer.param_groups` is not a list of parameter groups")
    tensors = [p for g in groups for p in g["params"]]
    expect(all(isinstance(p, torch.Tensor) for p in tensors), "`optimizer` holds parameters that are not tensors")
    return tensors


def model_parameters(student):
    state = student.state_dict(remote(student, "model", "the model"))
    names = student.describe(remote(student, "model", "the model")).parameters
    return {name: state[name] for name in names if name in state}


@pytest.mark.points(0)
def test_learning_rate_is_positive(student):
    info = optimizer_info(student)
    expect(bool(info.param_groups), "`optimizer` has no parameter groups")
    rates = [group.get("lr") for group in info.param_groups]
    expect(all(isinstance(lr, (int, float)) and not isinstance(lr, bool) and lr > 0 for lr in rates),
           "`optimizer` should have a positive learning rate: with a learning rate of 0 its steps never move "
           "the parameters")


@pytest.mark.points(1.5)
@pytest.mark.counts_if("learning_rate_is_positive")
def test_optimizer_is_adam(student):
    info = optimizer_info(student)
    expect(info.is_a("torch.optim.Adam") and not info.is_a("torch.optim.AdamW"),
           f"`optimizer` should be the Adam optimizer (torch.optim.Adam), got {info.type}")


@pytest.mark.points(1.5)
def test_learning_rate(student):
    info = optimizer_info(student)
    expect(bool(info.param_groups), "`optimizer` has no parameter groups")
    for group in info.param_groups:
        lr = group.get("lr")
        expect(isinstance(lr, (int, float)) and not isinstance(lr, bool),
               "`optimizer`'s learning rate should be a plain number")
        expect(abs(lr - LEARNING_RATE) <= 1e-9, f"`optimizer` has learning rate {lr:g}; the exercise asks for 1e-2")


@pytest.mark.points(2)
@pytest.mark.counts_if("learning_rate_is_positive")
def test_optimizer_updates_exactly_the_models_parameters(student):
    params = model_parameters(student)
    expect(bool(params), "`model` has no parameters")
    tensors = optimizer_tensors(student)
    unmatched = list(tensors)
    missing = []
    for name, value in params.items():
        match = next((i for i, t in enumerate(unmatched) if t.shape == value.shape and torch.equal(t, value)), None)
        if match is None:
            missing.append(name)
        else:
            unmatched.pop(match)
    expect(not missing, f"`optimizer` does not update these parameters of `model`: {', '.join(missing)}; "
                        f"create it from model.parameters()")
    expect(not unmatched, "`optimizer` updates tensors that are not parameters of `model` (or the same one twice): "
                          "create it from the parameters of the model you train")


@pytest.mark.points(2)
def test_loss_fn_is_the_mean_cross_entropy(student, gen):
    loss_fn = remote(student, "loss_fn", "a loss function")
    for n, scale in ((int(torch.randint(32, 129, (1,), generator=gen)), 3.0), (7, 10.0)):
        outputs = scale * torch.randn(n, 10, generator=gen)
        targets = torch.randint(0, 10, (n,), generator=gen)
        got = expect_tensor(loss_fn(outputs, targets), shape=(), dtype="float",
                            what=f"loss_fn(outputs, targets) for a batch of {n}")
        expect_close(got, F.cross_entropy(outputs, targets), rtol=1e-5, atol=1e-5,
                     what=f"loss_fn on random logits for a batch of {n}",
                     hint="use the cross-entropy loss, averaged over the batch, with its default settings")

