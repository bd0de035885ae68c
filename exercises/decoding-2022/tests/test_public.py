"""Public tests for decoding-2022: run them with `grader check decoding-2022.ipynb`.

They use the notebook's own data and simple properties. Passing them is a good sign,
not a guarantee: the graded (hidden) tests try many more inputs.
"""

import pytest
import torch

from grader.expect import expect, expect_close, expect_tensor


@pytest.mark.exercise("DeepNetReLU")
@pytest.mark.points(1)
def test_deepnetrelu_with_known_weights(student, gen):
    # Two hidden units always silenced by a large negative bias, two always on, and an output
    # bias far below zero: the answer is out_layer applied to the rectified hidden layer.
    net = student.DeepNetReLU(6, 4)
    state = {"in_layer.weight": torch.randn(4, 6, generator=gen),
             "in_layer.bias": torch.tensor([-100.0, 100.0, -100.0, 100.0]),
             "out_layer.weight": 0.5 * torch.randn(1, 4, generator=gen), "out_layer.bias": torch.tensor([-300.0])}
    student.load_state_dict(net, state)
    r = torch.randn(5, 6, generator=gen)  # of both signs: the ReLU belongs after in_layer, not before
    out = expect_tensor(net(r), shape=(5, 1), dtype="float", what="the output of DeepNetReLU(6, 4) for 5 stimuli")
    hidden = torch.relu(r @ state["in_layer.weight"].T + state["in_layer.bias"])
    expect_close(out, hidden @ state["out_layer.weight"].T + state["out_layer.bias"], rtol=1e-5, atol=1e-4,
                 what="the output of DeepNetReLU(6, 4) with known weights",
                 hint="a ReLU silences the hidden units with a negative input and keeps the others as they are; "
                      "the output layer has no activation")


@pytest.mark.exercise("DeepNetReLU")
@pytest.mark.points(1)
@pytest.mark.counts_if("deepnetrelu_with_known_weights")
def test_deepnetrelu_decodes_one_value_per_stimulus(student):
    n_neurons = student.get("n_neurons")
    net = student.DeepNetReLU(n_neurons, 10)
    responses = student.get("resp_train")[:20]
    expect_tensor(net(responses), shape=(20, 1), dtype="float",
                  what="the output of DeepNetReLU(n_neurons, 10) for 20 stimuli")


@pytest.mark.exercise("train")
@pytest.mark.points(1)
def test_train_follows_gradient_descent_on_a_parabola(student, gen):
    # One weight w, one input 1, target 0: the MSE is w ** 2 and its gradient 2 * w, so each
    # step of gradient descent at learning rate 0.1 multiplies w by 0.8 and the loss by 0.64.
    net = student.make("torch.nn.Linear", 1, 1, bias=False)
    w0 = 1 + torch.rand(1, 1, generator=gen)
    student.load_state_dict(net, {"weight": w0})
    result = student.train(net, student.make("torch.nn.MSELoss"), torch.ones(1, 1), torch.zeros(1, 1), 5, 0.1)
    expect(isinstance(result, list) and len(result) == 5, "train(..., n_epochs=5) should return a list of 5 losses")
    expected = float(w0) ** 2 * 0.64 ** torch.arange(5, dtype=torch.float64)
    expect_close(torch.tensor(result, dtype=torch.float64), expected, rtol=1e-4, atol=1e-7,
                 what="the losses of train on the loss w ** 2 (learning rate 0.1)",
                 hint="each epoch should clear the gradients, backpropagate the loss and take one step; "
                      "the first loss is that of the untrained network")


@pytest.mark.exercise("train")
@pytest.mark.points(1)
@pytest.mark.counts_if("train_follows_gradient_descent_on_a_parabola")
def test_train_by_default_runs_50_epochs(student, gen):
    net = student.make("torch.nn.Linear", 3, 1)
    data = torch.randn(30, 3, generator=gen)
    result = student.train(net, student.make("torch.nn.MSELoss"), data, data[:, :1])
    expect(isinstance(result, list) and len(result) == 50,
           "train without n_epochs should run the template's default of 50 epochs and return 50 losses")
