"""How long one submission can hold a grading slot through its tests: every function answers just under the call limit.

    .venv/bin/python bench/suite_budget.py [--assignment neural-learning] [--delay 29]

Grades the completed notebook once as it is and once with each exercise's function
wrapped to sleep ``--delay`` seconds before answering (correct, but slow), at the
default limits (30 s per call, the suites' budgets from Settings). Prints the wall
time, the status and the score of both. Takes about as long as the suite budget.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from nbformat.v4 import new_code_cell

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.assignments import load_assignment  # noqa: E402
from grader.config import get_settings  # noqa: E402
from grader.grading import grade_notebook  # noqa: E402
from tests.utils.notebooks import complete_notebook  # noqa: E402

SLOW = """import time as _time
for _name in {names!r}:
    def _slow(*args, _f=globals()[_name], **kwargs):
        _time.sleep({delay})
        return _f(*args, **kwargs)
    globals()[_name] = _slow
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="neural-learning")
    parser.add_argument("--delay", type=float, default=29.0, help="seconds each call sleeps before answering")
    args = parser.parse_args()
    settings = get_settings()
    assignment = load_assignment(args.assignment, settings)
    print(f"{assignment.id}: call limit {assignment.call_timeout(settings):g} s, exercise budget "
          f"{assignment.exercise_budget(settings):g} s, suite budget {assignment.suite_budget(settings):g} s")
    names = [e.id for e in assignment.manifest.exercises]
    for label, delay in (("as written", 0.0), (f"each call +{args.delay:g} s", args.delay)):
        nb = complete_notebook(assignment.id)
        if delay:
            nb.cells.append(new_code_cell(SLOW.format(names=names, delay=delay)))
        started = time.monotonic()
        result = grade_notebook(nb, assignment=assignment, settings=settings, seed=0)
        print(f"{label:>20}: {time.monotonic() - started:6.1f} s wall, cells {result.execution.duration_s:5.1f} s, "
              f"{result.status.value}, {result.score:g}/{result.max_score:g}", flush=True)


if __name__ == "__main__":
    main()
