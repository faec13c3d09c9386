"""Output limits of the class grader (grading.outputs, grading.execute) and the kernel's
environment: huge outputs are cut, scores never change. Milliseconds to seconds, no kernel."""

from __future__ import annotations

import copy
import json
import random

import nbformat
import pytest
from nbformat.v4 import new_code_cell, output_from_msg
from nbgrader.utils import determine_grade

from grading import outputs
from grading.execute import CONFIG, LimitedExecute
from grading.kernel import kernel_environment
from grading.outputs import KEEP, MAX_OUTPUTS, CellLimits, Clipped, clip


def test_clipped_keeps_the_first_and_last_characters_and_says_how_many_were_cut() -> None:
    clipped = Clipped(keep=10)
    for piece in ["0123", "456789ab", "c" * 1000, "XYZ", "0123456"]:
        clipped.add(piece)
    text = clipped.text
    assert text.startswith("0123456789\n[... ")
    assert text.endswith("\nXYZ0123456")
    total = 4 + 8 + 1000 + 3 + 7
    assert f"[... {total - 20:,} characters cut by the grader ...]" in text
    short = Clipped(keep=10)
    short.add("hello")
    short.add(" world")
    assert short.text == "hello world"  # nothing cut, nothing said
    assert clip("x" * 20, keep=10) == "x" * 20
    assert clip("a" * 5 + "b" * 100 + "c" * 5, keep=5).split("\n")[::2] == ["aaaaa", "ccccc"]


def _msg(kind: str, **content) -> dict:
    return {"msg_type": kind, "header": {"msg_type": kind}, "parent_header": {},
            "content": content}  # fmt: skip


def stream(name: str, text: str) -> dict:
    return _msg("stream", name=name, text=text)


def display(text: str, mime: str = "text/plain") -> dict:
    return _msg("display_data", data={mime: text}, metadata={})


def result(text: str) -> dict:
    return _msg("execute_result", data={"text/plain": text}, metadata={}, execution_count=1)


def error(message: str) -> dict:
    return _msg("error", ename="ValueError", evalue=message, traceback=[f"ValueError: {message}"])


def limited(messages: list[dict]) -> list:
    """The outputs a cell keeps when ``messages`` arrive through the grader's limits (as
    :class:`grading.execute.LimitedExecute` applies them to nbclient's outputs)."""
    limits, kept = CellLimits(), []
    for msg in copy.deepcopy(messages):
        if limits.admit(msg, kept):
            out = output_from_msg(msg)
            kept.append(out)
            limits.merge(kept, out)
    note = limits.finish()
    return kept + ([nbformat.from_dict(note)] if note else [])


def grade(cell_outputs: list) -> float:
    meta = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 2,
                         "locked": True, "schema_version": 3}}  # fmt: skip
    cell = new_code_cell("pass", metadata=meta)
    cell.outputs = cell_outputs
    return determine_grade(cell)[0]


def test_a_flood_is_cut_to_its_ends_and_the_cell_keeps_its_score() -> None:
    messages = [stream("stdout", "HEAD\n")]
    messages += [stream("stdout", "x" * 99_999 + "\n") for _ in range(30)]  # 3 MB in pieces
    messages += [stream("stdout", "y" * 5_000_000), stream("stdout", "TAIL\n")]
    kept = limited(messages)
    assert len(kept) == 1 and kept[0].name == "stdout"
    text = kept[0].text
    assert text.startswith("HEAD\nxxx") and text.endswith("yyyTAIL\n")
    assert len(text) < 2 * KEEP + 100 and "characters cut by the grader" in text
    assert grade(kept) == 2.0


def test_displays_beyond_the_cell_limit_are_dropped_and_counted() -> None:
    messages = [display(f"figure {i}") for i in range(MAX_OUTPUTS + 50)]
    kept = limited(messages)
    assert len(kept) == MAX_OUTPUTS + 1
    assert "50 outputs of this cell dropped by the grader" in kept[-1].text


def test_huge_values_in_results_errors_and_images_are_capped() -> None:
    huge_image = display("A" * (outputs.MEDIA_LIMIT + 1), mime="image/png")
    huge_error = error("e" * 5_000_000)
    huge_error["content"]["traceback"] = [f"line {i}" for i in range(10_000)]
    kept = limited([huge_image, result("r" * 3_000_000), huge_error])
    assert "image/png" not in kept[0].data
    note = "[image/png output of 2,000,001 characters removed by the grader]"
    assert kept[0].data["text/plain"] == note
    assert len(kept[1].data["text/plain"]) < 2 * KEEP + 100
    assert len(kept[2].evalue) < 2 * KEEP + 100
    assert len(kept[2].traceback) == 2 * outputs.TRACEBACK_LINES + 1
    assert kept[2].traceback[-1] == "line 9999"
    assert sum(len(json.dumps(out)) for out in kept) < 1_000_000


@pytest.mark.parametrize("seed", range(24))
def test_limits_never_change_a_score(seed: int) -> None:
    """Random cells of many small and a few huge outputs (some first filling the cell past its
    output limit, so that what scores it comes after the limit), scored by nbgrader's own rule
    with and without the limits: the same score every time."""
    rng = random.Random(seed)
    makers = [
        lambda: stream("stdout", "o" * rng.choice([3, 300, 3, 300, 250_000])),
        lambda: stream("stderr", "w" * rng.choice([3, 250_000])),
        lambda: display("d" * rng.choice([5, 50_000])),
        lambda: result(rng.choice(["0.5", "1", "'text'", "'" + "9" * 250_000 + "'"])),
        lambda: error("boom"),
    ]
    filler = [rng.choice([display("d"), stream("stdout", "o")]) for _ in range(seed % 3 * 130)]
    weights = [10, rng.choice([0, 1, 3]), 10, rng.choice([0, 1]), rng.choice([0, 1])]
    messages = filler + [rng.choices(makers, weights)[0]() for _ in range(rng.choice([5, 100]))]
    full = [output_from_msg(copy.deepcopy(msg)) for msg in messages]
    kept = limited(messages)
    assert grade(kept) == grade(full)
    assert len(kept) <= MAX_OUTPUTS + 4
    assert sum(len(json.dumps(out)) for out in kept) < 25_000_000


def test_every_graded_job_runs_the_limited_executor() -> None:
    """The lines each job appends to its nbgrader_config.py put LimitedExecute in place of
    Execute, keep the other preprocessors in order, lift LimitOutput's line limit and wait
    longer for a kernel's last outputs."""
    from nbgrader.converters.autograde import Autograde
    from nbgrader.preprocessors import Execute
    from traitlets.config import Config

    c = Config()
    exec(CONFIG, {"c": c})  # noqa: S102 - the config file's own text
    chosen = c.Autograde.autograde_preprocessors
    defaults = Autograde.class_traits()["autograde_preprocessors"].make_dynamic_default()
    assert chosen == [LimitedExecute if step is Execute else step for step in defaults]
    assert LimitedExecute in chosen and Execute not in chosen
    assert c.LimitOutput.max_lines == -1
    assert c.Execute.iopub_timeout == 60  # nbclient's 4 s failed notebooks on a loaded host


def test_the_kernel_gets_no_secret_of_the_grader(tmp_path) -> None:
    environ = {"PATH": "/usr/bin", "PYTHONPATH": "/course", "GAN_COURSE_DATA": "/job/data",
               "NBGRADER_EXECUTION": "autograde", "LC_ALL": "C.UTF-8", "PGPASSWORD": "hunter2",
               "AWS_SECRET_ACCESS_KEY": "k", "HOME": "/root", "JUPYTER_PATH": "/job/jupyter",
               "SSH_AUTH_SOCK": "/run/agent"}  # fmt: skip
    env = kernel_environment(environ, tmp_path, "gan-grader-3")
    assert env == {"PATH": "/usr/bin", "PYTHONPATH": "/course", "GAN_COURSE_DATA": "/job/data",
                   "NBGRADER_EXECUTION": "autograde", "LC_ALL": "C.UTF-8", "HOME": str(tmp_path),
                   "TMPDIR": str(tmp_path), "MPLCONFIGDIR": str(tmp_path / "matplotlib"),
                   "IPYTHONDIR": str(tmp_path / "ipython"), "USER": "gan-grader-3",
                   "LOGNAME": "gan-grader-3"}  # fmt: skip
