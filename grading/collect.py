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
import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

__all__ = ["Collection", "Submission", "collect", "normalise_name", "student_id", "unsafe_entry"]


MAX_ENTRY_BYTES = 1024**3  # no notebook is near this; a zip bomb's entries are


@dataclass
class Submission:
    student: str
    assignment: str
    path: Path
    sha256: str


@dataclass
class Collection:
    """What was found: one submission per (student, assignment), the problems met, and the
    problems of each student (for the CSV's review column)."""

    submissions: list[Submission] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)

    def note(self, student: str, problem: str) -> None:
        self.problems.append(f"{student}: {problem}")
        self.notes.setdefault(student, []).append(problem)


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


def unsafe_entry(member: zipfile.ZipInfo) -> str | None:
    """Why a zip entry must not be extracted (None if it may): what it is, or where it goes."""
    kind = stat.S_IFMT(member.external_attr >> 16)
    if kind == stat.S_IFLNK:
        return "a symbolic link"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "a device, pipe or socket, not a file"
    name = member.filename.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "an absolute path"
    if ".." in name.split("/"):
        return "a path that climbs out of the folder (..)"
    if member.file_size > MAX_ENTRY_BYTES:  # zipfile never writes more than this size
        return f"larger than {MAX_ENTRY_BYTES // 1024**2:,} MB once unpacked"
    return None


def _unzip(source: Path, target: Path, problems: list[str]) -> None:
    """Extract the safe entries of ``source`` into ``target``; note every skipped one."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    with zipfile.ZipFile(source) as archive:
        for member in archive.infolist():
            reason = unsafe_entry(member)
            if reason is None:
                try:
                    archive.extract(member, target)
                    continue
                except (OSError, RuntimeError, zipfile.BadZipFile) as err:
                    reason = f"could not be extracted ({type(err).__name__}: {err})"
            problems.append(f"{source.name}: skipped the entry {member.filename!r}: {reason}")


def _unpack(source: Path, scratch: Path, problems: list[str]) -> Path:
    if source.is_file() and zipfile.is_zipfile(source):
        target = scratch / "unzipped"
        _unzip(source, target, problems)
        # a zip of one folder that holds the student folders
        children = [p for p in target.iterdir() if not p.name.startswith(("__MACOSX", "."))]
        return children[0] if len(children) == 1 and children[0].is_dir() else target
    if not source.is_dir():
        raise ValueError(f"{source} is neither a folder nor a zip file")
    return source


def _notebooks(folder: Path) -> tuple[list[Path], list[str]]:
    """The notebooks under ``folder`` (checkpoints left out), never through a link; and the
    links met."""
    found, links = [], []
    for parent, dirs, files in os.walk(folder):
        here = Path(parent)
        links += [str((here / d).relative_to(folder)) for d in dirs if (here / d).is_symlink()]
        dirs[:] = sorted(
            d for d in dirs if d != ".ipynb_checkpoints" and not (here / d).is_symlink()
        )
        for path in (here / name for name in files if name.lower().endswith(".ipynb")):
            if path.is_symlink():
                links.append(str(path.relative_to(folder)))
            else:
                found.append(path)
    return sorted(found), sorted(links)


def collect(source: Path, assignments: dict[str, set[str]], scratch: Path) -> Collection:
    """Every (student, assignment) submission under ``source`` (a folder or a zip).

    Args:
        source: the submissions.
        assignments: assignment name -> the grade ids of its test cells.
        scratch: a folder for unpacking a zip.

    Problems (a notebook matching no assignment, two notebooks for one assignment, a student
    with nothing to grade, an unsafe zip entry, a link) are reported, never fatal: the first
    notebook found is graded.
    """
    found = Collection()
    root = _unpack(Path(source), Path(scratch), found.problems)
    by_student: dict[str, list[Path]] = {}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(("__MACOSX", ".")):
            continue
        if entry.is_symlink():
            found.problems.append(f"{entry.name}: a link, not followed, skipped")
        elif entry.is_dir():
            notebooks, links = _notebooks(entry)
            student = student_id(entry.name)
            by_student.setdefault(student, []).extend(notebooks)
            for link in links:
                found.note(student, f"{link} is a link, not followed, skipped")
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
                found.note(student, f"{path.name} matches no assignment, skipped")
            elif assignment in seen:
                found.note(student, f"two notebooks for {assignment} ({seen[assignment].name}, "
                                    f"{path.name}); graded {seen[assignment].name}")  # fmt: skip
            else:
                seen[assignment] = path
                found.submissions.append(Submission(student, assignment, path, _sha256(path)))
        if not seen:
            found.note(student, "no notebook to grade")
    return found
