"""Assignments: what can be submitted to, and (for instructors) every submission of one."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from api.deps import CurrentInstructor, CurrentUser, SessionDep, SettingsDep
from api.routes.submissions import ERRORS, to_public
from api.schemas import AssignmentPublic, GradebookRow, SubmissionPublic
from grader.assignments import list_assignments, load_assignment
from grader.service.records import Submission
from grader.service.submissions import counting_submissions

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
    """Instructors: per student, the submission that counts (latest or best, per the assignment's policy)."""
    assignment = load_assignment(assignment_id, settings)
    return [
        GradebookRow(student=row.user.email, name=row.user.name, submission=row.id,
                     score=row.result.score, max_score=row.result.max_score,  # type: ignore[union-attr]
                     status=row.status.value, late=row.late)
        for row in counting_submissions(session, assignment)
    ]
