"""The schema: Alembic migrations match the models, on SQLite (WAL) and on a real PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from grader.config import Settings
from grader.service.db import alembic_config, make_engine, migrate, session_scope
from grader.service.records import Base, Result, Role, Submission, User
from tests.utils.postgres import fresh_postgres_database


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(Settings(data_dir=tmp_path / "data"))
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    """A fresh database on the local PostgreSQL (as in deployment), dropped afterwards."""
    with fresh_postgres_database() as url:
        engine = make_engine(Settings(database_url=url))
        try:
            yield engine
        finally:
            engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite_engine", "postgres_engine"])
def test_migrations_build_exactly_the_models(backend: str, request: pytest.FixtureRequest) -> None:
    engine: Engine = request.getfixturevalue(backend)
    migrate(engine)
    migrate(engine)  # idempotent: a restart migrates again
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    assert {"users", "submissions", "results", "alembic_version"} <= set(inspect(engine).get_table_names())


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_engine: Engine) -> None:
    migrate(sqlite_engine)
    with sqlite_engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


@pytest.mark.parametrize("backend", ["sqlite_engine", "postgres_engine"])
def test_a_submission_has_one_result_per_version_and_the_current_one_counts(backend: str,
                                                                            request: pytest.FixtureRequest) -> None:
    engine: Engine = request.getfixturevalue(backend)
    migrate(engine)
    with session_scope(engine) as session:
        user = User(name="Ada", email="ada@example.org", role=Role.student, token_sha256="0" * 64)
        submission = Submission(assignment_id="mlp-basics", user=user, notebook_sha256="1" * 64, notebook_path="x",
                                result_version=1)
        session.add(submission)
        session.flush()
        session.add(Result(submission_id=submission.id, version=1, status="graded", score=1.0, max_score=1.0,
                           payload={}))
        submission_id = submission.id
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Result(submission_id=submission_id, version=1, status="graded", score=2.0, max_score=1.0,
                           payload={}))
    with session_scope(engine) as session:
        assert session.get(Submission, submission_id).result.score == 1.0  # type: ignore[union-attr]
        session.add(Result(submission_id=submission_id, version=2, status="graded", score=3.0, max_score=1.0,
                           payload={}))
        session.get(Submission, submission_id).result_version = 2  # type: ignore[union-attr]
    with session_scope(engine) as session:
        row = session.get(Submission, submission_id)
        assert row is not None and row.result is not None and row.result.score == 3.0
        assert [r.score for r in row.results] == [1.0, 3.0]


@pytest.mark.parametrize("backend", ["sqlite_engine", "postgres_engine"])
def test_upgrading_keeps_results_graded_before_versions_as_current(backend: str,
                                                                  request: pytest.FixtureRequest) -> None:
    sqlite_engine: Engine = request.getfixturevalue(backend)
    """A database of revision 0001 (one result per submission) upgrades with each result as version 1."""
    command.upgrade(alembic_config(sqlite_engine), "0001")
    verdict = {"name": "shape", "points": 0.5, "max_points": 1.0, "passed": False, "hidden": True, "message": "off"}
    payload = {"exercises": [{"id": "Net", "score": 2.5, "tests": [verdict]}, {"id": "train", "score": 0.5}]}
    with sqlite_engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (id, name, email, role, token_sha256, created_at) "
            "VALUES (1, 'Ada', 'ada@example.org', 'student', :t, '2026-11-01')"), {"t": "0" * 64})
        connection.execute(text(
            "INSERT INTO submissions (id, assignment_id, user_id, notebook_sha256, notebook_path, status, late, "
            "attempts, queued_at) VALUES ('s1', 'mlp-basics', 1, :h, 'x', 'graded', false, 1, '2026-11-01')"),
            {"h": "1" * 64})
        connection.execute(text(
            "INSERT INTO results (submission_id, status, score, max_score, payload, created_at) "
            "VALUES ('s1', 'graded', 3.0, 10.0, :p, '2026-11-01')"), {"p": json.dumps(payload)})
    migrate(sqlite_engine)
    with session_scope(sqlite_engine) as session:
        row = session.get(Submission, "s1")
        assert row is not None and row.result_version == 1 and row.result is not None
        assert row.result.score == 3.0 and row.result.exercise_scores == {"Net": 2.5, "train": 0.5}
        assert [(t.exercise, t.name, t.passed, t.hidden, t.message) for t in row.result.tests] == [
            ("Net", "shape", False, True, "off")]
