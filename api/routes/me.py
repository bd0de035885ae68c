"""The students' pages: their assignments, an upload form for each, their own submissions and results."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from api.deps import PageUser, SessionDep, SettingsDep, WebSessionDep, check_csrf
from api.errors import error_status
from api.routes.submissions import feedback_for, store_upload
from api.templating import render
from api.viewing import current_result, executed_notebook, labelled_errors
from grader.assignments import list_assignments, load_assignment
from grader.config import Settings
from grader.errors import GraderError, TooManySubmissions
from grader.feedback import student_error, student_view
from grader.service.records import Role, Submission, User, WebSession
from grader.service.submissions import visible_submission

router = APIRouter(prefix="/me", tags=["me"], include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def my_page(request: Request, session: SessionDep, settings: SettingsDep, signed_in: WebSessionDep,
            user: PageUser) -> HTMLResponse:
    """The assignments with their deadlines and policy, an upload form each, and my submissions."""
    return _my_page(request, session, settings, signed_in, user)


@router.get("/submissions", response_class=HTMLResponse)
def my_submissions_fragment(request: Request, session: SessionDep, signed_in: WebSessionDep,
                            user: PageUser) -> HTMLResponse:
    """My submissions' table alone, refreshed in place while any is queued or running."""
    return render(request, "_my_submissions.html", signed_in=signed_in, submissions=_own(session, user))


@router.post("/submissions", response_class=HTMLResponse)
def upload(request: Request, session: SessionDep, settings: SettingsDep, signed_in: WebSessionDep,
           user: PageUser, assignment: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "",
           notebook: Annotated[UploadFile | None, File()] = None) -> Response:
    """The upload form: the same checks as the API; a refusal comes back on the page, saying why."""
    check_csrf(signed_in, csrf)
    if notebook is None or not notebook.filename:
        return _my_page(request, session, settings, signed_in, user, problem="Choose a notebook file to upload.",
                        problem_for=assignment, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    try:
        submission = store_upload(request, session, settings, user=user, assignment_id=assignment,
                                  upload=notebook)
    except GraderError as exc:
        session.rollback()
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManySubmissions) else None
        return _my_page(request, session, settings, signed_in, user, problem=str(exc), problem_for=assignment,
                        status_code=error_status(exc), headers=headers)
    return RedirectResponse(f"/me/submissions/{submission.id}", status.HTTP_303_SEE_OTHER)


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def my_result(request: Request, submission_id: str, session: SessionDep, settings: SettingsDep,
              signed_in: WebSessionDep, user: PageUser) -> HTMLResponse:
    """One of my submissions and its result; anybody else's is a 404."""
    return render(request, "my_result.html", signed_in=signed_in,
                  **_result_context(session, settings, submission_id, user))


@router.get("/submissions/{submission_id}/result", response_class=HTMLResponse)
def my_result_fragment(request: Request, submission_id: str, session: SessionDep, settings: SettingsDep,
                       signed_in: WebSessionDep, user: PageUser) -> HTMLResponse:
    """The status and result alone, refreshed in place until the grading ends."""
    return render(request, "_my_result.html", signed_in=signed_in,
                  **_result_context(session, settings, submission_id, user))


def _my_page(request: Request, session: Session, settings: Settings, signed_in: WebSession, user: User, *,
             problem: str = "", problem_for: str = "", status_code: int = 200,
             headers: dict[str, str] | None = None) -> HTMLResponse:
    assignments = [load_assignment(assignment_id, settings) for assignment_id in list_assignments(settings)]
    return render(request, "me.html", signed_in=signed_in, status_code=status_code, headers=headers,
                  assignments=assignments, submissions=_own(session, user), problem=problem,
                  problem_for=problem_for, settings=settings)


def _own(session: Session, user: User) -> list[Submission]:
    return list(session.scalars(select(Submission).where(Submission.user_id == user.id)
                                .options(joinedload(Submission.result)).order_by(Submission.queued_at.desc())))


def _result_context(session: Session, settings: Settings, submission_id: str, user: User) -> dict[str, Any]:
    submission = visible_submission(session, submission_id, user)
    if submission is None or submission.user_id != user.id:  # an instructor uses the dashboard's page
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"you have no submission {submission_id[:80]!r}")
    result = current_result(submission)
    if result is not None:  # the hidden tests as the assignment's policy lets a student see them
        result = student_view(result, feedback_for(user, submission.assignment_id, settings))
    problem = student_error(submission.status, submission.error) if user.role == Role.student else submission.error
    return {"submission": submission, "result": result, "problem": problem,
            "errors": labelled_errors(result, executed_notebook(submission))}
