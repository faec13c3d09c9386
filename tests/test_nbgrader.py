"""nbgrader round trips, for every assignment: the release is current, and autograding scores
what it should.

Each assignment gets its own throw-away course that generates the release and autogrades four
submissions in one batch (four notebook executions per lesson): the master solution (full
marks), the untouched release (zero on every test cell, no crash), a release whose test cells
were gutted (still zero), and a correct solution with one test cell deleted and another
stripped of its metadata (full marks: nbgrader restores both). The tests of one assignment run
on one xdist worker (see conftest.py), so two workers share the lessons.
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
    make_course,
    nbgrader,
    release_notebook,
    scores,
    source_notebook,
    submit,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded(request, tmp_path_factory):
    """(course folder, assignment) after generate_assignment and one autograde batch."""
    assignment = request.param
    course = make_course(tmp_path_factory.mktemp(f"nbgrader-{assignment}"), assignment)
    nbgrader(course, "generate_assignment", assignment, "--force")
    release = nbformat.read(course / "notebooks" / assignment / f"{assignment}.ipynb", 4)
    submit(course, "solution", assignment, nbformat.read(source_notebook(assignment), 4))
    submit(course, "blank", assignment, release)
    tampered = copy.deepcopy(release)
    for cell in grade_cells(tampered).values():
        cell.source = "pass"
    submit(course, "tamperer", assignment, tampered)
    careless = nbformat.read(source_notebook(assignment), 4)
    tests = list(grade_cells(careless).values())
    careless.cells.remove(tests[0])
    del tests[-1].metadata["nbgrader"]
    submit(course, "careless", assignment, careless)
    nbgrader(course, "autograde", assignment, "--force")
    return course, assignment


def test_release_is_what_nbgrader_generates(graded):
    course, assignment = graded
    assert release_notebook(assignment).exists(), f"notebooks/{assignment} is missing"
    generated = course / "notebooks" / assignment / f"{assignment}.ipynb"
    assert generated.read_bytes() == release_notebook(assignment).read_bytes(), (
        "notebooks/ is stale: run `make release` and commit the result"
    )


def test_solution_gets_full_marks(graded):
    course, assignment = graded
    result = scores(course, assignment, "solution")
    assert len(result) == len(grade_cells(nbformat.read(source_notebook(assignment), 4)))
    assert all(score == maximum for score, maximum in result.values()), result


def test_unmodified_release_scores_zero(graded):
    course, assignment = graded
    result = scores(course, assignment, "blank")
    assert result and all(score == 0 for score, _ in result.values()), result


def test_edited_test_cells_are_restored(graded):
    course, assignment = graded
    result = scores(course, assignment, "tamperer")
    assert len(result) == len(scores(course, assignment, "solution"))
    assert all(score == 0 for score, _ in result.values()), result


def test_deleted_or_stripped_test_cells_are_restored(graded):
    """Colab lets students delete locked cells; a correct answer must still get its points."""
    course, assignment = graded
    assert scores(course, assignment, "careless") == scores(course, assignment, "solution")


def test_graded_solution_has_no_hazards(graded):
    course, assignment = graded
    nb = nbformat.read(course / "autograded" / "solution" / assignment / f"{assignment}.ipynb", 4)
    assert grading_hazards(nb) == []
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert errors == [], "the solution notebook raised while grading"


def test_feedback_hides_hidden_tests(graded):
    course, assignment = graded
    nbgrader(course, "generate_feedback", assignment, "--student", "solution", "--force")
    page = (course / "feedback" / "solution" / assignment / f"{assignment}.html").read_text()
    text = html.unescape(re.sub(r"<[^>]+>", "", page))  # the code as a reader sees it
    assert "checks passed" in text and "HIDDEN TESTS" not in text
    visible, hidden = [], []
    for cell in grade_cells(nbformat.read(source_notebook(assignment), 4)).values():
        shown, rest = cell.source.split("### BEGIN HIDDEN TESTS")
        secret, after = rest.split("### END HIDDEN TESTS")
        shown += after
        visible += [line.strip() for line in shown.splitlines() if len(line.strip()) > 30]
        hidden += [line.strip() for line in secret.splitlines() if len(line.strip()) > 30]
    hidden = [line for line in hidden if line not in visible and "HIDDEN" not in line]
    assert hidden and all(line in text for line in visible)  # the search can find code
    leaked = [line for line in hidden if line in text]
    assert leaked == [], f"hidden test code in the feedback: {leaked[:3]}"
