"""Shared test settings: offline data in a temporary folder, no figures on screen."""

import os
import sys
import tempfile
from pathlib import Path

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

# Tests never touch the network or the user's data folder; notebook kernels inherit these.
os.environ.setdefault("GAN_COURSE_DATA", str(Path(tempfile.gettempdir()) / "gan-course-test-data"))
os.environ["GAN_COURSE_OFFLINE"] = "1"
os.environ.pop("NBGRADER_EXECUTION", None)
os.environ.pop("GAN_COURSE_SMOKE", None)

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Two xdist workers share two cores: one torch thread each, or they oversubscribe the cores
# and every small operator waits for a descheduled thread (measured: 3x slower under load).
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _unsealed():
    """Tests that run a notebook's setup in-process seal helpers; unseal after every test, so
    the next one can monkeypatch them."""
    yield
    from helpers.checks import integrity

    integrity.unseal()
