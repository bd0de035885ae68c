"""Round-trip time of a tensor through the trusted/kernel channel.

``.venv/bin/python bench/channel_throughput.py``: starts a sandboxed kernel, defines an
identity function there, and echoes float32 tensors of 0, 1 and 8 MB through
``student.ident(x)`` (encode, comm message, decode, and back), 3 runs each.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.channel import KernelTransport  # noqa: E402
from grader.config import get_settings  # noqa: E402
from grader.kernel import blocking_client, interrupt, running_kernel  # noqa: E402
from grader.student import Student  # noqa: E402


def main() -> None:
    with running_kernel(get_settings(), sandboxed=True) as kernel, \
            blocking_client(kernel.km, timeout=60) as client:
        client.execute_interactive("import torch\ndef ident(x):\n    return x", timeout=60)  # as a notebook would
        transport = KernelTransport(client, interrupt=lambda: interrupt(kernel.km), max_reply_bytes=1 << 30)
        transport.install_agent(timeout=60)
        student = Student(transport, call_timeout=120, max_reply_bytes=1 << 30)
        for megabytes in (0, 1, 8):
            x = torch.randn(max(1, megabytes * 262_144))
            started = time.perf_counter()
            for _ in range(3):
                assert torch.equal(student.ident(x), x)
            print(f"{megabytes:>2} MB round trip: {(time.perf_counter() - started) / 3 * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
