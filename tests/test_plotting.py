"""Unit tests for helpers.plotting with matplotlib's non-interactive Agg backend."""

from __future__ import annotations

import builtins
import os
from collections.abc import Iterator
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from helpers.plotting import (  # noqa: E402
    LossCurves,
    image_grid,
    save_images,
    show_images,
    show_snapshots,
)


@pytest.fixture(autouse=True)
def agg_and_no_figures(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    plt.close("all")
    yield
    plt.close("all")


@pytest.fixture
def grading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")


def _images(n: int = 16) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28) * 2 - 1


# --- image_grid -------------------------------------------------------------------------------


def test_image_grid_shape_for_images() -> None:
    grid = image_grid(_images(16))
    # 8 columns and 2 rows of 28 pixels with 2 pixels of padding around each
    assert list(grid.shape) == [3, 2 * 30 + 2, 8 * 30 + 2]
    assert grid.device == torch.device("cpu")


def test_image_grid_shape_for_flat_images() -> None:
    flat = _images(16).reshape(16, 784)
    grid = image_grid(flat)
    assert list(grid.shape) == [3, 62, 242]
    assert torch.equal(grid, image_grid(flat.reshape(16, 1, 28, 28)))


def test_image_grid_nrow() -> None:
    assert list(image_grid(_images(12), nrow=4).shape) == [3, 3 * 30 + 2, 4 * 30 + 2]


def test_image_grid_range_and_mapping() -> None:
    images = torch.zeros(2, 1, 28, 28)
    images[0] = -1.0
    images[1] = 1.0
    images[1, 0, 0, 0] = 0.0
    images[1, 0, 0, 1] = 5.0  # out of range: clamped
    grid = image_grid(images, nrow=2)
    assert grid.min().item() >= 0.0
    assert grid.max().item() <= 1.0
    # first image starts after 2 pixels of padding; second image 30 pixels further
    assert grid[:, 2, 2].tolist() == [0.0, 0.0, 0.0]
    assert grid[:, 2, 32].tolist() == pytest.approx([0.5, 0.5, 0.5])
    assert grid[:, 2, 33].tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert grid[:, 10, 40].tolist() == pytest.approx([1.0, 1.0, 1.0])


def test_image_grid_uses_fixed_range_not_per_batch_contrast() -> None:
    # a batch of mid-gray images stays mid-gray: [-1, 1] is mapped, not the batch's min/max
    grid = image_grid(torch.zeros(2, 1, 28, 28), nrow=2)
    assert grid[:, 2:30, 2:30].unique().tolist() == pytest.approx([0.5])
    dim = image_grid(torch.full((1, 1, 28, 28), -0.5))
    assert dim.unique().tolist() == pytest.approx([0.25])


def test_image_grid_random_values_in_unit_range() -> None:
    grid = image_grid(torch.randn(9, 784) * 3)
    assert grid.min().item() >= 0.0
    assert grid.max().item() <= 1.0


def test_image_grid_does_not_modify_input_or_need_grad() -> None:
    images = torch.full((4, 1, 28, 28), 3.0, requires_grad=True)
    grid = image_grid(images)
    assert torch.equal(images.detach(), torch.full((4, 1, 28, 28), 3.0))
    assert not grid.requires_grad


@pytest.mark.parametrize("shape", [(4, 783), (4, 28, 28), (784,)])
def test_image_grid_rejects_bad_shapes(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        image_grid(torch.zeros(shape))


# --- save_images ------------------------------------------------------------------------------


def test_save_images_writes_png(tmp_path: Path) -> None:
    path = tmp_path / "samples" / "step-0.png"
    result = save_images(_images(16), path)
    assert result == path
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (242, 62)


def test_save_images_accepts_str_path(tmp_path: Path) -> None:
    result = save_images(_images(4).reshape(4, 784), str(tmp_path / "x.png"), nrow=2)
    assert isinstance(result, Path)
    with Image.open(result) as image:
        assert image.size == (2 * 30 + 2, 2 * 30 + 2)


# --- show_images / show_snapshots -------------------------------------------------------------


def test_show_images_returns_none_while_grading(grading: None) -> None:
    assert show_images(_images(4)) is None
    assert plt.get_fignums() == []


def test_show_images_still_validates_while_grading(grading: None) -> None:
    with pytest.raises(ValueError):
        show_images(torch.zeros(4, 783))


@pytest.mark.filterwarnings("ignore:.*non-interactive:UserWarning")
def test_show_images_draws_outside_grading() -> None:
    # returns nothing (a returned figure would be displayed twice in Jupyter) but draws one
    assert show_images(_images(4), title="samples") is None
    assert len(plt.get_fignums()) == 1
    assert plt.gcf().axes[0].get_title() == "samples"


def test_show_snapshots_returns_none_while_grading(grading: None) -> None:
    assert show_snapshots([(0, _images(8)), (10, _images(8))]) is None
    assert plt.get_fignums() == []


def test_show_snapshots_empty_draws_nothing() -> None:
    show_snapshots([])
    assert plt.get_fignums() == []


@pytest.mark.filterwarnings("ignore:.*non-interactive:UserWarning")
@pytest.mark.parametrize("count", [1, 3])
def test_show_snapshots_draws_one_row_per_step(count: int) -> None:
    assert show_snapshots([(step, _images(8)) for step in range(count)]) is None
    assert len(plt.get_fignums()) == 1
    assert len(plt.gcf().axes) == count


@pytest.mark.filterwarnings("ignore:.*non-interactive:UserWarning")
def test_show_snapshots_keeps_at_most_max_rows_with_the_last() -> None:
    show_snapshots([(step, _images(8)) for step in range(20)], max_rows=4)
    labels = [ax.get_ylabel() for ax in plt.gcf().axes]
    assert labels == ["step 0", "step 6", "step 13", "step 19"]


# --- LossCurves -------------------------------------------------------------------------------


def test_loss_curves_records_values_while_grading(grading: None) -> None:
    curves = LossCurves()
    assert curves._live is None
    curves(10, {"d_loss": 1.25, "g_loss": torch.tensor(0.5), "extra": 3.0})
    curves(20, {"d_loss": 1.0, "g_loss": 0.75})
    assert curves.steps == [10, 20]
    assert curves.values == {"d_loss": [1.25, 1.0], "g_loss": [0.5, 0.75]}
    assert all(type(v) is float for v in curves.values["g_loss"])
    assert plt.get_fignums() == []


def test_loss_curves_custom_keys(grading: None) -> None:
    curves = LossCurves(keys=("critic",), title="wgan")
    curves(1, {"critic": -2.0})
    assert curves.values == {"critic": [-2.0]}
    with pytest.raises(KeyError):
        curves(2, {"d_loss": 1.0})


@pytest.mark.filterwarnings("ignore:.*non-interactive:UserWarning")
def test_loss_curves_fallback_without_livelossplot(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_import = builtins.__import__

    def no_livelossplot(name: str, *args: object, **kwargs: object) -> object:
        if name == "livelossplot" or name.startswith("livelossplot."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_livelossplot)
    curves = LossCurves()
    assert curves._live is None
    curves(1, {"d_loss": 1.0, "g_loss": 2.0})
    curves(2, {"d_loss": 0.5, "g_loss": 1.5})
    assert curves.values == {"d_loss": [1.0, 0.5], "g_loss": [2.0, 1.5]}
    lines = plt.figure(plt.get_fignums()[-1]).axes[0].get_lines()
    assert [list(line.get_ydata()) for line in lines] == [[1.0, 0.5], [2.0, 1.5]]
    capsys.readouterr()


@pytest.mark.colab
def test_loss_curves_use_notebook_output_in_a_colab_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """The live plot asks livelossplot for its "notebook" output (clear_output + plt.show(),
    a picture in Colab and JupyterLab) in any shell with a kernel, instead of relying on
    livelossplot's guess from the shell's class name (older releases took Colab's for a
    terminal), and for "script" outside one."""
    import IPython
    import livelossplot

    modes: list[object] = []
    real = livelossplot.PlotLosses

    def recording(*args: object, **kwargs: object) -> object:
        modes.append(kwargs.get("mode"))
        return real(*args, **kwargs)

    class Shell:  # like google.colab._shell.Shell: an IPython shell with a kernel
        kernel = object()

    monkeypatch.setattr(livelossplot, "PlotLosses", recording)
    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())
    assert LossCurves()._live.outputs[0].output_mode == "notebook"
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert LossCurves()._live.outputs[0].output_mode == "script"
    assert modes == ["notebook", "script"]


def test_backend_is_agg() -> None:
    assert matplotlib.get_backend().lower() == "agg"
    assert os.environ["MPLBACKEND"] == "Agg"


# --- show_point_snapshots ---------------------------------------------------------------------


def _points(step: int) -> tuple[int, torch.Tensor]:
    return step, torch.randn(50, 2)


@pytest.mark.filterwarnings("ignore:.*non-interactive:UserWarning")
def test_show_point_snapshots_one_panel_per_step_with_the_last() -> None:
    from helpers.plotting import show_point_snapshots

    centers = torch.tensor([[2.0, 0.0], [-2.0, 0.0]])
    show_point_snapshots([_points(s) for s in range(0, 100, 10)], centers=centers, max_cols=4)
    axes = plt.gcf().axes
    assert [ax.get_title() for ax in axes] == ["step 0", "step 30", "step 60", "step 90"]
    assert axes[0].get_xlim() == pytest.approx((-2.7, 2.7))
    assert len(axes[0].collections) == 2  # the samples and the centres


@pytest.mark.filterwarnings("ignore:.*non-interactive:UserWarning")
def test_show_point_snapshots_single_panel_without_centres() -> None:
    from helpers.plotting import show_point_snapshots

    show_point_snapshots([_points(5)], title="one")
    assert len(plt.gcf().axes) == 1 and len(plt.gcf().axes[0].collections) == 1


def test_show_point_snapshots_draws_nothing_while_grading_or_when_empty(grading: None) -> None:
    from helpers.plotting import show_point_snapshots

    show_point_snapshots([_points(1)])
    show_point_snapshots([])
    assert plt.get_fignums() == []
