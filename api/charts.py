"""Pictures for the dashboard, drawn on the server with matplotlib as SVG (no charting script in the browser)."""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

_STYLE: dict[Any, Any] = {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
          "svg.hashsalt": "grader"}  # a fixed salt: the same data gives the same bytes
_BAR = "#3b6ea8"


# Drawing costs ~0.2 s; the same numbers give the same picture, so recent ones are kept.
@lru_cache(maxsize=64)
def histogram_svg(counts: tuple[int, ...], max_score: float, *, title: str) -> bytes:
    """Bars of how many students scored in each tenth of 0..max_score."""
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(4.2, 2.0), layout="constrained")
        axes = figure.add_subplot()
        width = max_score / len(counts) if counts else 1.0
        edges = [i * width for i in range(len(counts))]
        axes.bar(edges, counts, width=width * 0.92, align="edge", color=_BAR)
        axes.set_xlim(0, max_score or 1)
        axes.set_xlabel("score")
        axes.set_ylabel("students")
        axes.set_title(title, loc="left")
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        return _svg(figure)


@lru_cache(maxsize=64)
def exercise_means_svg(mean_items: tuple[tuple[str, float | None], ...], point_items: tuple[tuple[str, float], ...],
                       *, title: str) -> bytes:
    """Horizontal bars: the class's mean score on each exercise against its points."""
    means, points = dict(mean_items), dict(point_items)
    names = list(means)
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(5.0, 0.45 * len(names) + 0.9), layout="constrained")
        axes = figure.add_subplot()
        rows = range(len(names))
        axes.barh(rows, [points[n] for n in names], color="#e3e8ef", height=0.6)
        axes.barh(rows, [means[n] or 0.0 for n in names], color=_BAR, height=0.6)
        axes.set_yticks(list(rows), names)
        axes.invert_yaxis()
        axes.set_xlabel("mean points (grey: points possible)")
        axes.set_title(title, loc="left")
        return _svg(figure)


def _svg(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
