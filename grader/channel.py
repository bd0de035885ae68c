"""The trusted half of the channel: send requests, decode replies as plain data.

Requests and replies are JSON. Arrays travel as ``.npy`` bytes loaded with
``allow_pickle=False``; everything else that is not data stays on the student's
side behind a numbered handle. Replies are decoded with limits on size, depth and
item count, and only a fixed set of dtypes is accepted.

Two transports carry the same messages: ``KernelTransport`` (a Jupyter kernel,
used while grading) and ``LocalTransport`` (the live namespace, used by
``grader.check`` inside Jupyter).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
import queue
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import torch

from grader.agent import ARRAY_DTYPES, SNAPSHOTS_MODULE, Agent
from grader.errors import ChannelError, KernelError, StudentError, StudentTimeout

COMM_TARGET = "grader.channel"



# Before the tests, the global generators the notebook imported start from one seed: what the
# student's code draws while tested is then the same whichever cells ran (grader.needs).
RESEED = (
    "    for name, call in (('torch', 'manual_seed'), ('numpy.random', 'seed'), ('random', 'seed')):\n"
    "        try:\n"
    "            getattr(sys.modules[name], call)(0)\n"
    "        except Exception:\n"
    "            pass\n"
)

class Transport(Protocol):
    """Carries one JSON request to the student's side and its JSON reply back."""

    def request(self, payload: str, *, label: str, timeout: float) -> str: ...


class LocalTransport:
    """Answers requests in this process, against a live namespace (``grader.check``)."""

    def __init__(self, namespace: dict[str, Any], snapshots: Any = None) -> None:
        self.agent = Agent(namespace, snapshots)

    def request(self, payload: str, *, label: str, timeout: float) -> str:
        return self.agent.handle_json(payload)


class DeadTransport:
    """Stands in for a kernel that died: every request fails with the reason."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def request(self, payload: str, *, label: str, timeout: float) -> str:
        raise KernelError(self.reason)


class KernelTransport:
    """Sends requests to the agent in a running Jupyter kernel over a comm.

    Requests travel as ``comm_msg`` data on the shell channel and replies come
    back as ``comm_msg`` on IOPub: no code is compiled per request, so large
    arrays cost JSON and base64, not the parsing of a giant string literal.
    """

    def __init__(self, client: Any, *, interrupt: Callable[[], None], max_reply_bytes: int) -> None:
        self.client = client  # a started jupyter_client BlockingKernelClient
        self.interrupt = interrupt
        self.max_reply_bytes = max_reply_bytes
        self.broken: str | None = None
        self.comm_id = uuid.uuid4().hex

    def install_agent(self, *, timeout: float) -> None:
        """Define the agent in the kernel (after the student's cells ran) and open its comm."""
        code = (
            "def __grader_boot__(source):\n"
            "    import sys, types\n"
            "    module = types.ModuleType('__grader_agent_module__')\n"
            "    exec(compile(source, '<grader-agent>', 'exec'), module.__dict__)\n"
            "    try:  # the student's code may have replaced it: then no snapshots, not a broken agent\n"
            f"        snapshots = getattr(sys.modules.get({SNAPSHOTS_MODULE!r}), 'current', None)\n"
            "    except Exception:\n"
            "        snapshots = None\n"
            f"{RESEED}"
            f"    module.serve_comm(module.Agent(get_ipython().user_ns, snapshots), {COMM_TARGET!r})\n"
            f"__grader_boot__({_agent_source()!r}); del __grader_boot__\n"
        )
        self._send("execute_request", {"code": code, "silent": False, "store_history": False,
                                       "user_expressions": {}, "allow_stdin": False, "stop_on_error": False},
                   label="starting the grading agent", timeout=timeout)
        self._send("comm_open", {"comm_id": self.comm_id, "target_name": COMM_TARGET, "data": {}},
                   label="opening the grading channel", timeout=timeout)

    def request(self, payload: str, *, label: str, timeout: float) -> str:
        replies = self._send("comm_msg", {"comm_id": self.comm_id, "data": {"request": payload}},
                             label=label, timeout=timeout)
        if len(replies) != 1:
            raise ChannelError(f"{label}: expected one reply from the kernel, got {len(replies)}")
        return replies[0]

    def _send(self, msg_type: str, content: dict[str, Any], *, label: str, timeout: float) -> list[str]:
        """Send one shell message; collect comm replies until the kernel is idle again."""
        if self.broken:
            raise KernelError(self.broken)
        msg = self.client.session.msg(msg_type, content)
        self.client.shell_channel.send(msg)
        msg_id = msg["header"]["msg_id"]
        deadline = time.monotonic() + timeout
        replies: list[str] = []
        error: dict[str, Any] | None = None
        seen = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._recover(label, timeout)
                raise StudentTimeout.from_label(label, timeout)
            try:
                reply = self.client.get_iopub_msg(timeout=min(remaining, 1.0))
            except queue.Empty:
                if not self.client.is_alive():
                    self.broken = "the kernel died"
                    raise KernelError(f"the kernel died during {label}") from None
                continue
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, body = reply["msg_type"], reply["content"]
            if kind == "comm_msg" and body.get("comm_id") == self.comm_id:
                text = body.get("data", {}).get("reply")
                if not isinstance(text, str):
                    raise ChannelError("malformed reply from the kernel")
                seen += len(text)
                replies.append(text)
            elif kind in ("stream", "display_data", "execute_result", "update_display_data"):
                seen += len(json.dumps(body.get("data", body.get("text", ""))))
            elif kind == "error":
                error = body
            elif kind == "status" and body.get("execution_state") == "idle":
                break
            if seen > self.max_reply_bytes:
                self._recover(label, timeout)
                raise ChannelError(f"{label} sent more than {self.max_reply_bytes} bytes back")
        if error and msg_type == "execute_request":
            raise KernelError(f"{label} failed: {error.get('ename')}: {error.get('evalue')}")
        if not replies and msg_type == "comm_msg":
            # the handler died before replying (e.g. sys.exit inside the student's function)
            raise StudentError(f"{label} did not return (the call ended the handler)")
        return replies

    def _recover(self, label: str, timeout: float) -> None:
        """Interrupt a runaway call; if the kernel stays busy, mark it unusable."""
        self.interrupt()
        try:
            self.client.execute_interactive("pass", silent=True, store_history=False, timeout=5.0)
        except TimeoutError:
            self.broken = f"the kernel stopped answering after {label} ran past {timeout:g} s"


def snapshots_setup(plan: dict[str, dict[str, list[str]]]) -> str:
    """Code for the kernel's setup: keep each exercise's names as the cell that completed them left them.

    The snapshots stay in the kernel (``grader.agent.Snapshots``); the agent answers
    ``Student.at_exercise`` from them with data or handles, like any other request.
    """
    return (
        "def __grader_watch__(source, plan):\n"
        "    import sys, types\n"
        f"    module = types.ModuleType({SNAPSHOTS_MODULE!r})\n"
        "    exec(compile(source, '<grader-agent>', 'exec'), module.__dict__)\n"
        f"    sys.modules[{SNAPSHOTS_MODULE!r}] = module\n"
        "    module.watch_cells(get_ipython(), plan)\n"
        f"__grader_watch__({_agent_source()!r}, {plan!r}); del __grader_watch__\n"
    )


def _agent_source() -> str:
    from grader import agent

    return str(agent.__loader__.get_source(agent.__name__))  # type: ignore[union-attr]


# -- encoding requests (trusted -> student) ----------------------------------
def encode_value(value: Any) -> Any:
    """Encode a value the trusted side sends: data and handles only."""
    from grader.student import Handle

    if value is None or isinstance(value, (bool, str, int)) and type(value) in (bool, str, int):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, Handle):
        return {"$handle": {"id": value.id, "type": value.type_name}}
    if isinstance(value, torch.Tensor):
        return {"$array": _npy(value.detach().cpu().numpy(), "torch")}
    if isinstance(value, np.ndarray):
        return {"$array": _npy(value, "numpy")}
    if isinstance(value, np.generic):
        return encode_value(value.item())
    if type(value) is list:
        return [encode_value(v) for v in value]
    if type(value) is tuple:
        return {"$tuple": [encode_value(v) for v in value]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"$dict": {k: encode_value(v) for k, v in value.items()}}
    raise TypeError(f"cannot send a {type(value).__name__} to the student's kernel")


def _npy(array: np.ndarray, lib: str) -> dict[str, str]:
    buf = io.BytesIO()
    np.save(buf, array if array.flags.c_contiguous else array.copy(order="C"), allow_pickle=False)
    return {"lib": lib, "npy": base64.b64encode(buf.getvalue()).decode("ascii")}


# -- decoding replies (student -> trusted), with limits ----------------------
class ReplyDecoder:
    """Decode one reply into plain Python, torch and numpy values, enforcing limits."""

    def __init__(self, *, make_handle: Callable[[int, str], Any], max_items: int, max_depth: int) -> None:
        self.make_handle = make_handle
        self.max_items = max_items
        self.max_depth = max_depth
        self.items = 0

    def decode(self, value: Any, depth: int = 0) -> Any:
        self.items += 1
        if self.items > self.max_items:
            raise ChannelError(f"reply has more than {self.max_items} values")
        if depth > self.max_depth:
            raise ChannelError(f"reply nested deeper than {self.max_depth} levels")
        if value is None or type(value) in (bool, int, float, str):
            return value
        if type(value) is list:
            return [self.decode(v, depth + 1) for v in value]
        if type(value) is not dict or len(value) != 1:
            raise ChannelError("malformed value in reply")
        (tag, body), = value.items()
        if tag == "$tuple" and type(body) is list:
            return tuple(self.decode(v, depth + 1) for v in body)
        if tag == "$dict" and type(body) is dict:
            return {str(k): self.decode(v, depth + 1) for k, v in body.items()}
        if tag == "$float" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "$array" and type(body) is dict:
            return self._array(body)
        if tag == "$handle" and type(body) is dict and type(body.get("id")) is int:
            return self.make_handle(body["id"], str(body.get("type", "object"))[:100])
        raise ChannelError(f"unknown tag {str(tag)[:20]!r} in reply")

    def _array(self, body: dict[str, Any]) -> torch.Tensor | np.ndarray:
        try:
            raw = base64.b64decode(body["npy"], validate=True)
            array = np.load(io.BytesIO(raw), allow_pickle=False)
        except (KeyError, TypeError, ValueError, binascii.Error, OSError) as exc:
            raise ChannelError(f"malformed array in reply ({type(exc).__name__})") from None
        if not isinstance(array, np.ndarray) or array.dtype.name not in ARRAY_DTYPES:
            raise ChannelError("array of an unsupported dtype in reply")
        self.items += array.size // 1024  # big arrays count towards the item limit too
        if body.get("lib") == "torch":
            return torch.from_numpy(np.array(array, copy=True))
        return np.array(array, copy=True)


def parse_reply(text: str, *, max_bytes: int) -> dict[str, Any]:
    """Parse the outer JSON of a reply, refusing oversized or malformed text."""
    if len(text) > max_bytes:
        raise ChannelError(f"reply of {len(text)} bytes is over the {max_bytes}-byte limit")
    try:
        reply = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ChannelError("reply is not valid JSON") from None
    if type(reply) is not dict or type(reply.get("ok")) is not bool:
        raise ChannelError("malformed reply")
    return reply
