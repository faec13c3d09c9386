"""The command line: ``python -m helpers.bench --help``."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

import torch

from .flops import FLOP_RULE
from .paths import DEFAULT_OPTIONS, OPTIONS
from .runner import BenchRow, run

__all__ = ["format_table", "main"]


def format_table(rows: Sequence[BenchRow]) -> str:
    """The rows as a Markdown table (the README's and the notebook's format).

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """
    header = (
        "| lesson | path | batch | step (ms) | images/s | × classic | GFLOP/step | GFLOP/s "
        "| % of peak |\n|---|---|--:|--:|--:|--:|--:|--:|--:|"
    )
    lines = [header]
    for r in rows:
        lines.append(
            f"| {r.lesson} | {r.path} | {r.batch_size} | {r.step_ms:.2f} | "
            f"{r.images_per_s:,.0f} | {r.ratio_vs_classic:.2f} | {r.gflop_per_step:.3f} | "
            f"{r.achieved_gflop_s:.1f} | {100 * r.fraction_of_peak:.0f}% |"
        )
    return "\n".join(lines)


def _describe(rows: Sequence[BenchRow], device: torch.device) -> str:
    by_dtype: dict[str, list[float]] = {}
    for row in rows:
        by_dtype.setdefault(row.dtype, []).append(row.peak_gflop_s)
    peak_text = ", ".join(
        f"{dtype} {statistics.median(values):.1f} GFLOP/s" for dtype, values in by_dtype.items()
    )
    where = f"{device}, {torch.get_num_threads()} threads" if device.type == "cpu" else str(device)
    if device.type == "cuda":
        where += f" ({torch.cuda.get_device_name(device)})"
    return f"device: {where}; torch {torch.__version__}; matmul peak (median): {peak_text}"


def _load_note(device: torch.device) -> list[str]:
    """A warning when other processes kept the CPU busy: then timings are noisy."""
    cores = os.cpu_count() or 1
    if not hasattr(os, "getloadavg") or device.type != "cpu" or os.getloadavg()[0] <= cores:
        return []
    return [
        f"load average {os.getloadavg()[0]:.1f} on {cores} CPUs: other processes competed for "
        "the cores, so timings are noisy (on a shared machine, --threads 1 avoids OpenMP "
        "threads waiting for descheduled ones)"
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m helpers.bench --help``.

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """
    parser = argparse.ArgumentParser(
        prog="python -m helpers.bench",
        description="Time each lesson's training step: the course's fast path against the "
        "classic notebook pipeline, in the same run.",
    )
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or mps")
    parser.add_argument("--lesson", action="append", help="e.g. 01-vanilla-gan (repeatable)")
    parser.add_argument(
        "--options",
        default=",".join(DEFAULT_OPTIONS),
        help=f"comma-separated rows to add, from {', '.join(OPTIONS)}, or several joined with "
        "+ (amp+channels_last); 'none' for none (default: %(default)s; amp is bf16 where "
        "supported, else fp16 on CUDA)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument(
        "--seconds", type=float, default=0.5, help="length of one timed sample (default 0.5)"
    )
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per path")
    parser.add_argument("--subset", type=int, help="use only this many images or points")
    parser.add_argument("--batch-size", type=int, help="replace every path's batch size")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads on the CPU")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="a few seconds' smoke run (1 repeat, 1 step, 256 samples, batch 16)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    options = () if args.options.strip() in ("", "none") else tuple(args.options.split(","))
    peak_sizes: tuple[int, ...] = ()
    if args.tiny:
        args.repeats, args.seconds, args.warmup = 1, 0.0, 1
        args.subset, args.batch_size = args.subset or 256, args.batch_size or 16
        peak_sizes = (128,)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA GPU is available")
    try:
        rows, notes = run(
            args.lesson, device, options, args.repeats, args.seconds, args.warmup,
            args.subset, args.batch_size, peak_sizes, None if args.quiet else sys.stderr,
        )  # fmt: skip
    except ValueError as err:
        parser.error(str(err))
    print(_describe(rows, device))
    print(format_table(rows))
    for note in notes + _load_note(device):
        print(f"note: {note}")
    print(FLOP_RULE)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([dataclasses.asdict(r) for r in rows], indent=1))
        print(f"wrote {len(rows)} rows to {args.json}")
    return 0
