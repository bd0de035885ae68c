"""The schema: Alembic migrations match the models, on SQLite (WAL) and on a real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.exc import IntegrityError, OperationalError

from grader.config import Settings
from grader.service.db import make_engine, migrate, session_scope
from grader.service.records import Base, Result, Role, Submission, User

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(Settings(data_dir=tmp_path / "data"))
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    """A fresh database on the local PostgreSQL (as in deployment), dropped afterwards."""
    name = f"grader_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:  # pragma: no cover - the machines and CI run PostgreSQL
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES}: {exc}")
    engine = make_engine(Settings(database_url=f"{POSTGRES}/{name}"))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}"'))
        admin.dispose()


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
def test_a_submission_has_at_most_one_result(backend: str, request: pytest.FixtureRequest) -> None:
    engine: Engine = request.getfixturevalue(backend)
    migrate(engine)
    with session_scope(engine) as session:
        user = User(name="Ada", email="ada@example.org", role=Role.student, token_sha256="0" * 64)
        submission = Submission(assignment_id="mlp-basics", user=user, notebook_sha256="1" * 64, notebook_path="x")
        session.add(submission)
        session.flush()
        session.add(Result(submission_id=submission.id, status="graded", score=1.0, max_score=1.0, payload={}))
        submission_id = submission.id
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Result(submission_id=submission_id, status="graded", score=2.0, max_score=1.0, payload={}))
    with session_scope(engine) as session:
        assert session.get(Submission, submission_id).result.score == 1.0  # type: ignore[union-attr]
