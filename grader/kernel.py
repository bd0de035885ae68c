"""Start and stop the Jupyter kernel that runs one submission, sandboxed or not.

The kernel command is built here and nowhere else: the notebook's own kernelspec
is never consulted. Graded kernels run in a ``Sandbox`` (bubblewrap); only
``grader check`` on a student's own machine, and development setups that say so,
run one unconfined.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import zmq
import zmq.asyncio
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from traitlets import Integer, default

from grader import sandbox as sandboxing
from grader.assignments import Assignment, stage_workdir, workdir_files
from grader.config import MiB, Settings
from grader.errors import KernelError
from grader.sandbox import Sandbox

DEFAULT_MAX_MESSAGE_BYTES = 65 * 1024 * 1024
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
PREAMBLE = Path(__file__).with_name("kernel_preamble.py")
# Jupyter's own inline backend draws each figure into a PNG output, which the instructor sees in the
# executed notebook; Agg never draws one (settings.figures chooses).
INLINE_FIGURES, NO_FIGURES = "module://matplotlib_inline.backend_inline", "Agg"
KERNEL_ENV = {
    "PYTHONUNBUFFERED": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "PIP_NO_INDEX": "1",  # a pip that slipped past the disarming still cannot download
}


def max_message_bytes(settings: Settings) -> int:
    """The largest message taken from a kernel: at least the largest reply plus room for its envelope."""
    return max(settings.max_kernel_message_mib * MiB, settings.max_reply_bytes + MiB)


def kernel_argv(preamble: Path | str = PREAMBLE) -> list[str]:
    """The command that starts an IPython kernel in this Python environment."""
    return [
        sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
        f"--IPKernelApp.exec_files={preamble}", "--HistoryManager.enabled=False",
    ]


def _capped(context: zmq.Context[Any], max_message_bytes: int) -> zmq.Context[Any]:
    # ZeroMQ drops (and disconnects) a peer whose message is larger, before reading it:
    # a kernel printing a gigabyte at once never makes the grader hold that gigabyte.
    context.setsockopt(zmq.MAXMSGSIZE, max_message_bytes)
    return context


class CappedAsyncKernelClient(AsyncKernelClient):
    """nbclient's client, refusing messages over ``max_message_bytes``."""

    max_message_bytes = Integer(DEFAULT_MAX_MESSAGE_BYTES)

    @default("context")
    def _capped_context_default(self) -> zmq.asyncio.Context:
        self._created_context = True
        return _capped(zmq.asyncio.Context(), self.max_message_bytes)  # type: ignore[return-value]


class CappedBlockingKernelClient(BlockingKernelClient):
    """The trusted side's client for test requests, refusing messages over ``max_message_bytes``."""

    max_message_bytes = Integer(DEFAULT_MAX_MESSAGE_BYTES)

    @default("context")
    def _capped_context_default(self) -> zmq.Context[Any]:
        self._created_context = True
        return _capped(zmq.Context(), self.max_message_bytes)


class GraderKernelManager(AsyncKernelManager):
    """A kernel manager whose kernelspec is ours, whatever the notebook claims."""

    def __init__(self, *, socket_dir: Path, threads: int = 1, sandbox: Sandbox | None = None,
                 max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES, figures: bool = True, preload: bool = True,
                 **kwargs: object) -> None:
        # IPC (unix sockets in a private folder), not TCP: nothing else on the host can
        # reach the kernel, and a sandbox without a network can still talk to us.
        super().__init__(kernel_name="grader", autorestart=False, transport="ipc",
                         ip=str(socket_dir / "k"), **kwargs)
        self.max_message_bytes = max_message_bytes
        self.client_factory = CappedAsyncKernelClient
        env = {**KERNEL_ENV, **{name: str(threads) for name in THREAD_VARIABLES},
               "MPLBACKEND": INLINE_FIGURES if figures else NO_FIGURES, "PRELOAD_MODULES": "1" if preload else "0"}
        if sandbox is None:
            self._kernel_spec = KernelSpec(argv=kernel_argv(), display_name="grader", language="python", env=env)
        else:
            # bubblewrap's --new-session puts the kernel in its own session, out of reach of
            # jupyter_client's SIGINT to the launcher's process group: interrupt by message.
            self._kernel_spec = KernelSpec(
                argv=sandbox.command(kernel_argv(sandboxing.PREAMBLE), env), display_name="grader",
                language="python", env={}, interrupt_mode="message",
            )
            self.connection_file = str(sandbox.connection_file)
            self.write_connection_file()
            sandbox.unseal()

    def client(self, **kwargs: Any) -> Any:
        return super().client(max_message_bytes=self.max_message_bytes, **kwargs)


class Kernel:
    """One kernel for one submission: started once, used once, then destroyed with its sandbox."""

    def __init__(self, settings: Settings, *, sandboxed: bool) -> None:
        self.sandbox: Sandbox | None = None
        self._folder: Path | None = None  # unsandboxed kernels: sockets and working directory
        try:
            if sandboxed:
                self.sandbox = Sandbox(settings, preamble=PREAMBLE)
                self.km = GraderKernelManager(socket_dir=self.sandbox.ipc_dir, threads=settings.kernel_threads,
                                              sandbox=self.sandbox, max_message_bytes=max_message_bytes(settings),
                                              figures=settings.figures, preload=settings.kernel_preload)
                cwd = self.sandbox.root
            else:
                self._folder = Path(tempfile.mkdtemp(prefix="gk-", dir="/tmp"))  # short: socket paths
                cwd = self._folder / "work"
                cwd.mkdir()
                self.km = GraderKernelManager(socket_dir=self._folder, threads=settings.kernel_threads,
                                              max_message_bytes=max_message_bytes(settings), figures=settings.figures,
                                              preload=settings.kernel_preload)
            # the kernel's own stdout/stderr (fd 1 and 2) go nowhere: student output reaches us
            # only over IOPub, where it is capped
            run_sync(self.km.start_kernel)(cwd=str(cwd), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except Exception as exc:
            self.close()
            if isinstance(exc, KernelError):
                raise
            raise KernelError(f"the kernel could not start: {exc}") from exc

    def stage(self, assignment: Assignment, settings: Settings) -> str | None:
        """Provide the assignment's data files; returns code the kernel must run first (or None)."""
        if self.sandbox is None:
            assert self._folder is not None
            stage_workdir(assignment, self._folder / "work", settings)
            return None
        return self.sandbox.stage(workdir_files(assignment, settings))

    def sealed(self) -> None:
        """Called once the kernel answers, before any student code: its socket folder becomes read-only to it."""
        if self.sandbox is not None:
            self.sandbox.seal()

    def restart(self) -> None:
        """Kill and start the kernel again in the same sandbox (for a kernel stuck in a cell)."""
        if self.sandbox is not None:
            self.sandbox.unseal()
        run_sync(self.km.restart_kernel)(now=True)

    def wait_ready(self, timeout: float) -> None:
        """Block until the kernel answers (its preamble, torch included, has run)."""
        with blocking_client(self.km, timeout=timeout):
            pass

    def pids(self) -> list[int]:
        """Host pids of the kernel's processes (sandboxed kernels with a cgroup only)."""
        if self.sandbox is None or self.sandbox.cgroup is None:
            return []
        return self.sandbox.cgroup.pids()

    def limit_exceeded(self) -> str | None:
        """If a sandbox limit killed the kernel, its name (e.g. ``MemoryLimitExceeded``)."""
        if self.sandbox is None:
            return None
        process = getattr(self.km.provisioner, "process", None)
        return self.sandbox.exceeded(process.poll() if process is not None else None)

    def close(self) -> None:
        """Kill the kernel (no polite shutdown: it is never reused) and remove everything it had."""
        km = getattr(self, "km", None)
        if km is not None and km.has_kernel:
            process = getattr(km.provisioner, "process", None)
            if process is not None and process.poll() is None:
                try:  # its process group: the launcher chain down to bubblewrap
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=30)
            run_sync(km.cleanup_resources)()
        if self.sandbox is not None:
            self.sandbox.close()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


@contextmanager
def running_kernel(settings: Settings, *, sandboxed: bool) -> Iterator[Kernel]:
    """Start a kernel and always destroy it afterwards."""
    kernel = Kernel(settings, sandboxed=sandboxed)
    try:
        yield kernel
    finally:
        kernel.close()


@contextmanager
def blocking_client(km: GraderKernelManager, *, timeout: float) -> Iterator[CappedBlockingKernelClient]:
    """A synchronous client on a running kernel, for the trusted side's requests."""
    client = CappedBlockingKernelClient(max_message_bytes=km.max_message_bytes)
    client.load_connection_info(km.get_connection_info())
    client.start_channels()
    try:
        try:
            client.wait_for_ready(timeout=timeout)
        except RuntimeError as exc:
            raise KernelError(f"the kernel did not answer within {timeout:g} s") from exc
        yield client
    finally:
        client.stop_channels()


def interrupt(km: GraderKernelManager) -> None:
    """Interrupt the running cell (KeyboardInterrupt), by signal or by message."""
    run_sync(km.interrupt_kernel)()


def is_alive(km: GraderKernelManager) -> bool:
    return bool(run_sync(km.is_alive)())
