"""Skipping the cells no grade depends on: original-form notebooks graded both ways, side by side.

    .venv/bin/python bench/needed_cells.py [--runs 1] [ASSIGNMENT...]

For each assignment with an original form (``tests/files/<id>/make_original.py``, built
with the tutorial's own demo lengths: mlp-basics' 100-epoch training, decoding's
1000-iteration runs, mnist-mlp's 5 epochs) two notebooks are graded: the completed
form, and the same form with the assignment's first buggy variant in its exercise's
cell (a notebook that loses points). Each is graded ``--runs`` times with every cell
(``full=True``) and as the manifest says (``[execution] mode = "needed"``), end to end
in a sandboxed kernel at the assignment's real limits.

Printed per notebook: wall seconds (median) and CPU seconds (the machine's busy time
over every core while it graded: run it on an idle machine) in each mode, the speed-up, the cells skipped, a fallback if one
happened, and whether every test's verdict and points were the same both ways.
Then the median speed-up over the notebooks. Any verdict that differs is a bug.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nbformat import NotebookNode  # noqa: E402

from grader.assignments import list_assignments, load_assignment  # noqa: E402
from grader.grading import grade_notebook  # noqa: E402
from grader.models import GradeResult  # noqa: E402
from grader.needs import cell_facts  # noqa: E402
from tests.utils.notebooks import list_variants, original_form_with_demos  # noqa: E402


def losing(assignment_id: str, nb: NotebookNode) -> tuple[str, NotebookNode]:
    """The form with the first buggy variant in the cell that defines its exercise."""
    variant = list_variants(assignment_id, "buggy")[0]
    exercise = load_assignment(assignment_id).manifest.exercises
    names = set(next(e for e in exercise if e.id == variant.exercise).completes)
    copy = NotebookNode(nb.copy())
    copy.cells = [NotebookNode(dict(cell)) for cell in nb.cells]
    for index, cell in enumerate(copy.cells):
        if cell.cell_type == "code" and names & cell_facts(index, cell.source).binds:
            cell.source = variant.source
            break
    return variant.id, copy


def cpu_seconds() -> float:
    """The machine's busy CPU time so far (/proc/stat, every core): the sandboxed kernels are not our
    children to account, so run this on an otherwise idle machine."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def timed(nb: NotebookNode, assignment_id: str, *, full: bool) -> tuple[float, float, GradeResult]:
    cpu, started = cpu_seconds(), time.perf_counter()
    result = grade_notebook(nb, assignment=load_assignment(assignment_id), full=full, seed=0)
    return time.perf_counter() - started, cpu_seconds() - cpu, result


def verdicts(result: GradeResult) -> dict[str, list[tuple[str, bool, float]]]:
    return {e.id: [(t.name, t.passed, t.points) for t in e.tests] for e in result.exercises}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="default: every assignment with an original form")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    print(f"{'notebook':<34}{'full s':>8}{'cpu s':>7}{'needed s':>10}{'cpu s':>7}{'x':>6}  {'skipped':>7}  "
          f"{'score':>11}  same verdicts  fallback")
    speedups: list[float] = []
    for assignment_id in args.assignments or list_assignments():
        form = original_form_with_demos(assignment_id)
        if form is None:
            continue
        bug, buggy = losing(assignment_id, form)
        for label, nb in ((f"{assignment_id}", form), (f"{assignment_id}:{bug}", buggy)):
            full = [timed(nb, assignment_id, full=True) for _ in range(args.runs)]
            needed = [timed(nb, assignment_id, full=False) for _ in range(args.runs)]
            wall_full, wall_needed = (statistics.median(w for w, _, _ in runs) for runs in (full, needed))
            cpu_full, cpu_needed = (statistics.median(c for _, c, _ in runs) for runs in (full, needed))
            same = all(verdicts(r) == verdicts(full[0][2]) for _, _, r in [*full, *needed])
            last = needed[-1][2]
            score = f"{full[0][2].score:g}/{last.score:g} of {last.max_score:g}"
            speedups.append(wall_full / wall_needed)
            print(f"{label:<34}{wall_full:>8.1f}{cpu_full:>7.1f}{wall_needed:>10.1f}{cpu_needed:>7.1f}"
                  f"{wall_full / wall_needed:>6.1f}  {len(last.execution.skipped_cells):>7}  {score:>11}  "
                  f"{'yes' if same else 'NO':<13}  {last.execution.fallback or '-'}", flush=True)
    if speedups:
        print(f"median speed-up over {len(speedups)} notebooks: {statistics.median(speedups):.1f}x")


if __name__ == "__main__":
    main()
