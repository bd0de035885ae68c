"""Skipping the cells no grade depends on (``grader.needs``): what runs, what is skipped, and when every cell runs.

The analysis is checked on its own (which cells a plan keeps) and through gradings:
the toy assignment in ``needed`` mode, graded in process both ways, must give the
verdicts of a full run, test by test. The assignments' matrices are graded both
ways in ``test_assignment_contract.py``; a real kernel in ``test_grading_needed_cells``.
"""

from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.assignments import Assignment, Execution, load_assignment
from grader.config import Settings
from grader.execution import NOT_RUN_NOTE
from grader.grading import execute_and_grade, grade_notebook
from grader.models import CellError, ExecutionInfo, GradeResult
from grader.fallback import fallback_reason
from grader.needs import CellPlan, cell_facts, plan_cells
from tests.utils.inprocess import grade_in_process
from tests.utils.toy import ADD, DOUBLER, IMPORTS, SCALE, toy_notebook

SLOW_DEMO = "demo = [scale(float(i), 2.0) for i in range(3)]\nprint(demo)"


def _plan(*cells: str, needed: set[str]) -> CellPlan:
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    return plan_cells(nb, needed=needed)


def _needed_toy(settings: Settings) -> Assignment:
    """The toy assignment with ``[execution] mode = "needed"`` (its manifest runs every cell)."""
    toy = load_assignment("toy", settings)
    manifest = toy.manifest.model_copy(update={"execution": Execution(mode="needed")})
    return Assignment(manifest=manifest, exercise_dir=toy.exercise_dir, reference_dir=toy.reference_dir)


def _both_ways(settings: Settings, *cells: str) -> tuple[GradeResult, GradeResult]:
    toy = _needed_toy(settings)
    nb = toy_notebook(*cells)
    needed = grade_in_process(nb, assignment=toy, settings=settings, seed=0)
    full = grade_in_process(nb, assignment=toy, settings=settings, seed=0, full=True)
    return needed, full


def _verdicts(result: GradeResult) -> dict[str, list[tuple[str, bool, float]]]:
    return {e.id: [(t.name, t.passed, t.points) for t in e.tests] for e in result.exercises}


@pytest.fixture
def settings(toy_settings: Settings) -> Settings:
    return toy_settings


def test_a_demo_cell_that_binds_nothing_graded_is_skipped() -> None:
    plan = _plan(IMPORTS, "numbers = 1", ADD, "print(add(1, 2))\nresult = add(3, 4)", SCALE,
                 needed={"add", "scale"})
    assert plan.skipped == (1, 3) and plan.run == {0, 2, 4}  # a cell that imports always runs
    assert "result" in plan.skipped_names


def test_what_a_kept_cell_loads_is_kept_before_it() -> None:
    plan = _plan("OFFSET = 1", "def add(a, b):\n    return a + b + OFFSET", "OFFSET = 2\nother = 3",
                 needed={"add"})
    assert plan.run == {0, 1, 2}  # the later rebinding changes what add returns when the tests call it
    plan = _plan("x = 1", "def add(a, b):\n    return a + b", "y = x + 1", needed={"add"})
    assert plan.run == {1}


def test_a_demo_cell_mutating_a_needed_list_runs() -> None:
    cells = ("FACTORS = [2]", "def scale(x, k):\n    return x * k * FACTORS[0] / 2", "FACTORS.append(5)",
             "FACTORS[0] = 3", "helper = lambda: FACTORS.clear()", "print(len(FACTORS))")
    plan = _plan(*cells, needed={"scale"})
    assert plan.run == {0, 1, 2, 3} and plan.skipped == (4, 5)  # defining the lambda changes nothing yet


def test_a_function_that_changes_a_global_counts_where_it_is_called() -> None:
    cells = ("STATE = {'k': 2}", "def scale(x, k):\n    return x * STATE['k']",
             "def reset():\n    STATE['k'] = 3", "def run_demo():\n    reset()", "run_demo()")
    assert _plan(*cells, needed={"scale"}).run == {0, 1, 2, 3, 4}
    aliased = (*cells[:3], "step = reset", "step()", "x = 1")
    assert _plan(*aliased, needed={"scale"}).skipped == (5,)  # calling what shares reset does what it does


def test_globals_exec_eval_setattr_and_magics_always_run() -> None:
    for source in ("globals()['add'] = lambda a, b: a - b", "exec('x = 1')", "eval('1')",
                   "import builtins\nbuiltins.len = None", "setattr(torch, 'allclose', None)",
                   "%matplotlib inline", "torch.allclose = lambda *a, **k: True", "torch.set_default_dtype(float)"):
        facts = cell_facts(0, source, libraries={"torch", "builtins"})  # names the notebook's imports bound
        assert facts.always or facts.imports_only, source


def test_what_no_analysis_sees_through_runs_every_cell() -> None:
    for source, why in (("%run helpers.py", "%run"), ("from data import *", "star import"),
                        ("setattr(model, name, 1)", "named at run time")):
        plan = plan_cells(new_notebook(cells=[new_code_cell(ADD), new_code_cell(source), new_code_cell("z = 1")]),
                          needed={"add"}, local_modules={"data"})
        assert plan.skipped == () and why in plan.opaque, source


def test_time_and_capture_magics_are_read_through() -> None:
    plan = _plan("%%time\ndef add(a, b):\n    return a + b", "%%capture out\nx = add(1, 2)",
                 "%time y = 2", needed={"add"})
    assert plan.run == {0} and plan.skipped == (1, 2)


def test_a_cell_that_does_not_parse_runs() -> None:
    assert _plan(ADD, "def broken(:\n    pass", needed={"add"}).run == {0, 1}


def test_random_draws_before_a_kept_draw_run_back_to_the_seed() -> None:
    cells = ("import torch", "torch.manual_seed(0)", "demo = torch.randn(5)", "noise = torch.rand(1).item()",
             "def add(a, b):\n    return a + b + 0 * noise", "torch.manual_seed(1)\nlater = torch.randn(3)")
    plan = _plan(*cells, needed={"add"})
    assert plan.run == {0, 1, 2, 3, 4}  # the demo's draw moves the generator noise is drawn from
    reseeded = ("import torch", "demo = torch.randn(5)",
                "torch.manual_seed(0)\nnp.random.seed(0)\nrandom.seed(0)\nnoise = torch.rand(1).item()",
                "def add(a, b):\n    return a + b + 0 * noise")
    assert _plan(*reseeded, needed={"add"}).skipped == (1,)  # seeds before the draw make the demo irrelevant
    torch_only = (*reseeded[:2], "torch.manual_seed(0)\nnoise = torch.rand(1).item()", reseeded[3])
    assert _plan(*torch_only, needed={"add"}).skipped == ()  # the demo may have moved numpy's or random's


def test_fallback_when_an_error_names_what_a_skipped_cell_binds() -> None:
    plan = CellPlan(run=frozenset({0}), skipped=(1,), skipped_names=frozenset({"secret", "weights"}),
                    skipped_sources=("torch.save(net, 'model.pt')",))

    def result(*errors: CellError, message: str = "") -> GradeResult:
        return GradeResult.model_validate({
            "assignment": "toy", "status": "graded", "score": 0.0, "max_score": 1.0,
            "exercises": [{"id": "add", "score": 0.0, "max_score": 1.0, "tests": [
                {"name": "test_add", "points": 0.0, "max_points": 1.0, "passed": not message, "hidden": False,
                 "message": message}]}],
            "execution": ExecutionInfo(duration_s=0.0, cell_errors=list(errors)).model_dump()})

    named = CellError(cell=3, ename="NameError", evalue="name 'secret' is not defined")
    assert "secret" in fallback_reason(plan, result(named))
    assert fallback_reason(plan, result(CellError(cell=3, ename="NameError", evalue="name 'other' is not defined"))) == ""
    assert "weights" in fallback_reason(plan, result(message="add raised AttributeError: 'Net' has no attribute 'weights'"))
    assert "secret" in fallback_reason(plan, result(message="secret is not defined: did the cell that defines it run"))
    assert fallback_reason(plan, result(message="add returned 3, expected 4")) == ""
    missing = "[Errno 2] No such file or directory: 'model.pt'"
    assert "model" in fallback_reason(plan, result(CellError(cell=2, ename="FileNotFoundError", evalue=missing)))
    offline = CellError(cell=1, ename="ModuleNotFoundError", evalue="No module named 'vibecheck'")
    assert fallback_reason(plan, result(offline)) == ""  # no skipped cell could have written it
    assert "model" in fallback_reason(plan, result(message=f"load raised FileNotFoundError: {missing}"))
    assert fallback_reason(CellPlan(run=frozenset({0}), skipped=()), result(named)) == ""


@pytest.mark.parametrize("cells", [
    pytest.param((IMPORTS, ADD, SCALE, DOUBLER, SLOW_DEMO), id="complete-with-demo"),
    pytest.param((IMPORTS, ADD, SCALE, DOUBLER, "globals()['add'] = lambda a, b: a - b"), id="globals-rebinding"),
    pytest.param((IMPORTS, "FACTORS = [2]", ADD, "def scale(x, k):\n    return x * k * FACTORS[0] / 2", DOUBLER,
                  "FACTORS[0] = 3", SLOW_DEMO), id="demo-mutating-a-needed-list"),
    pytest.param((IMPORTS, "torch.manual_seed(2)", "demo = torch.rand(3)", "LUCKY = torch.rand(1).item()",
                  "def add(a, b):\n    return a + b if LUCKY > 0.5 else a - b", SCALE, DOUBLER), id="random-state"),
    pytest.param((IMPORTS, "secret = 1", "exec('def add(a, b):\\n    return a + b * secret')", SCALE, DOUBLER),
                 id="exec-reading-a-demo-name"),
])
def test_needed_run_gives_the_full_runs_verdicts(settings: Settings, cells: tuple[str, ...]) -> None:
    needed, full = _both_ways(settings, *cells)
    assert _verdicts(needed) == _verdicts(full)
    assert full.execution.mode == "full" and full.execution.skipped_cells == []


def test_the_random_state_case_would_differ_without_the_demo(settings: Settings) -> None:
    """The random-state case above is a real check: without its demo draw, add's verdict changes.

    After seed 2, LUCKY is 0.47 behind the demo's three draws (add subtracts) and 0.61 without them.
    """
    with_demo = (IMPORTS, "torch.manual_seed(2)", "demo = torch.rand(3)", "LUCKY = torch.rand(1).item()",
                 "def add(a, b):\n    return a + b if LUCKY > 0.5 else a - b", SCALE, DOUBLER)
    without = tuple(c for c in with_demo if not c.startswith("demo"))
    _, full = _both_ways(settings, *with_demo)
    _, other = _both_ways(settings, *without)
    assert _verdicts(full)["add"] != _verdicts(other)["add"]


def test_a_fallback_is_counted_in_the_result(settings: Settings) -> None:
    """exec's cell always runs, but what it reads is past the analysis: its NameError on a skipped name
    sends the grading back to every cell, and the result says why."""
    needed, full = _both_ways(settings, IMPORTS, "secret = 1", ADD, "exec('print(secret)')", SCALE, DOUBLER)
    assert needed.execution.mode == "full" and needed.execution.skipped_cells == []
    assert "NameError on secret" in needed.execution.fallback
    assert [e.ename for e in needed.execution.cell_errors] == [] == [e.ename for e in full.execution.cell_errors]


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_grading_needed_cells_in_a_kernel(toy_settings: Settings) -> None:
    """A real kernel: the demo is skipped, listed in the result and shown as not run; --full runs it."""
    toy = _needed_toy(toy_settings)
    nb = toy_notebook(IMPORTS, ADD, SCALE, DOUBLER, SLOW_DEMO)
    nb.cells.insert(1, new_markdown_cell("# notes"))
    result, executed = execute_and_grade(nb, assignment=toy, settings=toy_settings)
    assert (result.execution.mode, result.execution.skipped_cells) == ("needed", [5])
    assert result.score == result.max_score
    assert executed.cells[5].execution_count is None
    assert [o.get("text") for o in executed.cells[5].outputs] == [NOT_RUN_NOTE]
    assert executed.cells[2].execution_count is not None
    full = grade_notebook(nb, assignment=toy, settings=toy_settings, full=True)
    assert (full.execution.mode, full.execution.skipped_cells) == ("full", [])
    assert _verdicts(full) == _verdicts(result)


def test_changing_a_name_that_shares_an_object_with_a_needed_one_runs() -> None:
    cells = ("FACTORS = [2]", "def scale(x, k):\n    return x * k * FACTORS[0] / 2", "alias = FACTORS",
             "alias.append(5)", "first = FACTORS[0:1]\nfirst.clear()", "for row in [FACTORS]:\n    row.insert(0, 3)",
             "copy = list(range(3))\ncopy.append(1)")
    plan = _plan(*cells, needed={"scale"})
    assert plan.run == {0, 1, 2, 3, 4, 5} and plan.skipped == (6,)


def test_bindings_outside_assignments_count() -> None:
    for source in ("match 1:\n    case scale:\n        pass", "try:\n    1 / 0\nexcept Exception as scale:\n    pass",
                   "class Demo:\n    FACTORS.append(1)", "f = lambda x=FACTORS.append(1): x", "del scale",
                   "for scale in [1]:\n    pass", "with open('x') as scale:\n    pass", "(scale := 3)"):
        facts = cell_facts(0, source)
        assert {"scale", "FACTORS"} & (facts.binds | facts.mutates), source


def test_what_the_review_found_is_kept() -> None:
    """Imports and definitions inside a try, aliases either way, callables held in variables, iteration."""
    tqdm = ("try:\n    from tqdm.notebook import tqdm\nexcept ImportError:\n    from tqdm import tqdm",
            "def train(n):\n    return [e for e in tqdm(range(n))]")
    assert _plan(*tqdm, needed={"train"}).run == {0, 1}
    assert _plan("if True:\n    def add(a, b):\n        return a + b", "x = 1", needed={"add"}).run == {0}
    config = ("DEFAULTS = {'k': 2}", "CONFIG = DEFAULTS", "def scale(x):\n    return x * CONFIG['k']",
              "DEFAULTS['k'] = 3")
    assert _plan(*config, needed={"scale"}).run == {0, 1, 2, 3}
    held = ("ITEMS = []", "def scale(x):\n    return x * len(ITEMS)", "add_item = ITEMS.append", "add_item(3)")
    assert _plan(*held, needed={"scale"}).run == {0, 1, 2, 3}
    inplace = ("W = [1.0]", "def scale(x):\n    return x * W[0]", "w = W", "w *= 2")
    assert _plan(*inplace, needed={"scale"}).run == {0, 1, 2, 3}
    loader = ("import torch", "torch.manual_seed(0)", "for batch in range(3):\n    print(batch)",
              "noise = torch.rand(1)", "def add(a, b):\n    return a + b + 0 * noise")
    assert _plan(*loader, needed={"add"}).run == {0, 1, 2, 3, 4}
    local = ("from data import X_train", "def add(a, b):\n    return a + b + X_train", "X_train.sub_(1)")
    assert plan_cells(new_notebook(cells=[new_code_cell(c) for c in local]), needed={"add"},
                      local_modules={"data"}).run == {0, 1, 2}


def test_a_notebook_too_deep_to_read_runs_every_cell() -> None:
    deep = "x = " + " + ".join(["1"] * 3000)
    plan = _plan(ADD, deep, needed={"add"})
    assert plan.skipped == () and plan.run == {0, 1}
