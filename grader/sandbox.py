"""Confine a kernel with bubblewrap: what it sees, who it runs as, what it may use.

A ``Sandbox`` is the host side of one kernel's confinement: a private folder
(unix sockets of the kernel's IPC transport, the inbox the trusted side stages
data files into), an unprivileged uid, a cgroup when this process may create one,
and the command that starts the kernel inside it::

    env -i  sh (join the cgroup)  prlimit (rlimits)  bwrap (namespaces, mounts)  [setpriv (drop to uid)]  python

Inside, the kernel sees the system (``/usr``) and the Python environment
read-only, private size-limited tmpfs for ``/tmp``, ``/dev/shm`` and its home
(its working directory is ``~/work``), its socket folder and the read-only
inbox -- nothing else of the host: not ``reference/``, the hidden suites, the
database, other submissions, or the worker's environment.

Run as root, bubblewrap sets up the namespaces without a user namespace and
``setpriv`` drops to a fresh uid with no capabilities, so process counts are
that uid's alone. Run as an ordinary user, ``--unshare-all`` adds a user
namespace and the kernel keeps the user's uid outside it.
"""

from __future__ import annotations

import logging
import os
import platform
import secrets
import shlex
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from grader import seccomp
from grader.config import MiB, Settings
from grader.errors import SandboxError

log = logging.getLogger(__name__)

HOME = "/home/student"
WORKDIR = f"{HOME}/work"
INBOX = "/grader/inbox"
PREAMBLE = "/grader/preamble.py"
SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"
# Where the host tools are looked up (not $PATH: a worker's PATH is not trusted to pick bwrap).
TOOL_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"
# Fresh uids for sandboxes started by root: far from any real account.
_UID_RANGE = (200_000, 1_000_000)
_CPU_PERIOD_US = 100_000
_STAGE_CODE = f"""
def _grader_stage():
    import os, shutil
    for name in os.listdir({INBOX!r}):
        source = os.path.join({INBOX!r}, name)
        (shutil.copytree if os.path.isdir(source) else shutil.copyfile)(source, name)
_grader_stage()
del _grader_stage
"""


@dataclass(frozen=True)
class Limits:
    """What one sandboxed kernel may use."""

    memory_bytes: int
    pids: int
    cpu_s: int
    file_bytes: int
    open_files: int
    tmpfs_bytes: int
    cpus: float = 0.0  # CPU share (cgroup quota); 0: no quota

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            memory_bytes=settings.sandbox_memory_mib * MiB, pids=settings.sandbox_pids, cpu_s=settings.sandbox_cpu_s,
            file_bytes=settings.sandbox_file_mib * MiB, open_files=settings.sandbox_open_files,
            tmpfs_bytes=settings.sandbox_tmpfs_mib * MiB, cpus=settings.sandbox_cpus,
        )


def tool_paths() -> dict[str, str]:
    """The host tools a sandbox is built from; ``SandboxError`` naming any that is missing."""
    found = {name: shutil.which(name, path=TOOL_PATH) for name in ("bwrap", "prlimit", "setpriv", "env", "sh")}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        hint = " (install Debian's 'bubblewrap' package)" if "bwrap" in missing else " (util-linux)"
        raise SandboxError(
            f"cannot sandbox student code: {', '.join(missing)} not found{hint}. grader refuses to run "
            "submissions unconfined; for development only, set GRADER_SANDBOX=false and GRADER_DEV=true"
        )
    return {name: str(path) for name, path in found.items()}


def warn_unsandboxed() -> None:
    """The loud warning for ``GRADER_SANDBOX=false``."""
    message = ("GRADER_SANDBOX=false: student code runs UNSANDBOXED with your files, network and secrets. "
               "Development only -- never grade real submissions like this.")
    log.warning(message)
    print(f"WARNING: {message}", file=sys.stderr)


class Cgroup:
    """A memory + pids (+ cpu quota) cgroup for one sandbox, v1 or v2, when this process may create one."""

    def __init__(self, dirs: dict[str, Path], version: int) -> None:
        self.dirs = dirs  # controller name -> the cgroup's folder in that hierarchy
        self.version = version

    @classmethod
    def create(cls, name: str, limits: Limits) -> Cgroup | None:
        """A new cgroup with the limits applied, or None where cgroups are not writable here."""
        for make in (cls._create_v2, cls._create_v1):
            try:
                group = make(name, limits)
            except OSError as exc:
                log.debug("cgroup not usable: %s", exc)
                continue
            if group is not None:
                return group
        return None

    @classmethod
    def _create_v1(cls, name: str, limits: Limits) -> Cgroup | None:
        own = _own_cgroups()
        dirs: dict[str, Path] = {}
        try:
            for controller in ("memory", "pids"):
                mount = Path("/sys/fs/cgroup") / controller
                if controller not in own or not (mount / "cgroup.procs").exists():
                    return None
                folder = mount / own[controller].lstrip("/") / name
                folder.mkdir()
                dirs[controller] = folder
            (dirs["memory"] / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
            swap = dirs["memory"] / "memory.memsw.limit_in_bytes"
            if swap.exists():  # no escape into swap
                swap.write_text(str(limits.memory_bytes))
            (dirs["pids"] / "pids.max").write_text(str(limits.pids))
            cpu_mount = Path("/sys/fs/cgroup/cpu")
            if limits.cpus and "cpu" in own and (cpu_mount / "cgroup.procs").exists():
                dirs["cpu"] = cpu_mount / own["cpu"].lstrip("/") / name
                dirs["cpu"].mkdir()
                (dirs["cpu"] / "cpu.cfs_period_us").write_text(str(_CPU_PERIOD_US))
                (dirs["cpu"] / "cpu.cfs_quota_us").write_text(str(int(limits.cpus * _CPU_PERIOD_US)))
        except OSError:
            Cgroup(dirs, 1).remove()
            raise
        return cls(dirs, 1)

    @classmethod
    def _create_v2(cls, name: str, limits: Limits) -> Cgroup | None:
        root = Path("/sys/fs/cgroup")
        own = _own_cgroups().get("")
        if own is None or not (root / "cgroup.controllers").exists():
            return None
        parent = root / own.lstrip("/")
        if not {"memory", "pids"} <= set((parent / "cgroup.subtree_control").read_text().split()):
            return None
        folder = parent / name
        folder.mkdir()
        group = cls({"memory": folder, "pids": folder}, 2)
        try:
            (folder / "memory.max").write_text(str(limits.memory_bytes))
            if (folder / "memory.swap.max").exists():
                (folder / "memory.swap.max").write_text("0")
            (folder / "pids.max").write_text(str(limits.pids))
            if limits.cpus and (folder / "cpu.max").exists():
                (folder / "cpu.max").write_text(f"{int(limits.cpus * _CPU_PERIOD_US)} {_CPU_PERIOD_US}")
        except OSError:
            group.remove()
            raise
        return group

    @property
    def procs_files(self) -> list[Path]:
        return sorted({folder / "cgroup.procs" for folder in self.dirs.values()})

    def oom_kills(self) -> int:
        """How many processes the memory limit killed."""
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            for line in (self.dirs["memory"] / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def pids(self) -> list[int]:
        return [int(p) for p in (self.dirs["pids"] / "cgroup.procs").read_text().split()]

    def remove(self) -> None:
        """Kill whatever is left inside, wait for it to go, then delete the cgroup."""
        for folder in self.dirs.values():
            deadline = time.monotonic() + 5
            while True:
                try:
                    pids = [int(p) for p in (folder / "cgroup.procs").read_text().split()]
                    if not pids:
                        folder.rmdir()
                        break
                except FileNotFoundError:
                    break
                except OSError as exc:  # EBUSY: a killed task is still exiting
                    if time.monotonic() > deadline:
                        log.warning("could not remove cgroup %s: %s", folder, exc)
                        break
                    pids = []
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                if time.monotonic() > deadline:
                    log.warning("cgroup %s still has tasks %s", folder, pids)
                    break
                time.sleep(0.005)


def _own_cgroups() -> dict[str, str]:
    """This process's cgroup path per v1 controller ("" for the v2 hierarchy)."""
    found: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            found[controller] = path
    return found


class Sandbox:
    """The host side of one kernel's sandbox. ``close()`` removes all of it."""

    def __init__(self, settings: Settings, *, preamble: Path) -> None:
        self.tools = tool_paths()
        self.limits = Limits.from_settings(settings)
        self.gpu = settings.gpu
        self.preamble = preamble
        self.as_root = os.geteuid() == 0
        # short: unix socket paths must stay under ~107 bytes
        self.root = Path(tempfile.mkdtemp(prefix="gk-", dir="/tmp"))
        self.ipc_dir = self.root / "ipc"
        self.inbox = self.root / "inbox"
        self.uid = secrets.randbelow(_UID_RANGE[1] - _UID_RANGE[0]) + _UID_RANGE[0] if self.as_root else os.getuid()
        self.cgroup: Cgroup | None = None
        try:
            self.ipc_dir.mkdir()
            self.inbox.mkdir()
            os.chmod(self.root, 0o755)
            if self.as_root:
                os.chown(self.ipc_dir, self.uid, self.uid)
            self._write_identity()
            self.seccomp_filter: Path | None = None
            if seccomp.supported():
                self.seccomp_filter = self.root / "seccomp.bpf"
                self.seccomp_filter.write_bytes(seccomp.build_filter())
            else:
                log.warning("no seccomp filter for %s: sandboxes rely on namespaces and uids alone",
                            platform.machine())
            self.cgroup = Cgroup.create(self.root.name, self.limits)
        except BaseException:
            self.close()
            raise

    @property
    def connection_file(self) -> Path:
        return self.ipc_dir / "kernel.json"

    def unseal(self) -> None:
        """Let a starting kernel read its connection file (jupyter_client writes it 0600) and create its sockets."""
        if self.as_root:
            os.chown(self.ipc_dir, self.uid, self.uid)
            os.chown(self.connection_file, self.uid, self.uid)

    def seal(self) -> None:
        """Once the kernel's sockets exist, take the folder back: it is the one writable
        bind of the host's disk, and student code must not fill it (root only: an
        ordinary user's sandbox runs as that user)."""
        if self.as_root:
            os.chown(self.ipc_dir, 0, 0)
            os.chown(self.connection_file, 0, 0)

    def command(self, argv: list[str], env: dict[str, str]) -> list[str]:
        """The full command that runs ``argv`` (paths as seen inside) in this sandbox with ``env`` only."""
        tools = self.tools
        limits = [f"--nofile={self.limits.open_files}", f"--fsize={self.limits.file_bytes}", "--core=0",
                  f"--cpu={self.limits.cpu_s}:{self.limits.cpu_s + 5}"]
        if self.cgroup is None:
            limits.append(f"--data={self.limits.memory_bytes}")
        if self.as_root:  # RLIMIT_NPROC counts the fresh uid's tasks only
            limits.append(f"--nproc={self.limits.pids}")
        elif self.cgroup is None:  # counts all of this user's tasks: allow that many more
            limits.append(f"--nproc={_tasks_of(os.getuid()) + self.limits.pids}")
        inner = argv
        if self.as_root:
            inner = [tools["setpriv"], f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                     "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--", *argv]
        seccomp = ["--seccomp", "9"] if self.seccomp_filter else []
        command = [tools["prlimit"], *limits, "--", tools["bwrap"], *seccomp, *self._bwrap_args(env), "--", *inner]
        steps = [f"echo $$ > {shlex.quote(str(p))}" for p in self.cgroup.procs_files] if self.cgroup else []
        if self.seccomp_filter:  # bubblewrap reads the filter from fd 9
            steps.append(f"exec 9< {shlex.quote(str(self.seccomp_filter))}")
        if steps:
            command = [tools["sh"], "-c", f'{" && ".join(steps)} && exec "$@"', "sh", *command]
        # env -i: not even bubblewrap's own process (pid 1 inside) keeps the worker's environment
        return [tools["env"], "-i", "PATH=/usr/bin:/bin", *command]

    def _bwrap_args(self, env: dict[str, str]) -> list[str]:
        args = ["--die-with-parent", "--new-session", "--clearenv"]
        if self.as_root:  # namespaces without a user namespace: setpriv drops to a real unprivileged uid
            args += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
        else:
            args += ["--unshare-all", "--uid", str(self.uid), "--gid", str(os.getgid()), "--disable-userns"]
        args += ["--ro-bind", "/usr", "/usr"]
        for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            path = Path("/") / name
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), str(path)]
            elif path.is_dir():
                args += ["--ro-bind", str(path), str(path)]
        args += ["--perms", "0755", "--dir", "/etc"]
        for etc in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/fonts",
                    "/etc/alternatives"):
            args += ["--ro-bind-try", etc, etc]
        args += ["--ro-bind", str(self.root / "passwd"), "/etc/passwd",
                 "--ro-bind", str(self.root / "group"), "/etc/group"]
        size = str(self.limits.tmpfs_bytes)
        args += ["--proc", "/proc", "--dev", "/dev",
                 "--perms", "01777", "--size", size, "--tmpfs", "/tmp",
                 "--perms", "01777", "--size", size, "--tmpfs", "/dev/shm",
                 "--perms", "0755", "--dir", "/home",
                 "--perms", "01777", "--size", size, "--tmpfs", HOME,
                 "--perms", "01777", "--dir", WORKDIR]
        # after the tmpfs: a checkout (and its virtualenv) may well live under /tmp
        for prefix in _python_prefixes():
            args += _parents(prefix) + ["--ro-bind", str(prefix), str(prefix)]
        args += _parents(self.ipc_dir) + ["--bind", str(self.ipc_dir), str(self.ipc_dir)]
        args += _parents(Path(INBOX)) + ["--ro-bind", str(self.inbox), INBOX,
                                        "--ro-bind", str(self.preamble), PREAMBLE]
        if self.gpu is not None:
            args += _gpu_binds(self.gpu)
        variables = {"HOME": HOME, "USER": "student", "LOGNAME": "student", "PATH": SANDBOX_PATH,
                     "LANG": "C.UTF-8", "TMPDIR": "/tmp", "MPLCONFIGDIR": f"{HOME}/.config/matplotlib",
                     "CUDA_VISIBLE_DEVICES": "" if self.gpu is None else str(self.gpu), **env}
        for key, value in variables.items():
            args += ["--setenv", key, value]
        return args + ["--chdir", WORKDIR]

    def stage(self, files: list[Path]) -> str:
        """Put ``files`` (and folders) in the inbox; returns the code that copies them into the kernel's cwd.

        The kernel runs that code itself, before any student cell: its working
        directory is a tmpfs only the sandbox sees.
        """
        for source in files:
            target = self.inbox / source.name
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
            else:
                shutil.copy(source, target)
        return _STAGE_CODE

    def exceeded(self, returncode: int | None) -> str | None:
        """The limit that killed the kernel, as an error name for the result, if one did."""
        if self.cgroup is not None and self.cgroup.oom_kills() > 0:
            return "MemoryLimitExceeded"
        if returncode in (128 + signal.SIGXCPU, -signal.SIGXCPU):
            return "CPUTimeLimitExceeded"
        return None

    def close(self) -> None:
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        shutil.rmtree(self.root, ignore_errors=True)

    def _write_identity(self) -> None:
        gid = self.uid if self.as_root else os.getgid()
        (self.root / "passwd").write_text(f"student:x:{self.uid}:{gid}:student:{HOME}:/bin/sh\n")
        (self.root / "group").write_text(f"student:x:{gid}:\n")


def _python_prefixes() -> list[Path]:
    """The Python installation and environment the kernel runs from (nothing else of the host's disk)."""
    candidates = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix),
                  Path(os.path.realpath(sys.executable)).parent.parent}
    prefixes = sorted(p for p in candidates if not p.is_relative_to("/usr") and p != Path("/") and p.is_dir())
    # a prefix inside another is bound with it
    return [p for p in prefixes if not any(q != p and p.is_relative_to(q) for q in prefixes)]


def _parents(path: Path) -> list[str]:
    """bwrap arguments that create ``path``'s missing parents traversable by any uid."""
    args: list[str] = []
    for parent in reversed(path.parents):
        if str(parent) not in ("/", "/tmp", "/usr", "/home"):
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def _gpu_binds(index: int) -> list[str]:
    """Device nodes and driver information for one NVIDIA GPU."""
    args: list[str] = []
    for node in ("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", f"/dev/nvidia{index}"):
        args += ["--dev-bind-try", node, node]
    for path in ("/sys/bus/pci", "/sys/devices", "/sys/module/nvidia", "/proc/driver/nvidia"):
        args += ["--ro-bind-try", path, path]
    return args


def _tasks_of(uid: int) -> int:
    """Threads currently running as ``uid`` (what RLIMIT_NPROC counts)."""
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(entry / "task"))
            except OSError:
                continue
    return count
