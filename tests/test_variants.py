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
    nbgrader_meta,
    release_notebook,
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
    cells = nbformat.read(release_notebook(assignment), as_version=4).cells
    index = next(i for i, c in enumerate(cells) if nbgrader_meta(c).get("grade_id") == test_id)
    return next(c.source for c in reversed(cells[:index]) if nbgrader_meta(c).get("solution"))


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


def test_warning_in_a_correct_solution_fails_the_cell():
    """nbgrader scores a test cell with stderr output 0; the runner must see that too."""
    noisy = (
        "import warnings\n"
        "def generator_loss(fake_logits):\n"
        "    warnings.warn('something looks odd')\n"
        "    return F.softplus(-fake_logits).mean()\n"
    )
    outcome = runner("01-vanilla-gan").run("test_generator_loss", noisy)
    assert not outcome.passed and "warning" in outcome.error
