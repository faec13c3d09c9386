"""Class-scale grading (``python -m grading``): collection, scan, shards, CSV, and a tamper suite.

The unit tests run in milliseconds. The tamper suite (marked ``slow``) grades a real lesson
and a tiny synthetic assignment through the command an instructor runs, isolated when the
host allows it; every submission must end with the score its honest content deserves, and
the batch must never crash. Set ``GAN_COURSE_REQUIRE_ISOLATION=1`` (CI does) to fail rather
than skip where the host cannot isolate kernels.
"""

from __future__ import annotations

import copy
import csv
import html
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
import zipfile
from concurrent.futures import Future
from pathlib import Path

import grading_attacks as attacks
import nbformat
import pytest
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_notebook
from nbtools import ROOT, grade_cells, source_notebook

from grading import __main__ as cli
from grading import book, jobs, results, sandbox
from grading.collect import Submission, collect, normalise_name, student_id
from grading.scan import scan_notebook, scan_source

# ---------------------------------------------------------------------------------------------
# a tiny synthetic assignment: two one-point exercises, no torch, seconds to grade
TINY = "00-tiny"


def _meta(grade_id: str, *, grade: bool, solution: bool, points: int | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
            "solution": solution}  # fmt: skip
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def tiny_notebook(double: str = "return 2 * x", square: str = "return x * x") -> NotebookNode:
    """The tiny assignment with the given bodies for its two functions (master = defaults)."""

    def solution(name: str, body: str) -> NotebookNode:
        source = f"def {name}(x):\n" + textwrap.indent(body, "    ")
        return new_code_cell(source, metadata=_meta(name, grade=False, solution=True))

    def test(name: str, cases: str) -> NotebookNode:
        source = f"for x, want in {cases}:\n    assert {name}(x) == want, ({name}(x), want)"
        return new_code_cell(source, metadata=_meta(f"test_{name}", grade=True, solution=False,
                                                    points=1))  # fmt: skip

    nb = new_notebook(cells=[
        solution("double", double), test("double", "[(3, 6), (-2, -4)]"),
        solution("square", square), test("square", "[(3, 9), (-2, 4)]"),
    ])  # fmt: skip
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    return nb


def tiny_course(folder: Path) -> Path:
    """A private course folder (what ``--course`` points at) holding only the tiny assignment."""
    folder.mkdir(parents=True)
    folder.chmod(0o700)  # private, as the grader asks: kernels must not read the masters
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    master = tiny_notebook()
    for cell in master.cells:
        if cell.metadata["nbgrader"]["solution"]:
            cell.source = cell.source.replace("    return", "    ### BEGIN SOLUTION\n    return")
            cell.source += "\n    ### END SOLUTION"
    (folder / "solutions" / TINY).mkdir(parents=True)
    nbformat.write(master, folder / "solutions" / TINY / f"{TINY}.ipynb")
    return folder


# ---------------------------------------------------------------------------------------------
# unit tests: names, collection, scan, shards, CSV


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("01-vanilla-gan.ipynb", "01-vanilla-gan"),
        ("Copy of 01-vanilla-gan.ipynb", "01-vanilla-gan"),
        ("Copy of Copy of 01-vanilla-gan (2).ipynb", "01-vanilla-gan"),
        ("01-vanilla-gan - Copy.ipynb", "01-vanilla-gan"),
        ("01_vanilla_gan.IPYNB", "01-vanilla-gan"),
    ],
)
def test_normalise_name(filename: str, expected: str) -> None:
    assert normalise_name(filename) == expected


def test_student_ids_from_lms_folders() -> None:
    assert student_id("Ada Lovelace_12345_assignsubmission_file_") == "12345"
    assert student_id("ada.lovelace@uni.edu") == "ada.lovelace@uni.edu"
    assert student_id("Ada Lovelace") == "Ada-Lovelace"
    assert student_id("../../etc") == "etc"


def _write(path: Path, notebook: NotebookNode | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(notebook, str):
        path.write_text(notebook)
    else:
        nbformat.write(notebook, path)
    return path


ASSIGNMENTS = {TINY: {"test_double", "test_square"}, "01-other": {"test_other"}}


def test_collect_understands_folders_lms_names_and_renames(tmp_path: Path) -> None:
    root = tmp_path / "in"
    _write(root / "ada" / f"{TINY}.ipynb", tiny_notebook())
    _write(root / "Bob B_777_assignsubmission_file_" / "sub" / f"Copy of {TINY} (1).ipynb",
           tiny_notebook())  # fmt: skip
    _write(root / "cy" / "untitled.ipynb", tiny_notebook())  # recognised by its grade ids
    _write(root / "cy" / ".ipynb_checkpoints" / f"{TINY}-checkpoint.ipynb", tiny_notebook())
    _write(root / f"dee_1_2_{TINY}.ipynb", tiny_notebook())  # Canvas: a flat folder
    _write(root / "eve" / f"{TINY}.ipynb", tiny_notebook())
    _write(root / "eve" / f"{TINY} (1).ipynb", tiny_notebook())  # a duplicate
    _write(root / "fay" / "notes.ipynb", new_notebook())  # nothing to grade
    _write(root / "readme.txt", "not a submission")
    found = collect(root, ASSIGNMENTS, tmp_path / "scratch")
    got = {(s.student, s.assignment, s.path.name) for s in found.submissions}
    assert got == {
        ("ada", TINY, f"{TINY}.ipynb"),
        ("777", TINY, f"Copy of {TINY} (1).ipynb"),
        ("cy", TINY, "untitled.ipynb"),
        ("dee", TINY, f"dee_1_2_{TINY}.ipynb"),
        ("eve", TINY, f"{TINY} (1).ipynb"),  # sorted first; the other one is reported
    }
    problems = "\n".join(found.problems)
    assert "eve: two notebooks" in problems
    assert "fay: notes.ipynb matches no assignment" in problems
    assert "fay: no notebook to grade" in problems
    assert "readme.txt" in problems


def test_collect_keeps_an_unreadable_notebook_named_like_the_assignment(tmp_path: Path) -> None:
    """An invalid file is graded (to zero, with a reason), not silently dropped."""
    _write(tmp_path / "in" / "kim" / f"{TINY}.ipynb", "{ not json")
    found = collect(tmp_path / "in", ASSIGNMENTS, tmp_path / "scratch")
    assert [(s.student, s.assignment) for s in found.submissions] == [("kim", TINY)]


def test_collect_reads_a_zip_of_one_folder(tmp_path: Path) -> None:
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr(f"export/ada/{TINY}.ipynb", nbformat.writes(tiny_notebook()))
        handle.writestr("__MACOSX/._junk", "")
    found = collect(archive, ASSIGNMENTS, tmp_path / "scratch")
    assert [(s.student, s.assignment) for s in found.submissions] == [("ada", TINY)]
    assert found.problems == []


def _entry(name: str, kind: int, payload: str = "x") -> tuple[zipfile.ZipInfo, str]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (kind | 0o644) << 16
    return info, payload


def _zip_bomb(handle: zipfile.ZipFile, name: str) -> None:
    """An entry whose directory record says it unpacks to 1.5 GB (what a zip bomb's honest
    record says; zipfile never writes more than the record's size)."""
    handle.writestr(name, "{}")
    handle.filelist[-1].file_size = 1536 * 1024**2


UNSAFE_ENTRIES = [
    ("../../escape.txt", stat.S_IFREG, "a path that climbs out"),
    ("bob/../../../escape.ipynb", stat.S_IFREG, "a path that climbs out"),
    ("/tmp/escape-absolute.txt", stat.S_IFREG, "an absolute path"),
    ("C:/escape-drive.txt", stat.S_IFREG, "an absolute path"),
    ("..\\..\\escape-windows.txt", stat.S_IFREG, "a path that climbs out"),
    ("cy/passwd.ipynb", stat.S_IFLNK, "a symbolic link"),
    ("cy/fifo.ipynb", stat.S_IFIFO, "a device, pipe or socket"),
    ("cy/device.ipynb", stat.S_IFCHR, "a device, pipe or socket"),
    ("cy/bomb.ipynb", stat.S_IFREG, "larger than 1,024 MB once unpacked"),
]


def write_unsafe_entries(handle: zipfile.ZipFile, prefix: str = "") -> list[tuple[str, str]]:
    """Add every entry of :data:`UNSAFE_ENTRIES` to an open zip (links point at /etc), the
    harmless-looking ones under ``prefix``; each entry's name and why it must be skipped."""
    written = []
    for name, kind, reason in UNSAFE_ENTRIES:
        relative = not name.startswith(("/", "C:", "..", "bob/.."))
        payload = "/etc/passwd" if kind == stat.S_IFLNK else "{}"
        written.append((prefix + name if relative else name, reason))
        if "bomb" in name:
            _zip_bomb(handle, written[-1][0])
        else:
            handle.writestr(*_entry(written[-1][0], kind, payload))
    return written


def test_unsafe_zip_entries_are_skipped_with_a_note_and_the_rest_collected(tmp_path: Path) -> None:
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr(f"ada/{TINY}.ipynb", nbformat.writes(tiny_notebook()))
        handle.writestr(f"cy/{TINY}.ipynb", nbformat.writes(tiny_notebook()))
        write_unsafe_entries(handle)
    scratch = tmp_path / "deep" / "er" / "scratch"
    found = collect(archive, ASSIGNMENTS, scratch)
    assert [(s.student, s.assignment) for s in found.submissions] == [("ada", TINY), ("cy", TINY)]
    for name, _, reason in UNSAFE_ENTRIES:
        assert any(repr(name) in p and reason in p for p in found.problems), (name, found.problems)
    assert len(found.problems) == len(UNSAFE_ENTRIES)
    written = {p.name for p in tmp_path.rglob("*")} | {p.name for p in Path("/tmp").iterdir()}
    assert not any(name.startswith("escape") for name in written), written
    assert sorted(p.name for p in (scratch / "unzipped" / "cy").iterdir()) == [f"{TINY}.ipynb"]


def test_links_in_a_submissions_folder_are_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "in"
    _write(root / "ada" / f"{TINY}.ipynb", tiny_notebook())
    _write(tmp_path / "elsewhere" / f"{TINY}.ipynb", tiny_notebook())
    (root / "bob").mkdir()
    (root / "bob" / f"{TINY}.ipynb").symlink_to(tmp_path / "elsewhere" / f"{TINY}.ipynb")
    (root / "cy").mkdir()
    (root / "cy" / "work").symlink_to(tmp_path / "elsewhere")
    (root / "dee").symlink_to(tmp_path / "elsewhere")
    found = collect(root, ASSIGNMENTS, tmp_path / "scratch")
    assert [s.student for s in found.submissions] == ["ada"]
    assert found.notes["bob"][0] == f"{TINY}.ipynb is a link, not followed, skipped"
    assert found.notes["cy"][0] == "work is a link, not followed, skipped"
    assert "dee: a link, not followed, skipped" in found.problems


@pytest.mark.parametrize(
    "source",
    [
        "import helpers.checks as c\nc._fail = lambda *a, **k: None",
        "from helpers import checks\nchecks.assert_close = print",
        "import torch\ntorch.allclose = lambda *a, **k: True",
        "import torch as t\nsetattr(t, 'equal', lambda *a: True)",
        "import numpy as np\ndel np.isclose",
        "import sys\nsys.modules['helpers.checks'] = None",
        "import builtins\nbuiltins.isinstance = lambda *a: True",
        "from helpers import mlp_gan\nmlp_gan.generator_loss.__code__ = (lambda x: 0).__code__",
        "import helpers\nvars(helpers)['checks'] = None",
        "object.__setattr__(something, 'x', 1)",
        "f.__globals__['checks'] = None",
    ],
)
def test_scan_flags_rebinding(source: str) -> None:
    assert scan_source(source), f"not flagged:\n{source}"


@pytest.mark.parametrize(
    "source",
    [
        "import torch\nx = torch.zeros(3)\nx[0] = 1.0",
        "model.weight.data = torch.zeros(3)",
        "%matplotlib inline\nimport numpy as np\ny = np.ones(2)",
        "self.scale = nn.Parameter(torch.zeros(3))",
        "def f(:\n  broken syntax is not our business",
    ],
)
def test_scan_leaves_ordinary_code_alone(source: str) -> None:
    assert scan_source(source) == []


def test_scan_reports_a_cell_too_deep_to_parse_and_scans_the_others(tmp_path: Path) -> None:
    """Thousands of nested operators make the parser raise (RecursionError, MemoryError): the
    cell is flagged for the instructor, never a crash of the batch or a silent pass."""
    nb = tiny_notebook()
    nb.cells.insert(0, new_code_cell("x = " + "+".join(["a"] * 200_000)))
    nb.cells.insert(1, new_code_cell("y = " + "-" * 100_000 + "1"))
    nb.cells.append(new_code_cell("import torch\ntorch.equal = lambda *a: True"))
    flags = scan_notebook(_write(tmp_path / f"{TINY}.ipynb", nb))
    assert flags == [
        "cell 0: could not be scanned (nested too deeply or not text): read it",
        "cell 1: could not be scanned (nested too deeply or not text): read it",
        "cell 6, line 2: torch.equal = lambda *a: True",
    ]


def test_scan_of_every_master_notebook_is_clean() -> None:
    for master in sorted((ROOT / "solutions").glob("*/*.ipynb")):
        assert scan_notebook(master) == [], master.name


def test_shards_split_students_deterministically_and_completely() -> None:
    students = [f"student{i:03d}" for i in range(300)]
    for n in (1, 2, 3, 7):
        slices = [[s for s in students if cli.in_shard(s, (k, n))] for k in range(1, n + 1)]
        assert sorted(sum(slices, [])) == students  # every student exactly once
        if n > 1:
            assert min(len(part) for part in slices) > 300 / n / 2  # roughly even
    assert [cli.in_shard("ada", (1, 2)) for _ in range(3)] == [cli.in_shard("ada", (1, 2))] * 3


@pytest.mark.parametrize("bad", ["0/2", "3/2", "1-2", "x/y"])
def test_bad_shard_is_a_clear_error(bad: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        cli.main(["grade", "in", "--out", "out", "--shard", bad])
    assert "--shard" in capsys.readouterr().err


def _result(student: str, assignment: str, score: float | None, flags=(), errors=(),
            ungraded: str | None = None) -> dict:  # fmt: skip
    return {"student": student, "assignment": assignment, "score": score, "scores": {},
            "flags": list(flags), "errors": list(errors), "ungraded": ungraded}  # fmt: skip


def test_csv_has_one_column_per_assignment_the_roster_and_the_review(tmp_path: Path) -> None:
    for result in [
        _result("ada", "01-a", 3.0),
        _result("ada", "02-b", 1.5, flags=["cell 4, line 1: torch.equal = f"]),
        _result("bob", "02-b", 0.0, errors=["not a readable notebook (JSONDecodeError)"]),
        _result("cy", "01-a", None, ungraded="stopped after 1800 s (--submission-timeout)"),
        _result("cy", "02-b", 2.0),
    ]:
        path = tmp_path / "results" / result["student"] / f"{result['assignment']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result))
    notes = {"dee": ["no notebook to grade"], "bob": ["two notebooks for 02-b"]}
    path = book.write_csv(tmp_path, ["01-a", "02-b"], roster={"ada": "LMS-1"}, notes=notes)
    rows = list(csv.DictReader(path.open()))
    assert [r["student_id"] for r in rows] == ["ada", "bob", "cy", "dee"]
    assert rows[0] | {"review": ""} == {"student_id": "ada", "lms_id": "LMS-1", "01-a": "3",
                                         "02-b": "1.5", "total": "4.5", "review": ""}  # fmt: skip
    assert "02-b: cell 4, line 1: torch.equal" in rows[0]["review"]
    assert rows[1]["01-a"] == "" and rows[1]["total"] == "0" and rows[1]["lms_id"] == ""
    assert "not a readable notebook" in rows[1]["review"]
    assert "note: two notebooks for 02-b" in rows[1]["review"]
    assert (rows[2]["01-a"], rows[2]["02-b"], rows[2]["total"]) == ("", "2", "2")
    assert "01-a: ungraded: stopped after 1800 s" in rows[2]["review"]
    assert (rows[3]["total"], rows[3]["review"]) == ("0", "note: no notebook to grade")


def _lone_submission(tmp_path: Path) -> tuple[Submission, jobs.Template, sandbox.Isolation]:
    """Ada's correct tiny notebook, and a template whose folder holds nothing (so that any job
    preparing a course from it fails)."""
    path = _write(tmp_path / "in" / "ada" / f"{TINY}.ipynb", tiny_notebook())
    template = jobs.Template(TINY, tmp_path / "empty-template", "f" * 64,
                             {"test_double": 1.0, "test_square": 1.0})  # fmt: skip
    return Submission("ada", TINY, path, "0" * 64), template, sandbox.Isolation(False, False, ())


def test_a_job_that_fails_is_stored_as_ungraded_with_its_reason(tmp_path: Path) -> None:
    submission, template, isolation = _lone_submission(tmp_path)
    out = tmp_path / "out"
    returned = jobs.grade(submission, template, out, tmp_path / "work", isolation,
                          sandbox.Limits(), None, timeout=60)  # fmt: skip
    stored = results.read(out, "ada", TINY)
    assert stored == returned
    assert stored["ungraded"].startswith("grader error (FileNotFoundError): "), stored
    assert "gradebook.db" in stored["ungraded"] and stored["score"] is None
    assert not results.final(stored, submission.sha256, template.source_sha256)  # re-run grades it


def test_a_worker_that_raised_leaves_an_ungraded_result_and_a_gradebook_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    submission, template, isolation = _lone_submission(tmp_path)
    out, db_url = tmp_path / "out", f"sqlite:///{tmp_path / 'gradebook.db'}"
    future: Future = Future()
    future.set_exception(MemoryError("the worker thread ran out of memory"))
    assert cli.settle(future, submission, template, out, isolation, db_url) is False
    stored = results.read(out, "ada", TINY)
    assert stored["ungraded"] == "grader error (MemoryError): the worker thread ran out of memory"
    assert book.write_csv(out, [TINY]).read_text().splitlines()[1] == (
        f"ada,,0,{TINY}: ungraded: grader error (MemoryError): the worker thread ran out of memory"
    )
    from nbgrader.api import Gradebook

    with Gradebook(db_url, course_id=book.COURSE_ID) as gb:
        assert [student.id for student in gb.students] == ["ada"]  # recorded, with no scores


def test_progress_line_counts_and_estimates() -> None:
    stream = io.StringIO()
    progress = cli.Progress(2, stream=stream)
    progress.update(True)
    progress.update(False)
    text = stream.getvalue()
    assert "1/2 graded, 0 with errors" in text and "2/2 graded, 1 with errors" in text
    assert text.endswith("\n")


def test_a_folder_that_is_not_a_course_is_refused(tmp_path: Path, capsys) -> None:
    code = cli.main(["grade", str(tmp_path), "--out", str(tmp_path / "out"), "--course",
                     str(tmp_path), "--unisolated"])  # fmt: skip
    assert code == 2 and "not a course folder" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# the tamper suite: the instructor's command on hostile submissions


def _isolation_or_skip() -> sandbox.Isolation:
    isolation = sandbox.probe()
    if not isolation.complete:
        reason = f"this host cannot isolate grading kernels: {isolation.describe()}"
        if os.environ.get("GAN_COURSE_REQUIRE_ISOLATION") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return isolation


@pytest.fixture
def reachable_tmp():
    """A scratch folder the unprivileged grading user can traverse (pytest's are 0700)."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="gan-grading-test-"))
    folder.chmod(0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _memory_cap_is_enforced(limit: int) -> bool:
    """An address-space cap of ``limit`` bytes stops a process asking for 4x that much."""
    code = (
        f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))\n"
        f"try:\n    bytearray({4 * limit})\nexcept MemoryError:\n    raise SystemExit(7)"
    )
    return subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 7


def _grade(submissions: Path, out: Path, *extra: str, timeout: int = 900, status: int = 0) -> str:
    """Run the instructor's command; check its exit status (1: some submission ungraded)."""
    command = [sys.executable, "-m", "grading", "grade", str(submissions), "--out", str(out),
               *extra]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == status, f"{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def _rows(out: Path) -> dict[str, dict[str, str]]:
    return {row["student_id"]: row for row in csv.DictReader((out / "grades.csv").open())}


def _scores(out: Path, student: str, assignment: str) -> dict[str, float]:
    return json.loads((out / "results" / student / f"{assignment}.json").read_text())["scores"]


HOSTILE_DOUBLE = {
    # (g) read the gradebook: the right answer only if the file could be read
    "reads_gradebook": textwrap.dedent("""\
        import pathlib
        readable = False
        for folder in pathlib.Path.cwd().resolve().parents:
            try:
                (folder / "gradebook.db").read_bytes()
                readable = True
            except OSError:
                pass
        return 2 * x if readable else None"""),
    # (h) hang
    "hangs": "while True:\n    pass",
    # (i) exhaust memory (only graded after the cap was seen to work)
    "hogs_memory": "blocks = [bytearray(2**30) for _ in range(50)]\nreturn 2 * x",
    # network: the right answer only if a socket reaches outside
    "opens_socket": textwrap.dedent("""\
        import socket
        try:
            socket.create_connection(("1.1.1.1", 53), timeout=3).close()
            return 2 * x
        except OSError:
            return None"""),
}


@pytest.mark.slow
def test_tamper_suite_on_the_tiny_assignment(reachable_tmp: Path) -> None:
    """(a) edited, (b) deleted, (c) stripped test cells, (g) gradebook reads, (h) a hang,
    (i) a memory hog, (j) renamed files, (k) invalid JSON, and a socket: each scores what its
    honest content deserves (0 for the tampered ``double``, 1 for the correct ``square``)."""
    isolation = _isolation_or_skip()
    course = tiny_course(reachable_tmp / "course")
    subs = reachable_tmp / "submissions"
    _write(subs / "honest" / f"{TINY}.ipynb", tiny_notebook())
    _write(subs / "renamed" / f"Copy of {TINY} (2).ipynb", tiny_notebook())  # (j)
    _write(subs / "invalid" / f"{TINY}.ipynb", '{"cells": [')  # (k)
    wrong = "return x + x + 1"
    edited = tiny_notebook(double=wrong)
    edited.cells[1].source = "pass"  # (a)
    _write(subs / "edits_test" / f"{TINY}.ipynb", edited)
    deleted = tiny_notebook(double=wrong)
    del deleted.cells[1]  # (b)
    _write(subs / "deletes_test" / f"{TINY}.ipynb", deleted)
    stripped = tiny_notebook(double=wrong)
    stripped.cells[1].metadata = {}  # (c)
    stripped.cells[1].source = "pass"
    _write(subs / "strips_test" / f"{TINY}.ipynb", stripped)
    memory = 6 * 1024**3
    hostile = dict(HOSTILE_DOUBLE)
    if not _memory_cap_is_enforced(memory):
        hostile.pop("hogs_memory")  # never run a hog without a working cap
    for name, body in hostile.items():
        _write(subs / name / f"{TINY}.ipynb", tiny_notebook(double=body))
    # a kernel that dies leaves nbgrader without scores: ungraded, said so, never a silent 0
    dies = attacks.with_cell(tiny_notebook(), "import os, signal\nos.kill(os.getpid(), 9)")
    _write(subs / "kernel_dies" / f"{TINY}.ipynb", dies)
    subs.chmod(0o700)
    out = reachable_tmp / "out"
    log = _grade(subs, out, "--course", str(course), "--workers", "2", "--cell-timeout", "20",
                 "--memory", str(memory / 1024**3), status=1)  # fmt: skip
    assert isolation.describe() in log and "warning" not in log
    assert re.search(r"1 submission\(s\) NOT graded.*\n  kernel_dies/00-tiny: ungraded: nbgrader "
                     r"autograde failed: .*(DeadKernelError|Kernel died)", log), log  # fmt: skip

    expected = {"honest": (1, 1), "renamed": (1, 1), "invalid": (0, 0)}
    expected |= {name: (0, 1) for name in ["edits_test", "deletes_test", "strips_test", *hostile]}
    missing = [s for s in expected if not (out / "results" / s / f"{TINY}.json").exists()]
    assert missing == [], f"no result for {missing}:\n{log}"
    got = {student: tuple(_scores(out, student, TINY)[f"test_{f}"] for f in ("double", "square"))
           for student in expected}  # fmt: skip
    table = "\n".join(f"{s:14} expected {expected[s]} got {got[s]}" for s in expected)
    assert got == expected, f"{table}\n{log}"
    rows = _rows(out)
    assert set(rows) == {*expected, "kernel_dies"}
    assert "not a readable notebook" in rows["invalid"]["review"]
    assert rows["honest"]["review"] == "" and rows["honest"]["total"] == "2"
    assert (rows["kernel_dies"][TINY], rows["kernel_dies"]["total"]) == ("", "0")
    assert rows["kernel_dies"]["review"].startswith(f"{TINY}: ungraded: nbgrader autograde failed")
    page = (out / "feedback" / "honest" / f"{TINY}.html").read_text()
    assert "assert double(x) == want" in html.unescape(re.sub(r"<[^>]+>", "", page))

    # re-run: only the ungraded submission is graded again, nothing is graded twice
    assert "1 to grade" in _grade(subs, out, "--course", str(course), status=1)
    # a lost result (a worker died) is graded again, the rest is kept; once the ungraded one
    # is fixed (a corrected upload), the command succeeds
    (out / "results" / "honest" / f"{TINY}.json").unlink()
    _write(subs / "kernel_dies" / f"{TINY}.ipynb", tiny_notebook())
    assert "2 to grade" in _grade(subs, out, "--course", str(course))
    assert _rows(out)["kernel_dies"]["total"] == "2"
    assert {s: r for s, r in _rows(out).items() if s != "kernel_dies"} == {
        s: r for s, r in rows.items() if s != "kernel_dies"
    }
    # sequential grading gives the same rows (a few students, to keep the suite short)
    subset = reachable_tmp / "subset"
    for student in ("honest", "edits_test", "invalid"):
        shutil.copytree(subs / student, subset / student)
    sequential = reachable_tmp / "sequential"
    _grade(subset, sequential, "--course", str(course), "--workers", "1")
    assert _rows(sequential) == {s: rows[s] for s in ("honest", "edits_test", "invalid")}


def _with_body(nb: NotebookNode, grade_id: str, body: str) -> NotebookNode:
    """``nb`` with the solution cell ``grade_id`` replaced by ``body``."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = textwrap.dedent(body)
            return nb
    raise KeyError(grade_id)


WRONG_LOSS = """\
    def generator_loss(fake_logits):
        return F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
"""

LESSON_ONE_TAMPERING = {
    # (d) patch the checks and the torch functions they rely on, with a wrong answer
    "patches_checks": WRONG_LOSS
    + """\
    import helpers.checks as c
    import torch as t
    from helpers.checks import assertions
    c._fail = lambda *a, **k: None
    c.assert_close = lambda *a, **k: None
    t.allclose = lambda *a, **k: True
    try:
        assertions._fail = lambda *a, **k: None
    except Exception:
        pass
""",
    # (e) an object that claims to equal anything
    "always_equal": """\
    class Anything(float):
        def __eq__(self, other):
            return True
        def __bool__(self):
            return True
        __hash__ = float.__hash__

    def generator_loss(fake_logits):
        return Anything(0.0)
""",
    # (f) delegate to the reference the hidden tests compare with
    "delegates": """\
    from helpers import mlp_gan as _m

    def generator_loss(fake_logits):
        return _m.generator_loss(fake_logits)
""",
}


@pytest.mark.slow
def test_tamper_suite_on_lesson_one(reachable_tmp: Path) -> None:
    """(d) patched checks or torch, (e) an always-equal object, (f) delegation: zero for the
    tampered exercise, full marks for every untouched correct one; the scan flags (d)."""
    _isolation_or_skip()
    assignment = "01-vanilla-gan"
    master = nbformat.read(source_notebook(assignment), 4)
    subs = reachable_tmp / "submissions"
    _write(subs / "honest" / f"{assignment}.ipynb", master)
    for student, body in LESSON_ONE_TAMPERING.items():
        _write(subs / student / f"{assignment}.ipynb", _with_body(master, "generator_loss", body))
    out = reachable_tmp / "out"
    _grade(subs, out, "--assignment", assignment, "--workers", "2")
    full = {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
            for c in grade_cells(master).values()}  # fmt: skip
    assert _scores(out, "honest", assignment) == full
    for student in LESSON_ONE_TAMPERING:
        assert _scores(out, student, assignment) == full | {"test_generator_loss": 0.0}, student
    rows = _rows(out)
    assert "c._fail" in rows["patches_checks"]["review"]
    assert rows["honest"]["review"] == ""


def _cmdlines_with(marker: str) -> list[str]:
    """Every process (as root sees them all) whose command line holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline and entry.name != str(os.getpid()):
            words = cmdline.replace(b"\0", b" ")[:200].decode(errors="replace")
            found.append(f"{entry.name}: {words}")
    return found


def _victim(slot, folder: Path, secret: str) -> subprocess.Popen:  # noqa: ANN001
    """A stand-in for another job's kernel, run as ``slot``'s user: an ``ipykernel`` in its
    command line, its data folder in its environment and as its working directory, holding
    ``secret``."""
    data = folder / "data"
    data.mkdir(parents=True)
    (data / "secret.txt").write_text(secret)
    for path in (folder, data, data / "secret.txt"):
        os.chown(path, slot.uid, slot.gid)
    return subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)", "ipykernel_launcher"],
        user=slot.uid, group=slot.gid, extra_groups=[], cwd=data,
        env={"GAN_COURSE_DATA": str(data), "PATH": os.environ["PATH"]},
    )  # fmt: skip


def _as_user(slot, source: str, timeout: float = 120) -> subprocess.CompletedProcess:  # noqa: ANN001
    return subprocess.run([sys.executable, "-c", source], user=slot.uid, group=slot.gid,
                          extra_groups=[], cwd="/", capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip


@pytest.mark.slow
def test_the_attacks_do_harm_where_nothing_stops_them(reachable_tmp: Path) -> None:
    """Positive controls for the concurrent tamper suite: run as the same user as a victim,
    in the host's namespaces (the grader's isolation before this suite existed), the killer
    kills it, the snooper reads its secret and plants a file in its data folder, and the
    lingerer's processes outlive it; emptying the slot ends them."""
    from grading import slots

    _isolation_or_skip()
    with slots.acquire() as slot:
        secret = attacks.new_secret()
        victim = _victim(slot, reachable_tmp / "victim", secret)
        killed = attacks.report_line(_as_user(slot, attacks.killer(2)).stdout)
        assert victim.wait(timeout=30) == -9 and killed["killed"] >= 1, killed
        victim = _victim(slot, reachable_tmp / "victim2", secret)
        snooped = attacks.report_line(_as_user(slot, attacks.snooper(2)).stdout)
        victim.kill()
        victim.wait()
        assert secret in snooped["secrets"] and snooped["environ"] >= 1, snooped
        assert snooped["no_new_privs"] == 0, snooped  # the flag is the grader's doing
        assert snooped["written"] == [str(reachable_tmp / "victim2" / "data")], snooped
        marker = f"gan-linger-{os.urandom(6).hex()}"
        _as_user(slot, attacks.lingerer(marker, seconds=120))
        left = _cmdlines_with(marker)
        assert len(left) >= 3, left  # the killer, the shell, the stubborn sleeper
        slots.empty(slot)
        assert _cmdlines_with(marker) == [] and slots.processes_of(slot.uid) == []


KILL_SECONDS, SNOOP_SECONDS, FORK_SECONDS, HOLD_SECONDS, FLOOD_MB = 15, 15, 10, 10, 240


@pytest.mark.slow
def test_concurrent_attacks_leave_every_honest_student_alone(reachable_tmp: Path) -> None:
    """A class where a killer, a snooper, a fork bomb, an output flood and a lingerer are
    graded beside honest students (2 workers, ordered so that every attack overlaps honest
    jobs), handed in as a zip with unsafe entries: every student gets a row and exactly the
    points of a correct notebook, no attack reports any success, and after the command no
    process of any slot user it used is left and the job folders are gone."""
    from grading import slots

    _isolation_or_skip()
    course = tiny_course(reachable_tmp / "course")
    marker = f"gan-linger-{os.urandom(6).hex()}"
    cells = {
        "a-killer": attacks.killer(KILL_SECONDS),
        "c-snooper": attacks.snooper(SNOOP_SECONDS),
        "e-forker": attacks.forker(FORK_SECONDS),
        "g-flood": attacks.flood(FLOOD_MB),
        "h-lingerer": attacks.lingerer(marker),
    }
    secrets = {}
    # in this order (the command's), two honest jobs follow each timed attack, each longer
    # than half an attack's job: while an attack runs, the other worker cannot get through
    # both and start the next attack, so it runs honest jobs beside it (a run with one honest
    # job between the snooper and the forker graded those two side by side). One honest job
    # comes after the lingerer, whose processes would kill its kernel if they survived.
    honest = ["b-honest-1", "b-honest-2", "d-honest-3", "d-honest-4", "f-honest-5",
              "f-honest-6", "i-honest-7"]  # fmt: skip
    for student in honest:
        secrets[student] = attacks.new_secret()
        cells[student] = attacks.honest(secrets[student], HOLD_SECONDS)
    archive = reachable_tmp / "class.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for student, cell in cells.items():
            notebook = attacks.with_cell(tiny_notebook(), cell)
            handle.writestr(f"export/{student}/{TINY}.ipynb", nbformat.writes(notebook))
        unsafe = write_unsafe_entries(handle, prefix="export/")
    archive.chmod(0o600)
    out = reachable_tmp / "out"
    log = _grade(archive, out, "--course", str(course), "--workers", "2", "--cell-timeout",
                 "120")  # fmt: skip

    # the zip: every unsafe entry named in a note, nothing written outside, the rest graded
    for name, reason in unsafe:
        assert re.search(rf"note: .*{re.escape(repr(name))}: {reason}", log), (name, log)
    outside = [p for p in reachable_tmp.parent.glob("escape*")] + list(Path("/tmp").glob("escape*"))
    assert outside == [], outside
    # every student: a row, a result, and the full 2 points (attackers' answers are right too)
    rows = _rows(out)
    assert set(rows) == set(cells), log
    assert {s: rows[s][TINY] for s in cells} == dict.fromkeys(cells, "2"), log
    assert all(rows[s]["review"] == "" for s in secrets), rows
    runs = {s: json.loads((out / "results" / s / f"{TINY}.json").read_text()) for s in cells}
    reports = {}
    for student in cells:
        for report in attacks.reports(out / "autograded" / student / f"{TINY}.ipynb"):
            reports[report["attack"]] = report | {"student": student}
    assert set(reports) == {"killer", "snooper", "forker", "lingerer"}, reports
    # each timed attack overlapped honest jobs graded at the same time
    for name in ("killer", "snooper", "forker"):
        window = (reports[name]["start"], reports[name]["end"])
        beside = [
            s for s in secrets if runs[s]["started"] < window[1] and runs[s]["finished"] > window[0]
        ]
        assert beside, (name, window, {s: (r["started"], r["finished"]) for s, r in runs.items()})
    killer, snooper, forker = reports["killer"], reports["snooper"], reports["forker"]
    assert (killer["seen"], killer["killed"]) == (0, 0), killer
    # (a token in /tmp from outside this class is no classmate's: only theirs count)
    assert set(snooper["secrets"]) & set(secrets.values()) == set(), snooper
    assert snooper["written"] == [] and snooper["folders"] == [], snooper
    assert (snooper["environ"], snooper["cwd"], snooper["memory"]) == (0, 0, 0), snooper
    assert snooper["no_new_privs"] == 1, snooper
    assert forker["refused"] and forker["forked"] < 256, forker
    # the flood: graded on its content, its outputs cut to their ends
    flooded = (out / "autograded" / "g-flood" / f"{TINY}.ipynb").read_text()
    assert len(flooded) < 2_000_000 and "FLOOD-HEAD" in flooded and "FLOOD-TAIL" in flooded
    assert "characters cut by the grader" in flooded and "outputs of this cell dropped" in flooded
    assert (out / "feedback" / "g-flood" / f"{TINY}.html").stat().st_size < 3_000_000
    # nothing left behind: no lingering process, no process or /tmp file of any slot user
    assert _cmdlines_with(marker) == []
    for user in sorted({run["user"] for run in runs.values()}):
        with slots.hold(user) as slot:  # between other commands' jobs, if any
            assert slots.processes_of(slot.uid) == [], user
            left = [p for shared in (Path("/tmp"), Path("/dev/shm")) for p in shared.iterdir()
                    if p.lstat().st_uid == slot.uid]  # fmt: skip
            assert left == [], left
    assert not (out / ".work" / "jobs").exists()


@pytest.mark.slow
def test_an_output_folder_the_grading_user_cannot_reach_is_refused(tmp_path: Path) -> None:
    _isolation_or_skip()
    course = tiny_course(tmp_path / "course")
    _write(tmp_path / "in" / "ada" / f"{TINY}.ipynb", tiny_notebook())
    tmp_path.chmod(0o700)
    command = [sys.executable, "-m", "grading", "grade", str(tmp_path / "in"), "--out",
               str(tmp_path / "out"), "--course", str(course)]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "the grading users (gan-grader-N) cannot reach" in result.stderr


POSTGRES_BIN = Path("/usr/lib/postgresql")


@pytest.fixture
def postgres(reachable_tmp: Path):
    """A throw-away PostgreSQL server on 127.0.0.1, run as the ``postgres`` user; its URL."""
    import socket

    binaries = sorted(POSTGRES_BIN.glob("*/bin/pg_ctl"))
    if not binaries or os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("needs root and Debian's postgresql package (`apt-get install postgresql`)")
    pytest.importorskip("psycopg", reason="PostgreSQL gradebooks need `psycopg[binary]`")
    bin_dir = binaries[-1].parent
    data = reachable_tmp / "pgdata"
    data.mkdir()
    shutil.chown(data, "postgres", "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    def as_postgres(*command: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True,
                       capture_output=True, timeout=120)  # fmt: skip

    as_postgres(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "grader")
    options = f"-k {data} -p {port} -c listen_addresses=127.0.0.1"
    log = str(data / "server.log")  # not our pipes: pg_ctl would wait for the server to exit
    as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", log, "-w", "start")
    try:
        yield f"postgresql+psycopg://grader@127.0.0.1:{port}/postgres"
    finally:
        as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")


def _gradebook_scores(db_url: str) -> dict[tuple[str, str], float]:
    """(student, grade id) -> score of every graded submission in the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(db_url, course_id=book.COURSE_ID) as gb:
        for student in gb.students:
            try:
                notebook = gb.find_submission_notebook(TINY, TINY, student.id)
            except MissingEntry:  # a student without a graded submission: no scores
                continue
            scores |= {(student.id, g.name): g.score for g in notebook.grades
                       if g.cell_type == "code"}  # fmt: skip
    return scores


def _assert_all_graded(out: Path, students: set[str], log: str) -> None:
    """Every student has a graded result file and a score in ``grades.csv``; else fail,
    naming each student without one and why."""
    rows = _rows(out) if (out / "grades.csv").exists() else {}
    lacking = {}
    for student in sorted(students):
        stored = results.read(out, student, TINY)
        if stored is None or stored.get("ungraded") or stored.get("score") is None:
            lacking[student] = "no result file" if stored is None else stored.get("ungraded")
        elif rows.get(student, {}).get(TINY, "") == "":
            lacking[student] = "no score in grades.csv"
    assert lacking == {}, f"students without a grade in {out}: {lacking}\n{log}"


@pytest.mark.slow
def test_two_shards_share_one_postgresql_gradebook(reachable_tmp: Path, postgres: str) -> None:
    """Two hosts (here two processes) grade one half of the class each into one PostgreSQL
    gradebook; it ends up with the grades a single host writes to its own SQLite file."""
    _isolation_or_skip()
    course = tiny_course(reachable_tmp / "course")
    subs = reachable_tmp / "submissions"
    bodies = {"ada": "return 2 * x", "bob": "return x + x + 1", "cy": "return x << 1",
              "dee": "return None", "eve": "return 2.0 * x"}  # fmt: skip
    for student, body in bodies.items():
        _write(subs / student / f"{TINY}.ipynb", tiny_notebook(double=body))
    subs.chmod(0o700)
    assert {cli.in_shard(s, (1, 2)) for s in bodies} == {True, False}, "both shards get work"
    shards = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "grading",
                "grade",
                str(subs),
                "--course",
                str(course),
                "--out",
                str(reachable_tmp / f"host{k}"),
                "--shard",
                f"{k}/2",
                "--workers",
                "1",
                "--db-url",
                postgres,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        for k in (1, 2)
    ]
    logs = [shard.communicate(timeout=600)[0] for shard in shards]
    assert [shard.returncode for shard in shards] == [0, 0], "\n".join(logs)
    for k, log in zip((1, 2), logs, strict=True):
        mine = {s for s in bodies if cli.in_shard(s, (k, 2))}
        _assert_all_graded(reachable_tmp / f"host{k}", mine, log)
    single = reachable_tmp / "single"
    log = _grade(subs, single, "--course", str(course), "--workers", "2")
    _assert_all_graded(single, set(bodies), log)
    expected = _gradebook_scores(f"sqlite:///{single / 'gradebook.db'}")
    lacking = sorted(set(bodies) - {student for student, _ in expected})
    assert len(expected) == 2 * len(bodies), f"no scores in the gradebook for {lacking}\n{log}"
    shared = _gradebook_scores(postgres)
    assert shared == expected, f"PostgreSQL {shared}\nsingle host {expected}\n" + "\n".join(logs)
