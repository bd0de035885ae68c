"""The cell errors the result pages list: each with its label, the instructor's link following ``index``."""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from api.viewing import labelled_errors
from grader.models import CellError, ExecutionInfo, GradeResult


def result_with(*errors: CellError) -> GradeResult:
    return GradeResult(assignment="toy", status="graded", score=0.0, max_score=4.0, exercises=[],
                       execution=ExecutionInfo(duration_s=1.0, cell_errors=list(errors)))


EXECUTED = new_notebook(cells=[new_markdown_cell("intro"), new_code_cell("a", execution_count=1),
                               new_code_cell("1/0", execution_count=2)])


def test_errors_are_labelled_by_the_grader() -> None:
    errors = [CellError(cell=2, counted=True, index=2, ename="ZeroDivisionError"),
              CellError(cell=-1, ename="MemoryLimitExceeded")]
    assert [(e.index, label) for e, label in labelled_errors(result_with(*errors), EXECUTED)] == [
        (2, "In [2]"), (-1, "the notebook")]
    assert [label for _, label in labelled_errors(result_with(*errors), None)] == ["In [2]", "the notebook"]
    assert labelled_errors(None, EXECUTED) == []


def test_an_error_stored_before_cells_were_numbered_is_named_from_the_executed_notebook() -> None:
    # the old contract: ``cell`` was the 0-based index into the notebook's cells, markdown included
    legacy = result_with(CellError.model_validate({"cell": 2, "ename": "ZeroDivisionError"}))
    ((error, label),) = labelled_errors(legacy, EXECUTED)
    assert (label, error.index) == ("In [2]", 2)  # so the instructor's page links to #cell-2
    ((error, label),) = labelled_errors(legacy, None)
    assert (label, error.index) == ("cell 3", -1)


def test_a_timeout_with_every_exercise_graded_says_so_on_the_result_page() -> None:
    """The student's and the instructor's result pages name the stopped cell (escaped) and that grading finished."""
    from api.templating import templates
    from grader.models import CellError, ExecutionInfo, GradeResult, SubmissionStatus, TimeoutInfo

    stopped = CellError(cell=37, counted=True, index=40, ename="CellTimeoutError", evalue="ran past 60 s")
    timeout = TimeoutInfo(limit="cell", cell="In [37]", exercises_graded=True,
                          message="In [37] ran past 60 s and was stopped; every exercise <b>was</b> graded")
    result = GradeResult(assignment="decoding", status=SubmissionStatus.timeout, score=10.0, max_score=10.0,
                         exercises=[], execution=ExecutionInfo(duration_s=75.0, cell_errors=[stopped],
                                                               timeout=timeout))
    macro = templates.env.get_template("_macros.html").module.execution_report  # type: ignore[attr-defined]
    html = str(macro(result, [(stopped, stopped.label)]))
    assert ("ran out of time</strong>: In [37] ran past 60 s and was stopped; every exercise &lt;b&gt;was&lt;/b&gt; "
            "graded.") in html
