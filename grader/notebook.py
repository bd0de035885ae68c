"""Turn untrusted bytes into a notebook worth executing, or say exactly why not."""

from __future__ import annotations

import json
import warnings
import re
from pathlib import Path

import nbformat
import nbformat.v4
from nbformat import NotebookNode
from nbformat.v4.rwbase import rejoin_lines

from grader.errors import NotebookError, NotebookTooLarge

# Shell escapes and magics that reach for the network: never run them offline.
_NETWORK_LINE = re.compile(
    r"^(?P<indent>\s*)(?:!|%{1,2})\s*(?:pip3?|python3?\s+-m\s+pip|conda|mamba|apt(?:-get)?|wget|curl|git)\b.*$"
)


def read_notebook_file(path: Path, *, max_bytes: int) -> NotebookNode:
    """Read and validate a notebook from disk."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise NotebookError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not path.is_file():
        raise NotebookError(f"{path} is not a file")
    if size > max_bytes:
        raise NotebookTooLarge(f"notebook is {_mb(size)}, over the {_mb(max_bytes)} limit")
    return parse_notebook(path.read_bytes(), max_bytes=max_bytes)


def parse_notebook(data: bytes, *, max_bytes: int) -> NotebookNode:
    """Validate raw bytes as an nbformat-4 notebook with code; raise NotebookError naming the problem."""
    if len(data) > max_bytes:
        raise NotebookTooLarge(f"notebook is {_mb(len(data))}, over the {_mb(max_bytes)} limit")
    if not data.strip():
        raise NotebookError("the file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotebookError(f"not UTF-8 text (bad byte at offset {exc.start}); is this an .ipynb file?") from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from exc
    except RecursionError as exc:
        raise NotebookError("not a notebook: JSON nested too deeply") from exc
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise NotebookError(f"not a notebook: {str(exc)[:200]}") from exc
    if not isinstance(raw, dict) or "cells" not in raw and "worksheets" not in raw:
        raise NotebookError("JSON but not a Jupyter notebook (no 'cells')")
    major = raw.get("nbformat")
    if not isinstance(major, int):
        raise NotebookError("not a Jupyter notebook: 'nbformat' version missing")
    if major != 4:
        raise NotebookError(
            f"nbformat {major} is not supported; open and save the notebook in a current Jupyter to convert it to version 4"
        )
    try:
        # Repair what real editors get wrong (stray metadata, missing cell ids), then validate;
        # nbformat warns about each repair, which is not the submitter's error.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, repaired = nbformat.validator.normalize(raw, strip_invalid_metadata=True)
            nb = rejoin_lines(nbformat.from_dict(repaired))  # multi-line sources are lists on disk
            nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        first = str(exc.message if hasattr(exc, "message") else exc).splitlines()[0][:200]
        raise NotebookError(f"invalid notebook: {first}") from exc
    except Exception as exc:  # nbformat raises assorted errors on odd shapes
        raise NotebookError(f"invalid notebook: {type(exc).__name__}: {str(exc)[:200]}") from exc
    if not any(cell.get("cell_type") == "code" for cell in nb.cells):
        raise NotebookError("the notebook has no code cells")
    return nb  # type: ignore[no-any-return]


def prepare_for_grading(nb: NotebookNode) -> tuple[NotebookNode, list[int]]:
    """Clear outputs, drop the kernelspec and disarm network shell lines.

    Returns the cleaned notebook and the indices of cells that had lines disarmed.
    """
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    nb.metadata.pop("kernelspec", None)  # never trusted: we choose the kernel
    nb.metadata.pop("widgets", None)
    disarmed = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        source, changed = disarm_network_lines(cell.source)
        if changed:
            cell.source = source
            disarmed.append(index)
    return nb, disarmed


def disarm_network_lines(source: str) -> tuple[str, bool]:
    """Replace ``!pip install``-style lines by ``pass``, keeping the indentation."""
    lines = source.split("\n")
    changed = False
    for i, line in enumerate(lines):
        match = _NETWORK_LINE.match(line)
        if match:
            lines[i] = f"{match['indent']}pass  # grader: offline, skipped: {line.strip()[:80]}"
            changed = True
    return "\n".join(lines), changed


def cap_outputs(nb: NotebookNode, max_bytes: int) -> NotebookNode:
    """The notebook with its largest outputs replaced by a note until it fits in ``max_bytes`` as JSON."""
    size = len(json.dumps(nb))
    if size <= max_bytes:
        return nb
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    sized = sorted(((len(json.dumps(out)), cell_index, out_index)
                    for cell_index, cell in enumerate(nb.cells) if cell.cell_type == "code"
                    for out_index, out in enumerate(cell.outputs)), reverse=True)
    for out_size, cell_index, out_index in sized:
        if size <= max_bytes:
            break
        note = nbformat.v4.new_output("stream", name="stderr",
                                      text=f"[grader: an output of {_mb(out_size)} was dropped to keep the "
                                           f"executed notebook under {_mb(max_bytes)}]\n")
        nb.cells[cell_index].outputs[out_index] = note
        size -= out_size - len(json.dumps(note))
    return nb


def write_notebook(nb: NotebookNode, path: Path) -> None:
    """Write ``nb`` as an .ipynb file, atomically (a crash never leaves half a notebook)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(nbformat.writes(nb), encoding="utf-8")
    partial.replace(path)


def too_large(limit: int) -> NotebookTooLarge:
    """The error for an upload cut off at ``limit`` bytes."""
    return NotebookTooLarge(f"notebook is over the {_mb(limit)} limit")


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size:,} bytes"
