"""Run student code on another device with a GPU's rules for random generators.

The ``meta`` device stands in for a GPU on machines without one
(:func:`~helpers.checks.probes.assert_runs_on_meta`), but it is backwards for random
generators: it accepts a CPU ``torch.Generator`` drawing a meta tensor, which CUDA refuses
("Expected a 'cuda' device type for generator"), and it refuses
``torch.Generator(device="meta")``, where CUDA accepts a generator on its own device. Code
that keeps noise repeatable with a generator (StyleGAN's constant noise) would be graded
backwards there: the correct ``torch.Generator(device=x.device)`` fails, the wrong
``torch.randn(..., generator=torch.Generator(), device=x.device)`` passes.

:func:`assert_runs_elsewhere` runs the call on ``meta`` inputs with two corrections:

* ``torch.Generator(device=d)`` for a device other than the CPU gives a
  :class:`StandInGenerator`: it draws on the CPU (meta tensors hold no values, so nothing is
  lost) and reports ``d`` as its ``device``, so code that makes its generator on its
  inputs' device runs, as on a GPU;
* every torch call that draws with ``generator=`` (``torch.randn``, ``torch.rand``,
  ``torch.normal``, ``torch.randint``, ``Tensor.normal_``, ``nn.init.normal_``, ...) must draw
  onto the generator's device type, as CUDA requires: a CPU generator drawing a tensor on the
  other device fails with a message naming both devices and the two fixes.

Limits, honestly: only devices are checked, never values (a generator's seed and stream are
checked by calls on the CPU); the rule compares device types, not indices; during the call
``torch.Generator`` is a subclass of the real class, so ``type(g) is torch.Generator`` is
false for a generator made there (``isinstance`` holds); a generator made by another library
(``numpy.random``) is not seen, and only what moves between devices is (the ``meta`` checks
catch a CPU tensor mixed with the inputs).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

from .integrity import guarded, patched
from .probes import assert_runs_on_meta

__all__ = ["StandInGenerator", "assert_runs_elsewhere", "generators_as_on_gpu"]

_REAL_GENERATOR = torch.Generator


class StandInGenerator(_REAL_GENERATOR):
    """``torch.Generator(device)`` for :func:`generators_as_on_gpu`: a real generator on the
    CPU for ``device="cpu"``, else a CPU generator that reports ``device`` as its own.

    Taught in: 05-stylegan, exercises 3 and 6 (through :func:`assert_runs_elsewhere`).
    """

    def __new__(cls, device: Any = "cpu") -> Any:
        if torch.device(device).type == "cpu":
            return _REAL_GENERATOR(device)
        return super().__new__(cls, "cpu")

    def __init__(self, device: Any = "cpu") -> None:
        self._stands_on = torch.device(device)

    @property
    def device(self) -> torch.device:  # type: ignore[override]
        return self._stands_on

    def __deepcopy__(self, memo: dict[int, Any]) -> StandInGenerator:
        twin = StandInGenerator(self._stands_on)
        twin.set_state(self.get_state())
        return twin


def _target_device(args: tuple[Any, ...], kwargs: dict[str, Any]) -> torch.device:
    """Where a random call puts its numbers: ``device=``, else its first tensor argument
    (``Tensor.normal_``'s own tensor, ``torch.normal``'s mean), else torch's default device."""
    if kwargs.get("device") is not None:
        return torch.device(kwargs["device"])
    for value in (*args, kwargs.get("out")):
        if isinstance(value, torch.Tensor):
            return value.device
    return torch.get_default_device()


class _GeneratorRules(TorchFunctionMode):
    """Refuse a draw whose generator lives on another device type than the numbers it makes."""

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN206
        kwargs = kwargs or {}
        generator = kwargs.get("generator")
        if isinstance(generator, _REAL_GENERATOR):
            target = _target_device(args, kwargs)
            if generator.device.type != target.type:
                what = getattr(func, "__name__", "a random function")
                raise RuntimeError(
                    f"{what} drew numbers on {target.type} with a generator on "
                    f"{generator.device.type}, which a GPU refuses. Make the generator where you "
                    "draw, torch.Generator(device=x.device), or draw on the CPU and move the "
                    "result: torch.randn(..., generator=g).to(x.device)"
                )
        return func(*args, **kwargs)


@contextlib.contextmanager
def generators_as_on_gpu() -> Iterator[None]:
    """Inside the block, ``torch.Generator(device=...)`` works for any device (a
    :class:`StandInGenerator`) and a draw must use a generator on its own device type.

    Taught in: 05-stylegan, exercises 3 and 6 (noise drawn on x's device).
    """
    with patched(torch, "Generator", StandInGenerator), _GeneratorRules():
        yield


@guarded
def assert_runs_elsewhere(
    fn: Callable[..., Any], *args: Any, name: str = "value", hint: str | None = None, **kwargs: Any
) -> Any:
    """:func:`~helpers.checks.probes.assert_runs_on_meta` with a GPU's rules for generators.

    Build the inputs with :func:`~helpers.checks.probes.to_meta`. The call must not fail and
    must return meta tensors; inside it, generators behave as on a GPU
    (:func:`generators_as_on_gpu`), so making a generator on the inputs' device works and
    drawing on them with a CPU generator fails. Use it wherever the code under test may use
    a ``torch.Generator``.

    Taught in: 05-stylegan, exercises 3 and 6 (noise drawn on x's device).
    """

    def with_gpu_rules(*inner_args: Any, **inner_kwargs: Any) -> Any:
        with generators_as_on_gpu():
            return fn(*inner_args, **inner_kwargs)

    return assert_runs_on_meta(with_gpu_rules, *args, name=name, hint=hint, **kwargs)
