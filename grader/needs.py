"""Which cells a grading needs: a static analysis of the notebook's code cells (``[execution] mode = "needed"``).

Each code cell is turned into Python by IPython's own transformers (magics become
``get_ipython()`` calls) and read with ``ast``: the names it binds, the names it
loads (the free names of the functions and classes it defines included), and the
names it mutates (attribute and subscript assignment, method calls on a name,
passing a name to a call, calling a function of the notebook that does one of
these to a global). From the names the suites read, the closure over the cells
that bind or mutate them is what runs, with every import-only cell, every cell
that does not parse, and every cell that reaches past the analysis (``globals()``,
``exec``, ``eval``, ``setattr`` on a module, a magic, a library's global state).

Random state is a hidden input: a kept cell that may draw from torch's, NumPy's or
Python's global generator keeps every earlier cell that may draw, back to the cell
that seeded each generator the notebook imports.

What the analysis cannot see through at all (``%run``, a star import from the
notebook's own files, an attribute named at run time) makes the plan run every cell.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

from IPython.core.inputtransformer2 import TransformerManager
from nbformat import NotebookNode


# Calls that neither draw random numbers nor mutate their arguments.
_PURE_CALLS = frozenset({
    "print", "len", "range", "str", "int", "float", "bool", "repr", "format", "type", "isinstance", "issubclass",
    "hasattr", "getattr", "callable", "id", "abs", "round", "min", "max", "sum", "sorted", "reversed", "enumerate",
    "zip", "list", "tuple", "dict", "set", "frozenset", "any", "all", "divmod", "pow", "hash", "chr", "ord", "display",
    "super", "property", "staticmethod", "classmethod",
})
# Names that reach past any static view of the namespace: the cell always runs.
_DYNAMIC_NAMES = frozenset({"globals", "locals", "vars", "exec", "eval", "__builtins__", "builtins", "__import__",
                            "get_ipython", "importlib", "sys", "setattr", "delattr", "compile"})
# A call on a library module that changes the library's global state ("torch.set_default_dtype").
_STATE_CALL = re.compile(r"^(set_|use_|enable|disable|filterwarnings|simplefilter|chdir|putenv|register|"
                         r"seed$|manual_seed|init_|config|seterr)")
# Calls that read through an iterable they are given (and so draw from a DataLoader, consume an iterator).
_ITERATING_CALLS = frozenset({"list", "tuple", "set", "frozenset", "dict", "sorted", "sum", "min", "max", "any", "all",
                              "enumerate", "zip", "reversed", "next", "iter"})
_SEED_CALLS = frozenset({"seed", "manual_seed", "manual_seed_all", "set_seed", "seed_everything", "seed_all"})
# The global generators a notebook can draw from, by the module that owns each.
_GENERATORS = {"torch": "torch", "numpy": "numpy", "random": "random"}
# Cell magics whose body is Python the cell runs as is.
_CODE_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})
_CODE_LINE_MAGICS = frozenset({"time", "timeit", "prun"})


@dataclass
class CellFacts:
    """What one code cell does to the namespace, as far as its source shows."""

    index: int
    binds: set[str] = field(default_factory=set)
    loads: set[str] = field(default_factory=set)
    late_loads: set[str] = field(default_factory=set)  # free names of the functions and classes it defines
    mutates: set[str] = field(default_factory=set)
    touched: set[str] = field(default_factory=set)  # attribute names and string keys it assigns or deletes
    always: str = ""  # why the cell runs whatever it binds ("" when it may be skipped)
    opaque: str = ""  # what no analysis sees through: the whole notebook then runs
    draws: bool = False  # it calls something that may draw from a global random generator
    reseeds: set[str] = field(default_factory=set)  # generators it seeds before anything may draw
    imports_only: bool = False  # it imports (anywhere in it): imports always run, with their cell
    functions: dict[str, tuple[set[str], set[str]]] = field(default_factory=dict)  # name -> (free names, effects)
    called: set[str] = field(default_factory=set)  # names it calls directly
    derived: dict[str, set[str]] = field(default_factory=dict)  # a name it binds -> names whose objects it may share


@dataclass(frozen=True)
class CellPlan:
    """The code cells a grading runs and those it skips (indices into ``nb.cells``)."""

    run: frozenset[int]
    skipped: tuple[int, ...]
    opaque: str = ""  # non-empty: the analysis could not see through the notebook, every cell runs (why)
    skipped_names: frozenset[str] = frozenset()  # names, attributes and keys the skipped cells bind or mutate
    skipped_sources: tuple[str, ...] = ()  # what a file a kept cell misses may have been written by

    @classmethod
    def everything(cls, nb: NotebookNode, reason: str = "") -> CellPlan:
        return cls(run=frozenset(_code_cells(nb)), skipped=(), opaque=reason)


def plan_cells(nb: NotebookNode, *, needed: Iterable[str], local_modules: Iterable[str] = ()) -> CellPlan:
    """The cells to run so that every name in ``needed`` ends as a full run leaves it.

    ``local_modules`` are the module names of the files the kernel's working
    directory holds (data and support files): a star import from one is opaque.
    """
    try:
        return _plan(nb, needed=set(needed), local_modules=set(local_modules))
    except (RecursionError, RuntimeError, ValueError, MemoryError) as exc:  # a cell too deep or odd to read
        return CellPlan.everything(nb, f"the analysis could not read the notebook ({type(exc).__name__})")


def _plan(nb: NotebookNode, *, needed: set[str], local_modules: set[str]) -> CellPlan:
    sources = {index: nb.cells[index].source for index in _code_cells(nb)}
    trees = {index: _parse(source) for index, source in sources.items()}
    libraries = _library_names((tree for tree in trees.values() if tree is not None), local_modules)
    facts = [cell_facts(index, sources[index], local_modules=local_modules, libraries=libraries,
                        tree=trees[index]) for index in sources]
    opaque = next((f for f in facts if f.opaque), None)
    if opaque is not None:
        return CellPlan.everything(nb, f"code cell {_number(nb, opaque.index)}: {opaque.opaque}")
    _add_call_effects(facts, libraries)
    generators = set(_GENERATORS.values())  # a library draws from numpy's or random's without the notebook importing them
    end = len(facts)
    wanted = dict.fromkeys(needed, end)  # name -> the last position (in ``facts``) a kept cell needs it at
    kept: set[int] = set()

    def keep(position: int) -> None:
        fact = facts[position]
        kept.add(fact.index)
        for name in fact.loads | fact.mutates:  # a mutation needs the value it changes
            wanted[name] = max(wanted.get(name, -1), position)
        for name in fact.late_loads:  # a function may be called at any later point, the tests included
            wanted[name] = end

    changed = True
    while changed:
        changed = False
        for position in reversed(range(end)):  # backwards, so what a kept cell loads is found in one pass
            fact = facts[position]
            if fact.index in kept:
                continue
            if fact.always or fact.imports_only or any(wanted.get(n, -1) > position for n in fact.binds | fact.mutates):
                keep(position)
                changed = True
        for position, fact in enumerate(facts):  # random state: the draws before a kept draw, back to its seeds
            if fact.index not in kept or not fact.draws:
                continue
            unseeded = generators - fact.reseeds
            for earlier in reversed(range(position)):
                if not unseeded:
                    break
                if (facts[earlier].draws or facts[earlier].reseeds & unseeded) and facts[earlier].index not in kept:
                    keep(earlier)
                    changed = True
                unseeded -= facts[earlier].reseeds
    skipped = tuple(f.index for f in facts if f.index not in kept)
    names = set().union(*(f.binds | f.mutates | f.touched for f in facts if f.index in skipped))
    return CellPlan(run=frozenset(kept), skipped=skipped, skipped_names=frozenset(names),
                    skipped_sources=tuple(sources[i] for i in skipped))


def cell_facts(index: int, source: str, *, local_modules: set[str] | None = None,
               libraries: set[str] | None = None, tree: ast.Module | None | bool = False) -> CellFacts:
    """Read one cell's source (IPython syntax) into what it binds, loads and mutates.

    ``libraries`` are the names the notebook's imports bind (default: this cell's):
    calling into them or passing them along mutates nothing of the notebook's own.
    """
    facts = CellFacts(index)
    if not source.strip():
        return facts
    parsed = _parse(source) if tree is False else tree
    if not isinstance(parsed, ast.Module):
        facts.always = "it does not parse"
        return facts
    if libraries is None:
        libraries = _library_names([parsed])
    _Reader(facts, local_modules or set(), libraries).read(parsed)
    facts.imports_only = any(isinstance(s, ast.Import | ast.ImportFrom) for s in parsed.body)
    return facts


def _parse(source: str) -> ast.Module | None:
    """The cell as Python, after IPython's transformers; None if it does not parse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a student's invalid escape sequences are the kernel's to warn about
            return ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):  # ValueError: a NUL byte
        return None


def _library_names(trees: Iterable[ast.Module], local_modules: set[str] | None = None) -> set[str]:
    """Names bound by imports and by nothing else: modules and library objects, not the notebook's variables.

    What the notebook imports from its own files (``from data import X_train``) is its data, not a library's.
    """
    imported: set[str] = set()
    assigned: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0]
                                                     in (local_modules or set())):
                assigned.update(a.asname or a.name for a in node.names)
            elif isinstance(node, ast.alias) and node.name != "*":
                imported.add((node.asname or node.name).split(".")[0])
            elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                assigned.add(node.id)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                assigned.add(node.name)
    return imported - assigned


class _Reader:
    """Walks a cell's module-level statements; function and class bodies only for their free names."""

    def __init__(self, facts: CellFacts, local_modules: set[str], libraries: set[str]) -> None:
        self.facts = facts
        self.local_modules = local_modules
        self.modules = libraries

    def read(self, tree: ast.Module) -> None:
        for statement in tree.body:
            self.statement(statement)

    def statement(self, node: ast.stmt) -> None:
        facts = self.facts
        if isinstance(node, ast.Import | ast.ImportFrom):
            self.imports(node)
            return
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            facts.binds.add(node.name)
            for part in [*node.decorator_list, *_defaults(node), *getattr(node, "bases", []),
                         *[k.value for k in getattr(node, "keywords", [])]]:
                self.executed(part)
            for decorator in node.decorator_list:  # ``@registry.add`` hands the function to registry
                if _target(decorator) is not None and _target(decorator) not in self.modules:
                    facts.mutates.add(str(_target(decorator)))
            free, effects = _free_names(node)
            facts.late_loads |= free  # read when it is called: by the tests, at the end
            facts.functions[node.name] = (free, effects)
            if isinstance(node, ast.ClassDef):  # a class body runs as it is defined
                facts.loads |= free
                facts.mutates |= effects
            return
        self.shared(node)
        self.executed(node)

    def shared(self, node: ast.stmt) -> None:
        """``w = net.weight``, ``first = items[0]``, ``for row in rows``: changing the new name may change the old."""
        pairs: list[tuple[list[ast.expr], ast.expr | None]] = []
        if isinstance(node, ast.Assign):
            pairs.append((list(node.targets), node.value))
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            pairs.append(([node.target], node.value))
        elif isinstance(node, ast.For | ast.AsyncFor):
            pairs.append(([node.target], node.iter))
        elif isinstance(node, ast.With | ast.AsyncWith):
            pairs.extend(([item.optional_vars], item.context_expr) for item in node.items if item.optional_vars)
        for targets, value in pairs:
            sources = _referenced(value) if value is not None else set()
            if not sources:
                continue
            for target in targets:
                for bound in (n.id for n in ast.walk(target) if isinstance(n, ast.Name)):
                    self.facts.derived.setdefault(bound, set()).update(sources - {bound})

    def imports(self, node: ast.Import | ast.ImportFrom) -> None:
        facts = self.facts
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if any(alias.name == "*" for alias in node.names):
                if node.level or module.split(".")[0] in self.local_modules:
                    facts.opaque = f"a star import from the notebook's own {module or 'package'}"
                else:
                    facts.always = f"a star import from {module}"
                return
            for alias in node.names:
                facts.binds.add(alias.asname or alias.name)
            return
        for alias in node.names:
            facts.binds.add(alias.asname or alias.name.split(".")[0])

    def executed(self, node: ast.AST) -> None:
        """A statement or expression that runs when the cell runs."""
        facts = self.facts
        if isinstance(node, ast.Name):
            if node.id in _DYNAMIC_NAMES:
                facts.always = facts.always or f"it uses {node.id}"
            if isinstance(node.ctx, ast.Load):
                facts.loads.add(node.id)
            else:
                facts.binds.add(node.id)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):  # inside an if or a try: still an import
            self.imports(node)
            facts.imports_only = True
            return
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):  # defined inside an if or a try
            self.statement(node)
            return
        if isinstance(node, ast.Lambda):
            facts.late_loads |= _free_names(node)[0]  # its body runs when it is called
            for default in [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]:
                self.executed(default)  # its defaults run now
            return
        if isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            facts.binds.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            facts.binds.add(node.rest)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            facts.binds.add(node.name)
        if isinstance(node, ast.Call) and self.call(node):
            return  # a magic read through: its code, not the get_ipython() call, is what runs
        if isinstance(node, ast.Attribute | ast.Subscript) and not isinstance(node.ctx, ast.Load):
            self.assigned(node)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            facts.loads.add(node.target.id)
            facts.mutates.add(node.target.id)  # ``w *= 0`` changes a tensor or a list in place
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            facts.draws = True  # iterating a DataLoader (or any iterator) may draw and consume it
            if _target(node.iter) is not None:
                facts.mutates.add(str(_target(node.iter)))
        elif isinstance(node, ast.NamedExpr):
            facts.binds.add(node.target.id)
        for child in ast.iter_child_nodes(node):
            self.executed(child)

    def assigned(self, target: ast.Attribute | ast.Subscript) -> None:
        facts = self.facts
        root = _target(target)
        if isinstance(target, ast.Attribute):
            facts.touched.add(target.attr)
        elif isinstance(target.slice, ast.Constant) and isinstance(target.slice.value, str):
            facts.touched.add(target.slice.value)
        if root is None:
            return
        if root in self.modules:
            facts.always = facts.always or f"it changes the library object {root}"
        facts.mutates.add(root)

    def call(self, node: ast.Call) -> bool:
        """Note what a call does; True for a magic whose code was read in its place."""
        facts = self.facts
        name = _called_name(node.func)
        root = _root(node.func)
        if name in {"run_line_magic", "run_cell_magic"} and root == "get_ipython" and self.magic(node):
            return True
        if name in {"run_line_magic", "run_cell_magic", "system", "getoutput"} and root == "get_ipython":
            facts.opaque = facts.opaque or self.opaque_magic(node)
            return False
        if name in {"setattr", "delattr"} and isinstance(node.func, ast.Name):
            attribute = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(attribute, ast.Constant) and isinstance(attribute.value, str)):
                facts.opaque = facts.opaque or f"{name} with an attribute named at run time"
            else:
                facts.touched.add(attribute.value)
        seeded = self.seeded(node) if name in _SEED_CALLS and not facts.draws else set()
        if seeded:
            facts.reseeds |= seeded
        elif name not in _PURE_CALLS or not isinstance(node.func, ast.Name) or name in _ITERATING_CALLS:
            if not (root in self.modules and root in {"plt", "matplotlib", "mpl"}):
                facts.draws = True
        if root is not None and root in self.modules:
            if name and _STATE_CALL.match(name) and name not in _SEED_CALLS:
                facts.always = facts.always or f"it calls {root}...{name}"
        elif isinstance(node.func, ast.Attribute) and _target(node.func) is not None:
            facts.mutates.add(str(_target(node.func)))  # a method call on a name may change what the name holds
        if isinstance(node.func, ast.Name):
            facts.called.add(node.func.id)  # a variable holding a callable (``add_item = ITEMS.append``)
        if isinstance(node.func, ast.Name) and node.func.id in _PURE_CALLS - _ITERATING_CALLS:
            return False
        for argument in [*node.args, *(k.value for k in node.keywords)]:
            passed = _target(argument)
            if passed is not None and passed not in self.modules:
                facts.mutates.add(passed)  # the callee may change what it is given
        return False

    def seeded(self, node: ast.Call) -> set[str]:
        """The global generators a seeding call resets; none where it is unclear (it then counts as a draw).

        A tutorial's own ``set_seed``/``seed_everything`` seeds all three; ``torch.cuda``'s
        generators are not the CPU's; an alias other than ``np`` is not resolved.
        """
        root = _root(node.func)
        name = _called_name(node.func)
        if isinstance(node.func, ast.Name):
            return {"torch", "numpy", "random"} if name in {"set_seed", "seed_everything", "seed_all"} else set()
        if root is None or "cuda" in ast.unparse(node.func):
            return set()
        chain = ast.unparse(node.func)
        if root == "torch" and name == "manual_seed":
            return {"torch"}
        if root in {"np", "numpy"} and chain.endswith("random.seed"):
            return {"numpy"}
        if root == "random" and name == "seed":
            return {"random"}
        return set()

    def magic(self, node: ast.Call) -> bool:
        """``%time``, ``%%capture`` and the like: read the code they run; False if this is no such magic."""
        if _root(node.func) != "get_ipython" or len(node.args) < 2:
            return False
        strings = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if len(strings) != len(node.args):
            return False
        magic, *rest = strings
        if _called_name(node.func) == "run_cell_magic" and magic in _CODE_CELL_MAGICS and len(rest) == 2:
            line, body = rest
            if magic == "capture" and line.split():
                self.facts.binds.add(line.split()[-1])
            code = body
        elif _called_name(node.func) == "run_line_magic" and magic in _CODE_LINE_MAGICS and len(rest) == 1:
            code = rest[0]
        else:
            return False
        inner = cell_facts(self.facts.index, code, local_modules=self.local_modules, libraries=self.modules)
        for name in ("binds", "loads", "late_loads", "mutates", "touched", "reseeds"):
            getattr(self.facts, name).update(getattr(inner, name))
        self.facts.draws = self.facts.draws or inner.draws
        self.facts.always = self.facts.always or inner.always
        self.facts.opaque = self.facts.opaque or inner.opaque
        return True

    def opaque_magic(self, node: ast.Call) -> str:
        """Every other magic runs with the cell; only ``%run`` (a script into the namespace) is opaque."""
        first = node.args[0] if node.args else None
        magic = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else ""
        self.facts.always = self.facts.always or f"it runs the magic {magic or _called_name(node.func)}"
        return "%run runs a script into the notebook's namespace" if magic == "run" else ""


def _add_call_effects(facts: list[CellFacts], libraries: set[str]) -> None:
    """A cell that refers to a function of the notebook binds and mutates what a call to it would.

    Only the notebook's own variables count as mutated: a builtin or a library
    object passed along (``len``, ``torch``) is nothing a skipped cell could change.
    """
    variables = set().union(*(f.binds for f in facts)) - libraries
    functions: dict[str, tuple[set[str], set[str]]] = {}
    for fact in facts:
        for name, (free, found) in fact.functions.items():
            known = functions.get(name, (set(), set()))
            functions[name] = (known[0] | free, known[1] | found)
    effects = {name: found & variables for name, (_, found) in functions.items()}
    changed = True
    while changed:  # a function that refers to another takes on its effects
        changed = False
        for name, (free, _) in functions.items():
            inherited = set().union(*(effects.get(other, set()) for other in free if other != name))
            if not inherited <= effects[name]:
                effects[name] |= inherited
                changed = True
    shares: dict[str, set[str]] = {}
    for fact in facts:
        for name, sources in fact.derived.items():
            for source in sources & variables:  # both ways: either name reaches the shared object
                shares.setdefault(name, set()).add(source)
                shares.setdefault(source, set()).add(name)
    for fact in facts:
        mutated = fact.mutates | set().union(*(effects.get(n, set()) for n in fact.loads))
        mutated |= fact.called - set(functions)  # calling a variable may run anything it holds
        mutated = _reachable(mutated & variables, shares)  # changing a name changes what it shares objects with
        # ``step = train`` or ``partial(reset)``: calling what shares a function does what it does
        mutated |= set().union(*(effects.get(n, set()) for n in mutated if n in functions))
        fact.mutates = _reachable(mutated & variables, shares)


def _reachable(names: set[str], edges: dict[str, set[str]]) -> set[str]:
    found, todo = set(names), list(names)
    while todo:
        for other in edges.get(todo.pop(), set()) - found:
            found.add(other)
            todo.append(other)
    return found


def _referenced(value: ast.expr) -> set[str]:
    """The names an expression's value may hold objects of: all it reads but the functions it calls by name."""
    callees = {id(n.func) for n in ast.walk(value) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return {n.id for n in ast.walk(value)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in callees}


def _free_names(node: ast.AST) -> tuple[set[str], set[str]]:
    """The global names a function, lambda or class body refers to, and the globals it binds or mutates."""
    local: set[str] = set()
    declared_global: set[str] = set()
    loads: set[str] = set()
    effects: set[str] = set()
    body: list[ast.AST] = []
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        body = list(node.body)
    elif isinstance(node, ast.Lambda):
        body = [node.body]
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        arguments = node.args
        local |= {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]}
        local |= {a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None}
    for part in body:
        for child in ast.walk(part):
            if isinstance(child, ast.Global):
                declared_global |= set(child.names)
            elif isinstance(child, ast.Name) and not isinstance(child.ctx, ast.Load):
                local.add(child.id)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                local.add(child.name)
            elif isinstance(child, ast.alias):
                local.add((child.asname or child.name).split(".")[0])
            elif isinstance(child, ast.arg):
                local.add(child.arg)
    local -= declared_global
    for part in body:
        for child in ast.walk(part):
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load) and child.id not in local:
                loads.add(child.id)
            elif isinstance(child, ast.Name) and child.id in declared_global:
                effects.add(child.id)
            elif isinstance(child, ast.Attribute | ast.Subscript) and not isinstance(child.ctx, ast.Load):
                root = _target(child)
                if root is not None and root not in local:
                    effects.add(root)
            elif isinstance(child, ast.Call):
                root = _target(child.func) if isinstance(child.func, ast.Attribute) else None
                if root is not None and root not in local:
                    effects.add(root)
                if isinstance(child.func, ast.Name) and child.func.id in _PURE_CALLS:
                    continue
                for argument in [*child.args, *(k.value for k in child.keywords)]:
                    passed = _target(argument)
                    if passed is not None and passed not in local:
                        effects.add(passed)
    return loads, effects


def _defaults(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[ast.expr]:
    if isinstance(node, ast.ClassDef):
        return []
    return [*node.args.defaults, *[d for d in node.args.kw_defaults if d is not None]]


def _target(node: ast.AST) -> str | None:
    """The name whose value ``a.b[c].d`` (assigned, or a method called on it) belongs to; None past a call."""
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Starred):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _root(node: ast.AST) -> str | None:
    """The name an expression like ``a.b[c].d`` or ``a.f(x).g`` starts from."""
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call | ast.Starred):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _called_name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _code_cells(nb: NotebookNode) -> list[int]:
    return [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and cell.source.strip()]


def _number(nb: NotebookNode, index: int) -> int:
    return sum(1 for cell in nb.cells[: index + 1] if cell.cell_type == "code")
