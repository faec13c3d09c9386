"""Wrong-but-plausible implementations lose points; correct alternatives keep full marks.

For every assignment in ``solutions/``, each exercise's test cell (visible and hidden tests) runs
in-process against every variant in ``tests/variants/<reference module>.py``, after the
notebook's setup and solution cells, exactly as the grading kernel would run it.
"""

import functools

import nbformat
import pytest
from nbtools import (
    ASSIGNMENTS,
    ExerciseRunner,
    load_variants,
    release_notebook,
    solution_cell_before,
    variants_file,
)

# about 500 exercise runs, over two minutes of CPU: `make test` runs them, `make test-fast` not
pytestmark = pytest.mark.slow

MIN_VARIANTS = 3


@functools.cache
def runner(assignment: str, release: bool = False) -> ExerciseRunner:
    return ExerciseRunner(assignment, release=release)


def _cases(kind: str) -> list[tuple[str, str, str]]:
    return [
        (assignment, grade_id, name)
        for assignment in ASSIGNMENTS
        if variants_file(assignment).exists()
        for grade_id, variants in getattr(load_variants(assignment), kind).items()
        for name in variants
    ]


def _ids(cases: list[tuple]) -> list[str]:
    return ["-".join(str(part) for part in case) for case in cases]


WRONG, RIGHT = _cases("WRONG"), _cases("RIGHT")
EXERCISES = [(a, g) for a in ASSIGNMENTS for g in sorted(runner(a).tests)]
INDEPENDENT = [
    (assignment, *case)
    for assignment in ASSIGNMENTS
    if variants_file(assignment).exists()
    for case in getattr(load_variants(assignment), "INDEPENDENT", [])
]
WARNING = [
    (assignment, *case)
    for assignment in ASSIGNMENTS
    if variants_file(assignment).exists()
    for case in getattr(load_variants(assignment), "WARNING", [])
]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_lesson_has_a_variants_file(assignment):
    path = variants_file(assignment)
    assert path.exists(), f"{assignment} has no variants file tests/variants/{path.name}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_exercise_has_enough_variants(assignment):
    variants = load_variants(assignment)
    tests = runner(assignment).tests
    assert set(variants.WRONG) == set(tests) == set(variants.RIGHT)
    for grade_id in tests:
        assert len(variants.WRONG[grade_id]) >= MIN_VARIANTS, f"{grade_id}: too few wrong variants"
        assert len(variants.RIGHT[grade_id]) >= MIN_VARIANTS, f"{grade_id}: too few right variants"


@pytest.mark.parametrize(("assignment", "grade_id"), EXERCISES, ids=_ids(EXERCISES))
def test_master_solution_passes(assignment, grade_id):
    outcome = runner(assignment).run(grade_id)
    assert outcome.passed, outcome.error


@pytest.mark.parametrize(("assignment", "grade_id"), EXERCISES, ids=_ids(EXERCISES))
def test_release_stub_fails(assignment, grade_id):
    """The student release's code (stubs that raise NotImplementedError) earns nothing."""
    outcome = runner(assignment, release=True).run(grade_id)
    assert not outcome.passed and "NotImplementedError" in outcome.error, outcome.error


@pytest.mark.parametrize(("assignment", "grade_id", "name"), WRONG, ids=_ids(WRONG))
def test_wrong_variant_is_rejected(assignment, grade_id, name):
    outcome = runner(assignment).run(grade_id, load_variants(assignment).WRONG[grade_id][name])
    assert not outcome.passed, f"{grade_id} accepted the wrong variant '{name}'"
    # the student sees an expected/found message, not a bare error
    explained = outcome.error.startswith("CheckFailure") and "expected:" in outcome.error
    assert explained or "course's reference" in outcome.error, outcome.error


@pytest.mark.parametrize(("assignment", "grade_id", "name"), RIGHT, ids=_ids(RIGHT))
def test_right_variant_is_accepted(assignment, grade_id, name):
    outcome = runner(assignment).run(grade_id, load_variants(assignment).RIGHT[grade_id][name])
    assert outcome.passed, f"{grade_id} rejected the correct variant '{name}': {outcome.error}"


@pytest.mark.parametrize(
    ("assignment", "grade_id", "broken", "user"), INDEPENDENT, ids=_ids(INDEPENDENT)
)
def test_an_earlier_mistake_does_not_cost_points_twice(assignment, grade_id, broken, user):
    """The hidden tests swap in the references for earlier exercises while they run."""
    variants = load_variants(assignment)
    code = variants.WRONG[broken[0]][broken[1]]
    if user:
        code += variants.RIGHT[grade_id][user]
    outcome = runner(assignment).run(grade_id, code)
    assert outcome.passed, outcome.error


@functools.cache
def _stub_before(assignment: str, test_id: str) -> str:
    """The student release's stub of the exercise that ``test_id`` grades (the solution cell
    just above it), which raises NotImplementedError."""
    release = nbformat.read(release_notebook(assignment), as_version=4)
    return solution_cell_before(release, test_id).source


@pytest.mark.parametrize(
    ("assignment", "grade_id", "broken", "user"), INDEPENDENT, ids=_ids(INDEPENDENT)
)
def test_an_unfinished_earlier_exercise_does_not_cost_points_twice(
    assignment, grade_id, broken, user
):
    """An earlier exercise left as the release's stub (it raises, returns nothing usable) must
    not fail a later exercise's visible or hidden tests."""
    code = _stub_before(assignment, broken[0])
    if user:
        code += "\n" + load_variants(assignment).RIGHT[grade_id][user]
    outcome = runner(assignment).run(grade_id, code)
    assert outcome.passed, outcome.error


@pytest.mark.parametrize(("assignment", "grade_id", "name"), WARNING, ids=_ids(WARNING))
def test_a_warning_costs_a_correct_answer_nothing(assignment, grade_id, name):
    """A correct variant whose code warns while checked keeps its points; the warning is noted
    on stdout, never written to stderr (where nbgrader would score the cell 0)."""
    outcome = runner(assignment).run(grade_id, load_variants(assignment).RIGHT[grade_id][name])
    assert outcome.passed, outcome.error
    assert "a warning costs no points" in outcome.output, outcome.output


def test_a_warning_inside_the_checks_keeps_the_points():
    noisy = (
        "import warnings\n"
        "def generator_loss(fake_logits):\n"
        "    warnings.warn('something looks odd')\n"
        "    return F.softplus(-fake_logits).mean()\n"
    )
    outcome = runner("01-vanilla-gan").run("test_generator_loss", noisy)
    assert outcome.passed, outcome.error
    assert "generator_loss warned (UserWarning: something looks odd)" in outcome.output


def test_a_warning_outside_the_checks_fails_the_cell():
    """nbgrader scores a test cell with stderr output 0; the runner must see that too."""
    noisy = ExerciseRunner("01-vanilla-gan")
    noisy.tests = {"noisy": nbformat.v4.new_code_cell("import warnings\nwarnings.warn('odd')")}
    outcome = noisy.run("noisy")
    assert not outcome.passed and "warning" in outcome.error
