"""The shape of the helpers package: every name the lessons use resolves, packages re-export
the very objects their submodules define, and no module imports itself back, even late."""

from __future__ import annotations

import pytest
from layout import helpers_uses, notebook_source, unresolved
from nbtools import ROOT


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
