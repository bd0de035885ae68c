"""Grade each reference-completed notebook under many secret seeds; list any test that ever fails.

A hidden test that fails a correct solution for rare inputs (tolerances, ill-conditioned
draws) costs students points at random. Run by hand after changing a suite:
``.venv/bin/python bench/seed_robustness.py --seeds 50 [ASSIGNMENT...]``. Gradings run
in process (kernel-less), so a few hundred take minutes.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import copy
import io
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.assignments import list_assignments, load_assignment  # noqa: E402
from grader.config import get_settings  # noqa: E402
from tests.utils.inprocess import grade_in_process  # noqa: E402
from tests.utils.notebooks import complete_notebook  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="default: all")
    parser.add_argument("--seeds", type=int, default=30)
    args = parser.parse_args()
    settings = get_settings()
    for assignment_id in args.assignments or list_assignments(settings):
        assignment = load_assignment(assignment_id, settings)
        notebook = complete_notebook(assignment_id)
        failures: collections.Counter[str] = collections.Counter()
        for _ in range(args.seeds):
            seed = secrets.randbits(63)
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                result = grade_in_process(copy.deepcopy(notebook), assignment=assignment, settings=settings, seed=seed)
            for exercise in result.exercises:
                for test in exercise.tests:
                    if not test.passed:
                        failures[f"{exercise.id}::{test.name} (seed {seed}): {test.message}"] += 1
        print(f"{assignment_id}: {args.seeds} seeds, {len(failures)} failing test runs")
        for line in failures:
            print(f"  {line}")


if __name__ == "__main__":
    main()
