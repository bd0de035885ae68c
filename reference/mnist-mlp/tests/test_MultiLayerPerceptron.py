"""Hidden tests for `MultiLayerPerceptron`: the two layers, and flatten -> hidden -> ReLU -> output.

A class with the template's layers and a forward that raises, or returns zeros,
earns nothing here: the layer test counts only with the forward pass matching the
reference's (describe() is what the kernel says; the outputs are what it computes),
and the shape test only with outputs that change with the images.
"""

import pytest
import torch

from grader.expect import expect, expect_close, expect_responsive, expect_tensor

pytestmark = pytest.mark.exercise("MultiLayerPerceptron")

LAYERS = {"hidden": (784, 100), "output": (100, 10)}


def draw(gen, low, high):
    return int(torch.randint(low, high, (1,), generator=gen))


def check_layers(student, mlp):
    """The model's `hidden` and `output` layers and its parameters, as the template names them."""
    children = {child.name: child for child in student.describe(mlp).children}
    for name, (n_in, n_out) in LAYERS.items():
        child = children.get(name)
        expect(child is not None, f"MultiLayerPerceptron() should have a layer attribute self.{name}")
        expect(child.type == "Linear", f"self.{name} should be a linear layer (nn.Linear), got {child.repr}")
        expect(child.repr == f"Linear(in_features={n_in}, out_features={n_out}, bias=True)",
               f"self.{name} should map {n_in} features to {n_out} (with a bias), got {child.repr}")
    expected = {f"{name}.{p}": shape for name, (n_in, n_out) in LAYERS.items()
                for p, shape in (("weight", [n_out, n_in]), ("bias", [n_out]))}
    got = student.describe(mlp).parameters
    extra = sorted(set(got) - set(expected))
    expect(not extra, f"MultiLayerPerceptron should have only the parameters of self.hidden and self.output; "
                      f"unexpected: {', '.join(extra)}")
    expect(got == expected, "the parameters of self.hidden and self.output have the wrong shapes")


def build_pair(student, reference, gen, scale=0.1):
    """The student's model (a handle) and the reference model, both with the same random weights."""
    mlp = student.MultiLayerPerceptron()
    check_layers(student, mlp)
    ref = reference.MultiLayerPerceptron()
    with torch.no_grad():  # weights from the test's generator, not the global RNG
        for param in ref.parameters():
            param.copy_(scale * torch.randn(param.shape, generator=gen))
    student.load_state_dict(mlp, ref.state_dict())
    return mlp, ref


def compare(mlp, ref, x, what, hint):
    got = expect_tensor(mlp(x), shape=(x.shape[0], 10), dtype="float",
                        what=f"the output for an input of shape {tuple(x.shape)}")
    with torch.no_grad():
        expected = ref(x)
    expect_close(got, expected, rtol=1e-4, atol=1e-5, what=what, on=f"an input of shape {tuple(x.shape)}",
                 hint=hint)


@pytest.mark.points(0)
def test_answers_depend_on_the_inputs(student, reference, gen):
    # The model's own initial weights, so this gate holds whatever its layers are called.
    mlp = student.MultiLayerPerceptron()
    ref = reference.MultiLayerPerceptron()
    with torch.no_grad():
        for param in ref.parameters():
            param.copy_(0.1 * torch.randn(param.shape, generator=gen))
    batch = draw(gen, 2, 17)
    inputs = [torch.randn(batch, 1, 28, 28, generator=gen) for _ in range(3)]
    with torch.no_grad():
        expected = [ref(x) for x in inputs]
    expect_responsive([mlp(x) for x in inputs], expected,
                      what=f"the output of MultiLayerPerceptron() for {batch} random images",
                      hint="forward should compute the outputs from the images x")


@pytest.mark.points(1.5)
@pytest.mark.counts_if("forward_matches_reference_with_the_same_weights")
def test_hidden_and_output_layers(student):
    check_layers(student, student.MultiLayerPerceptron())


@pytest.mark.points(1)
@pytest.mark.counts_if("answers_depend_on_the_inputs")
def test_output_shape_for_image_batches(student, gen):
    mlp = student.MultiLayerPerceptron()
    for shape in ((draw(gen, 2, 65), 28, 28), (draw(gen, 2, 65), 1, 28, 28), (1, 1, 28, 28)):
        x = torch.randn(shape, generator=gen)
        expect_tensor(mlp(x), shape=(shape[0], 10), dtype="float", what=f"the output for an input of shape {shape}")


@pytest.mark.points(2.5)
def test_forward_matches_reference_with_the_same_weights(student, reference, gen):
    mlp, ref = build_pair(student, reference, gen)
    x = torch.randn(draw(gen, 16, 65), 1, 28, 28, generator=gen)
    compare(mlp, ref, x, what="the forward pass of random images",
            hint="flatten each image, then apply self.hidden, a ReLU and self.output (nothing after it)")


@pytest.mark.points(1)
def test_flattens_images_with_or_without_a_channel_axis(student, reference, gen):
    mlp, ref = build_pair(student, reference, gen)
    images = torch.randn(draw(gen, 2, 33), 28, 28, generator=gen)
    compare(mlp, ref, images, what="the forward pass without a channel axis",
            hint="flatten everything but the batch axis")
    compare(mlp, ref, images.unsqueeze(1), what="the forward pass with a channel axis",
            hint="flatten everything but the batch axis")
    compare(mlp, ref, images[:1], what="the forward pass of a batch of one image",
            hint="a batch of one is still a batch: the output should have shape (1, 10)")


@pytest.mark.points(1)
def test_outputs_are_unbounded_logits(student, reference, gen):
    mlp, ref = build_pair(student, reference, gen, scale=0.5)
    x = 2 * torch.randn(64, 1, 28, 28, generator=gen)
    got = expect_tensor(mlp(x), shape=(64, 10), dtype="float", what="the output for 64 images")
    expect(bool((got < 0).any()) and bool((got.abs() > 1).any()),
           "the outputs should be raw scores (logits) that can be negative and larger than 1: no ReLU, "
           "softmax or sigmoid after self.output")
    with torch.no_grad():
        expected = ref(x)
    expect_close(got, expected, rtol=1e-4, atol=1e-4, what="the forward pass with large weights",
                 hint="apply the ReLU between self.hidden and self.output only")
