"""Result files: one JSON file per (student, assignment), the source of truth of a batch.

``<out>/results/<student>/<assignment>.json`` holds the scores, the review flags and errors,
the slot user that ran the kernel and the job's start and end times. Every submission the
collector finds gets one, graded or not: a submission nbgrader could not score has
``"ungraded": "<reason>"`` and no score, is listed at the end of the command (which then
exits non-zero) and is graded again by the next run, while a graded result is final for the
same submission file and the same master notebook.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

__all__ = ["final", "path", "read", "read_all", "write"]


def path(out: Path, student: str, assignment: str) -> Path:
    return out / "results" / student / f"{assignment}.json"


def read(out: Path, student: str, assignment: str) -> dict[str, Any] | None:
    """The stored result, graded or not; None when there is none (or it is unreadable)."""
    try:
        return json.loads(path(out, student, assignment).read_text())
    except (OSError, json.JSONDecodeError):
        return None


def final(result: dict[str, Any] | None, submission_sha256: str, source_sha256: str) -> bool:
    """Whether ``result`` is a grade of this very submission by this very master notebook."""
    if result is None or result.get("ungraded"):
        return False
    return (result.get("submission_sha256"), result.get("source_sha256")) == (
        submission_sha256,
        source_sha256,
    )


def write(out: Path, result: dict[str, Any]) -> Path:
    """Store ``result`` atomically (a reader never sees half a file)."""
    target = path(out, result["student"], result["assignment"])
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
    partial.write_text(json.dumps(result, indent=1, sort_keys=True))
    partial.replace(target)
    return target


def read_all(out: Path) -> list[dict[str, Any]]:
    """Every stored result under ``out/results``."""
    found = []
    for file in sorted((out / "results").glob("*/*.json")):
        try:
            found.append(json.loads(file.read_text()))
        except json.JSONDecodeError:
            continue  # a torn file from an older grader: its submission is graded again
    return found
