"""Unit tests for helpers.checks.integrity: sealed modules and tamper detection."""

from __future__ import annotations

import builtins
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from helpers import checks, mlp_gan, runtime
from helpers.checks import integrity
from helpers.checks.integrity import TamperingDetected


@pytest.fixture
def sealed() -> Iterator[None]:
    integrity.seal(runtime.loaded_modules())
    try:
        yield
    finally:
        integrity.unseal()


def test_nothing_is_sealed_until_asked() -> None:
    assert integrity.verify() == []
    assert type(checks) is not integrity.SealedModule


def test_sealed_modules_refuse_rebinding_and_deleting(sealed: None) -> None:
    with pytest.raises(AttributeError, match="cannot be changed from a notebook"):
        checks.assert_close = lambda *a, **k: None  # type: ignore[assignment]
    with pytest.raises(AttributeError, match="cannot be changed"):
        checks.assertions.fail = lambda *a, **k: None  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="cannot be deleted"):
        del mlp_gan.generator_loss
    assert integrity.verify() == []


def test_unseal_restores_plain_modules(sealed: None) -> None:
    integrity.unseal()
    assert type(mlp_gan) is type(builtins)
    assert integrity.verify() == []


@pytest.mark.parametrize(
    ("owner", "name", "replacement"),
    [
        (torch, "allclose", lambda *a, **k: True),
        (F, "softplus", lambda x, *a, **k: x * 0),
        (torch.Tensor, "__eq__", lambda self, other: True),
        (builtins, "abs", lambda x: 0),
    ],
)
def test_a_check_puts_back_what_a_cell_replaced(
    sealed: None, owner: object, name: str, replacement: object
) -> None:
    """Tampering earns nothing: the check runs with the real function, and the fake is gone."""
    had_own, original = name in vars(owner), vars(owner).get(name)
    setattr(owner, name, replacement)
    try:
        assert any(item.endswith(f".{name}") for item in integrity.verify())
        with pytest.raises(checks.CheckFailure, match="off by 1"):
            checks.assert_close(torch.ones(1), torch.zeros(1), "ex")  # judged honestly
    finally:
        if vars(owner).get(name) is replacement:  # the guard did not run: clean up by hand
            setattr(owner, name, original) if had_own else delattr(owner, name)
    assert vars(owner).get(name) is original and integrity.verify() == []
    assert any(item.endswith(f".{name}") for item in integrity._SEAL.repaired)
    checks.assert_close(torch.zeros(1), torch.zeros(1), "ex")


def test_bypassing_the_seal_is_undone_too(sealed: None) -> None:
    assertions = checks.assertions
    original = vars(assertions)["fail"]
    object.__setattr__(assertions, "fail", lambda *a, **k: None)
    with pytest.raises(checks.CheckFailure, match="ex: check failed"):
        checks.assert_true(False, "ex", "a", "b")
    assert vars(assertions)["fail"] is original


def test_swapped_reference_code_and_defaults_are_put_back(sealed: None) -> None:
    code, defaults = mlp_gan.generator_loss.__code__, mlp_gan.sample_noise.__defaults__
    mlp_gan.generator_loss.__code__ = code.replace(co_name="tampered")  # same closure layout
    mlp_gan.sample_noise.__defaults__ = ("meta", None)
    assert {
        "helpers.mlp_gan.generator_loss.__code__",
        "helpers.mlp_gan.sample_noise.__defaults__",
    } <= set(integrity.verify())
    integrity.guard()
    assert mlp_gan.generator_loss.__code__ is code
    assert mlp_gan.sample_noise.__defaults__ is defaults
    assert integrity.verify() == []


def test_a_notebook_function_planted_before_the_seal_fails_every_check() -> None:
    def fake_allclose(*args: object, **kwargs: object) -> bool:
        return True

    fake_allclose.__module__ = "__main__"  # what a function defined in a notebook cell has
    original = torch.allclose
    torch.allclose = fake_allclose  # type: ignore[assignment]
    try:
        integrity.seal(runtime.loaded_modules())
        assert "torch.allclose" in integrity.verify()
        with pytest.raises(TamperingDetected, match="before the setup cell ran: torch.allclose"):
            checks.assert_true(True, "ex", "a", "b")
    finally:
        torch.allclose = original
        integrity.unseal()


def test_the_checks_own_replacements_are_allowed(sealed: None) -> None:
    with checks.forbid_reference(mlp_gan.generator_loss, mlp_gan.Generator):
        assert integrity.verify() == []
        checks.assert_true(True, "ex", "a", "b")
    checks.assert_runs_on_meta(lambda x: x.sum().item(), checks.to_meta(torch.ones(2)), name="f")
    assert integrity.verify() == []


def test_kernel_managed_builtins_are_not_watched(
    sealed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(builtins, "input", lambda *a: "")  # ipykernel does this before every cell
    assert integrity.verify() == []


def test_setup_notebook_seals(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path))
    try:
        runtime.setup_notebook(seed=0)
        assert type(checks) is integrity.SealedModule
        assert type(checks.assertions) is integrity.SealedModule
    finally:
        integrity.unseal()


def test_the_seal_covers_the_modules_it_is_given_and_imports_none() -> None:
    """Only what is passed (with a package's imported submodules) is sealed; nothing more is
    imported, so the infrastructure never depends on the lessons."""
    before, code = set(sys.modules), mlp_gan.generator_loss.__code__
    integrity.seal([checks])
    try:
        assert set(sys.modules) == before
        assert type(checks) is integrity.SealedModule
        assert type(checks.guards) is integrity.SealedModule  # a submodule of the package
        assert type(mlp_gan) is not integrity.SealedModule  # not passed: left alone
        mlp_gan.generator_loss.__code__ = mlp_gan.discriminator_loss.__code__.replace()
        assert integrity.verify() == []  # nor is its code watched
    finally:
        integrity.unseal()
        mlp_gan.generator_loss.__code__ = code


def test_setup_notebook_seals_what_the_setup_cell_imported_and_a_later_import_works(
    tmp_path: Path,
) -> None:
    """In a fresh interpreter: the setup cell's modules are sealed, nothing else of helpers is
    imported, and a helpers module imported later (a notebook's own cell) still imports."""
    script = textwrap.dedent(
        """
        import sys
        from helpers import checks, mlp_gan, runtime
        from helpers.checks import integrity
        runtime.setup_notebook(seed=0)
        loaded = sorted(n for n in sys.modules if n.startswith("helpers"))
        assert "helpers.bench" not in loaded and "helpers.progan" not in loaded, loaded
        assert type(mlp_gan) is integrity.SealedModule
        from helpers import bench
        import helpers.progan
        assert helpers.bench is bench and helpers.progan.pixel_norm
        for attempt in ("helpers.bench = 1", "helpers.mlp_gan = bench", "mlp_gan.Generator = 1"):
            try:
                exec(attempt)
            except AttributeError:
                continue
            raise AssertionError(attempt + " was allowed")
        print("ok")
        """
    )
    env = {"GAN_COURSE_DATA": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=120)  # fmt: skip
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr
