import pytest
import torch

from grader.expect import expect_close


@pytest.mark.exercise("add")
@pytest.mark.points(1)
def test_adds_small_numbers(student):
    expect_close(student.add(torch.tensor([1.0]), torch.tensor([2.0])), torch.tensor([3.0]), what="add([1], [2])")
