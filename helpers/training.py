"""Training loops shared by the lessons: the loop owns logging, a step function owns the math.

A lesson passes its own ``step_fn`` (the student's ``train_step`` or a reference), so later
lessons reuse the loop with other losses, n critic steps per generator step, or growing
resolutions without copying it.

Every lesson's steps follow one convention, :class:`StepFn`: they are called as
``step(G, D, opt_G, opt_D, real, **kwargs)``, with the discriminator or critic always second
and its optimizer fourth (a step that updates only one network ignores the other optimizer),
and return a mapping of logged values with one vocabulary:

* ``"d_loss"``: everything the discriminator's (critic's) update minimised, penalties included;
* ``"g_loss"``: everything the generator's update minimised;
* diagnostics named for what they are: ``"wasserstein"`` (mean(D(real)) - mean(D(fake))),
  ``"gp"`` (the unweighted gradient penalty, ``None`` where there is none), ``"fade_alpha"``.

A generator step freezes D (:func:`helpers.fast.frozen`), so D's weight gradients, which the
update would throw away, are never computed.
"""

from __future__ import annotations

import hashlib
import json
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import nn

from .resume import Checkpoint, Stateful, atomic_save
from .runtime import checkpoint_dir, data_dir
from .validation import positive_int

__all__ = [
    "BatchStream",
    "History",
    "StepFn",
    "batch_stream",
    "cached",
    "fingerprint",
    "train_gan",
    "update_ema",
]


class StepFn(Protocol):
    """One training step (or one critic or generator update), as :func:`train_gan` calls it.

    ``G`` and ``D`` (the discriminator or critic) with their optimizers, always in this order,
    and a batch of real samples ``real`` (its size and device also serve a step that reads no
    images); lesson-specific settings come as keyword arguments (``z_dim``, ``stage``,
    ``config``). Returns the values to log: ``"d_loss"`` and/or ``"g_loss"`` (what each update
    minimised), plus diagnostics (``"wasserstein"``, ``"gp"``, ...), as floats or detached
    tensors; ``None`` values are skipped.

    Taught in: 01-vanilla-gan, section 4 (03-wgan, section 5; 04-progan, section 5).
    """

    def __call__(
        self,
        G: nn.Module,
        D: nn.Module,
        opt_G: torch.optim.Optimizer,
        opt_D: torch.optim.Optimizer,
        real: torch.Tensor,
        **kwargs: Any,
    ) -> Mapping[str, float | torch.Tensor | None]: ...


@dataclass
class History:
    """Losses averaged over each logging interval, with the step at which they were logged."""

    steps: list[int]
    logs: dict[str, list[float]]

    def state_dict(self) -> dict[str, object]:
        return {"steps": list(self.steps), "logs": {k: list(v) for k, v in self.logs.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.steps = list(state["steps"])
        self.logs = {key: list(values) for key, values in state["logs"].items()}


class BatchStream:
    """Batches forever: a new epoch (a new ``iter(batches)``) starts whenever one ends.

    Its :meth:`state_dict` is the iterator's position, so a resumed run sees the same batches
    as an uninterrupted one: the state of ``batches`` at the start of the current epoch (when
    it has a ``state_dict``, as :class:`helpers.data.DeviceBatches` does) and how many batches
    of the epoch were taken. Restoring replays that many batches of the epoch.

    Raises ``ValueError`` when an epoch yields no batch at all.

    Taught in: 01-vanilla-gan, section 4.
    """

    def __init__(self, batches: Iterable[torch.Tensor]) -> None:
        self.batches = batches
        self._iterator: Iterator[torch.Tensor] | None = None
        self._epoch_state: object = None  # batches.state_dict() when the epoch began
        self._position = 0  # batches taken from the current epoch

    def __iter__(self) -> BatchStream:
        return self

    def __next__(self) -> torch.Tensor:
        while True:
            if self._iterator is None:
                self._epoch_state = self._batches_state()
                self._iterator, self._position = iter(self.batches), 0
            try:
                real = next(self._iterator)
            except StopIteration:
                if self._position == 0:
                    raise ValueError(
                        "batches yielded no batch; is the dataset smaller than a batch?"
                    ) from None
                self._iterator = None
                continue
            self._position += 1
            return real

    def _batches_state(self) -> object:
        state_dict = getattr(self.batches, "state_dict", None)
        return state_dict() if callable(state_dict) else None

    def state_dict(self) -> dict[str, object]:
        started = self._iterator is not None
        return {"started": started, "epoch_state": self._epoch_state, "position": self._position}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._iterator, self._position = None, 0
        if not state["started"]:
            return
        if state["epoch_state"] is not None:
            self.batches.load_state_dict(state["epoch_state"])  # type: ignore[attr-defined]
        self._epoch_state = state["epoch_state"]
        self._iterator = iter(self.batches)
        for _ in range(state["position"]):  # replay the epoch up to where it stopped
            next(self._iterator)
        self._position = state["position"]


def batch_stream(batches: Iterable[torch.Tensor]) -> BatchStream:
    """Yield batches forever (a :class:`BatchStream`), starting a new epoch whenever one ends.

    Raises ``ValueError`` when an epoch yields no batch at all.

    Taught in: 01-vanilla-gan, section 4.
    """
    return BatchStream(batches)


def _check_resumable(batches: Iterable[torch.Tensor]) -> None:
    """A checkpointed run must be able to put its batches back where they were."""
    if hasattr(batches, "load_state_dict") or isinstance(batches, (list, tuple, torch.Tensor)):
        return
    raise ValueError(
        f"a checkpointed run needs batches it can restore, got {type(batches).__name__}: use "
        "helpers.data.DeviceBatches (or a list of batches); a shuffling DataLoader's order "
        "cannot be replayed"
    )


class _IntervalMeans:
    """Sums logged values between logging points without forcing a device synchronisation.

    Tensors are summed on their device; only :meth:`flush` converts them with ``float``.
    ``None`` values (e.g. no gradient penalty in clipping mode) are skipped.
    """

    def __init__(self) -> None:
        self.sums: dict[str, object] = {}
        self.counts: dict[str, int] = {}

    def add(self, logs: Mapping[str, object]) -> None:
        for key, value in logs.items():
            if value is None:
                continue
            if isinstance(value, torch.Tensor):
                value = value.detach()
            else:
                value = float(value)  # type: ignore[arg-type]
            self.sums[key] = self.sums.get(key, 0.0) + value  # type: ignore[operator]
            self.counts[key] = self.counts.get(key, 0) + 1

    def flush(self) -> dict[str, float]:
        means = {key: float(total) / self.counts[key] for key, total in self.sums.items()}  # type: ignore[arg-type]
        self.sums, self.counts = {}, {}
        return means

    def state_dict(self) -> dict[str, dict]:
        return {"sums": dict(self.sums), "counts": dict(self.counts)}

    def load_state_dict(self, state: dict[str, dict]) -> None:
        self.sums, self.counts = dict(state["sums"]), dict(state["counts"])


def train_gan(
    G: nn.Module,
    D: nn.Module,
    opt_G: torch.optim.Optimizer,
    opt_D: torch.optim.Optimizer,
    batches: Iterable[torch.Tensor],
    num_steps: int,
    step_fn: StepFn,
    log_every: int = 100,
    on_log: Callable[[int, dict[str, float]], None] | None = None,
    n_critic: int = 1,
    generator_step: StepFn | None = None,
    checkpoint: Checkpoint | None = None,
    resumable: Mapping[str, Stateful] | None = None,
    **step_kwargs: object,
) -> History:
    """Run ``num_steps`` training steps, each calling ``step_fn(G, D, opt_G, opt_D, real, **kw)``.

    Steps follow :class:`StepFn`'s convention (D second, its optimizer fourth; ``"d_loss"``,
    ``"g_loss"`` and named diagnostics). With ``generator_step`` given, ``step_fn`` updates
    only D (the critic) and one training step is ``n_critic`` calls of ``step_fn``, each on a
    fresh batch, then one call of ``generator_step`` with the same arguments (Algorithm 1 of
    the WGAN paper).

    ``batches`` is iterated again whenever an epoch ends. Every ``log_every`` steps (and at
    the last step) the mean of each returned value over the interval is recorded and passed
    to ``on_log(step, means)``, e.g. to draw live loss curves or sample grids. Values may be
    floats or tensors (tensors are converted only when logging, so a GPU is not synchronised
    every step); ``None`` values are skipped.

    With a ``checkpoint`` (:class:`helpers.resume.Checkpoint`), the models, optimizers,
    random generators, the batch iterator's position, the history and ``resumable`` (other
    objects with ``state_dict``, e.g. a moving-average generator) are saved every
    ``checkpoint.every`` steps and after the last; a call that finds a checkpoint continues
    from it (``on_log`` is called only for the steps it runs).

    Args:
        G, D, opt_G, opt_D: models and their optimizers.
        batches: an iterable of real batches (e.g. :class:`helpers.data.DeviceBatches`).
        num_steps: number of training steps (generator updates; use
            :func:`helpers.runtime.budget`).
        step_fn: one training step (or one critic step), a :class:`StepFn`.
        log_every: logging interval in steps.
        on_log: optional callback for each logging point.
        n_critic: critic steps per generator step; needs ``generator_step``.
        generator_step: the generator update, when ``step_fn`` updates only the critic.
        checkpoint: where and how often to save for resuming; None saves nothing.
        resumable: more objects the checkpoint keeps, by name.

    Taught in: 01-vanilla-gan, section 4 (n_critic: 03-wgan, section 5).
    """
    for name, value in (("num_steps", num_steps), ("log_every", log_every), ("n_critic", n_critic)):
        positive_int(value, name)
    if n_critic != 1 and generator_step is None:
        raise ValueError("n_critic > 1 needs a generator_step: step_fn then updates only D")
    G.train()
    D.train()
    history = History(steps=[], logs={})
    means = _IntervalMeans()
    stream = BatchStream(batches)
    objects = {"G": G, "D": D, "opt_G": opt_G, "opt_D": opt_D, "batches": stream,
               "history": history, "means": means, **(resumable or {})}  # fmt: skip
    done = 0
    if checkpoint is not None:
        _check_resumable(batches)
        done = checkpoint.restore(objects)
        if done > num_steps:
            raise ValueError(f"{checkpoint.path} is at step {done}, past num_steps={num_steps}")
    for step in range(done + 1, num_steps + 1):
        for _ in range(n_critic):
            real = next(stream)
            means.add(step_fn(G, D, opt_G, opt_D, real, **step_kwargs))
        if generator_step is not None:
            means.add(generator_step(G, D, opt_G, opt_D, real, **step_kwargs))
        if step % log_every == 0 or step == num_steps:
            logged = means.flush()
            history.steps.append(step)
            for key, value in logged.items():
                history.logs.setdefault(key, []).append(value)
            if on_log is not None:
                on_log(step, logged)
        if checkpoint is not None and checkpoint.due(step, num_steps):
            checkpoint.save(step, objects)
    return history


def _canonical(code: types.CodeType) -> tuple[object, ...]:
    """What ``code`` does, without where it was written: no file name, line numbers or positions.

    A notebook cell's file name holds the kernel's process id, and ``marshal``'s bytes depend
    on how strings happen to be shared in memory, so neither can key a cache across sessions.
    ``co_exceptiontable`` exists from Python 3.11, the oldest the package supports.
    """
    consts = tuple(_canonical(c) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return (code.co_name, code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount,
            code.co_flags, code.co_code, code.co_exceptiontable, consts, code.co_names,
            code.co_varnames, code.co_freevars, code.co_cellvars)  # fmt: skip


def fingerprint(fn: Callable[..., Any]) -> str:
    """A short hash of what a function does: it changes when the function is rewritten, not
    when the same code is run again from another file or line (a notebook cell compiled by a
    new kernel gets a new file name, and the cache must still find its runs).

    Taught in: 03-wgan, section 5.
    """
    code = getattr(fn, "__code__", None)
    payload = repr(_canonical(code) if code is not None else fn).encode()
    return hashlib.sha256(payload).hexdigest()[:12]


def cached(
    name: str,
    params: dict[str, Any],
    compute: Callable[..., dict[str, Any]],
    resume_every: int | None = None,
) -> dict[str, Any]:
    """``compute()``'s result, computed once per ``(name, params)`` and kept on disk.

    The result (tensors, numbers, lists and dicts of them) is saved atomically under
    ``<data_dir>/runs/`` and loaded with ``torch.load(weights_only=True)`` the next time, so
    re-running a notebook does not retrain. Change any value in ``params`` (a budget, a
    fingerprint of the student's step function) and it is computed again.

    With ``resume_every``, ``compute`` is called as ``compute(checkpoint)`` with a
    :class:`helpers.resume.Checkpoint` in :func:`helpers.runtime.checkpoint_dir` named after
    ``(name, params)`` and saving every ``resume_every`` steps: a run interrupted half-way (a
    Colab disconnect) continues from its last save when the cell runs again. The checkpoint
    is deleted once the result is stored.

    Taught in: 03-wgan, section 5.
    """
    key = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:16]
    path = data_dir() / "runs" / f"{name}-{key}.pt"
    if path.exists():
        try:
            return torch.load(path, weights_only=True)
        except Exception:  # noqa: BLE001 - a truncated or foreign file is recomputed
            path.unlink(missing_ok=True)
    if resume_every is None:
        result = compute()
    else:
        checkpoint = Checkpoint(checkpoint_dir() / f"{name}-{key}.pt", every=resume_every)
        result = compute(checkpoint)
    atomic_save(result, path)
    if resume_every is not None:
        checkpoint.clear()
    return result


@torch.no_grad()
def update_ema(G_ema: nn.Module, G: nn.Module, decay: float, copy_buffers: bool = False) -> None:
    """Move a copy of the generator towards it: an exponential moving average of its weights.

    Karras et al. (2018), appendix A.1 (decay 0.999): ``G_ema <- decay * G_ema + (1 - decay) * G``
    for every parameter, after every generator step; samples are drawn from ``G_ema``, which
    averages out the last steps' oscillations (Yazıcı et al., 2019). Start from
    ``G_ema = copy.deepcopy(G)``. With ``copy_buffers=True`` the buffers (e.g. batch norm's
    running statistics) are copied from ``G``; by default ``G_ema`` keeps its own (e.g.
    StyleGAN's ``w_avg``, computed from ``G_ema`` itself).

    Taught in: 03-wgan, section 7 (04-progan, section 5; 05-stylegan).
    """
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"decay must be in [0, 1], got {decay!r}")
    for p_ema, p in zip(G_ema.parameters(), G.parameters(), strict=True):
        p_ema.lerp_(p, 1.0 - decay)
    if copy_buffers:
        for b_ema, b in zip(G_ema.buffers(), G.buffers(), strict=True):
            b_ema.copy_(b)
