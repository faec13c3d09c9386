"""Run student code so that a warning never costs a correct answer.

nbgrader scores a test cell 0 when anything reaches stderr, and a warning goes there: a
deprecated call (``F.upsample_nearest``), numpy's ``divide by zero encountered in log`` in a
correct ``0 log 0`` computation, torch's copy-construct warning. Inside :func:`student_code`
every warning is recorded instead (an ``always`` filter, so a repeated one is not lost),
numpy's floating-point reports that would print or call a handler are turned into warnings
and recorded too, and text written to ``sys.stderr`` (logging, a progress bar) is captured.
When the outermost block ends, one line per distinct warning (numbers aside: the same warning
about another size is not repeated) goes to stdout, naming what warned and saying that it
costs no points. Errors are untouched: an exception still
propagates and fails the check, and warnings the notebook turned into errors stay errors.

Every check that runs student code enters this block (``call``, ``assert_raises``,
``assert_matches_reference``, ``assert_runs_on_meta``, ``layer_io``, a ``Spy``'s wrapped
module, ``forbid_reference`` and ``references_for``), so a test cell only has to make sure
that it calls student code through :mod:`helpers.checks`.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import numpy

__all__ = ["student_code"]

# numpy reports floating-point errors by mode: "warn" uses the warnings module (recorded
# here), "print" and "log" write text and "call" runs a handler; the three are made warnings.
_NUMPY_TO_WARN = {"print", "log", "call"}
_MAX_MESSAGE = 200


class _Scope:
    """What the outermost :func:`student_code` block collected: (who, what) notes."""

    def __init__(self, name: str) -> None:
        self.names = [name]
        self.notes: list[tuple[str, str]] = []
        self.stderr = io.StringIO()

    def record(self, message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        text = " ".join(str(message).split())
        if len(text) > _MAX_MESSAGE:
            text = text[: _MAX_MESSAGE - 3] + "..."
        self.notes.append((self.names[-1], f"{category.__name__}: {text}"))

    def report(self) -> None:
        written = " ".join(self.stderr.getvalue().split())
        if written:
            short = written if len(written) <= _MAX_MESSAGE else written[:_MAX_MESSAGE] + "..."
            self.notes.append((self.names[0], f"text written to stderr: {short}"))
        shown = _shown_in_this_cell()
        for who, what in self.notes:
            key = re.sub(r"\d+", "#", what)  # the same warning about other sizes is one note
            if key not in shown:
                shown.add(key)
                print(f"note: {who} warned ({what}); a warning costs no points.")


_ACTIVE: list[_Scope] = []
_SHOWN: dict[str, Any] = {"cell": None, "notes": set()}


def _shown_in_this_cell() -> set[str]:
    """The notes already printed in the notebook cell that is running now (IPython's
    execution count tells cells apart); outside IPython, every block starts afresh."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    cell = getattr(shell, "execution_count", None)
    if cell is None or cell != _SHOWN["cell"]:
        _SHOWN["cell"], _SHOWN["notes"] = cell, set()
    return _SHOWN["notes"]


def _pattern(match: Any) -> str:
    """A filter's message or module matcher as a pattern for ``warnings.filterwarnings``
    (filters made by Python itself hold plain strings, which must match exactly)."""
    if match is None:
        return ""
    return match.pattern if hasattr(match, "pattern") else re.escape(match) + r"\Z"


def _record_every_warning() -> None:
    """Keep the filters that ignore a warning or make it an error; every other action
    ("default", "once", "module") becomes "always", so each occurrence is recorded."""
    current = list(warnings.filters)
    warnings.resetwarnings()
    for action, message, category, module, lineno in current:
        keep = action in ("ignore", "error")
        warnings.filterwarnings(
            action if keep else "always",
            _pattern(message),
            category,
            _pattern(module),
            lineno,
            append=True,
        )
    warnings.filterwarnings("always", append=True)  # anything no filter matched


@contextlib.contextmanager
def student_code(name: str = "your code") -> Iterator[None]:
    """Inside the block, warnings and stderr text are recorded and noted on stdout at the end.

    ``name`` says what runs (e.g. ``"js_divergence(p, q)"``) and appears in the note. Blocks
    nest: an inner block attributes its warnings to its own name, and the outermost one
    prints every distinct note once. Exceptions pass through unchanged.

    Taught in: 01-vanilla-gan, every test cell (through the checks that run your code).
    """
    if _ACTIVE:
        scope = _ACTIVE[-1]
        scope.names.append(name)
        try:
            yield
        finally:
            scope.names.pop()
        return
    scope = _Scope(name)
    modes = {
        kind: "warn" if mode in _NUMPY_TO_WARN else mode for kind, mode in numpy.geterr().items()
    }
    _ACTIVE.append(scope)
    try:
        with warnings.catch_warnings(), numpy.errstate(**modes):
            with contextlib.redirect_stderr(scope.stderr):
                _record_every_warning()
                warnings.showwarning = scope.record
                yield
    finally:
        _ACTIVE.pop()
        scope.report()
