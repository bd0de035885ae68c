"""The sandbox's command, its refusal to run without bubblewrap, and its cleanup.

What student code can and cannot do inside is tested by attack in
``tests/sandbox/test_adversarial.py``; this module checks the promises of the
host side.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader import sandbox as sandboxing
from grader.assignments import load_assignment
from grader.config import REPO_ROOT, Settings, get_settings
from grader.errors import ConfigError, SandboxError
from grader.grading import grade_notebook
from grader.execution import execute_notebook
from grader.kernel import PREAMBLE, kernel_argv, running_kernel
from grader.sandbox import Sandbox
from tests.utils.toy import toy_notebook


@pytest.fixture
def box(toy_settings: Settings) -> Sandbox:
    sandbox = Sandbox(toy_settings.model_copy(update={"gpu": None}), preamble=PREAMBLE)
    yield sandbox
    sandbox.close()


def _bwrap_args(command: list[str]) -> list[str]:
    start = next(i for i, arg in enumerate(command) if arg.endswith("/bwrap"))
    return command[start + 1:command.index("--", start + 1)]


def _mounts(args: list[str]) -> list[tuple[str, str, str]]:
    binds = ("--bind", "--ro-bind", "--ro-bind-try", "--dev-bind", "--dev-bind-try")
    return [(args[i], args[i + 1], args[i + 2]) for i in range(len(args) - 2) if args[i] in binds]


def test_the_command_confines_the_kernel(box: Sandbox) -> None:
    command = box.command(kernel_argv(sandboxing.PREAMBLE), {"MPLBACKEND": "Agg"})
    assert command[:3] == [box.tools["env"], "-i", "PATH=/usr/bin:/bin"]  # bwrap itself gets no secrets
    args = _bwrap_args(command)
    for flag in ("--die-with-parent", "--new-session", "--clearenv", "--unshare-net", "--unshare-pid",
                 "--unshare-ipc"):
        assert flag in args or (flag.startswith("--unshare") and "--unshare-all" in args)
    if os.geteuid() == 0:  # root drops to a fresh unprivileged uid with no capabilities
        assert f"--reuid={box.uid}" in command and "--no-new-privs" in command and box.uid >= 200_000
    writable = [dest for kind, _, dest in _mounts(args) if kind == "--bind"]
    assert writable == [str(box.ipc_dir)]
    assert ("--ro-bind", str(box.inbox), sandboxing.INBOX) in _mounts(args)
    assert [args[i + 1] for i, a in enumerate(args) if a == "--chdir"] == [sandboxing.WORKDIR]


def test_nothing_of_the_repo_or_the_host_is_mounted_but_system_and_python(box: Sandbox) -> None:
    args = _bwrap_args(box.command(kernel_argv(sandboxing.PREAMBLE), {}))
    sources = [Path(source) for _, source, _ in _mounts(args)]
    for source in sources:
        assert not source.is_relative_to(REPO_ROOT / "reference")
        assert not source.is_relative_to(REPO_ROOT / "tests")
        assert source != REPO_ROOT and source != Path("/") and source != Path.home()
    assert not any(str(s).startswith(("/var", "/run", "/sys", "/dev/nvidia")) for s in sources)


def test_limits_come_from_the_settings(toy_settings: Settings) -> None:
    settings = toy_settings.model_copy(update={"sandbox_memory_mib": 300, "sandbox_pids": 77,
                                               "sandbox_file_mib": 5, "sandbox_cpu_s": 99})
    sandbox = Sandbox(settings, preamble=PREAMBLE)
    try:
        command = sandbox.command(["python"], {})
        assert "--fsize=5242880" in command and "--cpu=99:104" in command and "--core=0" in command
        if sandbox.cgroup is not None:
            memory = sandbox.cgroup.dirs["memory"]
            limit = (memory / ("memory.max" if sandbox.cgroup.version == 2 else "memory.limit_in_bytes")).read_text()
            assert int(limit) == 300 * 2**20
            assert (sandbox.cgroup.dirs["pids"] / "pids.max").read_text().strip() == "77"
        else:
            assert f"--data={300 * 2**20}" in command
    finally:
        sandbox.close()


def test_close_removes_the_folder_and_the_cgroup(toy_settings: Settings) -> None:
    sandbox = Sandbox(toy_settings, preamble=PREAMBLE)
    folders = [sandbox.root] + (list(sandbox.cgroup.dirs.values()) if sandbox.cgroup else [])
    sandbox.close()
    assert not any(folder.exists() for folder in folders)


def test_a_gpu_worker_binds_its_device_and_sets_cuda_visible_devices(toy_settings: Settings) -> None:
    sandbox = Sandbox(toy_settings.model_copy(update={"gpu": 3}), preamble=PREAMBLE)
    try:
        args = _bwrap_args(sandbox.command(["python"], {}))
    finally:
        sandbox.close()
    assert ("--dev-bind-try", "/dev/nvidia3", "/dev/nvidia3") in _mounts(args)
    assert ("--dev-bind-try", "/dev/nvidiactl", "/dev/nvidiactl") in _mounts(args)
    assert "/dev/nvidia0" not in args
    index = args.index("CUDA_VISIBLE_DEVICES")
    assert args[index - 1] == "--setenv" and args[index + 1] == "3"


def test_a_cpu_worker_hides_cuda(box: Sandbox) -> None:
    args = _bwrap_args(box.command(["python"], {}))
    assert args[args.index("CUDA_VISIBLE_DEVICES") + 1] == ""
    assert not any(arg.startswith("/dev/nvidia") for arg in args)


def test_no_bubblewrap_means_no_grading(toy_settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    monkeypatch.setattr(sandboxing, "TOOL_PATH", str(tmp_path))
    with pytest.raises(SandboxError, match="bwrap.*not found.*GRADER_SANDBOX=false"):
        grade_notebook(toy_notebook(), assignment=load_assignment("toy", toy_settings), settings=toy_settings)


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_development_switch_grades_unsandboxed_with_a_loud_warning(
        toy_settings: Settings, capfd: pytest.CaptureFixture[str]) -> None:
    settings = toy_settings.model_copy(update={"sandbox": False, "dev": True})
    result = grade_notebook(toy_notebook(), assignment=load_assignment("toy", settings), settings=settings)
    assert (result.status, result.score) == ("graded", 4.0)
    assert "WARNING: GRADER_SANDBOX=false: student code runs UNSANDBOXED" in capfd.readouterr().err


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.skipif(os.geteuid() != 0, reason="an ordinary user's sandbox runs as that user")
def test_the_socket_folder_is_the_kernels_only_while_it_starts(toy_settings: Settings) -> None:
    """The IPC folder is the one writable bind of the host's disk: sealed before student code runs."""
    with running_kernel(toy_settings, sandboxed=True) as kernel:
        assert kernel.sandbox is not None
        nb = toy_notebook(f"try:\n    open({str(kernel.sandbox.ipc_dir / 'fill')!r}, 'wb').write(b'x')\n"
                          "    print('WROTE')\nexcept OSError as e:\n    print('BLOCKED', type(e).__name__)")
        report = execute_notebook(nb, kernel, cell_timeout=30, total_timeout=60, startup_timeout=60)
        assert report.cell_errors == []
        assert nb.cells[0].outputs[0]["text"] == "BLOCKED PermissionError\n"
        assert not (kernel.sandbox.ipc_dir / "fill").exists()


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_cpu_time_limit_kills_the_kernel_and_is_named(toy_settings: Settings) -> None:
    """A kernel past its CPU seconds gets SIGXCPU: an ``error`` naming the limit, not a hung worker."""
    # a light kernel: importing torch took 1.5-4 s of CPU on a busy machine, leaving the loop too little to hit
    settings = toy_settings.model_copy(update={"sandbox_cpu_s": 4, "kernel_preload": False})
    result = grade_notebook(toy_notebook("while True:\n    pass"), assignment=load_assignment("toy", settings),
                            settings=settings)
    assert result.status == "error"
    assert [(e.index, e.cell, e.ename) for e in result.execution.cell_errors] == [(0, 1, "CPUTimeLimitExceeded")]


def test_turning_the_sandbox_off_needs_the_development_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADER_SANDBOX", "false")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigError, match="GRADER_SANDBOX=false .* only together with GRADER_DEV=true"):
            get_settings()
        monkeypatch.setenv("GRADER_DEV", "true")
        get_settings.cache_clear()
        assert get_settings().sandbox is False
    finally:
        get_settings.cache_clear()


def test_a_bad_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADER_SANDBOX_PIDS", "-1")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigError, match="GRADER_SANDBOX_PIDS: Input should be greater than 0"):
            get_settings()
    finally:
        get_settings.cache_clear()


def test_the_python_environment_is_mounted_after_the_tmpfs_it_may_live_in(box: Sandbox,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkout under /tmp (CI clones) keeps its virtualenv visible: /tmp's tmpfs must not cover it."""
    monkeypatch.setattr(sandboxing, "_python_prefixes", lambda: [Path("/tmp/ci/clone/.venv")])
    args = _bwrap_args(box.command(["python"], {}))
    tmpfs_at = [i for i, a in enumerate(args) if a == "--tmpfs"]
    bind_at = args.index("--ro-bind", args.index("/tmp/ci/clone/.venv") - 1)
    assert args[bind_at:bind_at + 3] == ["--ro-bind", "/tmp/ci/clone/.venv", "/tmp/ci/clone/.venv"]
    assert all(i < bind_at for i in tmpfs_at)
    assert ["--perms", "0755", "--dir", "/tmp/ci"] == args[args.index("/tmp/ci") - 3:args.index("/tmp/ci") + 1]
