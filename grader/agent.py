"""The untrusted half of the channel: it runs next to the student's code.

This module is shipped into the student's kernel as source text, so it imports
nothing from ``grader`` and only the standard library at module level (numpy and
torch are imported lazily). It answers JSON requests from the trusted side and
replies with plain data: JSON for structure, ``.npy`` bytes (never pickle) for
arrays, and numbered handles for objects that are not data (modules, optimizers).

Nothing here is trusted. A student can replace or bypass this code; the worst
they can do is send back different data, which the trusted side decodes with
limits and judges against the reference.

The same class serves ``grader.check`` in a live Jupyter session, where the
namespace is the student's own and no kernel boundary exists.
"""

from __future__ import annotations

import base64
import io
import json
import math
import sys
import traceback
from typing import Any

ARRAY_DTYPES = {
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64",
}


SNAPSHOTS_MODULE = "__grader_snapshots__"  # where the kernel keeps its Snapshots (``snapshots_setup``)


class Snapshots:
    """Each exercise's names as the cell that completed them left them, by reference, in the kernel.

    ``after_cell`` runs after every cell (IPython's ``post_run_cell``). A name counts as
    bound by a cell when it refers to another object than before the cell (identity only:
    no student code runs here). An exercise is completed by the first cell after which all
    of its names are defined (a cell that bound one of them); its names and context names
    are kept as they were then.
    """

    def __init__(self, plan: dict[str, dict[str, list[str]]]) -> None:
        self.plan = plan
        self.watched = sorted({n for p in plan.values() for n in p["names"] + p["context"]})
        self.seen: dict[str, Any] = {}
        self.kept: dict[str, dict[str, Any]] = {}

    def after_cell(self, namespace: dict[str, Any]) -> None:
        current = {n: namespace[n] for n in self.watched if n in namespace}
        bound = {n for n, v in current.items() if n not in self.seen or self.seen[n] is not v}
        self.seen = current
        for exercise, plan in self.plan.items():
            names = plan["names"]
            if exercise in self.kept or not any(n in bound for n in names) or not all(n in current for n in names):
                continue
            self.kept[exercise] = {n: current[n] for n in names + plan["context"] if n in current}

    def at(self, exercise: str) -> dict[str, Any] | None:
        """The names kept for ``exercise``; None when no cell completed it."""
        return self.kept.get(exercise)


class Agent:
    """Serve requests against one namespace, keeping handles to non-data objects."""

    def __init__(self, namespace: dict[str, Any], snapshots: Any = None) -> None:
        self.namespace = namespace
        self.snapshots = snapshots  # a Snapshots, or None (grader.check: the live namespace only)
        self.handles: dict[int, Any] = {}

    # -- requests ---------------------------------------------------------
    def handle_json(self, request_text: str) -> str:
        """Answer one JSON request with one JSON reply; never raises."""
        try:
            request = json.loads(request_text)
            value = self.dispatch(request)
            reply = {"ok": True, "value": self.encode(value)}
        except _StudentFault as fault:
            reply = {"ok": False, "error": fault.info}
        except Exception as exc:  # a fault of the request itself
            reply = {"ok": False, "error": _error_info(exc, where="agent")}
        return json.dumps(reply, allow_nan=False)

    def dispatch(self, request: dict[str, Any]) -> Any:
        op = request["op"]
        if op == "has":
            return request["name"] in self.namespace
        if op == "get":
            return self._lookup(request["name"])
        if op == "at":
            return self._at(request["exercise"], request["name"], probe=bool(request.get("probe")))
        target = self.handles[request["handle"]] if "handle" in request else None
        args = [self.decode(a) for a in request.get("args", [])]
        kwargs = {k: self.decode(v) for k, v in request.get("kwargs", {}).items()}
        if op == "call":
            func = target if target is not None else self._lookup(request["name"])
            label = request.get("label", "call")
            if request.get("capture"):
                return _run_capturing(func, args, kwargs, label)
            return _run_student(func, args, kwargs, label)
        if op == "method":
            func = getattr(target, request["method"])
            return _run_student(func, args, kwargs, request.get("label", request["method"]))
        if op == "make":
            factory = _resolve(request["qualname"])
            return _run_student(factory, args, kwargs, request.get("label", request["qualname"]))
        if op == "attr":
            return getattr(target, request["attr"])
        if op == "describe":
            return self._describe(target)
        if op == "state_dict":
            return dict(_require(target).state_dict())
        if op == "load_state_dict":
            import torch

            state = {k: torch.as_tensor(v) for k, v in args[0].items()}
            _require(target).load_state_dict(state)
            return None
        raise ValueError(f"unknown op {op!r}")

    def _lookup(self, name: str) -> Any:
        if name not in self.namespace:
            raise _StudentFault({"ename": "MissingName", "evalue": f"{name!r} is not defined", "where": name})
        return self.namespace[name]

    def _at(self, exercise: str, name: str, *, probe: bool) -> Any:
        """``name`` as the cell that completed ``exercise`` left it; the live value if no cell did."""
        kept = self.snapshots.at(exercise) if self.snapshots is not None else None
        if kept is None:
            return name in self.namespace if probe else self._lookup(name)
        if probe:
            return name in kept
        if name not in kept:
            raise _StudentFault({"ename": "MissingName", "where": name, "exercise": exercise,
                                 "evalue": f"{name!r} was not defined when the {exercise} exercise was completed"})
        return kept[name]

    def _describe(self, obj: Any) -> dict[str, Any]:
        cls = type(obj)
        info: dict[str, Any] = {
            "type": cls.__name__,
            "bases": [f"{c.__module__}.{c.__qualname__}" for c in cls.__mro__],
            "repr": _safe_repr(obj),
            "children": [],
            "parameters": {},
        }
        if hasattr(obj, "named_children") and hasattr(obj, "named_parameters"):
            info["children"] = [
                {"name": n, "type": type(m).__name__, "repr": _safe_repr(m)}
                for n, m in obj.named_children()
            ]
            info["parameters"] = {n: list(p.shape) for n, p in obj.named_parameters()}
        if hasattr(obj, "param_groups"):
            info["param_groups"] = [
                {k: v for k, v in g.items() if k != "params" and _is_plain(v)}
                | {"n_params": len(g["params"])}
                for g in obj.param_groups
            ]
        return info

    # -- encoding ---------------------------------------------------------
    def encode(self, value: Any, depth: int = 0) -> Any:
        if depth > 32:
            raise ValueError("value nested too deeply")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int) and type(value) in (int, bool):
            return value
        if type(value) is float:
            return value if math.isfinite(value) else {"$float": repr(value)}
        kind = _array_kind(value)
        if kind is not None:
            return {"$array": _encode_array(value, kind)}
        if type(value) in (list, tuple):
            items = [self.encode(v, depth + 1) for v in value]
            return items if type(value) is list else {"$tuple": items}
        if type(value).__name__ == "Size" and type(value).__module__ == "torch":
            return {"$tuple": [int(v) for v in value]}
        if isinstance(value, dict) and all(type(k) is str for k in value):
            return {"$dict": {k: self.encode(v, depth + 1) for k, v in value.items()}}
        hid = len(self.handles) + 1
        self.handles[hid] = value
        return {"$handle": {"id": hid, "type": type(value).__name__}}

    def decode(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict):
            return value
        if "$tuple" in value:
            return tuple(self.decode(v) for v in value["$tuple"])
        if "$dict" in value:
            return {k: self.decode(v) for k, v in value["$dict"].items()}
        if "$float" in value:
            return float(value["$float"])
        if "$handle" in value:
            return self.handles[value["$handle"]["id"]]
        if "$array" in value:
            return _decode_array(value["$array"])
        raise ValueError("untagged object in request")


MAKE_PACKAGES = ("torch", "numpy")


def _resolve(qualname: str) -> Any:
    """A library callable by dotted name, e.g. ``torch.nn.MSELoss`` (torch and numpy only)."""
    import importlib

    top, *rest = qualname.split(".")
    if top not in MAKE_PACKAGES or not rest or any(not p.isidentifier() or p.startswith("_") for p in rest):
        raise ValueError(f"cannot make {qualname!r}")
    obj: Any = importlib.import_module(top)
    for part in rest:
        obj = getattr(obj, part)
    return obj


def _require(target: Any) -> Any:
    if target is None:
        raise ValueError("this request needs a handle")
    return target


class _StudentFault(Exception):
    """Student code raised: reported as data, not as an agent failure."""

    def __init__(self, info: dict[str, str]) -> None:
        super().__init__(info["evalue"])
        self.info = info


def _run_student(func: Any, args: list[Any], kwargs: dict[str, Any], label: str) -> Any:
    try:
        return func(*args, **kwargs)
    except BaseException as exc:  # KeyboardInterrupt too: the cell was interrupted
        raise _StudentFault(_error_info(exc, where=label)) from None


def _run_capturing(func: Any, args: list[Any], kwargs: dict[str, Any], label: str) -> tuple[Any, str]:
    """Call ``func`` and also return what it printed (the first 1 MB)."""
    import contextlib

    buffer = _CappedText(1_000_000)
    with contextlib.redirect_stdout(buffer):
        value = _run_student(func, args, kwargs, label)
    return value, buffer.text()


class _CappedText:
    """A write-only text sink that keeps at most ``limit`` characters."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> int:
        if self.size < self.limit:
            self.parts.append(text[: self.limit - self.size])
            self.size += len(self.parts[-1])
        return len(text)

    def flush(self) -> None:
        pass

    def text(self) -> str:
        return "".join(self.parts)


def _error_info(exc: BaseException, *, where: str) -> dict[str, str]:
    frames = traceback.extract_tb(exc.__traceback__)
    line = ""
    if frames:
        last = frames[-1]
        line = f"line {last.lineno}: {last.line or ''}".strip()
    return {"ename": type(exc).__name__, "evalue": str(exc)[:500], "where": where, "line": line[:300]}


def _safe_repr(obj: Any) -> str:
    try:
        return repr(obj)[:2000]
    except Exception as exc:
        return f"<repr failed: {type(exc).__name__}>"


def _is_plain(v: Any) -> bool:
    return v is None or type(v) in (bool, int, float, str) or (
        type(v) is tuple and all(type(x) in (int, float) for x in v)
    )


def _array_kind(value: Any) -> str | None:
    # Subclasses count too: they are sent as plain arrays, their methods left behind.
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        return "torch"
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, (numpy.ndarray, numpy.generic)):
        return "numpy"
    return None


def _encode_array(value: Any, kind: str) -> dict[str, Any]:
    import numpy as np

    if kind == "torch":
        tensor = value.as_subclass(sys.modules["torch"].Tensor).detach().cpu()
        if str(tensor.dtype) == "torch.bfloat16":
            tensor = tensor.float()
        array = tensor.resolve_conj().resolve_neg().numpy()
    else:
        array = np.asarray(value)
    if not array.flags.c_contiguous:
        array = array.copy(order="C")  # np.ascontiguousarray would turn 0-d into 1-d
    if array.dtype.name not in ARRAY_DTYPES:
        raise TypeError(f"cannot send an array of dtype {array.dtype.name}")
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return {"lib": kind, "npy": base64.b64encode(buf.getvalue()).decode("ascii")}


def _decode_array(spec: dict[str, Any]) -> Any:
    import numpy as np

    array = np.load(io.BytesIO(base64.b64decode(spec["npy"])), allow_pickle=False)
    if spec["lib"] == "torch":
        import torch

        return torch.from_numpy(array.copy())
    return array


current: Snapshots | None = None  # this kernel's, once ``watch_cells`` ran


def watch_cells(shell: Any, plan: dict[str, dict[str, list[str]]]) -> None:
    """Keep snapshots in this kernel from now on (run once by the setup code, before any student cell)."""
    global current
    snapshots = current = Snapshots(plan)

    def after_cell(result: Any = None) -> None:
        try:
            snapshots.after_cell(shell.user_ns)
        except Exception:  # a namespace the student broke: no snapshot, the live values stay
            pass

    shell.events.register("post_run_cell", after_cell)


def serve_comm(agent: Agent, target: str) -> None:
    """Answer requests arriving on comms opened to ``target`` (called once, in the kernel)."""
    from comm import get_comm_manager

    def on_open(comm: Any, open_msg: dict[str, Any]) -> None:
        def on_msg(msg: dict[str, Any]) -> None:
            comm.send({"reply": agent.handle_json(msg["content"]["data"]["request"])})

        comm.on_msg(on_msg)

    get_comm_manager().register_target(target, on_open)
