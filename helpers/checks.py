"""Assertions for notebook test cells, with messages written for students.

Every failure raises :class:`CheckFailure` (an ``AssertionError``) whose message names the
exercise, what was expected, what was found (shape, dtype, device, value) and a hint.
The comparisons use plain tensor arithmetic on detached copies, so a returned object that
only pretends to be a tensor, or to be equal to everything, is rejected.
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import torch
from torch import nn

__all__ = [
    "CheckFailure",
    "BackwardCounter",
    "ConstantGenerator",
    "LinearDiscriminator",
    "ModeRecorder",
    "align_parameters",
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
    "forbid_reference",
    "layer_inputs",
    "references_for",
    "parameter_shapes",
]


class CheckFailure(AssertionError):
    """A test-cell check that failed; the message is meant for the student."""


def _fail(name: str, expected: str, found: str, hint: str | None = None) -> None:
    lines = [f"{name}: check failed.", f"  expected: {expected}", f"  found:    {found}"]
    if hint:
        lines.append(f"  hint:     {hint}")
    raise CheckFailure("\n".join(lines))


def describe(x: Any) -> str:
    """A short description of a value: tensors by shape, dtype and device, others by type."""
    if isinstance(x, torch.Tensor):
        grad = ", requires_grad=True" if x.requires_grad else ""
        return f"tensor of shape {list(x.shape)}, dtype {x.dtype}, device {x.device}{grad}"
    text = repr(x)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(x).__name__} {text}"


def assert_true(
    condition: bool, name: str, expected: str, found: str, hint: str | None = None
) -> None:
    """Fail with an expected/found/hint message unless ``condition`` holds."""
    if not condition:
        _fail(name, expected, found, hint)


def assert_tensor(x: Any, name: str, hint: str | None = None) -> None:
    """``x`` must be a real ``torch.Tensor``."""
    if not isinstance(x, torch.Tensor):
        _fail(name, "a torch.Tensor", describe(x), hint or "return a tensor, not a list or array")


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
        _fail(name, f"shape {pattern}", f"shape {shape}", hint)


def assert_dtype(x: Any, dtype: torch.dtype, name: str = "value", hint: str | None = None):
    """``x`` must be a tensor of ``dtype``."""
    assert_tensor(x, name, hint)
    if x.dtype != dtype:
        _fail(name, f"dtype {dtype}", f"dtype {x.dtype}", hint)


def assert_device(x: Any, device: torch.device | str, name: str = "value", hint: str | None = None):
    """``x`` must live on ``device`` (compared by type, and by index when one is given)."""
    assert_tensor(x, name, hint)
    want = torch.device(device)
    same = x.device.type == want.type and (want.index is None or x.device.index == want.index)
    if not same:
        _fail(name, f"device {want}", f"device {x.device}", hint or "create it with device=...")


def assert_scalar(x: Any, name: str = "value", hint: str | None = None) -> None:
    """``x`` must be a 0-dimensional floating tensor (a loss)."""
    assert_tensor(x, name, hint)
    if x.dim() != 0:
        _fail(
            name,
            "a scalar tensor (shape [])",
            f"shape {list(x.shape)}",
            hint or "reduce with .mean() so the loss is one number",
        )
    if not x.is_floating_point():
        _fail(name, "a floating-point scalar", f"dtype {x.dtype}", hint)


def assert_float(x: Any, name: str = "value", hint: str | None = None) -> None:
    """``x`` must be a finite Python float (e.g. from ``loss.item()``)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or isinstance(x, torch.Tensor):
        _fail(name, "a Python float", describe(x), hint or "use loss.item() to get a float")
    if not math.isfinite(float(x)):
        _fail(name, "a finite float", repr(x), hint)


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
        _fail(name, f"shape {list(expected.shape)}", f"shape {list(found.shape)}", hint)
    got = found.detach().to(device="cpu", dtype=torch.float64)
    want = expected.detach().to(device="cpu", dtype=torch.float64)
    if not torch.isfinite(want).all().item():
        raise ValueError(f"assert_close({name}): the expected value is not finite")
    if not torch.isfinite(got).all().item():
        bad = (~torch.isfinite(got)).sum().item()
        _fail(name, "finite values", f"{bad} NaN/inf value(s)", hint)
    excess = (got - want).abs() - (atol + rtol * want.abs())
    worst = int(torch.argmax(excess).item()) if excess.numel() else 0
    if excess.numel() and excess.reshape(-1)[worst].item() > 0:
        index = list(torch.unravel_index(torch.tensor(worst), want.shape)) if want.dim() else []
        where = f" at index {[int(i) for i in index]}" if index else ""
        diff = (got - want).abs().reshape(-1)[worst].item()
        _fail(
            name,
            f"{want.reshape(-1)[worst].item():.6g}{where} (tolerance {atol:g} + {rtol:g}*|x|)",
            f"{got.reshape(-1)[worst].item():.6g}{where}, off by {diff:.3g}",
            hint,
        )


def assert_grad_flows(
    output: torch.Tensor,
    inputs: Sequence[torch.Tensor],
    name: str = "value",
    hint: str | None = None,
) -> list[torch.Tensor]:
    """Gradients of ``output.sum()`` must reach every tensor in ``inputs``; returns them."""
    assert_tensor(output, name, hint)
    if not output.requires_grad:
        _fail(
            name,
            "a result connected to the autograd graph (requires_grad=True)",
            describe(output),
            hint or "avoid .item(), .detach(), numpy or torch.no_grad() inside the computation",
        )
    grads = torch.autograd.grad(output.sum(), list(inputs), allow_unused=True)
    for i, grad in enumerate(grads):
        if grad is None or not torch.any(grad != 0).item():
            _fail(
                name,
                f"a non-zero gradient reaching input {i}",
                "no gradient (the gradient does not flow)",
                hint,
            )
    return list(grads)


def call(
    fn: Callable[..., Any], *args: Any, name: str = "value", hint: str | None = None, **kwargs: Any
) -> Any:
    """Call student code; turn an unexpected error into a failure that says what was called."""
    try:
        return fn(*args, **kwargs)
    except CheckFailure:
        raise
    except Exception as err:  # noqa: BLE001 - reported to the student with context
        _fail(name, "no error", f"{type(err).__name__}: {err}", hint)


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
        fn(*args, **kwargs)
    except exc_type as err:
        if not str(err).strip():
            _fail(name, f"{exc_type.__name__} with a message", f"{exc_type.__name__}()", hint)
        return err
    except Exception as err:  # noqa: BLE001 - any other error is reported, not propagated
        _fail(name, f"{exc_type.__name__} for ({call})", f"{type(err).__name__}: {err}", hint)
    _fail(name, f"{exc_type.__name__} for ({call})", "no error was raised", hint)
    raise AssertionError("unreachable")


def parameter_shapes(module: nn.Module) -> list[list[int]]:
    """The shapes of a module's parameters, in registration order."""
    return [list(p.shape) for p in module.parameters()]


def align_parameters(student: nn.Module, reference: nn.Module, name: str = "module") -> None:
    """Copy ``reference``'s parameters into ``student`` by registration order and shape.

    This lets a test compare outputs of two modules whose layers are named or grouped
    differently (``nn.Sequential`` or separate attributes): only the order in which
    parameters are registered (the order layers are created) and their shapes must agree.
    """
    if not isinstance(student, nn.Module):
        _fail(name, "an nn.Module instance", describe(student))
    got, want = parameter_shapes(student), parameter_shapes(reference)
    if got != want:
        _fail(
            name,
            f"parameters with shapes {want} (in the order the layers are created)",
            f"{got}",
            "check the layer sizes and that you create the layers in the order they are used",
        )
    with torch.no_grad():
        for mine, ref in zip(student.parameters(), reference.parameters()):
            mine.copy_(ref.to(device=mine.device, dtype=mine.dtype))


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


def _blocked_code(qualname: str) -> Any:
    message = (
        f"your code called the course's reference {qualname}. The hidden tests compare "
        "your implementation with that reference, so write the computation yourself."
    )
    source = f"def blocked(*args, **kwargs):\n    raise RuntimeError({message!r})\n"
    scope: dict[str, Any] = {}
    exec(compile(source, f"<blocked {qualname}>", "exec"), scope)  # noqa: S102
    return scope["blocked"]


@contextlib.contextmanager
def forbid_reference(*targets: Any) -> Iterator[None]:
    """Make calls to the given reference functions or classes fail inside the block.

    A function's code object is swapped, so aliases made earlier (``from helpers.mlp_gan
    import generator_loss as g``) are blocked too. A class has its ``__init__`` and
    ``forward`` replaced, which also blocks subclasses that do not override them. Everything
    is restored on exit, also after an error.
    """
    restore: list[Callable[[], None]] = []
    try:
        for target in targets:
            qualname = f"{target.__module__}.{target.__qualname__}"
            blocked = _blocked_code(qualname)
            if isinstance(target, type):
                for attr in ("__init__", "forward"):
                    if attr in vars(target):
                        original = vars(target)[attr]
                        setattr(target, attr, blocked)
                        restore.append(lambda t=target, a=attr, o=original: setattr(t, a, o))
            elif hasattr(target, "__code__"):
                original_code = target.__code__
                target.__code__ = blocked.__code__
                restore.append(lambda t=target, c=original_code: setattr(t, "__code__", c))
            else:
                raise TypeError(f"forbid_reference cannot block {target!r}")
        yield
    finally:
        for undo in reversed(restore):
            undo()


@contextlib.contextmanager
def references_for(namespace: dict[str, Any], module: Any, *names: str) -> Iterator[None]:
    """Inside the block, ``namespace[name]`` is ``module``'s reference for each name.

    Grades one exercise on its own: a test of ``train_step`` runs with the reference losses
    in the notebook's globals, so a mistake in an earlier exercise does not cost points twice.
    The student's own definitions are put back on exit, also after an error.
    """
    missing = object()
    saved = {name: namespace.get(name, missing) for name in names}
    namespace.update({name: getattr(module, name) for name in names})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def layer_inputs(model: nn.Module, *args: Any) -> list[torch.Tensor]:
    """Run ``model(*args)`` and return the input of every parameter-owning layer, in call order.

    Works whatever the layers are named or grouped (e.g. the input of each ``nn.Linear``);
    used to look inside a student's network, e.g. to measure a dropout rate.
    """
    seen: list[torch.Tensor] = []
    owners = [m for m in model.modules() if any(True for _ in m.parameters(recurse=False))]
    handles = [
        m.register_forward_pre_hook(lambda _m, inputs: seen.append(inputs[0].detach()))
        for m in owners
        if m is not model
    ]
    try:
        model(*args)
    finally:
        for handle in handles:
            handle.remove()
    return seen


class ConstantGenerator(nn.Module):
    """A stand-in generator whose images do not depend on the values of z.

    Two training steps that draw z differently (reuse it, or draw a fresh one) then give the
    same result, so a student's step can be compared exactly with the reference step.

    Shapes:
        z: [N, z_dim] -> [N, img_dim], values in (-1, 1).
    """

    def __init__(self, z_dim: int = 100, img_dim: int = 784, seed: int = 0):
        super().__init__()
        self.z_dim = z_dim
        start = torch.randn(img_dim, generator=torch.Generator().manual_seed(seed))
        self.image = nn.Parameter(0.5 * start)  # [img_dim]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(
                f"the test generator expects z of shape [N, {self.z_dim}], got {list(z.shape)}"
            )
        return torch.tanh(self.image).expand(z.shape[0], -1).contiguous()  # [N, img_dim]


class LinearDiscriminator(nn.Module):
    """A stand-in discriminator without dropout: one linear layer on the flattened image.

    Shapes:
        x: [N, img_dim] or [N, C, H, W] -> logits [N, 1].
    """

    def __init__(self, img_dim: int = 784, seed: int = 1):
        super().__init__()
        init = torch.Generator().manual_seed(seed)
        self.weight = nn.Parameter(torch.randn(1, img_dim, generator=init) / img_dim**0.5)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], -1) @ self.weight.t() + self.bias  # [N, 1]


class ModeRecorder(nn.Module):
    """Wraps a module and records, at each forward, its train flag and whether grad was on."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner
        self.calls: list[dict[str, bool]] = []

    def forward(self, *args: Any) -> Any:
        self.calls.append({"training": self.training, "grad": torch.is_grad_enabled()})
        return self.inner(*args)
