"""Assignments: what can be submitted to, and (for instructors) every submission of one."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import PlainTextResponse
from sqlalchemy import select

from api.deps import CurrentInstructor, CurrentUser, ExportInstructor, SessionDep, SettingsDep
from api.routes.submissions import ERRORS, to_public
from api.schemas import AssignmentPublic, GradebookRow, Problem, Regraded, SubmissionPublic
from grader.assignments import list_assignments, load_assignment
from grader.kit import build_kit
from grader.service.gradebook import build_gradebook, canvas_csv, gradebook_csv
from grader.service.records import Submission
from grader.service.submissions import regrade_assignment

log = logging.getLogger("grader.service")
router = APIRouter(prefix="/api/v1/assignments", tags=["assignments"])


@router.get("", response_model=list[AssignmentPublic], responses=ERRORS)
def list_all(settings: SettingsDep, _user: CurrentUser) -> list[AssignmentPublic]:
    """Every assignment, with its exercises, points and submission policy."""
    listed = []
    for assignment_id in list_assignments(settings):
        manifest = load_assignment(assignment_id, settings).manifest
        listed.append(AssignmentPublic(
            id=manifest.id, title=manifest.title, max_score=manifest.max_score,
            exercises=[e.id for e in manifest.exercises], deadline=manifest.policy.deadline,
            late_policy=manifest.policy.late, counts=manifest.policy.counts,
        ))
    return listed


@router.get("/{assignment_id}/kit", response_class=Response, responses={
    **ERRORS, 503: {"model": Problem}, 200: {"content": {"application/zip": {}}, "description": "the kit, a zip of one folder"}})
def kit(assignment_id: str, settings: SettingsDep, _user: CurrentUser) -> Response:
    """What a student works with: the notebook, its public tests and data files (`grader fetch` unpacks it).

    Never a reference solution or a hidden test: the kit is built from an allow-list.
    """
    assignment = load_assignment(assignment_id, settings)  # 404 for an unknown id
    try:
        data = build_kit(assignment, settings)
    except Exception:  # the course's own generator or files: a fault to log and fix, not the student's
        log.exception("the kit of %s could not be built", assignment.id)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            f"the kit of {assignment.id} cannot be built right now; the service's log says why") \
            from None
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{assignment.id}.zip"'})


@router.get("/{assignment_id}/submissions", response_model=list[SubmissionPublic], responses=ERRORS)
def submissions_of(assignment_id: str, session: SessionDep, settings: SettingsDep,
                   _instructor: CurrentInstructor) -> list[SubmissionPublic]:
    """Instructors: every submission of an assignment, newest first."""
    assignment = load_assignment(assignment_id, settings)  # 404 for an unknown id
    rows = session.scalars(select(Submission).where(Submission.assignment_id == assignment.id)
                           .order_by(Submission.queued_at.desc())).all()
    return [to_public(row) for row in rows]


@router.get("/{assignment_id}/gradebook", response_model=list[GradebookRow], responses=ERRORS)
def gradebook(assignment_id: str, session: SessionDep, settings: SettingsDep,
              _instructor: CurrentInstructor) -> list[GradebookRow]:
    """Instructors: one row per roster student with the submission that counts (latest or best, per the
    assignment's policy); a student who never submitted has no submission and no score."""
    book = build_gradebook(session, load_assignment(assignment_id, settings))
    return [
        GradebookRow(student=row.student.email, name=row.student.name,
                     submission=row.counting.id if row.counting else None, score=row.score,
                     max_score=book.assignment.manifest.max_score,
                     exercises={e: row.exercise_score(e) for e in book.exercise_ids},
                     status=row.counting.status.value if row.counting else "not submitted",
                     late=bool(row.counting and row.counting.late), submissions=row.submissions)
        for row in book.rows
    ]


@router.get("/{assignment_id}/gradebook.csv", response_class=PlainTextResponse, responses=ERRORS)
def gradebook_export(assignment_id: str, session: SessionDep, settings: SettingsDep,
                     _instructor: ExportInstructor) -> Response:
    """Instructors: the gradebook as CSV, one row per roster student, a column per exercise (bearer or session)."""
    book = build_gradebook(session, load_assignment(assignment_id, settings))
    return _csv(gradebook_csv(book), f"{assignment_id}-gradebook.csv")


@router.get("/{assignment_id}/gradebook.canvas.csv", response_class=PlainTextResponse, responses=ERRORS)
def canvas_export(assignment_id: str, session: SessionDep, settings: SettingsDep,
                  _instructor: ExportInstructor) -> Response:
    """Instructors: the counting scores in Canvas's gradebook import format (bearer or session)."""
    book = build_gradebook(session, load_assignment(assignment_id, settings))
    return _csv(canvas_csv(book), f"{assignment_id}-canvas.csv")


@router.post("/{assignment_id}/regrade", status_code=status.HTTP_202_ACCEPTED, response_model=Regraded,
             responses=ERRORS)
def regrade_all(request: Request, assignment_id: str, session: SessionDep, settings: SettingsDep,
                _instructor: CurrentInstructor) -> Regraded:
    """Instructors: grade every counting submission again (after a suite fix); earlier results are kept."""
    ids = regrade_assignment(session, load_assignment(assignment_id, settings))
    session.commit()
    request.app.state.dispatcher.wake()
    return Regraded(submissions=ids)


def _csv(text: str, filename: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
