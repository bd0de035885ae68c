"""Hidden tests for `cross_entropy_loss`: the batch-averaged cross-entropy of logits.

A constant also returns a scalar and is also its own batch average: those two properties
count only while the loss responds to both the logits and the labels, as the reference's does.
"""

import pytest
import torch

from grader.expect import expect_close, expect_responsive, expect_tensor

pytestmark = pytest.mark.exercise("cross_entropy_loss")


def batch(gen, n=None, classes=None):
    """Logits of moderate size (the exp/log form of the template overflows for huge ones)."""
    n = n or int(torch.randint(2, 64, (1,), generator=gen))
    classes = classes or int(torch.randint(2, 11, (1,), generator=gen))
    x = 3 * torch.randn(n, classes, generator=gen)
    labels = torch.randint(0, classes, (n,), generator=gen)
    return x, labels


def size(x):
    """The input size, for failure messages."""
    return f"a batch of {x.shape[0]} samples and {x.shape[1]} classes"


def loss_of(student, x, labels, what="the loss"):
    got = student.cross_entropy_loss(x, labels)
    return expect_tensor(got, shape=(), dtype="float", what=what)


@pytest.mark.points(0)
def test_answers_depend_on_the_inputs(student, reference, gen):
    """The gate of the properties below: the loss changes with the labels, and with the logits."""
    x, labels = batch(gen, n=8, classes=5)
    cases = {
        "the loss of one batch of logits under different labels":
            [(x, labels)] + [(x, torch.randint(0, 5, (8,), generator=gen)) for _ in range(2)],
        "the loss of different logits under the same labels":
            [(x, labels)] + [(3 * torch.randn(8, 5, generator=gen), labels) for _ in range(2)],
    }
    for what, inputs in cases.items():
        got = [loss_of(student, logits, targets) for logits, targets in inputs]
        expected = [reference.cross_entropy_loss(logits, targets) for logits, targets in inputs]
        expect_responsive(got, expected, what=what, hint="each sample's loss depends on its logits and on its label")


@pytest.mark.points(0.5)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_returns_a_scalar_tensor(student, gen):
    x, labels = batch(gen)
    loss_of(student, x, labels, what="the value returned by cross_entropy_loss")


@pytest.mark.points(2)
def test_matches_reference_on_random_batches(student, reference, gen):
    for _ in range(3):
        x, labels = batch(gen)
        got = loss_of(student, x, labels)
        expect_close(got, reference.cross_entropy_loss(x, labels), rtol=1e-5, atol=1e-5,
                     what="cross_entropy_loss on random logits", on=size(x),
                     hint="each sample's loss is minus its label's logit plus the log of the summed exponentials")


@pytest.mark.points(1)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_is_the_average_over_the_batch(student, gen):
    x, labels = batch(gen, n=int(torch.randint(2, 7, (1,), generator=gen)))
    whole = loss_of(student, x, labels)
    doubled = loss_of(student, torch.cat([x, x]), torch.cat([labels, labels]))
    expect_close(doubled, whole, rtol=1e-5, atol=1e-5, what="the loss of a batch repeated twice", on=size(x),
                 hint="the loss should be the batch average, so repeating a batch must not change it")
    singles = torch.stack([loss_of(student, x[i:i + 1], labels[i:i + 1]) for i in range(len(labels))])
    expect_close(whole, singles.mean(), rtol=1e-5, atol=1e-5,
                 what="the loss of a batch compared with its samples' losses one at a time", on=size(x),
                 hint="the loss should be the mean of the per-sample losses")


@pytest.mark.points(1)
def test_single_sample_and_many_classes(student, reference, gen):
    for n, classes in [(1, 3), (4, 50)]:
        x, labels = batch(gen, n=n, classes=classes)
        got = loss_of(student, x, labels)
        expect_close(got, reference.cross_entropy_loss(x, labels), rtol=1e-5, atol=1e-5,
                     what=f"cross_entropy_loss for {n} sample(s) and {classes} classes")


@pytest.mark.points(0.5)
def test_confident_predictions(student):
    # not gated: no constant is both close to 0 and close to 8
    right = torch.tensor([[8.0, 0.0, 0.0], [0.0, 0.0, 8.0]])
    labels = torch.tensor([0, 2])
    small = loss_of(student, right, labels)
    large = loss_of(student, right, torch.tensor([1, 0]))
    expect_close(small, 0.0, rtol=0, atol=1e-2, what="the loss of confident, correct predictions",
                 hint="it should be close to zero")
    expect_close(large, 8.0, rtol=0, atol=1e-2, what="the loss of confident, wrong predictions",
                 hint="it should be large and positive")
