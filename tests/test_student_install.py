"""What a student holds: the wheel and the kit carry nothing secret, and they are enough to fetch, check, submit.

The journey runs in a fresh virtualenv whose only grader is the wheel built from
this repository, started from a folder outside the repository. The wheel's
dependencies (torch and the rest, hundreds of MB) are not downloaded again: the
new environment sees this environment's site-packages through a ``.pth`` line,
which adds the folder to ``sys.path`` without running the ``.pth`` files inside
it, so the editable install of the repository stays invisible (checked below).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from email.parser import Parser
from pathlib import Path

import nbformat
import pytest
import requests

from grader.config import REPO_ROOT
from tests.utils.notebooks import complete_notebook
from tests.utils.service import Server, serving

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ASSIGNMENT = "decoding"  # it has a data file (the recording), the part of a kit most likely to go missing
SECRET_ROOT = REPO_ROOT / "reference"
SERVICE_LIBRARIES = ("sqlalchemy", "fastapi", "alembic", "uvicorn", "psycopg", "jinja2", "nh3")


def _secret_digests() -> dict[str, Path]:
    """Every file of reference/ (solutions and hidden tests) by the sha256 of its bytes."""
    return {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in SECRET_ROOT.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def _assert_nothing_secret(archive: zipfile.ZipFile, where: str) -> None:
    secrets = _secret_digests()
    hidden_names = {p.name for p in SECRET_ROOT.glob("*/tests/*.py")} | {"solution.py"}
    assert secrets, "reference/ should hold the solutions this test protects"
    for name in archive.namelist():
        digest = hashlib.sha256(archive.read(name)).hexdigest()
        assert digest not in secrets, f"{where} holds {secrets[digest]} as {name}"
        assert Path(name).name not in hidden_names, f"{where} holds a hidden-test or solution file: {name}"
        assert not name.startswith(("reference/", "exercises/", "tests/")), f"{where} holds {name}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    # from a copy of the sources: setuptools' build/ folder in a checkout can hold files deleted since
    source = folder / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, source / name)
    for package in ("grader", "api"):
        shutil.copytree(REPO_ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(folder), str(source)],
                   check=True, capture_output=True, timeout=300)
    (built,) = folder.glob("grader-*.whl")
    return built


def test_the_wheel_holds_the_client_and_no_solution_or_hidden_test(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        _assert_nothing_secret(archive, "the wheel")
        names = archive.namelist()
        metadata = Parser().parsestr(archive.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
                                     .decode())
    assert "grader/cli/student.py" in names and "grader/kit.py" in names
    top = {name.split("/")[0] for name in names}
    assert top <= {"grader", "api", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}
    # a student's install pulls no service library; `pip install grader[service]` does
    required = metadata.get_all("Requires-Dist") or []
    base = [r for r in required if "extra ==" not in r]
    assert any(r.startswith("torch") for r in base)
    assert not [r for r in base if r.split(">")[0].split("=")[0].split("[")[0].strip() in SERVICE_LIBRARIES], base


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(tmp_path_factory.mktemp("service") / "data") as running:
        yield running


def test_the_kit_holds_what_the_student_needs_and_nothing_secret(server: Server) -> None:
    answer = requests.get(f"{server.url}/api/v1/assignments/{ASSIGNMENT}/kit", headers=server.headers("alice"),
                          timeout=120)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        _assert_nothing_secret(archive, "the kit")
        names = set(archive.namelist())
    assert names == {f"{ASSIGNMENT}/{n}" for n in ("manifest.toml", "decoding.ipynb", "tests/test_public.py",
                                                    "W3D4_stringer_oribinned1.npz")}
    assert requests.get(f"{server.url}/api/v1/assignments/{ASSIGNMENT}/kit", timeout=30).status_code == 401
    unknown = requests.get(f"{server.url}/api/v1/assignments/nope/kit", headers=server.headers("alice"), timeout=30)
    assert unknown.status_code == 404 and "unknown assignment 'nope'" in unknown.json()["detail"]


@pytest.fixture(scope="module")
def student_env(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> tuple[Path, dict[str, str]]:
    """A fresh virtualenv with the wheel installed; the environment a student's shell would have."""
    venv = tmp_path_factory.mktemp("student") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    home = venv.parent / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADER_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), PATH=f"{venv / 'bin'}:{env.get('PATH', '')}", COLUMNS="200")
    return venv, env


def _student(venv: Path, env: dict[str, str], cwd: Path, *args: str, timeout: float = 300,
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(venv / "bin" / "grader"), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_the_fresh_environment_runs_the_wheel_not_the_repository(student_env: tuple[Path, dict[str, str]],
                                                                  tmp_path: Path) -> None:
    venv, env = student_env
    probe = ("import sys, grader, grader.cli, grader.client, grader.checking\n"
             f"print(grader.__file__)\nprint(sorted(set(sys.modules) & set({SERVICE_LIBRARIES!r})))\n"
             f"print({str(REPO_ROOT)!r} in sys.path)")
    shown = subprocess.run([str(venv / "bin" / "python"), "-c", probe], cwd=tmp_path, env=env, capture_output=True,
                           text=True, check=True).stdout.splitlines()
    assert shown[0].startswith(str(venv)), shown
    assert shown[1] == "[]", f"the student's commands import service libraries: {shown[1]}"
    assert shown[2] == "False"
    version = _student(venv, env, tmp_path, "--version")
    assert version.returncode == 0 and re.fullmatch(r"grader \d+\.\d+\.\d+\n", version.stdout)


def test_fetch_check_and_submit_from_a_fresh_install(server: Server, student_env: tuple[Path, dict[str, str]],
                                                     tmp_path: Path) -> None:
    venv, env = student_env
    env = {**env, "GRADER_TOKEN": server.tokens["alice"]}
    fetched = _student(venv, env, tmp_path, "fetch", ASSIGNMENT, "--server", server.url, "--dir", "course")
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    kit = tmp_path / "course" / ASSIGNMENT
    assert f"fetched {ASSIGNMENT} into course/{ASSIGNMENT}" in fetched.stdout
    assert (kit / "W3D4_stringer_oribinned1.npz").is_file() and (kit / "tests" / "test_public.py").is_file()

    # the student completes the exercises, then checks in the kit's folder: public tests only, said plainly
    nbformat.write(complete_notebook(ASSIGNMENT), kit / "decoding.ipynb")
    checked = _student(venv, env, kit, "check", "decoding.ipynb")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    counted = re.search(r"public tests: (\d+)/(\d+) passed — the hidden tests run when you submit", checked.stdout)
    assert counted and counted[1] == counted[2] and int(counted[1]) > 0, checked.stdout
    assert "outside any sandbox" in checked.stderr
    assert "/ 10" not in checked.stdout  # no score that looks final

    # fetching again keeps the student's work
    again = _student(venv, env, tmp_path, "fetch", ASSIGNMENT, "--server", server.url, "--dir", "course")
    assert again.returncode == 0 and "kept your decoding.ipynb" in again.stdout
    assert "def train" in (kit / "decoding.ipynb").read_text()

    # submit without -a: the assignment comes from the notebook's metadata; the server from the environment
    submitted = _student(venv, {**env, "GRADER_SERVER": server.url}, kit, "submit", "decoding.ipynb")
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    receipt = re.search(r"submitted decoding.ipynb for decoding: submission (\S+)\n"
                        r"receipt: sha256 ([0-9a-f]{64}), stored \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", submitted.stdout)
    assert receipt, submitted.stdout
    assert receipt[2] == hashlib.sha256((kit / "decoding.ipynb").read_bytes()).hexdigest()
    phases = re.findall(r"^(queued|running|graded) after \d+ s$", submitted.stderr, re.M)
    assert phases and phases[-1] == "graded" and len(phases) == len(set(phases)), submitted.stderr
    assert "decoding: 10 / 10 (graded)" in submitted.stdout

    # the same submission, listed and read back
    listed = _student(venv, {**env, "GRADER_SERVER": server.url}, kit, "submissions", "-a", ASSIGNMENT)
    assert listed.returncode == 0 and receipt[1] in listed.stdout and "10 / 10" in listed.stdout
    shown = _student(venv, {**env, "GRADER_SERVER": server.url}, kit, "result", receipt[1])
    assert shown.returncode == 0 and "decoding: 10 / 10 (graded)" in shown.stdout
    missing = _student(venv, {**env, "GRADER_SERVER": server.url}, kit, "result", "no-such-id")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "404" in missing.stderr
