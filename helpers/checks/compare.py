"""Grade a function against its reference in one call, and compare two calls of it.

Most exercises are functions of tensors (losses, layers, penalties). Their hidden tests all
do the same things, so they live here once: run the reference, run the student's function
with the reference blocked (twice: the same inputs must give the same answer), check that
it left its inputs as they were, compare the outputs and the gradients they send back to
every input that requires grad, and run the student's function on the ``meta`` device.
:func:`assert_repeatable` and :func:`assert_fresh` compare two calls on their own, for code
whose task promises repeatable results (a seed) or fresh ones (new noise every call).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from typing import Any

import torch

from .assertions import assert_close, assert_grad_flows, assert_scalar, assert_shape, call
from .guards import forbid_reference
from .integrity import guarded
from .messages import describe, fail
from .probes import assert_runs_on_meta, to_meta
from .state import assert_inputs_unchanged, differences, snapshot

__all__ = ["assert_fresh", "assert_matches_reference", "assert_repeatable"]


@guarded
def assert_matches_reference(
    student_fn: Callable[..., Any],
    reference_fn: Callable[..., torch.Tensor],
    *inputs: Any,
    name: str,
    hint: str | None = None,
    forbid: Iterable[Any] = (),
    atol: float = 1e-5,
    rtol: float = 1e-4,
    on_meta: bool = True,
    inputs_unchanged: bool = True,
    repeat: bool = True,
) -> torch.Tensor:
    """``student_fn(*inputs)`` must equal ``reference_fn(*inputs)``, gradients included.

    The reference runs first. Then, with every reference in ``forbid`` blocked, the
    student's function runs on the inputs (``inputs_unchanged``: it must leave every input as
    it was, see :func:`~helpers.checks.state.assert_inputs_unchanged`), a second time
    (``repeat``: the second answer must match the reference too, so no state may carry over
    between calls) and (``on_meta``) on ``meta`` copies of the tensor inputs, where it must
    not fail and must return meta tensors. Its output must have the reference's shape (a
    scalar for a loss) and values, and for every input that requires grad, the gradient of
    the summed output must match the reference's too, which also rejects a result cut off
    from the graph. Warnings raised by the student's code are noted and cost nothing.

    Returns:
        the student's output (of the first call).
    """
    differentiable = [x for x in inputs if isinstance(x, torch.Tensor) and x.requires_grad]
    expected = reference_fn(*inputs)
    expected_grads = (
        torch.autograd.grad(expected.sum(), differentiable, allow_unused=True)
        if differentiable
        else ()
    )
    labels = [f"input {i + 1}" for i in range(len(inputs))]
    unchanged = assert_inputs_unchanged(*inputs, name=name, labels=labels)
    with forbid_reference(*forbid):
        with unchanged if inputs_unchanged else contextlib.nullcontext():
            found = call(student_fn, *inputs, name=name, hint=hint)
        again = (
            call(student_fn, *inputs, name=f"{name}, called again", hint=hint) if repeat else None
        )
        if on_meta:
            meta_inputs = [to_meta(x) if isinstance(x, torch.Tensor) else x for x in inputs]
            assert_runs_on_meta(
                student_fn, *meta_inputs, name=f"{name}, with the inputs on another device"
            )
    results = [(name, found)] + ([(f"{name}, called a second time", again)] if repeat else [])
    for label, result in results:
        if expected.dim() == 0:
            assert_scalar(result, label, hint)
        else:
            assert_shape(result, list(expected.shape), label, hint)
        assert_close(result, expected, label, atol=atol, rtol=rtol, hint=hint)
    if differentiable:
        grads = assert_grad_flows(found, differentiable, name, hint)
        for i, (grad, want) in enumerate(zip(grads, expected_grads)):
            want = torch.zeros_like(grad) if want is None else want
            assert_close(
                grad, want, f"gradient of {name} with respect to input {i + 1}", atol, rtol, hint
            )
    return found


def _results_differ(first: Any, second: Any, atol: float, rtol: float) -> list[tuple[str, str]]:
    """Where two results differ beyond the tolerance: (path, what) pairs."""
    if isinstance(first, torch.Tensor) and isinstance(second, torch.Tensor):
        if first.shape != second.shape or first.dtype != second.dtype:
            return [("", f"{describe(first)} then {describe(second)}")]
        a, b = (t.detach().to("cpu", torch.float64) for t in (first, second))
        close = torch.isclose(a, b, atol=atol, rtol=rtol, equal_nan=True)
        if close.all():
            return []
        at = int((~close).reshape(-1).nonzero()[0])
        return [("", f"element {at}: {a.reshape(-1)[at]:.6g} then {b.reshape(-1)[at]:.6g}")]
    return differences(snapshot(first), snapshot(second))


@guarded
def assert_repeatable(
    fn: Callable[..., Any],
    *args: Any,
    name: str,
    hint: str | None = None,
    atol: float = 0.0,
    rtol: float = 0.0,
    **kwargs: Any,
) -> Any:
    """Calling ``fn(*args, **kwargs)`` twice must give the same result (within the tolerance).

    For code whose task promises a repeatable answer: a fixed seed, a network in eval mode,
    constant noise. Tensors, numbers and containers of them are compared. Returns the first
    result.
    """
    first = call(fn, *args, name=name, hint=hint, **kwargs)
    second = call(fn, *args, name=f"{name}, called again", hint=hint, **kwargs)
    changes = _results_differ(first, second, atol, rtol)
    if changes:
        path, what = changes[0]
        fail(name, "the same result on a second call", f"result{path}: {what}", hint)
    return first


@guarded
def assert_fresh(
    fn: Callable[..., Any], *args: Any, name: str, hint: str | None = None, **kwargs: Any
) -> Any:
    """Calling ``fn(*args, **kwargs)`` twice must give different results (new random draws).

    For code whose task promises fresh randomness on every call (noise, latent codes).
    Returns the first result.
    """
    first = call(fn, *args, name=name, hint=hint, **kwargs)
    second = call(fn, *args, name=f"{name}, called again", hint=hint, **kwargs)
    if not _results_differ(first, second, 0.0, 0.0):
        fail(
            name,
            "new random values on every call",
            "the same result twice",
            hint or "draw new random numbers inside the call; do not reuse or re-seed a generator",
        )
    return first
