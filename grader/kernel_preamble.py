"""Run inside the student's kernel before any of their cells (not a security measure).

Grading machines are offline: make network calls fail at once instead of hanging
on DNS or TCP timeouts. Figures go to the backend that ``MPLBACKEND`` names
(Jupyter's inline backend, whose PNG outputs the instructor sees in the executed
notebook, or Agg when ``settings.figures`` is off). The sandbox, not this file,
is what keeps student code off the network.

The heavy imports happen here, while a pooled kernel waits for its submission:
a notebook's own ``import torch`` then finds the module already loaded
(``settings.kernel_preload``; off, a kernel starts in about a second instead of four).
"""

import os as _os
import socket as _socket

if _os.environ.get("PRELOAD_MODULES", "1") == "1":  # settings.kernel_preload (no GRADER_ name in a kernel)
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    import torch  # noqa: F401

    del matplotlib, numpy, torch
from typing import Any, NoReturn


def _offline(*args: Any, **kwargs: Any) -> NoReturn:
    raise OSError("network access is disabled while grading")


def _guarded_connect(
    self: _socket.socket,
    address: Any,
    _connect: Any = _socket.socket.connect,
    _inet: tuple[int, ...] = (_socket.AF_INET, _socket.AF_INET6),
) -> Any:
    # Everything this needs is bound as a default: the module names are deleted below.
    if self.family in _inet:
        raise OSError("network access is disabled while grading")
    return _connect(self, address)


_socket.getaddrinfo = _offline
_socket.create_connection = _offline
_socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
del _guarded_connect, _offline, _socket, _os, Any, NoReturn
