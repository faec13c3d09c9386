"""Counting a step's FLOPs and measuring the device's matrix-multiply peak."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from .paths import sync

__all__ = ["FLOP_RULE", "PEAK_SIZES", "count_flops", "matmul_peak"]

FLOP_RULE = (
    "FLOPs per step: the matrix multiplies and convolutions that one step of the lesson's "
    "course path runs in eager fp32 (forward, backward and double backward), counted from "
    "their shapes by torch.utils.flop_counter's formulas, 2 FLOPs per multiply-add; "
    "elementwise ops, losses and the optimizer count 0. Every path of a lesson is credited "
    "with that count at its batch size, so all paths are measured against the same work. "
    "Lesson 1 (= the work the maths needs): D update = D forward on real and fake + D weight "
    "gradients + D input gradients below its first layer, plus G's forward; G update (D "
    "frozen) = D forward + D input gradients + G weight and input gradients: 28.98 MFLOP per "
    "image (the 3 x forward rule of thumb would say 35.15). WGAN-GP critic step: G forward; "
    "critic forward, weight and input gradients on real and fake; for the penalty a critic "
    "forward and input-gradient pass at the interpolates, then a double backward worth 2 "
    "critic forwards (the classic and reference paths run 4: autograd also pushes zeros back "
    "through the forward convolutions, because LeakyReLU's second derivative is 0; the course "
    "path treats LeakyReLU's mask as a constant, fast.constant_leaky_relu_masks). ProGAN "
    "iteration (32 x 32 fading in): that critic step on both paths of the fade (minibatch "
    "stddev's square root has a second derivative, so there the double backward does pass "
    "through the forward convolutions), then a generator step through the frozen critic "
    "(forward and input gradients; the classic path also computes D's weight gradients, which "
    "it is not credited with); equalized layers count as the convolutions and matrix "
    "multiplies they run (their weight scaling is elementwise). StyleGAN generator step: G "
    "forward, weight and input gradients (none below "
    "the mapping's first layer), the frozen critic's forward and input gradients; its "
    "convolutions are ordinary ones (no modulated convolutions), and AdaIN, noise injection, "
    "bilinear upsampling, pixel norm and minibatch stddev are elementwise (0); the counted "
    "step's coin decides whether the mapping network runs twice (under 0.1% of the count). "
    "Peak: per round, the fastest square matrix "
    "multiply (1024 and 2048 on a CPU) in the row's precision; the median over rounds."
)

PEAK_SIZES = {"cpu": (1024, 2048), "cuda": (4096, 8192), "mps": (2048, 4096)}


class _MatmulFlops(TorchDispatchMode):
    """Adds up torch.utils.flop_counter's formulas for every op that has one."""

    def __init__(self) -> None:
        super().__init__()
        from torch.utils.flop_counter import flop_registry  # imports sympy: only when counting

        self.formulas = flop_registry
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = self.formulas.get(func._overloadpacket)
        if formula is not None:
            self.total += int(formula(*args, **kwargs, out_val=out))
        return out


def count_flops(step: Callable[[], Any]) -> int:
    """The matmul and convolution FLOPs of one call of ``step`` (see :data:`FLOP_RULE`).

    Unlike ``FlopCounterMode``, it does not track modules, so it also counts steps that call
    ``torch.autograd.grad`` on a leaf (the gradient penalty).

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """
    with _MatmulFlops() as counter:
        step()
    return counter.total


def matmul_peak(
    device: torch.device | str, dtype: torch.dtype = torch.float32, sizes: Sequence[int] = ()
) -> float:
    """FLOP/s of the fastest of a few square ``dtype`` matrix multiplies on ``device``.

    Each size is timed over at least 0.05 s (at least 2 products) after one warm-up product;
    the best size's rate is returned. ``sizes`` defaults to :data:`PEAK_SIZES` for the device.

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """
    device = torch.device(device)
    best = 0.0
    for n in sizes or PEAK_SIZES.get(device.type, (1024,)):
        a = torch.randn(n, n, device=device).to(dtype)
        b = torch.randn(n, n, device=device).to(dtype)
        a @ b
        sync(device)
        reps, start = 0, time.perf_counter()
        while reps < 2 or time.perf_counter() - start < 0.05:
            a @ b
            reps += 1
            sync(device)
        best = max(best, 2 * n**3 * reps / (time.perf_counter() - start))
    return best
