"""Probes for test cells: look inside a student's networks and steps while they run.

Parameter alignment (compare two modules built differently), backward-pass counting (a
missing ``detach``), spies that record what a network receives and in which mode, per-layer
inputs and outputs (dropout placement and scaling), and a run on the ``meta`` device (code
that creates tensors on the CPU whatever its inputs' device).
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
from torch import nn

from .integrity import guarded, patched
from .messages import CheckFailure, describe, fail
from .running import student_code

__all__ = [
    "BackwardCounter",
    "Spy",
    "align_parameters",
    "assert_runs_on_meta",
    "layer_io",
    "parameter_shapes",
    "to_meta",
]


def parameter_shapes(module: nn.Module) -> list[list[int]]:
    """The shapes of a module's parameters, in registration order."""
    return [list(p.shape) for p in module.parameters()]


@guarded
def align_parameters(
    student: nn.Module, reference: nn.Module, name: str = "module", reshape: bool = False
) -> None:
    """Copy ``reference``'s parameters into ``student`` by registration order and shape.

    This lets a test compare outputs of two modules whose layers are named or grouped
    differently (``nn.Sequential`` or separate attributes): only the order in which
    parameters are registered (the order layers are created) and their shapes must agree.
    With ``reshape=True`` only the number of elements must agree (a per-channel scale stored
    as ``[C]`` or ``[1, C, 1, 1]``), and values are copied reshaped.
    """
    if not isinstance(student, nn.Module):
        fail(name, "an nn.Module instance", describe(student))
    mine_params, ref_params = list(student.parameters()), list(reference.parameters())
    if reshape:
        got = [[p.numel()] for p in mine_params]
        want = [[p.numel()] for p in ref_params]
        what = "parameters with these numbers of elements"
    else:
        got, want = parameter_shapes(student), parameter_shapes(reference)
        what = "parameters with shapes"
    if got != want:
        fail(
            name,
            f"{what} {want} (in the order the layers are created)",
            f"{got}",
            "check the layer sizes and that you create the layers in the order they are used",
        )
    with torch.no_grad():
        for mine, ref in zip(mine_params, ref_params):
            mine.copy_(ref.reshape(mine.shape).to(device=mine.device, dtype=mine.dtype))


class BackwardCounter:
    """Counts the backward passes that compute a gradient for any of ``params``.

    Use as a context manager around a training step, e.g. to check that the discriminator
    update does not backpropagate into the generator (a missing ``.detach()``).
    """

    def __init__(self, params: Iterable[torch.Tensor]):
        self.params = [p for p in params if p.requires_grad]
        self.counts = [0] * len(self.params)
        self._handles: list[Any] = []

    def __enter__(self) -> BackwardCounter:
        for i, p in enumerate(self.params):
            self._handles.append(p.register_hook(self._make_hook(i)))
        return self

    def _make_hook(self, i: int) -> Callable[[torch.Tensor], None]:
        def hook(grad: torch.Tensor) -> None:
            self.counts[i] += 1

        return hook

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    @property
    def passes(self) -> int:
        """The largest number of backward passes that reached any one parameter."""
        return max(self.counts, default=0)


class Spy(nn.Module):
    """Wraps a module and records each call: train/eval mode, autograd, and its first input.

    Each entry of ``calls`` holds ``training`` and ``grad`` (whether autograd was on) and, for
    a tensor input, its ``shape``, ``device`` and ``requires_grad``, plus ``mean`` and ``std``
    when the values are readable (not on the ``meta`` device). With ``keep_inputs=True`` it
    also holds ``input``, a detached copy of that tensor (e.g. to see where a critic was
    evaluated). A test can then check, say, that a training step feeds the generator N codes
    from N(0, I) and leaves every network in its mode. Warnings raised by the wrapped module
    are noted, not written to stderr (:func:`.student_code`).
    """

    def __init__(self, inner: nn.Module, keep_inputs: bool = False):
        super().__init__()
        self.inner = inner
        self.keep_inputs = keep_inputs
        self.calls: list[dict[str, Any]] = []

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        record: dict[str, Any] = {"training": self.training, "grad": torch.is_grad_enabled()}
        first = args[0] if args else None
        if isinstance(first, torch.Tensor):
            record.update(
                shape=list(first.shape), device=first.device.type, requires_grad=first.requires_grad
            )
            if first.device.type != "meta" and first.is_floating_point() and first.numel() > 1:
                values = first.detach().double()
                record.update(mean=values.mean().item(), std=values.std().item())
            if self.keep_inputs:
                record["input"] = first.detach().clone()
        self.calls.append(record)
        with student_code(type(self.inner).__name__):
            return self.inner(*args, **kwargs)


@guarded
def layer_io(model: nn.Module, *args: Any) -> tuple[list[tuple[torch.Tensor, torch.Tensor]], Any]:
    """Run ``model(*args)``; return each parameter-owning layer's (input, output), and the result.

    The layers are listed in call order, whatever they are named or grouped (e.g. every
    ``nn.Linear``), with detached copies of what they received and returned. Used to look
    inside a student's network, e.g. to check where dropout is applied and how it rescales.
    """
    seen: list[tuple[torch.Tensor, torch.Tensor]] = []
    owners = [m for m in model.modules() if any(True for _ in m.parameters(recurse=False))]
    handles = [
        m.register_forward_hook(
            lambda _m, inputs, output: seen.append((inputs[0].detach(), output.detach()))
        )
        for m in owners
        if m is not model
    ]
    try:
        with student_code(type(model).__name__):
            result = model(*args)
    finally:
        for handle in handles:
            handle.remove()
    return seen, result


def to_meta(value: Any) -> Any:
    """A copy of a tensor or module on the ``meta`` device: shapes and dtypes, no values.

    Tensors keep ``requires_grad``; modules are deep-copied first, so the original is untouched.
    """
    if isinstance(value, nn.Module):
        return copy.deepcopy(value).to("meta")
    if isinstance(value, torch.Tensor):
        return torch.empty_like(value, device="meta").requires_grad_(value.requires_grad)
    raise TypeError(f"to_meta takes a tensor or a module, got {type(value).__name__}")


@contextlib.contextmanager
def _meta_scalars() -> Iterator[None]:
    """Inside the block, ``.item()`` and ``float()`` of a meta tensor return 0.0."""
    item, to_float = torch.Tensor.item, torch.Tensor.__float__

    def meta_item(self: torch.Tensor) -> Any:
        return 0.0 if self.device.type == "meta" else item(self)

    def meta_float(self: torch.Tensor) -> float:
        return 0.0 if self.device.type == "meta" else to_float(self)

    with patched(torch.Tensor, "item", meta_item), patched(torch.Tensor, "__float__", meta_float):
        yield


def _tensors_in(value: Any, path: str = "the result") -> Iterator[tuple[str, torch.Tensor]]:
    if isinstance(value, torch.Tensor):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _tensors_in(item, f"{path}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _tensors_in(item, f"{path}[{i}]")


@guarded
def assert_runs_on_meta(
    fn: Callable[..., Any], *args: Any, name: str = "value", hint: str | None = None, **kwargs: Any
) -> Any:
    """Call ``fn`` on ``meta``-device inputs: it must not fail, and must return meta tensors.

    The meta device stands in for a GPU on machines without one: shapes and devices
    propagate, values do not. Code that makes a tensor on the CPU whatever its inputs' device
    (``torch.ones(shape)``, ``torch.randn(n, z_dim)`` with no ``device=``) fails here as it
    would fail on a GPU. ``.item()`` and ``float()`` of a meta tensor give 0.0 in the call.
    Build the inputs with :func:`to_meta` (modules, tensors) and optimizers over the meta
    modules' parameters. It cannot stand in for code that needs values (use
    :func:`~helpers.checks.devices.gpu_like`) nor where random generators matter: meta
    accepts a CPU ``torch.Generator`` (CUDA refuses it) and refuses
    ``torch.Generator(device="meta")`` (CUDA accepts its own); see :mod:`.devices`.
    """
    try:
        with _meta_scalars(), student_code(name):
            result = fn(*args, **kwargs)
    except CheckFailure:
        raise
    except Exception as err:  # noqa: BLE001 - reported to the student with context
        fail(
            name,
            "code that runs on whatever device its inputs are on (tried with inputs on the "
            "'meta' device, which stands in for a GPU)",
            f"{type(err).__name__}: {str(err)[:300]}",
            hint
            or "make new tensors on the inputs' device: torch.ones_like(x), "
            "torch.randn(..., device=x.device), z.to(device)",
        )
    for path, tensor in _tensors_in(result):
        if tensor.device.type != "meta":
            fail(
                name,
                "outputs on the inputs' device (here 'meta', standing in for a GPU)",
                f"{path} on device {tensor.device}",
                hint or "do not move results to the CPU; create tensors with device=...",
            )
    return result
