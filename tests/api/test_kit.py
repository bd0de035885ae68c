"""The kit endpoint's bad cases (the good one is walked end to end in tests/test_student_install.py)."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

from tests.api.conftest import TOY_EXERCISES, Service, StartService


def test_a_student_gets_the_kit_and_nobody_without_a_token(service: Service) -> None:
    answer = service.client.get("/api/v1/assignments/toy/kit", headers=service.headers("alice"))
    assert answer.status_code == 200 and answer.headers["content-disposition"] == 'attachment; filename="toy.zip"'
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        assert "toy/numbers.npy" in archive.namelist()
    assert service.client.get("/api/v1/assignments/toy/kit").status_code == 401


def test_a_kit_whose_data_cannot_be_made_is_a_clear_503(start_service: StartService, tmp_path: Path) -> None:
    exercises = tmp_path / "exercises"
    shutil.copytree(TOY_EXERCISES, exercises)
    (exercises / "toy" / "data.py").write_text("def make_numbers(path):\n    raise RuntimeError('disk full')\n")
    service = start_service(exercises_dir=exercises)
    answer = service.client.get("/api/v1/assignments/toy/kit", headers=service.headers("alice"))
    assert answer.status_code == 503
    assert answer.json() == {"detail": "the kit of toy cannot be built right now; the service's log says why"}
