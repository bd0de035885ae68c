"""A small seccomp filter for sandboxed kernels, assembled as classic BPF for bubblewrap's ``--seccomp``.

It refuses what no notebook needs and what widens the kernel's attack surface:
new user namespaces (``unshare``/``clone`` with ``CLONE_NEWUSER``; ``clone3``
answers ENOSYS so that glibc falls back to ``clone``, whose flags can be
inspected), ``setns``, the kernel keyring, ``bpf``, ``perf_event_open``,
``userfaultfd``, io_uring, mounting, ``syslog`` and ``acct``; and every syscall of a
foreign ABI (i386 ``int 0x80``, x32), whose numbers the filter does not check.
Everything else is allowed: this is a second wall, the namespaces and the
unprivileged uid are the first.
"""

from __future__ import annotations

import errno
import functools
import platform
import struct

# struct seccomp_data: nr (int), arch (u32), instruction_pointer (u64), args[6] (u64)
_NR, _ARCH, _ARG0_LOW = 0, 4, 16
_LD_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW = 0x7FFF0000
_CLONE_NEWUSER = 0x10000000
_X32_BIT = 0x40000000


def _errno(code: int) -> int:
    return 0x00050000 | code


# (audit arch, {syscall: number}) per machine; numbers from the kernel's syscall tables
_ARCHES: dict[str, tuple[int, dict[str, int]]] = {
    "x86_64": (0xC000003E, {
        "unshare": 272, "clone": 56, "clone3": 435, "setns": 308, "keyctl": 250, "add_key": 248,
        "request_key": 249, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323, "io_uring_setup": 425,
        "io_uring_enter": 426, "io_uring_register": 427, "mount": 165, "umount2": 166, "pivot_root": 155,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
        "syslog": 103, "acct": 163,
    }),
    "aarch64": (0xC00000B7, {
        "unshare": 97, "clone": 220, "clone3": 435, "setns": 268, "keyctl": 219, "add_key": 217,
        "request_key": 218, "bpf": 280, "perf_event_open": 241, "userfaultfd": 282, "io_uring_setup": 425,
        "io_uring_enter": 426, "io_uring_register": 427, "mount": 40, "umount2": 39, "pivot_root": 41,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
        "syslog": 116, "acct": 89,
    }),
}
_FLAG_CHECKED = ("unshare", "clone")
_NOT_IMPLEMENTED = ("clone3",)


def supported() -> bool:
    return platform.machine() in _ARCHES


@functools.cache
def build_filter(machine: str | None = None) -> bytes:
    """The filter program (``struct sock_filter[]``) for ``machine`` (default: this one)."""
    arch, numbers = _ARCHES[machine or platform.machine()]
    denied = [nr for name, nr in numbers.items() if name not in _FLAG_CHECKED + _NOT_IMPLEMENTED]
    # Labels are resolved at the end; a jump is (opcode, k, true-label, false-label).
    program: list[tuple[int, int, str | None, str | None]] = [
        (_LD_ABS, _ARCH, None, None),
        (_JEQ, arch, "native", "deny_all"),
    ]
    labels: dict[str, int] = {}
    body: list[tuple[int, int, str | None, str | None] | str] = [
        "native",
        (_LD_ABS, _NR, None, None),
        (_JGE, _X32_BIT, "deny_all", None),
        *[(_JEQ, numbers[name], "flags", None) for name in _FLAG_CHECKED],
        *[(_JEQ, numbers[name], "enosys", None) for name in _NOT_IMPLEMENTED],
        *[(_JEQ, nr, "eperm", None) for nr in denied],
        (_RET, _ALLOW, None, None),
        "flags",
        (_LD_ABS, _ARG0_LOW, None, None),
        (_JSET, _CLONE_NEWUSER, "eperm", None),
        (_RET, _ALLOW, None, None),
        "eperm",
        (_RET, _errno(errno.EPERM), None, None),
        "enosys",
        (_RET, _errno(errno.ENOSYS), None, None),
        "deny_all",
        (_RET, _errno(errno.ENOSYS), None, None),
    ]
    for item in body:
        if isinstance(item, str):
            labels[item] = len(program)
        else:
            program.append(item)
    code = b""
    for index, (opcode, k, true_label, false_label) in enumerate(program):
        jt = labels[true_label] - index - 1 if true_label else 0
        jf = labels[false_label] - index - 1 if false_label else 0
        if not (0 <= jt < 256 and 0 <= jf < 256):
            raise ValueError("seccomp jump out of range")
        code += struct.pack("HBBI", opcode, jt, jf, k)
    return code
