"""Shared fixtures: settings pointing at the toy assignment, notebook builders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.config import REPO_ROOT, Settings

FILES = Path(__file__).parent / "files"

# Verdicts do not depend on drawings: tests grade with the Agg backend (drawing every figure of the real
# notebooks would add minutes). The page tests' service turns figures back on, the default, to show them.
os.environ.setdefault("GRADER_FIGURES", "false")


@pytest.fixture
def toy_settings(tmp_path: Path) -> Settings:
    """Settings whose only assignment is the engine-test assignment ``toy``."""
    return Settings(
        exercises_dir=FILES / "toy" / "exercises",
        reference_dir=FILES / "toy" / "reference",
        cache_dir=tmp_path / "cache",
    )


@pytest.fixture
def repo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for the real assignments of the repo, with a private data cache."""
    return Settings(
        exercises_dir=REPO_ROOT / "exercises",
        reference_dir=REPO_ROOT / "reference",
        cache_dir=tmp_path_factory.getbasetemp() / "data-cache",
    )
