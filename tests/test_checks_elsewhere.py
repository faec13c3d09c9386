"""helpers.checks.elsewhere: the meta device with a GPU's rules for random generators."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from helpers import checks, runtime
from helpers.checks import CheckFailure, integrity, to_meta


def _generator_on_x(x: torch.Tensor) -> torch.Tensor:
    g = torch.Generator(device=x.device).manual_seed(3)
    return x + torch.randn(x.shape, generator=g, device=x.device)


def _cpu_generator_then_moved(x: torch.Tensor) -> torch.Tensor:
    g = torch.Generator().manual_seed(3)
    return x + torch.randn(x.shape, generator=g).to(x.device)


def _global_generator(x: torch.Tensor) -> torch.Tensor:
    return x + torch.randn(x.shape, device=x.device)


def _cpu_generator_on_x(x: torch.Tensor) -> torch.Tensor:
    g = torch.Generator().manual_seed(3)
    return x + torch.randn(x.shape, generator=g, device=x.device)


def _cpu_generator_in_place(x: torch.Tensor) -> torch.Tensor:
    g = torch.Generator().manual_seed(3)
    return x + torch.empty_like(x).normal_(generator=g)


def _cpu_noise(x: torch.Tensor) -> torch.Tensor:
    return x + torch.randn(x.shape)


@pytest.mark.parametrize("fn", [_generator_on_x, _cpu_generator_then_moved, _global_generator])
def test_correct_device_handling_runs_elsewhere(fn) -> None:  # noqa: ANN001
    out = checks.assert_runs_elsewhere(fn, to_meta(torch.zeros(2, 3)), name="noise")
    assert out.device.type == "meta"
    assert fn(torch.zeros(2, 3)).device.type == "cpu"  # and on the CPU, as before


@pytest.mark.parametrize(
    ("fn", "fragment"),
    [
        (_cpu_generator_on_x, "randn drew numbers on meta with a generator on cpu"),
        (_cpu_generator_in_place, "normal_ drew numbers on meta with a generator on cpu"),
        (_cpu_noise, "Tensor on device cpu is not on the expected device meta"),
    ],
)
def test_generator_on_the_wrong_device_fails_elsewhere(fn, fragment: str) -> None:  # noqa: ANN001
    with pytest.raises(CheckFailure) as info:
        checks.assert_runs_elsewhere(fn, to_meta(torch.zeros(2, 3)), name="noise")
    message = str(info.value)
    assert "noise: check failed." in message and "expected:" in message
    assert fragment in message, message


def test_plain_meta_is_backwards_for_generators() -> None:
    """Why the module exists: on bare meta the right code fails and the wrong code passes."""
    with pytest.raises(CheckFailure, match="not an accelerator"):
        checks.assert_runs_on_meta(_generator_on_x, to_meta(torch.zeros(2)), name="right")
    checks.assert_runs_on_meta(_cpu_generator_on_x, to_meta(torch.zeros(2)), name="wrong")


def test_generators_made_inside_report_their_device_and_copy() -> None:
    with checks.generators_as_on_gpu():
        cpu = torch.Generator()
        meta = torch.Generator(device="meta").manual_seed(5)
        twin = copy.deepcopy(meta)
    assert type(cpu) is checks.StandInGenerator.__mro__[1]  # a real CPU generator
    assert meta.device == torch.device("meta") and twin.device == torch.device("meta")
    assert isinstance(meta, torch.Generator) and twin.initial_seed() == 5
    assert torch.equal(
        torch.randn(4, generator=meta), torch.randn(4, generator=twin)
    )  # same stream
    assert torch.Generator is checks.StandInGenerator.__mro__[1]  # restored


def test_a_module_keeping_a_generator_per_device() -> None:
    class Noisy(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.generator: torch.Generator | None = None

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if self.generator is None or self.generator.device != x.device:
                self.generator = torch.Generator(device=x.device).manual_seed(0)
            return x + torch.randn(x.shape, generator=self.generator, device=x.device)

    layer = Noisy()
    layer(torch.zeros(2))  # a CPU generator first
    checks.assert_runs_elsewhere(to_meta(layer), to_meta(torch.zeros(2)), name="Noisy")


def test_sealed_checks_accept_the_stand_in_and_restore_torch() -> None:
    integrity.seal(runtime.loaded_modules())
    try:
        checks.assert_runs_elsewhere(_generator_on_x, to_meta(torch.zeros(2)), name="sealed")
        assert integrity.verify() == []
    finally:
        integrity.unseal()
