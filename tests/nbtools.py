"""Test-side tools for the course notebooks: reading nbgrader cells, grading hazards,
running exercises in-process against alternative implementations, and nbgrader courses."""

from __future__ import annotations

import ast
import contextlib
import copy
import importlib
import io
import os
import re
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from time import monotonic

import nbformat
from nbclient import NotebookClient
from nbclient.util import ensure_async

from helpers.checks import integrity

ROOT = Path(__file__).resolve().parents[1]


def discover_assignments(root: Path = ROOT) -> tuple[str, ...]:
    """Every assignment in ``solutions/``: a folder ``NN-slug`` holding ``NN-slug.ipynb``.

    The one place the suite learns which lessons exist: adding a lesson is adding its master
    notebook, its helpers module and its variants file.
    """
    return tuple(
        sorted(
            folder.name
            for folder in (root / "solutions").iterdir()
            if (folder / f"{folder.name}.ipynb").is_file()
        )
    )


ASSIGNMENTS = discover_assignments()


def source_notebook(assignment: str) -> Path:
    return ROOT / "solutions" / assignment / f"{assignment}.ipynb"


def release_notebook(assignment: str) -> Path:
    return ROOT / "notebooks" / assignment / f"{assignment}.ipynb"


def reference_module(assignment: str) -> str:
    """The helpers module whose references the hidden tests compare with (``... as reference``).

    It names the lesson's variants file: ``tests/variants/<module>.py``.
    """
    nb = nbformat.read(source_notebook(assignment), as_version=4)
    found = set()
    for cell in grade_cells(nb).values():
        found |= set(re.findall(r"^\s*from helpers import (\w+) as reference\b", cell.source, re.M))
    if len(found) != 1:
        raise ValueError(
            f"{assignment}: the test cells must import exactly one helpers module as `reference`, "
            f"found {sorted(found)}"
        )
    return found.pop()


def variants_file(assignment: str) -> Path:
    return ROOT / "tests" / "variants" / f"{reference_module(assignment)}.py"


def load_variants(assignment: str):
    """The lesson's variants module: ``WRONG`` and ``RIGHT`` dicts keyed by grade id, and
    optionally ``INDEPENDENT``, a list of (grade_id, (broken_grade_id, wrong_name), right_name
    or None) cases where an earlier mistake must not cost the later exercise its points."""
    return importlib.import_module(f"variants.{reference_module(assignment)}")


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_test_cell(cell) -> bool:
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and meta.get("grade", False) and not meta.get("solution", False)


def grade_cells(nb) -> dict[str, nbformat.NotebookNode]:
    return {nbgrader_meta(c)["grade_id"]: c for c in nb.cells if is_test_cell(c)}


def solution_cell_before(nb, test_id: str) -> nbformat.NotebookNode:
    """The solution cell of the exercise that test cell ``test_id`` grades: the nearest
    solution cell above it."""
    cells = nb.cells
    index = next(i for i, c in enumerate(cells) if nbgrader_meta(c).get("grade_id") == test_id)
    return next(c for c in reversed(cells[:index]) if nbgrader_meta(c).get("solution"))


def trailing_expression(source: str) -> str | None:
    """The last top-level statement if it is an expression other than ``print(...)``.

    nbgrader scores a test cell by the value of a trailing expression (a number gives partial
    credit, anything else full credit), so test cells must end with a statement.
    """
    body = ast.parse(source).body
    if not body or not isinstance(body[-1], ast.Expr):
        return None
    value = body[-1].value
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "print"
    ):
        return None
    return ast.unparse(body[-1])


def grading_hazards(nb) -> list[str]:
    """Everything in a notebook that would make nbgrader score a test cell wrongly.

    Checks each test cell for a trailing expression and, in an executed notebook, for
    stderr output or a value output (both change the score whatever the tests say).
    """
    problems = []
    for grade_id, cell in grade_cells(nb).items():
        expression = trailing_expression(cell.source)
        if expression is not None:
            problems.append(f"{grade_id}: ends with the expression `{expression}`")
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and output.name == "stderr":
                problems.append(f"{grade_id}: wrote to stderr: {output.text[:200]!r}")
            if output.output_type == "execute_result":
                problems.append(f"{grade_id}: produced a value output")
    return problems


@dataclass
class Outcome:
    passed: bool
    error: str
    output: str = ""  # what the test cell printed (its stdout)


class ExerciseRunner:
    """Runs a notebook's test cells in this process against replacement implementations.

    A fresh namespace per run executes the setup cell and every solution cell (no training,
    no plots), then the replacement code, then the test cell with its hidden tests, just as
    the grading kernel would. Much cheaper than a notebook execution per variant. With
    ``release=True`` the solution cells are the student release's stubs instead.
    """

    def __init__(self, assignment: str, release: bool = False):
        self.nb = nbformat.read(source_notebook(assignment), as_version=4)
        self.tests = grade_cells(self.nb)
        cells = nbformat.read(release_notebook(assignment), as_version=4) if release else self.nb
        self.prelude = [
            compile(c.source, f"<cell {nbgrader_meta(c).get('grade_id')}>", "exec")
            for c in cells.cells
            if c.cell_type == "code"
            and (nbgrader_meta(c).get("grade_id") == "setup" or nbgrader_meta(c).get("solution"))
        ]

    def run(self, grade_id: str, replacement: str = "") -> Outcome:
        """Execute the test cell after ``replacement``; like nbgrader, any error, warning or
        stderr output during the test cell fails it."""
        namespace: dict = {"__name__": "__main__"}
        stderr = io.StringIO()
        try:
            return self._run(namespace, stderr, grade_id, replacement)
        finally:
            integrity.unseal()  # the setup cell sealed helpers; other tests patch them

    def _run(
        self, namespace: dict, stderr: io.StringIO, grade_id: str, replacement: str
    ) -> Outcome:
        with warnings.catch_warnings(record=True) as caught:
            with contextlib.redirect_stdout(io.StringIO()):
                for code in self.prelude:
                    exec(code, namespace)  # noqa: S102
                exec(compile(replacement, "<variant>", "exec"), namespace)  # noqa: S102
            caught.clear()
            stdout = io.StringIO()
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                try:
                    exec(compile(self.tests[grade_id].source, grade_id, "exec"), namespace)  # noqa: S102
                except Exception as err:  # noqa: BLE001 - any failure is what we record
                    return Outcome(False, f"{type(err).__name__}: {err}", stdout.getvalue())
        if caught:
            return Outcome(False, f"warning on stderr: {caught[0].message}", stdout.getvalue())
        if stderr.getvalue():
            return Outcome(False, f"stderr: {stderr.getvalue()[:300]}", stdout.getvalue())
        return Outcome(True, "", stdout.getvalue())


class WidgetSafeClient(NotebookClient):
    """An nbclient that does not stall on cells that display ipywidgets.

    nbclient waits for a cell's ``execute_reply`` with one long ``get_msg(timeout=cell
    timeout)`` on the shell channel; when the cell builds widgets, that wait can miss the
    reply and sit until the timeout (jupyter/nbclient#312; measured here: 30 s of a 30 s
    timeout for a cell that only builds an ``ipywidgets.interactive``). Polling in half-second
    slices sees the reply at once.
    """

    async def async_start_new_kernel_client(self):  # type: ignore[override]
        kc = await super().async_start_new_kernel_client()
        original = kc.shell_channel.get_msg

        async def get_msg(timeout: float | None = None) -> dict:
            deadline = None if timeout is None else monotonic() + timeout
            while True:
                part = 0.5 if deadline is None else max(0.0, min(0.5, deadline - monotonic()))
                try:
                    return await ensure_async(original(timeout=part))
                except Empty:
                    if deadline is not None and monotonic() >= deadline:
                        raise

        kc.shell_channel.get_msg = get_msg
        return kc


def nbgrader(course: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run an nbgrader command in ``course`` and fail loudly if it cannot run at all."""
    bin_dir = Path(sys.executable).parent  # nbgrader calls alembic, which lives beside it
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        ["nbgrader", *args], cwd=course, capture_output=True, text=True, timeout=timeout, env=env
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def with_replacements(nb, replacements: list[tuple[str, str]]):
    """A copy of ``nb`` in which each (grade_id, code) appends ``code`` to the solution cell
    just above that test cell, as a student's own definition replacing the master's."""
    nb = copy.deepcopy(nb)
    for grade_id, code in replacements:
        cell = solution_cell_before(nb, grade_id)
        cell.source += "\n\n" + code.strip("\n")
    return nb


def make_course(tmp: Path, *assignments: str) -> Path:
    """A throw-away course folder: the config and the given master notebooks, nothing else."""
    course = tmp / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for assignment in assignments:
        shutil.copytree(ROOT / "solutions" / assignment, course / "solutions" / assignment)
    return course


def submit(course: Path, student: str, assignment: str, notebook) -> None:
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / f"{assignment}.ipynb")


def scores(course: Path, assignment: str, student: str) -> dict[str, tuple[float, float]]:
    """grade_id -> (score, max_score) for every autograded test cell, read from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(assignment, assignment, student)
        return {g.name: (g.score, g.max_score) for g in notebook.grades if g.cell_type == "code"}
