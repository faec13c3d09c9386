"""Seals that keep a notebook cell from talking a test cell out of its verdict.

Student code runs in the same kernel as the tests, so it could replace what the tests rely
on: ``checks._fail = lambda *a: None``, ``torch.allclose = lambda *a: True``, a reference's
``__code__``. :func:`seal` runs in the locked setup cell
(:func:`helpers.runtime.setup_notebook`), before any student code, on the modules it is given
(the setup cell passes every ``helpers`` module it has imported; this module imports none):

* each of them, and each already imported submodule of a package among them, becomes a
  :class:`SealedModule`, so rebinding or deleting one of its names raises ``AttributeError``;
* it records what torch, numpy, math and Python's builtins hold, and the code of every
  function and method of the sealed modules.

Every check then calls :func:`guard` first, which puts back anything replaced since, so the
check judges the student's code with the real libraries; only a replacement made before the
seal (notebook code above the setup cell), whose original is unknown, makes the check fail
with a message. This stops accidents and casual tampering inside the kernel; it is not a sandbox
(see the README's threat model), which is why grading also scans submissions and isolates
each kernel.
"""

from __future__ import annotations

import builtins
import contextlib
import math
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy
import torch
import torch.nn.functional

# Taken once, at import: the checks below never look these names up again.
_getattr, _id, _isinstance, _type, _vars = getattr, id, isinstance, type, vars
_sorted, _len, _list = sorted, len, list
_FunctionType, _ModuleType = types.FunctionType, types.ModuleType

__all__ = [
    "SealedModule",
    "TamperingDetected",
    "allow",
    "guard",
    "guarded",
    "seal",
    "unseal",
    "verify",
]

# Names the kernel itself rebinds while it runs (ipykernel replaces ``input`` before every
# cell), or that hold nothing a test relies on.
_VOLATILE_BUILTINS = {
    "input", "exit", "quit", "help", "copyright", "credits", "license", "display", "get_ipython",
}  # fmt: skip


class TamperingDetected(AssertionError):
    """Something a test relies on was replaced by notebook code."""


class SealedModule(types.ModuleType):
    """A module whose names cannot be rebound or deleted (``module.name = x`` raises).

    The one assignment it takes is the import system's: a package's submodule imported after
    the seal is bound to a name the package did not have.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if (
            name not in _vars(self)
            and _isinstance(value, _ModuleType)
            and value.__name__ == f"{self.__name__}.{name}"
            and sys.modules.get(value.__name__) is value
        ):
            object.__setattr__(self, name, value)
            return
        raise AttributeError(
            f"{self.__name__}.{name} cannot be changed from a notebook: the test cells rely on it"
        )

    def __delattr__(self, name: str) -> None:
        raise AttributeError(
            f"{self.__name__}.{name} cannot be deleted from a notebook: the test cells rely on it"
        )


def _protected_namespaces(modules: Iterable[types.ModuleType]) -> dict[str, Any]:
    """``modules``, the submodules of packages among them that are imported already, and the
    classes they define: what :func:`seal` turns read-only and whose functions it records."""
    spaces: dict[str, Any] = {}
    for module in modules:
        spaces[module.__name__] = module
        if _getattr(module, "__path__", None) is not None:  # a package
            prefix = module.__name__ + "."
            for name, submodule in _list(sys.modules.items()):
                if name.startswith(prefix) and _isinstance(submodule, _ModuleType):
                    spaces[name] = submodule
    for name, module in _list(spaces.items()):
        for value in _list(_vars(module).values()):
            if _isinstance(value, _type) and value.__module__ == name:
                spaces[f"{name}.{value.__qualname__}"] = value
    return spaces


def _library_namespaces() -> dict[str, Any]:
    """The torch, numpy, math and builtins modules and classes the checks rely on."""
    spaces: dict[str, Any] = {}
    for module in (torch, torch.nn, torch.nn.functional, torch.autograd, torch.linalg,
                   torch.special, numpy, math, builtins):  # fmt: skip
        spaces[module.__name__] = module
    for cls in (torch.Tensor, torch.nn.Module, torch.nn.Parameter, torch._C.TensorBase):
        spaces[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return spaces


class _Seal:
    """What :func:`seal` recorded, and the replacements the checks themselves make."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], tuple[Any, Any]] = {}  # (space, name) -> (owner, value)
        self.owners: dict[str, Any] = {}  # space -> module or class, to spot additions
        self.code: dict[int, tuple[str, Any, Any]] = {}  # id(function) -> (name, code, defaults)
        self.functions: list[Any] = []
        self.allowed: dict[tuple[int, str], Any] = {}  # replacements in force, by (owner, name)
        self.repaired: list[str] = []  # what guard() put back, in order
        self.sealed = False


_SEAL = _Seal()


def _record_function(name: str, function: Any) -> None:
    if _isinstance(function, (staticmethod, classmethod)):
        function = function.__func__
    if _isinstance(function, _FunctionType) and _id(function) not in _SEAL.code:
        _SEAL.code[_id(function)] = (name, function.__code__, function.__defaults__)
        _SEAL.functions.append(function)


def seal(modules: Iterable[types.ModuleType]) -> None:
    """Seal ``modules`` and record what the tests rely on (idempotent).

    Args:
        modules: the modules whose names and code the test cells rely on; a package's
            submodules that are already imported are sealed with it.

    Taught in: 01-vanilla-gan, setup cell.
    """
    if _SEAL.sealed:
        return
    protected = _protected_namespaces(modules)
    for space, owner in {**protected, **_library_namespaces()}.items():
        _SEAL.owners[space] = owner
        is_module = _isinstance(owner, _ModuleType)
        for name, value in _list(_vars(owner).items()):
            if is_module and name.startswith("__") and name != "__import__":
                continue  # module metadata (__doc__, __spec__, ...), not behaviour
            if owner is builtins and (name in _VOLATILE_BUILTINS or name.startswith("_")):
                if name != "__import__":
                    continue
            _SEAL.values[(space, name)] = (owner, value)
            if space in protected:
                _record_function(f"{space}.{name}", value)
                _record_function(f"{space}.{name}", _getattr(value, "__wrapped__", None))
        if is_module and space in protected:
            owner.__class__ = SealedModule
    _SEAL.sealed = True


def unseal() -> None:
    """Undo :func:`seal` (for the course's own test suite, which runs many notebooks in one
    process and patches helpers in its unit tests)."""
    for module in _list(sys.modules.values()):
        if _type(module) is SealedModule:
            object.__setattr__(module, "__class__", _ModuleType)
    _SEAL.__init__()


def _defined_in_notebook(value: Any) -> bool:
    return _getattr(value, "__module__", None) == "__main__"


def _foreign_to_class(value: Any) -> bool:
    """A callable added to a torch or helpers class by code outside torch and helpers."""
    module = _getattr(value, "__module__", None) or ""
    return callable(value) and not module.startswith(("torch", "helpers"))


def _set(owner: Any, name: str, value: Any) -> None:
    object.__setattr__(owner, name, value) if _isinstance(owner, _ModuleType) else setattr(
        owner, name, value
    )


def _delete(owner: Any, name: str) -> None:
    object.__delattr__(owner, name) if _isinstance(owner, _ModuleType) else delattr(owner, name)


def _findings() -> list[tuple[str, Callable[[], None] | None]]:
    """What changed since :func:`seal`: (name, a function that puts it back, or None when the
    original is unknown because notebook code was there before the seal)."""
    if not _SEAL.sealed:
        return []
    found: list[tuple[str, Callable[[], None] | None]] = []
    for (space, name), (owner, value) in _SEAL.values.items():
        now = _vars(owner).get(name, value)
        allowed = _SEAL.allowed.get((_id(owner), name))
        if now is allowed and allowed is not None:
            continue
        if _defined_in_notebook(value):
            found.append((f"{space}.{name}", None))
        elif now is not value or name not in _vars(owner):
            found.append((f"{space}.{name}", lambda o=owner, n=name, v=value: _set(o, n, v)))
    for space, owner in _SEAL.owners.items():  # additions: Tensor.__eq__ lives on TensorBase
        foreign = _foreign_to_class if _isinstance(owner, _type) else _defined_in_notebook
        for name, now in _list(_vars(owner).items()):
            if (space, name) not in _SEAL.values and foreign(now):
                if now is not _SEAL.allowed.get((_id(owner), name)):
                    found.append((f"{space}.{name}", lambda o=owner, n=name: _delete(o, n)))
    for function in _SEAL.functions:
        name, code, defaults = _SEAL.code[_id(function)]
        allowed = _SEAL.allowed.get((_id(function), "__code__"))
        if function.__code__ is not code and function.__code__ is not allowed:
            found.append((f"{name}.__code__", lambda f=function, c=code: setattr(f, "__code__", c)))
        if function.__defaults__ is not defaults:
            found.append(
                (
                    f"{name}.__defaults__",
                    lambda f=function, d=defaults: setattr(f, "__defaults__", d),
                )
            )
    return found


def verify() -> list[str]:
    """The names replaced since :func:`seal`, or holding notebook-defined functions.

    Taught in: 01-vanilla-gan, setup cell.
    """
    return _sorted({name for name, _ in _findings()})


@contextlib.contextmanager
def allow(owner: Any, name: str, value: Any) -> Iterator[None]:
    """Inside the block, ``owner.name`` may hold ``value`` (a replacement the checks make).

    Used by :func:`~helpers.checks.guards.forbid_reference` (a blocked reference's code) and
    by the meta-device shim (``Tensor.item``).
    """
    key = (_id(owner), name)
    previous = _SEAL.allowed.get(key)
    _SEAL.allowed[key] = value
    try:
        yield
    finally:
        if previous is None:
            _SEAL.allowed.pop(key, None)
        else:
            _SEAL.allowed[key] = previous


@contextlib.contextmanager
def patched(owner: Any, name: str, value: Any) -> Iterator[None]:
    """Set ``owner.name = value`` inside the block, allowed by :func:`verify`, and restore it
    exactly afterwards (an attribute that was inherited is deleted again, not copied down)."""
    had_own = name in _vars(owner)
    original = _vars(owner).get(name)
    with allow(owner, name, value):
        setattr(owner, name, value)
        try:
            yield
        finally:
            if had_own:
                setattr(owner, name, original)
            else:
                delattr(owner, name)


def guard() -> None:
    """Put back whatever notebook code replaced since :func:`seal`, before a check runs.

    A check then judges the student's functions with the real torch, numpy, builtins and
    references, so tampering earns nothing and costs the untouched exercises nothing (the
    grading scan flags the submission for the instructor). Only when the original is unknown
    (notebook code replaced something before the locked setup cell sealed it) does the check
    fail, with :class:`TamperingDetected` and a message for the student.
    """
    unknown = []
    for name, repair in _findings():
        if repair is None:
            unknown.append(name)
        else:
            repair()
            _SEAL.repaired.append(name)
    if unknown:
        shown = ", ".join(unknown[:5]) + (
            f" and {_len(unknown) - 5} more" if _len(unknown) > 5 else ""
        )
        raise TamperingDetected(
            "check failed: code in this notebook replaced something the tests rely on before "
            f"the setup cell ran: {shown}. A test cannot trust its result after that. Remove "
            "the code that assigns to torch, numpy, builtins or helpers, restart the kernel "
            "and run the notebook again from the top."
        )


def guarded(function: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a public check so that it runs :func:`guard` first."""

    def checked(*args: Any, **kwargs: Any) -> Any:
        guard()
        return function(*args, **kwargs)

    checked.__name__ = function.__name__
    checked.__qualname__ = function.__qualname__
    checked.__doc__ = function.__doc__
    checked.__module__ = function.__module__
    checked.__wrapped__ = function  # type: ignore[attr-defined]
    return checked
