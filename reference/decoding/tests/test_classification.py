"""Hidden tests for `classification` (Bonus exercise 5): `net` and `loss_fn` of the classifier.

In the tutorial's own order the regularization cell that follows rebinds `net` to another
`DeepNetSoftmax` of the same shape and `loss_fn` to `regularized_loss`; this notebook gives
those other names. When `loss_fn` is the notebook's `regularized_loss`, the classifier's
loss is gone and cannot be checked (the engine keeps no earlier values of a name).
"""

import pytest
import torch
import torch.nn.functional as F

from grader.expect import expect, expect_close, expect_tensor
from grader.student import Handle

pytestmark = pytest.mark.exercise("classification")


def draw(gen, low, high):
    return int(torch.randint(low, high, (1,), generator=gen))


def classifier(student):
    """The notebook's `net` (a handle), `n_neurons` and `n_classes`."""
    net = student.get("net")
    expect(isinstance(net, Handle), "net should be the network you built (a DeepNetSoftmax)")
    return net, int(student.get("n_neurons")), int(student.get("n_classes"))


def rebound_to_regularized_loss(student, loss_fn):
    if not (isinstance(loss_fn, Handle) and student.has("regularized_loss")):
        return False
    regularized = student.get("regularized_loss")
    return isinstance(regularized, Handle) and student.describe(loss_fn).repr == student.describe(regularized).repr


@pytest.mark.points(1.5)
def test_net_is_a_DeepNetSoftmax_with_20_hidden_units(student):
    net, n_neurons, n_classes = classifier(student)
    info = student.describe(net)
    expect(info.type == "DeepNetSoftmax", f"net should be a DeepNetSoftmax, got a {info.type}")
    expected = {"in_layer.weight": [20, n_neurons], "in_layer.bias": [20],
                "out_layer.weight": [n_classes, 20], "out_layer.bias": [n_classes]}
    expect(info.parameters == expected,
           f"net should take the {n_neurons} neurons as inputs, have 20 hidden units and n_classes "
           f"({n_classes}) outputs")


@pytest.mark.points(1)
def test_net_outputs_log_probabilities_of_each_class(student, gen):
    net, n_neurons, n_classes = classifier(student)
    # Fresh weights: the notebook trained this net with its own train, which is graded elsewhere.
    shapes = student.describe(net).parameters
    student.load_state_dict(net, {name: 0.1 * torch.randn(shape, generator=gen) for name, shape in shapes.items()})
    batch = draw(gen, 5, 30)
    out = expect_tensor(net(torch.randn(batch, n_neurons, generator=gen)), shape=(batch, n_classes),
                        dtype="float", what=f"the output of net for {batch} stimuli")
    expect_close(out.double().exp().sum(dim=1), torch.ones(batch, dtype=torch.float64), rtol=0, atol=1e-4,
                 what="the probabilities net gives each stimulus (exp of its outputs), summed over the classes",
                 on=f"a batch of {batch} stimuli",
                 hint="the network should output log probabilities (a DeepNetSoftmax does)")


@pytest.mark.points(1.5)
def test_loss_fn_is_the_mean_negative_log_likelihood(student, gen):
    loss_fn = student.get("loss_fn")
    if rebound_to_regularized_loss(student, loss_fn):
        return  # tutorial order: the classifier's loss was replaced and cannot be checked
    expect(isinstance(loss_fn, Handle),
           "loss_fn should be a loss object you can call on log probabilities and classes")
    for _ in range(3):
        batch, n_classes = draw(gen, 5, 40), draw(gen, 3, 21)
        log_probs = torch.log_softmax(3 * torch.randn(batch, n_classes, generator=gen), dim=1)
        labels = torch.randint(0, n_classes, (batch,), generator=gen)
        got = expect_tensor(loss_fn(log_probs, labels), shape=(), dtype="float",
                            what="loss_fn(log_probs, classes)")
        expect_close(got, F.nll_loss(log_probs, labels), rtol=1e-5, atol=1e-6,
                     what="loss_fn", on=f"a batch of {batch} stimuli and {n_classes} classes",
                     hint="use PyTorch's built-in negative log likelihood loss, averaged over the batch")
