"""Submitting a notebook and following it to its result."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile, status
from sqlalchemy import select

from api.deps import CurrentUser, SessionDep, SettingsDep
from api.schemas import Problem, SubmissionAccepted, SubmissionPublic
from grader.assignments import load_assignment
from grader.models import GradeResult
from grader.notebook import too_large
from grader.service.records import Submission
from grader.service.submissions import accept_submission, upload_limit, visible_submission

log = logging.getLogger("grader.service")
router = APIRouter(prefix="/api/v1/submissions", tags=["submissions"])

NOTEBOOK_TYPES = {"application/x-ipynb+json", "application/json", "application/octet-stream", "text/plain", ""}
ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": Problem} for code in (400, 401, 403, 404, 413, 415, 422, 429)
}


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=SubmissionAccepted, responses=ERRORS)
async def submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    assignment: Annotated[str, Form(description="Assignment id, e.g. mlp-basics.")],
    notebook: Annotated[UploadFile, File(description="The .ipynb file.")],
) -> SubmissionAccepted:
    """Upload a notebook for grading; answers 202 with the submission's URL to poll."""
    content_type = (notebook.content_type or "").split(";")[0].strip().lower()
    if content_type not in NOTEBOOK_TYPES:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                            f"the notebook part is {content_type}; send the .ipynb file as application/x-ipynb+json")
    limit = upload_limit(load_assignment(assignment, settings), settings)  # 404 for an unknown id
    data = await notebook.read(limit + 1)
    if len(data) > limit:
        raise too_large(limit)
    submission = accept_submission(session, user=user, assignment_id=assignment, data=data, settings=settings)
    session.commit()
    log.info("submission %s: queued (%s by %s%s)", submission.id, submission.assignment_id, user.email,
             ", late" if submission.late else "")
    request.app.state.dispatcher.wake()
    url = str(request.url_for("read_submission", submission_id=submission.id))
    return SubmissionAccepted(id=submission.id, status=submission.status.value, url=url)


@router.get("", response_model=list[SubmissionPublic], responses=ERRORS)
def my_submissions(session: SessionDep, user: CurrentUser) -> list[SubmissionPublic]:
    """The caller's own submissions, newest first."""
    rows = session.scalars(select(Submission).where(Submission.user_id == user.id)
                           .order_by(Submission.queued_at.desc())).all()
    return [to_public(row) for row in rows]


@router.get("/{submission_id}", response_model=SubmissionPublic, name="read_submission", responses=ERRORS)
def read_submission(submission_id: str, session: SessionDep, user: CurrentUser) -> SubmissionPublic:
    """One submission with its result; students see only their own (others are 404)."""
    submission = visible_submission(session, submission_id, user)
    if submission is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no submission {submission_id!r}")
    return to_public(submission)


def to_public(submission: Submission) -> SubmissionPublic:
    result = GradeResult.model_validate(submission.result.payload) if submission.result else None
    return SubmissionPublic(
        id=submission.id, assignment=submission.assignment_id, student=submission.user.email,
        status=submission.status.value, late=submission.late, attempts=submission.attempts,
        notebook_sha256=submission.notebook_sha256, queued_at=submission.queued_at,
        started_at=submission.started_at, finished_at=submission.finished_at, error=submission.error, result=result,
    )
