"""Find the submissions in a folder or zip, whatever the LMS or Colab named them.

Layout expected: one folder per student (the folder name is the student id), holding that
student's notebooks, possibly in sub-folders. An LMS export where every file sits in one flat
folder is also understood when file names start with the student id and an underscore (Canvas:
``ada_12345_67890_01-vanilla-gan.ipynb``; Moodle: one folder per student named
``Ada Lovelace_12345_assignsubmission_file_``, whose id is the number). Colab's renames
(``Copy of 01-vanilla-gan.ipynb``, ``01-vanilla-gan (1).ipynb``) are recognised, and a
notebook whose name says nothing is matched by the grade ids of its cells.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

__all__ = ["Collection", "Submission", "collect", "normalise_name", "student_id"]


@dataclass
class Submission:
    student: str
    assignment: str
    path: Path
    sha256: str


@dataclass
class Collection:
    """What was found: one submission per (student, assignment), and the problems met."""

    submissions: list[Submission] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def normalise_name(filename: str) -> str:
    """``Copy of 01-vanilla-gan (2).ipynb`` -> ``01-vanilla-gan``."""
    stem = Path(filename).name
    stem = re.sub(r"\.ipynb$", "", stem, flags=re.I)
    stem = re.sub(r"^(copy of\s+)+", "", stem, flags=re.I)
    stem = re.sub(r"\s*\(\d+\)$", "", stem)
    stem = re.sub(r"\s*-\s*copy(\s*\d+)?$", "", stem, flags=re.I)
    return stem.strip().lower().replace(" ", "-").replace("_", "-")


def student_id(folder_name: str) -> str:
    """A stable student id from a submission folder's name.

    Moodle's ``Ada Lovelace_12345_assignsubmission_file_`` gives ``12345``; anything else is
    kept, with characters nbgrader does not accept in ids replaced by ``-`` and leading or
    trailing dots removed (an id is a folder name: never ``..``).
    """
    moodle = re.match(r"^.*?_(\d+)_assignsubmission", folder_name)
    if moodle:
        return moodle.group(1)
    return re.sub(r"[^A-Za-z0-9_.@-]", "-", folder_name).strip("-.") or "unknown"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assignment_of(path: Path, assignments: dict[str, set[str]]) -> str | None:
    """Which assignment a notebook is: by its (normalised) file name, else by its grade ids."""
    name = normalise_name(path.name)
    for assignment in assignments:
        if name == assignment or name.endswith(f"-{assignment}") or name.endswith(assignment):
            return assignment
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - not a notebook: cannot tell from the content
        return None
    ids = {
        cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") for cell in nb.get("cells", [])
    }
    best = max(assignments, key=lambda a: len(ids & assignments[a]), default=None)
    return best if best is not None and ids & assignments[best] else None


def _unpack(source: Path, scratch: Path) -> Path:
    if source.is_file() and zipfile.is_zipfile(source):
        target = scratch / "unzipped"
        if target.exists():
            shutil.rmtree(target)
        with zipfile.ZipFile(source) as archive:
            for member in archive.infolist():
                resolved = (target / member.filename).resolve()
                if not resolved.is_relative_to(target.resolve()):
                    raise ValueError(f"unsafe path in the zip: {member.filename}")
            archive.extractall(target)
        # a zip of one folder that holds the student folders
        children = [p for p in target.iterdir() if not p.name.startswith(("__MACOSX", "."))]
        return children[0] if len(children) == 1 and children[0].is_dir() else target
    if not source.is_dir():
        raise ValueError(f"{source} is neither a folder nor a zip file")
    return source


def collect(source: Path, assignments: dict[str, set[str]], scratch: Path) -> Collection:
    """Every (student, assignment) submission under ``source`` (a folder or a zip).

    Args:
        source: the submissions.
        assignments: assignment name -> the grade ids of its test cells.
        scratch: a folder for unpacking a zip.

    Problems (a notebook matching no assignment, two notebooks for one assignment, a student
    with nothing to grade) are reported, never fatal: the first notebook found is graded.
    """
    root = _unpack(Path(source), Path(scratch))
    found = Collection()
    by_student: dict[str, list[Path]] = {}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(("__MACOSX", ".")):
            continue
        if entry.is_dir():
            notebooks = sorted(
                p for p in entry.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
            )
            by_student.setdefault(student_id(entry.name), []).extend(notebooks)
        elif entry.suffix.lower() == ".ipynb" and "_" in entry.name:
            by_student.setdefault(student_id(entry.name.split("_", 1)[0]), []).append(entry)
        else:
            found.problems.append(
                f"{entry.name}: not a student folder or a named notebook, skipped"
            )
    for student, notebooks in sorted(by_student.items()):
        seen: dict[str, Path] = {}
        for path in notebooks:
            assignment = _assignment_of(path, assignments)
            if assignment is None:
                found.problems.append(f"{student}: {path.name} matches no assignment, skipped")
            elif assignment in seen:
                found.problems.append(
                    f"{student}: two notebooks for {assignment} ({seen[assignment].name}, "
                    f"{path.name}); graded {seen[assignment].name}"
                )
            else:
                seen[assignment] = path
                found.submissions.append(Submission(student, assignment, path, _sha256(path)))
        if not seen:
            found.problems.append(f"{student}: no notebook to grade")
    return found
