"""Notebook builders: the shipped student notebook, completed or with exercises swapped out.

Exercise cells are found by their metadata tag ``{"grader": {"exercise": "<id>"}}``.
The cell that completes an exercise is its def or class in
``reference/<assignment>/solution.py``. Sample cells live under ``tests/files/<assignment>/``:

    buggy.toml                            wrong cells, as edits of the reference cell:
                                          each must lose points on that exercise only
    degenerate.toml                       stubs that look like answers (a right-shaped constant,
                                          the input handed back, structure without a forward),
                                          as edits or whole cells (``source``): each scores 0 there
    alternatives/<exercise>/<variant>.py  different but valid cells: must keep full marks
    original-form.ipynb                   a completed notebook in the tutorial's own form
"""

from __future__ import annotations

import importlib.util
import inspect

import ast
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import nbformat
import nbformat.v4
from nbformat import NotebookNode

REPO = Path(__file__).resolve().parents[2]
FILES = REPO / "tests" / "files"

VariantKind = Literal["buggy", "degenerate", "alternatives"]


@dataclass(frozen=True)
class Variant:
    """One sample cell for one exercise (a bug, or a valid alternative)."""

    assignment: str
    exercise: str
    name: str
    source: str
    # exercises graded on what this one's cell leaves (mnist-mlp's training_run trains with the notebook's
    # model, optimizer and train): a stub there costs them points too
    also_loses: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """A readable pytest id, e.g. ``cross_entropy_loss/summed``."""
        return f"{self.exercise}/{self.name}"


def notebook_path(assignment: str) -> Path:
    """Where the assignment's student notebook lives (named by its manifest)."""
    exercise_dir = REPO / "exercises" / assignment
    manifest = tomllib.loads((exercise_dir / "manifest.toml").read_text(encoding="utf-8"))
    return exercise_dir / manifest["notebook"]


def load_notebook(assignment: str) -> NotebookNode:
    """The student notebook as shipped (stubs raise NotImplementedError)."""
    return nbformat.read(notebook_path(assignment), as_version=4)


def exercise_cells(nb: NotebookNode) -> dict[str, NotebookNode]:
    """The tagged exercise cells of a notebook, by exercise id."""
    cells = {}
    for cell in nb.cells:
        exercise = cell.get("metadata", {}).get("grader", {}).get("exercise")
        if exercise is not None:
            cells[exercise] = cell
    return cells


def solution_source(assignment: str, exercise: str) -> str:
    """The cell that completes ``exercise``: its def or class, as written in the reference solution.

    Exercises that are not one def or class (e.g. ``loss_fn = ...; loss = ...``)
    give their cell in a module-level dict literal ``CELLS = {"<exercise>": "<source>"}``.
    """
    path = REPO / "reference" / assignment / "solution.py"
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["CELLS"]:
            cells = ast.literal_eval(node.value)
            if exercise in cells:
                return str(cells[exercise])
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == exercise:
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            return "".join(text.splitlines(keepends=True)[start:node.end_lineno])
    raise KeyError(f"{path} defines no {exercise}")


def complete_notebook(assignment: str, overrides: dict[str, str] | None = None) -> NotebookNode:
    """The student notebook with every exercise cell completed.

    ``overrides`` maps an exercise id to the cell source to use instead of the solution.
    """
    nb = load_notebook(assignment)
    cells = exercise_cells(nb)
    overrides = overrides or {}
    unknown = sorted(set(overrides) - set(cells))
    if unknown:
        raise KeyError(f"{assignment} has no exercise cell for {', '.join(unknown)}")
    for exercise, cell in cells.items():
        source = overrides.get(exercise)
        cell.source = source if source is not None else solution_source(assignment, exercise)
    return nb


def list_variants(assignment: str, kind: VariantKind) -> list[Variant]:
    """Every sample cell of one kind, sorted by exercise then name (for ``parametrize``).

    Alternatives are whole cells in ``alternatives/<exercise>/<name>.py``; buggy
    variants are small edits of the reference cell listed in ``buggy.toml``.
    """
    if kind in ("buggy", "degenerate"):
        path = FILES / assignment / f"{kind}.toml"
        spec = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"variant": []}
        found = [
            Variant(assignment, v["exercise"], v["name"],
                    v["source"] if "source" in v else _patched(solution_source(assignment, v["exercise"]), v),
                    tuple(v.get("also_loses", ())))
            for v in spec["variant"]
        ]
        return sorted(found, key=lambda v: (v.exercise, v.name))
    root = FILES / assignment / kind
    return [
        Variant(assignment, path.parent.name, path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(root.glob("*/*.py"))
    ]


def _patched(source: str, variant: dict[str, Any]) -> str:
    for old, new in variant["replace"]:
        if source.count(old) != 1:
            raise ValueError(f"buggy variant {variant['name']}: {old!r} must occur once in the reference cell")
        source = source.replace(old, new)
    return source


def original_form_notebook(assignment: str) -> NotebookNode:
    """A completed notebook in the tutorial's original form (pip cells, widgets, remote styles...)."""
    return nbformat.read(FILES / assignment / "original-form.ipynb", as_version=4)


def original_form_with_demos(assignment: str) -> NotebookNode | None:
    """The completed original form with the tutorial's own demo run lengths (``make_original.build(demos=True)``);
    None for an assignment without one. The test suite grades the shortened, checked-in form."""
    path = FILES / assignment / "make_original.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"make_original_{assignment.replace('-', '_')}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    build = module.build
    nb: NotebookNode = build(demos=True) if "demos" in inspect.signature(build).parameters else build()
    return nb


def assemble_original_form(sources: list[tuple[str, str]], *, colab: bool = True) -> NotebookNode:
    """An original-form notebook from (kind, source) pairs, with stable cell ids and the tutorial's metadata
    (a Colab origin where it had one, a kernelspec that exists nowhere)."""
    cells = []
    for index, (kind, source) in enumerate(sources):
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        cells.append(make(source, id=f"cell-{index:02d}"))
    metadata: dict[str, Any] = {"colab": {"provenance": []}} if colab else {}
    metadata |= {
        "kernelspec": {"name": "nonexistent-kernel", "display_name": "Python 3 (nonexistent)", "language": "python"},
        "language_info": {"name": "python"},
    }
    nb = nbformat.v4.new_notebook(cells=cells, metadata=metadata)
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nb


def write_notebook(nb: NotebookNode, path: Path) -> Path:
    """Validate ``nb`` and write it to ``path``; return the path."""
    path = Path(path)
    nbformat.validate(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
