"""What a student may see of a result: the manifest's ``[policy] hidden_feedback``.

Hidden tests' names and messages can give the hidden suite away, so an assignment may
fold them into one line per exercise. Only the student's view changes: the stored
result, its ``result_tests`` rows and the instructors' views stay complete, and the
scores (each exercise's and the total) are the same in every view.
"""

from __future__ import annotations

from typing import Literal

from grader.assignments import load_assignment
from grader.config import Settings
from grader.errors import GraderError
from grader.models import ExerciseResult, GradeResult, SubmissionStatus, TestResult

HiddenFeedback = Literal["full", "summary", "none"]  # the values of Policy.hidden_feedback
HIDDEN_LINE = "hidden tests"
# A grading that failed on the service's side names its internals (a broken suite names its hidden test, a
# crashed process its cause): the instructors read that, a student reads this.
SERVICE_FAULT = ("grading failed on the service's side, not because of your notebook; "
                 "your instructors can see why and grade it again")
# When the manifest has vanished or broken, the policy is unknown: keep the names private, show the points.
FALLBACK: HiddenFeedback = "summary"


def student_view(result: GradeResult, mode: HiddenFeedback) -> GradeResult:
    """``result`` as a student sees it: in ``summary`` and ``none``, each exercise's hidden tests become one line."""
    if mode == "full":
        return result
    return result.model_copy(update={"exercises": [_fold_hidden(exercise, mode) for exercise in result.exercises]})


def _fold_hidden(exercise: ExerciseResult, mode: HiddenFeedback) -> ExerciseResult:
    hidden = [test for test in exercise.tests if test.hidden]
    if not hidden:
        return exercise
    passed = sum(test.passed for test in hidden)
    line = TestResult(name=HIDDEN_LINE, points=round(sum(test.points for test in hidden), 4),
                      max_points=round(sum(test.max_points for test in hidden), 4), passed=passed == len(hidden),
                      hidden=True, message=f"{passed} of {len(hidden)} passed" if mode == "summary" else "")
    return exercise.model_copy(update={"tests": [test for test in exercise.tests if not test.hidden] + [line]})


def hidden_feedback(assignment_id: str, settings: Settings) -> HiddenFeedback:
    """The assignment's ``hidden_feedback`` policy; ``FALLBACK`` if its manifest is gone or invalid."""
    try:
        return load_assignment(assignment_id, settings).manifest.policy.hidden_feedback
    except GraderError:
        return FALLBACK


def student_error(status: SubmissionStatus, error: str | None) -> str | None:
    """What a student reads of a submission's error: why their file was rejected, else ``SERVICE_FAULT``."""
    if error is None or status == SubmissionStatus.rejected:
        return error
    return SERVICE_FAULT
