"""Argument checks shared by the helpers: a bad value raises a ``ValueError`` that names it.

A count passed as ``2.0`` or ``True`` would otherwise run with a silently different meaning
(``range(True)`` is one step), so every public function that takes a count, a size or a
positive setting checks it here, with one message for the same mistake everywhere.
"""

from __future__ import annotations

__all__ = ["non_negative_int", "positive_int", "positive_number"]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def positive_int(value: object, name: str) -> int:
    """``value`` when it is an int of at least 1 (a bool is not); else a ``ValueError``
    ``"<name> must be a positive int, got <value>"``.

    Used by: every helpers function that takes a count or a size.
    """
    if not _is_int(value) or value < 1:  # type: ignore[operator]
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value  # type: ignore[return-value]


def non_negative_int(value: object, name: str) -> int:
    """``value`` when it is an int of at least 0 (a bool is not); else a ``ValueError``
    ``"<name> must be a non-negative int, got <value>"``.

    Used by: :func:`helpers.runtime.budget`.
    """
    if not _is_int(value) or value < 0:  # type: ignore[operator]
        raise ValueError(f"{name} must be a non-negative int, got {value!r}")
    return value  # type: ignore[return-value]


def positive_number(value: object, name: str) -> float:
    """``value`` when it is a real number above 0 (a bool is not); else a ``ValueError``
    ``"<name> must be a positive number, got <value>"``.

    Used by: :func:`helpers.wgan.clip_weights_`, :func:`helpers.bce.mode_coverage`.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return value
