"""What instructors look at: the gradebook of the whole roster, statistics, what the class got wrong, exports.

Everything here reads the database in a few set-based queries, so a course of
1,000 students renders in well under a second (``bench/dashboard.py``).
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, joinedload

from grader.assignments import Assignment
from grader.models import SubmissionStatus
from grader.service.records import Result, ResultTest, Role, Submission, User
from grader.service.submissions import counting_submissions

SHOWN_STATUSES = (SubmissionStatus.queued, SubmissionStatus.running, SubmissionStatus.graded,
                  SubmissionStatus.timeout, SubmissionStatus.error, SubmissionStatus.rejected)


@dataclass(frozen=True)
class Summary:
    """Mean, median, min and max of a list of scores (None when there are none)."""

    count: int
    mean: float | None
    median: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(cls, values: list[float]) -> Summary:
        if not values:
            return cls(0, None, None, None, None)
        return cls(len(values), statistics.fmean(values), statistics.median(values), min(values), max(values))


@dataclass(frozen=True)
class GradebookRow:
    """One student on the roster and the submission that counts for them (None: never submitted)."""

    student: User
    counting: Submission | None
    submissions: int

    @property
    def score(self) -> float | None:
        return self.counting.result.score if self.counting and self.counting.result else None

    def exercise_score(self, exercise_id: str) -> float | None:
        if self.counting is None or self.counting.result is None:
            return None
        return self.counting.result.exercise_scores.get(exercise_id)


@dataclass(frozen=True)
class Gradebook:
    """Every roster student's counting score for one assignment, by the assignment's ``counts`` policy."""

    assignment: Assignment
    rows: list[GradebookRow]

    @property
    def exercise_ids(self) -> list[str]:
        return [e.id for e in self.assignment.manifest.exercises]

    @property
    def counting(self) -> list[Submission]:
        return [row.counting for row in self.rows if row.counting is not None]

    @property
    def scores(self) -> list[float]:
        return [row.score for row in self.rows if row.score is not None]

    def summary(self) -> Summary:
        return Summary.of(self.scores)

    def exercise_means(self) -> dict[str, float | None]:
        """The mean score per exercise over the students who have a counting submission."""
        means: dict[str, float | None] = {}
        for exercise_id in self.exercise_ids:
            values = [row.exercise_score(exercise_id) or 0.0 for row in self.rows if row.counting is not None]
            means[exercise_id] = statistics.fmean(values) if values else None
        return means


def roster_students(session: Session) -> list[User]:
    """Every student on the roster (not the removed ones: their submissions stay, off the gradebook), by name."""
    return list(session.scalars(select(User).where(User.role == Role.student, User.removed_at.is_(None))
                                .order_by(User.name, User.email)))


def build_gradebook(session: Session, assignment: Assignment) -> Gradebook:
    """One row per roster student, those who never submitted included (results without their payloads)."""
    counting = {row.user_id: row for row in counting_submissions(session, assignment)}
    counts: dict[int, int] = dict(session.execute(
        select(Submission.user_id, func.count(Submission.id)).where(Submission.assignment_id == assignment.id)
        .group_by(Submission.user_id)).all())
    rows = [GradebookRow(student, counting.get(student.id), counts.get(student.id, 0))
            for student in roster_students(session)]
    return Gradebook(assignment, rows)


def status_counts(session: Session) -> dict[str, dict[str, int]]:
    """Per assignment id, how many submissions are in each status."""
    counts: dict[str, dict[str, int]] = {}
    for assignment_id, state, number in session.execute(
            select(Submission.assignment_id, Submission.status, func.count(Submission.id))
            .group_by(Submission.assignment_id, Submission.status)):
        counts.setdefault(assignment_id, {})[SubmissionStatus(state).value] = number
    return counts


def submitters(session: Session) -> dict[str, int]:
    """Per assignment id, how many different students on the roster (not removed) have submitted."""
    return dict(session.execute(
        select(Submission.assignment_id, func.count(func.distinct(Submission.user_id)))
        .join(User, User.id == Submission.user_id)
        .where(User.role == Role.student, User.removed_at.is_(None))
        .group_by(Submission.assignment_id)).all())


def live_queue(session: Session, *, limit: int = 50) -> list[Submission]:
    """What is being graded and what waits, running first, then the oldest queued."""
    return list(session.scalars(
        select(Submission).options(joinedload(Submission.user))
        .where(Submission.status.in_((SubmissionStatus.running, SubmissionStatus.queued)))
        .order_by(Submission.status.desc(), Submission.queued_at).limit(limit)))


@dataclass(frozen=True)
class TestSummary:
    """One test across the class's counting submissions: how many passed, the commonest failure messages."""

    __test__ = False  # not a pytest class

    exercise: str
    name: str
    hidden: bool
    passed: int
    failed: int
    commonest: list[tuple[str, int]]

    @property
    def pass_rate(self) -> float:
        total = self.passed + self.failed
        return self.passed / total if total else 1.0


def summarize_tests(session: Session, gradebook: Gradebook, *, messages: int = 3) -> list[TestSummary]:
    """Every test of the counting submissions with its pass rate and commonest failures, worst first.

    Two GROUP BY queries over ``result_tests``: no payload is read.
    """
    ids = _counting_result_ids(gradebook)
    if not ids:
        return []
    where = ResultTest.result_id.in_(ids)
    failing = func.sum(case((ResultTest.passed, 0), else_=1))
    counts = session.execute(
        select(ResultTest.exercise, ResultTest.name, func.max(case((ResultTest.hidden, 1), else_=0)),
               func.count(ResultTest.id), failing)
        .where(where).group_by(ResultTest.exercise, ResultTest.name)).all()
    commonest: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for exercise, name, message, number in session.execute(
            select(ResultTest.exercise, ResultTest.name, ResultTest.message, func.count(ResultTest.id))
            .where(where, ResultTest.passed.is_(False))
            .group_by(ResultTest.exercise, ResultTest.name, ResultTest.message)
            .order_by(func.count(ResultTest.id).desc(), ResultTest.message)):
        listed = commonest.setdefault((exercise, name), [])
        if len(listed) < messages:
            listed.append((message, number))
    summaries = [TestSummary(exercise, name, bool(hidden), total - failed, failed, commonest.get((exercise, name), []))
                 for exercise, name, hidden, total, failed in counts]
    return sorted(summaries, key=lambda s: (s.pass_rate, s.exercise, s.name))


def failing_submissions(session: Session, gradebook: Gradebook, *, exercise: str,
                        test: str) -> list[tuple[Submission, str]]:
    """The counting submissions that failed one test, each with the message it got, by student."""
    by_result = {row.result.id: row for row in gradebook.counting if row.result is not None}
    if not by_result:
        return []
    failed = session.execute(
        select(ResultTest.result_id, ResultTest.message)
        .where(ResultTest.result_id.in_(list(by_result)), ResultTest.exercise == exercise, ResultTest.name == test,
               ResultTest.passed.is_(False))).all()
    return sorted(((by_result[result_id], message) for result_id, message in failed),
                  key=lambda pair: (pair[0].user.name, pair[0].user.email))


def _counting_result_ids(gradebook: Gradebook) -> list[int]:
    return [row.result.id for row in gradebook.counting if row.result is not None]


@dataclass(frozen=True)
class ScoreChange:
    """A regrade that changed the score of a student's counting submission."""

    student: User
    submission: Submission
    before: float
    after: float

    @property
    def delta(self) -> float:
        return self.after - self.before


def regrade_changes(session: Session, gradebook: Gradebook) -> list[ScoreChange]:
    """Counting submissions whose newest result scores differently from the one before it, largest change first."""
    regraded = {row.id: row for row in gradebook.counting if row.result_version > 1}
    if not regraded:
        return []
    previous = session.execute(
        select(Result.submission_id, Result.score).join(
            Submission, and_(Submission.id == Result.submission_id, Result.version == Submission.result_version - 1))
        .where(Submission.id.in_(list(regraded)))).all()
    changes = [ScoreChange(regraded[sid].user, regraded[sid], before, regraded[sid].result.score)  # type: ignore[union-attr]
               for sid, before in previous if regraded[sid].result and regraded[sid].result.score != before]  # type: ignore[union-attr]
    return sorted(changes, key=lambda change: (-abs(change.delta), change.student.name))


def histogram(scores: list[float], max_score: float, *, bins: int = 10) -> list[int]:
    """How many scores fall in each of ``bins`` equal ranges of 0..max_score (the top one closed)."""
    counts = [0] * bins
    for score in scores:
        index = int(score / max_score * bins) if max_score > 0 else 0
        counts[min(max(index, 0), bins - 1)] += 1
    return counts


def gradebook_csv(gradebook: Gradebook) -> str:
    """One row per roster student: name, email, each exercise, total, status, late, submissions, policy."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    ids = gradebook.exercise_ids
    writer.writerow(["name", "email", *ids, "total", "max_score", "status", "late", "submissions", "counts",
                     "submission"])
    policy = gradebook.assignment.manifest.policy.counts
    for row in gradebook.rows:
        sub = row.counting
        writer.writerow([
            _cell(row.student.name), row.student.email, *[_number(row.exercise_score(i)) for i in ids],
            _number(row.score), gradebook.assignment.manifest.max_score,
            sub.status.value if sub else "not submitted", ("yes" if sub.late else "no") if sub else "",
            row.submissions, policy, sub.id if sub else "",
        ])
    return buffer.getvalue()


def canvas_csv(gradebook: Gradebook) -> str:
    """The gradebook in the shape Canvas imports: Student, ID, SIS User ID, SIS Login ID, Section, the assignment."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    manifest = gradebook.assignment.manifest
    column = f"{manifest.title} ({manifest.id})"
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column])
    writer.writerow(["Points Possible", "", "", "", "", f"{manifest.max_score:g}"])
    for row in gradebook.rows:
        writer.writerow([_cell(row.student.name), "", "", row.student.email, "", _number(row.score)])
    return buffer.getvalue()


def _number(value: float | None) -> str:
    return "" if value is None else format(value, ".12g")


def _cell(text: str) -> str:
    """Keep a spreadsheet from reading a name as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
