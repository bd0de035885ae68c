"""A migrated database (SQLite and PostgreSQL) and settings for a private copy of the toy assignment."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import Engine

from grader.config import Settings
from grader.service.db import make_engine, migrate
from tests.conftest import FILES
from tests.utils.postgres import fresh_postgres_database


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    exercises = tmp_path / "exercises"
    shutil.copytree(FILES / "toy" / "exercises", exercises)
    return Settings(exercises_dir=exercises, reference_dir=FILES / "toy" / "reference", cache_dir=tmp_path / "cache",
                    data_dir=tmp_path / "data", submissions_per_minute=2)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Engine]:
    """The service's database, migrated: SQLite (the embedded default) and PostgreSQL (deployment)."""
    with ExitStack() as stack:
        url = stack.enter_context(fresh_postgres_database()) if request.param == "postgresql" else None
        engine = make_engine(settings.model_copy(update={"database_url": url}))
        stack.callback(engine.dispose)
        migrate(engine)
        yield engine
