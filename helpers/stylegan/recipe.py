"""The recipe of the shipped StyleGAN checkpoint, ``helpers/weights/stylegan.pt``."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import torch

from ..data import load_mnist, pad_to
from ..plotting import save_images
from ..progan import ProDiscriminator
from ..resume import Checkpoint
from ..runtime import budget, is_smoke, seed_everything
from .generator import StyleGenerator, generate
from .training import StyleGANConfig, train_stylegan


def train_pretrained(
    config: StyleGANConfig | None = None,
    device: torch.device | str = "cpu",
    samples_dir: str | None = None,
    log: Callable[[str], None] = print,
    checkpoint: Checkpoint | None = None,
) -> tuple[StyleGenerator, dict[str, object]]:
    """Train the course's StyleGAN checkpoint on MNIST padded to 32x32 and describe how.

    Run through ``python -m helpers.pretrained train stylegan`` (``--resume FILE`` saves a
    checkpoint there and continues from it after an interruption).

    Returns:
        the moving-average generator (eval mode, ``w_avg`` set) and its recipe.
    """
    config = config or StyleGANConfig()
    seed_everything(config.seed)
    digits, _ = load_mnist(verbose=False)
    images = pad_to(digits, 32)  # [N, 1, 32, 32] uint8
    G = StyleGenerator(config.z_dim, config.w_dim, config.channels, config.mapping_layers).to(
        device
    )
    D = ProDiscriminator(config.channels).to(device)
    G_ema = copy.deepcopy(G)
    start = time.perf_counter()
    num_steps = budget(config.num_steps, config.smoke_steps)

    def on_log(iteration: int, means: dict[str, float]) -> None:
        values = " ".join(f"{k}={v:.4g}" for k, v in means.items())
        log(f"[{time.perf_counter() - start:7.0f} s] it {iteration:6d} {values}")
        if samples_dir is not None:
            G_ema.update_w_avg(2000)
            save_images(generate(G_ema, 64), Path(samples_dir) / "stylegan-latest.png")

    train_stylegan(G, D, images, config, num_steps, device, G_ema, on_log,
                   budget(config.log_every, config.smoke_log_every), checkpoint)  # fmt: skip
    G_ema.update_w_avg()
    recipe: dict[str, object] = {
        "data": f"MNIST, {images.shape[0]} training digits, padded to 32x32, scaled to [-1, 1]",
        "model": "moving average of the generator's weights (G_ema); w_avg over 10,000 codes",
        "config": asdict(config),
        "iterations": num_steps,
        "seconds": round(time.perf_counter() - start),
        "smoke": is_smoke(),
        "critic": "helpers.progan.ProDiscriminator at 32x32, WGAN-GP + drift",
    }
    return G_ema.eval(), recipe
