"""Public tests for mnist-mlp: run them with `grader check mnist-mlp.ipynb`.

They use the tutorial's own examples and small made-up data. Passing them is a
good sign, not a guarantee: the graded (hidden) tests try many more inputs.
"""

import re

import numpy as np
import pytest
import torch
import torch.nn as nn

from grader.expect import expect, expect_close, expect_tensor
from grader.student import Handle

REPORT = r"Epoch\s+(-?\d+)\s+done\.\s+Average\s+{split}\s+loss\s*=\s*(\S+)\s*,\s*average\s+{split}\s+accuracy\s*=\s*(\S+)\s*%"


def reported(printed, split):
    """(epoch, loss, accuracy in %) from the last report line the template prints."""
    found = re.findall(REPORT.format(split=split), printed)
    expect(bool(found), f"the function should print the template's line \"Epoch ... done. Average {split} loss = "
                        f"..., average {split} accuracy = ...%\"")
    epoch, loss, accuracy = found[-1]
    return int(epoch), float(loss), float(accuracy)


def small_classifier(student, gen):
    """A classifier built on the student's side from torch's layers, its twin here, and 97 labelled 8x8 images.

    97 is prime: a round accuracy (10%, 50%) printed whatever the data is can never be right by chance.
    """
    layers = [("Flatten", ()), ("Linear", (64, 16)), ("ReLU", ()), ("Linear", (16, 10))]
    twin = nn.Sequential(*[getattr(nn, name)(*args) for name, args in layers])
    with torch.no_grad():
        for param in twin.parameters():
            param.copy_(0.1 * torch.randn(param.shape, generator=gen))
    model = student.make("torch.nn.Sequential", *[student.make(f"torch.nn.{name}", *args) for name, args in layers])
    student.load_state_dict(model, twin.state_dict())
    images = torch.randn(97, 1, 8, 8, generator=gen)
    labels = torch.randint(0, 10, (97,), generator=gen)
    dataset = student.make("torch.utils.data.TensorDataset", images, labels)
    loader = student.make("torch.utils.data.DataLoader", dataset, batch_size=32, shuffle=False)
    with torch.no_grad():
        right = float((twin(images).argmax(dim=-1) == labels).float().mean())
    return model, twin, loader, right


@pytest.mark.exercise("MultiLayerPerceptron")
@pytest.mark.points(0)
def test_forward_with_given_weights(student, gen):
    # The two layers computed by hand: the other tests of the network count only with this one.
    weights = {name: scale * torch.randn(shape, generator=gen)
               for name, shape, scale in (("hidden.weight", (100, 784), 0.1), ("hidden.bias", (100,), 1.0),
                                          ("output.weight", (10, 100), 0.1), ("output.bias", (10,), 1.0))}
    mlp = student.MultiLayerPerceptron()
    student.load_state_dict(mlp, weights)
    x = torch.randn(5, 28, 28, generator=gen)
    hidden = torch.relu(x.reshape(5, 784) @ weights["hidden.weight"].T + weights["hidden.bias"])
    expected = hidden @ weights["output.weight"].T + weights["output.bias"]
    got = expect_tensor(mlp(x), shape=(5, 10), dtype="float", what="the output for a (5, 28, 28) input")
    expect_close(got, expected, rtol=1e-4, atol=1e-4, what="the output with the layers' weights set",
                 hint="flatten x, then apply self.hidden, F.relu and self.output")


@pytest.mark.exercise("MultiLayerPerceptron")
@pytest.mark.points(1)
@pytest.mark.counts_if("forward_with_given_weights")
def test_output_shape_as_in_the_tutorial(student):
    mlp = student.MultiLayerPerceptron()
    expect_tensor(mlp(torch.randn(2, 28, 28)), shape=(2, 10), dtype="float", what="the output for a (2, 28, 28) input")


@pytest.mark.exercise("MultiLayerPerceptron")
@pytest.mark.points(1)
@pytest.mark.counts_if("forward_with_given_weights")
def test_hidden_and_output_layer_sizes(student):
    children = {c.name: c.repr for c in student.describe(student.MultiLayerPerceptron()).children}
    for name, (n_in, n_out) in {"hidden": (784, 100), "output": (100, 10)}.items():
        expect(children.get(name) == f"Linear(in_features={n_in}, out_features={n_out}, bias=True)",
               f"self.{name} should be an nn.Linear layer from {n_in} to {n_out} features, got {children.get(name)}")


@pytest.mark.exercise("optimizer_and_loss")
@pytest.mark.points(1)
def test_optimizer_is_adam_with_learning_rate_1e_2(student):
    # as the exercise's cell left it: the original tutorial's training cell sets it up again
    info = student.describe(student.at_exercise("optimizer_and_loss").optimizer)
    expect(info.type == "Adam", f"optimizer should be torch.optim.Adam, got {info.type}")
    expect(all(g.get("lr") == 1e-2 for g in info.param_groups), "optimizer's learning rate should be 1e-2")


@pytest.mark.exercise("optimizer_and_loss")
@pytest.mark.points(1)
def test_loss_fn_on_a_small_example(student):
    outputs = torch.tensor([[4.0, -2.0, 0.5], [0.0, 0.0, 0.0], [-3.0, 1.0, 8.0]])
    targets = torch.tensor([0, 2, 1])
    loss_fn = student.at_exercise("optimizer_and_loss").loss_fn
    expect(isinstance(loss_fn, Handle), f"loss_fn should be a loss function, got {type(loss_fn).__name__}")
    got = expect_tensor(loss_fn(outputs, targets), shape=(), dtype="float",
                        what="loss_fn(outputs, targets)")
    expect_close(got, nn.CrossEntropyLoss()(outputs, targets), rtol=1e-5, atol=1e-6,
                 what="loss_fn on 3 samples of 3 classes", hint="compare with nn.CrossEntropyLoss")


@pytest.mark.exercise("train")
@pytest.mark.points(1)
def test_train_changes_the_parameters(student, gen):
    model, twin, loader, _ = small_classifier(student, gen)
    optimizer = student.make("torch.optim.Adam", model.method("parameters"), lr=1e-2)
    student.call_printing("train", model, loader, student.make("torch.nn.CrossEntropyLoss"), optimizer)
    after = student.state_dict(model)
    expect(all(not torch.equal(after[k], v) for k, v in twin.state_dict().items()),
           "after one epoch of train, every parameter of the model should have changed")


@pytest.mark.exercise("train")
@pytest.mark.points(1)
@pytest.mark.counts_if("train_changes_the_parameters")  # with a learning rate of 0, not stepping looks right
def test_train_reports_the_accuracy(student, gen):
    model, _, loader, right = small_classifier(student, gen)
    frozen = student.make("torch.optim.SGD", model.method("parameters"), lr=0.0)  # predictions never change
    _, printed = student.call_printing("train", model, loader, student.make("torch.nn.CrossEntropyLoss"), frozen, 2)
    epoch, _, accuracy = reported(printed, "train")
    expect(epoch == 3, "train(..., epoch=2) should report epoch 3")
    expect_close(accuracy, 100 * right, rtol=0, atol=0.0015, what="the accuracy train reports (in %)",
                 hint="acc is the fraction of samples predicted right, over the whole epoch")


@pytest.mark.exercise("test")
@pytest.mark.points(1)
def test_test_reports_the_accuracy(student, gen):
    model, _, loader, right = small_classifier(student, gen)
    _, printed = student.call_printing("test", model, loader, student.make("torch.nn.CrossEntropyLoss"))
    _, _, accuracy = reported(printed, "test")
    expect_close(accuracy, 100 * right, rtol=0, atol=0.0015, what="the accuracy test reports (in %)",
                 hint="acc is the fraction of samples predicted right, over all batches")


@pytest.mark.exercise("test")
@pytest.mark.points(1)
@pytest.mark.counts_if("test_test_reports_the_accuracy")  # a test that ignores the model leaves it unchanged too
def test_test_does_not_change_the_model(student, gen):
    model, twin, loader, _ = small_classifier(student, gen)
    student.call_printing("test", model, loader, student.make("torch.nn.CrossEntropyLoss"))
    after = student.state_dict(model)
    expect(all(torch.equal(after[k], v) for k, v in twin.state_dict().items()),
           "test should not change the model's parameters")


@pytest.mark.exercise("training_run")
@pytest.mark.points(1)
def test_trained_model_classifies_most_test_digits(student, data_files):
    with np.load(data_files["digits28.npz"]) as data:
        images = (torch.from_numpy(data["test_images"]).float().div(255).unsqueeze(1) - 0.1307) / 0.3081
        labels = torch.from_numpy(data["test_labels"])
    model = student.get("model")
    expect(isinstance(model, Handle), f"model should be your trained network, got {type(model).__name__}")
    outputs = expect_tensor(model(images), shape=(len(labels), 10), dtype="float",
                            what="model's output for the test digits")
    accuracy = float((outputs.argmax(dim=-1) == labels).float().mean())
    expect(accuracy >= 0.85, f"model classifies {100 * accuracy:.1f}% of the test digits correctly; after the "
                             f"5-epoch run it should get well over 85%")
