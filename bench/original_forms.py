"""Grading time of the tutorials' original-form notebooks with their own demos, p50 and p95.

    .venv/bin/python bench/original_forms.py [--runs 2] [ASSIGNMENT...]

Real students hand in the tutorial itself, every demo left in: the 100-epoch training
run of mlp-basics, decoding's 1000-iteration classification and regularization runs,
mnist-mlp's 5 epochs. Each assignment's ``tests/files/<id>/make_original.py`` builds its
completed original form; ``build(demos=True)`` puts the tutorial's own run lengths back
(the test suite grades the shortened form). Each notebook is graded ``--runs`` times at
the assignment's real limits, end to end (kernel start, every cell, the suites). Printed:
per assignment the wall time (p50, max) and the cell time, the status, the score and the
timeout line a student reads; then p50 and p95 over every grading.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from grader.assignments import list_assignments, load_assignment  # noqa: E402
from grader.grading import grade_notebook  # noqa: E402
from grader.scoring import format_score  # noqa: E402
from tests.utils.notebooks import original_form_with_demos  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="default: every assignment with an original form")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    everything: list[float] = []
    print(f"{'assignment':<16}{'runs':>5}{'p50 s':>8}{'max s':>8}{'cells s':>9}  {'status':<8}{'score':>7}  timeout")
    for assignment_id in args.assignments or list_assignments():
        nb = original_form_with_demos(assignment_id)
        if nb is None:
            continue
        assignment = load_assignment(assignment_id)
        walls, cells, outcomes, lines = [], [], set(), set()
        for _ in range(args.runs):
            started = time.perf_counter()
            result = grade_notebook(nb, assignment=assignment)
            walls.append(time.perf_counter() - started)
            cells.append(result.execution.duration_s)
            outcomes.add((result.status.value, f"{format_score(result.score)}/{format_score(result.max_score)}"))
            if result.execution.timeout is not None:
                lines.add(result.execution.timeout.message)
        everything += walls
        status = ",".join(sorted({s for s, _ in outcomes}))
        score = ",".join(sorted({s for _, s in outcomes}))
        print(f"{assignment_id:<16}{args.runs:>5}{statistics.median(walls):>8.1f}{max(walls):>8.1f}"
              f"{statistics.median(cells):>9.1f}  {status:<8}{score:>7}  {' | '.join(sorted(lines)) or '-'}",
              flush=True)
    if everything:
        print(f"all {len(everything)} gradings: p50 {percentile(everything, 0.5):.1f} s, "
              f"p95 {percentile(everything, 0.95):.1f} s")


if __name__ == "__main__":
    main()
