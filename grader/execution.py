"""Execute a submission's cells with nbclient: per-cell timeouts, errors recorded, execution continues."""

from __future__ import annotations

import json
import re
import time
from typing import Any
from dataclasses import dataclass, field

from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_output

from grader.errors import KernelError
from grader.kernel import Kernel, is_alive
from grader.models import CELL_TIMEOUT, NOTEBOOK_TIMEOUT, CellError
from grader.text import one_line, strip_ansi

# A cell interrupted at its deadline reports back within this slack.
_TIMEOUT_SLACK_S = 0.05
# Restarts allowed for kernels that ignore interrupts.
_MAX_REPLAYS = 2
# ipykernel heads a traceback frame in a cell with "Cell In[5], line 3" (once its colours are stripped).
_CELL_FRAME = re.compile(r"Cell In\[(\d{1,9})\], line (\d{1,9})")


@dataclass
class ExecutionReport:
    """What happened while the cells ran."""

    duration_s: float = 0.0
    cell_errors: list[CellError] = field(default_factory=list)
    timed_out: bool = False
    kernel_died: bool = False
    unresponsive: bool = False

    @property
    def kernel_usable(self) -> bool:
        return not (self.kernel_died or self.unresponsive)


class _CappedClient(NotebookClient):
    """Keeps at most ``max_output_bytes`` of output per cell; later output is dropped, with a note."""

    def __init__(self, nb: NotebookNode, *, max_output_bytes: int, **kwargs: Any) -> None:
        super().__init__(nb, **kwargs)
        self.max_output_bytes = max_output_bytes
        self._output_bytes: dict[int, int] = {}

    def output(self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None,
               cell_index: int) -> NotebookNode | None:
        content = msg["content"]
        if msg["msg_type"] == "error":  # always kept: the error's name is part of the result
            content["traceback"] = content.get("traceback", [])[-20:]
            return super().output(outs, msg, display_id, cell_index)
        used = self._output_bytes.get(cell_index, 0)
        room = self.max_output_bytes - used
        if room <= 0:
            return None
        if msg["msg_type"] == "stream":  # keep the head of a long stream
            text = str(content.get("text", ""))
            content["text"] = text[:room]
            cut, size = len(text) > room, len(content["text"])
        else:
            size = len(json.dumps(content.get("data", {})))
            cut = size > room
        if cut:
            self._output_bytes[cell_index] = self.max_output_bytes
            kept = super().output(outs, msg, display_id, cell_index) if msg["msg_type"] == "stream" else None
            outs.append(new_output("stream", name="stderr",
                                   text=f"[grader: output past {self.max_output_bytes} bytes dropped]\n"))
            return kept
        self._output_bytes[cell_index] = used + size
        return super().output(outs, msg, display_id, cell_index)

def execute_notebook(nb: NotebookNode, kernel: Kernel, *, cell_timeout: float,
                     total_timeout: float, startup_timeout: float,
                     max_output_bytes: int = 1024 * 1024, setup_code: str | None = None,
                     not_run: frozenset[int] = frozenset()) -> ExecutionReport:
    """Run every code cell in order within the time limits; never raises for the student's errors.

    ``not_run`` are cells no grade depends on (``grader.needs``): they are skipped
    and the executed notebook says so in their output.

    ``setup_code`` runs silently before the first cell (and again after a restart),
    e.g. to copy the data files into a sandboxed kernel's working directory.

    A cell that runs past its limit is interrupted and execution goes on. If the
    kernel ignores the interrupt, it is restarted and the notebook replayed
    without that cell (at most ``_MAX_REPLAYS`` times), so exercises that finished
    before it keep their points; the total wall clock still bounds everything.
    """
    report = ExecutionReport()
    client = _CappedClient(
        nb, max_output_bytes=max_output_bytes, km=kernel.km, timeout=int(cell_timeout), allow_errors=True, interrupt_on_timeout=True,
        error_on_timeout={"ename": CELL_TIMEOUT, "evalue": "cell timed out", "traceback": []},
        # store_widget_state=True: nbclient's Output-widget emulation needs the state
        # it stores, and raises KeyError without it (widgets.Output() in tutorials).
        startup_timeout=int(startup_timeout), record_timing=False, store_widget_state=True,
        kernel_name="grader",
    )
    started = time.monotonic()
    mark_not_run(nb, not_run)
    skipped: set[int] = set(not_run)
    stuck_errors: list[CellError] = []
    client.start_new_kernel_client()
    try:
        kernel.sealed()
        _setup(client, setup_code, startup_timeout)
        while True:
            errors, stuck = _run_cells(client, nb, skip=skipped, cell_timeout=cell_timeout,
                                       deadline=started + total_timeout, total_timeout=total_timeout,
                                       report=report)
            # past the notebook's own limit a replay has no time left to run anything
            if (stuck is None or stuck.ename == NOTEBOOK_TIMEOUT or len(skipped - not_run) >= _MAX_REPLAYS
                    or report.kernel_died):
                report.unresponsive = stuck is not None
                break
            skipped.add(stuck.index)
            stuck_errors.append(stuck)
            kernel.restart()
            run_sync(client.kc.wait_for_ready)(timeout=startup_timeout)  # type: ignore[union-attr]
            kernel.sealed()
            _setup(client, setup_code, startup_timeout)
    finally:
        report.duration_s = round(time.monotonic() - started, 3)
        if client.kc is not None:
            client.kc.stop_channels()
    # the last pass skipped the cells it replayed around: their errors are from the pass they got stuck in
    report.cell_errors = sorted(errors + stuck_errors, key=lambda e: e.index)
    if not is_alive(kernel.km):
        report.kernel_died = True
    return report


def _run_cells(client: NotebookClient, nb: NotebookNode, *, skip: set[int], cell_timeout: float,
               deadline: float, total_timeout: float,
               report: ExecutionReport) -> tuple[list[CellError], CellError | None]:
    """One pass over the cells; returns its errors and, if the kernel got stuck in a cell, that (last) error."""
    errors: list[CellError] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip() or index in skip:
            continue
        remaining = deadline - time.monotonic()
        if remaining < 1:
            report.timed_out = True
            errors.append(cell_error(nb, index, NOTEBOOK_TIMEOUT, f"the notebook ran past its {total_timeout:g} s "
                                     "limit: this cell and the ones after it did not run"))
            break
        client.timeout = max(1, int(min(cell_timeout, remaining)))
        cell_started = time.monotonic()
        try:
            client.execute_cell(cell, index)
        except DeadKernelError:
            report.kernel_died = True
            errors.append(cell_error(nb, index, "DeadKernelError", "the kernel died while the cell ran"))
            break
        except Exception as exc:  # nbclient's own hooks failing on odd output: record, go on
            errors.append(cell_error(nb, index, type(exc).__name__, str(exc)))
            continue
        if time.monotonic() - cell_started >= client.timeout - _TIMEOUT_SLACK_S:
            responds = _responds(client)
            if not responds and _reconnected(client):
                # the kernel was fine but its output channel had dropped us: a message over
                # the size limit (the cell's outputs after it are lost)
                errors.append(cell_error(nb, index, "OutputLimitExceeded",
                                         "an output was over the size limit; the outputs after it are lost"))
                continue
            report.timed_out = True
            # the interrupt's KeyboardInterrupt, when the kernel sent one, says where the cell was
            interrupted = [out for out in cell.outputs if out.get("output_type") == "error"]
            traceback = interrupted[-1].get("traceback") if interrupted else None
            ignored = "" if responds else " and ignored the interrupt"
            if remaining < cell_timeout:  # the notebook's limit, not the cell's, stopped it: nothing runs after it
                errors.append(cell_error(nb, index, NOTEBOOK_TIMEOUT, f"the notebook ran past its {total_timeout:g} s "
                                         f"limit in this cell{ignored}: the cells after it did not run", traceback))
            else:
                errors.append(cell_error(nb, index, CELL_TIMEOUT, f"ran past {client.timeout} s{ignored}", traceback))
            if not responds:
                return errors, errors[-1]
            if remaining < cell_timeout:
                break
            continue
        errors.extend(
            cell_error(nb, index, one_line(out.get("ename"), 100) or "Error", out.get("evalue"),
                       out.get("traceback"))
            for out in cell.outputs if out.get("output_type") == "error"
        )
    return errors, None


NOT_RUN_NOTE = "[grader: not run: no graded exercise depends on this cell]\n"


def mark_not_run(nb: NotebookNode, cells: frozenset[int]) -> None:
    """Show the cells a grading skipped as not run: no execution count, one line saying why."""
    for index in cells:
        cell = nb.cells[index]
        cell.outputs = [new_output("stream", name="stdout", text=NOT_RUN_NOTE)]
        cell.execution_count = None


def cell_error(nb: NotebookNode, index: int, ename: str, evalue: Any = "", traceback: Any = None) -> CellError:
    """The error of cell ``index``, numbered as Jupyter shows the cell."""
    cell = nb.cells[index]
    count = cell.get("execution_count")
    counted = isinstance(count, int) and not isinstance(count, bool) and count > 0
    number = count if counted else sum(1 for other in nb.cells[: index + 1] if other.cell_type == "code")
    return CellError(cell=number, counted=counted, index=index, ename=ename, evalue=one_line(evalue, 300),
                     line=failing_line(traceback, count=count if counted else None, source=cell.source))


def failing_line(traceback: Any, *, count: int | None, source: str) -> str:
    """The line of ``source``, run as ``In [count]``, where the traceback says it raised; "" if it does not say.

    The last frame in this cell counts: a cell that calls a function defined in an earlier cell
    gets the line of the call, the part of its own code that failed.
    """
    if count is None or not isinstance(traceback, list):
        return ""
    text = strip_ansi("\n".join(str(part) for part in traceback))
    lines = [int(line) for cell, line in _CELL_FRAME.findall(text) if int(cell) == count]
    source_lines = source.splitlines()
    if not lines or not 1 <= lines[-1] <= len(source_lines):
        return ""
    return one_line(source_lines[lines[-1] - 1], 200)


def _setup(client: NotebookClient, code: str | None, timeout: float) -> None:
    """Run the trusted setup code before any student cell; a failure is ours, not the student's."""
    if code is None:
        return
    kc: Any = client.kc
    try:
        reply = run_sync(kc.execute_interactive)(code, silent=True, store_history=False, timeout=timeout)
    except (TimeoutError, RuntimeError) as exc:
        raise KernelError(f"the kernel did not finish its setup: {exc}") from exc
    content = reply.get("content", {})
    if content.get("status") != "ok":
        raise KernelError(f"the kernel's setup failed: {content.get('ename')}: {content.get('evalue')}")


def _reconnected(client: NotebookClient) -> bool:
    """Replace the client's channels and probe again.

    ZeroMQ drops a channel for good when the kernel sends a message over the size
    limit (``grader.kernel.max_message_bytes``); the kernel itself is fine, and a
    fresh connection reaches it.
    """
    assert client.kc is not None and client.km is not None
    client.kc.stop_channels()
    client.kc = client.km.client()
    client.kc.start_channels()
    return _responds(client)


def _responds(client: NotebookClient, timeout: float = 5.0) -> bool:
    """After an interrupt, does the kernel take requests again?"""
    assert client.kc is not None
    try:
        kc: Any = client.kc  # an AsyncKernelClient; nbclient types it as the base class
        reply = run_sync(kc.execute_interactive)("pass", silent=True, timeout=timeout)
    except (TimeoutError, RuntimeError, ValueError):  # ValueError: a reply that fails its signature check
        return False
    return bool(reply and reply.get("content", {}).get("status") in ("ok", "error"))
