"""The warm pool: kernels start sandboxed with torch loaded, serve one submission each, and are destroyed."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from grader.assignments import load_assignment
from grader.config import Settings
from grader.grading import execute_and_grade, grade_notebook
from grader.kernel import INLINE_FIGURES, NO_FIGURES, GraderKernelManager, is_alive
from grader.pool import KernelPool
from tests.utils.toy import COMPLETE, toy_notebook

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def test_a_kernel_serves_one_submission_then_is_destroyed_and_replaced(toy_settings: Settings) -> None:
    with KernelPool(toy_settings, size=1) as pool:
        (first,) = pool.idle
        assert first.sandbox is not None
        result = grade_notebook(toy_notebook(), assignment=load_assignment("toy", toy_settings),
                                settings=toy_settings, pool=pool)
        assert (result.status, result.score) == ("graded", 4.0)
        assert not is_alive(first.km) and not first.sandbox.root.exists()
        (second,) = pool.idle
        assert second is not first and is_alive(second.km)
    assert not is_alive(second.km)


def test_a_pooled_kernel_has_torch_numpy_and_matplotlib_loaded_before_the_first_cell(
        toy_settings: Settings) -> None:
    probe = ("import sys\nprint(sorted(m for m in ('torch', 'numpy', 'matplotlib.pyplot') if m in sys.modules),"
             " [n for n in ('torch', 'np', '_torch') if n in globals()])")
    with KernelPool(toy_settings, size=1) as pool:
        _, nb = execute_and_grade(toy_notebook(probe, *COMPLETE), assignment=load_assignment("toy", toy_settings),
                                  settings=toy_settings, pool=pool)
    # loaded, but no names leak into the student's namespace
    assert nb.cells[0].outputs[0]["text"].strip() == "['matplotlib.pyplot', 'numpy', 'torch'] []"


def test_an_idle_kernel_that_died_is_discarded(toy_settings: Settings) -> None:
    with KernelPool(toy_settings, size=2) as pool:
        dead, alive = pool.idle
        dead.km.provisioner.process.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
        dead.km.provisioner.process.wait()  # type: ignore[union-attr]
        with pool.kernel() as kernel:
            assert kernel is alive
        assert dead not in pool.idle and len(pool.idle) == 2


@pytest.mark.parametrize(("figures", "backend"), [(True, INLINE_FIGURES), (False, NO_FIGURES)])
def test_the_figures_setting_chooses_the_kernels_matplotlib_backend(tmp_path: Path, figures: bool,
                                                                   backend: str) -> None:
    manager = GraderKernelManager(socket_dir=tmp_path, figures=figures)
    assert manager.kernel_spec.env["MPLBACKEND"] == backend
