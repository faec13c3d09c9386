"""Unit tests for helpers.widgets: slider views and their static fallback."""

from __future__ import annotations

import builtins
import sys

import pytest
import torch

from helpers import widgets
from helpers.widgets import Slider, latent_explorer, slider_view


@pytest.fixture(autouse=True)
def not_grading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)


def _no_ipywidgets(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def fake_import(name: str, *args: object, **kwargs: object) -> object:
        if name == "ipywidgets" or name.startswith("ipywidgets."):
            raise ImportError("No module named 'ipywidgets'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "ipywidgets", raising=False)
    monkeypatch.setattr(builtins, "__import__", fake_import)


def test_slider_view_builds_one_control_per_slider_and_redraws() -> None:
    pytest.importorskip("ipywidgets")
    calls: list[dict[str, float]] = []
    view = slider_view(
        lambda shift, n: calls.append({"shift": shift, "n": n}),
        static=[{"shift": 2.0}],
        shift=Slider(0.0, 4.0, 0.5, 1.0, "shift"),
        n=Slider(1, 10, 1, 3),
    )
    controls = {c.description: c for c in view.children if hasattr(c, "min")}
    assert type(controls["shift"]).__name__ == "FloatSlider"
    assert type(controls["n"]).__name__ == "IntSlider"
    assert controls["shift"].value == 1.0 and not controls["shift"].continuous_update
    first = len(calls)
    controls["shift"].value = 3.5
    assert calls[first:] == [{"shift": 3.5, "n": 3}]


def test_slider_view_draws_the_static_settings_while_grading(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    calls: list[tuple[float, int]] = []
    view = slider_view(
        lambda shift, n: calls.append((shift, n)),
        static=[{"shift": 0.5}, {"shift": 3.0, "n": 7}],
        shift=Slider(0.0, 4.0, 0.5, 1.0),
        n=Slider(1, 10, 1, 3),
    )
    assert view is None
    assert calls == [(0.5, 3), (3.0, 7)]  # unnamed values keep the slider's start value
    assert capsys.readouterr().out == ""  # nothing printed into a graded notebook


def test_slider_view_without_ipywidgets_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _no_ipywidgets(monkeypatch)
    assert not widgets.widgets_available()
    calls: list[float] = []
    view = slider_view(lambda x: calls.append(x), static=[{"x": 2.0}], x=Slider(0.0, 1.0, 0.1, 0.0))
    assert view is None
    assert calls == [2.0]
    assert "ipywidgets" in capsys.readouterr().out


def test_slider_view_rejects_static_settings_for_unknown_sliders() -> None:
    with pytest.raises(ValueError, match=r"unknown sliders: \['y'\]"):
        slider_view(lambda x: None, static=[{"y": 1}], x=Slider(0, 1, 1, 0))


def test_latent_explorer_decodes_interpolated_seeded_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # static settings t = 0, 0.5, 1
    seen: list[torch.Tensor] = []

    def decode(z: torch.Tensor) -> torch.Tensor:
        seen.append(z)
        return torch.zeros(len(z), 1, 4, 4)

    assert latent_explorer(decode, z_dim=3, n=5) is None
    z_a = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    z_b = torch.randn(5, 3, generator=torch.Generator().manual_seed(1))
    assert len(seen) == 3
    assert torch.equal(seen[0], z_a) and torch.equal(seen[2], z_b)
    assert torch.allclose(seen[1], (z_a + z_b) / 2)


def test_choice_builds_a_selection_slider_over_its_options() -> None:
    pytest.importorskip("ipywidgets")
    from helpers.widgets import Choice

    seen: list[float] = []
    view = slider_view(lambda c: seen.append(c), static=[], c=Choice((0.001, 0.01, 0.1), 0.01, "c"))
    (control,) = [w for w in view.children if type(w).__name__ == "SelectionSlider"]
    assert list(control.options) == [0.001, 0.01, 0.1] and control.value == 0.01
    control.value = 0.1
    assert seen[-1] == 0.1
    with pytest.raises(ValueError, match="not one of the options"):
        Choice((1, 2), 3).build("x")


def test_toggle_builds_a_checkbox() -> None:
    pytest.importorskip("ipywidgets")
    from helpers.widgets import Toggle

    seen: list[tuple[bool, float]] = []
    view = slider_view(lambda on, x: seen.append((on, x)), static=[], on=Toggle(True, "noise"),
                       x=Slider(0.0, 1.0, 0.5, 0.0))  # fmt: skip
    (box,) = [w for w in view.children if type(w).__name__ == "Checkbox"]
    assert box.value is True and box.description == "noise"
    box.value = False
    assert seen[-1] == (False, 0.0)
