import pytest

from grader.expect import expect


@pytest.mark.exercise("add")
@pytest.mark.points(1)
def test_adds_small_numbers(student):
    expect(student.add(1, 2) == 3, "add(1, 2) should be 3")
