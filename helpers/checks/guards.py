"""Guards for test cells: block delegation to the reference under test, and grade one
exercise on its own by lending it the references of the exercises it builds on."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from .integrity import allow
from .running import student_code

__all__ = ["forbid_reference", "references_for"]


def _blocked_code(qualname: str, free_vars: tuple[str, ...] = ()) -> Any:
    """A function that raises a message naming ``qualname``.

    Its code has the same free variables as the function it replaces, because a code
    object can only be swapped into a function with as many closure cells (decorated or
    wrapped references have some).
    """
    message = (
        f"your code called the course's reference {qualname}. The hidden tests compare "
        "your implementation with that reference, so write the computation yourself."
    )
    cells = "".join(f"    {name} = None\n" for name in free_vars)
    uses = f"        {', '.join(free_vars)}\n" if free_vars else ""
    source = (
        f"def outer():\n{cells}    def blocked(*args, **kwargs):\n{uses}"
        f"        raise RuntimeError({message!r})\n    return blocked\n"
    )
    scope: dict[str, Any] = {}
    exec(compile(source, f"<blocked {qualname}>", "exec"), scope)  # noqa: S102
    return scope["outer"]()


class forbid_reference:  # noqa: N801 - used like a function: `with forbid_reference(f):`
    """Make calls to the given reference functions or classes fail inside a ``with`` block.

    A function's code object is swapped, so aliases made earlier (``from helpers.mlp_gan
    import generator_loss as g``) are blocked too. A class has its ``__init__``, ``forward``
    and ``__call__`` replaced, which also blocks subclasses that do not override them.
    Student code runs in the block, so its warnings are noted, not written to stderr
    (:func:`.student_code`). Everything is restored on exit, also after an error. One
    instance can be entered many times (``blocked = forbid_reference(f)``, then ``with
    blocked: ...`` around each call).
    """

    def __init__(self, *targets: Any):
        for target in targets:
            if not isinstance(target, type) and not hasattr(target, "__code__"):
                raise TypeError(f"forbid_reference cannot block {target!r}")
        self.targets = targets
        self._restore: list[list[Callable[[], None]]] = []

    def __enter__(self) -> forbid_reference:
        restore: list[Callable[[], None]] = []
        self._restore.append(restore)
        allowances = contextlib.ExitStack()
        restore.append(allowances.close)  # runs last: the swaps are undone first
        allowances.enter_context(student_code())
        for target in self.targets:
            qualname = f"{target.__module__}.{target.__qualname__}"
            free_vars = getattr(getattr(target, "__code__", None), "co_freevars", ())
            blocked = _blocked_code(qualname, free_vars)
            if isinstance(target, type):
                for attr in ("__init__", "forward", "__call__"):
                    if attr in vars(target):
                        original = vars(target)[attr]
                        allowances.enter_context(allow(target, attr, blocked))
                        setattr(target, attr, blocked)
                        restore.append(lambda t=target, a=attr, o=original: setattr(t, a, o))
            else:
                original_code = target.__code__
                allowances.enter_context(allow(target, "__code__", blocked.__code__))
                target.__code__ = blocked.__code__
                restore.append(lambda t=target, c=original_code: setattr(t, "__code__", c))
        return self

    def __exit__(self, *exc: object) -> None:
        for undo in reversed(self._restore.pop()):
            undo()


class references_for:  # noqa: N801 - used like a function: `with references_for(...):`
    """Inside a ``with`` block, ``namespace[name]`` is ``module``'s reference for each name.

    Grades one exercise on its own: a test of ``train_step`` runs with the reference losses
    in the notebook's globals, so a mistake in an earlier exercise does not cost points twice.
    Student code runs in the block, so its warnings are noted, not written to stderr
    (:func:`.student_code`). The student's own definitions are put back on exit, also after an
    error. One instance can be entered many times.
    """

    _MISSING = object()

    def __init__(self, namespace: dict[str, Any], module: Any, *names: str):
        self.namespace, self.module, self.names = namespace, module, names
        self._saved: list[tuple[dict[str, Any], contextlib.ExitStack]] = []

    def __enter__(self) -> references_for:
        notes = contextlib.ExitStack()
        notes.enter_context(student_code())
        saved = {name: self.namespace.get(name, self._MISSING) for name in self.names}
        self._saved.append((saved, notes))
        self.namespace.update({name: getattr(self.module, name) for name in self.names})
        return self

    def __exit__(self, *exc: object) -> None:
        saved, notes = self._saved.pop()
        for name, value in saved.items():
            if value is self._MISSING:
                self.namespace.pop(name, None)
            else:
                self.namespace[name] = value
        notes.close()
