"""Start and stop the Jupyter kernel that runs one submission.

The kernel command is built here and nowhere else: the notebook's own kernelspec
is never consulted. The sandbox issue wraps ``kernel_argv`` in bubblewrap; the
rest of grader does not change.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from grader.errors import KernelError

THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
PREAMBLE = Path(__file__).with_name("kernel_preamble.py")
KERNEL_ENV = {
    "MPLBACKEND": "Agg",
    "PYTHONUNBUFFERED": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "PIP_NO_INDEX": "1",  # a pip that slipped past the disarming still cannot download
}


def kernel_argv() -> list[str]:
    """The command that starts an IPython kernel in this Python environment."""
    return [
        sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
        f"--IPKernelApp.exec_files={PREAMBLE}", "--HistoryManager.enabled=False",
    ]


class GraderKernelManager(AsyncKernelManager):
    """A kernel manager whose kernelspec is ours, whatever the notebook claims."""

    def __init__(self, *, socket_dir: Path, threads: int = 1, **kwargs: object) -> None:
        # IPC (unix sockets in a private folder), not TCP: nothing else on the host can
        # reach the kernel, and a sandbox without a network can still talk to us.
        super().__init__(kernel_name="grader", autorestart=False, transport="ipc",
                         ip=str(socket_dir / "k"), **kwargs)
        self._kernel_spec = KernelSpec(
            argv=kernel_argv(), display_name="grader", language="python",
            env={**KERNEL_ENV, **{name: str(threads) for name in THREAD_VARIABLES}},
        )


@contextmanager
def running_kernel(*, cwd: Path, threads: int = 1) -> Iterator[GraderKernelManager]:
    """Start a kernel in ``cwd`` and always shut it down afterwards."""
    # Unix socket paths are limited to ~107 bytes: keep the folder short.
    with tempfile.TemporaryDirectory(prefix="gk-", dir="/tmp") as socket_dir:
        km = GraderKernelManager(socket_dir=Path(socket_dir), threads=threads)
        try:
            run_sync(km.start_kernel)(cwd=str(cwd))
        except Exception as exc:
            raise KernelError(f"the kernel could not start: {exc}") from exc
        try:
            yield km
        finally:
            run_sync(km.shutdown_kernel)(now=True)


@contextmanager
def blocking_client(km: GraderKernelManager, *, timeout: float) -> Iterator[BlockingKernelClient]:
    """A synchronous client on a running kernel, for the trusted side's requests."""
    client = BlockingKernelClient()
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
    """Send SIGINT to the kernel (KeyboardInterrupt in the running cell)."""
    run_sync(km.interrupt_kernel)()


def is_alive(km: GraderKernelManager) -> bool:
    return bool(run_sync(km.is_alive)())
