import pytest

from grader.expect import expect


@pytest.mark.exercise("add")
@pytest.mark.points(1)
def test_adds_larger_numbers(student, reference):
    expect(student.add(1234, -56) == reference.add(1234, -56), "add(1234, -56) is wrong")


@pytest.mark.exercise("mean")
@pytest.mark.points(2)
def test_mean(student, reference):
    values = [1.5, 2.0, 4.5, 8.0]
    expect(abs(student.mean(values) - reference.mean(values)) < 1e-9, "mean of four values is wrong")
