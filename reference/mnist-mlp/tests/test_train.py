"""Hidden tests for `train`: one epoch of updates like the reference, and the loss and accuracy it reports.

The model, DataLoader, loss and optimizer are built on the student's side from
torch's own classes (see conftest.py), so only `train` itself is judged.

The report tests train with a learning rate of 0, where a `train` that never
steps reports exactly what the reference does: they count only once `train` is
seen to move the parameters at all.
"""

import pytest
import torch
import torch.nn as nn

from grader.expect import expect, expect_close, expect_responsive

pytestmark = pytest.mark.exercise("train")

# The report tests train with a learning rate of 0: the predictions then do not depend on how
# well the parameters are updated (the tests above judge that), only on how they are reported.
FROZEN = ("SGD", {"lr": 0.0})
HINT = ("for every batch: zero the gradients, compute the outputs and the loss, backpropagate, "
        "then take one optimizer step")


def train_both(student, reference, pair, printing, *, optimizer, loss=("CrossEntropyLoss", {}), epoch=-1):
    """One epoch of the student's `train` on their model and of the reference on its twin; both prints."""
    (opt_name, opt_kwargs), (loss_name, loss_kwargs) = optimizer, loss
    theirs = student.make(f"torch.optim.{opt_name}", pair.model.method("parameters"), **opt_kwargs)
    their_loss = student.make(f"torch.nn.{loss_name}", **loss_kwargs)
    _, printed = student.call_printing("train", pair.model, pair.loader(student), their_loss, theirs, epoch)
    ours = getattr(torch.optim, opt_name)(pair.ref.parameters(), **opt_kwargs)
    expected = printing(reference.train, pair.ref, pair.ref_loader(), getattr(nn, loss_name)(**loss_kwargs), ours,
                        epoch)
    return printed, expected


def parameters_of(student, pair, what):
    """The student's model's parameters, in the order of its twin's (a name it lost fails)."""
    got = student.state_dict(pair.model)
    missing = [name for name in pair.ref.state_dict() if name not in got]
    expect(not missing, f"after {what}, the model lost its parameter(s) {', '.join(missing)}")
    return [got[name] for name in pair.ref.state_dict()]


def expect_same_parameters(student, pair, what):
    for (name, expected), got in zip(pair.ref.state_dict().items(), parameters_of(student, pair, what)):
        expect_close(got, expected, rtol=1e-4, atol=1e-5, what=f"parameter {name} after {what}",
                     on=pair.size, hint=HINT)


@pytest.mark.points(0)
def test_training_moves_the_parameters(student, reference, classifier_pair, printing):
    # Two models: a train that never takes a step hands both back as they were.
    got, expected, before = [], [], []
    for _ in range(2):
        pair = classifier_pair()
        before.append([value.clone() for value in pair.ref.state_dict().values()])
        train_both(student, reference, pair, printing, optimizer=("SGD", {"lr": 0.1}))
        got.append(parameters_of(student, pair, what="one epoch of train"))
        expected.append(list(pair.ref.state_dict().values()))
    expect_responsive(got, expected, inputs=before, what="the model after one epoch of train with SGD", hint=HINT)


@pytest.mark.points(3)
def test_one_epoch_updates_the_parameters_like_the_reference(student, reference, classifier_pair, printing):
    pair = classifier_pair()
    train_both(student, reference, pair, printing, optimizer=("SGD", {"lr": 0.1, "momentum": 0.9}))
    expect_same_parameters(student, pair, what="one epoch of train with SGD")


@pytest.mark.points(2)
def test_uses_the_optimizer_and_loss_it_is_given(student, reference, classifier_pair, printing):
    pair = classifier_pair(channel=False)
    train_both(student, reference, pair, printing, optimizer=("Adam", {"lr": 1e-2, "eps": 1e-3}),
               loss=("CrossEntropyLoss", {"label_smoothing": 0.2}))
    expect_same_parameters(student, pair, what="one epoch of train with Adam and a label-smoothing loss")


@pytest.mark.points(2.5)
@pytest.mark.counts_if("training_moves_the_parameters")
def test_reports_the_training_accuracy(student, reference, classifier_pair, printing, report, reference_report,
                                       gen):
    pair = classifier_pair(weight_scale=0.1)
    epoch = int(torch.randint(0, 20, (1,), generator=gen))
    printed, expected = train_both(student, reference, pair, printing, optimizer=FROZEN, epoch=epoch)
    got_epoch, _, got_accuracy = report(printed, "train", "train")
    expect(got_epoch == epoch + 1, f"train(..., epoch={epoch}) should report epoch {epoch + 1}")
    expect_close(got_accuracy, reference_report(expected, "train")[2], rtol=0, atol=0.0015,
                 what="the average train accuracy train reports (in %)", on=pair.size,
                 hint="acc is the fraction of all the epoch's samples whose prediction equals the target "
                      "(the template prints acc * 100)")


@pytest.mark.points(1.5)
@pytest.mark.counts_if("training_moves_the_parameters")
def test_reports_the_average_training_loss(student, reference, classifier_pair, printing, report,
                                           reference_report):
    pair = classifier_pair(weight_scale=0.3)
    printed, expected = train_both(student, reference, pair, printing, optimizer=FROZEN)
    expect_close(report(printed, "train", "train")[1], reference_report(expected, "train")[1],
                 rtol=0, atol=0.011, what="the average train loss train reports", on=pair.size,
                 hint="loss is the loss function applied to the model's outputs and the targets")
