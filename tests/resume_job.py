"""A tiny training run for tests/test_resume.py, run in a subprocess so it can be SIGKILLed.

    python tests/resume_job.py LOOP OUT [--checkpoint FILE] [--stop-at N]

LOOP is ``wgan`` (``wgan.train_run``: ``train_gan`` with n_critic and a generator step) or
``progan`` (``progan.train_progressive``: phases, a fade-in counter, a moving average). The
final state goes to OUT. With ``--stop-at N`` the run prints ``stopped at N`` at its N-th
logged step and waits there to be killed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from helpers import progan, resume, runtime, wgan  # noqa: E402

SAVE_EVERY = 2  # steps between checkpoints


def stopper(stop_at: int | None):
    """An ``on_log`` that blocks at logged step ``stop_at`` (after saying so) until killed."""

    def on_log(step: int, logs: dict[str, float]) -> None:
        if step == stop_at:
            print(f"stopped at {step}", flush=True)
            time.sleep(600)

    return on_log


def run_wgan(checkpoint: resume.Checkpoint | None, stop_at: int | None) -> dict[str, object]:
    config = wgan.WGANConfig(z_dim=8, base_channels=2, batch_size=4, n_critic=2)
    images = torch.randint(0, 256, (24, 1, 32, 32), dtype=torch.uint8)
    run = wgan.train_run("gp", images, config, num_steps=7, log_every=1, seed=3,
                         on_log=stopper(stop_at), checkpoint=checkpoint)  # fmt: skip
    del run["seconds_per_step"]  # the only value that depends on the clock
    return run


def run_progan(checkpoint: resume.Checkpoint | None, stop_at: int | None) -> dict[str, object]:
    config = progan.ProGANConfig(z_dim=4, channels=(4, 4), batch_sizes=(4, 4),
                                 fade_iterations=(0, 4), stable_iterations=(3, 4),
                                 log_every=1)  # fmt: skip
    G, D, G_ema = progan.make_networks(config)
    images = torch.randint(0, 256, (20, 1, 8, 8), dtype=torch.uint8)
    histories = progan.train_progressive(
        G, D, images, config, "cpu", G_ema, on_log=stopper(stop_at), checkpoint=checkpoint
    )
    return {"G": G.state_dict(), "D": D.state_dict(), "G_ema": G_ema.state_dict(),
            "histories": [h.state_dict() for h in histories]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("loop", choices=["wgan", "progan"])
    parser.add_argument("out")
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--stop-at", type=int, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    runtime.seed_everything(0)
    checkpoint = None if args.checkpoint is None else resume.Checkpoint(args.checkpoint, SAVE_EVERY)
    result = {"wgan": run_wgan, "progan": run_progan}[args.loop](checkpoint, args.stop_at)
    torch.save(result, args.out)


if __name__ == "__main__":
    main()
