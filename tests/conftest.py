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
