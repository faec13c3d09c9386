"""Static views of the helpers package for the layout tests: which helpers names a piece of
code uses, and which helpers modules import which (deferred, function-local imports included).

Both read source with :mod:`ast` and never run it, so they also see code that a test does not
execute (a notebook's hidden test cells, a function-local import).
"""

from __future__ import annotations

import ast
import functools
import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import nbformat

PACKAGE = "helpers"


@dataclass(frozen=True)
class Use:
    """One use of a helpers name: ``module.name`` as written in ``where`` (file and line)."""

    module: str
    name: str
    where: str


def notebook_source(path: Path) -> str:
    """The code cells of a notebook as one module (IPython magics and shell lines dropped)."""
    cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    lines = [
        line
        for cell in cells
        for line in cell.splitlines()
        if not line.lstrip().startswith(("%", "!"))
    ]
    return "\n".join(lines)


def resolve_relative(module: str | None, level: int, package: str | None) -> str:
    """The absolute module named by ``from <level dots><module> import ...`` inside ``package``."""
    if level == 0:
        return module or ""
    if package is None:
        raise ValueError(f"a relative import (level {level}) outside a package")
    base = package.split(".")
    if level > 1:
        base = base[: -(level - 1)]
    return ".".join(base + ([module] if module else []))


@functools.cache
def _is_module(name: str) -> bool:
    try:
        return isinstance(importlib.import_module(name), ModuleType)
    except ImportError:
        return False


def helpers_uses(source: str, where: str, package: str | None = None) -> list[Use]:
    """Every ``helpers.<module>.<name>`` that ``source`` reaches.

    Counted: ``from helpers.m import x``, ``from helpers import m`` (also ``as reference``)
    followed by ``m.x`` or ``reference.x``, ``import helpers.m`` followed by ``helpers.m.x``,
    and the same through relative imports when ``package`` names the source's package (a
    bench case's ``from .. import progan``). Chains are followed while they name modules
    (``helpers.progan.layers.pixel_norm``).
    """
    tree = ast.parse(source)
    aliases: dict[str, str] = {}  # local name -> the helpers module it is bound to
    uses: list[Use] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                    else:
                        aliases[PACKAGE] = PACKAGE
        elif isinstance(node, ast.ImportFrom):
            module = resolve_relative(node.module, node.level, package)
            if module.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                if alias.name == "*":
                    continue
                full = f"{module}.{alias.name}"
                if _is_module(full):
                    aliases[alias.asname or alias.name] = full
                else:
                    uses.append(Use(module, alias.name, f"{where}:{node.lineno}"))
    parents = {
        id(child): parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)
    }
    for node in ast.walk(tree):
        # the innermost attribute of a chain, on a name bound to a helpers module
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id in aliases:
                uses.extend(_chain(aliases[node.value.id], node, parents, where))
    return uses


def _chain(
    module: str, node: ast.Attribute, parents: dict[int, ast.AST], where: str
) -> Iterator[Use]:
    """``module.a.b...``: one use for the first attribute that is not a submodule."""
    current: ast.AST = node
    while isinstance(current, ast.Attribute):
        full = f"{module}.{current.attr}"
        if not _is_module(full):
            yield Use(module, current.attr, f"{where}:{current.lineno}")
            return
        module = full
        parent = parents.get(id(current))
        if not isinstance(parent, ast.Attribute) or parent.value is not current:
            return
        current = parent


def imported_modules(source: str, package: str | None = None) -> set[str]:
    """The helpers modules that ``source``'s import statements load (packages included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = resolve_relative(node.module, node.level, package)
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        for name in names:
            if name.split(".")[0] == PACKAGE and _is_module(name):
                parts = name.split(".")
                found |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    return found


def unresolved(uses: Iterable[Use]) -> list[str]:
    """The uses whose module lacks the name, as ``where: module.name`` lines."""
    missing = []
    for use in uses:
        module = importlib.import_module(use.module)
        if not hasattr(module, use.name):
            missing.append(f"{use.where}: {use.module}.{use.name}")
    return missing


# --- the import graph -------------------------------------------------------------------------


def module_files(root: Path, package: str = PACKAGE) -> dict[str, Path]:
    """Every module of ``package`` under ``root`` by dotted name (a package by its name)."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def import_graph(root: Path, package: str = PACKAGE) -> dict[str, set[str]]:
    """``module -> the package's modules it imports``, deferred imports included.

    An import of ``a.b.c`` from outside ``a.b`` also runs ``a.b``'s ``__init__`` (and
    ``a``'s), so it counts as an import of those packages too; a package importing its own
    submodules, or a submodule its siblings, does not import the package back.
    """
    files = module_files(root, package)
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        own_package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = resolve_relative(node.module, node.level, own_package)
                # `from a import b` loads the submodule a.b if there is one, else reads a
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base
                    for alias in node.names
                ]
            for target in targets:
                if target not in files or target == name:
                    continue
                graph[name].add(target)
                parts = target.split(".")
                for i in range(1, len(parts)):
                    ancestor = ".".join(parts[:i])
                    if ancestor in files and not (name + ".").startswith(ancestor + "."):
                        graph[name].add(ancestor)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of ``graph``: one path ``[a, b, ..., a]`` per strongly connected part
    (Tarjan's algorithm), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    parts: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            part = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                part.append(top)
                if top == node:
                    break
            if len(part) > 1 or node in graph.get(node, ()):
                parts.append(sorted(part))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(_a_cycle(graph, set(part)) for part in parts)


def _a_cycle(graph: dict[str, set[str]], part: set[str]) -> list[str]:
    """A concrete cycle through the first module of a strongly connected ``part``."""
    start = min(part)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        node = frontier.pop(0)
        for nxt in sorted(graph[node] & part):
            if nxt == start:
                return paths[node] + [start]
            if nxt not in paths:
                paths[nxt] = paths[node] + [nxt]
                frontier.append(nxt)
    return sorted(part)


def closure(graph: dict[str, set[str]], start: Iterable[str]) -> set[str]:
    """Every module that importing ``start`` loads, by ``graph``'s edges."""
    seen: set[str] = set()
    todo = list(start)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph.get(module, ()))
    return seen


def dynamic_imports(root: Path, package: str = PACKAGE) -> list[str]:
    """Calls that import by a computed name (``importlib.import_module``, ``__import__``,
    ``pkgutil`` walks), which the static graph cannot see, as ``file:line`` lines."""
    found = []
    for path in module_files(root, package).values():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in ("import_module", "__import__", "walk_packages", "iter_modules"):
                    found.append(f"{path.relative_to(root)}:{node.lineno}: {name}")
    return found
