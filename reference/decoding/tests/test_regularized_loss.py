"""Hidden tests for `regularized_loss`: negative log likelihood plus L2 and L1 penalties on the weights.

Gradients are computed in the kernel by `torch.func.grad_and_value` applied to the
notebook's own function: a penalty that is detached from the graph (or built with NumPy)
has the right value but does not regularize, and only its gradient shows it.

The function is called positionally, as `train` calls it; only one test passes the
penalties by name. A scalar that does not change with the inputs (``torch.tensor(0.0)``)
earns nothing for being a scalar.
"""

import pytest
import torch

from grader.expect import expect_close, expect_responsive, expect_tensor

pytestmark = pytest.mark.exercise("regularized_loss")


def draw(gen, low, high):
    return int(torch.randint(low, high, (1,), generator=gen))


def inputs(gen):
    """Log probabilities, classes and in-layer weights of a random classifier."""
    batch, n_classes = draw(gen, 5, 40), draw(gen, 3, 21)
    n_hidden, n_inputs = draw(gen, 2, 20), draw(gen, 5, 60)
    output = torch.log_softmax(3 * torch.randn(batch, n_classes, generator=gen), dim=1)
    target = torch.randint(0, n_classes, (batch,), generator=gen)
    weights = 0.5 * torch.randn(n_hidden, n_inputs, generator=gen)
    return output, target, weights


def size(output, weights):
    """The input size, for failure messages."""
    return (f"a batch of {output.shape[0]} samples and {output.shape[1]} classes, with weights of shape "
            f"{tuple(weights.shape)}")


def penalty(gen, low=0.01, high=1.0):
    return float(torch.empty(1).uniform_(low, high, generator=gen))


def value_of(student, *args, what="regularized_loss", **kwargs):
    return expect_tensor(student.regularized_loss(*args, **kwargs), shape=(), dtype="float", what=what)


def expected_value(reference, output, target, weights, *penalties, **kwargs):
    with torch.no_grad():
        return reference.regularized_loss(output, target, weights, *penalties, **kwargs)


@pytest.mark.points(0)
def test_answers_depend_on_the_inputs(student, reference, gen):
    cases = [(*inputs(gen), penalty(gen), penalty(gen)) for _ in range(3)]
    expect_responsive([student.regularized_loss(*case) for case in cases],
                      [expected_value(reference, *case) for case in cases], inputs=[case[0] for case in cases],
                      what="regularized_loss(output, target, weights, L2_penalty, L1_penalty) on random inputs",
                      hint="the loss is computed from output, target and weights")


@pytest.mark.points(0.5)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_returns_a_scalar_tensor(student, gen):
    output, target, weights = inputs(gen)
    value_of(student, output, target, weights, penalty(gen), penalty(gen),
             what="the value returned by regularized_loss")


@pytest.mark.points(1)
def test_without_penalties_it_is_the_negative_log_likelihood(student, reference, gen):
    output, target, weights = inputs(gen)
    expect_close(value_of(student, output, target, weights), expected_value(reference, output, target, weights),
                 rtol=1e-5, atol=1e-6, what="regularized_loss with the default penalties (0 and 0)",
                 on=size(output, weights),
                 hint="start from nn.NLLLoss() of output and target, averaged over the batch")


@pytest.mark.points(1)
def test_L2_penalty_adds_the_sum_of_squared_weights(student, reference, gen):
    output, target, weights = inputs(gen)
    L2 = penalty(gen)
    expect_close(value_of(student, output, target, weights, L2),
                 expected_value(reference, output, target, weights, L2), rtol=1e-5, atol=1e-5,
                 what=f"regularized_loss with L2_penalty={L2:.3g} and no L1 penalty", on=size(output, weights),
                 hint="the L2 term is L2_penalty times the sum, over all weights, of their squares")


@pytest.mark.points(1)
def test_L1_penalty_adds_the_sum_of_absolute_weights(student, reference, gen):
    output, target, weights = inputs(gen)
    L1 = penalty(gen)
    expect_close(value_of(student, output, target, weights, 0, L1),
                 expected_value(reference, output, target, weights, 0, L1), rtol=1e-5, atol=1e-5,
                 what=f"regularized_loss with L1_penalty={L1:.3g} and no L2 penalty", on=size(output, weights),
                 hint="the L1 term is L1_penalty times the sum, over all weights, of their absolute values")


@pytest.mark.points(1.5)
def test_both_penalties_match_reference(student, reference, gen):
    for _ in range(3):
        output, target, weights = inputs(gen)
        L2, L1 = penalty(gen), penalty(gen)
        expected = expected_value(reference, output, target, weights, L2, L1)
        expect_close(value_of(student, output, target, weights, L2, L1), expected, rtol=1e-5, atol=1e-5,
                     what=f"regularized_loss(output, target, weights, {L2:.3g}, {L1:.3g})",
                     on=size(output, weights),
                     hint="the loss is the negative log likelihood plus L2_penalty * sum of squared weights plus "
                          "L1_penalty * sum of absolute weights")


@pytest.mark.points(0.5)
def test_penalties_can_be_passed_by_name(student, reference, gen):
    # Keywords on purpose: the template names the penalties L2_penalty and L1_penalty, and
    # passing one by name while the other keeps its default is how they are meant to be used.
    output, target, weights = inputs(gen)
    L2, L1 = penalty(gen), penalty(gen)
    for kwargs in ({"L1_penalty": L1}, {"L2_penalty": L2, "L1_penalty": L1}):
        named = ", ".join(f"{k}={v:.3g}" for k, v in kwargs.items())
        expect_close(value_of(student, output, target, weights, **kwargs),
                     expected_value(reference, output, target, weights, **kwargs), rtol=1e-5, atol=1e-5,
                     what=f"regularized_loss(output, target, weights, {named})", on=size(output, weights),
                     hint="keep the template's parameter names, L2_penalty and L1_penalty, each defaulting to 0")


@pytest.mark.points(2)
def test_gradients_match_reference(student, reference, gen):
    value_and_grad = student.make("torch.func.grad_and_value", student.get("regularized_loss"), argnums=(0, 2))
    for _ in range(2):
        output, target, weights = inputs(gen)
        L2, L1 = penalty(gen), penalty(gen)
        (grad_output, grad_weights), _ = value_and_grad(output, target, weights, L2, L1)
        output_ref = output.clone().requires_grad_()
        weights_ref = weights.clone().requires_grad_()
        reference.regularized_loss(output_ref, target, weights_ref, L2, L1).backward()
        grad_output = expect_tensor(grad_output, shape=tuple(output.shape), what="the gradient with respect to output")
        grad_weights = expect_tensor(grad_weights, shape=tuple(weights.shape),
                                     what="the gradient with respect to weights")
        expect_close(grad_output, output_ref.grad, rtol=1e-5, atol=1e-6,
                     what="the gradient of regularized_loss with respect to output", on=size(output, weights),
                     hint="the data term should be the negative log likelihood of output")
        expect_close(grad_weights, weights_ref.grad, rtol=1e-5, atol=1e-6,
                     what="the gradient of regularized_loss with respect to weights", on=size(output, weights),
                     hint="compute both penalties with torch operations on weights (no .item(), .detach() or "
                          "NumPy), so that gradient descent shrinks the weights")
