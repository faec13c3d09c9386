"""One call that grades a function against its reference: value, gradients, device.

Most exercises are functions of tensors (losses, layers, penalties). Their hidden tests all
do the same four things, so they live here once: run the reference, run the student's
function with the reference blocked, compare the outputs and the gradients they send back
to every input that requires grad, and run the student's function on the ``meta`` device.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch

from .assertions import assert_close, assert_grad_flows, assert_scalar, assert_shape, call
from .guards import forbid_reference
from .integrity import guarded
from .probes import assert_runs_on_meta, to_meta

__all__ = ["assert_matches_reference"]


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
) -> torch.Tensor:
    """``student_fn(*inputs)`` must equal ``reference_fn(*inputs)``, gradients included.

    The reference runs first. Then, with every reference in ``forbid`` blocked, the
    student's function runs on the inputs and (``on_meta``) on ``meta`` copies of the tensor
    inputs, where it must not fail and must return meta tensors. Its output must have the
    reference's shape (a scalar for a loss) and values, and for every input that requires
    grad, the gradient of the summed output must match the reference's too, which also
    rejects a result cut off from the graph.

    Returns:
        the student's output.
    """
    differentiable = [x for x in inputs if isinstance(x, torch.Tensor) and x.requires_grad]
    expected = reference_fn(*inputs)
    expected_grads = (
        torch.autograd.grad(expected.sum(), differentiable, allow_unused=True)
        if differentiable
        else ()
    )
    with forbid_reference(*forbid):
        found = call(student_fn, *inputs, name=name, hint=hint)
        if on_meta:
            meta_inputs = [to_meta(x) if isinstance(x, torch.Tensor) else x for x in inputs]
            assert_runs_on_meta(
                student_fn, *meta_inputs, name=f"{name}, with the inputs on another device"
            )
    if expected.dim() == 0:
        assert_scalar(found, name, hint)
    else:
        assert_shape(found, list(expected.shape), name, hint)
    assert_close(found, expected, name, atol=atol, rtol=rtol, hint=hint)
    if differentiable:
        grads = assert_grad_flows(found, differentiable, name, hint)
        for i, (grad, want) in enumerate(zip(grads, expected_grads)):
            want = torch.zeros_like(grad) if want is None else want
            assert_close(
                grad, want, f"gradient of {name} with respect to input {i + 1}", atol, rtol, hint
            )
    return found
