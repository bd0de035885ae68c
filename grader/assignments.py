"""Assignments: a manifest in ``exercises/<id>/`` and a reference in ``reference/<id>/``."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, ValidationError, field_validator

from grader.config import MiB, Settings, get_settings
from grader.errors import ManifestError, UnknownAssignment

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
FILE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _python_names(names: list[str]) -> list[str]:
    bad = [n for n in names if not n.isidentifier()]
    if bad:
        raise ValueError(f"not Python names: {', '.join(map(repr, bad))}")
    return names


class ExerciseSpec(_Strict):
    """One graded exercise and the points it is worth."""

    id: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
    title: str
    points: PositiveFloat
    names: list[str] = Field(default=[], description="the notebook names the exercise completes (default: its "
                             "id); the kernel keeps their values as the cell that completed them left them")
    context: list[str] = Field(default=[], description="other names kept with that snapshot (e.g. the batch "
                               "the exercise's cell computed its loss on)")

    @field_validator("names", "context")
    @classmethod
    def _identifiers(cls, names: list[str]) -> list[str]:
        return _python_names(names)

    @property
    def completes(self) -> list[str]:
        """The names whose binding completes the exercise."""
        return self.names or [self.id]


class DataFile(_Strict):
    """A file generated for the kernel's working directory."""

    name: str = Field(pattern=FILE_PATTERN)
    generator: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*:[A-Za-z_][A-Za-z0-9_]*$")


class Limits(_Strict):
    """Per-assignment wall clocks; unset values fall back to Settings."""

    cell_timeout_s: PositiveFloat | None = None
    total_timeout_s: PositiveFloat | None = None
    call_timeout_s: PositiveFloat | None = None
    exercise_budget_s: PositiveFloat | None = None  # all the tests of one exercise
    suite_budget_s: PositiveFloat | None = None  # all the tests of a grading


class Policy(_Strict):
    """Submission rules of the service; unset values fall back to Settings."""

    deadline: dt.datetime | None = Field(None, description="ISO 8601 with a time zone")
    late: Literal["flag", "refuse"] = Field("flag", description="after the deadline: accept and flag, or refuse")
    counts: Literal["latest", "best"] = Field("latest", description="which submission goes in the gradebook")
    hidden_feedback: Literal["full", "summary", "none"] = Field(
        "full", description="what students see of the hidden tests: each test's name and message (full), one "
        "line per exercise with their points and how many passed (summary), or that line's points only (none)")
    max_upload_mib: PositiveFloat | None = None
    submissions_per_minute: PositiveInt | None = None

    @field_validator("deadline")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("deadline needs a time zone, e.g. 2026-12-01T23:59:00+01:00")
        return value


class Execution(_Strict):
    """Which cells a grading runs."""

    mode: Literal["needed", "full"] = Field("needed", description="needed: only the cells the graded names "
                                            "depend on (grader.needs), with a full run whenever skipping could "
                                            "explain a lost point; full: every cell")
    needs: list[str] = Field(default=[], description="names the suites read besides each exercise's names and "
                             "context (e.g. a DataLoader the notebook built)")

    @field_validator("needs")
    @classmethod
    def _identifiers(cls, names: list[str]) -> list[str]:
        return _python_names(names)


class Manifest(_Strict):
    """The contents of ``exercises/<id>/manifest.toml``."""

    id: str = Field(pattern=ID_PATTERN)
    title: str
    notebook: str = Field(pattern=FILE_PATTERN)
    device: Literal["cpu", "gpu"] = "cpu"
    limits: Limits = Limits()
    policy: Policy = Policy()
    execution: Execution = Execution()
    exercises: list[ExerciseSpec] = Field(min_length=1)
    data_files: list[DataFile] = []
    support_files: list[str] = Field(default=[], description="files or folders of exercises/<id>/ copied "
                                     "into the kernel's working directory (e.g. an offline shim package)")

    @field_validator("support_files")
    @classmethod
    def _relative_names(cls, names: list[str]) -> list[str]:
        for name in names:
            if not re.match(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$", name) or ".." in name:
                raise ValueError(f"support file {name!r} must be a plain relative path")
        return names

    @field_validator("exercises")
    @classmethod
    def _unique_ids(cls, exercises: list[ExerciseSpec]) -> list[ExerciseSpec]:
        ids = [e.id for e in exercises]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate exercise ids: {', '.join(dupes)}")
        return exercises

    @property
    def max_score(self) -> float:
        return sum(e.points for e in self.exercises)

    @property
    def needed_names(self) -> set[str]:
        """Every notebook name the suites read: the exercises' names and context, and ``execution.needs``."""
        names = {n for e in self.exercises for n in [*e.completes, *e.context]}
        return names | set(self.execution.needs)

    @property
    def snapshot_plan(self) -> dict[str, dict[str, list[str]]]:
        """What the kernel snapshots for each exercise: the names that complete it and the context kept with them."""
        return {e.id: {"names": e.completes, "context": [n for n in e.context if n not in e.completes]}
                for e in self.exercises}


@dataclass(frozen=True)
class Assignment:
    """A validated manifest together with where its files live."""

    manifest: Manifest
    exercise_dir: Path
    reference_dir: Path | None  # None for a student's kit: no solution, no hidden tests

    @property
    def id(self) -> str:
        return self.manifest.id

    @property
    def notebook_path(self) -> Path:
        return self.exercise_dir / self.manifest.notebook

    @property
    def public_tests(self) -> Path:
        return self.exercise_dir / "tests"

    @property
    def hidden_tests(self) -> Path | None:
        return self.reference_dir / "tests" if self.reference_dir else None

    def load_reference(self) -> ModuleType:
        """Import the reference solution (trusted process only)."""
        if self.reference_dir is None:
            raise ManifestError(f"{self.id}: this is a student's kit; the hidden tests run when you submit")
        return _import_file(self.reference_dir / "solution.py", f"grader_reference_{self.id.replace('-', '_')}")

    def cell_timeout(self, settings: Settings) -> float:
        return self.manifest.limits.cell_timeout_s or settings.cell_timeout_s

    def total_timeout(self, settings: Settings) -> float:
        return self.manifest.limits.total_timeout_s or settings.total_timeout_s

    def call_timeout(self, settings: Settings) -> float:
        return self.manifest.limits.call_timeout_s or settings.call_timeout_s

    def exercise_budget(self, settings: Settings) -> float:
        return self.manifest.limits.exercise_budget_s or settings.exercise_budget_s

    def suite_budget(self, settings: Settings) -> float:
        return self.manifest.limits.suite_budget_s or settings.suite_budget_s

    def max_notebook_bytes(self, settings: Settings) -> int:
        """The largest notebook this assignment takes: its policy, else the setting (upload and grading alike)."""
        limit = self.manifest.policy.max_upload_mib
        return int(limit * MiB) if limit else settings.max_notebook_bytes


def list_assignments(settings: Settings | None = None) -> list[str]:
    """Ids of every folder under ``exercises/`` that has a manifest."""
    settings = settings or get_settings()
    if not settings.exercises_dir.is_dir():
        return []
    return sorted(p.parent.name for p in settings.exercises_dir.glob("*/manifest.toml"))


def load_assignment(assignment_id: str, settings: Settings | None = None) -> Assignment:
    """Load and validate one assignment; unknown or malformed ids raise UnknownAssignment."""
    settings = settings or get_settings()
    known = list_assignments(settings)
    if not re.match(ID_PATTERN, assignment_id) or assignment_id not in known:
        raise UnknownAssignment.from_id(assignment_id, known)
    exercise_dir = settings.exercises_dir / assignment_id
    manifest = read_manifest(exercise_dir / "manifest.toml")
    if manifest.id != assignment_id:
        raise ManifestError(f"{exercise_dir / 'manifest.toml'}: id {manifest.id!r} does not match its folder")
    assignment = Assignment(manifest, exercise_dir, settings.reference_dir / assignment_id)
    if not assignment.notebook_path.is_file():
        raise ManifestError(f"{assignment_id}: notebook {manifest.notebook!r} is missing")
    return assignment


def load_kit(folder: Path) -> Assignment:
    """An assignment from a fetched kit (``grader fetch``): its manifest, notebook and public tests only."""
    manifest = read_manifest(folder / "manifest.toml")
    assignment = Assignment(manifest, folder, None)
    if not assignment.notebook_path.is_file():
        raise ManifestError(f"{folder}: the kit's notebook {manifest.notebook!r} is missing; fetch it again")
    return assignment


def find_assignment(assignment_id: str, *, near: Path, settings: Settings | None = None) -> Assignment:
    """The assignment ``assignment_id`` for a notebook in folder ``near``: its kit there, else the course's."""
    for folder in (near, near / assignment_id):
        manifest = folder / "manifest.toml"
        if manifest.is_file() and read_manifest(manifest).id == assignment_id:
            return load_kit(folder)
    settings = settings or get_settings()
    known = list_assignments(settings)
    if assignment_id in known:
        return load_assignment(assignment_id, settings)
    shown = assignment_id if len(assignment_id) <= 80 else assignment_id[:80] + "..."
    raise UnknownAssignment(f"no kit for {shown!r} in {near} (get it with: grader fetch {shown} --server URL)"
                            + (f"; this machine has {', '.join(known)}" if known else ""))


def kits_near(folder: Path) -> list[Assignment]:
    """The kits in ``folder`` and in its direct subfolders (where ``grader fetch`` puts them)."""
    found = []
    for manifest in [folder / "manifest.toml", *sorted(folder.glob("*/manifest.toml"))]:
        if manifest.is_file():
            try:
                found.append(load_kit(manifest.parent))
            except ManifestError:
                continue
    return found


def read_manifest(path: Path) -> Manifest:
    """Parse and validate a manifest file, naming the file and field on failure."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return Manifest.model_validate(data)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ManifestError(f"{path}: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'manifest'}: {err['msg']}" for err in exc.errors()
        )
        raise ManifestError(f"{path}: {problems}") from exc


def _import_file(path: Path, module_name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ManifestError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def workdir_files(assignment: Assignment, settings: Settings | None = None) -> list[Path]:
    """The data files and support files (or folders) the kernel needs in its working directory."""
    files = list(build_data_files(assignment, settings))
    for name in assignment.manifest.support_files:
        source = assignment.exercise_dir / name
        if not source.exists():
            raise ManifestError(f"{assignment.id}: support file {name!r} is missing")
        files.append(source)
    return files


def stage_workdir(assignment: Assignment, workdir: Path, settings: Settings | None = None) -> None:
    """Copy the data files and support files the kernel needs into its working directory."""
    for source in workdir_files(assignment, settings):
        if source.is_dir():
            shutil.copytree(source, workdir / source.name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, workdir / source.name)


def build_data_files(assignment: Assignment, settings: Settings | None = None) -> list[Path]:
    """Generate (once, then from the cache) the data files the manifest lists."""
    settings = settings or get_settings()
    paths = []
    for data_file in assignment.manifest.data_files:
        shipped = assignment.exercise_dir / data_file.name
        if assignment.reference_dir is None:  # a kit carries its data files, generated by the service
            if not shipped.is_file():
                raise ManifestError(f"{assignment.id}: the kit's data file {data_file.name!r} is missing; "
                                    "fetch the kit again")
            paths.append(shipped)
            continue
        target = settings.cache_dir / assignment.id / data_file.name
        if not target.is_file():
            module_name, func_name = data_file.generator.split(":")
            module = _import_file(
                assignment.exercise_dir / f"{module_name}.py", f"grader_data_{assignment.id.replace('-', '_')}"
            )
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
                # Same name in a scratch folder (np.savez appends .npz to other names),
                # then an atomic rename: a crash never leaves half a file in the cache.
                partial = Path(scratch) / data_file.name
                getattr(module, func_name)(partial)
                partial.replace(target)
        paths.append(target)
    return paths
