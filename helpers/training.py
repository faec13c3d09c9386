"""Training loops shared by the lessons: the loop owns logging, a step function owns the math.

A lesson passes its own ``step_fn`` (the student's ``train_step`` or a reference), so later
lessons reuse the loop with other losses, n critic steps per generator step, or growing
resolutions without copying it.
"""

from __future__ import annotations

import hashlib
import json
import os
import types
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from .runtime import data_dir

__all__ = [
    "History",
    "StepFn",
    "batch_stream",
    "cached",
    "fingerprint",
    "train_gan",
    "update_ema",
]

StepFn = Callable[..., dict[str, object]]


@dataclass
class History:
    """Losses averaged over each logging interval, with the step at which they were logged."""

    steps: list[int]
    logs: dict[str, list[float]]


def batch_stream(batches: Iterable[torch.Tensor]) -> Iterator[torch.Tensor]:
    """Yield batches forever, starting a new epoch (a new ``iter``) whenever one ends.

    Raises ``ValueError`` when an epoch yields no batch at all.

    Taught in: 01-vanilla-gan, section 4.
    """
    while True:
        empty_epoch = True
        for real in batches:
            empty_epoch = False
            yield real
        if empty_epoch:
            raise ValueError("batches yielded no batch; is the dataset smaller than a batch?")


class _IntervalMeans:
    """Sums logged values between logging points without forcing a device synchronisation.

    Tensors are summed on their device; only :meth:`flush` converts them with ``float``.
    ``None`` values (e.g. no gradient penalty in clipping mode) are skipped.
    """

    def __init__(self) -> None:
        self.sums: dict[str, object] = {}
        self.counts: dict[str, int] = {}

    def add(self, logs: dict[str, object]) -> None:
        for key, value in logs.items():
            if value is None:
                continue
            if isinstance(value, torch.Tensor):
                value = value.detach()
            else:
                value = float(value)  # type: ignore[arg-type]
            self.sums[key] = self.sums.get(key, 0.0) + value  # type: ignore[operator]
            self.counts[key] = self.counts.get(key, 0) + 1

    def flush(self) -> dict[str, float]:
        means = {key: float(total) / self.counts[key] for key, total in self.sums.items()}  # type: ignore[arg-type]
        self.sums, self.counts = {}, {}
        return means


def train_gan(
    G: nn.Module,
    D: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    batches: Iterable[torch.Tensor],
    num_steps: int,
    step_fn: StepFn,
    log_every: int = 100,
    on_log: Callable[[int, dict[str, float]], None] | None = None,
    n_critic: int = 1,
    generator_step: StepFn | None = None,
    **step_kwargs: object,
) -> History:
    """Run ``num_steps`` training steps, each calling ``step_fn(G, D, opt_G, opt_D, real, **kw)``.

    With ``generator_step`` given, ``step_fn`` updates only D (the critic) and one training
    step is ``n_critic`` calls of ``step_fn``, each on a fresh batch, then one call of
    ``generator_step`` with the same arguments (Algorithm 1 of the WGAN paper).

    ``batches`` is iterated again whenever an epoch ends. Every ``log_every`` steps (and at
    the last step) the mean of each returned value over the interval is recorded and passed
    to ``on_log(step, means)``, e.g. to draw live loss curves or sample grids. Values may be
    floats or tensors (tensors are converted only when logging, so a GPU is not synchronised
    every step); ``None`` values are skipped.

    Args:
        G, D, opt_G, opt_D: models and their optimizers.
        batches: an iterable of real batches (e.g. :class:`helpers.data.DeviceBatches`).
        num_steps: number of training steps (generator updates; use
            :func:`helpers.runtime.budget`).
        step_fn: one training step (or one critic step) returning a dict of losses.
        log_every: logging interval in steps.
        on_log: optional callback for each logging point.
        n_critic: critic steps per generator step; needs ``generator_step``.
        generator_step: the generator update, when ``step_fn`` updates only the critic.

    Taught in: 01-vanilla-gan, section 4 (n_critic: 03-wgan, section 5).
    """
    for name, value in (("num_steps", num_steps), ("log_every", log_every), ("n_critic", n_critic)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if n_critic != 1 and generator_step is None:
        raise ValueError("n_critic > 1 needs a generator_step: step_fn then updates only D")
    G.train()
    D.train()
    history = History(steps=[], logs={})
    means = _IntervalMeans()
    stream = batch_stream(batches)
    for step in range(1, num_steps + 1):
        for _ in range(n_critic):
            real = next(stream)
            means.add(step_fn(G, D, opt_G, opt_D, real, **step_kwargs))
        if generator_step is not None:
            means.add(generator_step(G, D, opt_G, opt_D, real, **step_kwargs))
        if step % log_every == 0 or step == num_steps:
            logged = means.flush()
            history.steps.append(step)
            for key, value in logged.items():
                history.logs.setdefault(key, []).append(value)
            if on_log is not None:
                on_log(step, logged)
    return history


def _canonical(code: types.CodeType) -> tuple[object, ...]:
    """What ``code`` does, without where it was written: no file name, line numbers or positions.

    A notebook cell's file name holds the kernel's process id, and ``marshal``'s bytes depend
    on how strings happen to be shared in memory, so neither can key a cache across sessions.
    """
    consts = tuple(_canonical(c) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return (code.co_name, code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount,
            code.co_flags, code.co_code, code.co_exceptiontable, consts, code.co_names,
            code.co_varnames, code.co_freevars, code.co_cellvars)  # fmt: skip


def fingerprint(fn: Callable[..., Any]) -> str:
    """A short hash of what a function does: it changes when the function is rewritten, not
    when the same code is run again from another file or line (a notebook cell compiled by a
    new kernel gets a new file name, and the cache must still find its runs).

    Taught in: 03-wgan, section 5.
    """
    code = getattr(fn, "__code__", None)
    payload = repr(_canonical(code) if code is not None else fn).encode()
    return hashlib.sha256(payload).hexdigest()[:12]


def cached(
    name: str, params: dict[str, Any], compute: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """``compute()``'s result, computed once per ``(name, params)`` and kept on disk.

    The result (tensors, numbers, lists and dicts of them) is saved atomically under
    ``<data_dir>/runs/`` and loaded with ``torch.load(weights_only=True)`` the next time, so
    re-running a notebook does not retrain. Change any value in ``params`` (a budget, a
    fingerprint of the student's step function) and it is computed again.

    Taught in: 03-wgan, section 5.
    """
    key = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:16]
    path = data_dir() / "runs" / f"{name}-{key}.pt"
    if path.exists():
        try:
            return torch.load(path, weights_only=True)
        except Exception:  # noqa: BLE001 - a truncated or foreign file is recomputed
            path.unlink(missing_ok=True)
    result = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    torch.save(result, partial)
    partial.replace(path)
    return result


@torch.no_grad()
def update_ema(G_ema: nn.Module, G: nn.Module, decay: float, copy_buffers: bool = False) -> None:
    """Move a copy of the generator towards it: an exponential moving average of its weights.

    Karras et al. (2018), appendix A.1 (decay 0.999): ``G_ema <- decay * G_ema + (1 - decay) * G``
    for every parameter, after every generator step; samples are drawn from ``G_ema``, which
    averages out the last steps' oscillations (Yazıcı et al., 2019). Start from
    ``G_ema = copy.deepcopy(G)``. With ``copy_buffers=True`` the buffers (e.g. batch norm's
    running statistics) are copied from ``G``; by default ``G_ema`` keeps its own (e.g.
    StyleGAN's ``w_avg``, computed from ``G_ema`` itself).

    Taught in: 03-wgan, section 7 (04-progan, section 5; 05-stylegan).
    """
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"decay must be in [0, 1], got {decay!r}")
    for p_ema, p in zip(G_ema.parameters(), G.parameters(), strict=True):
        p_ema.lerp_(p, 1.0 - decay)
    if copy_buffers:
        for b_ema, b in zip(G_ema.buffers(), G.buffers(), strict=True):
            b_ema.copy_(b)
