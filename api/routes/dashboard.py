"""The instructors' pages: the course at a glance, gradebooks, submissions with their notebooks, regrading."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from api.charts import exercise_means_svg, histogram_svg
from api.deps import PageInstructor, SessionDep, SettingsDep, WebSessionDep, check_csrf
from api.rendering import render_notebook
from api.templating import render
from api.viewing import current_result, executed_notebook, labelled_errors
from grader.assignments import Assignment, list_assignments, load_assignment
from grader.config import Settings
from grader.service.gradebook import (SHOWN_STATUSES, GradebookRow, Summary, build_gradebook,
                                      failing_submissions, histogram, live_queue, regrade_changes, roster_students,
                                      status_counts, submitters, summarize_tests)
from grader.service.records import Submission, User
from grader.service.submissions import counting_scores, regrade_assignment, regrade_submission

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)

NOTEBOOK_MEDIA = "application/x-ipynb+json"


@router.get("", response_class=HTMLResponse)
def overview(request: Request, session: SessionDep, settings: SettingsDep, signed_in: WebSessionDep,
             _instructor: PageInstructor) -> HTMLResponse:
    """Every assignment: counts by status, who submitted, score statistics and histogram; the live queue."""
    counts, submitted, roster = status_counts(session), submitters(session), len(roster_students(session))
    cards = []
    for assignment in _assignments(settings):
        cards.append({"assignment": assignment, "counts": counts.get(assignment.id, {}),
                      "submitted": submitted.get(assignment.id, 0),
                      "summary": Summary.of(counting_scores(session, assignment))})
    return render(request, "dashboard.html", signed_in=signed_in, cards=cards, roster=roster,
                  statuses=SHOWN_STATUSES, queue=live_queue(session))


@router.get("/queue", response_class=HTMLResponse)
def queue_fragment(request: Request, session: SessionDep, signed_in: WebSessionDep,
                   _instructor: PageInstructor) -> HTMLResponse:
    """The live queue alone, for the overview to refresh in place."""
    return render(request, "_queue.html", signed_in=signed_in, queue=live_queue(session))


@router.get("/assignments/{assignment_id}", response_class=HTMLResponse)
def assignment_page(request: Request, assignment_id: str, session: SessionDep, settings: SettingsDep,
                    signed_in: WebSessionDep, _instructor: PageInstructor, q: str = "", sort: str = "name",
                    order: str = "asc") -> HTMLResponse:
    """The gradebook of the whole roster, sortable and filterable, and what the class got wrong."""
    assignment = load_assignment(assignment_id, settings)
    book = build_gradebook(session, assignment)
    needle = q.strip().lower()
    rows = [row for row in book.rows if needle in row.student.name.lower() or needle in row.student.email]
    rows.sort(key=_sort_key(sort), reverse=order == "desc")
    return render(request, "assignment.html", signed_in=signed_in, assignment=assignment, book=book, rows=rows,
                  q=q, sort=sort, order=order, summary=book.summary(), tests=summarize_tests(session, book),
                  changes=regrade_changes(session, book))


@router.get("/assignments/{assignment_id}/failures", response_class=HTMLResponse)
def failures_page(request: Request, assignment_id: str, exercise: str, test: str, session: SessionDep,
                  settings: SettingsDep, signed_in: WebSessionDep, _instructor: PageInstructor) -> HTMLResponse:
    """The counting submissions that failed one test, with the message each got."""
    assignment = load_assignment(assignment_id, settings)
    book = build_gradebook(session, assignment)
    summary = next((s for s in summarize_tests(session, book) if s.exercise == exercise and s.name == test), None)
    if summary is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{assignment.id} has no test {exercise}::{test}")
    failing = failing_submissions(session, book, exercise=exercise, test=test)
    return render(request, "failures.html", signed_in=signed_in, assignment=assignment, summary=summary,
                  failing=failing)


@router.post("/assignments/{assignment_id}/regrade")
def regrade_assignment_form(request: Request, assignment_id: str, session: SessionDep, settings: SettingsDep,
                            signed_in: WebSessionDep, _instructor: PageInstructor,
                            csrf: Annotated[str, Form()] = "") -> RedirectResponse:
    """Regrade every counting submission of the assignment (after a suite fix)."""
    check_csrf(signed_in, csrf)
    regrade_assignment(session, load_assignment(assignment_id, settings))
    session.commit()
    request.app.state.dispatcher.wake()
    return RedirectResponse(f"/dashboard/assignments/{assignment_id}", status.HTTP_303_SEE_OTHER)


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(request: Request, submission_id: str, session: SessionDep, settings: SettingsDep,
                    signed_in: WebSessionDep, _instructor: PageInstructor) -> HTMLResponse:
    """One submission: its result, how execution went, the student's other submissions, the notebook as it ran."""
    submission = _submission(session, submission_id)
    executed = executed_notebook(submission)
    result = current_result(submission)
    errors = labelled_errors(result, executed)
    notebook_html = render_notebook(executed, error_cells=frozenset(e.index for e, _ in errors)) if executed else None
    others = session.scalars(select(Submission).where(Submission.user_id == submission.user_id,
                                                      Submission.id != submission.id)
                             .options(joinedload(Submission.result)).order_by(Submission.queued_at.desc())).all()
    return render(request, "submission.html", signed_in=signed_in, submission=submission, result=result,
                  errors=errors, notebook_html=notebook_html, others=others, versions=submission.results,
                  assignment=_known(submission.assignment_id, settings))


@router.get("/submissions/{submission_id}/status", response_class=HTMLResponse)
def submission_status_fragment(request: Request, submission_id: str, session: SessionDep,
                               signed_in: WebSessionDep, _instructor: PageInstructor) -> HTMLResponse:
    """The status badge alone, refreshed in place while a submission is queued or running."""
    return render(request, "_status.html", signed_in=signed_in, submission=_submission(session, submission_id))


@router.post("/submissions/{submission_id}/regrade")
def regrade_submission_form(request: Request, submission_id: str, session: SessionDep, signed_in: WebSessionDep,
                            _instructor: PageInstructor, csrf: Annotated[str, Form()] = "") -> RedirectResponse:
    """Regrade one submission; its earlier results are kept as older versions."""
    check_csrf(signed_in, csrf)
    regrade_submission(session, _submission(session, submission_id).id)
    session.commit()
    request.app.state.dispatcher.wake()
    return RedirectResponse(f"/dashboard/submissions/{submission_id}", status.HTTP_303_SEE_OTHER)


@router.get("/submissions/{submission_id}/submitted.ipynb", response_class=FileResponse)
def download_submitted(submission_id: str, session: SessionDep, _instructor: PageInstructor) -> FileResponse:
    """The notebook exactly as the student uploaded it."""
    submission = _submission(session, submission_id)
    return _download(Path(submission.notebook_path), f"{submission.assignment_id}-{submission.id}.ipynb")


@router.get("/submissions/{submission_id}/executed.ipynb", response_class=FileResponse)
def download_executed(submission_id: str, session: SessionDep, _instructor: PageInstructor) -> FileResponse:
    """The notebook as it ran in the sandbox, with its outputs (capped)."""
    submission = _submission(session, submission_id)
    path = submission.result.executed_path if submission.result else None
    if not path or not Path(path).is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "this submission has no executed notebook (yet)")
    return _download(Path(path), f"{submission.assignment_id}-{submission.id}-executed.ipynb")


@router.get("/students/{student_id}", response_class=HTMLResponse)
def student_page(request: Request, student_id: int, session: SessionDep, settings: SettingsDep,
                 signed_in: WebSessionDep, _instructor: PageInstructor) -> HTMLResponse:
    """One student across every assignment: the counting score of each and every submission."""
    student = session.get(User, student_id)
    if student is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no student {student_id}")
    books = []
    for assignment in _assignments(settings):
        row = next((r for r in build_gradebook(session, assignment).rows if r.student.id == student.id),
                   GradebookRow(student, None, 0))
        books.append((assignment, row))
    submissions = session.scalars(select(Submission).where(Submission.user_id == student.id)
                                  .options(joinedload(Submission.result)).order_by(Submission.queued_at.desc())).all()
    return render(request, "student.html", signed_in=signed_in, student=student, books=books,
                  submissions=submissions)


@router.get("/charts/{assignment_id}/histogram.svg")
def histogram_chart(assignment_id: str, session: SessionDep, settings: SettingsDep,
                    _instructor: PageInstructor) -> Response:
    """The distribution of counting scores, as a picture."""
    assignment = load_assignment(assignment_id, settings)
    scores = counting_scores(session, assignment)
    counts = histogram(scores, assignment.manifest.max_score)
    svg = histogram_svg(tuple(counts), assignment.manifest.max_score, title=f"{len(scores)} counting scores")
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@router.get("/charts/{assignment_id}/exercises.svg")
def exercises_chart(assignment_id: str, session: SessionDep, settings: SettingsDep,
                    _instructor: PageInstructor) -> Response:
    """The mean score per exercise, as a picture."""
    assignment = load_assignment(assignment_id, settings)
    points = {e.id: e.points for e in assignment.manifest.exercises}
    means = build_gradebook(session, assignment).exercise_means()
    svg = exercise_means_svg(tuple(means.items()), tuple(points.items()), title="mean score per exercise")
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


def _assignments(settings: Settings) -> list[Assignment]:
    return [load_assignment(assignment_id, settings) for assignment_id in list_assignments(settings)]


def _known(assignment_id: str, settings: Settings) -> Assignment | None:
    return load_assignment(assignment_id, settings) if assignment_id in list_assignments(settings) else None


def _submission(session: Any, submission_id: str) -> Submission:
    submission: Submission | None = session.get(Submission, submission_id)
    if submission is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no submission {submission_id[:80]!r}")
    return submission


def _sort_key(sort: str) -> Any:
    """Sort keys for the gradebook's columns; missing scores sort below every score."""
    def score_or_floor(value: float | None) -> float:
        return float("-inf") if value is None else value

    if sort.startswith("exercise:"):
        exercise_id = sort.removeprefix("exercise:")
        return lambda row: (score_or_floor(row.exercise_score(exercise_id)), row.student.name)
    keys = {
        "email": lambda row: row.student.email,
        "score": lambda row: (score_or_floor(row.score), row.student.name),
        "submissions": lambda row: (row.submissions, row.student.name),
        "late": lambda row: (bool(row.counting and row.counting.late), row.student.name),
        "status": lambda row: (row.counting.status.value if row.counting else "", row.student.name),
    }
    return keys.get(sort, lambda row: (row.student.name.lower(), row.student.email))


def _download(path: Path, filename: str) -> FileResponse:
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the stored notebook is missing")
    return FileResponse(path, media_type=NOTEBOOK_MEDIA, filename=filename)

