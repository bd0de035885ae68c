"""Wall-clock time to grade each assignment's reference-completed notebook.

Run with ``make bench`` (or ``.venv/bin/python bench/grade_time.py [--runs N] [ASSIGNMENT...]``).
Reports, per assignment, the end-to-end grading time (kernel start, every cell,
public + hidden suites) and the part spent executing cells. Target: under 30 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.assignments import list_assignments, load_assignment  # noqa: E402
from grader.grading import grade_notebook  # noqa: E402
from tests.utils.notebooks import complete_notebook  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="default: all")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'assignment':<18}{'runs':>5}{'p50 total s':>13}{'max total s':>13}{'p50 cells s':>13}{'score':>9}")
    for assignment_id in args.assignments or list_assignments():
        assignment = load_assignment(assignment_id)
        totals, cells, scores = [], [], set()
        for _ in range(args.runs):
            started = time.perf_counter()
            result = grade_notebook(complete_notebook(assignment_id), assignment=assignment)
            totals.append(time.perf_counter() - started)
            cells.append(result.execution.duration_s)
            scores.add(f"{result.score:g}/{result.max_score:g}")
        print(f"{assignment_id:<18}{args.runs:>5}{statistics.median(totals):>13.2f}{max(totals):>13.2f}"
              f"{statistics.median(cells):>13.2f}{' '.join(sorted(scores)):>9}")


if __name__ == "__main__":
    main()
