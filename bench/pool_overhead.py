"""Grading overhead with the warm pool against a cold sandboxed kernel, side by side.

``.venv/bin/python bench/pool_overhead.py [--assignment ID] [--runs N] [--throughput N]``

overhead = end-to-end grading time (``grade_notebook``: take or start a kernel,
stage data, run the cells and the suites, destroy the kernel, refill the pool)
minus the same notebook's grading in an already-running, ready kernel
(``grade_in_kernel``). Before each timed run every waiting kernel is ready, so
no kernel warms up in the background of a measurement. Target: p50 overhead
<= 0.15 s with the pool. Also reports the memory of a warm kernel (RSS and PSS of
its sandbox's processes) and the throughput of N notebooks graded by
``grade_many`` on all cores, with the pool and with cold kernels.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.assignments import load_assignment  # noqa: E402
from grader.batch import grade_many  # noqa: E402
from grader.config import REPO_ROOT, Settings, get_settings  # noqa: E402
from grader.grading import grade_in_kernel, grade_notebook  # noqa: E402
from grader.pool import KernelPool  # noqa: E402
from tests.utils.notebooks import complete_notebook  # noqa: E402
from tests.utils.toy import toy_notebook  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="mlp-basics", help="an assignment id, or 'toy' (engine tests)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--throughput", type=int, default=20, help="notebooks in the throughput batch (0: skip)")
    args = parser.parse_args()
    settings = _settings(args.assignment)
    assignment = load_assignment(args.assignment, settings)
    nb = toy_notebook() if args.assignment == "toy" else complete_notebook(args.assignment)
    cores = len(os.sched_getaffinity(0))
    print(f"{args.assignment}: {args.runs} runs, {cores} cores, sandbox={'on' if settings.sandbox else 'OFF'}")

    baseline, pooled, cold = [], [], []
    with KernelPool(settings, size=2) as pool:
        _ready(pool, settings)
        memory = [_memory(pid_list) for pid_list in (k.pids() for k in pool.idle) if pid_list]
        for run in range(args.runs):
            timings: dict[str, float] = {}
            scores: set[str] = set()
            # the order rotates, so that no mode always runs right after another
            for mode in _rotate(["ready", "pool", "cold"], run):
                if mode == "ready":
                    kernel = pool.take()
                    kernel.wait_ready(settings.kernel_startup_timeout_s)
                    started = time.perf_counter()
                    result, _ = grade_in_kernel(kernel, nb, assignment=assignment, settings=settings)
                    timings[mode] = time.perf_counter() - started
                    kernel.close()
                    pool.fill()
                else:
                    started = time.perf_counter()
                    result = grade_notebook(nb, assignment=assignment, settings=settings,
                                            pool=pool if mode == "pool" else None)
                    timings[mode] = time.perf_counter() - started
                scores.add(f"{result.score:g}/{result.max_score:g}")
                _ready(pool, settings)
            baseline.append(timings["ready"])
            pooled.append(timings["pool"])
            cold.append(timings["cold"])
            print(f"  run {run + 1}: ready kernel {baseline[-1]:.3f} s, pool {pooled[-1]:.3f} s, "
                  f"cold {cold[-1]:.3f} s  (scores {', '.join(sorted(scores))})")

    print(f"\n{'':<22}{'p50 s':>9}{'min s':>9}{'max s':>9}")
    _row("ready kernel (grading)", baseline)
    _row("pool, end to end", pooled)
    _row("cold, end to end", cold)
    _row("overhead with pool", [p - b for p, b in zip(pooled, baseline)])
    _row("overhead cold", [c - b for c, b in zip(cold, baseline)])
    if memory:
        rss = statistics.mean(m[0] for m in memory) / 2**20
        pss = statistics.mean(m[1] for m in memory) / 2**20
        print(f"\nwarm kernel memory: RSS {rss:.0f} MiB, PSS {pss:.0f} MiB (mean of {len(memory)})")
    if args.throughput:
        _throughput(nb, args.assignment, settings, args.throughput, cores)


def _settings(assignment: str) -> Settings:
    if assignment == "toy":
        files = REPO_ROOT / "tests" / "files" / "toy"
        return Settings(exercises_dir=files / "exercises", reference_dir=files / "reference",
                        cache_dir=Path(tempfile.mkdtemp(prefix="bench-cache-")))
    return get_settings()


def _ready(pool: KernelPool, settings: Settings) -> None:
    for kernel in pool.idle:
        kernel.wait_ready(settings.kernel_startup_timeout_s)


def _memory(pids: list[int]) -> tuple[int, int]:
    """(RSS, PSS) in bytes, summed over processes."""
    rss = pss = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("Rss", "Pss"):
                    amount = int(value.split()[0]) * 1024
                    rss, pss = (rss + amount, pss) if key == "Rss" else (rss, pss + amount)
        except OSError:
            continue
    return rss, pss


def _throughput(nb: nbformat.NotebookNode, assignment: str, settings: Settings, count: int, cores: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for index in range(count):
            path = Path(folder) / f"student{index:03d}.ipynb"
            nbformat.write(nb, path)
            paths.append(path)
        print()
        for label, pool_size in (("pool", 2), ("cold", 0)):
            batch_settings = settings.model_copy(update={"pool_size": pool_size})
            started = time.perf_counter()
            statuses = [item.status for item in grade_many(paths, assignment=assignment, settings=batch_settings,
                                                           jobs=cores)]
            elapsed = time.perf_counter() - started
            print(f"throughput, {label}: {count} notebooks in {elapsed:.1f} s on {cores} workers = "
                  f"{count / elapsed * 60:.1f} notebooks/min ({statuses.count('graded')} graded)")


def _rotate(items: list[str], by: int) -> list[str]:
    return items[by % len(items):] + items[:by % len(items)]


def _row(label: str, values: list[float]) -> None:
    print(f"{label:<22}{statistics.median(values):>9.3f}{min(values):>9.3f}{max(values):>9.3f}")


if __name__ == "__main__":
    main()
