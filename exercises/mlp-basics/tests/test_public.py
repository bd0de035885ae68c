"""Public tests for mlp-basics: run them with `grader check mlp-basics.ipynb`.

They use the tutorial's own examples. Passing them is a good sign, not a guarantee:
the graded (hidden) tests try many more inputs. In grading, the shape and name checks
here count only while the graded tests find that your code does the work (``counts_if``
names those tests; ``grader check`` runs without them and counts these as they are).
"""

import math

import pytest
import torch
import torch.nn as nn

from grader.expect import expect, expect_close, expect_tensor


def sine_training_data():
    x_train = torch.linspace(0, 2 * math.pi, 10).view(-1, 1)
    return x_train, torch.sin(x_train)


@pytest.mark.exercise("approximate_function")
@pytest.mark.points(1)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_approximate_function_shapes_on_the_sine_example(student):
    x_train, y_train = sine_training_data()
    result = student.approximate_function(x_train, y_train)
    expect(isinstance(result, (tuple, list)) and len(result) == 3,
           "approximate_function should return y_hat, relu_acts, x")
    expect_tensor(result[0], shape=(1000,), dtype="float", what="y_hat")
    expect_tensor(result[1], shape=(9, 1000), dtype="float", what="relu_acts (9 ReLUs for 10 points)")
    expect_tensor(result[2], shape=(1000,), dtype="float", what="x")


@pytest.mark.exercise("approximate_function")
@pytest.mark.points(1)
def test_approximate_function_follows_the_sine(student):
    x_train, y_train = sine_training_data()
    y_hat, _, x = student.approximate_function(x_train, y_train)
    expect_close(x[[0, -1]], torch.tensor([0.0, 2 * math.pi]), rtol=1e-5, atol=1e-5,
                 what="the ends of the grid x", hint="x should run from min(x_train) to max(x_train)")
    expect_close(y_hat, torch.sin(x), rtol=0, atol=0.1, what="y_hat on the sine example",
                 hint="with 10 points, the estimate should stay close to sin(x)")


@pytest.mark.exercise("Net")
@pytest.mark.points(1)
@pytest.mark.counts_if("outputs_depend_on_the_inputs")
def test_net_output_shape_as_in_the_tutorial(student):
    # the tutorial's call, positionally: (actv, input_feature_num, hidden_unit_nums, output_feature_num)
    net = student.Net("LeakyReLU(0.1)", 2, [100, 10, 5], 1)
    expect_tensor(net(torch.zeros((100, 2))), shape=(100, 1), dtype="float", what="the output for a (100, 2) input")


@pytest.mark.exercise("Net")
@pytest.mark.points(1)
@pytest.mark.counts_if("forward_matches_reference_with_the_same_weights")
def test_net_layer_names(student):
    mlp = student.Net("ReLU()", 2, [8, 4], 3).attr("mlp")
    names = [child.name for child in student.describe(mlp).children]
    expect(names == ["Linear_0", "Activation_0", "Linear_1", "Activation_1", "Output_Linear"],
           f"Net('ReLU()', 2, [8, 4], 3).mlp should contain Linear_0, Activation_0, Linear_1, Activation_1, "
           f"Output_Linear in that order, got {names}")


@pytest.mark.exercise("cross_entropy_loss")
@pytest.mark.points(1)
def test_cross_entropy_tutorial_example(student):
    labels = torch.tensor([0, 1])
    x = torch.tensor([[10.0, 1.0, -1.0, -20.0],
                      [10.0, 10.0, 2.0, -10.0]])
    got = expect_tensor(student.cross_entropy_loss(x, labels), shape=(), dtype="float", what="the loss")
    expect_close(got, nn.CrossEntropyLoss()(x, labels), rtol=0, atol=1e-6,
                 what="the loss of the tutorial's example", hint="compare with nn.CrossEntropyLoss")


@pytest.mark.exercise("cross_entropy_loss")
@pytest.mark.points(1)
def test_cross_entropy_matches_pytorch_on_random_logits(student, gen):
    x = 3 * torch.randn(8, 5, generator=gen)
    labels = torch.randint(0, 5, (8,), generator=gen)
    got = expect_tensor(student.cross_entropy_loss(x, labels), shape=(), dtype="float", what="the loss")
    expect_close(got, nn.CrossEntropyLoss()(x, labels), rtol=1e-5, atol=1e-5,
                 what="the loss of random logits", on="a batch of 8 samples and 5 classes",
                 hint="compare with nn.CrossEntropyLoss")


@pytest.mark.exercise("shuffle_and_split_data")
@pytest.mark.points(1)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_split_sizes(student, gen):
    X = torch.randn(4000, 2, generator=gen)
    y = torch.randint(0, 4, (4000,), generator=gen).float()
    result = student.shuffle_and_split_data(X, y, 2021)
    expect(isinstance(result, (tuple, list)) and len(result) == 4,
           "shuffle_and_split_data should return X_test, y_test, X_train, y_train")
    for value, name, shape in zip(result, ("X_test", "y_test", "X_train", "y_train"),
                                  ((800, 2), (800,), (3200, 2), (3200,))):
        expect_tensor(value, shape=shape, what=f"{name} for 4000 samples")


@pytest.mark.exercise("shuffle_and_split_data")
@pytest.mark.points(1)
def test_split_is_a_shuffle_of_the_data(student):
    X = torch.arange(100.0).view(50, 2)
    y = torch.arange(50.0)
    X_test, y_test, X_train, y_train = student.shuffle_and_split_data(X, y, 2021)
    rows = torch.cat([y_test, y_train])
    expect(torch.equal(rows.sort().values, y), "every sample should land in exactly one of the two splits")
    expect(not torch.equal(rows, y), "the samples should be shuffled before splitting")
    expect(torch.equal(torch.cat([X_test, X_train]), X[rows.long()]),
           "X and y should be shuffled with the same permutation")
