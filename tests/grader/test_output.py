"""How the CLI prints a result for people: rounded scores, the student's text never read as markup."""

from __future__ import annotations

import pytest

from grader.cli.output import print_result
from grader.models import CellError, ExecutionInfo, ExerciseResult, GradeResult, SubmissionStatus, TestResult, TimeoutInfo


def _result(*, message: str = "", note: str = "", errors: list[CellError] | None = None) -> GradeResult:
    tests = [TestResult(name="matches_the_reference", points=1.6786, max_points=3.3333, passed=True, hidden=True,
                        message=""),
             TestResult(name="returns_a_tensor", points=0.0, max_points=1.6667, passed=False, hidden=False,
                        message=message)]
    return GradeResult(assignment="mlp-basics", status="graded", score=7.6786, max_score=10.0,
                       exercises=[ExerciseResult(id="Net", score=1.6786, max_score=5.0, tests=tests, note=note)],
                       execution=ExecutionInfo(duration_s=3.25, cell_errors=errors or []))


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")


def test_scores_are_rounded_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    print_result(_result())
    shown = capsys.readouterr().out
    assert "mlp-basics: 7.68 / 10 (graded)" in shown and "Net  1.68/5" in shown and "1.68/3.33" in shown
    assert "7.6786" not in shown


def test_the_students_text_is_printed_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    errors = [CellError(cell=4, counted=True, index=9, ename="ValueError", evalue="[bold red]boom[/bold red]",
                        line="raise ValueError('[link=http://x]')")]
    print_result(_result(message="[red]not markup[/red]", errors=errors))
    shown = capsys.readouterr().out
    assert "[red]not markup[/red]" in shown
    assert "In [4]" in shown and "ValueError: [bold red]boom[/bold red]" in shown
    assert "raise ValueError('[link=http://x]')" in shown


def test_a_note_is_said_once_under_its_exercise(capsys: pytest.CaptureFixture[str]) -> None:
    print_result(_result(note="not finished: Net.forward raises NotImplementedError"))
    assert capsys.readouterr().out.count("not finished: Net.forward raises NotImplementedError") == 1


def test_public_only_shows_no_points_and_no_total(capsys: pytest.CaptureFixture[str]) -> None:
    print_result(_result(), public_only=True)
    shown = capsys.readouterr().out
    assert "public tests: 1/2 passed — the hidden tests run when you submit" in shown
    assert "/ 10" not in shown and "1.68" not in shown and "graded" not in shown


def test_a_folded_hidden_line_is_not_marked_twice(capsys: pytest.CaptureFixture[str]) -> None:
    result = _result()
    result.exercises[0].tests[0].name = "hidden tests"
    print_result(result)
    shown = capsys.readouterr().out
    assert "hidden tests" in shown and "hidden tests (hidden)" not in shown


def test_a_timeout_says_which_cell_and_that_every_exercise_was_graded(capsys: pytest.CaptureFixture[str]) -> None:
    timeout = TimeoutInfo(limit="cell", cell="In [37]", exercises_graded=True,
                          message="In [37] ran past 60 s and was stopped; every exercise was graded")
    result = _result().model_copy(update={"status": SubmissionStatus.timeout, "execution": ExecutionInfo(
        duration_s=75.0, cell_errors=[], timeout=timeout)})
    print_result(result)
    shown = capsys.readouterr().out
    assert "mlp-basics: 7.68 / 10 (timeout)" in shown
    assert "timeout: In [37] ran past 60 s and was stopped; every exercise was graded" in shown
