"""Side effects of student code: inputs changed in place, modes not restored, global randomness.

A function can return the right value and still break its caller: ``x.sort()`` or
``diff = mu1; diff -= mu2`` rewrites the caller's data, ``critic.eval()`` without a matching
``critic.train()`` leaves a network in the wrong mode, ``torch.manual_seed`` inside a function
resets the caller's random stream. Each check here records the state before the student's
code runs and compares it afterwards, naming what changed:

* :func:`snapshot` / :func:`assert_inputs_unchanged`: tensors (values, shape, dtype,
  ``requires_grad``, ``.grad``, the version counter that in-place writes advance), numpy
  arrays, lists, tuples and dicts (recursively), and modules (parameters, buffers and the
  train/eval mode of every submodule);
* :func:`assert_modes_kept`: only the train/eval mode of every submodule;
* :func:`random_states` / :func:`assert_random_state_kept`: torch's CPU generator (and every
  CUDA device's when CUDA is present), numpy's legacy global generator and Python's ``random``.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator, Sequence
from typing import Any

import numpy
import torch
from torch import nn

from .integrity import guarded
from .messages import fail

__all__ = [
    "assert_inputs_unchanged",
    "assert_modes_kept",
    "assert_random_state_kept",
    "differences",
    "random_states",
    "snapshot",
]

_MODE_HINT = (
    "if you switch a network's mode, remember it first (was = net.training) and put it back "
    "afterwards (net.train(was))"
)
_INPLACE_HINT = (
    "work on a copy and leave the caller's data alone: x.clone(), torch.sort(x) or sorted(x) "
    "return new objects; x.sort(), x -= y, x.add_(...) and x[...] = ... change the caller's"
)


def _tensor_facts(t: torch.Tensor) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "shape": list(t.shape),
        "dtype": t.dtype,
        "device": t.device,
        "requires_grad": t.requires_grad,
        "version": t._version,
    }
    if t.device.type != "meta":
        facts["values"] = t.detach().clone()
        facts["grad"] = None if t.grad is None else t.grad.detach().clone()
    return facts


def snapshot(value: Any) -> dict[str, Any]:
    """A record of ``value`` for :func:`differences`: path -> facts, recursively.

    Tensors, numpy arrays, Python numbers and strings, lists, tuples, dicts and modules are
    recorded; other objects (functions, optimizers, generators) are skipped.
    """
    found: dict[str, Any] = {}
    _record(value, "", found, set())
    return found


def _record(value: Any, path: str, found: dict[str, Any], seen: set[int]) -> None:
    if id(value) in seen:
        return
    if isinstance(value, torch.Tensor):
        found[path] = ("tensor", _tensor_facts(value))
    elif isinstance(value, numpy.ndarray):
        found[path] = ("array", value.copy())
    elif isinstance(value, (bool, int, float, complex, str, bytes, type(None))):
        found[path] = ("scalar", value)
    elif isinstance(value, nn.Module):
        seen.add(id(value))
        for sub, module in value.named_modules():
            found[f"{path}.{sub}" if sub else path] = ("mode", module.training)
        for tensors in (value.named_parameters(), value.named_buffers()):
            for key, tensor in tensors:
                found[f"{path}.{key}"] = ("tensor", _tensor_facts(tensor))
    elif isinstance(value, (list, tuple, dict)):
        seen.add(id(value))
        items = value.items() if isinstance(value, dict) else enumerate(value)
        found[path] = ("container", (type(value).__name__, len(value)))
        for key, item in items:
            _record(item, f"{path}[{key!r}]", found, seen)


def _equal(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Same shape and values, NaN counting as equal to NaN."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.is_floating_point() or a.is_complex():
        gaps_a, gaps_b = a.isnan(), b.isnan()
        return torch.equal(gaps_a, gaps_b) and torch.equal(a[~gaps_a], b[~gaps_b])
    return torch.equal(a, b)


def _tensor_change(before: dict[str, Any], now: dict[str, Any]) -> str | None:
    for key in ("shape", "dtype", "device", "requires_grad"):
        if before[key] != now[key]:
            return f"its {key} changed from {before[key]} to {now[key]}"
    if "values" in before:
        old, new = before["values"], now["values"]
        if not _equal(old, new):
            where = (old != new).reshape(-1).nonzero()
            at = int(where[0]) if len(where) else 0
            was, is_ = old.reshape(-1)[at].item(), new.reshape(-1)[at].item()
            digits = 6 if f"{was:.6g}" != f"{is_:.6g}" else 17  # show a tiny change too
            return (
                f"its values were changed in place (element {at} was {was:.{digits}g}, "
                f"is {is_:.{digits}g})"
            )
        if (before["grad"] is None) != (now["grad"] is None) or (
            before["grad"] is not None and not _equal(before["grad"], now["grad"])
        ):
            return "its .grad changed (a backward pass accumulated into the caller's tensor)"
    if before["version"] != now["version"]:
        return (
            f"it was written in place (its version counter went from {before['version']} to "
            f"{now['version']}), even if its values look the same"
        )
    return None


def _change(kind: str, before: Any, now: Any) -> str | None:
    if kind == "tensor":
        return _tensor_change(before, now)
    if kind == "array":
        same = before.shape == now.shape and before.dtype == now.dtype
        if same and before.dtype.kind in "fc":
            same = bool(numpy.array_equal(before, now, equal_nan=True))
        elif same:
            same = bool(numpy.array_equal(before, now))
        return None if same else "the array's contents were changed in place"
    if kind == "mode":
        old, new = ("train" if m else "eval" for m in (before, now))
        return None if before == now else f"left in {new} mode; it was in {old} mode"
    if kind == "container":
        return None if before == now else f"its length changed from {before[1]} to {now[1]}"
    same = type(before) is type(now) and (before == now or before != before and now != now)
    return None if same else f"changed from {before!r} to {now!r}"


def differences(before: dict[str, Any], now: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, what changed) for every entry of two :func:`snapshot` records that differs."""
    changes = []
    for path, (kind, old) in before.items():
        if path not in now:
            changes.append((path, "it is gone"))
            continue
        new_kind, new = now[path]
        change = f"it became a {new_kind}" if new_kind != kind else _change(kind, old, new)
        if change is not None:
            changes.append((path, change))
    return changes


def _labels(count: int, labels: Sequence[str] | None) -> list[str]:
    if labels is not None and len(labels) != count:
        raise ValueError(f"got {count} values but {len(labels)} labels")
    return list(labels) if labels is not None else [f"input {i + 1}" for i in range(count)]


@guarded
@contextlib.contextmanager
def assert_inputs_unchanged(
    *values: Any,
    name: str,
    labels: Sequence[str] | None = None,
    hint: str | None = None,
) -> Iterator[None]:
    """Inside the block, none of ``values`` may change (checked when the block ends normally).

    Example: ``with checks.assert_inputs_unchanged(x, y, name="wasserstein_1d",
    labels=["x", "y"]): wasserstein_1d(x, y)``. A module counts as changed when a parameter
    or buffer, or the train/eval mode of any submodule, differs.

    Taught in: 01-vanilla-gan, every test cell (through checks.call and
    assert_matches_reference).
    """
    labels = _labels(len(values), labels)
    before = [snapshot(value) for value in values]
    yield
    _compare_each(values, before, labels, name, hint)


def _compare_each(
    values: Sequence[Any], before: list[dict], labels: list[str], name: str, hint: str | None
) -> None:
    for value, old, label in zip(values, before, labels):
        changes = differences(old, snapshot(value))
        if changes:
            path, what = changes[0]
            more = f" (and {len(changes) - 1} more changes)" if len(changes) > 1 else ""
            mode_changed = what.startswith("left in")
            fail(
                name,
                f"{label} left unchanged",
                f"{label}{path}: {what}{more}",
                hint or (_MODE_HINT if mode_changed else _INPLACE_HINT),
            )


def _modes(module: nn.Module) -> dict[str, Any]:
    return {path: ("mode", m.training) for path, m in module.named_modules()}


@guarded
@contextlib.contextmanager
def assert_modes_kept(
    *modules: nn.Module, name: str, labels: Sequence[str] | None = None, hint: str | None = None
) -> Iterator[None]:
    """Inside the block, every module (and each of its submodules) must end in the train or
    eval mode it started in.

    Taught in: 01-vanilla-gan, exercise 6 (train_step); 03-wgan, exercise 6 (critic_step).
    """
    labels = _labels(len(modules), labels)
    before = [_modes(module) for module in modules]
    yield
    for module, old, label in zip(modules, before, labels):
        changes = differences(old, _modes(module))
        if changes:
            path, what = changes[0]
            fail(
                name,
                f"{label} left in the mode it was in (train or eval)",
                f"{label}{'.' + path if path else ''} {what}",
                hint or _MODE_HINT,
            )


def random_states() -> dict[str, Any]:
    """The global random states: torch CPU (and each CUDA device's when CUDA is present),
    numpy's legacy global generator (``np.random.*``) and Python's ``random``."""
    states: dict[str, Any] = {"torch's global CPU generator": torch.get_rng_state()}
    if torch.cuda.is_available():
        for index, state in enumerate(torch.cuda.get_rng_state_all()):
            states[f"torch's global generator on cuda:{index}"] = state
    legacy = numpy.random.get_state()
    states["numpy's global generator (np.random)"] = (legacy[0], legacy[1].copy(), *legacy[2:])
    states["Python's random module"] = random.getstate()
    return states


def _same_state(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same_state(x, y) for x, y in zip(a, b))
    if isinstance(a, numpy.ndarray):
        return bool(numpy.array_equal(a, b))
    return a == b


@guarded
@contextlib.contextmanager
def assert_random_state_kept(name: str, hint: str | None = None) -> Iterator[None]:
    """Inside the block, the global random states must not change (checked when the block
    ends normally): for code whose task says it draws only from its own generator.

    Taught in: 05-stylegan, exercise 6 (StyleBlock's constant noise).
    """
    before = random_states()
    yield
    after = random_states()
    changed = [label for label, state in before.items() if not _same_state(state, after[label])]
    if changed:
        fail(
            name,
            "the global random state left as it was",
            "changed: " + ", ".join(changed),
            hint
            or "draw from your own generator (torch.Generator().manual_seed(seed), "
            "numpy.random.default_rng(seed)) instead of seeding or drawing from the global one",
        )
