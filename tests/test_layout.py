"""The shape of the helpers package: every name the lessons use resolves, packages re-export
the very objects their submodules define, and no module imports itself back, even late."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path
from types import FunctionType, ModuleType

import nbformat
import pytest
import torch
from layout import (
    closure,
    cycles,
    dynamic_imports,
    helpers_uses,
    import_graph,
    imported_modules,
    module_files,
    notebook_source,
    unresolved,
)
from nbtools import ASSIGNMENTS, ROOT, grade_cells, nbgrader_meta, reference_module, source_notebook


def _sources() -> list[tuple[str, str, str | None]]:
    """(source, where, package) of every notebook, variants file and bench case."""
    found = []
    for folder in ("solutions", "notebooks"):
        for path in sorted((ROOT / folder).glob("*/*.ipynb")):
            found.append((notebook_source(path), str(path.relative_to(ROOT)), None))
    for path in sorted((ROOT / "tests" / "variants").glob("*.py")):
        found.append((path.read_text(), str(path.relative_to(ROOT)), None))
    for path in sorted((ROOT / "helpers" / "bench" / "cases").glob("*.py")):
        found.append((path.read_text(), str(path.relative_to(ROOT)), "helpers.bench.cases"))
    return found


def test_every_name_the_lessons_use_resolves():
    """Notebooks (masters and release, hidden tests included), variants and bench cases reach
    helpers through `from helpers.m import x`, `m.x` and `reference.x`: each must exist."""
    uses = [
        use for source, where, package in _sources() for use in helpers_uses(source, where, package)
    ]
    assert len({(u.module, u.name) for u in uses}) > 100  # the scan sees the lessons' code
    assert unresolved(uses) == []


@pytest.mark.parametrize(
    ("source", "missing"),
    [
        ("from helpers import progan as reference\nreference.no_such_layer(x)\n",
         "helpers.progan.no_such_layer"),
        ("from helpers.wgan import no_such_loss\n", "helpers.wgan.no_such_loss"),
        ("import helpers.stylegan\nhelpers.stylegan.no_such_block\n",
         "helpers.stylegan.no_such_block"),
        ("from helpers import checks, mlp_gan\nchecks.assert_close(mlp_gan.no_such_step, 1)\n",
         "helpers.mlp_gan.no_such_step"),
    ],
)  # fmt: skip
def test_the_name_scan_reports_a_missing_name(source, missing):
    found = unresolved(helpers_uses(source, "cell"))
    assert [line.split(": ", 1)[1] for line in found] == [missing]


def test_the_name_scan_follows_relative_imports():
    source = "from ... import bce\nfrom ...data import no_such_loader\nbce.no_such_loss\n"
    found = unresolved(helpers_uses(source, "case", package="helpers.bench.cases"))
    assert sorted(line.split(": ", 1)[1] for line in found) == [
        "helpers.bce.no_such_loss",
        "helpers.data.no_such_loader",
    ]


# --- packages re-export the very objects their submodules define -------------------------------

REFERENCE_PACKAGES = ("metrics", "progan", "stylegan", "wgan")


def _packages() -> list[ModuleType]:
    import helpers.bench
    import helpers.checks
    import helpers.metrics
    import helpers.progan
    import helpers.stylegan
    import helpers.wgan  # noqa: F401

    return [
        module
        for name, module in sorted(sys.modules.items())
        if name.startswith("helpers.") and hasattr(module, "__path__")
    ]


def test_packages_re_export_the_objects_their_submodules_define():
    """`helpers.progan.pixel_norm is helpers.progan.layers.pixel_norm`: the seal records each
    function once, and blocking it through either name blocks both."""
    checked = 0
    for package in _packages():
        for name in package.__all__:
            value = getattr(package, name)
            home = getattr(value, "__module__", None)
            if isinstance(value, (type, FunctionType)) and home and home.startswith("helpers."):
                assert getattr(sys.modules[home], value.__name__) is value, (package, name)
                checked += 1
    assert checked > 100


@pytest.mark.parametrize("name", REFERENCE_PACKAGES)
def test_a_reference_package_exports_every_public_function_and_class(name):
    """Hidden tests reach references as `reference.X`: nothing public stays in a submodule."""
    package = importlib.import_module(f"helpers.{name}")
    missing = []
    for module_name, module in sorted(sys.modules.items()):
        if not module_name.startswith(f"{package.__name__}."):
            continue
        for attr, value in vars(module).items():
            defined_here = getattr(value, "__module__", None) == module_name
            if (
                defined_here
                and not attr.startswith("_")
                and isinstance(value, (type, FunctionType))
            ):
                if getattr(package, attr, None) is not value or attr not in package.__all__:
                    missing.append(f"{module_name}.{attr}")
    assert missing == []


def test_blocking_a_reference_works_through_the_package_and_its_submodule():
    from helpers import checks, progan, stylegan

    x = torch.ones(2, 3)
    with checks.forbid_reference(progan.pixel_norm, progan.EqualizedLinear):
        with pytest.raises(RuntimeError, match="reference helpers.progan.layers.pixel_norm"):
            progan.layers.pixel_norm(x)
        with pytest.raises(RuntimeError, match="EqualizedLinear"):
            progan.layers.EqualizedLinear(3, 4)
        with pytest.raises(RuntimeError, match="pixel_norm"):  # stylegan's own import of it
            stylegan.components.pixel_norm(x)
    with checks.forbid_reference(stylegan.components.adain):
        with pytest.raises(RuntimeError, match="adain"):
            stylegan.adain(torch.ones(1, 2, 3, 3), torch.ones(1, 2), torch.zeros(1, 2))
    assert torch.equal(progan.pixel_norm(x), progan.layers.pixel_norm(x))


def test_the_seal_repairs_a_reference_whichever_name_was_tampered_with():
    from helpers import checks, progan, runtime
    from helpers.checks import integrity

    original = progan.fade_in.__code__
    integrity.seal(runtime.loaded_modules())
    try:
        progan.layers.fade_in.__code__ = progan.layers.alpha_schedule.__code__.replace()
        assert "helpers.progan.layers.fade_in.__code__" in integrity.verify()
        checks.assert_true(True, "ex", "a", "b")  # every check runs the guard first
        assert progan.fade_in.__code__ is original and integrity.verify() == []
    finally:
        integrity.unseal()
        progan.fade_in.__code__ = original


# --- no import cycles, and the seal's modules --------------------------------------------------


def test_helpers_has_no_import_cycles():
    """Deferred (function-local) imports count, and so does the package `__init__` that an
    import of a submodule runs: `bench.cases` importing `bench.paths` runs `bench/__init__`."""
    graph = import_graph(ROOT)
    assert len(graph) > 40 and "helpers.checks.integrity" in graph["helpers.runtime"]
    assert cycles(graph) == []


def test_every_import_in_helpers_is_static():
    """An import by computed name is invisible to the cycle test (the seal used to import every
    module of helpers that way)."""
    assert dynamic_imports(ROOT) == []


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "helpers" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_the_cycle_test_sees_deferred_imports(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "",
        "metrics.py": "def classifier():\n    from . import pretrained\n",
        "pretrained.py": "from .metrics import classifier\n",
        "data.py": "import importlib\nimportlib.import_module('helpers.metrics')\n",
    })  # fmt: skip
    assert cycles(import_graph(root)) == [
        ["helpers.metrics", "helpers.pretrained", "helpers.metrics"]
    ]
    assert dynamic_imports(root) == ["helpers/data.py:2: import_module"]


def test_the_cycle_test_sees_a_package_init_run_by_a_submodule_import(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "",
        "bench/__init__.py": "from .runner import run\n",
        "bench/paths.py": "",
        "bench/runner.py": "from .. import bench_cases\nfrom . import paths\n",
        "bench_cases.py": "from .bench.paths import BenchPath\n",
    })  # fmt: skip
    assert cycles(import_graph(root)) == [
        ["helpers.bench", "helpers.bench.runner", "helpers.bench_cases", "helpers.bench"]
    ]
    (root / "helpers" / "bench_cases.py").write_text("from .bench import paths\n")
    assert len(cycles(import_graph(root))) == 1  # `from .bench import paths` runs it as well
    (root / "helpers" / "bench" / "cases.py").write_text("from .paths import BenchPath\n")
    (root / "helpers" / "bench" / "runner.py").write_text("from . import cases, paths\n")
    (root / "helpers" / "bench_cases.py").unlink()
    assert cycles(import_graph(root)) == []  # siblings inside a package: no cycle


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_setup_cell_imports_every_module_the_test_cells_use(assignment):
    """`runtime.setup_notebook` seals the helpers modules imported so far, so a module first
    imported by a test cell would be unsealed, and a cell before it could tamper with it."""
    nb = nbformat.read(source_notebook(assignment), as_version=4)
    setup = next(c.source for c in nb.cells if nbgrader_meta(c).get("grade_id") == "setup")
    tests = "\n".join(cell.source for cell in grade_cells(nb).values())
    sealed = closure(import_graph(ROOT), imported_modules(setup))
    used = imported_modules(setup + "\n" + tests)
    used |= {use.module for use in helpers_uses(setup + "\n" + tests, assignment)}
    assert used - sealed == set()
    assert f"helpers.{reference_module(assignment)}" in sealed


def test_helpers_modules_stay_small():
    """Modules under ~400 lines, each with one job (STYLE.md): a package once one grows."""
    sizes = {name: len(path.read_text().splitlines()) for name, path in module_files(ROOT).items()}
    assert {name: n for name, n in sizes.items() if n > 450} == {}


def test_no_private_name_crosses_a_module():
    """A name one module uses from another is public: `_name` is a module's own business."""
    crossing = set()
    for name, path in module_files(ROOT).items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for use in helpers_uses(path.read_text(), str(path), package):
            private = use.name.startswith("_") and not use.name.startswith("__")
            if private and use.module != name:
                crossing.add(f"{name} -> {use.module}.{use.name}")
    assert crossing == set()
    found = helpers_uses("from .assertions import _fail\n", "probes", "helpers.checks")
    assert [(use.module, use.name) for use in found] == [("helpers.checks.assertions", "_fail")]


INFRASTRUCTURE = ("runtime", "validation", "data", "resume", "training", "fast", "plotting",
                  "widgets", "checks", "model_files")  # fmt: skip
LESSONS = ("mlp_gan", "bce", "wgan", "progan", "stylegan", "metrics", "pretrained", "bench")


def test_infrastructure_never_depends_on_a_lesson():
    """Infrastructure takes lesson code as arguments (a widget's function, the seal's modules)."""
    graph = import_graph(ROOT)
    for name in INFRASTRUCTURE:
        reached = closure(graph, [f"helpers.{name}"])
        assert sorted(m for m in reached if m.split(".")[1:2] and m.split(".")[1] in LESSONS) == []
