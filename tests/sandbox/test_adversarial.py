"""Adversarial submissions: one test per attack on the sandbox and the grading protocol.

Every test grades an attack notebook with a shared pool of warm sandboxed kernels
and checks four things:

1. the attack failed, shown by the precise marker its cell prints (so an attack
   cell that is itself broken cannot pass silently); for forgeries, the score;
2. the score is not raised: it equals what the same wrong or stub solution earns
   without the attack (worked out by hand in each test);
3. nothing leaks: no canary (a secret in the grader's environment, text of the
   hidden suite and of the reference solution) appears in any output of the
   executed notebook or in the result, and nothing of the kernel (its host
   folder, its cgroup, a process of its uid) outlives it (``Arena.grade`` checks
   both after every grading);
4. the next submission grades normally with the same pool.

Run as root (as on the grading machines and CI), the sandbox drops to a fresh
uid; a few expectations differ for an ordinary user's sandbox and say so.

The toy assignment (tests/files/toy) is used throughout: ``add`` 1 point,
``scale`` 1 point, ``Doubler`` 2 points; cell limit 4 s, call limit 5 s.
"""

from __future__ import annotations

import ast
import errno
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from nbformat import NotebookNode

from grader.assignments import Assignment, Execution, load_assignment
from grader.config import REPO_ROOT, MiB, Settings
from grader.errors import GraderError
from grader.grading import execute_and_grade
from grader.kernel import is_alive
from grader.models import GradeResult
from grader.pool import KernelPool
from grader.sandbox import HOME, INBOX
from tests.utils.toy import COMPLETE, DOUBLER, IMPORTS, SCALE, toy_notebook

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]

TOY = REPO_ROOT / "tests" / "files" / "toy"
REFERENCE_SOLUTION = TOY / "reference" / "toy" / "solution.py"
HIDDEN_TESTS = TOY / "reference" / "toy" / "tests" / "test_hidden.py"
CANARY_VARIABLE = "GRADER_CANARY_SECRET"
AS_ROOT = os.geteuid() == 0  # the sandbox then runs as a fresh uid of its own

# Wrong solutions. WRONG_ADD with the correct SCALE and DOUBLER scores 3.0 of 4.0.
WRONG_ADD = "def add(a, b):\n    return a - b"
# All three wrong (Doubler's child is misnamed, so even its structure test fails): 0.0 of 4.0.
WRONG_SCALE = "def scale(x, k):\n    return x * k + 1"
WRONG_DOUBLER = (
    "class Doubler(nn.Module):\n"
    "    def __init__(self, n):\n"
    "        super().__init__()\n"
    "        self.lin = nn.Linear(n, n)\n"
    "    def forward(self, x):\n"
    "        return 3 * self.lin(x)"
)
ADD_OK = "def add(a, b):\n    return a + b"
MOSTLY_RIGHT = (WRONG_ADD, SCALE, DOUBLER)
MOSTLY_RIGHT_SCORE = 3.0
ALL_WRONG = (WRONG_ADD, WRONG_SCALE, WRONG_DOUBLER)
ALL_WRONG_SCORE = 0.0
MOSTLY_RIGHT_SCORES = {"add": 0.0, "scale": 1.0, "Doubler": 2.0}
# where the attack cell sits in every attack notebook: right after IMPORTS
ATTACK = 1


def cell(source: str) -> str:
    """A cell source written as an indented triple-quoted string."""
    return textwrap.dedent(source).strip("\n")


# -- the arena: a pool, the canaries and helpers --------------------------------------------------
@dataclass
class Graded:
    """One graded submission: the result and the notebook as executed."""

    result: GradeResult
    nb: NotebookNode

    @property
    def status(self) -> str:
        return self.result.status

    @property
    def score(self) -> float:
        return self.result.score

    @property
    def scores(self) -> dict[str, float]:
        return {e.id: e.score for e in self.result.exercises}

    @property
    def errors(self) -> list[tuple[int, str]]:
        return [(e.index, e.ename) for e in self.result.execution.cell_errors]

    def text(self, index: int | None = None) -> str:
        """All text of the outputs (of one cell, or of every cell)."""
        return output_text(self.nb, index)

    def lines(self, index: int, prefix: str) -> list[str]:
        """The output lines of cell ``index`` that start with ``prefix``."""
        return [line for line in self.text(index).splitlines() if line.startswith(prefix)]


def output_text(nb: NotebookNode, index: int | None = None) -> str:
    """Stream text, every display/result data value, and error names, values and tracebacks."""
    parts: list[str] = []
    for code_cell in nb.cells if index is None else [nb.cells[index]]:
        for out in code_cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream":
                parts.append(str(out.get("text", "")))
            elif kind in ("execute_result", "display_data", "update_display_data"):
                parts.extend(v if isinstance(v, str) else json.dumps(v) for v in out.get("data", {}).values())
            elif kind == "error":
                parts += [str(out.get("ename", "")), str(out.get("evalue", "")), *map(str, out.get("traceback", []))]
    return "\n".join(parts)


class Arena:
    """The shared pool plus what every attack needs: grading, leak checks, the follow-up submission."""

    def __init__(self, pool: KernelPool, settings: Settings, assignment: Assignment, canaries: list[str]) -> None:
        self.pool = pool
        self.settings = settings
        self.assignment = assignment
        self.canaries = canaries

    def grade(self, *cells: str, assignment: Assignment | None = None) -> Graded:
        """Grade a toy notebook of ``cells``; check that no canary leaked and that its sandbox is gone."""
        taken = self.pool.idle[0].sandbox if self.pool.idle else None
        cgroups = list(taken.cgroup.dirs.values()) if taken is not None and taken.cgroup is not None else []
        result, nb = execute_and_grade(toy_notebook(*cells), assignment=assignment or self.assignment,
                                       settings=self.settings, pool=self.pool)
        graded = Graded(result, nb)
        self.assert_no_leak(graded)
        if taken is not None:  # nothing of the kernel outlives its submission on the host
            assert not taken.root.exists(), f"{taken.root} outlived its submission"
            assert not [c for c in cgroups if c.exists()], f"cgroups {cgroups} outlived their submission"
            if taken.as_root:  # the sandbox's uid is its own: any process left with it escaped the cleanup
                assert processes_of(taken.uid) == [], f"processes of uid {taken.uid} outlived their submission"
        return graded

    def attack(self, *attack: str, solution: tuple[str, ...] = MOSTLY_RIGHT) -> Graded:
        """IMPORTS, the attack cell(s) (the first is cell 1), then the solution cells."""
        return self.grade(IMPORTS, *attack, *solution)

    def assert_no_leak(self, graded: Graded) -> None:
        everything = graded.text() + graded.result.model_dump_json()
        for canary in self.canaries:
            assert canary not in everything, f"canary {canary[:40]!r} leaked"

    def assert_next_is_normal(self) -> None:
        """The complete notebook, graded next with the same pool, gets full marks and prints nothing."""
        graded = self.grade()
        assert (graded.status, graded.score) == ("graded", 4.0), graded.result
        assert graded.errors == [] and graded.text() == ""
        assert all(is_alive(kernel.km) for kernel in self.pool.idle), "a waiting kernel died"


@pytest.fixture(scope="module")
def canary_secret() -> Iterator[str]:
    """A secret in the grader's own environment, set before any kernel starts."""
    secret = f"canary-{uuid.uuid4().hex}"
    previous = os.environ.get(CANARY_VARIABLE)
    os.environ[CANARY_VARIABLE] = secret
    yield secret
    if previous is None:
        del os.environ[CANARY_VARIABLE]
    else:
        os.environ[CANARY_VARIABLE] = previous


@pytest.fixture(scope="module")
def adversarial_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Toy settings with small limits, so that exhaustion attacks end fast."""
    return Settings(
        exercises_dir=TOY / "exercises", reference_dir=TOY / "reference",
        cache_dir=tmp_path_factory.mktemp("adversarial-cache"),
        sandbox=True, sandbox_memory_mib=1024, sandbox_pids=128, sandbox_tmpfs_mib=256, sandbox_file_mib=64,
        kernel_startup_timeout_s=15, max_reply_bytes=8 * MiB,  # the toy's replies are tiny
    )


@pytest.fixture(scope="module")
def arena(canary_secret: str, adversarial_settings: Settings) -> Iterator[Arena]:
    hidden = "def test_add_random(student, reference, gen):"
    reference = "from torch import nn\n\n\ndef add(a, b):"
    assert hidden in HIDDEN_TESTS.read_text() and reference in REFERENCE_SOLUTION.read_text()
    assignment = load_assignment("toy", adversarial_settings)
    pool = KernelPool(adversarial_settings, size=2, sandboxed=True)  # after the canary is set
    try:
        yield Arena(pool, adversarial_settings, assignment, [canary_secret, CANARY_VARIABLE, hidden, reference])
    finally:
        pool.close()


@pytest.fixture(scope="module")
def api_listener() -> Iterator[socket.socket]:
    """A TCP service of the host (all interfaces, a free port), standing in for the grading API."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", 0))
    listener.listen(16)
    listener.setblocking(False)
    try:
        yield listener
    finally:
        listener.close()


def assert_never_accepted(listener: socket.socket) -> None:
    try:
        connection, peer = listener.accept()
    except BlockingIOError:
        return
    connection.close()
    pytest.fail(f"the host's service accepted a connection from {peer}")


def processes_of(uid: int) -> list[int]:
    """Host pids running as ``uid``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
            except OSError:  # gone meanwhile
                continue
    return pids


def peak_rss_bytes() -> int:
    """This process's peak resident memory since the last ``reset_peak_rss``."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/self/status")


def reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def unix_connects(paths: list[str]) -> str:
    """A cell that tries to connect to each unix socket path, printing CONNECTED or BLOCKED <error>."""
    return cell(f"""
        import socket
        for path in {paths!r}:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                print('CONNECTED', path)
            except OSError as e:
                print('BLOCKED', type(e).__name__)
            finally:
                s.close()
    """)


def host_address() -> str:
    """This machine's primary address (no packet is sent), or loopback where it has none."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


def python_prefixes() -> set[Path]:
    """The Python installation the sandbox binds read-only (computed as grader.sandbox does)."""
    return {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix),
            Path(os.path.realpath(sys.executable)).parent.parent}


# -- files outside the working directory -----------------------------------------------------------
HOST_FILES = {  # path: the error reading it must give
    str(REFERENCE_SOLUTION): "FileNotFoundError",
    str(HIDDEN_TESTS): "FileNotFoundError",
    str(REPO_ROOT / "reference" / "mlp-basics" / "tests" / "test_Net.py"): "FileNotFoundError",
    str(REPO_ROOT / "grader" / "config.py"): "FileNotFoundError",
    "/etc/shadow": "FileNotFoundError",
    **({"/proc/1/environ": "PermissionError"} if AS_ROOT else {}),  # bubblewrap's init, root's
}


def test_reading_host_files_fails(arena: Arena) -> None:
    """Host files (reference, hidden suites, the grader, /etc/shadow, pid 1's environment) cannot be read.

    Had any read worked, its text would be printed (and the canaries would catch it).
    """
    graded = arena.attack(cell(f"""
        for path in {list(HOST_FILES)!r}:
            try:
                with open(path, 'rb') as f:
                    data = f.read()
                print('READ', path, len(data))
                print(data.decode(errors='replace')[:4000])
            except OSError as e:
                print('BLOCKED', path, type(e).__name__)
    """))
    assert graded.lines(ATTACK, "BLOCKED") == [f"BLOCKED {p} {e}" for p, e in HOST_FILES.items()], graded.text(ATTACK)
    assert "READ" not in graded.text(ATTACK)
    assert (graded.status, graded.score) == ("graded", MOSTLY_RIGHT_SCORE)
    arena.assert_next_is_normal()


def test_environment_holds_no_grader_secret(arena: Arena) -> None:
    """os.environ, /proc/self/environ and every readable /proc/*/environ lack the grader's variables."""
    probe = cell("""
        import os
        print('KEYS', sorted(os.environ))
        print('VALUES', list(os.environ.values()))
        print('SELF', open('/proc/self/environ', 'rb').read())
        for pid in sorted(p for p in os.listdir('/proc') if p.isdigit()):
            try:
                print('PROC', pid, open(f'/proc/{pid}/environ', 'rb').read())
            except OSError as e:
                print('PROC', pid, 'BLOCKED', type(e).__name__)
    """)
    graded = arena.attack(probe)
    text = graded.text(ATTACK)
    (keys,) = graded.lines(ATTACK, "KEYS")
    names = ast.literal_eval(keys.removeprefix("KEYS "))
    assert "HOME" in names and not [n for n in names if n.startswith("GRADER_")]
    assert "SELF b'" in text and "GRADER_" not in text
    assert "PROC 1 BLOCKED PermissionError" in text or not AS_ROOT  # bubblewrap's init belongs to root
    assert (graded.status, graded.score) == ("graded", MOSTLY_RIGHT_SCORE)
    arena.assert_next_is_normal()


def test_proc_shows_only_the_sandbox(arena: Arena) -> None:
    """The pid namespace hides every host process: a couple of pids, none of them the grader or a database."""
    probe = cell("""
        import os
        pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
        print('PIDS', pids)
        for pid in pids:
            try:
                print('CMD', pid, open(f'/proc/{pid}/cmdline', 'rb').read().replace(b'\\0', b' ').decode())
            except OSError as e:
                print('CMD', pid, 'BLOCKED', type(e).__name__)
    """)
    graded = arena.attack(probe)
    (line,) = graded.lines(ATTACK, "PIDS")
    pids = ast.literal_eval(line.removeprefix("PIDS "))
    assert 1 in pids and len(pids) <= 4, pids
    commands = "\n".join(graded.lines(ATTACK, "CMD"))
    assert "ipykernel_launcher" in commands
    for host_process in ("pytest", "postgres", "redis", "mariadb", str(os.getpid())):
        assert host_process not in commands
    assert (graded.status, graded.score) == ("graded", MOSTLY_RIGHT_SCORE)
    arena.assert_next_is_normal()


def test_directory_listings_show_only_the_sandbox_mounts(arena: Arena) -> None:
    """Listing /, /etc, /home, the repo root and friends shows only what the sandbox mounts."""
    paths = ["/", "/etc", "/home", "/work", "/root", "/var", "/run", "/srv", "/opt", "/mnt",
             str(REPO_ROOT), str(REPO_ROOT.parent), str(REPO_ROOT / "reference"), str(TOY)]
    probe = cell(f"""
        import json, os
        found = {{}}
        for path in {paths!r}:
            try:
                found[path] = sorted(os.listdir(path))
            except OSError as e:
                found[path] = type(e).__name__
        print('LISTING', json.dumps(found))
    """)
    graded = arena.attack(probe)
    (line,) = graded.lines(ATTACK, "LISTING")
    listing: dict[str, list[str] | str] = json.loads(line.removeprefix("LISTING "))
    mounts = [Path(p) for p in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/dev",
                                "/tmp", HOME, "/grader")]
    mounts += [Path("/etc") / name for name in ("passwd", "group", "ld.so.cache", "ld.so.conf", "ld.so.conf.d",
                                                "localtime", "fonts", "alternatives")]
    mounts += python_prefixes()
    for path, entries in listing.items():
        if isinstance(entries, str):
            assert entries == "FileNotFoundError", (path, entries)
            continue
        for name in entries:
            child = Path(path) / name
            if child.parent == Path("/tmp") and child.name.startswith("gk-"):
                continue  # the kernel's own socket folder (visible when the checkout lives under /tmp)
            # every visible entry leads to something the sandbox mounts on purpose
            assert any(m == child or child in m.parents for m in mounts), f"{child} is visible in the sandbox"
    assert listing["/home"] == ["student"]
    assert listing[str(REPO_ROOT / "reference")] == "FileNotFoundError"
    assert listing[str(TOY)] == "FileNotFoundError"
    assert (graded.status, graded.score) == ("graded", MOSTLY_RIGHT_SCORE)
    arena.assert_next_is_normal()


def test_files_of_other_submissions_are_invisible(arena: Arena) -> None:
    """A marker the previous submission left in cwd, /tmp, /dev/shm, HOME or its socket folder is not found."""
    token = uuid.uuid4().hex
    plant = cell(f"""
        import glob, os
        for d in ['.', '/tmp', '/dev/shm', os.path.expanduser('~'), *glob.glob('/tmp/gk-*/ipc')]:
            try:
                with open(os.path.join(d, 'adv-marker-' + {token[:8]!r}), 'w') as f:
                    f.write({token!r})
                print('PLANTED', d)
            except OSError as e:
                print('BLOCKED', d, type(e).__name__)
    """)
    first = arena.attack(plant)
    assert "PLANTED /tmp" in first.text(ATTACK) and "PLANTED /dev/shm" in first.text(ATTACK)
    assert not list(Path("/tmp").glob("gk-*/**/adv-marker-*")), "a marker outlived its sandbox on the host"
    skip = sorted({"/proc", "/sys", "/usr", "/dev", *map(str, python_prefixes())})
    search = cell(f"""
        import os
        found = []
        for top in ['/', '/dev/shm']:
            for root, dirs, files in os.walk(top):
                dirs[:] = [d for d in dirs if os.path.join(root, d) not in {skip!r}]
                for name in files:
                    if name.startswith('adv-marker-'):
                        path = os.path.join(root, name)
                        found.append(path)
                        print(open(path).read())
        print('FOUND', found)
    """)
    second = arena.attack(search)
    assert second.lines(ATTACK, "FOUND") == ["FOUND []"], second.text(ATTACK)
    assert token not in second.text()
    for graded in (first, second):
        assert (graded.status, graded.score) == ("graded", MOSTLY_RIGHT_SCORE)
    arena.assert_next_is_normal()


def test_host_unix_sockets_are_unreachable(arena: Arena) -> None:
    """PostgreSQL's, MySQL's and Redis' unix sockets do not exist inside; an abstract socket of the host is not there.

    Abstract unix sockets belong to the network namespace: the test process
    listens on one, and the kernel's connect is refused.
    """
    paths = ["/var/run/postgresql/.s.PGSQL.5432", "/run/postgresql/.s.PGSQL.5432", "/tmp/.s.PGSQL.5432",
             "/run/mysqld/mysqld.sock", "/var/run/redis/redis-server.sock", "/run/redis/redis.sock",
             "/var/run/docker.sock"]
    abstract = f"\0grader-adversarial-{uuid.uuid4().hex}"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(abstract)
        listener.listen(4)
        listener.setblocking(False)
        graded = arena.attack(unix_connects([*paths, abstract]))
        assert_never_accepted(listener)
    finally:
        listener.close()
    assert graded.lines(ATTACK, "BLOCKED") == (["BLOCKED FileNotFoundError"] * len(paths)
                                               + ["BLOCKED ConnectionRefusedError"]), graded.text(ATTACK)
    assert "CONNECTED" not in graded.text(ATTACK)
    assert (graded.status, graded.score) == ("graded", MOSTLY_RIGHT_SCORE)
    arena.assert_next_is_normal()


def test_next_kernels_connection_file_and_sockets_are_unreachable(arena: Arena) -> None:
    """The waiting kernel of the next submission (its connection key, its sockets) is out of reach."""
    (_, waiting) = arena.pool.idle  # the attack takes the first; the second serves the next submission
    assert waiting.sandbox is not None
    deadline = time.monotonic() + 30
    while not (sockets := sorted(str(p) for p in waiting.sandbox.ipc_dir.iterdir() if p.is_socket())):
        assert time.monotonic() < deadline, "the waiting kernel never opened its sockets"
        time.sleep(0.1)
    probe = cell(f"""
        try:
            print('READ', open({str(waiting.sandbox.connection_file)!r}).read())
        except OSError as e:
            print('BLOCKED', type(e).__name__)
    """) + "\n" + unix_connects(sockets)
    key = json.loads(waiting.sandbox.connection_file.read_text())["key"]
    arena.canaries.append(key)
    try:
        graded = arena.attack(probe)
    finally:
        arena.canaries.remove(key)
    assert graded.lines(ATTACK, "BLOCKED") == ["BLOCKED FileNotFoundError"] * (1 + len(sockets)), graded.text(ATTACK)
    assert (graded.status, graded.score) == ("graded", MOSTLY_RIGHT_SCORE)
    arena.assert_next_is_normal()


# -- network and loopback services -------------------------------------------------------------
CONNECTS = {  # how the attack connects: raw C sockets, a reloaded socket module, the patched socket module
    "raw": cell("""
        import _socket, errno
        def connect(family, host, port):
            s = _socket.socket(family, _socket.SOCK_STREAM)
            s.settimeout(3)
            try:
                s.connect((host, port))
                s.send(b'PING\\r\\n')
                print('CONNECTED', host, port, s.recv(200))
            except OSError as e:
                print('BLOCKED', type(e).__name__, errno.errorcode.get(e.errno))
            finally:
                s.close()
    """),
    "reloaded-socket": cell("""
        import errno, importlib, socket
        socket = importlib.reload(socket)
        def connect(family, host, port):
            try:
                with socket.create_connection((host, port), timeout=3):
                    print('CONNECTED', host, port)
            except OSError as e:
                print('BLOCKED', type(e).__name__, errno.errorcode.get(e.errno))
    """),
    "patched-socket": cell("""
        import socket
        def connect(family, host, port):
            try:
                with socket.create_connection((host, port), timeout=3):
                    print('CONNECTED', host, port)
            except OSError as e:
                print('BLOCKED', type(e).__name__, e)
    """),
}
# what a connect gives in the sandbox's own network namespace: its private loopback, nothing else
UNREACHABLE = {"ENETUNREACH", "EADDRNOTAVAIL", "ECONNREFUSED", "EHOSTUNREACH"}


@pytest.mark.parametrize("how", list(CONNECTS))
def test_tcp_to_host_services_fails(arena: Arena, api_listener: socket.socket, how: str) -> None:
    """TCP to Redis (IPv4 and IPv6), PostgreSQL and the grading API (loopback and the host's address) fails.

    "raw" and "reloaded-socket" get past the preamble's socket patch: what stops
    them is the network namespace. The API stand-in never sees a connection.
    """
    api_port = api_listener.getsockname()[1]
    targets = [("AF_INET", "127.0.0.1", 6379), ("AF_INET6", "::1", 6379), ("AF_INET", "127.0.0.1", 5432),
               ("AF_INET", "127.0.0.1", api_port), ("AF_INET", host_address(), api_port)]
    calls = "\n".join(f"connect(socket_module.{family}, {host!r}, {port})" for family, host, port in targets)
    graded = arena.attack(CONNECTS[how] + "\nimport socket as socket_module\n" + calls)
    blocked = graded.lines(ATTACK, "BLOCKED")
    assert len(blocked) == len(targets) and "CONNECTED" not in graded.text(ATTACK), graded.text(ATTACK)
    for line in blocked:
        if how == "patched-socket":
            assert line == "BLOCKED OSError network access is disabled while grading"
        else:
            assert line.split()[-1] in UNREACHABLE, line
    assert_never_accepted(api_listener)
    assert (graded.status, graded.score) == ("graded", MOSTLY_RIGHT_SCORE)
    arena.assert_next_is_normal()


def test_dns_and_udp_fail_fast(arena: Arena) -> None:
    """Name resolution (patched and raw) and a raw UDP packet to a public resolver all fail within seconds."""
    probe = cell("""
        import _socket, socket, time
        started = time.monotonic()
        for name, resolve in [('patched', socket.getaddrinfo), ('raw', _socket.getaddrinfo)]:
            try:
                print('RESOLVED', name, resolve('pypi.org', 443))
            except OSError as e:
                print('BLOCKED', name, type(e).__name__)
        s = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
        try:
            s.sendto(b'x', ('1.1.1.1', 53))
            print('SENT udp')
        except OSError as e:
            print('BLOCKED udp', type(e).__name__)
        print('FAST', time.monotonic() - started < 3)
    """)
    graded = arena.attack(probe)
    assert graded.lines(ATTACK, "BLOCKED") == ["BLOCKED patched OSError", "BLOCKED raw gaierror",
                                               "BLOCKED udp OSError"], graded.text(ATTACK)
    assert graded.lines(ATTACK, "FAST") == ["FAST True"]
    assert (graded.status, graded.score) == ("graded", MOSTLY_RIGHT_SCORE)
    arena.assert_next_is_normal()


# -- forging results ---------------------------------------------------------------------------
# Every forgery runs with ALL_WRONG (0.0 without the attack): any lie that reached a verdict would raise it.
FORGERIES: dict[str, tuple[str, str]] = {  # name: (attack cell, the line it prints)
    "torch-comparisons": (cell("""
        import torch
        torch.allclose = lambda *a, **k: True
        torch.equal = lambda *a, **k: True
        torch.isclose = lambda a, b, *r, **k: torch.ones(torch.as_tensor(a).shape, dtype=torch.bool)
        torch.Tensor.__eq__ = lambda self, other: True
        torch.testing.assert_close = lambda *a, **k: None
        print('PATCHED', torch.allclose(torch.zeros(1), torch.ones(1)), torch.zeros(1) == torch.ones(1))
    """), 'PATCHED True True'),
    "numpy-comparisons": (cell("""
        import numpy as np
        np.allclose = np.array_equal = lambda *a, **k: True
        np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), dtype=bool)
        np.testing.assert_allclose = np.testing.assert_array_equal = lambda *a, **k: None
        print('PATCHED', np.allclose(0, 1))
    """), 'PATCHED True'),
    "builtins-isinstance": (cell("""
        import builtins
        real_isinstance = builtins.isinstance
        def lying_isinstance(obj, cls):  # everything is a tensor, an array and a number
            liked = (torch.Tensor, np.ndarray, np.generic, float)
            if real_isinstance(cls, type) and cls in liked or real_isinstance(cls, tuple) and set(cls) & set(liked):
                return True
            return real_isinstance(obj, cls)
        builtins.isinstance = lying_isinstance
        print('PATCHED', isinstance('text', torch.Tensor))
    """), 'PATCHED True'),
    "builtins-import": (cell("""
        import builtins, json as real_json, types
        fake_json = types.ModuleType('json')
        fake_json.loads = real_json.loads
        fake_json.dumps = lambda *a, **k: '{"ok": true, "value": true}'
        real_import = builtins.__import__
        def lying_import(name, *args, **kwargs):
            return fake_json if name == 'json' else real_import(name, *args, **kwargs)
        builtins.__import__ = lying_import
        import json
        print('PATCHED', json.dumps({}))
    """), 'PATCHED {"ok": true, "value": true}'),
    "json-dumps": (cell("""
        import json
        real_dumps = json.dumps
        def forged(obj, *args, **kwargs):
            if type(obj) is dict and 'ok' in obj:
                return real_dumps({'ok': True, 'value': True})
            return real_dumps(obj, *args, **kwargs)
        json.dumps = forged
        print('PATCHED', json.dumps({'ok': False}))
    """), 'PATCHED {"ok": true, "value": true}'),
    "json-loads": (cell("""
        import json
        real_loads = json.loads
        def forged(text, *args, **kwargs):
            value = real_loads(text, *args, **kwargs)
            if type(value) is dict and 'op' in value:
                return {'op': 'has', 'name': 'add'}
            return value
        json.loads = forged
        print('PATCHED', json.loads('{"op": "call"}'))
    """), "PATCHED {'op': 'has', 'name': 'add'}"),
    "base64": (cell("""
        import base64
        base64.b64encode = lambda data, *a, **k: b'AAAA'
        print('PATCHED', base64.b64encode(b'x'))
    """), "PATCHED b'AAAA'"),
    "comm-target": (cell("""
        from comm import get_comm_manager
        manager = get_comm_manager()
        def fake_open(comm, msg):
            comm.on_msg(lambda m: comm.send({'reply': '{"ok": true, "value": true}'}))
        manager.register_target('grader.channel', fake_open)
        manager.register_target = lambda *a, **k: None
        print('PATCHED', 'grader.channel' in manager.targets)
    """), 'PATCHED True'),
    "agent-source": (cell("""
        import builtins
        real_compile = builtins.compile
        def evil_compile(source, filename, *args, **kwargs):
            if filename == '<grader-agent>':
                source = source.replace('ARRAY_DTYPES = {', 'ARRAY_DTYPES = {"complex64", "object", ')
                source = source.replace('        return json.dumps(reply, allow_nan=False)',
                                        '        return json.dumps({"ok": True, "value": True})')
            return real_compile(source, filename, *args, **kwargs)
        builtins.compile = evil_compile
        print('PATCHED', builtins.compile is evil_compile)
    """), 'PATCHED True'),
    "printed-result": (cell("""
        import json
        fake = {'assignment': 'toy', 'status': 'graded', 'score': 100.0, 'max_score': 4.0, 'exercises': [],
                'execution': {'duration_s': 0.0, 'cell_errors': []}}
        print(json.dumps(fake))
        display({'application/json': fake}, raw=True)
        print('PATCHED printed')
    """), 'PATCHED printed'),
}


@pytest.mark.parametrize("name", list(FORGERIES))
def test_forged_verdicts_do_not_raise_the_score(arena: Arena, name: str) -> None:
    """Lying comparison functions, a hijacked channel or printed results leave a wrong notebook at 0.

    The verdicts are computed in the grader's process from plain data, so nothing
    the kernel patches about itself can turn a wrong answer into a passing test.
    """
    forgery, marker = FORGERIES[name]
    graded = arena.attack(forgery, solution=ALL_WRONG)
    assert graded.lines(ATTACK, "PATCHED") == [marker], graded.text(ATTACK)
    assert (graded.status, graded.score, graded.result.max_score) == ("graded", ALL_WRONG_SCORE, 4.0), graded.result
    arena.assert_next_is_normal()


SABOTAGE = {  # ways the last cell can break the channel before the grader sets it up
    "ignore-kernel-info": cell("""
        get_ipython().kernel.shell_handlers['kernel_info_request'] = lambda *args, **kwargs: None
        print('SABOTAGED')
    """),
    "hang-agent-install": cell("""
        import builtins, time
        real_compile = builtins.compile
        def stalling_compile(source, filename, *args, **kwargs):
            if filename == '<grader-agent>':
                time.sleep(10**6)
            return real_compile(source, filename, *args, **kwargs)
        builtins.compile = stalling_compile
        print('SABOTAGED')
    """),
    "malformed-reply-on-open": cell("""
        from comm import get_comm_manager
        manager = get_comm_manager()
        manager.register_target('grader.channel', lambda comm, msg: comm.send({'reply': 123}))
        manager.register_target = lambda *args, **kwargs: None
        print('SABOTAGED')
    """),
}


@pytest.mark.parametrize("name", list(SABOTAGE))
def test_a_sabotaged_channel_still_gives_a_result(arena: Arena, name: str) -> None:
    """A kernel that will not let the grading channel open still gets a result, with nothing earned.

    It ignores kernel_info requests, stalls the agent's installation, or answers
    the channel's opening with a malformed reply: grading must record that (no
    test can reach the notebook) rather than fail with an exception of its own.
    """
    try:
        graded = arena.attack(SABOTAGE[name])
    except GraderError as exc:
        pytest.fail(f"grading raised {type(exc).__name__} ({exc}) instead of returning a result")
    assert graded.lines(ATTACK, "SABOTAGED") == ["SABOTAGED"], graded.text(ATTACK)
    assert (graded.status, graded.score) == ("error", 0.0), graded.result
    messages = {t.message for e in graded.result.exercises for t in e.tests}
    assert all(m.startswith("the grader could not reach the notebook's kernel") for m in messages), messages
    arena.assert_next_is_normal()


def test_the_kernels_own_stdout_reaches_nothing(arena: Arena, capfd: pytest.CaptureFixture[str]) -> None:
    """Fake result JSON written to the kernel's file descriptors 1 and 2 (and by a child) reaches no one.

    ``grader grade --json`` prints its result on the grader's stdout: the kernel's
    own fds must not be the grader's, or a student could print a forged result there.
    """
    marker = f"forged-{uuid.uuid4().hex}"
    forge = cell(f"""
        import json, os, subprocess
        fake = json.dumps({{'status': 'graded', 'score': 100.0, 'marker': {marker!r}}}) + '\\n'
        os.write(1, fake.encode())
        os.write(2, fake.encode())
        subprocess.run(['sh', '-c', 'echo {marker}; echo {marker} >&2'])
        print('PATCHED fds')
    """)
    capfd.readouterr()
    graded = arena.attack(forge, solution=ALL_WRONG)
    captured = capfd.readouterr()
    assert graded.lines(ATTACK, "PATCHED") == ["PATCHED fds"], graded.text(ATTACK)
    assert marker not in captured.out and marker not in captured.err
    assert (graded.status, graded.score) == ("graded", ALL_WRONG_SCORE)
    arena.assert_next_is_normal()


def test_pickled_reply_never_runs_in_the_grader(arena: Arena, tmp_path: Path) -> None:
    """A reply whose arrays are pickles that would create a host file is refused unopened."""
    target = tmp_path / "unpickled-on-the-host"
    forge = cell(f"""
        import builtins, numpy as np
        class Payload:
            def __reduce__(self):
                return (builtins.open, ({str(target)!r}, 'w'))
        real_save = np.save
        def evil_save(file, arr, allow_pickle=True, fix_imports=True):
            real_save(file, np.array([Payload()], dtype=object), allow_pickle=True)
        np.save = evil_save
        print('PATCHED numpy.save')
    """)
    graded = arena.attack(forge, solution=ALL_WRONG)
    assert graded.lines(ATTACK, "PATCHED") == ["PATCHED numpy.save"]
    assert not target.exists(), "the grader unpickled data from the kernel"
    assert (graded.status, graded.score) == ("graded", ALL_WRONG_SCORE)
    arena.assert_next_is_normal()


def test_result_files_written_by_the_kernel_are_ignored(arena: Arena) -> None:
    """result.json / grade.json planted in cwd, /tmp, HOME, /dev/shm or the inbox change nothing."""
    forge = cell(f"""
        import glob, json, os
        fake = json.dumps({{'status': 'graded', 'score': 100.0}})
        for d in ['.', '/tmp', os.path.expanduser('~'), '/dev/shm', *glob.glob('/tmp/gk-*/ipc'), {INBOX!r}]:
            for name in ('result.json', 'grade.json'):
                try:
                    with open(os.path.join(d, name), 'w') as f:
                        f.write(fake)
                    print('WROTE', d, name)
                except OSError as e:
                    print('BLOCKED', d, name, type(e).__name__)
    """)
    graded = arena.attack(forge, solution=ALL_WRONG)
    assert "WROTE . result.json" in graded.text(ATTACK)
    assert graded.lines(ATTACK, f"BLOCKED {INBOX}") == [f"BLOCKED {INBOX} result.json OSError",
                                                       f"BLOCKED {INBOX} grade.json OSError"]
    assert (graded.status, graded.score) == ("graded", ALL_WRONG_SCORE)
    arena.assert_next_is_normal()


def test_sys_exit_in_a_cell_is_an_ordinary_error(arena: Arena) -> None:
    """sys.exit(0) raises SystemExit inside IPython: the kernel lives on and the later cells count."""
    graded = arena.attack(cell("""
        import sys
        print('EXITING')
        sys.exit(0)
    """))
    assert graded.lines(ATTACK, "EXITING") == ["EXITING"]
    assert graded.errors == [(ATTACK, "SystemExit")]
    assert (graded.status, graded.scores) == ("graded", MOSTLY_RIGHT_SCORES)
    arena.assert_next_is_normal()


def test_os_exit_kills_only_the_kernel(arena: Arena) -> None:
    """os._exit(0) ends the kernel: status error, nothing can be called, so 0 points."""
    # the pause lets the kernel's IOPub thread send the marker before the process ends
    graded = arena.attack("print('EXITING', flush=True)\nimport os, time\ntime.sleep(0.5)\nos._exit(0)")
    assert graded.lines(ATTACK, "EXITING") == ["EXITING"]
    assert (ATTACK, "DeadKernelError") in graded.errors
    assert (graded.status, graded.score) == ("error", 0.0)
    arena.assert_next_is_normal()


@pytest.mark.parametrize(("function", "outcome"), [
    pytest.param("import sys\n    sys.exit(0)", "exit", id="sys-exit"),
    pytest.param("import os\n    os._exit(0)", "dead", id="os-exit"),
])
def test_exiting_inside_a_graded_call(arena: Arena, function: str, outcome: str) -> None:
    """``add`` that exits when the grader calls it fails its tests; the grader itself carries on."""
    liar = f"def add(a, b):\n    {function}"
    graded = arena.attack("print('DEFINED')", solution=(liar, SCALE, DOUBLER))
    assert graded.lines(ATTACK, "DEFINED") == ["DEFINED"]
    assert graded.scores["add"] == 0.0
    # sys.exit is caught by the agent; os._exit ends the kernel, failing every test after it
    expected = MOSTLY_RIGHT_SCORES if outcome == "exit" else {"add": 0.0, "scale": 0.0, "Doubler": 0.0}
    assert (graded.status, graded.scores) == ("graded", expected)
    arena.assert_next_is_normal()


# The parent is bubblewrap's init (pid 1): root's when the sandbox drops to a fresh uid; an
# ordinary user's sandbox may signal it, but init ignores a SIGKILL sent from inside its namespace.
INIT_KILLED = "BLOCKED PermissionError" if AS_ROOT else "SENT"


@pytest.mark.parametrize(("target", "expected"), [
    pytest.param("os.getppid()", INIT_KILLED, id="parent"),
    pytest.param("1", INIT_KILLED, id="pid-1"),
    pytest.param("-1", "BLOCKED ProcessLookupError", id="everyone"),  # no other process of its own
])
def test_killing_other_processes_fails(arena: Arena, target: str, expected: str) -> None:
    """SIGKILL to the parent, to pid 1 or to every process reaches nothing outside the kernel."""
    graded = arena.attack(cell(f"""
        import os, signal
        print('PARENT', os.getppid())
        try:
            os.kill({target}, signal.SIGKILL)
            print('SENT')
        except OSError as e:
            print('BLOCKED', type(e).__name__)
    """))
    assert graded.lines(ATTACK, "BLOCKED") + graded.lines(ATTACK, "SENT") == [expected], graded.text(ATTACK)
    assert graded.lines(ATTACK, "PARENT") == ["PARENT 1"]
    assert (graded.status, graded.score) == ("graded", MOSTLY_RIGHT_SCORE)
    assert subprocess.run(["true"], check=False).returncode == 0  # this process is unharmed
    arena.assert_next_is_normal()


def test_no_privilege_can_be_gained(arena: Arena) -> None:
    """The kernel has no capabilities, no_new_privs, cannot become root and cannot open a user namespace.

    A user namespace would hand it every capability again inside (mounts, network
    set-up...) and the kernel attack surface that comes with them.
    """
    probe = cell("""
        import errno, os, subprocess, sys
        status = dict(line.split(':', 1) for line in open('/proc/self/status'))
        print('CAPS', *(status[k].strip() for k in ('CapEff', 'CapPrm', 'CapBnd', 'CapAmb', 'NoNewPrivs')))
        try:
            os.setuid(0)
            print('SETUID worked')
        except OSError as e:
            print('SETUID', type(e).__name__)
        child = ('import ctypes; libc = ctypes.CDLL(None, use_errno=True); '
                 'print(libc.unshare(0x10000000), ctypes.get_errno())')  # CLONE_NEWUSER, single-threaded
        rc, err = subprocess.run([sys.executable, '-c', child], capture_output=True, text=True).stdout.split()
        print('USERNS', rc, errno.errorcode.get(int(err), err))
    """)
    graded = arena.attack(probe)
    zero = "0000000000000000"
    assert graded.lines(ATTACK, "CAPS") == [f"CAPS {zero} {zero} {zero} {zero} 1"], graded.text(ATTACK)
    assert graded.lines(ATTACK, "SETUID") == ["SETUID PermissionError"]
    assert (graded.status, graded.score) == ("graded", MOSTLY_RIGHT_SCORE)
    arena.assert_next_is_normal()
    (userns,) = graded.lines(ATTACK, "USERNS")
    assert userns.split()[1] == "-1" and userns.split()[2] in ("EPERM", "ENOSPC", "EACCES"), (
        f"the kernel opened a user namespace ({userns}): inside it, it holds every capability again")


def test_ignoring_signals_and_looping_forever_times_out(arena: Arena) -> None:
    """A cell that ignores SIGINT/SIGTERM/SIGHUP and spins is cut off; the cells after it still count."""
    graded = arena.attack(cell("""
        import signal
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        print('IGNORING', flush=True)
        while True:
            pass
    """))
    assert "IGNORING" in graded.text(ATTACK)
    assert (ATTACK, "CellTimeoutError") in graded.errors
    assert (graded.status, graded.scores) == ("timeout", MOSTLY_RIGHT_SCORES)
    arena.assert_next_is_normal()


def test_symlinked_connection_file_does_not_redirect_host_writes(arena: Arena, tmp_path: Path) -> None:
    """Swapping the connection file for a symlink to a host path, then forcing a restart, writes nothing there.

    The socket folder is sealed (root's) while student code runs, so the swap
    itself is refused; the stubborn loop makes the grader restart the kernel,
    which rewrites and re-owns that file as root on the host: a symlink must
    never redirect that.
    """
    target = tmp_path / "written-through-a-symlink"
    graded = arena.attack(cell(f"""
        import glob, os, signal
        (ipc,) = glob.glob('/tmp/gk-*/ipc')
        try:
            os.unlink(os.path.join(ipc, 'kernel.json'))
            os.symlink({str(target)!r}, os.path.join(ipc, 'kernel.json'))
            print('LINKED', flush=True)
        except OSError as e:
            print('BLOCKED', type(e).__name__, flush=True)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        while True:
            pass
    """))
    assert graded.lines(ATTACK, "BLOCKED") == ["BLOCKED PermissionError"], graded.text(ATTACK)
    assert not target.exists() and not target.is_symlink(), "the host wrote through the student's symlink"
    assert (ATTACK, "CellTimeoutError") in graded.errors, graded.errors
    assert (graded.status, graded.scores) == ("timeout", MOSTLY_RIGHT_SCORES)
    arena.assert_next_is_normal()


# -- lying objects -------------------------------------------------------------------------------
LIARS = {
    "always-equal": cell("""
        class Liar:
            shape = (3, 4)
            dtype = torch.float32
            def __eq__(self, other): return True
            def __ne__(self, other): return False
            def __bool__(self): return True
            def __float__(self): return 3.0
            def __len__(self): return 3
            def __array__(self, dtype=None, copy=None): return np.full((3, 4), 3.0, dtype='float32')
        def add(a, b):
            return Liar()
    """),
    "tensor-subclass": cell("""
        class LyingTensor(torch.Tensor):
            def __eq__(self, other): return torch.ones(self.shape, dtype=torch.bool)
            def allclose(self, *a, **k): return True
            def equal(self, *a, **k): return True
            def isclose(self, other, *a, **k): return torch.ones(self.shape, dtype=torch.bool)
        def add(a, b):
            return (a - b).as_subclass(LyingTensor)
    """),
    "ndarray-subclass": cell("""
        class LyingArray(np.ndarray):
            def __eq__(self, other): return np.ones(self.shape, dtype=bool)
            def all(self, *a, **k): return True
        def add(a, b):
            return np.asarray(a - b).view(LyingArray)
    """),
    "nan-everywhere": cell("""
        def add(a, b):
            return torch.full_like(a, float('nan'))
    """),
    "one-nan": cell("""
        def add(a, b):
            out = a + b
            out.view(-1)[0] = float('nan')
            return out
    """),
    "infinity": cell("""
        def add(a, b):
            return torch.full_like(a, float('inf'))
    """),
    "complex-dtype": cell("""
        def add(a, b):
            return (a + b).to(torch.complex64)
    """),
    "bool-dtype": cell("""
        def add(a, b):
            return (a + b).bool()
    """),
    "answer-in-grad": cell("""
        def add(a, b):
            out = nn.Parameter(a - b)
            out.grad = (a + b).detach()
            return out
    """),
}


@pytest.mark.parametrize("name", list(LIARS))
def test_lying_return_values_earn_nothing(arena: Arena, name: str) -> None:
    """Objects equal to everything, lying tensor/ndarray subclasses, NaN, inf, wrong dtypes: add earns 0."""
    graded = arena.attack("print('DEFINED')", solution=(LIARS[name], SCALE, DOUBLER))
    assert graded.lines(ATTACK, "DEFINED") == ["DEFINED"] and graded.errors == []
    assert (graded.status, graded.scores) == ("graded", MOSTLY_RIGHT_SCORES), graded.result
    arena.assert_next_is_normal()


SKIPPABLE_DEMO = "demo = [add(torch.ones(2), torch.ones(2)) for _ in range(3)]\nprint('DEMO', len(demo))"


@pytest.mark.parametrize("attack", [*(f"forgery:{n}" for n in FORGERIES), *(f"liar:{n}" for n in LIARS)])
def test_skipping_demo_cells_changes_no_verdict_of_an_attack(arena: Arena, attack: str) -> None:
    """Every forgery and lying answer, graded with the demo cells skipped and with every cell: same verdicts.

    The toy runs every cell by its manifest; here it is graded in ``needed`` mode too,
    with a demo cell no grade depends on after the solution.
    """
    kind, name = attack.split(":")
    cells = ((IMPORTS, FORGERIES[name][0], *ALL_WRONG) if kind == "forgery"
             else (IMPORTS, "print('DEFINED')", LIARS[name], SCALE, DOUBLER))
    cells = (*cells, SKIPPABLE_DEMO)
    manifest = arena.assignment.manifest.model_copy(update={"execution": Execution(mode="needed")})
    needed_toy = Assignment(manifest=manifest, exercise_dir=arena.assignment.exercise_dir,
                            reference_dir=arena.assignment.reference_dir)
    needed = arena.grade(*cells, assignment=needed_toy)
    full = arena.grade(*cells)
    assert needed.result.execution.mode == "needed" and needed.result.execution.fallback == ""
    # (the demo runs where add hands a class of the cell to a call: the analysis counts that as a change)
    verdicts = [{e.id: [(t.name, t.passed, t.points) for t in e.tests] for e in g.result.exercises}
                for g in (needed, full)]
    assert verdicts[0] == verdicts[1]
    assert (needed.status, needed.score) == (full.status, full.score)


def test_lying_about_structure_earns_nothing(arena: Arena) -> None:
    """A Doubler whose child is misnamed but whose named_children() claims 'linear' earns nothing.

    Honestly misnamed (WRONG_DOUBLER) it scores 0 of 2: its structure test fails
    and so does its forward (3x, and the reference weights do not load).
    """
    liar = WRONG_DOUBLER + "\n    def named_children(self):\n        return iter([('linear', self.lin)])"
    honest = arena.attack("print('DEFINED')", solution=(ADD_OK, SCALE, WRONG_DOUBLER))
    lying = arena.attack("print('DEFINED')", solution=(ADD_OK, SCALE, liar))
    for graded in (honest, lying):
        assert graded.lines(ATTACK, "DEFINED") == ["DEFINED"] and graded.errors == []
        assert graded.status == "graded" and graded.scores["add"] == graded.scores["scale"] == 1.0
    assert honest.scores["Doubler"] == 0.0
    arena.assert_next_is_normal()
    (structure,) = [t for e in lying.result.exercises if e.id == "Doubler" for t in e.tests if t.name == "structure"]
    assert lying.scores["Doubler"] == 0.0, (
        f"a module that only claims a child named 'linear' passed test_structure ({structure.passed}): "
        f"Doubler earned {lying.scores['Doubler']} of 2")


# -- exhaustion --------------------------------------------------------------------------------
def test_fork_bomb_is_contained(arena: Arena) -> None:
    """Forking until refused hits the pids limit (EAGAIN) fast; the grader and the next kernel are unharmed."""
    graded = arena.attack(cell("""
        import os, time
        forked = 0
        try:
            while True:
                if os.fork() == 0:
                    while True:  # every child forks on, then sleeps: it never returns to the kernel
                        try:
                            os.fork()
                        except OSError:
                            time.sleep(1000)
                forked += 1
        except OSError as e:
            print('BOMB', type(e).__name__, e.errno, forked < 128)
    """))
    assert graded.lines(ATTACK, "BOMB") == [f"BOMB BlockingIOError {errno.EAGAIN} True"], graded.text(ATTACK)
    assert (graded.status, graded.score) == ("graded", MOSTLY_RIGHT_SCORE)
    assert subprocess.run(["true"], check=False).returncode == 0
    arena.assert_next_is_normal()


def test_thread_bomb_is_contained(arena: Arena) -> None:
    """Starting threads until refused ends in RuntimeError; the grading of that notebook goes on."""
    graded = arena.attack(cell("""
        import threading, time
        started = 0
        try:
            while True:
                threading.Thread(target=time.sleep, args=(1000,), daemon=True).start()
                started += 1
        except RuntimeError as e:
            print('BOMB', type(e).__name__, e, started < 128)
    """))
    assert graded.lines(ATTACK, "BOMB") == ["BOMB RuntimeError can't start new thread True"], graded.text(ATTACK)
    assert (graded.status, graded.score) == ("graded", MOSTLY_RIGHT_SCORE)
    worker = threading.Thread(target=lambda: None)
    worker.start()
    worker.join()  # this process can still start threads
    arena.assert_next_is_normal()


@pytest.mark.parametrize("bomb", [
    pytest.param("hog = bytearray(4 << 30)", id="bytearray-4GiB"),
    pytest.param("hog = []\nwhile True:\n    hog.append(bytearray(16 << 20))", id="growing-list"),
])
def test_memory_bomb_kills_only_the_kernel(arena: Arena, bomb: str) -> None:
    """Allocating past the memory limit gets the kernel OOM-killed: status error, MemoryLimitExceeded.

    The cell error names the limit at the bomb's own cell (a bomb that failed some
    other way would show its own error there instead).
    """
    graded = arena.attack(bomb)
    assert graded.errors == [(ATTACK, "MemoryLimitExceeded")], graded.errors
    assert (graded.status, graded.score) == ("error", 0.0)
    arena.assert_next_is_normal()


FILL = cell("""
    import errno, glob, os
    folder = {folder!r}
    folder = glob.glob('/tmp/gk-*/ipc')[0] if folder == 'IPC' else os.path.expanduser(folder)
    total = 0
    try:
        for i in range({files}):
            with open(os.path.join(folder, f'fill-{{i}}'), 'wb') as f:
                for _ in range({chunks}):
                    f.write(b'\\1' * (8 << 20))
                    total += 8
        print('FILLED', total)
    except OSError as e:
        print('STOPPED', errno.errorcode[e.errno], total)
""")


@pytest.mark.parametrize(("folder", "expected"), [
    pytest.param("/tmp", "ENOSPC", id="tmp"),
    pytest.param(".", "ENOSPC", id="cwd"),
    pytest.param("~", "ENOSPC", id="home"),
    pytest.param("/dev/shm", "ENOSPC", id="dev-shm"),
    pytest.param("IPC", "EACCES", id="socket-folder", marks=pytest.mark.xfail(
        os.geteuid() != 0, strict=True,
        reason="known hole: an ordinary user's sandbox cannot seal its socket folder, a bind of the host's disk")),
])
def test_disk_fill_stops_at_the_size_limit(arena: Arena, folder: str, expected: str) -> None:
    """Filling a writable folder with 16 MiB files stops with ENOSPC at its 256 MiB size limit.

    The kernel's socket folder is the one bind of the host's disk: sealed
    (root's) before student code runs, it takes nothing at all (EACCES).
    """
    graded = arena.attack(FILL.format(folder=folder, files=25, chunks=2))  # 400 MiB if nothing stops it
    (line,) = graded.lines(ATTACK, "STOPPED") or graded.lines(ATTACK, "FILLED")
    verdict, code, total = line.split()
    assert (verdict, code) == ("STOPPED", expected), f"{folder}: {line}"
    assert int(total) <= (256 if expected == "ENOSPC" else 0), f"{folder}: {line}"
    assert (graded.status, graded.score) == ("graded", MOSTLY_RIGHT_SCORE)
    arena.assert_next_is_normal()


def test_one_huge_file_stops_at_the_file_size_limit(arena: Arena) -> None:
    """A single file stops growing at the 64 MiB file size limit (EFBIG), not at the folder's size."""
    graded = arena.attack(FILL.format(folder="/tmp", files=1, chunks=10))  # 80 MiB if nothing stops it
    assert graded.lines(ATTACK, "STOPPED") == ["STOPPED EFBIG 64"], graded.text(ATTACK)
    assert (graded.status, graded.score) == ("graded", MOSTLY_RIGHT_SCORE)
    arena.assert_next_is_normal()


def test_giant_output_is_capped(arena: Arena) -> None:
    """50 MB printed by one cell is cut to the per-cell limit, with a note; grading goes on."""
    graded = arena.attack(cell("""
        chunk = 'x' * 1_000_000
        for _ in range(50):
            print(chunk)
        print('DONE')
    """))
    text = graded.text(ATTACK)
    limit = arena.settings.max_cell_output_bytes
    assert limit // 2 < len(text) < limit + 1000
    assert f"output past {limit} bytes dropped" in text
    assert (graded.status, graded.score) == ("graded", MOSTLY_RIGHT_SCORE)
    arena.assert_next_is_normal()


def test_one_giant_message_does_not_bloat_the_grader(arena: Arena) -> None:
    """One 200 MB write (a single IOPub message) is capped in the notebook and never held whole by the grader.

    The per-cell cap keeps the result small, but the grader's own memory must not
    grow with what the kernel sends either: it is outside every sandbox limit. The
    message is 25 times the largest reply the grader accepts (8 MiB here); its
    peak memory may grow by 8 such replies at most.
    """
    reset_peak_rss()
    before = peak_rss_bytes()
    graded = arena.attack(cell("""
        import sys
        print('WRITING', flush=True)
        sys.stdout.write('x' * 200_000_000)
        sys.stdout.flush()
    """))
    grown = peak_rss_bytes() - before
    assert graded.lines(ATTACK, "WRITING") == ["WRITING"], graded.text(ATTACK)[:200]
    assert len(graded.text(ATTACK)) < arena.settings.max_cell_output_bytes + 1000
    assert (graded.status, graded.score) == ("graded", MOSTLY_RIGHT_SCORE)
    assert graded.errors == [(ATTACK, "OutputLimitExceeded")]  # dropped unread, and named
    arena.assert_next_is_normal()
    assert grown < 8 * arena.settings.max_reply_bytes, (
        f"the grader's peak memory grew by {grown >> 20} MiB for one 200 MB message")


@pytest.mark.parametrize("stall", [
    pytest.param("print('STALLING', flush=True)\nwhile True:\n    pass", id="infinite-loop"),
    pytest.param("print('STALLING', flush=True)\nimport time\ntime.sleep(10**6)", id="sleep-forever"),
])
def test_stalling_cell_times_out(arena: Arena, stall: str) -> None:
    """A cell that never ends is interrupted at the cell limit; the cells after it still count."""
    graded = arena.attack(stall)
    assert "STALLING" in graded.text(ATTACK)
    assert (ATTACK, "CellTimeoutError") in graded.errors
    assert (graded.status, graded.scores) == ("timeout", MOSTLY_RIGHT_SCORES)
    arena.assert_next_is_normal()


def test_background_printer_is_capped_and_dies_with_its_kernel(arena: Arena) -> None:
    """A thread that keeps printing after its cell ends is capped per cell and stops with its kernel."""
    graded = arena.attack(cell("""
        import threading, time
        def spam():
            while True:
                print('SPAM' * 2500)
                time.sleep(0.002)
        threading.Thread(target=spam, daemon=True).start()
        print('STARTED')
    """))
    limit = arena.settings.max_cell_output_bytes
    assert "STARTED" in graded.text(ATTACK)
    for index in range(len(graded.nb.cells)):
        assert len(graded.text(index)) < limit + 1000
    assert (graded.status, graded.score) == ("graded", MOSTLY_RIGHT_SCORE)
    arena.assert_next_is_normal()  # its outputs are checked to be empty: no spam from the dead kernel


# -- persistence ------------------------------------------------------------------------------
PLANTED_CODE = "import os; os.environ['ADV_PLANTED'] = '1'; open('/tmp/adv-planted-ran', 'w').close()  # {token}\n"
PLANT_TARGETS = cell("""
    import glob, os, site, sys
    targets = [*site.getsitepackages(), site.getusersitepackages(), *[p for p in sys.path if p and os.path.isdir(p)],
               os.path.expanduser('~/.ipython/profile_default/startup'), os.path.expanduser('~/.config/matplotlib'),
               '/tmp', '/dev/shm', '.', *glob.glob('/tmp/gk-*/ipc')]
    names = ['sitecustomize.py', 'usercustomize.py', 'adv-evil.pth', '00-evil.py']
""")


def test_planted_startup_files_do_not_reach_later_submissions(arena: Arena) -> None:
    """sitecustomize/usercustomize/.pth/IPython startup files land only in the kernel's private folders.

    The Python environment is read-only; what lands in HOME, /tmp or /dev/shm is
    gone with the sandbox. Two probes (the waiting kernel, and one started after
    the planting) find none of the files and see no sign that planted code ran.
    """
    token = uuid.uuid4().hex
    code = PLANTED_CODE.format(token=token)
    plant = PLANT_TARGETS + "\n" + cell(f"""
        for d in dict.fromkeys(targets):
            for name in names:
                path = os.path.join(d, name)
                try:
                    os.makedirs(d, exist_ok=True)
                    with open(path, 'w') as f:
                        f.write({code!r})
                    print('PLANTED', path)
                except OSError as e:
                    print('BLOCKED', path, type(e).__name__)
    """)
    graded = arena.attack(plant)
    planted = [line.split()[1] for line in graded.lines(ATTACK, "PLANTED")]
    blocked = [line.split()[1] for line in graded.lines(ATTACK, "BLOCKED")]
    private = (f"{HOME}/", "/tmp/", "/dev/shm/", "./")  # tmpfs of this sandbox alone
    assert planted and all(p.startswith(private) for p in planted), planted
    if AS_ROOT:  # the socket folder (a host bind under /tmp) is sealed
        assert not [p for p in planted if p.startswith("/tmp/gk-")], planted
    for prefix in python_prefixes():
        assert any(p.startswith(f"{prefix}/") for p in blocked), f"nothing was tried in {prefix}"
    assert (graded.status, graded.score) == ("graded", MOSTLY_RIGHT_SCORE)
    probe = PLANT_TARGETS + "\n" + cell(f"""
        print('ENV', os.environ.get('ADV_PLANTED'))
        print('RAN', os.path.exists('/tmp/adv-planted-ran'))
        found = []
        for d in dict.fromkeys(targets):
            for name in names:
                path = os.path.join(d, name)
                try:
                    if {token!r} in open(path).read():
                        found.append(path)
                except OSError:
                    pass
        print('FOUND', found)
    """)
    for _ in range(2):
        checked = arena.grade(*COMPLETE, probe)
        assert checked.lines(4, "") == ["ENV None", "RAN False", "FOUND []"], checked.text(4)
        assert (checked.status, checked.score) == ("graded", 4.0)
    arena.assert_next_is_normal()
