"""Text that came from the student's kernel, made safe to show: no terminal escapes, no control characters."""

from __future__ import annotations

import re
from typing import Any

# CSI (colours, cursor), OSC (titles, hyperlinks), then any other ESC-intermediates-final (charsets).
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[ -/]*[0-~]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def strip_ansi(text: str) -> str:
    """The text without ANSI escape sequences (colours and cursor moves in tracebacks and outputs)."""
    return _ANSI.sub("", text)


def one_line(text: Any, limit: int) -> str:
    """Student-controlled text made fit for a table row: no escapes or control characters, at most ``limit`` long."""
    flat = " ".join(_CONTROL.sub(" ", _ANSI.sub("", "" if text is None else str(text))).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
