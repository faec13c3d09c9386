"""Lesson 3's training runs: clipping, gradient penalty or spectral normalisation, reported."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..data import DeviceBatches
from ..mlp_gan import decode
from ..resume import Checkpoint, Trace
from ..training import train_gan
from .losses import gradient_norms
from .networks import ConvCritic, ConvGenerator, critic_weights
from .steps import critic_step, generator_step


def make_optimizers(
    G: nn.Module, critic: nn.Module, mode: str, config: WGANConfig
) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """The papers' optimisers: RMSprop for weight clipping, Adam(betas=(0, 0.9)) for GP.

    Arjovsky et al. found momentum-based optimisers unstable with clipping (section 4);
    Gulrajani et al. train with Adam, beta1 = 0 (Algorithm 1).

    Returns:
        ``(opt_G, opt_C)``.

    Taught in: 03-wgan, section 5.
    """
    if mode == "clip":
        return (torch.optim.RMSprop(G.parameters(), lr=config.clip_lr),
                torch.optim.RMSprop(critic.parameters(), lr=config.clip_lr))  # fmt: skip
    if mode in ("gp", "spectral"):
        adam = {"lr": config.gp_lr, "betas": config.gp_betas}
        return torch.optim.Adam(G.parameters(), **adam), torch.optim.Adam(
            critic.parameters(), **adam
        )
    raise ValueError(f'mode must be "clip", "gp" or "spectral", got {mode!r}')


def train_run(
    mode: str,
    images: torch.Tensor,
    config: WGANConfig,
    num_steps: int,
    log_every: int,
    device: torch.device | str = "cpu",
    c: float | None = None,
    critic_step_fn: Callable[..., dict[str, float | None]] = critic_step,
    seed: int = 0,
    on_log: Callable[[int, dict[str, float]], None] | None = None,
    checkpoint: Checkpoint | None = None,
) -> dict[str, Any]:
    """Train a :class:`ConvGenerator` against a :class:`ConvCritic` and report what happened.

    ``mode`` is ``"clip"`` (RMSprop, weights clipped to ``c``, default ``config.c``),
    ``"gp"`` (Adam, gradient penalty) or ``"spectral"`` (Adam, spectral normalisation, no
    penalty). Training is :func:`helpers.training.train_gan` with ``n_critic`` critic steps
    by ``critic_step_fn`` (the student's, in the notebook), called with ``mode``, ``c`` and
    ``gp_weight`` bound, per :func:`generator_step`. With a ``checkpoint`` an interrupted
    run resumes where it stopped (``seconds_per_step`` then times the resumed part only).

    Returns:
        a dict of plain values that :func:`helpers.training.cached` can store: ``steps``,
        ``logs`` (lists per logged value), ``snapshots`` [num_logs, 8, 1, 32, 32] and
        ``samples`` [64, 1, 32, 32] from fixed codes, ``weights`` (the critic's weights),
        ``grad_norms`` [256] (critic gradient norms at interpolates after training),
        ``seconds_per_step`` and the generator's ``state_dict``.

    Taught in: 03-wgan, section 5.
    """
    if mode not in ("clip", "gp", "spectral"):
        raise ValueError(f'mode must be "clip", "gp" or "spectral", got {mode!r}')
    torch.manual_seed(seed)
    G = ConvGenerator(config.z_dim, images.shape[1], config.base_channels).to(device)
    critic = ConvCritic(images.shape[1], config.base_channels, spectral_norm=mode == "spectral")
    critic = critic.to(device)
    opt_G, opt_C = make_optimizers(G, critic, mode, config)
    # spectral normalisation needs neither clipping nor a penalty: clip mode with c = inf
    step_fn = functools.partial(
        critic_step_fn,
        mode="gp" if mode == "gp" else "clip",
        c=float("inf") if mode == "spectral" else (config.c if c is None else c),
        gp_weight=config.gp_weight,
    )
    batches = DeviceBatches(images, config.batch_size, device=device, seed=seed)
    fixed_z = torch.randn(64, config.z_dim, generator=torch.Generator().manual_seed(seed))
    snapshots = Trace()  # [8, 1, 32, 32] per logging point, kept by the checkpoint

    def log(step: int, logs: dict[str, float]) -> None:
        snapshots.append(decode(G, fixed_z[:8].to(device)).cpu())
        if on_log is not None:
            on_log(step, logs)

    start = time.perf_counter()
    history = train_gan(G, critic, opt_G, opt_C, batches, num_steps, step_fn, log_every=log_every,
                        on_log=log, n_critic=config.n_critic, generator_step=generator_step,
                        checkpoint=checkpoint, resumable={"snapshots": snapshots},
                        z_dim=config.z_dim)  # fmt: skip
    seconds = (time.perf_counter() - start) / num_steps
    real = next(iter(batches))[:256]
    with torch.no_grad():
        fake = G(torch.randn(real.shape[0], config.z_dim, device=device))
    return {
        "mode": mode,
        "c": None if mode != "clip" else (config.c if c is None else c),
        "steps": history.steps,
        "logs": history.logs,
        "snapshots": torch.stack(snapshots),
        "samples": decode(G, fixed_z.to(device)).cpu(),
        "weights": critic_weights(critic),
        "grad_norms": gradient_norms(critic, real, fake).cpu(),
        "seconds_per_step": seconds,
        "generator": {k: v.cpu() for k, v in G.state_dict().items()},
    }


@dataclass
class WGANConfig:
    """Lesson 3's hyper-parameters: the papers' settings, GPU-sized runs, smoke budgets beside."""

    z_dim: int = 100  # length of the latent code
    base_channels: int = 64  # width of the DCGAN generator and critic
    batch_size: int = 64
    n_critic: int = 5  # critic updates per generator update (both papers)
    clip_lr: float = 5e-5  # RMSprop, weight clipping (Arjovsky et al.)
    c: float = 0.01  # clipping value
    gp_lr: float = 1e-4  # Adam, gradient penalty (Gulrajani et al.)
    gp_betas: tuple[float, float] = (0.0, 0.9)
    gp_weight: float = 10.0  # lambda
    num_steps: int = 4000  # generator steps per run (20,000 critic steps)
    smoke_steps: int = 3
    log_every: int = 200
    smoke_log_every: int = 1
    sweep_steps: int = 300  # generator steps per run of the clipping-value sweep
    smoke_sweep_steps: int = 2
    sweep_values: tuple[float, ...] = (0.001, 0.01, 0.1)  # clipping values compared

    @classmethod
    def for_device(cls, device: torch.device | str) -> WGANConfig:
        """The full configuration on a GPU; on a CPU (or Apple's MPS) a scaled-down one with
        narrower networks and fewer steps, so that every run takes minutes, not hours."""
        if torch.device(device).type == "cuda":
            return cls()
        return cls(base_channels=16, num_steps=2000, log_every=100, sweep_steps=300)
