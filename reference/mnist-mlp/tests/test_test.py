"""Hidden tests for `test`: the loss and accuracy it reports, and that it leaves the model alone.

The model and DataLoader are built on the student's side from torch's own
classes (see conftest.py), so only `test` itself is judged.

A `test` that never looks at the model leaves it untouched too: that test counts
only when what `test` reports changes with the data it is given.
"""

import pytest
import torch
import torch.nn as nn

from grader.expect import expect, expect_close, expect_responsive

pytestmark = pytest.mark.exercise("test")


def partly_right_targets(pair, gen, fraction=0.6):
    """Targets that the twin model predicts for about ``fraction`` of the samples, random labels for the rest."""
    with torch.no_grad():
        predictions = pair.ref(pair.inputs).argmax(dim=-1)
    right = torch.rand(len(predictions), generator=gen) < fraction
    pair.targets = torch.where(right, predictions, pair.targets)


def evaluate_both(student, reference, pair, printing, *, loss=("CrossEntropyLoss", {}), epoch=-1):
    """The student's `test` on their model and the reference on its twin; both prints."""
    loss_name, loss_kwargs = loss
    their_loss = student.make(f"torch.nn.{loss_name}", **loss_kwargs)
    _, printed = student.call_printing("test", pair.model, pair.loader(student), their_loss, epoch)
    expected = printing(reference.test, pair.ref, pair.ref_loader(), getattr(nn, loss_name)(**loss_kwargs), epoch)
    return printed, expected


@pytest.mark.points(0)
def test_report_depends_on_the_data(student, reference, classifier_pair, printing, report, reference_report, gen):
    # Two models on other images and labels: a report printed without looking at them stays the same.
    got, expected = [], []
    for fraction in (0.2, 0.7):
        pair = classifier_pair(weight_scale=0.2, batch_size=64)
        partly_right_targets(pair, gen, fraction=fraction)
        printed, ours = evaluate_both(student, reference, pair, printing)
        got.append(report(printed, "test", "test")[1:])
        expected.append(reference_report(ours, "test")[1:])
    expect_responsive(got, expected, what="what test reports (its average loss and accuracy)",
                      hint="compute them from the model's outputs on the batches of test_loader")


@pytest.mark.points(2.5)
def test_reports_the_test_accuracy(student, reference, classifier_pair, printing, report, reference_report, gen):
    pair = classifier_pair(weight_scale=0.2, batch_size=64)
    partly_right_targets(pair, gen)
    epoch = int(torch.randint(0, 20, (1,), generator=gen))
    printed, expected = evaluate_both(student, reference, pair, printing, epoch=epoch)
    got_epoch, _, got_accuracy = report(printed, "test", "test")
    expect(got_epoch == epoch + 1, f"test(..., epoch={epoch}) should report epoch {epoch + 1}")
    expect_close(got_accuracy, reference_report(expected, "test")[2], rtol=0, atol=0.0015,
                 what="the average test accuracy test reports (in %)", on=pair.size,
                 hint="acc is the fraction of all the test samples whose prediction equals the target "
                      "(the template prints acc * 100)")


@pytest.mark.points(2)
def test_reports_the_average_test_loss(student, reference, classifier_pair, printing, report, reference_report,
                                       gen):
    pair = classifier_pair(weight_scale=0.5, batch_size=64, channel=False)  # large logits: a large loss
    partly_right_targets(pair, gen)
    printed, expected = evaluate_both(student, reference, pair, printing)
    expect_close(report(printed, "test", "test")[1], reference_report(expected, "test")[1],
                 rtol=0, atol=0.011, what="the average test loss test reports", on=pair.size,
                 hint="loss is the loss function applied to the model's raw outputs and the targets")


@pytest.mark.points(1.5)
def test_uses_the_loss_function_it_is_given(student, reference, classifier_pair, printing, report, reference_report,
                                            gen):
    pair = classifier_pair(weight_scale=0.2, batch_size=64)
    partly_right_targets(pair, gen, fraction=0.3)
    printed, expected = evaluate_both(student, reference, pair, printing, loss=("MultiMarginLoss", {"margin": 2.0}))
    expect_close(report(printed, "test", "test")[1], reference_report(expected, "test")[1],
                 rtol=0, atol=0.011, what="the average test loss test reports for a multi-class hinge loss",
                 on=pair.size,
                 hint="compute the loss with the loss_fn argument")


@pytest.mark.points(2)
@pytest.mark.counts_if("report_depends_on_the_data")
def test_leaves_the_model_untouched(student, reference, classifier_pair, printing):
    pair = classifier_pair()
    before = student.state_dict(pair.model)
    evaluate_both(student, reference, pair, printing)
    after = student.state_dict(pair.model)
    expect(before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before),
           "test changed the model's parameters: testing should only compute outputs and the loss")
    norm = student.make("torch.nn.utils.clip_grad_norm_", pair.model.method("parameters"), 1e9)
    expect(isinstance(norm, torch.Tensor) and float(norm) == 0.0,
           "test computed gradients of the model's parameters: there is no backpropagation in testing")
