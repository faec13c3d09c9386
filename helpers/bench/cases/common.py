"""What several lessons' benchmark cases share: the classic ``DataLoader`` pipeline, its
sigmoid + ``BCELoss`` training step, a zero-argument step over device-resident batches, Adam
plain or fast, and one path per ``FastOptions`` row."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from ...fast import FastOptions, autocast_dtype, fast_optimizer
from ...training import StepFn, batch_stream
from ..paths import BenchContext, BenchPath

__all__ = ["adam", "classic_gan_step", "classic_loader", "option_paths", "stream_step"]


def adam(net: nn.Module, fast: bool, **settings: Any) -> torch.optim.Optimizer:
    """Adam over ``net``'s parameters: :func:`helpers.fast.fast_optimizer`'s for a fast path,
    the plain (for-loop) one for the classic and reference paths."""
    if fast:
        return fast_optimizer(torch.optim.Adam, net.parameters(), **settings)
    return torch.optim.Adam(net.parameters(), **settings)


def stream_step(
    step_fn: StepFn,
    G: nn.Module,
    D: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    batches: Iterable[torch.Tensor],
    **kwargs: Any,
) -> Callable[[], Any]:
    """One call = ``step_fn`` on the next batch of ``batches`` (restarted at each epoch's end).

    The returned function's ``note()`` says why ``torch.compile`` fell back to eager, if it did.
    """
    stream = batch_stream(batches)

    def step() -> Any:
        return step_fn(G, D, opt_G, opt_D, next(stream), **kwargs)

    step.note = lambda: getattr(step_fn, "compile_fallback", None)  # type: ignore[attr-defined]
    return step


def classic_loader(dataset: Any, batch_size: int) -> torch.utils.data.DataLoader:
    """The seed notebook's loader: ``DataLoader(dataset, batch_size, shuffle=True)``, with the
    defaults ``num_workers=0`` and no pinned memory."""
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True)


def classic_gan_step(
    G: nn.Module,
    D: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    loader: Iterable[Any],
    z_dim: int,
    device: torch.device,
) -> Callable[[], tuple[float, float]]:
    """The classic notebook's training step, as a zero-argument function.

    Each call takes the next ``(images, labels)`` batch from ``loader``, copies it to
    ``device``, and updates ``D`` (which ends in a sigmoid) with ``nn.BCELoss`` against
    target tensors of ones and zeros, then ``G`` through ``D`` (whose weight gradients are
    computed and thrown away), and reads both losses with ``.item()``.
    """
    criterion = nn.BCELoss()
    stream = batch_stream(loader)

    def step() -> tuple[float, float]:
        real = next(stream)[0].to(device)
        real = real.view(real.size(0), -1)
        n = real.size(0)
        ones, zeros = torch.ones(n, 1, device=device), torch.zeros(n, 1, device=device)
        fake = G(torch.randn(n, z_dim, device=device))
        opt_D.zero_grad()
        d_loss = criterion(D(real), ones) + criterion(D(fake.detach()), zeros)
        d_loss.backward()
        opt_D.step()
        opt_G.zero_grad()
        g_loss = criterion(D(fake), ones)
        g_loss.backward()
        opt_G.step()
        return d_loss.item(), g_loss.item()

    return step


def option_paths(
    ctx: BenchContext,
    applicable: Iterable[str],
    batch_size: int,
    make: Callable[[FastOptions], Callable[[], Any]],
) -> list[BenchPath]:
    """A path per option asked for that applies: ``make(options)`` builds its step."""
    paths = []
    for name, options in ctx.option_variants(tuple(applicable)):
        dtype = autocast_dtype(options.precision, ctx.device) or torch.float32

        def build(options: FastOptions = options) -> Callable[[], Any]:
            return make(options)

        paths.append(BenchPath(name, batch_size, build, dtype=dtype))
    return paths
