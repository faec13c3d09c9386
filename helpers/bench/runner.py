"""Running the cases: every path of a lesson timed in the same process, in rotating order."""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

import torch

from ..validation import positive_int
from .cases import CASES
from .flops import count_flops, matmul_peak
from .paths import DEFAULT_OPTIONS, BenchCase, BenchContext

__all__ = ["REGISTERED", "BenchRow", "cases", "register", "run"]


@dataclass
class BenchRow:
    """One measured path: medians over the repeats, and what they mean."""

    lesson: str
    path: str
    batch_size: int
    step_ms: float  # median seconds per step, in ms
    images_per_s: float
    ratio_vs_classic: float  # images/s over the classic path's images/s
    gflop_per_step: float
    achieved_gflop_s: float
    peak_gflop_s: float
    fraction_of_peak: float
    dtype: str
    device: str
    step_ms_samples: list[float] = field(default_factory=list)
    steps_per_sample: int = 1
    note: str = ""


REGISTERED: dict[str, BenchCase] = {bench_case.lesson: bench_case for bench_case in CASES}
"""The cases :func:`run` knows, by lesson: the course's, and any :func:`register` added."""


def register(bench_case: BenchCase) -> BenchCase:
    """Add (or replace) a lesson's benchmark case, e.g. one built outside ``helpers``.

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """
    REGISTERED[bench_case.lesson] = bench_case
    return bench_case


def cases() -> list[BenchCase]:
    """Every registered case, by lesson.

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """
    return [REGISTERED[lesson] for lesson in sorted(REGISTERED)]


class _Progress:
    def __init__(self, stream: TextIO | None):
        self.stream = stream
        self.tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())

    def __call__(self, message: str) -> None:
        if self.stream is None:
            return
        if self.tty:
            self.stream.write(f"\r\x1b[2K[bench] {message}")
        else:
            self.stream.write(f"[bench] {message}\n")
        self.stream.flush()

    def done(self) -> None:
        if self.stream is not None and self.tty:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


def _time_steps(step: Callable[[], Any], steps: int, ctx: BenchContext) -> float:
    """Seconds per step of ``steps`` calls, the device synchronised before and after."""
    ctx.sync()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    ctx.sync()
    return (time.perf_counter() - start) / steps


def _dtype_name(dtype: torch.dtype) -> str:
    return {torch.float32: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[dtype]


def _run_case(
    bench_case: BenchCase,
    ctx: BenchContext,
    repeats: int,
    seconds: float,
    warmup: int,
    peak_sizes: Sequence[int],
    progress: _Progress,
) -> list[BenchRow]:
    lesson = bench_case.lesson
    paths = bench_case.build(ctx)
    if not any(p.name == "classic" for p in paths):
        raise ValueError(f"{lesson}: a case needs a 'classic' path to compare with")
    steps, per_step = [], []
    for i, path in enumerate(paths, start=1):
        progress(f"{lesson}: warm-up {path.name}@{path.batch_size} ({i}/{len(paths)})")
        step = path.make_step()
        for _ in range(max(0, warmup - 1)):
            step()
        first = _time_steps(step, 1, ctx)  # after the compile, if any
        steps.append(step)
        per_step.append(first)
        note = getattr(step, "note", None)
        path.note = (note() if callable(note) else note) or path.note
    flops: dict[int, int] = {}
    for path in paths:
        if path.batch_size not in flops:
            counted = next(
                (p for p in paths if p.name == "course" and p.batch_size == path.batch_size), path
            )
            progress(f"{lesson}: counting FLOPs of {counted.name}@{counted.batch_size}")
            flops[path.batch_size] = count_flops(counted.make_step())
    counts = [max(1, math.ceil(seconds / max(t, 1e-9))) if seconds > 0 else 1 for t in per_step]
    samples: list[list[float]] = [[] for _ in paths]
    peaks: dict[torch.dtype, list[float]] = {p.dtype: [] for p in paths}
    for r in range(repeats):
        for dtype in peaks:
            progress(f"{lesson}: round {r + 1}/{repeats}, matmul peak ({_dtype_name(dtype)})")
            peaks[dtype].append(matmul_peak(ctx.device, dtype, peak_sizes))
        order = list(range(len(paths)))
        order = order[r % len(order) :] + order[: r % len(order)]  # rotate: no path always first
        for i in order:
            progress(f"{lesson}: round {r + 1}/{repeats}, {paths[i].name}@{paths[i].batch_size}")
            samples[i].append(_time_steps(steps[i], counts[i], ctx))
    peak = {dtype: statistics.median(values) for dtype, values in peaks.items()}
    rows = []
    for path, times, count in zip(paths, samples, counts):
        median = statistics.median(times)
        achieved = flops[path.batch_size] / median
        rows.append(
            BenchRow(
                lesson=lesson,
                path=path.name,
                batch_size=path.batch_size,
                step_ms=median * 1e3,
                images_per_s=path.batch_size / median,
                ratio_vs_classic=float("nan"),
                gflop_per_step=flops[path.batch_size] / 1e9,
                achieved_gflop_s=achieved / 1e9,
                peak_gflop_s=peak[path.dtype] / 1e9,
                fraction_of_peak=achieved / peak[path.dtype],
                dtype=_dtype_name(path.dtype),
                device=str(ctx.device),
                step_ms_samples=[t * 1e3 for t in times],
                steps_per_sample=count,
                note=path.note,
            )
        )
    classic = next(row for row in rows if row.path == "classic")
    for row in rows:
        row.ratio_vs_classic = row.images_per_s / classic.images_per_s
    return rows


def run(
    lessons: Iterable[str] | None = None,
    device: torch.device | str = "cpu",
    options: Iterable[str] = DEFAULT_OPTIONS,
    repeats: int = 5,
    seconds: float = 0.5,
    warmup: int = 3,
    subset: int | None = None,
    batch_size: int | None = None,
    peak_sizes: Sequence[int] = (),
    progress: TextIO | None = sys.stderr,
) -> tuple[list[BenchRow], list[str]]:
    """Benchmark the cases of ``lessons`` (all by default) on ``device``.

    Args:
        lessons: lesson names (``"01-vanilla-gan"``); None for every registered case.
        device: where to run.
        options: names from :data:`OPTIONS` that get their own rows.
        repeats: timed rounds; every path is timed once per round, in rotating order.
        seconds: target length of one timed sample (the step count comes from the warm-up);
            0 times a single step.
        warmup: untimed steps per path before timing (the first includes any compile).
        subset: use only this many images or points (tiny runs).
        batch_size: replaces every batch size (tiny runs).
        peak_sizes: matrix sizes of the peak measurement; by device when empty.
        progress: where progress lines go (None: nowhere).

    Returns:
        ``(rows, notes)``: a :class:`BenchRow` per path, and notes such as skipped options.

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """
    positive_int(repeats, "repeats")
    positive_int(warmup, "warmup")
    available = cases()
    wanted = list(lessons) if lessons is not None else [c.lesson for c in available]
    known = {c.lesson: c for c in available}
    missing = [lesson for lesson in wanted if lesson not in known]
    if missing:
        raise ValueError(f"no benchmark case for {missing}; known: {sorted(known)}")
    ctx = BenchContext(device, options, subset=subset, batch_size=batch_size)
    reporter = _Progress(progress)
    rows: list[BenchRow] = []
    try:
        for lesson in wanted:
            rows += _run_case(known[lesson], ctx, repeats, seconds, warmup, peak_sizes, reporter)
    finally:
        ctx.close()
        reporter.done()
    notes = sorted(set(ctx.skipped)) + [f"{r.lesson} {r.path}: {r.note}" for r in rows if r.note]
    return rows, notes
