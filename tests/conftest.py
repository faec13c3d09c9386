"""Shared test settings: offline data in a temporary folder, no figures on screen."""

import os
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

# Tests never touch the network or the user's data folder; notebook kernels inherit these.
os.environ.setdefault("GAN_COURSE_DATA", str(Path(tempfile.gettempdir()) / "gan-course-test-data"))
os.environ["GAN_COURSE_OFFLINE"] = "1"
os.environ.pop("NBGRADER_EXECUTION", None)
os.environ.pop("GAN_COURSE_SMOKE", None)

sys.path.insert(0, str(Path(__file__).resolve().parent))


def pytest_collection_modifyitems(items):
    """Keep each assignment's nbgrader round trip on one xdist worker (``--dist loadgroup``).

    The round trip's module-scoped course is built once per assignment and shared by its
    tests; grouping by assignment lets the two workers take different lessons instead of each
    building every course. Everything else is distributed test by test.
    """
    import pytest

    for item in items:
        callspec = getattr(item, "callspec", None)
        if item.module.__name__ == "test_nbgrader" and callspec is not None:
            assignment = callspec.params.get("graded")
            if assignment is not None:
                item.add_marker(pytest.mark.xdist_group(name=f"roundtrip-{assignment}"))
