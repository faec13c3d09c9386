"""Fast training steps that keep the maths: what every lesson's fast path shares.

The references that the hidden tests compare with (``mlp_gan.train_step``, ``wgan.critic_step``)
keep the simple form a lesson teaches. Each lesson's *fast path* (``mlp_gan.FastTrainStep``,
``wgan.FastCriticStep``, ``wgan.FastGeneratorStep``) computes the same losses with the same
random draws, and is faster because of what this module provides:

* **no host synchronisation per step**: losses come back as detached tensors, and
  :func:`helpers.training.train_gan` converts them only when it logs;
* ``zero_grad(set_to_none=True)``: no memset of the gradients before each backward pass;
* :func:`fast_optimizer`: the fused optimizer kernel where the device has one (one kernel for
  every parameter instead of a loop over them), else the ``foreach`` implementation;
* :func:`frozen`: the discriminator's parameters stop requiring gradients during the
  generator's update, so its backward pass computes input gradients only;
* data that lives on the device (:class:`helpers.data.DeviceBatches`), chosen by the caller.

and three :class:`FastOptions`, each checked by a test that the losses do not change beyond a
stated tolerance: channels-last memory format for convolutions, mixed precision (bfloat16
where supported, float16 with a gradient scaler elsewhere on a GPU), and ``torch.compile``
with a clean fallback to eager execution where it is unavailable.
"""

from __future__ import annotations

import contextlib
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

__all__ = [
    "PRECISIONS",
    "FastOptions",
    "FastStep",
    "autocast_dtype",
    "check_samplewise",
    "compile_module",
    "constant_leaky_relu_masks",
    "fast_optimizer",
    "frozen",
]

PRECISIONS = ("fp32", "bf16", "fp16", "auto")


@dataclass(frozen=True)
class FastOptions:
    """Options of a fast training step; the defaults change nothing numerically.

    Args:
        channels_last: store 4-D activations and convolution weights as ``[N, H, W, C]``
            (cuDNN's and oneDNN's preferred layout); no effect on MLPs.
        precision: ``"fp32"``; ``"bf16"`` or ``"fp16"`` autocast (fp16 with a gradient
            scaler); ``"auto"``: bf16 where the device supports it, else fp16 on CUDA, else
            fp32.
        compile: ``torch.compile`` the networks' forward passes: ``True`` for the default
            backend (inductor), or a backend's name (``"aot_eager"`` compiles without a C++
            compiler). Falls back to eager execution, with a warning, where unavailable.

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """

    channels_last: bool = False  # NHWC memory format for 4-D tensors
    precision: str = "fp32"  # "fp32", "bf16", "fp16" or "auto"
    compile: bool | str = False  # torch.compile backend: True (inductor) or a name

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if not isinstance(self.compile, (bool, str)) or self.compile == "":
            raise ValueError(f"compile must be a bool or a backend name, got {self.compile!r}")


def _cpu_supports_bf16() -> bool:
    check = getattr(getattr(torch.ops, "mkldnn", None), "_is_mkldnn_bf16_supported", None)
    try:
        return bool(check()) if check is not None else False
    except RuntimeError:
        return False


def autocast_dtype(precision: str, device: torch.device | str) -> torch.dtype | None:
    """The autocast dtype for ``precision`` on ``device``, or None for full fp32.

    ``"auto"`` picks bfloat16 on GPUs that support it (Ampere and newer) and on CPUs with
    bfloat16 instructions (AVX512-BF16, AMX), float16 on older CUDA GPUs, else fp32.

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    kind = torch.device(device).type
    if precision == "auto":
        if kind == "cuda":
            precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        elif kind == "cpu" and _cpu_supports_bf16():
            precision = "bf16"
        else:
            precision = "fp32"
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]


def fast_optimizer(
    cls: type[torch.optim.Optimizer], params: Iterable[nn.Parameter], **kwargs: Any
) -> torch.optim.Optimizer:
    """``cls(params, **kwargs)`` with its fastest implementation on the parameters' device.

    Tries ``fused=True`` (one kernel updates every parameter: Adam and AdamW on CUDA, CPU and
    MPS in recent PyTorch), then ``foreach=True`` (a few batched kernels), then the plain
    loop. The update rule is the same; only rounding can differ (see the tests' tolerance).

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """
    params = list(params)
    for flag in ("fused", "foreach"):
        try:
            optimizer = cls(params, **kwargs, **{flag: True})
        except (TypeError, RuntimeError, ValueError):
            continue  # this optimizer, PyTorch version or device has no such implementation
        optimizer.implementation = flag  # type: ignore[attr-defined]
        return optimizer
    optimizer = cls(params, **kwargs)
    optimizer.implementation = "for-loop"  # type: ignore[attr-defined]
    return optimizer


@contextlib.contextmanager
def frozen(*modules: nn.Module) -> Iterator[None]:
    """Turn off ``requires_grad`` of the modules' parameters inside the block, then restore it.

    During the generator's update the discriminator only passes gradients on to its input:
    with its parameters frozen, autograd skips their weight gradients (a third of D's
    backward work) and D's ``.grad`` fields stay as they were.

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """
    switched = [p for m in modules for p in m.parameters() if p.requires_grad]
    for p in switched:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in switched:
            p.requires_grad_(True)


def _leaky_relu_with_constant_mask(
    input: torch.Tensor, negative_slope: float = 0.01, inplace: bool = False
) -> torch.Tensor:
    """``F.leaky_relu`` as ``input * mask``, the mask (1 or the slope) made without autograd."""
    mask = torch.full_like(input, negative_slope).masked_fill_(input.detach() > 0, 1.0)
    return input * mask  # [same shape as input]; out of place even when asked for inplace


class _ConstantLeakyReLUMasks(TorchFunctionMode):
    """Sends ``F.leaky_relu`` (so ``nn.LeakyReLU`` too) to the constant-mask version."""

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        if func is F.leaky_relu:
            return _leaky_relu_with_constant_mask(*args, **(kwargs or {}))
        return func(*args, **(kwargs or {}))


@contextlib.contextmanager
def constant_leaky_relu_masks() -> Iterator[None]:
    """Inside the block, LeakyReLU multiplies by a mask that autograd treats as a constant.

    The values and first derivatives are LeakyReLU's (the mask, 1 or the slope, is its
    derivative). What changes is the double backward of a gradient penalty: LeakyReLU's second
    derivative is 0, but autograd still pushes those zeros back through the whole forward pass
    at the interpolates (every convolution's weight and input gradients there: 2 of the
    double backward's 4 critic forwards' worth of work). With the mask a constant, that branch
    of the graph does not exist, and the parameters' gradients are the same. Only
    ``F.leaky_relu`` and ``nn.LeakyReLU`` are affected; other nonlinearities (a square root in
    minibatch stddev) keep their second derivatives.

    Taught in: 03-wgan, section 5.
    """
    with _ConstantLeakyReLUMasks():
        yield


def check_samplewise(module: nn.Module, name: str) -> None:
    """Raise ``ValueError`` if ``module`` has batch norm, whose output for one sample depends on
    the others in its batch: then one forward pass over real and fake images together would
    not compute what two separate passes compute.

    Other layers that mix samples (ProGAN's minibatch standard deviation) cannot be detected;
    steps that concatenate real and fake batches say so in their docstring.

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """
    for sub in module.modules():
        if isinstance(sub, nn.modules.batchnorm._BatchNorm):
            raise ValueError(
                f"{name} has {type(sub).__name__}: a joint forward pass over real and fake "
                "images would change its batch statistics; pass concat_real_fake=False"
            )


def _compile_unavailable() -> str | None:
    """Why ``torch.compile`` cannot work here, or None if it may."""
    if not hasattr(torch, "compile"):
        return f"torch {torch.__version__} has no torch.compile"
    try:
        from torch._dynamo import is_dynamo_supported

        if not is_dynamo_supported():
            return "torch.compile does not support this Python version or platform"
    except Exception as err:  # noqa: BLE001 - any import problem means "not available"
        return f"torch._dynamo cannot be imported ({err})"
    return None


class compile_module:  # noqa: N801 - used like a function
    """``torch.compile(module)`` that falls back to ``module`` itself when compiling fails.

    Compilation happens on the first call; if it fails (no C++ compiler, an unsupported
    Python or device), a ``RuntimeWarning`` says why, ``fallback`` holds the reason and every
    call from then on runs eagerly. Errors after a first successful call are raised.

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """

    def __init__(self, module: nn.Module, backend: str = "inductor"):
        self.module = module
        self.fallback = _compile_unavailable()
        self._compiled = None if self.fallback else torch.compile(module, backend=backend)
        self._ran = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._compiled is None:
            return self.module(*args, **kwargs)
        try:
            out = self._compiled(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - any compiler failure means "run eagerly"
            if self._ran:
                raise
            out = self.module(*args, **kwargs)  # an error of the module itself is raised here
            root = err
            while root.__cause__ is not None:  # the compiler's own error, not dynamo's wrapper
                root = root.__cause__
            self.fallback = f"{type(root).__name__}: {str(root).strip()[:200]}"
            self._compiled = None
            warnings.warn(
                f"torch.compile failed, running eagerly: {self.fallback}",
                RuntimeWarning,
                stacklevel=2,
            )
            return out
        self._ran = True
        return out


def _grad_scaler(device: torch.device) -> Any:
    if hasattr(torch.amp, "GradScaler"):  # PyTorch >= 2.3, any device
        return torch.amp.GradScaler(device.type)
    return torch.cuda.amp.GradScaler()  # older PyTorch: CUDA only


class FastStep:
    """Shared machinery of the lessons' fast steps: options, autocast, scalers, compiled nets.

    A subclass's ``__call__`` runs one update in :func:`helpers.training.train_gan`'s calling
    convention. Networks are prepared once, the first time a step sees them (converted to
    channels-last, wrapped by :class:`compile_module`), so one step object can be passed to
    ``train_gan`` like a function.

    A subclass whose networks take arguments that change every step (ProGAN's fade-in weight)
    sets ``compile_refusal`` to the reason: ``torch.compile`` specialises on Python numbers
    and would recompile every step, so such a step refuses ``FastOptions(compile=...)``.

    Args:
        options: :class:`FastOptions`; the defaults change nothing numerically.

    Raises:
        ValueError: ``compile`` asked of a step that sets ``compile_refusal``.

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """

    compile_refusal: str | None = None  # why this step cannot compile, or None

    def __init__(self, options: FastOptions | None = None):
        self.options = options or FastOptions()
        if self.options.compile and self.compile_refusal is not None:
            raise ValueError(
                f"{type(self).__name__} does not compile: {self.compile_refusal}; drop compile"
            )
        self._prepared: weakref.WeakKeyDictionary[nn.Module, Callable[..., Any]] = (
            weakref.WeakKeyDictionary()
        )
        self._scalers: weakref.WeakKeyDictionary[torch.optim.Optimizer, Any] = (
            weakref.WeakKeyDictionary()
        )
        self._samplewise: weakref.WeakSet[nn.Module] = weakref.WeakSet()

    def net(self, module: nn.Module) -> Callable[..., Any]:
        """``module`` as this step runs it: channels-last and/or compiled, prepared once.

        Channels-last conversion changes the parameters' memory layout in place (their
        values and identities stay), so do it before the optimizer's first step.
        """
        prepared = self._prepared.get(module)
        if prepared is None:
            if self.options.channels_last:
                module.to(memory_format=torch.channels_last)
            prepared = module
            if self.options.compile:
                backend = "inductor" if self.options.compile is True else self.options.compile
                prepared = compile_module(module, backend=backend)
            self._prepared[module] = prepared
        return prepared

    def require_samplewise(self, module: nn.Module, name: str) -> None:
        """:func:`check_samplewise` once per module."""
        if module not in self._samplewise:
            check_samplewise(module, name)
            self._samplewise.add(module)

    @property
    def compile_fallback(self) -> str | None:
        """Why ``torch.compile`` fell back to eager for one of the networks, or None."""
        reasons = [n.fallback for n in self._prepared.values() if isinstance(n, compile_module)]
        return next((reason for reason in reasons if reason), None)

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` in the step's memory format (channels-last for 4-D batches when asked)."""
        if self.options.channels_last and x.dim() == 4:
            return x.contiguous(memory_format=torch.channels_last)
        return x

    def autocast(self, device: torch.device) -> contextlib.AbstractContextManager[Any]:
        """Autocast to the options' precision on ``device``; does nothing in fp32."""
        dtype = autocast_dtype(self.options.precision, device)
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=device.type, dtype=dtype)

    def minimise(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
        """Clear the gradients (set to None), backpropagate ``loss`` and step ``optimizer``.

        In float16 a gradient scaler per optimizer multiplies the loss before the backward
        pass so small gradients do not underflow, and skips steps with inf/NaN gradients.
        """
        optimizer.zero_grad(set_to_none=True)
        if autocast_dtype(self.options.precision, loss.device) is not torch.float16:
            loss.backward()
            optimizer.step()
            return
        scaler = self._scalers.get(optimizer)
        if scaler is None:
            scaler = _grad_scaler(loss.device)
            self._scalers[optimizer] = scaler
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
