"""Manifests are validated and a bad one fails loudly, naming the file and the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.assignments import build_data_files, list_assignments, load_assignment
from grader.config import Settings
from grader.errors import ManifestError, UnknownAssignment
from tests.conftest import FILES

GOOD = (FILES / "toy" / "exercises" / "toy" / "manifest.toml").read_text()


@pytest.fixture
def workspace(tmp_path: Path) -> Settings:
    shutil.copytree(FILES / "toy" / "exercises", tmp_path / "exercises")
    shutil.copytree(FILES / "toy" / "reference", tmp_path / "reference")
    return Settings(exercises_dir=tmp_path / "exercises", reference_dir=tmp_path / "reference",
                    cache_dir=tmp_path / "cache")


def _write_manifest(settings: Settings, text: str) -> None:
    (settings.exercises_dir / "toy" / "manifest.toml").write_text(text)


def test_real_assignments_load(repo_settings: Settings) -> None:
    for assignment_id in list_assignments(repo_settings):
        assignment = load_assignment(assignment_id, repo_settings)
        assert assignment.notebook_path.is_file() and assignment.hidden_tests.is_dir()
        assert hasattr(assignment.load_reference(), "__file__")


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda t: t.replace('points = 2', 'points = -2'), "exercises.2.points"),
        (lambda t: t.replace('id = "scale"', 'id = "add"'), "duplicate exercise ids: add"),
        (lambda t: t.replace('device = "cpu"\n', '') + '\ndevice = "tpu"\n', "device"),
        (lambda t: t + "\nsurprise = 1\n", "surprise"),
        (lambda t: t.replace('title = "Toy assignment for engine tests"', ''), "title"),
        (lambda t: t.replace('name = "numbers.npy"', 'name = "../escape.npy"'), "data_files.0.name"),
        (lambda t: t + "\n[[[broken", "toy/manifest.toml"),
        (lambda t: t.replace('id = "toy"', 'id = "other"'), "does not match its folder"),
        (lambda t: t.replace('notebook = "toy.ipynb"', 'notebook = "missing.ipynb"'), "missing.ipynb"),
    ],
    ids=["negative-points", "duplicate-ids", "bad-device", "unknown-key", "no-title", "path-in-data-name",
         "bad-toml", "id-mismatch", "missing-notebook"],
)
def test_bad_manifest_fails_loudly(workspace: Settings, edit, needle: str) -> None:  # type: ignore[no-untyped-def]
    _write_manifest(workspace, edit(GOOD))
    with pytest.raises(ManifestError, match=needle.replace(".", r"\.")):
        load_assignment("toy", workspace)


@pytest.mark.parametrize("assignment_id", ["nope", "../toy", "toy/../toy", "TOY", "", "a" * 200])
def test_unknown_or_path_like_ids_are_refused(workspace: Settings, assignment_id: str) -> None:
    with pytest.raises(UnknownAssignment, match="available: toy"):
        load_assignment(assignment_id, workspace)


def test_data_files_are_generated_once_and_cached(workspace: Settings) -> None:
    assignment = load_assignment("toy", workspace)
    (path,) = build_data_files(assignment, workspace)
    assert path.name == "numbers.npy" and path.read_bytes()
    path.write_bytes(b"cached")
    assert build_data_files(assignment, workspace)[0].read_bytes() == b"cached"


def test_support_files_are_copied_into_the_workdir(workspace: Settings, tmp_path: Path) -> None:
    from grader.assignments import stage_workdir

    shim = workspace.exercises_dir / "toy" / "shims" / "fakepkg"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text("VALUE = 1\n")
    _write_manifest(workspace, GOOD.replace('[limits]', 'support_files = ["shims/fakepkg"]\n\n[limits]'))
    workdir = tmp_path / "work"
    workdir.mkdir()
    stage_workdir(load_assignment("toy", workspace), workdir, workspace)
    assert (workdir / "fakepkg" / "__init__.py").read_text() == "VALUE = 1\n"
    assert (workdir / "numbers.npy").is_file()


@pytest.mark.parametrize("name", ["../secret", "/etc/passwd", "a/../../b", ""])
def test_support_files_must_stay_inside_the_assignment(workspace: Settings, name: str) -> None:
    _write_manifest(workspace, GOOD.replace('[limits]', f'support_files = ["{name}"]\n\n[limits]'))
    with pytest.raises(ManifestError, match="support_files"):
        load_assignment("toy", workspace)
