"""Training loops shared by the lessons: the loop owns logging, a step function owns the math.

A lesson passes its own ``step_fn`` (the student's ``train_step`` or a reference), so later
lessons reuse the loop with other losses, n critic steps per generator step, or growing
resolutions without copying it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["History", "StepFn", "train_gan"]

StepFn = Callable[..., dict[str, float]]


@dataclass
class History:
    """Losses averaged over each logging interval, with the step at which they were logged."""

    steps: list[int]
    logs: dict[str, list[float]]


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
    **step_kwargs: object,
) -> History:
    """Run ``num_steps`` calls of ``step_fn(G, D, opt_G, opt_D, real, **step_kwargs)``.

    ``batches`` is iterated again whenever an epoch ends. Every ``log_every`` steps (and at
    the last step) the mean of each returned loss over the interval is recorded and passed
    to ``on_log(step, means)``, e.g. to draw live loss curves or sample grids.

    Args:
        G, D, opt_G, opt_D: models and their optimizers.
        batches: an iterable of real batches (e.g. :class:`helpers.data.DeviceBatches`).
        num_steps: number of training steps (use :func:`helpers.runtime.budget`).
        step_fn: one training step returning a dict of float losses.
        log_every: logging interval in steps.
        on_log: optional callback for each logging point.

    Taught in: 01-vanilla-gan, section 4.
    """
    for name, value in (("num_steps", num_steps), ("log_every", log_every)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    G.train()
    D.train()
    history = History(steps=[], logs={})
    sums: dict[str, float] = {}
    count = 0
    step = 0
    while step < num_steps:
        empty_epoch = True
        for real in batches:
            empty_epoch = False
            for key, value in step_fn(G, D, opt_G, opt_D, real, **step_kwargs).items():
                sums[key] = sums.get(key, 0.0) + float(value)
            count += 1
            step += 1
            if step % log_every == 0 or step == num_steps:
                means = {key: total / count for key, total in sums.items()}
                history.steps.append(step)
                for key, value in means.items():
                    history.logs.setdefault(key, []).append(value)
                if on_log is not None:
                    on_log(step, means)
                sums, count = {}, 0
            if step == num_steps:
                break
        if empty_epoch:
            raise ValueError("batches yielded no batch; is the dataset smaller than a batch?")
    return history
