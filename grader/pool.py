"""A pool of warm sandboxed kernels: each serves one submission, then is destroyed.

Starting a kernel and importing torch costs seconds; a pooled kernel has done
both (``kernel_preamble`` imports torch, numpy and matplotlib) before its
submission arrives. Starting one only launches its process, so the pool needs no
thread: it refills right after each grading and the new kernels warm up in their
own processes while the caller does something else.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from grader.config import Settings, get_settings
from grader.kernel import Kernel, is_alive

log = logging.getLogger(__name__)


class KernelPool:
    """Keeps ``size`` kernels started in their sandboxes; never reuses one."""

    def __init__(self, settings: Settings | None = None, *, size: int | None = None,
                 sandboxed: bool | None = None) -> None:
        self.settings = settings or get_settings()
        self.size = self.settings.pool_size if size is None else size
        self.sandboxed = self.settings.sandbox if sandboxed is None else sandboxed
        self._idle: deque[Kernel] = deque()
        self.fill()

    def fill(self) -> None:
        """Start kernels until ``size`` are waiting (launching is quick; warming happens in the background)."""
        while len(self._idle) < self.size:
            self._idle.append(Kernel(self.settings, sandboxed=self.sandboxed))

    def take(self) -> Kernel:
        """The oldest waiting kernel (the warmest), or a fresh one if none is left alive."""
        while self._idle:
            kernel = self._idle.popleft()
            if is_alive(kernel.km):
                return kernel
            log.warning("a pooled kernel died while waiting; discarding it")
            kernel.close()
        return Kernel(self.settings, sandboxed=self.sandboxed)

    @contextmanager
    def kernel(self) -> Iterator[Kernel]:
        """A kernel for one submission; destroyed afterwards, and the pool refilled."""
        kernel = self.take()
        try:
            yield kernel
        finally:
            kernel.close()
            self.fill()

    @property
    def idle(self) -> list[Kernel]:
        return list(self._idle)

    def close(self) -> None:
        while self._idle:
            self._idle.popleft().close()

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
