"""Hidden tests for `classification` (Bonus exercise 5): `net` and `loss_fn` of the classifier.

In the tutorial's own order the regularization cell that follows rebinds `net` to another
`DeepNetSoftmax` of the same shape, `loss_fn` to `regularized_loss` and `n_classes` again;
the tests read the three as the exercise's own cell left them (``student.at_exercise``).
The network is the object itself, so the demo may have trained it since: the tests load
their own weights into it.

What describe() reports is what the kernel says, so the layer test counts only when the
network computes what a DeepNetSoftmax with the same weights computes; a network whose
log probabilities do not depend on the responses (or a loss that ignores its inputs)
earns nothing here.
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.expect import expect, expect_close, expect_responsive, expect_tensor
from grader.student import Handle

pytestmark = pytest.mark.exercise("classification")

N_HIDDEN = 20


class SoftmaxDecoder(nn.Module):
    """What `DeepNetSoftmax(n_inputs, n_hidden, n_classes)` computes: rectified hidden units, log probabilities."""

    def __init__(self, n_inputs, n_hidden, n_classes):
        super().__init__()
        self.in_layer = nn.Linear(n_inputs, n_hidden)
        self.out_layer = nn.Linear(n_hidden, n_classes)

    def forward(self, r):
        return torch.log_softmax(self.out_layer(torch.relu(self.in_layer(r))), dim=1)


def draw(gen, low, high):
    return int(torch.randint(low, high, (1,), generator=gen))


def classifier(student):
    """The cell's `net` (a handle), `n_neurons` and `n_classes`.

    `n_classes` first: it is the one name only this cell binds, so a notebook without
    the exercise gets one clear line.
    """
    kept = student.at_exercise("classification")
    n_classes = int(kept.get("n_classes"))
    net = kept.get("net")
    expect(isinstance(net, Handle), "net should be the network you built (a DeepNetSoftmax)")
    return net, int(kept.get("n_neurons")), n_classes


def loss_function(student):
    kept = student.at_exercise("classification")
    kept.get("n_classes")  # the cell ran (see classifier)
    loss_fn = kept.get("loss_fn")
    expect(isinstance(loss_fn, Handle),
           "loss_fn should be a loss object you can call on log probabilities and classes")
    return loss_fn


def fresh_weights(student, net, gen, scale):
    """Random weights of net's own shapes (the notebook trained it with its own train, graded elsewhere)."""
    shapes = student.describe(net).parameters
    student.load_state_dict(net, {name: scale * torch.randn(shape, generator=gen) for name, shape in shapes.items()})


def nll_inputs(gen):
    batch, n_classes = draw(gen, 5, 40), draw(gen, 3, 21)
    log_probs = torch.log_softmax(3 * torch.randn(batch, n_classes, generator=gen), dim=1)
    return log_probs, torch.randint(0, n_classes, (batch,), generator=gen)


@pytest.mark.points(0)
def test_net_depends_on_the_responses(student, gen):
    net, n_neurons, n_classes = classifier(student)
    fresh_weights(student, net, gen, 0.1)
    batch = draw(gen, 5, 30)
    responses = [torch.randn(batch, n_neurons, generator=gen) for _ in range(3)]
    outputs = [expect_tensor(net(r), dtype="float", what=f"the output of net for {batch} stimuli") for r in responses]
    ref = SoftmaxDecoder(n_neurons, N_HIDDEN, n_classes)
    with torch.no_grad():
        expected = [ref(r) for r in responses]
    expect_responsive(outputs, expected, inputs=responses, what=f"the output of net for {batch} random responses",
                      hint="net should compute its log probabilities from the responses")


@pytest.mark.points(1.5)
def test_net_computes_a_DeepNetSoftmax_with_the_same_weights(student, gen):
    net, n_neurons, n_classes = classifier(student)
    ref = SoftmaxDecoder(n_neurons, N_HIDDEN, n_classes)
    with torch.no_grad():
        for param in ref.parameters():
            param.copy_(torch.randn(param.shape, generator=gen) / param.shape[-1] ** 0.5)
    got_shapes = student.describe(net).parameters
    expected_shapes = {name: list(p.shape) for name, p in ref.named_parameters()}
    expect(got_shapes == expected_shapes,
           f"net should be a DeepNetSoftmax with {n_neurons} inputs (the neurons), {N_HIDDEN} hidden units and "
           f"n_classes ({n_classes}) outputs; its parameters are {sorted(got_shapes)} with shapes "
           f"{[got_shapes[k] for k in sorted(got_shapes)]}")
    student.load_state_dict(net, ref.state_dict())
    batch = draw(gen, 5, 30)
    r = torch.randn(batch, n_neurons, generator=gen)
    got = expect_tensor(net(r), shape=(batch, n_classes), dtype="float", what=f"the output of net for {batch} stimuli")
    with torch.no_grad():
        expected = ref(r)
    expect_close(got, expected, rtol=1e-5, atol=1e-5, what="the output of net",
                 on=f"a batch of {batch} random responses, with weights given to both networks",
                 hint="net should be DeepNetSoftmax(n_neurons, 20, n_classes), the network defined above")


@pytest.mark.points(1.5)
@pytest.mark.counts_if("net_computes_a_DeepNetSoftmax_with_the_same_weights")
def test_net_is_a_DeepNetSoftmax_with_20_hidden_units(student):
    net, n_neurons, n_classes = classifier(student)
    info = student.describe(net)
    expect(info.type == "DeepNetSoftmax", f"net should be a DeepNetSoftmax, got a {info.type}")
    expected = {"in_layer.weight": [N_HIDDEN, n_neurons], "in_layer.bias": [N_HIDDEN],
                "out_layer.weight": [n_classes, N_HIDDEN], "out_layer.bias": [n_classes]}
    expect(info.parameters == expected,
           f"net should take the {n_neurons} neurons as inputs, have {N_HIDDEN} hidden units and n_classes "
           f"({n_classes}) outputs")


@pytest.mark.points(1)
@pytest.mark.counts_if("net_depends_on_the_responses")
def test_net_outputs_log_probabilities_of_each_class(student, gen):
    net, n_neurons, n_classes = classifier(student)
    fresh_weights(student, net, gen, 0.1)
    batch = draw(gen, 5, 30)
    out = expect_tensor(net(torch.randn(batch, n_neurons, generator=gen)), shape=(batch, n_classes),
                        dtype="float", what=f"the output of net for {batch} stimuli")
    expect_close(out.double().exp().sum(dim=1), torch.ones(batch, dtype=torch.float64), rtol=0, atol=1e-4,
                 what="the probabilities net gives each stimulus (exp of its outputs), summed over the classes",
                 on=f"a batch of {batch} stimuli",
                 hint="the network should output log probabilities (a DeepNetSoftmax does)")


@pytest.mark.points(1.5)
# The exercise is the cell's two lines, net and loss_fn, graded together (as mse_loss's): the
# tutorial's own loss next to a net that computes nothing is not a classifier.
@pytest.mark.counts_if("net_depends_on_the_responses")
def test_loss_fn_is_the_mean_negative_log_likelihood(student, gen):
    loss_fn = loss_function(student)
    for _ in range(3):
        log_probs, labels = nll_inputs(gen)
        got = expect_tensor(loss_fn(log_probs, labels), shape=(), dtype="float",
                            what="loss_fn(log_probs, classes)")
        expect_close(got, F.nll_loss(log_probs, labels), rtol=1e-5, atol=1e-6,
                     what="loss_fn", on=f"a batch of {log_probs.shape[0]} stimuli and {log_probs.shape[1]} classes",
                     hint="use PyTorch's built-in negative log likelihood loss, averaged over the batch")
