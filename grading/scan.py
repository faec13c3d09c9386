"""A static scan of a submission for code that rebinds what the tests rely on.

It flags, for the instructor to review (never as a penalty), any cell that assigns to or
deletes an attribute of ``helpers``, ``torch``, ``numpy``, ``builtins`` or ``sys`` (through
any import alias), calls ``setattr``/``delattr``/``object.__setattr__`` on them, touches
``sys.modules``, ``__builtins__``, ``__globals__``, ``__code__`` or a module's ``__dict__``.
Obfuscated code can evade a static scan; the runtime seals of :mod:`helpers.checks.integrity`
and the isolation of the kernel are the other two layers.
"""

from __future__ import annotations

import ast
import contextlib
import threading
from pathlib import Path

import nbformat

__all__ = ["scan_notebook", "scan_source"]

WATCHED_ROOTS = ("helpers", "torch", "numpy", "builtins", "sys")
SUSPICIOUS_NAMES = {"__globals__", "__code__", "__builtins__", "__dict__", "__defaults__"}


# the names the course's setup cells bind, so a cell that only uses them is still understood
DEFAULT_ALIASES = {"np": "numpy", "F": "torch.nn.functional", "nn": "torch.nn"}


def _parse(source: str) -> ast.AST | None:
    lines = [
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    ]  # IPython magics and shell escapes are not Python
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _module_aliases(trees: list[ast.AST]) -> dict[str, str]:
    aliases = {root: root for root in WATCHED_ROOTS} | DEFAULT_ALIASES
    for node in (node for tree in trees for node in ast.walk(tree)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return {
        name: module for name, module in aliases.items() if module.split(".")[0] in WATCHED_ROOTS
    }


def _root(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def scan_source(source: str, aliases: dict[str, str] | None = None) -> list[str]:
    """The suspicious statements in one cell's code, as ``line N: <code>`` strings.

    ``aliases`` maps names to the modules they were imported as (all of a notebook's cells);
    by default, the imports of this source itself.
    """
    tree = _parse(source)
    if tree is None:
        return []
    aliases = aliases if aliases is not None else _module_aliases([tree])
    found: dict[int, str] = {}  # one report per line: the outermost statement, seen first

    def flag(node: ast.AST) -> None:
        found.setdefault(node.lineno, ast.unparse(node)[:120])

    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        for target in targets:
            if isinstance(target, (ast.Attribute, ast.Subscript)) and _root(target) in aliases:
                flag(node)
            elif isinstance(target, ast.Attribute) and target.attr in SUSPICIOUS_NAMES:
                flag(node)
            elif (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Call)
                and ast.unparse(target.value.func) == "vars"
                and target.value.args
                and _root(target.value.args[0]) in aliases
            ):
                flag(node)  # vars(module)[name] = ...
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if name in {"setattr", "delattr", "object.__setattr__", "object.__delattr__"}:
                if node.args and (_root(node.args[0]) in aliases or name.startswith("object")):
                    flag(node)
        if isinstance(node, ast.Attribute) and node.attr in SUSPICIOUS_NAMES | {"modules"}:
            if node.attr != "modules" or _root(node) in aliases:
                flag(node)
    return [f"line {line}: {code}" for line, code in sorted(found.items())]


# CPython 3.11's ast module counts its recursion depth in state shared by all threads: two
# threads parsing at once can fail with "SystemError: AST constructor recursion depth
# mismatch" (python/cpython#106905), seen here when two grading workers scanned together
_ONE_AT_A_TIME = threading.Lock()

# what parsing or walking a pathological cell raises (thousands of nested operators, a null
# byte): the kernel cannot run such a cell either, but the instructor should know of it
_UNSCANNABLE = (RecursionError, MemoryError, ValueError)


def scan_notebook(path: Path) -> list[str]:
    """Suspicious statements in every code cell of a notebook, as ``cell N, line M: ...``,
    and ``cell N: could not be scanned`` for a cell too deep to parse (one scan at a time in
    a process: safe from any number of threads)."""
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as err:  # noqa: BLE001 - an unreadable file is reported, not scanned
        return [f"could not be read as a notebook: {type(err).__name__}"]
    code = [(index, cell.source) for index, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    trees = {}
    with _ONE_AT_A_TIME:
        for index, source in code:
            with contextlib.suppress(*_UNSCANNABLE):
                trees[index] = _parse(source)
        aliases = _module_aliases([tree for tree in trees.values() if tree is not None])
        flags = []
        for index, source in code:
            try:
                found = scan_source(source, aliases) if index in trees else None
            except _UNSCANNABLE:
                found = None
            if found is None:
                flags.append(f"cell {index}: could not be scanned (nested too deeply or not "
                             "text): read it")  # fmt: skip
            else:
                flags += [f"cell {index}, {item}" for item in found]
    return flags
