"""Every master notebook runs top to bottom in smoke mode (tiny budgets, figures and widgets on)."""

import time

import nbformat
import pytest
from nbtools import ASSIGNMENTS, WidgetSafeClient, source_notebook

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_runs_in_smoke_mode(assignment, tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_COURSE_SMOKE", "1")
    nb = nbformat.read(source_notebook(assignment), as_version=4)
    start = time.perf_counter()
    # Smoke cells take seconds; WidgetSafeClient avoids nbclient's stall on widget cells.
    WidgetSafeClient(
        nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    elapsed = time.perf_counter() - start
    print(f"{assignment}: executed in smoke mode in {elapsed:.1f} s")
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure was drawn"
    assert list(tmp_path.iterdir()) == [], "the notebook wrote into its working directory"


def test_widget_cells_do_not_stall_the_client(tmp_path):
    """Without WidgetSafeClient this cell waits out nbclient's whole cell timeout (#312)."""
    from nbformat.v4 import new_code_cell, new_notebook

    source = (
        "import ipywidgets\n"
        "def show(x):\n    print(x)\n"
        "ipywidgets.interactive(show, x=ipywidgets.IntSlider(1, 0, 5))"
    )
    nb = new_notebook(cells=[new_code_cell(source) for _ in range(3)])
    start = time.perf_counter()
    WidgetSafeClient(
        nb, timeout=20, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    assert time.perf_counter() - start < 15, "a widget cell waited for the cell timeout"
    assert all(cell.outputs for cell in nb.cells)
