"""The gradebook and the grades table: where results from every worker and host end up.

Results files (one per student and assignment) are the source of truth; they are merged into
an nbgrader gradebook (a local SQLite file, or a PostgreSQL database shared by several grading
hosts: nbgrader's ``db_url``) so that ``nbgrader export`` and formgrader see them, and written
as ``grades.csv``: one row per student, one column per assignment, ready for an LMS.
"""

from __future__ import annotations

import csv
import shutil
import time
import warnings
from pathlib import Path
from typing import Any

from . import results
from .jobs import nbgrader_env, run_nbgrader

__all__ = ["ensure_assignment", "record", "write_csv"]

COURSE_ID = "gan-course"
ATTEMPTS = 6  # tries of an operation another host may be doing at the same time


def _gradebook(db_url: str):  # noqa: ANN202 - nbgrader's Gradebook (imported late: slow)
    """nbgrader's gradebook at ``db_url``. Hosts that open a fresh database at the same time
    all create its tables, and all but one fail (``relation "alembic_version" already
    exists``): such a failure is retried once the tables are there."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SQLAlchemyError

    for attempt in range(ATTEMPTS - 1):
        try:
            return Gradebook(db_url, course_id=COURSE_ID)
        except SQLAlchemyError:
            time.sleep(1 + attempt)
    return Gradebook(db_url, course_id=COURSE_ID)


def ensure_assignment(db_url: str, assignment: str, work: Path, course: Path) -> None:
    """Make the gradebook know the cells of ``course``'s assignment (once; safe for
    concurrent hosts)."""
    from nbgrader.api import MissingEntry

    for attempt in range(ATTEMPTS):
        with _gradebook(db_url) as gb:
            try:
                gb.find_assignment(assignment)
                return
            except MissingEntry:
                pass
        folder = work / "gradebook-course"
        if folder.exists():
            shutil.rmtree(folder)
        (folder / "solutions").mkdir(parents=True)
        shutil.copy(course / "nbgrader_config.py", folder / "nbgrader_config.py")
        shutil.copytree(course / "solutions" / assignment, folder / "solutions" / assignment)
        try:
            run_nbgrader(folder, "generate_assignment", assignment, "--force",
                         f"--CourseDirectory.db_url={db_url}", env=nbgrader_env({}))  # fmt: skip
            return
        except RuntimeError:
            if attempt == ATTEMPTS - 1:
                raise
            time.sleep(1 + attempt)  # another host is creating it: look again


def record(db_url: str, result: dict[str, Any]) -> None:
    """Store one result's scores in the gradebook (idempotent: a regrade overwrites); an
    ungraded result removes the submission's scores, so that no stale grade stands."""
    from nbgrader.api import MissingEntry

    student, assignment = result["student"], result["assignment"]
    with warnings.catch_warnings(), _gradebook(db_url) as gb:
        # nbgrader's add_submission trips an SQLAlchemy autoflush warning; the rows are right
        warnings.simplefilter("ignore")
        gb.update_or_create_student(student)
        if result.get("ungraded"):
            try:
                gb.remove_submission(assignment, student)
            except MissingEntry:
                pass
            return
        try:
            gb.find_submission(assignment, student)
        except MissingEntry:
            gb.add_submission(assignment, student)
        for grade_id, score in result["scores"].items():
            grade = gb.find_grade(grade_id, assignment, assignment, student)
            grade.auto_score = float(score)
        gb.db.commit()


def write_csv(out: Path, assignments: list[str], roster: dict[str, str] | None = None,
              notes: dict[str, list[str]] | None = None) -> Path:  # fmt: skip
    """``grades.csv``: student id (and LMS id from the roster), one column per assignment,
    the total, and what the instructor must review (tamper scan, grading errors, ungraded
    submissions, the collector's ``notes`` per student). A student with notes and nothing
    gradable gets a row too: nobody is missing from the table."""
    by_student: dict[str, dict[str, Any]] = {student: {} for student in notes or {}}
    for result in results.read_all(out):
        by_student.setdefault(result["student"], {})[result["assignment"]] = result
    path = out / "grades.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["student_id"] + (["lms_id"] if roster else []) + assignments + ["total", "review"]
        )
        for student in sorted(by_student):
            graded = by_student[student]
            scores = [_score(graded.get(a)) for a in assignments]
            review = [
                f"{a}: {note}"
                for a, r in sorted(graded.items())
                for note in r["flags"]
                + r["errors"]
                + ([f"ungraded: {r['ungraded']}"] if r.get("ungraded") else [])
            ] + [f"note: {note}" for note in (notes or {}).get(student, [])]
            writer.writerow(
                [student]
                + ([roster.get(student, "")] if roster else [])
                + [f"{s:g}" if s != "" else "" for s in scores]
                + [f"{sum(s for s in scores if s != ''):g}", " | ".join(review)]
            )
    return path


def _score(result: dict[str, Any] | None) -> float | str:
    """A result's score for the CSV; empty when there is no result or it is ungraded."""
    if result is None or result.get("ungraded") or result.get("score") is None:
        return ""
    return result["score"]
