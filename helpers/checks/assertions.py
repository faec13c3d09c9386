"""Assertions for notebook test cells: each failure says expected / found / hint.

Types are checked strictly (a real ``torch.Tensor``, a real ``bool``, a Python or NumPy
number), and values are compared with plain tensor arithmetic on detached copies, so an
object that only pretends to be a tensor, or to be equal to everything, is rejected. Every
check first verifies that nothing it relies on was replaced (:mod:`.integrity`).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy
import torch

from .integrity import guarded
from .messages import CheckFailure, describe, fail
from .running import student_code
from .state import assert_inputs_unchanged

_TENSOR_TYPES = (torch.Tensor, torch.nn.Parameter)
_BOOL_TYPES = (bool, numpy.bool_)

__all__ = [
    "CheckFailure",
    "assert_close",
    "assert_device",
    "assert_dtype",
    "assert_float",
    "assert_grad_flows",
    "assert_raises",
    "assert_scalar",
    "assert_shape",
    "assert_tensor",
    "assert_true",
    "call",
    "describe",
    "fail",
]


def _is_number(x: Any) -> bool:
    """A Python int or float, or a NumPy integer or floating scalar (never a bool)."""
    kind = type(x)
    if kind in (int, float):
        return True
    return kind.__module__ == "numpy" and issubclass(kind, (numpy.integer, numpy.floating))


@guarded
def assert_true(
    condition: bool, name: str, expected: str, found: str, hint: str | None = None
) -> None:
    """Fail with an expected/found/hint message unless ``condition`` is a true ``bool``.

    Anything else (an object with its own ``__bool__``, a tensor) counts as not holding.
    """
    if type(condition) not in _BOOL_TYPES or not bool(condition):
        fail(name, expected, found, hint)


@guarded
def assert_tensor(x: Any, name: str, hint: str | None = None) -> None:
    """``x`` must be a real ``torch.Tensor`` (a subclass, which could change ``==``, is not)."""
    if type(x) not in _TENSOR_TYPES:
        found = (
            f"an instance of the tensor subclass {type(x).__name__}"
            if isinstance(x, torch.Tensor)
            else describe(x)
        )
        fail(name, "a torch.Tensor", found, hint or "return a tensor, not a list or array")


@guarded
def assert_shape(
    x: Any, expected: Sequence[int | None], name: str = "value", hint: str | None = None
) -> None:
    """``x`` must be a tensor of shape ``expected``; ``None`` matches any size.

    Example: ``assert_shape(images, [None, 1, 28, 28], "generate")``.
    """
    assert_tensor(x, name, hint)
    shape = list(x.shape)
    wanted = list(expected)
    ok = len(shape) == len(wanted) and all(w is None or w == s for s, w in zip(shape, wanted))
    if not ok:
        pattern = "[" + ", ".join("N" if w is None else str(w) for w in wanted) + "]"
        fail(name, f"shape {pattern}", f"shape {shape}", hint)


@guarded
def assert_dtype(x: Any, dtype: torch.dtype, name: str = "value", hint: str | None = None):
    """``x`` must be a tensor of ``dtype``."""
    assert_tensor(x, name, hint)
    if x.dtype != dtype:
        fail(name, f"dtype {dtype}", f"dtype {x.dtype}", hint)


@guarded
def assert_device(x: Any, device: torch.device | str, name: str = "value", hint: str | None = None):
    """``x`` must live on ``device`` (compared by type, and by index when one is given)."""
    assert_tensor(x, name, hint)
    want = torch.device(device)
    same = x.device.type == want.type and (want.index is None or x.device.index == want.index)
    if not same:
        fail(name, f"device {want}", f"device {x.device}", hint or "create it with device=...")


@guarded
def assert_scalar(x: Any, name: str = "value", hint: str | None = None) -> None:
    """``x`` must be a 0-dimensional floating tensor (a loss)."""
    assert_tensor(x, name, hint)
    if x.dim() != 0:
        fail(
            name,
            "a scalar tensor (shape [])",
            f"shape {list(x.shape)}",
            hint or "reduce with .mean() so the loss is one number",
        )
    if not x.is_floating_point():
        fail(name, "a floating-point scalar", f"dtype {x.dtype}", hint)


@guarded
def assert_float(x: Any, name: str = "value", hint: str | None = None) -> None:
    """``x`` must be a finite Python float (e.g. from ``loss.item()``); ints and NumPy
    scalars are accepted too, bools, tensors and other objects are not."""
    if not _is_number(x):
        fail(name, "a Python float", describe(x), hint or "use loss.item() to get a float")
    if not math.isfinite(float(x)):
        fail(name, "a finite float", repr(x), hint)


@guarded
def assert_close(
    found: Any,
    expected: torch.Tensor,
    name: str = "value",
    atol: float = 1e-5,
    rtol: float = 1e-4,
    hint: str | None = None,
) -> None:
    """``found`` must match ``expected`` in shape and value within ``atol + rtol * |expected|``.

    The message reports the largest difference, where it is, and both values there.
    """
    assert_tensor(found, name, hint)
    if list(found.shape) != list(expected.shape):
        fail(name, f"shape {list(expected.shape)}", f"shape {list(found.shape)}", hint)
    got = found.detach().to(device="cpu", dtype=torch.float64)
    want = expected.detach().to(device="cpu", dtype=torch.float64)
    if not torch.isfinite(want).all().item():
        raise ValueError(f"assert_close({name}): the expected value is not finite")
    if not torch.isfinite(got).all().item():
        bad = (~torch.isfinite(got)).sum().item()
        fail(name, "finite values", f"{bad} NaN/inf value(s)", hint)
    excess = (got - want).abs() - (atol + rtol * want.abs())
    worst = int(torch.argmax(excess).item()) if excess.numel() else 0
    if excess.numel() and excess.reshape(-1)[worst].item() > 0:
        index = list(torch.unravel_index(torch.tensor(worst), want.shape)) if want.dim() else []
        where = f" at index {[int(i) for i in index]}" if index else ""
        diff = (got - want).abs().reshape(-1)[worst].item()
        fail(
            name,
            f"{want.reshape(-1)[worst].item():.6g}{where} (tolerance {atol:g} + {rtol:g}*|x|)",
            f"{got.reshape(-1)[worst].item():.6g}{where}, off by {diff:.3g}",
            hint,
        )


@guarded
def assert_grad_flows(
    output: torch.Tensor,
    inputs: Sequence[torch.Tensor],
    name: str = "value",
    hint: str | None = None,
) -> list[torch.Tensor]:
    """Gradients of ``output.sum()`` must reach every tensor in ``inputs``; returns them."""
    assert_tensor(output, name, hint)
    if not output.requires_grad:
        fail(
            name,
            "a result connected to the autograd graph (requires_grad=True)",
            describe(output),
            hint or "avoid .item(), .detach(), numpy or torch.no_grad() inside the computation",
        )
    with student_code(f"the backward pass of {name}"):
        grads = torch.autograd.grad(output.sum(), list(inputs), allow_unused=True)
    for i, grad in enumerate(grads):
        if grad is None or not torch.any(grad != 0).item():
            fail(
                name,
                f"a non-zero gradient reaching input {i}",
                "no gradient (the gradient does not flow)",
                hint,
            )
    return list(grads)


@guarded
def call(
    fn: Callable[..., Any],
    *args: Any,
    name: str = "value",
    hint: str | None = None,
    inputs_unchanged: bool = False,
    **kwargs: Any,
) -> Any:
    """Call student code; turn an unexpected error into a failure that says what was called.

    Warnings raised inside are noted on stdout and cost nothing (:func:`.student_code`).
    With ``inputs_unchanged=True`` (for exercises that promise no side effects), every
    argument must be left as it was: values, ``requires_grad`` and ``.grad`` of tensors,
    arrays, lists, and modules' parameters, buffers and modes (:mod:`.state`). It is off by
    default because many calls change their arguments by design (a training step updates
    its networks).
    """
    checked: Any = contextlib.nullcontext()
    if inputs_unchanged:
        labels = [f"argument {i + 1}" for i in range(len(args))] + [f"argument {k}" for k in kwargs]
        checked = assert_inputs_unchanged(*args, *kwargs.values(), name=name, labels=labels)
    try:
        with student_code(name), checked:
            return fn(*args, **kwargs)
    except CheckFailure:
        raise
    except Exception as err:  # noqa: BLE001 - reported to the student with context
        fail(name, "no error", f"{type(err).__name__}: {err}", hint)


@guarded
def assert_raises(
    exc_type: type[BaseException],
    fn: Callable[..., Any],
    *args: Any,
    name: str = "value",
    hint: str | None = None,
    **kwargs: Any,
) -> BaseException:
    """Calling ``fn(*args, **kwargs)`` must raise ``exc_type`` with a non-empty message."""
    call = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
    try:
        with student_code(name):
            fn(*args, **kwargs)
    except exc_type as err:
        if not str(err).strip():
            fail(name, f"{exc_type.__name__} with a message", f"{exc_type.__name__}()", hint)
        return err
    except Exception as err:  # noqa: BLE001 - any other error is reported, not propagated
        fail(name, f"{exc_type.__name__} for ({call})", f"{type(err).__name__}: {err}", hint)
    fail(name, f"{exc_type.__name__} for ({call})", "no error was raised", hint)
    raise AssertionError("unreachable")
