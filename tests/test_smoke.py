"""Every master notebook runs top to bottom in smoke mode (tiny budgets, figures and widgets on)."""

import time

import nbformat
import pytest
from nbclient import NotebookClient
from nbtools import ASSIGNMENTS, source_notebook

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_runs_in_smoke_mode(assignment, tmp_path, monkeypatch):
    monkeypatch.setenv("GAN_COURSE_SMOKE", "1")
    nb = nbformat.read(source_notebook(assignment), as_version=4)
    start = time.perf_counter()
    # Smoke cells take seconds. The short timeout also bounds a known nbclient stall on widget
    # cells (jupyter/nbclient#312: the reply is only picked up when the wait times out).
    NotebookClient(
        nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    elapsed = time.perf_counter() - start
    print(f"{assignment}: executed in smoke mode in {elapsed:.1f} s")
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure was drawn"
    assert list(tmp_path.iterdir()) == [], "the notebook wrote into its working directory"
