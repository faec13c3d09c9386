"""nbgrader round trips: the release is current, and autograding scores what it should.

One throw-away course generates the release and autogrades four submissions: the master
solution (full marks), the untouched release (zero on every test cell, no crash), a release
whose test cells were gutted (still zero), and a correct solution with one test cell deleted and
another stripped of its metadata (full marks: nbgrader restores both).
"""

import copy

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
ASSIGNMENT = ASSIGNMENTS[0]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("nbgrader"))
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    release = nbformat.read(course / "notebooks" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    submit(course, "solution", ASSIGNMENT, nbformat.read(source_notebook(ASSIGNMENT), 4))
    submit(course, "blank", ASSIGNMENT, release)
    tampered = copy.deepcopy(release)
    for cell in grade_cells(tampered).values():
        cell.source = "pass"
    submit(course, "tamperer", ASSIGNMENT, tampered)
    careless = nbformat.read(source_notebook(ASSIGNMENT), 4)
    tests = list(grade_cells(careless).values())
    careless.cells.remove(tests[0])
    del tests[1].metadata["nbgrader"]
    submit(course, "careless", ASSIGNMENT, careless)
    nbgrader(course, "autograde", ASSIGNMENT, "--force")
    return course


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_what_nbgrader_generates(course, assignment):
    generated = course / "notebooks" / assignment / f"{assignment}.ipynb"
    assert generated.read_bytes() == release_notebook(assignment).read_bytes(), (
        "notebooks/ is stale: run `make release` and commit the result"
    )


def test_solution_gets_full_marks(course):
    result = scores(course, ASSIGNMENT, "solution")
    assert len(result) == len(grade_cells(nbformat.read(source_notebook(ASSIGNMENT), 4)))
    assert all(score == maximum for score, maximum in result.values()), result


def test_unmodified_release_scores_zero(course):
    result = scores(course, ASSIGNMENT, "blank")
    assert result and all(score == 0 for score, _ in result.values()), result


def test_edited_test_cells_are_restored(course):
    result = scores(course, ASSIGNMENT, "tamperer")
    assert len(result) == len(scores(course, ASSIGNMENT, "solution"))
    assert all(score == 0 for score, _ in result.values()), result


def test_deleted_or_stripped_test_cells_are_restored(course):
    """Colab lets students delete locked cells; a correct answer must still get its points."""
    result = scores(course, ASSIGNMENT, "careless")
    assert result == scores(course, ASSIGNMENT, "solution")


def test_graded_solution_has_no_hazards(course):
    graded = course / "autograded" / "solution" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    nb = nbformat.read(graded, 4)
    assert grading_hazards(nb) == []
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert errors == [], "the solution notebook raised while grading"


def test_feedback_hides_hidden_tests(course):
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--student", "solution", "--force")
    html = (course / "feedback" / "solution" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "checks passed" in html
    assert "_run_steps" not in html and "HIDDEN TESTS" not in html
