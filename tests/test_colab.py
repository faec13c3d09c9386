"""Colab, simulated: a fresh virtual environment like a Colab runtime runs a student release.

The runtime has torch, torchvision, IPython and the course's extras (from the test's own
environment, offline) but no nbgrader, JupyterLab, notebook or Jupyter server, and a fake
``google.colab`` module. The release's own setup cell installs the course's package with pip,
from a copy of this checkout (``GAN_COURSE_HELPERS=file://...`` instead of the repository's
tag), never from the working tree. Lesson 1's release then runs from its setup cell to
its first exercise: the stub fails its visible check, the student's answer (the master
solution's cell) passes it.

What cannot be simulated here: Colab's newer Python (torch wheels here are for Python 3.11
only) and a download from the course's repository. tests/test_notebooks.py checks those
statically (the setup cell's source and pins, modules removed from newer Pythons).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest
from nbtools import ROOT, release_notebook, source_notebook

pytestmark = [pytest.mark.colab, pytest.mark.slow]

LESSON = "01-vanilla-gan"
# what Colab does not have (and the course must never install there)
ABSENT = ("nbgrader", "jupyterlab", "notebook", "jupyter_server", "nbclassic")


def colab_like_venv(tmp_path: Path) -> Path:
    """A venv that sees this environment's packages minus Jupyter's and the course's own."""
    site = Path(sysconfig.get_paths()["purelib"])
    visible = tmp_path / "colab-site"
    visible.mkdir()
    for entry in site.iterdir():
        name = entry.name.lower()
        package = re.split(r"[-.]", name)[0]  # jupyterlab-4.6.dist-info -> jupyterlab
        hidden = (
            package in ABSENT
            or name.startswith(("__editable__", "gan_course_helpers", "helpers"))
            or name.endswith(".pth")  # the editable install of this checkout lives in one
        )
        if not hidden:
            (visible / entry.name).symlink_to(entry)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    venv_site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    (Path(venv_site) / "colab-runtime.pth").write_text(f"{visible}\n")
    return python


def test_a_release_runs_in_a_simulated_colab(tmp_path: Path) -> None:
    python = colab_like_venv(tmp_path)
    checkout = tmp_path / "checkout"  # the package's files only: no build residue in the tree
    shutil.copytree(ROOT / "helpers", checkout / "helpers",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, checkout)
    work = tmp_path / "content"  # Colab's working folder, with the uploaded notebook
    work.mkdir()
    shutil.copy(release_notebook(LESSON), work)
    answer = json.dumps(
        next(
            "".join(c["source"])
            for c in json.loads(source_notebook(LESSON).read_text())["cells"]
            if c["metadata"].get("nbgrader", {}).get("solution")
        )
    )
    script = textwrap.dedent(f"""
        import contextlib, importlib.util, io, json, sys, types

        colab = types.ModuleType("google.colab")  # what `import google.colab` finds on Colab
        google = types.ModuleType("google")
        google.colab = colab
        sys.modules.update({{"google": google, "google.colab": colab}})
        for name in {ABSENT!r}:
            assert importlib.util.find_spec(name) is None, name + " is installed"

        cells = json.load(open("{LESSON}.ipynb"))["cells"]
        meta = [c["metadata"].get("nbgrader", {{}}) for c in cells]
        first_answer = next(i for i, m in enumerate(meta) if m.get("solution"))
        first_test = next(i for i, m in enumerate(meta) if m.get("grade") and i > first_answer)
        namespace = {{"__name__": "__main__"}}

        def run(i, source=None):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(source or "".join(cells[i]["source"]), f"cell{{i}}", "exec"),
                     namespace)
            return out.getvalue()

        for i in range(first_test):
            if cells[i]["cell_type"] == "code":
                print(run(i), end="")
        import helpers
        print("helpers from", helpers.__file__)
        try:
            run(first_test)
            print("STUB PASSED")
        except Exception as err:
            print("stub fails its check:", type(err).__name__, "|", " ".join(str(err).split()))
        run(first_answer, {answer})
        run(first_test)
        print("answer passes its check")
    """)
    result = subprocess.run(
        [python, "-c", script], cwd=work, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MPLBACKEND": "Agg",
             "GAN_COURSE_SMOKE": "1", "GAN_COURSE_OFFLINE": "1", "OMP_NUM_THREADS": "1",
             "GAN_COURSE_DATA": str(tmp_path / "data"),
             # the setup cell installs helpers itself, from this checkout instead of GitHub
             "GAN_COURSE_HELPERS": checkout.as_uri(), "PIP_NO_INDEX": "1",
             "PIP_NO_BUILD_ISOLATION": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )  # fmt: skip
    out = result.stdout
    print(out)  # shown with -s: what the simulated Colab printed
    assert result.returncode == 0, f"{out[-2000:]}\n{result.stderr[-3000:]}"
    assert "mode: smoke" in out, out
    assert str(tmp_path / "venv") in out.split("helpers from", 1)[1], "helpers not from the venv"
    # the check reports the stub's NotImplementedError to the student as what it found
    failed = out.split("stub fails its check: ", 1)[1].splitlines()[0]
    assert failed.startswith("CheckFailure") and "found: NotImplementedError" in failed, out
    assert "STUB PASSED" not in out
    assert "answer passes its check" in out
    assert "not the GAN Course's" not in result.stderr
