"""The one shape of every failure a student sees: expected / found / hint.

Shared by every module of :mod:`helpers.checks` (assertions, probes, the checks on inputs,
modes and random state), so a message reads the same whichever check wrote it.
"""

from __future__ import annotations

from typing import Any, NoReturn

import torch

_TENSOR_TYPES = (torch.Tensor, torch.nn.Parameter)

__all__ = ["CheckFailure", "describe", "fail"]


class CheckFailure(AssertionError):
    """A test-cell check that failed; the message is meant for the student."""


def fail(name: str, expected: str, found: str, hint: str | None = None) -> NoReturn:
    """Raise :class:`CheckFailure` with the course's expected / found / hint message.

    Example: ``fail("generate", "G back in train mode", "G left in eval mode",
    "restore it with G.train(was_training)")``.
    """
    lines = [f"{name}: check failed.", f"  expected: {expected}", f"  found:    {found}"]
    if hint:
        lines.append(f"  hint:     {hint}")
    raise CheckFailure("\n".join(lines))


def describe(x: Any) -> str:
    """A short description of a value: tensors by shape, dtype and device, others by type."""
    if type(x) in _TENSOR_TYPES:
        grad = ", requires_grad=True" if x.requires_grad else ""
        return f"tensor of shape {list(x.shape)}, dtype {x.dtype}, device {x.device}{grad}"
    text = repr(x)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(x).__name__} {text}"
