"""nbgrader round trips, one per assignment: the release is current, and autograding scores
what it should.

Each assignment is one test (so the two xdist workers share the lessons) in its own
throw-away course: generate the release, then autograde its submissions in one batch (one
notebook execution each): the master solution (full marks), the untouched release (zero
on every test cell, no crash), a release whose test cells were gutted (still zero), a
correct solution with one test cell deleted and another stripped of its metadata (full marks:
nbgrader restores both), and, where the lesson's variants list correct code that warns
(``WARNING``), a solution made of that code (full marks, the warnings noted on stdout and
nothing on stderr). Each claim is a subtest, reported on its own.
"""

import copy
import html
import re

import nbformat
import pytest
from nbtools import (
    ASSIGNMENTS,
    grade_cells,
    grading_hazards,
    load_variants,
    make_course,
    nbgrader,
    release_notebook,
    scores,
    source_notebook,
    submit,
    with_replacements,
)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_round_trip(assignment, tmp_path, subtests):
    course = make_course(tmp_path, assignment)
    nbgrader(course, "generate_assignment", assignment, "--force")
    release = nbformat.read(course / "notebooks" / assignment / f"{assignment}.ipynb", 4)
    source = nbformat.read(source_notebook(assignment), 4)
    submit(course, "solution", assignment, source)
    submit(course, "blank", assignment, release)
    tampered = copy.deepcopy(release)
    for cell in grade_cells(tampered).values():
        cell.source = "pass"
    submit(course, "tamperer", assignment, tampered)
    careless = copy.deepcopy(source)
    tests = list(grade_cells(careless).values())
    careless.cells.remove(tests[0])
    del tests[-1].metadata["nbgrader"]
    submit(course, "careless", assignment, careless)
    variants = load_variants(assignment)
    warning = getattr(variants, "WARNING", [])
    if warning:
        codes = [(grade_id, variants.RIGHT[grade_id][name]) for grade_id, name in warning]
        submit(course, "warner", assignment, with_replacements(source, codes))
    nbgrader(course, "autograde", assignment, "--force")
    solution = scores(course, assignment, "solution")

    with subtests.test("the committed release is what nbgrader generates"):
        generated = course / "notebooks" / assignment / f"{assignment}.ipynb"
        assert generated.read_bytes() == release_notebook(assignment).read_bytes(), (
            "notebooks/ is stale: run `make release` and commit the result"
        )
    with subtests.test("the solution gets full marks"):
        assert len(solution) == len(grade_cells(source))
        assert all(score == maximum for score, maximum in solution.values()), solution
    with subtests.test("the unmodified release scores zero"):
        result = scores(course, assignment, "blank")
        assert result and all(score == 0 for score, _ in result.values()), result
    with subtests.test("edited test cells are restored"):
        result = scores(course, assignment, "tamperer")
        assert len(result) == len(solution)
        assert all(score == 0 for score, _ in result.values()), result
    with subtests.test("deleted or stripped test cells are restored"):
        # Colab lets students delete locked cells; a correct answer must still get its points
        assert scores(course, assignment, "careless") == solution
    with subtests.test("the graded solution has no grading hazards"):
        graded = course / "autograded" / "solution" / assignment / f"{assignment}.ipynb"
        nb = nbformat.read(graded, 4)
        assert grading_hazards(nb) == []
        errors = [
            o
            for c in nb.cells
            if c.cell_type == "code"
            for o in c.outputs
            if o.output_type == "error"
        ]
        assert errors == [], "the solution notebook raised while grading"
    with subtests.test("correct code that warns keeps full marks, the warning noted on stdout"):
        assert warning, f"{assignment}'s variants list no correct code that warns (WARNING)"
        assert scores(course, assignment, "warner") == solution
        graded = course / "autograded" / "warner" / assignment / f"{assignment}.ipynb"
        nb = nbformat.read(graded, 4)
        assert grading_hazards(nb) == []
        cells = grade_cells(nb)
        for grade_id, _ in warning:
            printed = "".join(
                o.get("text", "") for o in cells[grade_id].outputs if o.output_type == "stream"
            )
            assert "a warning costs no points" in printed, (grade_id, printed)
    with subtests.test("feedback hides the hidden tests"):
        nbgrader(course, "generate_feedback", assignment, "--student", "solution", "--force")
        page = (course / "feedback" / "solution" / assignment / f"{assignment}.html").read_text()
        assert_no_hidden_tests(page, source)


def assert_no_hidden_tests(page: str, source) -> None:
    """The feedback page shows the visible test code and none of the hidden test code."""
    text = html.unescape(re.sub(r"<[^>]+>", "", page))  # the code as a reader sees it
    assert "checks passed" in text and "HIDDEN TESTS" not in text
    visible, hidden, shown_text = [], [], ""
    for cell in grade_cells(source).values():
        shown, rest = cell.source.split("### BEGIN HIDDEN TESTS")
        secret, after = rest.split("### END HIDDEN TESTS")
        shown_text += shown + after
        visible += [line.strip() for line in (shown + after).splitlines() if len(line.strip()) > 30]
        hidden += [line.strip() for line in secret.splitlines() if len(line.strip()) > 30]
    # a hidden line that also stands in the visible code (a shared hint) proves nothing
    hidden = [line for line in hidden if line not in shown_text and "HIDDEN" not in line]
    assert hidden and all(line in text for line in visible)  # the search can find code
    leaked = [line for line in hidden if line in text]
    assert leaked == [], f"hidden test code in the feedback: {leaked[:3]}"
