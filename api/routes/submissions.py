"""Submitting a notebook and following it to its result."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import CurrentInstructor, CurrentUser, SessionDep, SettingsDep
from api.schemas import Problem, SubmissionAccepted, SubmissionPublic
from grader.assignments import load_assignment
from grader.models import GradeResult
from grader.notebook import too_large
from grader.config import Settings
from grader.feedback import HiddenFeedback, hidden_feedback, student_error, student_view
from grader.service.records import Role, Submission, User
from grader.service.submissions import accept_submission, regrade_submission, visible_submission

log = logging.getLogger("grader.service")
router = APIRouter(prefix="/api/v1/submissions", tags=["submissions"])

NOTEBOOK_TYPES = {"application/x-ipynb+json", "application/json", "application/octet-stream", "text/plain", ""}
ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": Problem} for code in (400, 401, 403, 404, 413, 415, 422, 429)
}


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=SubmissionAccepted, responses=ERRORS)
def submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    assignment: Annotated[str, Form(description="Assignment id, e.g. mlp-basics.")],
    notebook: Annotated[UploadFile, File(description="The .ipynb file.")],
) -> SubmissionAccepted:
    """Upload a notebook for grading; answers 202 with the submission's URL to poll."""
    # A plain def: FastAPI runs it in its thread pool, so the database work and the fsync never block the loop.
    content_type = (notebook.content_type or "").split(";")[0].strip().lower()
    if content_type not in NOTEBOOK_TYPES:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                            f"the notebook part is {content_type}; send the .ipynb file as application/x-ipynb+json")
    submission = store_upload(request, session, settings, user=user, assignment_id=assignment, upload=notebook)
    url = str(request.url_for("read_submission", submission_id=submission.id))
    return accepted(submission, url)


def store_upload(request: Request, session: Session, settings: Settings, *, user: User, assignment_id: str,
                 upload: UploadFile) -> Submission:
    """Read an uploaded notebook (at most the assignment's limit), accept it, commit, wake the dispatcher.

    Shared by the API and the students' upload form, so both give the same answers.
    """
    assignment = load_assignment(assignment_id, settings)  # 404 for an unknown id
    limit = assignment.max_notebook_bytes(settings)
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise too_large(limit)
    submission = accept_submission(session, user=user, assignment=assignment, data=data, settings=settings)
    session.commit()
    log.info("submission %s: queued (%s by %s%s)", submission.id, submission.assignment_id, user.email,
             ", late" if submission.late else "")
    request.app.state.dispatcher.wake()
    return submission


@router.get("", response_model=list[SubmissionPublic], responses=ERRORS)
def my_submissions(session: SessionDep, settings: SettingsDep, user: CurrentUser) -> list[SubmissionPublic]:
    """The caller's own submissions, newest first."""
    rows = session.scalars(select(Submission).where(Submission.user_id == user.id)
                           .order_by(Submission.queued_at.desc())).all()
    feedback = {assignment_id: feedback_for(user, assignment_id, settings)  # one manifest read per assignment
                for assignment_id in {row.assignment_id for row in rows}}
    return [to_public(row, feedback=feedback[row.assignment_id], student=user.role == Role.student) for row in rows]


@router.get("/{submission_id}", response_model=SubmissionPublic, name="read_submission", responses=ERRORS)
def read_submission(submission_id: str, session: SessionDep, settings: SettingsDep,
                    user: CurrentUser) -> SubmissionPublic:
    """One submission with its result; students see only their own (others are 404)."""
    submission = visible_submission(session, submission_id, user)
    if submission is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no submission {submission_id!r}")
    return to_public(submission, feedback=feedback_for(user, submission.assignment_id, settings),
                     student=user.role == Role.student)


@router.post("/{submission_id}/regrade", status_code=status.HTTP_202_ACCEPTED, response_model=SubmissionAccepted,
             responses={**ERRORS, 409: {"model": Problem}})
def regrade(request: Request, submission_id: str, session: SessionDep, _instructor: CurrentInstructor,
            ) -> SubmissionAccepted:
    """Instructors: grade a finished submission again; its earlier results are kept, the new one counts."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no submission {submission_id[:80]!r}")
    if not regrade_submission(session, submission.id):
        raise HTTPException(status.HTTP_409_CONFLICT, f"submission {submission.id} is {submission.status.value}; "
                                                      "it can be regraded once it has finished")
    session.commit()
    request.app.state.dispatcher.wake()
    url = str(request.url_for("read_submission", submission_id=submission.id))
    return accepted(submission, url).model_copy(update={"status": "queued"})


def feedback_for(viewer: User, assignment_id: str, settings: Settings) -> HiddenFeedback:
    """What ``viewer`` sees of the hidden tests: all of them for an instructor, else the assignment's policy."""
    return "full" if viewer.role == Role.instructor else hidden_feedback(assignment_id, settings)


def accepted(submission: Submission, url: str) -> SubmissionAccepted:
    """The receipt for a submission that is (again) in the queue."""
    return SubmissionAccepted(id=submission.id, status=submission.status.value, url=url,
                              assignment=submission.assignment_id, notebook_sha256=submission.notebook_sha256,
                              queued_at=submission.queued_at, late=submission.late)


def to_public(submission: Submission, *, feedback: HiddenFeedback = "full", student: bool = False,
              ) -> SubmissionPublic:
    """The API's view of a submission; a student's request passes ``feedback_for`` them and ``student``
    (the defaults are the instructors' view)."""
    result = GradeResult.model_validate(submission.result.payload) if submission.result else None
    if result is not None:
        result = student_view(result, feedback)
    error = student_error(submission.status, submission.error) if student else submission.error
    return SubmissionPublic(
        id=submission.id, assignment=submission.assignment_id, student=submission.user.email,
        status=submission.status.value, late=submission.late, attempts=submission.attempts,
        notebook_sha256=submission.notebook_sha256, queued_at=submission.queued_at,
        started_at=submission.started_at, finished_at=submission.finished_at, error=error, result=result,
    )
