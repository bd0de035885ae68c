"""The CLI: one-line errors with a non-zero exit code, never a traceback."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.config import Settings
from tests.utils.toy import ADD, DOUBLER, IMPORTS, SCALE, toy_bytes


def _run(args: list[str], settings: Settings, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GRADER_EXERCISES_DIR": str(settings.exercises_dir),
        "GRADER_REFERENCE_DIR": str(settings.reference_dir),
        "GRADER_CACHE_DIR": str(settings.cache_dir),
        "COLUMNS": "200",
    }
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, env=env,
                          timeout=timeout, check=False)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


BAD_FILES = {
    "not-json.ipynb": (b"hello, I am not JSON", "not JSON"),
    "list.ipynb": (b"[1, 2]", "not a Jupyter notebook"),
    "v3.ipynb": (json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}).encode(),
                 "nbformat 3"),
    "markdown-only.ipynb": (nbformat.writes(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# hi")])).encode(), "no code cells"),
    "empty.ipynb": (b"", "empty"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_notebooks_get_one_line_errors(tmp_path: Path, toy_settings: Settings, name: str) -> None:
    data, needle = BAD_FILES[name]
    result = _run(["grade", str(_write(tmp_path, name, data)), "--assignment", "toy"], toy_settings)
    assert result.returncode == 2
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_fifty_megabyte_file_is_refused(tmp_path: Path, toy_settings: Settings) -> None:
    path = tmp_path / "huge.ipynb"
    with path.open("wb") as f:
        f.truncate(50_000_000)
    result = _run(["grade", str(path), "--assignment", "toy"], toy_settings)
    assert result.returncode == 2 and "over the 10.5 MB limit" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("assignment", ["nope", "../toy", "toy; DROP TABLE x", ""])
def test_unknown_assignment_lists_the_known_ones(tmp_path: Path, toy_settings: Settings, assignment: str) -> None:
    result = _run(["grade", str(_write(tmp_path, "nb.ipynb", toy_bytes())), "--assignment", assignment],
                  toy_settings)
    assert result.returncode == 2
    assert "unknown assignment" in result.stderr and "available: toy" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file_is_named(tmp_path: Path, toy_settings: Settings) -> None:
    result = _run(["grade", str(tmp_path / "absent.ipynb"), "--assignment", "toy"], toy_settings)
    assert result.returncode == 2 and "absent.ipynb" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_grade_json_prints_exactly_the_result_contract(tmp_path: Path, toy_settings: Settings) -> None:
    result = _run(["grade", str(_write(tmp_path, "nb.ipynb", toy_bytes())), "--assignment", "toy", "--json"],
                  toy_settings)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"assignment", "status", "score", "max_score", "exercises", "execution"}
    assert set(payload["exercises"][0]) == {"id", "score", "max_score", "tests", "note"}
    assert set(payload["exercises"][0]["tests"][0]) == {"name", "points", "max_points", "passed", "hidden", "message"}
    assert set(payload["execution"]) == {"duration_s", "cell_errors", "timeout", "mode", "skipped_cells", "fallback"}
    assert (payload["status"], payload["score"], payload["max_score"]) == ("graded", 4.0, 4.0)
    assert payload["execution"]["timeout"] is None  # set only when the status is timeout
    assert (payload["execution"]["mode"], payload["execution"]["skipped_cells"]) == ("full", [])  # toy: every cell


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_grade_skips_a_demo_cell_and_full_runs_it(tmp_path: Path, toy_settings: Settings) -> None:
    """A course whose manifest says ``mode = "needed"``: the demo is skipped and said so; ``--full`` runs it."""
    course = tmp_path / "course"
    shutil.copytree(toy_settings.exercises_dir, course / "exercises")
    shutil.copytree(toy_settings.reference_dir, course / "reference")
    manifest = course / "exercises" / "toy" / "manifest.toml"
    manifest.write_text(re.sub(r'mode = "full".*', 'mode = "needed"', manifest.read_text()))
    settings = Settings(exercises_dir=course / "exercises", reference_dir=course / "reference",
                        cache_dir=toy_settings.cache_dir)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in
                                         (IMPORTS, ADD, SCALE, DOUBLER, "print('DEMO', add(1, 2))")])
    path = _write(tmp_path, "nb.ipynb", nbformat.writes(nb).encode())
    needed = json.loads(_run(["grade", str(path), "-a", "toy", "--json"], settings).stdout)["execution"]
    assert (needed["mode"], needed["skipped_cells"], needed["fallback"]) == ("needed", [4], "")
    full = json.loads(_run(["grade", str(path), "-a", "toy", "--json", "--full"], settings).stdout)["execution"]
    assert (full["mode"], full["skipped_cells"]) == ("full", [])
    shown = _run(["grade", str(path), "-a", "toy"], settings)
    assert "1 skipped (no grade depends on them)" in shown.stdout and shown.returncode == 0


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_check_runs_public_tests_only_and_sets_exit_code(tmp_path: Path, toy_settings: Settings) -> None:
    good = _run(["check", str(_write(tmp_path, "good.ipynb", toy_bytes()))], toy_settings)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "adds_small_numbers" in good.stdout and "add_random" not in good.stdout
    assert "public tests: 1/1 passed — the hidden tests run when you submit" in good.stdout
    assert "graded" not in good.stdout and "/ 4" not in good.stdout  # nothing that reads like a final score
    assert "outside any sandbox" in good.stderr
    broken = toy_bytes(IMPORTS, "def add(a, b):\n    return a - b", SCALE, DOUBLER)
    bad = _run(["check", str(_write(tmp_path, "bad.ipynb", broken))], toy_settings)
    assert bad.returncode == 1 and "adds_small_numbers" in bad.stdout
    assert "public tests: 0/1 passed — the hidden tests run when you submit" in bad.stdout


def test_check_without_assignment_metadata_asks_for_it(tmp_path: Path, toy_settings: Settings) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(ADD)])
    result = _run(["check", str(_write(tmp_path, "nb.ipynb", nbformat.writes(nb).encode()))], toy_settings)
    assert result.returncode == 2 and "--assignment" in result.stderr


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_folder_is_graded_in_parallel_into_json_files_and_a_csv(tmp_path: Path, toy_settings: Settings) -> None:
    folder = tmp_path / "submissions"
    folder.mkdir()
    _write(folder, "alice.ipynb", toy_bytes())
    _write(folder, "bob.ipynb", toy_bytes(IMPORTS, "def add(a, b):\n    return a - b", SCALE, DOUBLER))
    _write(folder, "carol.ipynb", b"{broken")
    out, table = tmp_path / "results", tmp_path / "grades.csv"
    proc = _run(["grade", str(folder), "-a", "toy", "--jobs", "2", "--csv", str(table), "--out", str(out)],
                toy_settings, timeout=280)
    assert proc.returncode == 1, proc.stderr  # carol's file could not be graded
    assert "3/3" in proc.stderr  # the progress bar reached the end
    rows = table.read_text().splitlines()
    assert rows[0] == "notebook,status,score,max_score,add,scale,Doubler,error"
    assert rows[1].startswith(f"{folder / 'alice.ipynb'},graded,4.0,4.0,1.0,1.0,2.0,")
    assert rows[2].startswith(f"{folder / 'bob.ipynb'},graded,3.0,4.0,0.0,1.0,2.0,")
    assert rows[3].startswith(f"{folder / 'carol.ipynb'},rejected,,,,,,") and "not JSON" in rows[3]
    assert sorted(p.name for p in out.iterdir()) == ["alice.result.json", "bob.result.json"]
    assert json.loads((out / "bob.result.json").read_text())["score"] == 3.0
    assert "2 of 3 graded" in proc.stdout


def test_json_needs_a_single_notebook(tmp_path: Path, toy_settings: Settings) -> None:
    one, two = _write(tmp_path, "a.ipynb", toy_bytes()), _write(tmp_path, "b.ipynb", toy_bytes())
    proc = _run(["grade", str(one), str(two), "-a", "toy", "--json"], toy_settings)
    assert proc.returncode == 2 and "--json prints one result" in proc.stderr


def _in_process(*args: str) -> tuple[int, str, str]:
    """The CLI in this process (no interpreter start-up): exit code, stdout, stderr."""
    from typer.testing import CliRunner

    from grader.cli import app

    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


def test_version_is_printed() -> None:
    code, stdout, _ = _in_process("--version")
    assert code == 0 and re.fullmatch(r"grader \d+\.\d+\.\d+\n", stdout)


COMMANDS = [[], ["grade"], ["check"], ["fetch"], ["submit"], ["submissions"], ["result"], ["serve"], ["worker"],
            ["assignments"], ["roster"], ["roster", "add"], ["roster", "import"], ["roster", "demo"],
            ["roster", "list"], ["roster", "reissue"], ["roster", "remove"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "grader")
def test_help_reads_without_type_tags_or_braces(command: list[str]) -> None:
    code, stdout, _ = _in_process(*command, "--help")
    assert code == 0 and "Usage:" in stdout
    assert not re.search(r"<(bool|str|path|int|float)>|\{[a-z_]+\}", stdout, re.I), stdout


def test_students_find_their_commands_first_in_the_help() -> None:
    _, stdout, _ = _in_process("--help")
    assert stdout.index("Students") < stdout.index("│ fetch") < stdout.index("Instructors") < stdout.index("│ grade ")


@pytest.mark.parametrize("args", [["fetch", "mlp-basics"], ["submissions"], ["result", "abc"]],
                         ids=lambda a: a[0])
def test_an_unreachable_server_is_one_line(args: list[str]) -> None:
    from tests.utils.service import free_port

    url = f"http://127.0.0.1:{free_port()}"
    code, stdout, stderr = _in_process(*args, "--server", url, "--token", "t")
    assert code == 2 and stdout == ""
    assert stderr == f"error: cannot reach {url}: connection refused\n"


def test_submit_to_an_unreachable_server_is_one_line(tmp_path: Path) -> None:
    from tests.utils.service import free_port

    url = f"http://127.0.0.1:{free_port()}"
    notebook = _write(tmp_path, "toy.ipynb", toy_bytes())
    code, _, stderr = _in_process("submit", str(notebook), "--server", url, "--token", "t")
    assert code == 2 and stderr == f"error: cannot reach {url}: connection refused\n"


@pytest.mark.parametrize("server, reason", [("not a url", "not a valid http(s) URL"),
                                            ("http://no-such-host.invalid", "unknown host")])
def test_a_wrong_server_address_says_why(server: str, reason: str) -> None:
    code, _, stderr = _in_process("submissions", "--server", server, "--token", "t")
    assert code == 2 and stderr.count("\n") == 1 and stderr.strip().endswith(reason), stderr


def test_fetch_refuses_what_is_not_an_assignment_id() -> None:
    code, _, stderr = _in_process("fetch", "../../etc", "--server", "http://127.0.0.1:1", "--token", "t")
    assert code == 2 and stderr == "error: '../../etc' is not an assignment id (e.g. mlp-basics)\n"


def test_check_without_a_kit_says_how_to_fetch_it(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(ADD)], metadata={"grader": {"assignment": "toy"}})
    code, _, stderr = _in_process("check", str(_write(tmp_path, "toy.ipynb", nbformat.writes(nb).encode())))
    assert code == 2 and stderr.count("\n") == 1
    assert "no kit for 'toy'" in stderr and "grader fetch toy --server URL" in stderr


@pytest.mark.parametrize("args", [["serve"], ["roster", "list"], ["roster", "add", "A", "a@example.org"]],
                         ids=lambda a: " ".join(a))
def test_service_commands_on_the_students_wheel_say_what_to_install(args: list[str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.cli import output

    monkeypatch.setattr(output, "SERVICE_LIBRARIES", ("sqlalchemy", "not_installed_here"))
    code, stdout, stderr = _in_process(*args)
    assert code == 2 and stdout == ""
    assert stderr == ("error: this command is the grading service's: pip install 'grader[service]' "
                      "(missing: not_installed_here)\n")

