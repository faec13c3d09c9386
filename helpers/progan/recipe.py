"""The recipe of the shipped ProGAN checkpoint, ``helpers/weights/progan.pt``."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import torch
from torch import nn

from ..data import load_mnist, pad_to
from ..plotting import save_images
from ..resume import Checkpoint
from ..runtime import is_smoke, seed_everything
from .layers import resolution_of
from .networks import ProGenerator
from .sampling import generate
from .training import ProGANConfig, make_networks, train_progressive

PRETRAINED_CONFIG = ProGANConfig(
    batch_sizes=(32, 32, 32, 32),
    fade_iterations=(0, 2000, 1500, 1500),
    stable_iterations=(2000, 2000, 1500, 1500),
    log_every=250,
)
"""The CPU recipe of ``helpers/weights/progan.pt`` (about an hour on one CPU thread)."""


def train_pretrained(
    config: ProGANConfig | None = None,
    device: torch.device | str = "cpu",
    samples_dir: str | Path | None = None,
    log: Callable[[str], None] = print,
    checkpoint: Checkpoint | None = None,
) -> tuple[ProGenerator, dict[str, object]]:
    """Train the course's ProGAN checkpoint on MNIST padded to 32x32 and describe how.

    Run through ``python -m helpers.pretrained train progan``, which saves the returned
    moving-average generator with the returned recipe (:mod:`helpers.pretrained`).

    Args:
        config: the schedule; :data:`PRETRAINED_CONFIG` when None.
        device: where to train.
        samples_dir: if given, a 64-sample grid is saved there after each resolution.
        log: receives one progress line per logging point.
        checkpoint: resume from (and save to) this checkpoint, e.g. after an interruption.

    Returns:
        the moving-average generator (eval mode) and a recipe dict (data, config, iterations,
        seconds per resolution, whether smoke mode cut the run short).
    """
    config = config or PRETRAINED_CONFIG
    seed_everything(config.seed)
    digits, _ = load_mnist(verbose=False)
    images = pad_to(digits, 32)  # [N, 1, 32, 32] uint8
    G, D, G_ema = make_networks(config, device)
    stages: list[dict[str, float]] = []
    start = last = time.perf_counter()

    def on_log(iteration: int, means: dict[str, float]) -> None:
        values = " ".join(f"{k}={v:.4g}" for k, v in means.items())
        log(f"[{time.perf_counter() - start:7.0f} s] it {iteration:6d} {values}")
        if samples_dir is not None:  # progress picture at the current resolution and fade
            stage = int(math.log2(means["resolution"])) - 2
            fade = means["fade_alpha"] if stage > 0 else 1.0
            save_images(generate(G_ema, 64, stage, fade), Path(samples_dir) / "progan-latest.png")

    def on_stage_end(stage: int, G_sample: nn.Module) -> None:
        nonlocal last
        now = time.perf_counter()
        stages.append({"resolution": resolution_of(stage), "seconds": round(now - last, 1)})
        last = now
        if samples_dir is not None:
            side = resolution_of(stage)
            save_images(generate(G_sample, 64, stage), Path(samples_dir) / f"progan-{side}.png")

    train_progressive(G, D, images, config, device, G_ema, on_log, on_stage_end, checkpoint)
    seconds = time.perf_counter() - start
    recipe: dict[str, object] = {
        "data": f"MNIST, {images.shape[0]} training digits, padded to 32x32, scaled to [-1, 1]",
        "model": "moving average of the generator's weights (G_ema)",
        "config": asdict(config),
        "iterations": sum(config.fade_iterations) + sum(config.stable_iterations),
        "seconds": round(seconds),
        "seconds_per_resolution": stages,
        "smoke": is_smoke(),
    }
    return G_ema.eval(), recipe
