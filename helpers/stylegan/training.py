"""Training the style-based generator against ProGAN's critic at full resolution.

WGAN-GP plus drift as in Lesson 4 (Karras et al. 2018, appendix A.1), with style mixing
regularisation (Karras et al. 2019, section 3.1) and a slower mapping network (appendix C).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..data import DeviceBatches
from ..fast import fast_optimizer, frozen
from ..progan import ProDiscriminator, critic_loss, generator_loss
from ..resume import Checkpoint
from ..training import History, train_gan, update_ema
from ..wgan import gradient_penalty
from .components import style_mix
from .generator import StyleGenerator


@dataclass
class StyleGANConfig:
    """Hyper-parameters of the course's StyleGAN on MNIST padded to 32x32 (fixed resolution).

    The paper grew its networks as ProGAN does; at 32x32 on MNIST this course trains at full
    resolution from the start, with ProGAN's critic and recipe (WGAN-GP plus drift, Adam
    1e-3, betas (0, 0.99)) and style mixing with probability ``mixing_prob`` (section 3.1).
    """

    z_dim: int = 64
    w_dim: int = 64
    channels: tuple[int, ...] = (64, 64, 32, 16)
    mapping_layers: int = 4
    batch_size: int = 32
    num_steps: int = 6000
    smoke_steps: int = 2
    lr: float = 1e-3
    mapping_lr: float = 1e-4  # the paper slows the mapping network down 100x; 10x here
    betas: tuple[float, float] = (0.0, 0.99)
    gp_weight: float = 10.0
    drift: float = 0.001
    mixing_prob: float = 0.9
    ema_decay: float = 0.999
    log_every: int = 250
    smoke_log_every: int = 1
    seed: int = 0


def ws_for_training(
    G: StyleGenerator, n: int, device: torch.device | str, mixing_prob: float
) -> torch.Tensor:
    """w's for a training batch: with probability ``mixing_prob`` two codes mixed at a random
    crossover (Karras et al. 2019, section 3.1: mixing regularisation), else one w per block.

    The random draws, in order: z, the coin (a CPU scalar), then z2 and the crossover if mixed.

    Shapes:
        returns [n, G.num_ws, G.w_dim].

    Taught in: 05-stylegan, section 5.
    """
    w1 = G.mapping(torch.randn(n, G.z_dim, device=device))
    if torch.rand(()).item() < mixing_prob:
        w2 = G.mapping(torch.randn(n, G.z_dim, device=device))
        crossover = int(torch.randint(1, G.num_ws, ()).item())
        return style_mix(w1, w2, crossover, G.num_ws)
    return w1[:, None].expand(-1, G.num_ws, -1)


def make_optimizers(
    G: StyleGenerator, D: ProDiscriminator, config: StyleGANConfig, fast: bool = False
) -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    """Adam for G (its mapping network at ``config.mapping_lr``, the rest at ``config.lr``) and
    for D, with ProGAN's betas (Karras et al. 2019, appendix C: a slower mapping network).

    Args:
        G, D: the networks.
        config: ``lr``, ``mapping_lr`` and ``betas``.
        fast: build both with :func:`helpers.fast.fast_optimizer` (the fused Adam kernel where
            the device has one, else foreach: the same updates up to rounding), as
            ``python -m helpers.bench`` does; :func:`train_stylegan` uses the plain ones.

    Taught in: 05-stylegan, section 5.
    """
    adam = functools.partial(fast_optimizer, torch.optim.Adam) if fast else torch.optim.Adam
    mapping = list(G.mapping.parameters())
    rest = [p for name, p in G.named_parameters() if not name.startswith("mapping.")]
    opt_G = adam([{"params": rest}, {"params": mapping, "lr": config.mapping_lr}],
                 lr=config.lr, betas=config.betas)  # fmt: skip
    opt_D = adam(D.parameters(), lr=config.lr, betas=config.betas)
    return opt_G, opt_D


def critic_step(
    G: StyleGenerator,
    D: ProDiscriminator,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    real: torch.Tensor,
    config: StyleGANConfig,
) -> dict[str, torch.Tensor]:
    """(1) Update the critic once at full resolution: WGAN-GP plus drift, fakes from mixed w's.

    A :class:`helpers.training.StepFn`; ``opt_G`` is unused.

    Returns:
        ``{"d_loss": the critic loss with penalty and drift, "gp": the unweighted penalty,
        "wasserstein"}``, detached.

    Shapes:
        real: [N, img_channels, R, R] at D's highest resolution.

    Taught in: 05-stylegan, section 5.
    """
    stage = D.max_stage
    with torch.no_grad():
        fake = G.synthesis(ws_for_training(G, real.shape[0], real.device, config.mixing_prob))
    real_scores, fake_scores = D(real, stage, 1.0), D(fake, stage, 1.0)
    penalty = gradient_penalty(lambda x: D(x, stage, 1.0), real, fake)
    d_loss = critic_loss(real_scores, fake_scores, penalty, config.gp_weight, config.drift)
    opt_D.zero_grad(set_to_none=True)
    d_loss.backward()
    opt_D.step()
    return {
        "d_loss": d_loss.detach(),
        "gp": penalty.detach(),
        "wasserstein": (real_scores.mean() - fake_scores.mean()).detach(),
    }


def generator_step(
    G: StyleGenerator,
    D: ProDiscriminator,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    real: torch.Tensor,
    config: StyleGANConfig,
) -> dict[str, torch.Tensor]:
    """(2) Update the generator once on as many fakes as ``real`` has, with style mixing,
    through a frozen critic.

    A :class:`helpers.training.StepFn`: ``real`` gives the batch size and the device only, and
    ``opt_D`` is unused. With probability ``config.mixing_prob`` each fake mixes two w's at a
    random crossover (Karras et al. 2019, section 3.1); the loss is -E[D(G(z))]. D's
    parameters stop requiring gradients meanwhile (:func:`helpers.fast.frozen`), so only its
    input gradients are computed.

    Taught in: 05-stylegan, section 5.
    """
    with frozen(D):
        fake = G.synthesis(ws_for_training(G, real.shape[0], real.device, config.mixing_prob))
        g_loss = generator_loss(D(fake, D.max_stage, 1.0))
        opt_G.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_G.step()
    return {"g_loss": g_loss.detach()}


def train_stylegan(
    G: StyleGenerator,
    D: ProDiscriminator,
    images: torch.Tensor,
    config: StyleGANConfig,
    num_steps: int,
    device: torch.device | str = "cpu",
    G_ema: StyleGenerator | None = None,
    on_log: Callable[[int, dict[str, float]], None] | None = None,
    log_every: int = 250,
    checkpoint: Checkpoint | None = None,
) -> History:
    """Train G against ProGAN's critic at full resolution with WGAN-GP plus drift.

    One :func:`critic_step` and one :func:`generator_step` per iteration, through
    :func:`helpers.training.train_gan`; ``G_ema``, if given, follows G's weights as a moving
    average. With a ``checkpoint`` an interrupted run resumes where it stopped.

    Taught in: 05-stylegan, section 5.
    """
    opt_G, opt_D = make_optimizers(G, D, config)

    def one_iteration(G, D, opt_G, opt_D, real):  # train_gan's step_fn
        logs = critic_step(G, D, opt_G, opt_D, real, config)  # (1) update the critic
        logs |= generator_step(G, D, opt_G, opt_D, real, config)  # (2) update G
        if G_ema is not None:
            update_ema(G_ema, G, config.ema_decay)
        return logs

    batches = DeviceBatches(images, config.batch_size, device, config.seed)
    return train_gan(G, D, opt_G, opt_D, batches, num_steps, one_iteration, log_every=log_every,
                     on_log=on_log, checkpoint=checkpoint,
                     resumable=None if G_ema is None else {"G_ema": G_ema})  # fmt: skip
