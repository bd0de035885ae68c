"""The ``student`` fixture: the student's namespace, reached only through the channel."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import torch

from grader.channel import ReplyDecoder, Transport, encode_value, parse_reply
from grader.errors import ChannelError, StudentError, StudentTimeout, SuiteError, TimeBudgetSpent


@dataclass(frozen=True)
class ChildInfo:
    """A direct submodule of a remote module."""

    name: str
    type: str
    repr: str


@dataclass(frozen=True)
class ObjectInfo:
    """What ``Student.describe`` reports about a remote object (all plain data)."""

    type: str
    bases: list[str]
    repr: str
    children: list[ChildInfo] = field(default_factory=list)
    parameters: dict[str, list[int]] = field(default_factory=dict)
    param_groups: list[dict[str, Any]] = field(default_factory=list)

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def is_a(self, qualified_name: str) -> bool:
        """Whether the object's class is, or derives from, ``qualified_name`` (e.g. ``torch.nn.MSELoss``)."""
        package, _, short = qualified_name.rpartition(".")
        top = package.split(".")[0]
        # torch.nn.MSELoss is defined as torch.nn.modules.loss.MSELoss: match the
        # class name within the same top-level package.
        return any(
            entry == qualified_name or (entry.rpartition(".")[2] == short and entry.startswith(f"{top}."))
            for entry in self.bases
        )


class Handle:
    """An object that stays on the student's side (a module, an optimizer...)."""

    def __init__(self, student: Student, hid: int, type_name: str) -> None:
        self._student = student
        self.id = hid
        self.type_name = type_name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._student._request(
            "call", handle=self.id, args=args, kwargs=kwargs, label=f"calling your {self.type_name}"
        )

    def method(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``obj.name(*args, **kwargs)`` on the student's side."""
        return self._student._request(
            "method", handle=self.id, method=name, args=args, kwargs=kwargs, label=f"{self.type_name}.{name}"
        )

    def attr(self, name: str) -> Any:
        """Read ``obj.name``: data, or another handle."""
        return self._student._request("attr", handle=self.id, attr=name, label=f"{self.type_name}.{name}")

    def __repr__(self) -> str:
        return f"<Handle #{self.id} {self.type_name}>"


class Student:
    """The student's notebook namespace. ``student.NAME(...)`` calls the notebook's ``NAME``."""

    def __init__(self, transport: Transport, *, call_timeout: float, max_reply_bytes: int,
                 max_reply_items: int = 1_000_000, max_reply_depth: int = 32,
                 exercises: frozenset[str] | None = None) -> None:
        self._transport = transport
        self._exercises = exercises  # the manifest's ids, for at_exercise (None: not checked)
        self._call_timeout = call_timeout
        self._max_reply_bytes = max_reply_bytes
        self._max_items = max_reply_items
        self._max_depth = max_reply_depth
        self._until: float | None = None
        self._budget = ""
        self.budget_stop: TimeBudgetSpent | None = None  # the first call the budget stopped since limit_calls
        self.names_read: set[str] = set()  # every notebook name the tests asked for (the manifest must list them)

    def __getattr__(self, name: str) -> _Name:
        if name.startswith("_"):
            raise AttributeError(name)
        return _Name(self, name)

    def limit_calls(self, *, until: float | None, budget: str = "") -> None:
        """End every call by ``until`` (a ``time.monotonic()`` deadline; None: the call timeout only).

        A call the deadline cuts short, or one made after it, raises ``TimeBudgetSpent``
        naming ``budget`` (``the time budget of Net (120 s)``).
        """
        self._until, self._budget, self.budget_stop = until, budget, None

    def has(self, name: str) -> bool:
        """Whether the notebook defined ``name``."""
        return bool(self._request("has", name=name, label=f"looking up {name}"))

    def get(self, name: str) -> Any:
        """The value of ``name``: data, or a handle."""
        return self._request("get", name=name, label=name)

    def at_exercise(self, exercise: str) -> ExerciseNames:
        """The names of ``exercise`` (and its context) as the cell that completed it left them.

        Tutorials rebind names after an exercise's cell (``loss_fn``, ``net``); the kernel keeps
        each exercise's values from its own cell (the manifest's ``names`` and ``context``).
        Without such a snapshot (``grader check``, or no cell completed it) the live values answer.
        """
        if self._exercises is not None and exercise not in self._exercises:
            raise SuiteError(f"at_exercise({exercise!r}): not an exercise of this assignment")
        return ExerciseNames(self, exercise)

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call the notebook's ``name``; the result as data or a handle."""
        return self._request("call", name=name, args=args, kwargs=kwargs, label=name)

    def call_printing(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, str]:
        """Call the notebook's ``name``; return its result and what it printed to stdout."""
        value, printed = self._request("call", name=name, args=args, kwargs=kwargs, label=name, capture=True)
        if not isinstance(printed, str):
            raise ChannelError("malformed captured output")
        return value, printed

    def make(self, qualname: str, *args: Any, **kwargs: Any) -> Any:
        """Build a library object on the student's side, e.g. ``make("torch.nn.MSELoss")``.

        Only torch and numpy callables; arguments may be data or handles (e.g. a
        ``TensorDataset`` handle for a ``DataLoader``).
        """
        return self._request("make", qualname=qualname, args=args, kwargs=kwargs, label=qualname)

    def describe(self, handle: Handle) -> ObjectInfo:
        """Type, class hierarchy, repr, children and parameter shapes of a remote object."""
        info = self._request("describe", handle=_expect_handle(handle), label=f"inspecting {handle.type_name}")
        try:
            return ObjectInfo(
                type=str(info["type"]),
                bases=[str(c) for c in info["bases"]],
                repr=str(info["repr"]),
                children=[ChildInfo(str(c["name"]), str(c["type"]), str(c["repr"])) for c in info["children"]],
                parameters={str(k): [int(d) for d in v] for k, v in info["parameters"].items()},
                param_groups=list(info.get("param_groups", [])),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ChannelError("malformed description of a remote object") from None

    def state_dict(self, handle: Handle) -> dict[str, torch.Tensor]:
        """The remote module's state_dict, as plain tensors."""
        state = self._request("state_dict", handle=_expect_handle(handle), label=f"{handle.type_name}.state_dict")
        if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
            raise StudentError(f"{handle.type_name}.state_dict() did not return tensors")
        return state

    def load_state_dict(self, handle: Handle, state: dict[str, torch.Tensor]) -> None:
        """Load tensors into the remote module."""
        self._request("load_state_dict", handle=_expect_handle(handle), args=(dict(state),),
                      label=f"{handle.type_name}.load_state_dict")

    def _request(self, op: str, *, label: str, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None,
                 **fields: Any) -> Any:
        request = {"op": op, "label": label, **fields}
        if isinstance(fields.get("name"), str):
            self.names_read.add(fields["name"])
        if args:
            request["args"] = [encode_value(a) for a in args]
        if kwargs:
            request["kwargs"] = {k: encode_value(v) for k, v in kwargs.items()}
        text = self._send(json.dumps(request, allow_nan=False), label=label)
        reply = parse_reply(text, max_bytes=self._max_reply_bytes)
        if not reply["ok"]:
            error = reply.get("error")
            raise StudentError.from_reply(error if isinstance(error, dict) else {})
        decoder = ReplyDecoder(
            make_handle=lambda hid, type_name: Handle(self, hid, type_name),
            max_items=self._max_items, max_depth=self._max_depth,
        )
        return decoder.decode(reply.get("value"))

    def _send(self, payload: str, *, label: str) -> str:
        """One request, within the call timeout and whatever is left of the budget."""
        left = self._until - time.monotonic() if self._until is not None else self._call_timeout
        if left >= self._call_timeout:
            return self._transport.request(payload, label=label, timeout=self._call_timeout)
        if left > 0:
            try:
                return self._transport.request(payload, label=label, timeout=left)
            except StudentTimeout:
                pass  # the budget, not the call timeout, stopped it: say so
        stop = TimeBudgetSpent.stopped(label, self._budget)
        self.budget_stop = self.budget_stop or stop
        raise stop


class ExerciseNames:
    """``student.at_exercise(id)``: ``.get(name)``, ``.has(name)`` or ``.name``, as that exercise left them."""

    def __init__(self, student: Student, exercise: str) -> None:
        self._student = student
        self._exercise = exercise

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)

    def get(self, name: str) -> Any:
        """The value: data, or a handle."""
        return self._student._request("at", exercise=self._exercise, name=name, label=name)

    def has(self, name: str) -> bool:
        """Whether ``name`` was defined when the exercise was completed."""
        return bool(self._student._request("at", exercise=self._exercise, name=name, probe=True,
                                           label=f"looking up {name}"))


class _Name:
    """``student.NAME``: call it, or ask for its value with ``.value()``."""

    def __init__(self, student: Student, name: str) -> None:
        self._student = student
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._student.call(self._name, *args, **kwargs)

    def value(self) -> Any:
        return self._student.get(self._name)


def _expect_handle(value: Any) -> int:
    if not isinstance(value, Handle):
        raise StudentError(f"expected an object such as a module, got {type(value).__name__}")
    return value.id
