"""The kit: built from an allow-list, unpacked safely, found again by `grader check` and `grader.check`."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from grader import kit as kits
from grader.assignments import build_data_files, find_assignment, kits_near, load_assignment
from grader.config import Settings
from grader.errors import ManifestError, ServiceError, UnknownAssignment
from grader.kit import build_kit, unpack_kit


def _names(data: bytes) -> set[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return set(archive.namelist())


def test_the_kit_holds_the_notebook_public_tests_and_generated_data_only(toy_settings: Settings) -> None:
    toy = load_assignment("toy", toy_settings)
    assert (toy.exercise_dir / "data.py").is_file()  # the generator stays on the service
    assert _names(build_kit(toy, toy_settings)) == {
        "toy/manifest.toml", "toy/toy.ipynb", "toy/tests/test_public.py", "toy/numbers.npy"}


def test_the_same_assignment_gives_the_same_kit(toy_settings: Settings) -> None:
    toy = load_assignment("toy", toy_settings)
    assert build_kit(toy, toy_settings) == build_kit(toy, toy_settings)


def test_support_folders_travel_without_caches(repo_settings: Settings) -> None:
    names = _names(build_kit(load_assignment("mnist-mlp", repo_settings), repo_settings))
    assert "mnist-mlp/shims/torchvision/__init__.py" in names
    assert not [n for n in names if "__pycache__" in n]


@pytest.fixture
def unpacked(tmp_path: Path, toy_settings: Settings) -> Path:
    folder, kept = unpack_kit(build_kit(load_assignment("toy", toy_settings), toy_settings), tmp_path,
                              assignment_id="toy")
    assert kept == [] and folder == tmp_path / "toy"
    return folder


def test_an_unpacked_kit_is_found_next_to_its_notebook_and_one_folder_up(unpacked: Path) -> None:
    near = find_assignment("toy", near=unpacked)
    assert near.exercise_dir == unpacked and near.reference_dir is None and near.hidden_tests is None
    assert find_assignment("toy", near=unpacked.parent).exercise_dir == unpacked
    assert [k.id for k in kits_near(unpacked.parent)] == ["toy"]
    assert build_data_files(near) == [unpacked / "numbers.npy"]  # shipped, not generated


def test_a_kit_has_no_reference(unpacked: Path) -> None:
    with pytest.raises(ManifestError, match="the hidden tests run when you submit"):
        find_assignment("toy", near=unpacked).load_reference()


def test_a_kit_missing_its_data_file_says_to_fetch_again(unpacked: Path) -> None:
    (unpacked / "numbers.npy").unlink()
    with pytest.raises(ManifestError, match="data file 'numbers.npy' is missing; fetch the kit again"):
        build_data_files(find_assignment("toy", near=unpacked))


def test_unpacking_again_keeps_the_students_notebook(unpacked: Path, toy_settings: Settings) -> None:
    (unpacked / "toy.ipynb").write_text("my work")
    (unpacked / "tests" / "test_public.py").write_text("stale")
    _, kept = unpack_kit(build_kit(load_assignment("toy", toy_settings), toy_settings), unpacked.parent,
                         assignment_id="toy")
    assert kept == ["toy.ipynb"] and (unpacked / "toy.ipynb").read_text() == "my work"
    assert "def test_adds_small_numbers" in (unpacked / "tests" / "test_public.py").read_text()


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "x")
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["toy/../../evil.py", "/etc/evil", "other/file.py", "toy", "toy/..\\..\\evil.py",
                                  "toy/C:\\evil.py"])
def test_a_kit_with_a_file_outside_its_folder_is_refused_before_anything_is_written(tmp_path: Path,
                                                                                   name: str) -> None:
    with pytest.raises(ServiceError, match="outside toy/"):
        unpack_kit(_zip("toy/manifest.toml", name), tmp_path, assignment_id="toy")
    assert list(tmp_path.iterdir()) == []


def test_a_corrupt_kit_is_one_error(tmp_path: Path, toy_settings: Settings) -> None:
    data = bytearray(build_kit(load_assignment("toy", toy_settings), toy_settings))
    data[40:60] = bytes(20)  # inside the first entry's compressed bytes: its CRC no longer matches
    with pytest.raises(ServiceError, match="not a readable zip file"):
        unpack_kit(bytes(data), tmp_path, assignment_id="toy")


def test_a_destination_that_is_a_file_is_one_error(tmp_path: Path, toy_settings: Settings) -> None:
    blocker = tmp_path / "course"
    blocker.write_text("not a folder")
    with pytest.raises(ServiceError, match=r"cannot write the kit into .*course/toy"):
        unpack_kit(build_kit(load_assignment("toy", toy_settings), toy_settings), blocker, assignment_id="toy")


def test_what_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match="not a readable zip file"):
        unpack_kit(b"<html>a proxy's error page</html>", tmp_path, assignment_id="toy")


def test_an_oversized_kit_is_refused_before_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kits, "MAX_KIT_BYTES", 1)
    with pytest.raises(ServiceError, match="refusing it"):
        unpack_kit(_zip("toy/a", "toy/b"), tmp_path, assignment_id="toy")
    assert list(tmp_path.iterdir()) == []


def test_no_kit_and_no_course_says_how_to_get_one(tmp_path: Path) -> None:
    empty = Settings(exercises_dir=tmp_path / "none", reference_dir=tmp_path / "none")
    with pytest.raises(UnknownAssignment, match=r"no kit for 'toy' in .* \(get it with: grader fetch toy"):
        find_assignment("toy", near=tmp_path, settings=empty)
