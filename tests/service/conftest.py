"""A migrated SQLite database under settings for a private copy of the toy assignment."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from grader.config import Settings
from grader.service.db import make_engine, migrate
from tests.conftest import FILES


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    exercises = tmp_path / "exercises"
    shutil.copytree(FILES / "toy" / "exercises", exercises)
    return Settings(exercises_dir=exercises, reference_dir=FILES / "toy" / "reference", cache_dir=tmp_path / "cache",
                    data_dir=tmp_path / "data", submissions_per_minute=2)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings)
    migrate(engine)
    yield engine
    engine.dispose()
