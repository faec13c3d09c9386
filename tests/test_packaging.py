"""Install files agree, and the helpers package stays light enough for Colab."""

import re
import tomllib

from nbtools import ROOT


def _requirements(lines):
    found = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if line and not line.startswith("-e"):
            name = re.split(r"[<>=!~\[ ]", line, maxsplit=1)[0].lower()
            found[name] = line.replace(" ", "")
    return found


def test_requirements_and_environment_agree():
    requirements = _requirements((ROOT / "requirements.txt").read_text().splitlines())
    env_lines = [
        line.strip()[2:]
        for line in (ROOT / "environment.yml").read_text().splitlines()
        if line.strip().startswith("- ") and line.startswith("      ")
    ]
    assert requirements == _requirements(env_lines)
    assert requirements["torch"] == "torch==2.14.1"
    assert requirements["torchvision"] == "torchvision==0.29.1"


def test_helpers_dependencies_stay_light():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[<>=!~ ]", d, maxsplit=1)[0] for d in project["dependencies"]}
    assert names == {"torch", "torchvision", "numpy", "matplotlib"}
    extras = " ".join(d for group in project["optional-dependencies"].values() for d in group)
    assert not re.search(
        r"nbgrader|jupyter|notebook|ipykernel", " ".join(project["dependencies"]) + extras
    )


def test_every_helpers_subpackage_is_installed():
    """A subpackage missing from setuptools' list is absent on Colab (pip install, not a clone)."""
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "helpers").rglob("__init__.py")
    }
    assert found == listed


def test_the_supported_pythons_agree():
    """pyproject's requires-python is what ruff checks against, and what the code needs:
    Python 3.11 (``training.fingerprint`` reads ``co_exceptiontable``; Colab runs 3.13)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    requires = config["project"]["requires-python"]
    match = re.fullmatch(r">=(\d+)\.(\d+)", requires)
    assert match, requires
    major, minor = map(int, match.groups())
    assert config["tool"]["ruff"]["target-version"] == f"py{major}{minor}"
    assert (major, minor) >= (3, 11)
