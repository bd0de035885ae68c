"""Public tests for decoding: run them with `grader check decoding.ipynb`.

They use the notebook's own examples and simple properties. Passing them is a good sign,
not a guarantee: the graded (hidden) tests try many more inputs. Names an exercise's cell
sets are read as that cell left them (``student.at_exercise``) when grading; in your own
session they are read as they are now.
"""

import pytest
import torch
import torch.nn.functional as F

from grader.expect import expect, expect_close, expect_tensor


# A public test that an answer of the right shape alone would pass counts, when graded, only
# with the hidden tests named in counts_if (in your own session it counts as it is).
@pytest.mark.exercise("DeepNetReLU")
@pytest.mark.points(1)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_deepnetrelu_decodes_one_value_per_stimulus(student):
    n_neurons = student.get("n_neurons")
    net = student.DeepNetReLU(n_neurons, 10)
    responses = student.get("resp_train")[:20]
    expect_tensor(net(responses), shape=(20, 1), dtype="float",
                  what="the output of DeepNetReLU(n_neurons, 10) for 20 stimuli")


@pytest.mark.exercise("DeepNetReLU")
@pytest.mark.points(1)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_deepnetrelu_silent_hidden_layer_gives_the_output_bias(student, gen):
    net = student.DeepNetReLU(6, 4)
    state = {"in_layer.weight": torch.randn(4, 6, generator=gen), "in_layer.bias": torch.full((4,), -100.0),
             "out_layer.weight": torch.randn(1, 4, generator=gen), "out_layer.bias": torch.tensor([-3.0])}
    student.load_state_dict(net, state)
    out = expect_tensor(net(torch.rand(5, 6, generator=gen)), shape=(5, 1), dtype="float", what="the output")
    expect_close(out, torch.full((5, 1), -3.0), rtol=0, atol=1e-5,
                 what="the output when every hidden unit gets a large negative input",
                 hint="a ReLU silences those hidden units, so only out_layer's bias is left (and the output "
                      "layer has no activation)")


@pytest.mark.exercise("mse_loss")
@pytest.mark.points(1)
def test_mse_loss_is_the_mse_of_the_cells_batch(student):
    cell = student.at_exercise("mse_loss")
    loss = cell.get("loss")
    expect(isinstance(loss, (torch.Tensor, float)), "loss should be the value of the loss function")
    out = expect_tensor(cell.get("out"), dtype="float", what="out (the cell's decoded orientations)")
    ori = expect_tensor(cell.get("ori"), dtype="float", what="ori (the cell's true orientations)")
    expect_close(loss, ((out - ori) ** 2).mean(), rtol=1e-4, atol=1e-3,
                 what="loss, compared with the mean squared error of out and ori",
                 hint="call nn.MSELoss() on out and ori")


@pytest.mark.exercise("train")
@pytest.mark.points(1)
def test_train_follows_gradient_descent_on_a_parabola(student, gen):
    # One weight w, one input 1, target 0: the MSE is w ** 2 and its gradient 2 * w, so each
    # step of gradient descent at learning rate 0.1 multiplies w by 0.8 and the loss by 0.64.
    net = student.make("torch.nn.Sequential")
    net.method("add_module", "in_layer", student.make("torch.nn.Linear", 1, 1, bias=False))
    w0 = 1 + torch.rand(1, 1, generator=gen)
    student.load_state_dict(net, {"in_layer.weight": w0})
    # positional, in the template's order: n_iter, then learning_rate
    result = student.train(net, student.make("torch.nn.MSELoss"), torch.ones(1, 1), torch.zeros(1, 1), 5, 0.1)
    expect(isinstance(result, list) and len(result) == 5,
           "train(..., n_iter=5) without test data should return a list of 5 losses")
    expected = float(w0) ** 2 * 0.64 ** torch.arange(5, dtype=torch.float64)
    expect_close(torch.tensor(result, dtype=torch.float64), expected, rtol=1e-4, atol=1e-7,
                 what="the losses of train on the loss w ** 2 (learning rate 0.1)",
                 hint="each iteration should clear the gradients, backpropagate the loss and take one step; "
                      "the first loss is that of the untrained network")


@pytest.mark.exercise("train")
@pytest.mark.points(1)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_train_returns_test_losses_when_given_test_data(student, gen):
    net = student.make("torch.nn.Sequential")
    net.method("add_module", "in_layer", student.make("torch.nn.Linear", 3, 1))
    data = torch.randn(40, 3, generator=gen)
    # positional, in the template's order: n_iter, learning_rate, test_data, test_labels
    result = student.train(net, student.make("torch.nn.MSELoss"), data[:30], data[:30, :1], 10, 0.1,
                           data[30:], data[30:, :1])
    expect(isinstance(result, (tuple, list)) and len(result) == 2 and all(len(part) == 10 for part in result),
           "with test data, train should return the training losses and the test losses (10 of each)")


@pytest.mark.exercise("weight_sorting")
@pytest.mark.points(1)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_isort_sorts_the_preferred_orientations(student):
    cell = student.at_exercise("weight_sorting")
    preferred = expect_tensor(cell.get("preferred_orientation"), shape=(student.get("n_neurons"),),
                              allow_numpy=True, what="preferred_orientation (one value per neuron)")
    isort = expect_tensor(cell.get("isort"), shape=tuple(preferred.shape), allow_numpy=True, what="isort")
    ordered = preferred[isort.long()]
    expect(bool((ordered[1:] >= ordered[:-1]).all()), "preferred_orientation[isort] should be increasing")
    W_in_sorted = expect_tensor(cell.get("W_in_sorted"), allow_numpy=True, what="W_in_sorted")
    expect(W_in_sorted.dim() == 2 and W_in_sorted.shape[1] == preferred.shape[0],
           "W_in_sorted should have the shape of W_in: hidden units x neurons")


@pytest.mark.exercise("classification")
@pytest.mark.points(1)
@pytest.mark.counts_if("net_computes_a_DeepNetSoftmax_with_the_same_weights")  # describe() counts only with it
def test_classification_net_and_loss(student):
    cell = student.at_exercise("classification")
    cell.get("n_classes")  # the name only this exercise's cell binds: did it run?
    info = student.describe(cell.get("net"))
    expect(info.type == "DeepNetSoftmax", f"net should be a DeepNetSoftmax, got a {info.type}")
    expect(info.parameters.get("in_layer.weight", [None])[0] == 20, "net should have 20 hidden units")
    log_probs = torch.log_softmax(torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]]), dim=1)
    labels = torch.tensor([0, 1])
    expect_close(cell.get("loss_fn")(log_probs, labels), F.nll_loss(log_probs, labels), rtol=1e-5, atol=1e-6,
                 what="loss_fn on two stimuli", hint="use PyTorch's negative log likelihood loss")


@pytest.mark.exercise("regularized_loss")
@pytest.mark.points(1)
def test_regularized_loss_without_penalties_is_the_nll(student, gen):
    log_probs = torch.log_softmax(torch.randn(6, 4, generator=gen), dim=1)
    labels = torch.randint(0, 4, (6,), generator=gen)
    weights = torch.randn(3, 5, generator=gen)
    got = expect_tensor(student.regularized_loss(log_probs, labels, weights), shape=(), dtype="float",
                        what="regularized_loss with no penalties")
    expect_close(got, F.nll_loss(log_probs, labels), rtol=1e-5, atol=1e-6,
                 what="regularized_loss with both penalties 0", hint="start from nn.NLLLoss() of output and target")


@pytest.mark.exercise("regularized_loss")
@pytest.mark.points(1)
def test_regularized_loss_adds_both_penalties(student):
    log_probs = torch.log_softmax(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), dim=1)
    labels = torch.tensor([0, 1])
    weights = torch.tensor([[1.0, -2.0], [0.5, 0.0]])
    nll = F.nll_loss(log_probs, labels)
    got = student.regularized_loss(log_probs, labels, weights, 0.1, 0.01)
    # sum of squares 5.25, sum of absolute values 3.5
    expect_close(got, nll + 0.1 * 5.25 + 0.01 * 3.5, rtol=1e-5, atol=1e-6,
                 what="regularized_loss(output, target, [[1, -2], [0.5, 0]], L2_penalty=0.1, L1_penalty=0.01)",
                 hint="add L2_penalty * (sum of squared weights) + L1_penalty * (sum of absolute weights)")
