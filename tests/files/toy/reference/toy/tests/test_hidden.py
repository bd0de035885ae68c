import pytest
import torch

from grader.expect import expect, expect_close, expect_tensor


@pytest.mark.exercise("add")
@pytest.mark.points(1)
def test_add_random(student, reference, gen):
    a, b = torch.randn(3, 4, generator=gen), torch.randn(3, 4, generator=gen)
    got = expect_tensor(student.add(a, b), shape=(3, 4), dtype="float", what="add(a, b)")
    expect_close(got, reference.add(a, b), what="add(a, b)")


@pytest.mark.exercise("scale")
@pytest.mark.points(1)
def test_scale_random(student, reference, gen):
    x = torch.randn(5, generator=gen)
    expect_close(student.scale(x, 3.0), reference.scale(x, 3.0), what="scale(x, 3)")


@pytest.mark.exercise("Doubler")
@pytest.mark.points(1)
@pytest.mark.counts_if("forward_matches")  # describe() is what the kernel says: only behaviour is unforgeable
def test_structure(student):
    net = student.Doubler(3)
    info = student.describe(net)
    expect(info.is_a("torch.nn.Module"), "Doubler should be an nn.Module")
    expect([c.name for c in info.children] == ["linear"], "Doubler should have one child named linear")


@pytest.mark.exercise("Doubler")
@pytest.mark.points(1)
def test_forward_matches(student, reference, gen):
    ref = reference.Doubler(3)
    net = student.Doubler(3)
    student.load_state_dict(net, ref.state_dict())
    x = torch.randn(2, 3, generator=gen)
    expect_close(net(x), ref(x).detach(), what="Doubler forward")
