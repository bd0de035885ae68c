"""The channel returns plain data only, and refuses replies over its limits."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import numpy as np
import pytest
import torch

from grader.channel import LocalTransport, ReplyDecoder, parse_reply
from grader.errors import ChannelError, StudentError
from grader.student import Handle, Student


def _student(namespace: dict[str, Any]) -> Student:
    return Student(LocalTransport(namespace), call_timeout=5, max_reply_bytes=1_000_000,
                   max_reply_items=10_000, max_reply_depth=8)


def _decode(value: Any) -> Any:
    return ReplyDecoder(make_handle=lambda hid, t: ("handle", hid, t), max_items=100, max_depth=4).decode(value)


class LyingTensor(torch.Tensor):
    def __eq__(self, other: object) -> bool:  # type: ignore[override]
        return True


def test_values_round_trip_as_plain_data() -> None:
    student = _student({"f": lambda *a, **k: (a, k)})
    args, kwargs = student.f(torch.arange(3), np.ones(2), 1.5, float("nan"), "s", None, [True], {"k": (1, 2)}, x=2)
    assert isinstance(args, tuple) and torch.equal(args[0], torch.arange(3))
    assert isinstance(args[1], np.ndarray) and args[1].tolist() == [1.0, 1.0]
    assert args[2] == 1.5 and np.isnan(args[3]) and args[4:] == ("s", None, [True], {"k": (1, 2)})
    assert kwargs == {"x": 2}


def test_tensor_subclass_comes_back_as_a_plain_tensor() -> None:
    student = _student({"f": lambda: torch.zeros(2).as_subclass(LyingTensor)})
    got = student.f()
    assert type(got) is torch.Tensor
    assert not torch.equal(got, torch.ones(2))


def test_object_with_lying_eq_becomes_a_handle() -> None:
    class AlwaysEqual:
        def __eq__(self, other: object) -> bool:
            return True

    got = _student({"f": AlwaysEqual}).f()
    assert isinstance(got, Handle)
    assert got != 3.0


def test_handles_call_methods_and_describe_modules() -> None:
    student = _student({"nn": torch.nn})
    net = student.get("nn").attr("Sequential")(student.get("nn").attr("Linear")(2, 3), student.get("nn").attr("ReLU")())
    info = student.describe(net)
    assert info.type == "Sequential" and info.is_a("torch.nn.Module") and not info.is_a("torch.nn.MSELoss")
    assert [c.name for c in info.children] == ["0", "1"] and info.children[1].repr == "ReLU()"
    assert info.parameters == {"0.weight": [3, 2], "0.bias": [3]}
    state = student.state_dict(net)
    student.load_state_dict(net, {k: torch.zeros_like(v) for k, v in state.items()})
    assert torch.equal(net(torch.ones(1, 2)), torch.zeros(1, 3))


def test_student_exceptions_fail_the_test_with_their_name() -> None:
    def broken(x):
        raise NotImplementedError("Cross Entropy Loss")

    with pytest.raises(StudentError, match=r"broken raised NotImplementedError: Cross Entropy Loss"):
        _student({"broken": broken}).broken(1)
    assert issubclass(StudentError, AssertionError)


def test_missing_name_says_the_cell_did_not_run() -> None:
    with pytest.raises(StudentError, match="Net is not defined: did the cell that defines it run"):
        _student({}).Net()


def _npy(array: np.ndarray) -> str:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    return base64.b64encode(buf.getvalue()).decode()


@pytest.mark.parametrize(
    "value",
    [
        {"$array": {"lib": "numpy", "npy": _npy(np.array([object()], dtype=object))}},  # would need pickle
        {"$array": {"lib": "numpy", "npy": "!!!not base64"}},
        {"$array": {"lib": "numpy", "npy": _npy(np.array([1 + 2j]))}},
        {"$array": {"lib": "torch"}},
        {"$unknown": 1},
        {"$tuple": [1], "$dict": {}},
        {"plain": "dict"},
        [[[[[[1]]]]]],
        list(range(200)),
        {"$float": "1e309"},
        {"$handle": {"id": "1"}},
    ],
    ids=["pickled-object-array", "bad-base64", "complex", "no-bytes", "unknown-tag", "two-tags", "untagged",
         "too-deep", "too-many", "bad-float", "bad-handle"],
)
def test_malformed_or_oversized_values_are_refused(value: Any) -> None:
    with pytest.raises(ChannelError):
        _decode(value)


def test_reply_size_is_capped_before_parsing() -> None:
    with pytest.raises(ChannelError, match="over the 10-byte limit"):
        parse_reply(json.dumps({"ok": True, "value": "x" * 20}), max_bytes=10)


@pytest.mark.parametrize("text", ["not json", "[]", '{"ok": "yes"}', "[" * 10_000 + "]" * 10_000])
def test_malformed_replies_are_refused(text: str) -> None:
    with pytest.raises(ChannelError):
        parse_reply(text, max_bytes=1_000_000)


def test_zero_dimensional_values_keep_their_shape() -> None:
    student = _student({"f": lambda x: (x, torch.tensor(1.5), np.float64(2.0))})
    sent_back, tensor, scalar = student.f(torch.tensor(3.0))
    assert sent_back.shape == () and tensor.shape == () and scalar.shape == ()
    assert float(tensor) == 1.5 and float(scalar) == 2.0


def test_make_builds_library_objects_on_the_students_side() -> None:
    student = _student({})
    loss_fn = student.make("torch.nn.MSELoss")
    assert student.describe(loss_fn).is_a("torch.nn.MSELoss")
    dataset = student.make("torch.utils.data.TensorDataset", torch.arange(6.0).view(3, 2), torch.arange(3))
    loader = student.make("torch.utils.data.DataLoader", dataset, batch_size=2)
    assert loader.method("__len__") == 2


@pytest.mark.parametrize("qualname", ["os.system", "builtins.eval", "torch", "torch._C._get_tracing_state",
                                      "torch.nn..Linear", "subprocess.run"])
def test_make_refuses_anything_but_public_torch_and_numpy(qualname: str) -> None:
    with pytest.raises(ChannelError, match="cannot make"):
        _student({}).make(qualname)


def test_call_printing_returns_result_and_stdout() -> None:
    def noisy(n):
        for i in range(n):
            print(f"step {i}")
        return n * 2

    value, printed = _student({"noisy": noisy}).call_printing("noisy", 3)
    assert value == 6 and printed == "step 0\nstep 1\nstep 2\n"


def test_unsigned_arrays_cross_the_channel() -> None:
    state = np.random.RandomState(0).get_state()[1]
    assert state.dtype == np.uint32
    got = _student({"f": lambda: state}).f()
    assert got.dtype == np.uint32 and np.array_equal(got, state)



def test_the_kernels_words_lose_their_terminal_escapes() -> None:
    from grader.errors import StudentError

    error = StudentError.from_reply({"ename": "Value\x1b[31mError", "where": "add\r",
                                     "evalue": "boom\x1b]8;;http://x\x07link\x1b]8;;\x07\nsecond"})
    assert str(error) == "add raised ValueError: boomlink second"
    assert (error.ename, error.where) == ("ValueError", "add")
