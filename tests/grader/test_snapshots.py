"""Each exercise's names as its own cell left them: ``student.at_exercise(id)``.

Tutorials rebind ``loss_fn``, ``out`` and ``net`` after an exercise's cell. The kernel keeps,
after every cell, the names of each exercise the cell completed (by reference, in its own
memory); the suites read them through the channel like any other value: data, or a handle.
The engine is checked here on a small assignment of its own, in a real sandboxed kernel and
in process (the transport ``grader check`` and the variant matrices use).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from grader.assignments import load_assignment
from grader.config import Settings
from grader.grading import grade_notebook
from grader.models import GradeResult
from tests.utils.inprocess import grade_in_process

MANIFEST = """\
id = "snap"
title = "Snapshots"
notebook = "snap.ipynb"

[limits]
cell_timeout_s = 10
total_timeout_s = 60
call_timeout_s = 10

[[exercises]]
id = "mse"
title = "A loss and its value"
points = 1
names = ["loss_fn", "loss"]
context = ["out"]

[[exercises]]
id = "split"
title = "Names completed over two cells"
points = 1
names = ["first", "second"]

[[exercises]]
id = "hostile"
title = "An object that booby-traps every dunder"
points = 1
names = ["trap"]
"""

# Each test checks one promise; the Python tests below assert that every one passed.
SUITE = '''\
import pytest
import torch

from grader.errors import StudentError, SuiteError
from grader.expect import expect
from grader.student import Handle


@pytest.mark.exercise("mse")
@pytest.mark.points(1)
def test_values_are_the_exercise_cells(student):
    kept = student.at_exercise("mse")
    expect(float(kept.loss) == 1.0, f"loss at the exercise: {kept.loss!r}")
    expect(torch.equal(kept.out, torch.ones(3)), "out at the exercise")
    expect(isinstance(kept.loss_fn, Handle), "loss_fn comes back as a handle")
    expect(float(kept.loss_fn(torch.ones(2), torch.zeros(2))) == 1.0, "the kept loss_fn is the MSE")
    expect(student.get("loss") == 5 and student.get("loss_fn") is None, "the live values are the last cell's")


@pytest.mark.exercise("mse")
@pytest.mark.points(1)
def test_unknown_names_are_missing(student):
    kept = student.at_exercise("mse")
    expect(kept.has("loss") and not kept.has("unrelated"), "has() answers for the snapshot")
    with pytest.raises(StudentError, match="unrelated was not defined when the mse exercise was completed"):
        kept.get("unrelated")


@pytest.mark.exercise("mse")
@pytest.mark.points(1)
def test_an_exercise_the_manifest_lacks_is_a_suite_error(student):
    with pytest.raises(SuiteError, match="not an exercise of this assignment"):
        student.at_exercise("typo")


@pytest.mark.exercise("split")
@pytest.mark.points(1)
def test_completed_over_two_cells(student):
    kept = student.at_exercise("split")
    expect((kept.first, kept.second) == (1, 2), f"split kept {(kept.first, kept.second)!r}")


@pytest.mark.exercise("hostile")
@pytest.mark.points(1)
def test_hostile_object_stays_behind_a_handle(student):
    trap = student.at_exercise("hostile").trap
    expect(isinstance(trap, Handle) and trap.type_name == "Trap", f"got {type(trap).__name__}")
    expect(student.get("sprung") == [], f"keeping the snapshot ran student code: {student.get('sprung')!r}")
'''

CELLS = [
    "import torch\nout = torch.ones(3)\nfirst = 1",
    "loss_fn = torch.nn.MSELoss()\nloss = loss_fn(out, torch.zeros(3))",
    "second = 2",
    textwrap.dedent("""\
        sprung = []
        class Trap:
            # every hook a careless snapshot (comparison, hashing, copying, pickling) would call
            def __eq__(self, other): sprung.append('eq'); return True
            def __ne__(self, other): sprung.append('ne'); return False
            def __hash__(self): sprung.append('hash'); return 0
            def __bool__(self): sprung.append('bool'); return True
            def __copy__(self): sprung.append('copy'); return self
            def __deepcopy__(self, memo): sprung.append('deepcopy'); return self
            def __reduce__(self): sprung.append('reduce'); return (Trap, ())
            def __getattr__(self, name): sprung.append('getattr ' + name); raise AttributeError(name)
        trap = Trap()"""),
    # the tutorial's habit: later cells rebind the exercise's names
    "loss_fn = None\nout = torch.zeros(3)\nloss = 5\nfirst = 10\nsecond = 20\ntrap = Trap()",
]


@pytest.fixture
def snap_settings(tmp_path: Path) -> Settings:
    exercise_dir = tmp_path / "exercises" / "snap"
    (exercise_dir / "tests").mkdir(parents=True)
    (exercise_dir / "manifest.toml").write_text(MANIFEST)
    nbformat.write(new_notebook(cells=[new_code_cell("")]), exercise_dir / "snap.ipynb")
    hidden = tmp_path / "reference" / "snap" / "tests"
    hidden.mkdir(parents=True)
    (hidden.parent / "solution.py").write_text("")
    (hidden / "test_snap.py").write_text(SUITE)
    return Settings(exercises_dir=tmp_path / "exercises", reference_dir=tmp_path / "reference",
                    cache_dir=tmp_path / "cache")


def _all_passed(result: GradeResult) -> None:
    failures = [(t.name, t.message) for e in result.exercises for t in e.tests if not t.passed]
    assert failures == [] and result.score == result.max_score, failures


@pytest.mark.slow
def test_snapshots_in_a_sandboxed_kernel(snap_settings: Settings) -> None:
    nb = new_notebook(cells=[new_code_cell(c) for c in CELLS])
    result = grade_notebook(nb, assignment=load_assignment("snap", snap_settings), settings=snap_settings)
    assert result.execution.cell_errors == []
    _all_passed(result)


def test_snapshots_in_process(snap_settings: Settings) -> None:
    nb = new_notebook(cells=[new_code_cell(c) for c in CELLS])
    _all_passed(grade_in_process(nb, assignment=load_assignment("snap", snap_settings), settings=snap_settings))


def test_the_first_cell_after_which_all_the_names_are_defined_completes_the_exercise(
        snap_settings: Settings) -> None:
    """Without the exercise's own cell, the first cell that completes its names is the one kept."""
    cells = [CELLS[0], CELLS[3], "loss_fn = None\nloss = 5\nsecond = 2"]
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    result = grade_in_process(nb, assignment=load_assignment("snap", snap_settings), settings=snap_settings)
    by_name = {t.name: t for e in result.exercises for t in e.tests}
    assert by_name["completed_over_two_cells"].passed  # the third cell completed split
    assert not by_name["values_are_the_exercise_cells"].passed
    assert "loss at the exercise: 5" in by_name["values_are_the_exercise_cells"].message
