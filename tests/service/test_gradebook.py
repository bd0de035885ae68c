"""The instructors' roll-ups: the whole roster, statistics, what the class got wrong, regrade changes, exports."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import Engine

from grader.assignments import load_assignment
from grader.config import Settings
from grader.service.db import session_scope
from grader.service.gradebook import (Summary, build_gradebook, canvas_csv, gradebook_csv, histogram,
                                      failing_submissions, regrade_changes, status_counts, submitters,
                                      summarize_tests)
from grader.service.records import Role
from grader.service.roster import remove_member
from grader.service.submissions import regrade_submission
from tests.utils.records import add_student, grade, set_policy, submit, toy_result


@pytest.fixture
def course(engine: Engine, settings: Settings) -> dict[str, str]:
    """Ada (graded twice: 1 then 3), Bob (graded 2), Cy (queued), Dee (never submitted), and an instructor."""
    set_policy(settings, "submissions_per_minute = 5")
    ada, bob = add_student(engine, "ada@example.org", "Ada"), add_student(engine, "bob@example.org", "Bob")
    cy = add_student(engine, "cy@example.org", "Cy")
    add_student(engine, "dee@example.org", "Dee")
    add_student(engine, "tess@example.org", "Tess", role=Role.instructor)
    ids = {"ada-first": submit(engine, settings, ada), "ada": submit(engine, settings, ada),
           "bob": submit(engine, settings, bob), "cy": submit(engine, settings, cy)}
    grade(engine, ids["ada-first"], toy_result(1.0, tests={"a": (False, "wrong shape"), "b": (True, "")}))
    grade(engine, ids["ada"], toy_result(3.0, tests={"a": (True, ""), "b": (True, "")}))
    grade(engine, ids["bob"], toy_result(2.0, tests={"a": (False, "wrong shape"), "b": (False, "too big")}))
    return ids


def test_the_gradebook_has_every_roster_student_and_only_students(engine: Engine, settings: Settings,
                                                                  course: dict[str, str]) -> None:
    with session_scope(engine) as session:
        book = build_gradebook(session, load_assignment("toy", settings))
        rows = {row.student.email: row for row in book.rows}
        assert sorted(rows) == ["ada@example.org", "bob@example.org", "cy@example.org", "dee@example.org"]
        assert rows["ada@example.org"].score == 3.0 and rows["ada@example.org"].submissions == 2
        assert rows["cy@example.org"].score is None and rows["cy@example.org"].submissions == 1  # queued only
        assert rows["dee@example.org"].counting is None and rows["dee@example.org"].submissions == 0
        assert rows["ada@example.org"].exercise_score("add") == 3.0 and rows["dee@example.org"].exercise_score("add") is None
        assert book.summary() == Summary(count=2, mean=2.5, median=2.5, low=2.0, high=3.0)
        assert book.exercise_means()["add"] == 2.5 and book.exercise_means()["scale"] == 0.0


def test_the_best_policy_counts_the_best_result(engine: Engine, settings: Settings, course: dict[str, str]) -> None:
    manifest = settings.exercises_dir / "toy" / "manifest.toml"
    manifest.write_text(manifest.read_text().replace("[policy]", '[policy]\ncounts = "best"'))
    with session_scope(engine) as session:
        grade_ada = build_gradebook(session, load_assignment("toy", settings)).rows[0]
        assert grade_ada.student.name == "Ada" and grade_ada.counting is not None
        assert grade_ada.counting.id == course["ada"] and grade_ada.score == 3.0


def test_counts_by_status_and_submitters(engine: Engine, course: dict[str, str]) -> None:
    with session_scope(engine) as session:
        assert status_counts(session) == {"toy": {"graded": 3, "queued": 1}}
        assert submitters(session) == {"toy": 3}


def test_submitters_are_students_still_on_the_roster(engine: Engine, settings: Settings,
                                                     course: dict[str, str]) -> None:
    tess = add_student(engine, "tess2@example.org", "Tess Two", role=Role.instructor)
    submit(engine, settings, tess)
    with session_scope(engine) as session:
        remove_member(session, "bob@example.org")
    with session_scope(engine) as session:
        assert submitters(session) == {"toy": 2}  # Ada and Cy: not Bob (removed), not the instructor


def test_what_the_class_got_wrong_is_worst_first_with_the_commonest_messages(engine: Engine, settings: Settings,
                                                                              course: dict[str, str]) -> None:
    with session_scope(engine) as session:
        book = build_gradebook(session, load_assignment("toy", settings))
        summaries = summarize_tests(session, book)
        assert [(s.name, s.passed, s.failed, s.hidden) for s in summaries] == [("a", 1, 1, True), ("b", 1, 1, True)]
        assert summaries[0].commonest == [("wrong shape", 1)] and summaries[1].commonest == [("too big", 1)]
        failing = failing_submissions(session, book, exercise="add", test="a")
        assert [(s.id, message) for s, message in failing] == [(course["bob"], "wrong shape")]  # Ada's passed


def test_a_regrade_that_changed_a_score_is_reported_with_its_delta(engine: Engine, settings: Settings,
                                                                  course: dict[str, str]) -> None:
    for who, new_score in (("ada", 4.0), ("bob", 2.0)):  # Bob's regrade changes nothing
        with session_scope(engine) as session:
            assert regrade_submission(session, course[who])
        grade(engine, course[who], toy_result(new_score))
    with session_scope(engine) as session:
        changes = regrade_changes(session, build_gradebook(session, load_assignment("toy", settings)))
        assert [(c.student.name, c.before, c.after, c.delta) for c in changes] == [("Ada", 3.0, 4.0, 1.0)]


def test_the_histogram_puts_each_score_in_its_tenth_and_the_top_score_in_the_last() -> None:
    assert histogram([0.0, 0.39, 0.4, 3.99, 4.0], 4.0) == [2, 1, 0, 0, 0, 0, 0, 0, 0, 2]
    assert histogram([], 4.0) == [0] * 10


def test_the_csv_exports_have_a_row_per_student_and_defuse_formulas(engine: Engine, settings: Settings,
                                                                   course: dict[str, str]) -> None:
    add_student(engine, "eve@example.org", "=HYPERLINK(\"http://evil\")")
    with session_scope(engine) as session:
        book = build_gradebook(session, load_assignment("toy", settings))
        rows = list(csv.DictReader(io.StringIO(gradebook_csv(book))))
        canvas = list(csv.reader(io.StringIO(canvas_csv(book))))
    assert [r["email"] for r in rows] == ["eve@example.org", "ada@example.org", "bob@example.org",
                                          "cy@example.org", "dee@example.org"]  # by name: '=' sorts first
    ada = rows[1]
    assert (ada["add"], ada["total"], ada["status"], ada["submissions"], ada["counts"]) == ("3", "3", "graded", "2",
                                                                                          "latest")
    assert rows[4]["total"] == "" and rows[4]["status"] == "not submitted"
    assert rows[0]["name"].startswith("'=")
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Toy assignment for engine tests (toy)"]
    assert canvas[1][0] == "Points Possible" and canvas[1][-1] == "4"
    assert canvas[3] == ["Ada", "", "", "ada@example.org", "", "3"] and canvas[2][0].startswith("'=")
