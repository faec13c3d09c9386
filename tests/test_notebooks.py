"""Static checks of the master notebooks and the release: nbgrader metadata, grading hazards."""

import copy
import re

import nbformat
import pytest
from nbformat.v4 import new_output
from nbtools import (
    ASSIGNMENTS,
    ROOT,
    grade_cells,
    grading_hazards,
    nbgrader_meta,
    release_notebook,
    source_notebook,
)

ALLOWED = [  # the cell types JupyterLab's Create Assignment writes
    {"solution"},
    {"grade", "locked"},
    {"locked"},
]


@pytest.fixture(params=ASSIGNMENTS)
def source(request):
    return nbformat.read(source_notebook(request.param), as_version=4)


@pytest.fixture(params=ASSIGNMENTS)
def release(request):
    return nbformat.read(release_notebook(request.param), as_version=4)


def test_kernelspec_is_python3(source):
    assert source.metadata["kernelspec"]["name"] == "python3"


def test_nbgrader_metadata_is_valid(source):
    ids = []
    for cell in source.cells:
        meta = nbgrader_meta(cell)
        if not meta:
            continue
        assert meta["schema_version"] == 3
        assert set(meta) <= {
            "schema_version",
            "grade",
            "solution",
            "locked",
            "task",
            "grade_id",
            "points",
        }
        assert re.fullmatch(r"[a-zA-Z0-9_\-]+", meta["grade_id"])
        flags = {key for key in ("grade", "solution", "locked", "task") if meta.get(key)}
        assert flags in ALLOWED, f"{meta['grade_id']}: unusual combination {flags}"
        if meta.get("grade"):
            assert meta["points"] > 0
        ids.append(meta["grade_id"])
    assert len(ids) == len(set(ids)), "duplicate grade ids"


def test_solution_cells_keep_signature_outside_the_region(source):
    for cell in source.cells:
        if nbgrader_meta(cell).get("solution"):
            head = cell.source.split("### BEGIN SOLUTION")[0]
            assert re.search(r"^(def|class) \w+", head, re.M), cell.source[:80]
            assert '"""' in head, "the docstring belongs outside the solution region"
            assert cell.source.count("### BEGIN SOLUTION") == cell.source.count("### END SOLUTION")


def test_test_cells_open_with_a_docstring_and_end_with_a_statement(source):
    cells = grade_cells(source)
    assert cells, "no autograded test cells"
    for grade_id, cell in cells.items():
        assert cell.source.lstrip().startswith('"""'), f"{grade_id}: say what the cell checks"
        assert "### BEGIN HIDDEN TESTS" in cell.source, f"{grade_id}: no hidden tests"
    assert grading_hazards(source) == []


def test_hidden_markers_only_in_test_cells(source):
    for cell in source.cells:
        if "HIDDEN TESTS" in cell.source:
            assert nbgrader_meta(cell).get("grade"), cell.source[:80]


def test_hazard_detector_catches_trailing_expression_and_stderr(source):
    """The checks above must be able to fail: plant each hazard and see it reported."""
    planted = copy.deepcopy(source)
    cells = list(grade_cells(planted).values())
    cells[0].source += "\nlen('free points')"
    cells[1].outputs = [new_output("stream", name="stderr", text="UserWarning: careful\n")]
    cells[2].outputs = [new_output("execute_result", data={"text/plain": "0.5"}, execution_count=1)]
    problems = grading_hazards(planted)
    assert len(problems) == 3
    assert "expression" in problems[0] and "stderr" in problems[1] and "value" in problems[2]


def test_release_has_stubs_and_no_answers(release):
    for cell in release.cells:
        assert "BEGIN SOLUTION" not in cell.source and "HIDDEN TESTS" not in cell.source
        if nbgrader_meta(cell).get("solution"):
            assert "raise NotImplementedError()" in cell.source
    assert "_run_steps" not in nbformat.writes(release), "hidden test code leaked into the release"


def test_setup_cell_installs_only_helpers(source):
    setup = next(c for c in source.cells if nbgrader_meta(c).get("grade_id") == "setup")
    installs = re.findall(r'"(gan-course-helpers[^"]*)"', setup.source)
    assert len(installs) == 1 and "torch" not in installs[0]
    assert not re.search(r"pip.*(nbgrader|jupyter|notebook|torch)", setup.source)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_colab_badges_point_at_the_release(assignment):
    source = nbformat.read(source_notebook(assignment), as_version=4)
    target = f"blob/main/notebooks/{assignment}/{assignment}.ipynb"
    assert target in source.cells[0].source, "the title cell needs a Colab badge for the release"
    readme = (ROOT / "README.md").read_text()
    assert f"colab.research.google.com/github/gan-course/gan-course/{target}" in readme


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_lesson_has_a_release(assignment):
    assert release_notebook(assignment).exists(), (
        f"notebooks/{assignment}/{assignment}.ipynb is missing: run `make release`"
    )


def test_assignments_are_discovered_from_solutions(tmp_path):
    """A lesson is a folder NN-slug in solutions/ holding NN-slug.ipynb; nothing else counts."""
    from nbtools import discover_assignments

    for name in ("02-second", "01-first"):
        (tmp_path / "solutions" / name).mkdir(parents=True)
        (tmp_path / "solutions" / name / f"{name}.ipynb").write_text("{}")
    (tmp_path / "solutions" / "03-empty").mkdir()
    (tmp_path / "solutions" / "notes.md").write_text("")
    assert discover_assignments(tmp_path) == ("01-first", "02-second")
    assert "01-vanilla-gan" in ASSIGNMENTS


def _points(assignment):
    nb = nbformat.read(source_notebook(assignment), as_version=4)
    return sum(nbgrader_meta(c).get("points", 0) for c in grade_cells(nb).values())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_readme_lists_the_lesson_as_ready_with_its_points(assignment):
    rows = [
        line
        for line in (ROOT / "README.md").read_text().splitlines()
        if line.startswith("|") and f"notebooks/{assignment}/{assignment}.ipynb" in line
    ]
    assert len(rows) == 1, f"README's lesson table needs one row linking {assignment}'s release"
    cells = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert cells[-1] == "ready", f"{assignment} is in solutions/ but not marked ready: {cells}"
    assert cells[-2] == str(_points(assignment)), f"README's points for {assignment}: {cells[-2]}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_setup_cell_pins_the_current_helpers_version(assignment):
    """Colab installs helpers at the tag the setup cell names: it must be this version."""
    import tomllib

    import helpers

    setup = next(
        c
        for c in nbformat.read(source_notebook(assignment), 4).cells
        if nbgrader_meta(c).get("grade_id") == "setup"
    )
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["version"] == helpers.__version__
    assert f'HELPERS_VERSION = "{helpers.__version__}"' in setup.source, "bump HELPERS_VERSION"
    source = f'"git+{project["urls"]["Source"]}@v{{HELPERS_VERSION}}"'
    assert source in setup.source, f"the setup cell must install from {source}"
    assert 'os.environ.get(\n    "GAN_COURSE_HELPERS"' in setup.source, "keep the source override"
    assert setup.source.index("import helpers\n") < setup.source.index("from helpers import")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_notebook_has_a_colab_badge_to_its_release(assignment):
    """The badge opens the student release in notebooks/ (never the solutions)."""
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    repo = project["urls"]["Source"].removeprefix("https://github.com/")
    for path in (source_notebook(assignment), release_notebook(assignment)):
        first = next(c for c in nbformat.read(path, 4).cells if c.cell_type == "markdown")
        links = re.findall(r"https://colab\.research\.google\.com/github/[^)\s]+", first.source)
        release = f"notebooks/{assignment}/{assignment}.ipynb"
        want = f"https://colab.research.google.com/github/{repo}/blob/main/{release}"
        assert links == [want], f"{path.name}: Colab badge {links}, expected [{want}]"


def test_helpers_imports_nothing_removed_from_newer_pythons():
    """Colab moves to new Pythons before torch wheels exist here, so check statically: no
    module removed in Python 3.12 or 3.13 (PEP 594, distutils, imp, lib2to3) is imported by
    the package students install, and requires-python has no upper cap."""
    import ast
    import tomllib

    removed = {"distutils", "imp", "asynchat", "asyncore", "smtpd", "aifc", "audioop", "cgi",
               "cgitb", "chunk", "crypt", "imghdr", "mailcap", "msilib", "nis", "nntplib",
               "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau", "telnetlib", "uu", "xdrlib",
               "lib2to3"}  # fmt: skip
    found = []
    for path in sorted((ROOT / "helpers").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in removed]
    assert found == []
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert "<" not in requires, requires


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_setup_cell_refuses_a_students_own_helpers(assignment, tmp_path):
    """A student's helpers.py beside the notebook shadows the course's package: the setup
    cell stops with a message that names the file and the fix, before anything else runs."""
    import subprocess
    import sys

    setup = next(
        c
        for c in nbformat.read(source_notebook(assignment), 4).cells
        if nbgrader_meta(c).get("grade_id") == "setup"
    )
    check = setup.source.split("\nimport torch")[0].split("\nimport numpy")[0]
    (tmp_path / "helpers.py").write_text("def plot():\n    pass\n")
    (tmp_path / "setup.py").write_text(check)
    result = subprocess.run([sys.executable, "setup.py"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("ImportError") and str(tmp_path / "helpers.py") in message
    assert "rename your own helpers.py" in message and "--force-reinstall" in message
    (tmp_path / "helpers.py").unlink()  # the course's package: the same code passes
    assert subprocess.run([sys.executable, "setup.py"], cwd=tmp_path, timeout=120).returncode == 0
