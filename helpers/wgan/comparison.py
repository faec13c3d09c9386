"""Section 7 of Lesson 3: the classic losses on the same networks, for the comparison table.

The BCE loss of Lesson 1 and the least-squares loss of Lesson 2 train Lesson 3's
:class:`~helpers.wgan.ConvGenerator` against its critic used as a discriminator, so the
course's metrics can compare them with the Wasserstein runs of :mod:`helpers.wgan.runs`.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from .. import bce, mlp_gan
from ..data import DeviceBatches
from ..training import train_gan, update_ema
from .networks import ConvCritic, ConvGenerator
from .runs import WGANConfig

CLASSIC_LOSSES: dict[str, tuple[Callable[..., torch.Tensor], Callable[..., torch.Tensor]]] = {
    "bce": (mlp_gan.discriminator_loss, mlp_gan.generator_loss),  # non-saturating, Lesson 1
    "lsgan": (bce.lsgan_d_loss, bce.lsgan_g_loss),  # least squares (Mao et al.), Lesson 2
}


@dataclass
class ComparisonConfig:
    """Section 7's settings: DCGAN's Adam for BCE and LSGAN, the moving average, sample size."""

    lr: float = 2e-4  # Adam for the BCE and LSGAN runs (Radford et al., 2016)
    betas: tuple[float, float] = (0.5, 0.999)
    ema_decay: float = 0.995  # moving average of G: a window of about 200 steps
    eval_n: int = 2000  # generated and real images per set, for every metric
    smoke_eval_n: int = 200


def train_classic_run(
    loss: str,
    images: torch.Tensor,
    config: WGANConfig,
    compare: ComparisonConfig,
    num_steps: int,
    log_every: int,
    device: torch.device | str = "cpu",
    seed: int = 0,
) -> dict[str, Any]:
    """Train :class:`ConvGenerator` against :class:`ConvCritic` used as a discriminator.

    ``loss`` is ``"bce"`` (the non-saturating loss of Lesson 1) or ``"lsgan"`` (least squares,
    Lesson 2); one discriminator step per generator step, Adam with ``compare.lr`` and
    ``compare.betas``. A moving average of G (:func:`helpers.training.update_ema`, batch-norm
    statistics copied) is kept alongside.

    Returns:
        a dict for :func:`helpers.training.cached`: ``steps``, ``logs``, ``seconds_per_step``,
        and the ``generator`` and ``generator_ema`` state dicts.

    Taught in: 03-wgan, section 7.
    """
    if loss not in CLASSIC_LOSSES:
        raise ValueError(f"loss must be one of {sorted(CLASSIC_LOSSES)}, got {loss!r}")
    d_loss_fn, g_loss_fn = CLASSIC_LOSSES[loss]
    torch.manual_seed(seed)
    G = ConvGenerator(config.z_dim, images.shape[1], config.base_channels).to(device)
    D = ConvCritic(images.shape[1], config.base_channels).to(device)
    G_ema = copy.deepcopy(G)
    opt_G = torch.optim.Adam(G.parameters(), lr=compare.lr, betas=compare.betas)
    opt_D = torch.optim.Adam(D.parameters(), lr=compare.lr, betas=compare.betas)

    def step(G, D, opt_G, opt_D, real, z_dim):  # noqa: ANN001, ANN202 - train_gan's step_fn
        # (1) update D
        fake = G(torch.randn(real.shape[0], z_dim, device=real.device))  # [N, C, 32, 32]
        d_loss = d_loss_fn(D(real), D(fake.detach()))
        opt_D.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_D.step()
        # (2) update G
        g_loss = g_loss_fn(D(fake))
        opt_G.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_G.step()
        update_ema(G_ema, G, compare.ema_decay, copy_buffers=True)
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}

    batches = DeviceBatches(images, config.batch_size, device=device, seed=seed)
    start = time.perf_counter()
    history = train_gan(G, D, opt_G, opt_D, batches, num_steps, step, log_every=log_every,
                        z_dim=config.z_dim)  # fmt: skip
    return {
        "loss": loss,
        "steps": history.steps,
        "logs": history.logs,
        "seconds_per_step": (time.perf_counter() - start) / num_steps,
        "generator": {k: v.cpu() for k, v in G.state_dict().items()},
        "generator_ema": {k: v.cpu() for k, v in G_ema.state_dict().items()},
    }


@torch.no_grad()
def generated_images(
    state: dict[str, torch.Tensor],
    config: WGANConfig,
    n: int,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """``n`` images from a :class:`ConvGenerator` state dict (eval mode, seeded codes), on the CPU.

    Shapes:
        returns [n, img_channels, 32, 32] in [-1, 1].

    Taught in: 03-wgan, section 7.
    """
    img_channels = state["body.6.weight"].shape[1]  # the last transposed convolution's outputs
    G = ConvGenerator(config.z_dim, img_channels, config.base_channels)
    G.load_state_dict(state)
    G = G.to(device).eval()
    z = torch.randn(n, config.z_dim, generator=torch.Generator().manual_seed(seed))  # [n, z_dim]
    return torch.cat([G(chunk.to(device)).cpu() for chunk in z.split(500)])
