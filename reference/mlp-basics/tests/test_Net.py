"""Hidden tests for `Net`: layer names and order, activations, parameters and the forward pass.

The structure tests read the net through ``student.describe``, which the student's own
code could fake; they count only while the forward pass matches the reference's with the
same weights. The output shape counts only while the outputs respond to the inputs, so a
forward that returns zeros (or its input) of the right shape earns nothing.
"""

import pytest
import torch

from grader.expect import expect, expect_close, expect_responsive, expect_tensor

pytestmark = pytest.mark.exercise("Net")
BEHAVES_LIKE_THE_REFERENCE = pytest.mark.counts_if("forward_matches_reference_with_the_same_weights")

ACTIVATIONS = ["ReLU()", "LeakyReLU(0.1)", "Tanh()", "Sigmoid()", "ELU(alpha=0.5)"]


def draw(gen, low, high):
    return int(torch.randint(low, high, (1,), generator=gen))


def architecture(gen, *, min_hidden=1):
    """A random (actv, input_feature_num, hidden_unit_nums, output_feature_num)."""
    actv = ACTIVATIONS[draw(gen, 0, len(ACTIVATIONS))]
    hidden = [draw(gen, 3, 20) for _ in range(draw(gen, min_hidden, 4))]
    return actv, draw(gen, 2, 9), hidden, draw(gen, 1, 6)


def describe_call(arch):
    actv, n_in, hidden, n_out = arch
    return f"Net({actv!r}, {n_in}, {hidden}, {n_out})"


def build_pair(student, reference, arch, gen):
    """The student's net (a handle) and the reference net, both with the same random weights."""
    net = student.Net(*arch)
    ref = reference.Net(*arch)
    with torch.no_grad():  # weights from the test's generator, not the global RNG
        for param in ref.parameters():
            param.copy_(0.5 * torch.randn(param.shape, generator=gen))
    check_parameter_names(student, net, ref, arch)
    student.load_state_dict(net, ref.state_dict())
    return net, ref


def check_parameter_names(student, net, ref, arch):
    got = student.describe(net).parameters
    expected = {name: list(p.shape) for name, p in ref.named_parameters()}
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    expect(not missing and not extra,
           f"{describe_call(arch)} should hold exactly the parameters of its Linear layers named as in the "
           f"template (mlp.Linear_<i>, mlp.Output_Linear); missing: {', '.join(missing) or 'none'}; "
           f"unexpected: {', '.join(extra) or 'none'}")
    wrong = sorted(name for name in expected if got[name] != expected[name])
    expect(not wrong, f"{describe_call(arch)}: these parameters have the wrong shape: {', '.join(wrong)}")


def forward(net, x, n_out, what):
    return expect_tensor(net(x), shape=(x.shape[0], n_out), dtype="float", what=what)


@pytest.mark.points(0)
def test_outputs_depend_on_the_inputs(student, reference, gen):
    """The gate of the output shape: a forward of zeros or of its own input has the right shape too.

    As many outputs as inputs here, so that handing the input back is of the right shape. No
    ReLU: freshly initialised, a narrow ReLU net is now and then dead (constant) on every input.
    """
    _, n_in, hidden, _ = architecture(gen)
    never_flat = [actv for actv in ACTIVATIONS if actv != "ReLU()"]
    arch = (never_flat[draw(gen, 0, len(never_flat))], n_in, hidden, n_in)
    net, ref = student.Net(*arch), reference.Net(*arch)  # each with its own initial weights
    batches = [torch.randn(16, n_in, generator=gen) for _ in range(3)]
    got = [forward(net, x, n_in, what=f"the output of {describe_call(arch)}") for x in batches]
    with torch.no_grad():
        expected = [ref(x) for x in batches]
    expect_responsive(got, expected, what=f"the output of {describe_call(arch)}", inputs=batches,
                      hint="the output should be computed from the input by the layers of mlp")


@pytest.mark.points(1)
@pytest.mark.counts_if("outputs_depend_on_the_inputs")
def test_output_shape(student, gen):
    for _ in range(2):
        arch = architecture(gen)
        net = student.Net(*arch)
        batch = draw(gen, 1, 33)
        forward(net, torch.randn(batch, arch[1], generator=gen), arch[3],
                what=f"the output of {describe_call(arch)} for {batch} samples")


@pytest.mark.points(1.5)
@BEHAVES_LIKE_THE_REFERENCE
def test_layers_are_named_and_ordered_like_the_template(student, reference, gen):
    arch = architecture(gen, min_hidden=2)
    mlp = student.Net(*arch).attr("mlp")
    children = student.describe(mlp).children
    expected = list(reference.Net(*arch).mlp.named_children())
    names = [c.name for c in children]
    expect(names == [name for name, _ in expected],
           f"the layers of {describe_call(arch)}.mlp should be Linear_0, Activation_0, Linear_1, ... "
           f"and finally Output_Linear, one Linear and one activation per hidden layer")
    for child, (name, module) in zip(children, expected):
        expect(child.type == type(module).__name__ and child.repr == repr(module),
               f"{describe_call(arch)}: layer {name} is {child.repr}, which is not the layer the "
               f"architecture asks for at that position")


@pytest.mark.points(1)
@BEHAVES_LIKE_THE_REFERENCE
def test_parameters_have_the_right_shapes(student, reference, gen):
    arch = architecture(gen)
    check_parameter_names(student, student.Net(*arch), reference.Net(*arch), arch)


@pytest.mark.points(1)
@BEHAVES_LIKE_THE_REFERENCE
def test_activation_string_is_instantiated(student, reference):
    for actv in ACTIVATIONS:
        arch = (actv, 3, [4, 5], 2)
        children = {c.name: c for c in student.describe(student.Net(*arch).attr("mlp")).children}
        expected = dict(reference.Net(*arch).mlp.named_children())
        for name in ("Activation_0", "Activation_1"):
            child = children.get(name)
            expect(child is not None, f"{describe_call(arch)}.mlp has no layer named {name}")
            module = expected[name]
            expect(child.type == type(module).__name__ and child.repr == repr(module),
                   f"{describe_call(arch)}: {name} should be the activation module the string names, "
                   f"got {child.repr}")


@pytest.mark.points(2)
def test_forward_matches_reference_with_the_same_weights(student, reference, gen):
    for _ in range(3):
        arch = architecture(gen)
        net, ref = build_pair(student, reference, arch, gen)
        x = 2 * torch.randn(draw(gen, 1, 33), arch[1], generator=gen)
        got = forward(net, x, arch[3], what=f"the output of {describe_call(arch)}")
        with torch.no_grad():
            expected = ref(x)
        expect_close(got, expected, rtol=1e-5, atol=1e-5, what=f"the forward pass of {describe_call(arch)}",
                     on=f"a batch of {x.shape[0]} samples",
                     hint="apply the layers in order: Linear, activation, ..., Output_Linear (no activation "
                          "after the last layer)")


@pytest.mark.points(1)
def test_flattens_image_shaped_inputs(student, reference, gen):
    actv, _, hidden, n_out = architecture(gen)
    arch = (actv, 16, hidden, n_out)
    net, ref = build_pair(student, reference, arch, gen)
    images = torch.randn(draw(gen, 2, 17), 1, 4, 4, generator=gen)
    got = forward(net, images, n_out, what=f"the output of {describe_call(arch)} for 4x4 images")
    with torch.no_grad():
        expected = ref(images)
    expect_close(got, expected, rtol=1e-5, atol=1e-5, what=describe_call(arch),
                 on=f"a batch of {images.shape[0]} images of 4x4 pixels",
                 hint="reshape every input to (batch_size, input_feature_num) before the layers")


@pytest.mark.points(1)
def test_no_hidden_layers_is_a_single_linear_layer(student, reference, gen):
    actv, n_in, _, n_out = architecture(gen)
    arch = (actv, n_in, [], n_out)
    net, ref = build_pair(student, reference, arch, gen)
    # not gated: describe() alone earns nothing here, the forward pass below must match too
    names = [c.name for c in student.describe(net.attr("mlp")).children]
    expect(names == ["Output_Linear"],
           f"with no hidden layers, {describe_call(arch)}.mlp should contain only Output_Linear")
    x = torch.randn(draw(gen, 1, 17), n_in, generator=gen)
    got = forward(net, x, n_out, what=f"the output of {describe_call(arch)}")
    with torch.no_grad():
        expected = ref(x)
    expect_close(got, expected, rtol=1e-5, atol=1e-5, what=f"the forward pass of {describe_call(arch)}",
                 on=f"a batch of {x.shape[0]} samples")
