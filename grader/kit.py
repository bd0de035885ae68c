"""An assignment's kit: what a student needs on their own machine, and nothing secret.

The kit is a zip of one folder, ``<assignment>/``: the student notebook, the
manifest, the public tests, the generated data files and the support files.
It is built from an allow-list, so nothing else in ``exercises/<id>/`` (and
nothing of ``reference/``: solutions, hidden tests) can slip into it.
``grader check`` and ``grader.check`` find a fetched kit by its manifest.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from grader.assignments import Assignment, build_data_files
from grader.config import MiB, Settings
from grader.errors import ServiceError

MAX_KIT_BYTES = 256 * MiB  # unpacked; the largest kit today (decoding's recording) is a few MiB
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # the same files give the same zip, byte for byte


def kit_files(assignment: Assignment, settings: Settings | None = None) -> Iterator[tuple[str, Path]]:
    """Each file of the kit: its path inside the kit's folder, and where it is read from."""
    exercise_dir = assignment.exercise_dir
    yield "manifest.toml", exercise_dir / "manifest.toml"
    yield assignment.manifest.notebook, assignment.notebook_path
    if assignment.public_tests.is_dir():
        for test in sorted(assignment.public_tests.rglob("*.py")):
            yield test.relative_to(exercise_dir).as_posix(), test
    for data_file in build_data_files(assignment, settings):
        yield data_file.name, data_file
    for name in assignment.manifest.support_files:
        source = exercise_dir / name
        files = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
        for path in files:
            if "__pycache__" not in path.parts:
                yield path.relative_to(exercise_dir).as_posix(), path


def build_kit(assignment: Assignment, settings: Settings | None = None) -> bytes:
    """The kit as a zip whose entries all sit under ``<assignment id>/``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, source in kit_files(assignment, settings):
            info = zipfile.ZipInfo(f"{assignment.id}/{name}", date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, source.read_bytes())
    return buffer.getvalue()


def unpack_kit(data: bytes, destination: Path, *, assignment_id: str) -> tuple[Path, list[str]]:
    """Unpack a kit into ``destination/<assignment_id>/``; returns that folder and the files kept as they were.

    A notebook already there is the student's work and is never overwritten; every
    other file is replaced by the kit's. Nothing is written unless every entry is
    inside the folder and the whole kit is within ``MAX_KIT_BYTES``.
    """
    folder = destination / assignment_id
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = [(info, _inner_path(info.filename, assignment_id))
                       for info in archive.infolist() if not info.is_dir()]
            if sum(info.file_size for info, _ in entries) > MAX_KIT_BYTES:
                raise ServiceError(f"the kit unpacks to more than {MAX_KIT_BYTES // MiB} MiB; refusing it")
            kept: list[str] = []
            for info, inner in entries:
                target = folder.joinpath(*inner.parts)
                if target.suffix == ".ipynb" and target.exists():
                    kept.append(inner.as_posix())
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_name(f".{target.name}.partial")
                partial.write_bytes(archive.read(info))
                partial.replace(target)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
        raise ServiceError("the server sent something that is not a kit (not a readable zip file)") from None
    except OSError as exc:
        raise ServiceError(f"cannot write the kit into {folder}: {exc.strerror or exc}") from None
    return folder, kept


def _inner_path(name: str, assignment_id: str) -> PurePosixPath:
    path = PurePosixPath(name)
    # a backslash or a drive letter is a separator somewhere (Windows): never part of a kit's names
    if ("\\" in name or ":" in name or path.is_absolute() or ".." in path.parts or len(path.parts) < 2
            or path.parts[0] != assignment_id):
        raise ServiceError(f"the kit holds a file outside {assignment_id}/ ({name[:100]!r}); refusing it")
    return PurePosixPath(*path.parts[1:])
