"""Hidden tests for `DeepNetReLU`: rectified hidden layer, linear output, the template's layers.

A class with the template's layers whose forward raises, or returns zeros of the right
shape, earns nothing here: the layer test counts only with the forward pass matching the
reference's with the same weights (describe() is what the kernel says; the outputs are what
it computes), and the shape test only with outputs that change with the responses.
"""

import pytest
import torch

from grader.expect import expect, expect_close, expect_responsive, expect_tensor

pytestmark = pytest.mark.exercise("DeepNetReLU")


def draw(gen, low, high):
    return int(torch.randint(low, high, (1,), generator=gen))


def sizes(gen):
    """A random (n_inputs, n_hidden)."""
    return draw(gen, 5, 60), draw(gen, 2, 20)


def check_parameters(student, net, n_inputs, n_hidden):
    got = student.describe(net).parameters
    expected = {"in_layer.weight": [n_hidden, n_inputs], "in_layer.bias": [n_hidden],
                "out_layer.weight": [1, n_hidden], "out_layer.bias": [1]}
    expect(got == expected,
           f"DeepNetReLU({n_inputs}, {n_hidden}) should hold exactly the two nn.Linear layers of the template, "
           f"in_layer ({n_inputs} -> {n_hidden}) and out_layer ({n_hidden} -> 1); its parameters are "
           f"{sorted(got)} with shapes {[got[k] for k in sorted(got)]}")


def build_pair(student, reference, gen, n_inputs, n_hidden, **overrides):
    """The student's net (a handle) and the reference net with the same random weights.

    ``overrides`` set whole parameters (e.g. ``in_layer_bias=...``) after the random draw.
    """
    net = student.DeepNetReLU(n_inputs, n_hidden)
    check_parameters(student, net, n_inputs, n_hidden)
    ref = reference.DeepNetReLU(n_inputs, n_hidden)
    with torch.no_grad():  # weights from the test's generator, not the global RNG
        for name, param in ref.named_parameters():
            param.copy_(0.5 * torch.randn(param.shape, generator=gen))
            if name.replace(".", "_") in overrides:
                param.copy_(overrides[name.replace(".", "_")])
    student.load_state_dict(net, ref.state_dict())
    return net, ref


def decode(net, r, what):
    return expect_tensor(net(r), shape=(r.shape[0], 1), dtype="float", what=what)


@pytest.mark.points(0)
def test_answers_depend_on_the_inputs(student, reference, gen):
    # The network's own initial weights, so this gate holds whatever its layers are called.
    n_inputs, n_hidden = sizes(gen)
    net = student.DeepNetReLU(n_inputs, n_hidden)
    ref = reference.DeepNetReLU(n_inputs, n_hidden)
    with torch.no_grad():
        for param in ref.parameters():
            param.copy_(0.5 * torch.randn(param.shape, generator=gen))
    batch = draw(gen, 2, 30)
    responses = [torch.randn(batch, n_inputs, generator=gen) for _ in range(3)]
    with torch.no_grad():
        expected = [ref(r) for r in responses]
    expect_responsive([net(r) for r in responses], expected, inputs=responses,
                      what=f"the output of DeepNetReLU({n_inputs}, {n_hidden}) for {batch} random responses",
                      hint="forward should decode the orientation from the responses r")


@pytest.mark.points(1)
@pytest.mark.counts_if("forward_matches_reference_with_the_same_weights")
def test_holds_the_two_linear_layers_of_the_template(student, gen):
    n_inputs, n_hidden = sizes(gen)
    check_parameters(student, student.DeepNetReLU(n_inputs, n_hidden), n_inputs, n_hidden)


@pytest.mark.points(1)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_output_is_one_value_per_stimulus(student, gen):
    for _ in range(2):
        n_inputs, n_hidden = sizes(gen)
        batch = draw(gen, 1, 40)
        net = student.DeepNetReLU(n_inputs, n_hidden)
        decode(net, torch.randn(batch, n_inputs, generator=gen),
               what=f"the output of DeepNetReLU({n_inputs}, {n_hidden}) for {batch} stimuli")


@pytest.mark.points(2.5)
def test_forward_matches_reference_with_the_same_weights(student, reference, gen):
    # Output biases far below and far above zero: decoded values of both signs, in every grading.
    for out_bias in (None, -100.0, 100.0):
        n_inputs, n_hidden = sizes(gen)
        overrides = {} if out_bias is None else {"out_layer_bias": torch.tensor([out_bias])}
        net, ref = build_pair(student, reference, gen, n_inputs, n_hidden, **overrides)
        r = 2 * torch.randn(draw(gen, 8, 40), n_inputs, generator=gen)
        got = decode(net, r, what=f"the output of DeepNetReLU({n_inputs}, {n_hidden})")
        with torch.no_grad():
            expected = ref(r)
        expect_close(got, expected, rtol=1e-5, atol=1e-5,
                     what=f"the forward pass of DeepNetReLU({n_inputs}, {n_hidden})",
                     on=f"a batch of {r.shape[0]} random responses",
                     hint="rectify the hidden layer (in_layer followed by a ReLU), then apply out_layer")


@pytest.mark.points(1.5)
def test_hidden_units_are_rectified(student, reference, gen):
    # Half the hidden units always get a large negative input, half a large positive one: a
    # ReLU silences exactly the first half, whatever the responses. The output stays positive,
    # so this checks the hidden layer only.
    n_inputs, n_hidden = draw(gen, 5, 60), 2 * draw(gen, 2, 8)
    bias = torch.tensor([-50.0, 50.0]).repeat(n_hidden // 2)
    net, ref = build_pair(student, reference, gen, n_inputs, n_hidden, in_layer_bias=bias,
                          out_layer_bias=torch.tensor([1000.0]))
    r = 0.1 * torch.randn(draw(gen, 8, 40), n_inputs, generator=gen)
    got = decode(net, r, what=f"the output of DeepNetReLU({n_inputs}, {n_hidden})")
    with torch.no_grad():
        expected = ref(r)
    expect_close(got, expected, rtol=1e-6, atol=1e-4,
                 what="the output when half the hidden units receive a large negative input",
                 on=f"DeepNetReLU({n_inputs}, {n_hidden}) and a batch of {r.shape[0]} stimuli",
                 hint="hidden units with a negative input should output exactly zero (a ReLU), and the "
                      "others their input unchanged")


@pytest.mark.points(1.5)
def test_output_layer_is_linear(student, reference, gen):
    # A large negative output bias: a decoded value must be able to go below zero.
    n_inputs, n_hidden = sizes(gen)
    net, ref = build_pair(student, reference, gen, n_inputs, n_hidden, out_layer_bias=torch.tensor([-100.0]))
    r = torch.randn(draw(gen, 8, 40), n_inputs, generator=gen)
    got = decode(net, r, what=f"the output of DeepNetReLU({n_inputs}, {n_hidden})")
    expect(bool((got < 0).all()),
           "with a large negative bias in out_layer the decoded values should be negative: the output "
           "layer must stay linear (no activation after out_layer)")
    with torch.no_grad():
        expected = ref(r)
    expect_close(got, expected, rtol=1e-5, atol=1e-4, what="the output with a large negative output bias",
                 on=f"DeepNetReLU({n_inputs}, {n_hidden}) and a batch of {r.shape[0]} stimuli",
                 hint="the output is out_layer applied to the rectified hidden units, with nothing after it")
