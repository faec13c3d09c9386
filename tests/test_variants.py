"""Wrong-but-plausible implementations lose points; correct alternatives keep full marks.

Each exercise's test cell (visible and hidden tests) runs in-process against every variant in
``tests/variants/vanilla_gan.py``, after the notebook's setup and solution cells, exactly as the
grading kernel would run it.
"""

import pytest
from nbtools import ExerciseRunner
from variants import vanilla_gan

RUNNER = ExerciseRunner("01-vanilla-gan")
WRONG = [(g, name) for g, variants in vanilla_gan.WRONG.items() for name in variants]
RIGHT = [(g, name) for g, variants in vanilla_gan.RIGHT.items() for name in variants]


def test_every_exercise_has_variants():
    for grade_id in RUNNER.tests:
        assert len(vanilla_gan.WRONG.get(grade_id, {})) >= 3, (
            f"{grade_id}: fewer than 3 wrong variants"
        )
        assert len(vanilla_gan.RIGHT.get(grade_id, {})) >= 3, (
            f"{grade_id}: fewer than 3 right variants"
        )
    assert set(vanilla_gan.WRONG) == set(RUNNER.tests) == set(vanilla_gan.RIGHT)


@pytest.mark.parametrize("grade_id", sorted(RUNNER.tests))
def test_master_solution_passes(grade_id):
    outcome = RUNNER.run(grade_id)
    assert outcome.passed, outcome.error


@pytest.mark.parametrize("grade_id", sorted(RUNNER.tests))
def test_unimplemented_stub_fails(grade_id):
    """The release's stub (raise NotImplementedError) earns nothing."""
    name = {"test_generator": "Generator", "test_discriminator": "Discriminator"}.get(
        grade_id, grade_id.removeprefix("test_")
    )
    assert name in RUNNER.tests[grade_id].source
    body = "(*args, **kwargs):\n        raise NotImplementedError()\n"
    is_class = name[0].isupper()
    stub = f"class {name}(nn.Module):\n    def __init__{body}" if is_class else f"def {name}{body}"
    outcome = RUNNER.run(grade_id, stub)
    assert not outcome.passed and "NotImplementedError" in outcome.error


@pytest.mark.parametrize(("grade_id", "name"), WRONG, ids=[f"{g}-{n}" for g, n in WRONG])
def test_wrong_variant_is_rejected(grade_id, name):
    outcome = RUNNER.run(grade_id, vanilla_gan.WRONG[grade_id][name])
    assert not outcome.passed, f"{grade_id} accepted the wrong variant '{name}'"
    # the student sees an expected/found message, not a bare error
    explained = outcome.error.startswith("CheckFailure") and "expected:" in outcome.error
    assert explained or "course's reference" in outcome.error, outcome.error


@pytest.mark.parametrize(("grade_id", "name"), RIGHT, ids=[f"{g}-{n}" for g, n in RIGHT])
def test_right_variant_is_accepted(grade_id, name):
    outcome = RUNNER.run(grade_id, vanilla_gan.RIGHT[grade_id][name])
    assert outcome.passed, f"{grade_id} rejected the correct variant '{name}': {outcome.error}"


def test_warning_in_a_correct_solution_fails_the_cell():
    """nbgrader scores a test cell with stderr output 0; the runner must see that too."""
    noisy = (
        "import warnings\n"
        "def generator_loss(fake_logits):\n"
        "    warnings.warn('something looks odd')\n"
        "    return F.softplus(-fake_logits).mean()\n"
    )
    outcome = RUNNER.run("test_generator_loss", noisy)
    assert not outcome.passed and "warning" in outcome.error


@pytest.mark.parametrize(
    ("grade_id", "broken", "user"),
    [
        ("test_train_step", ("test_generator_loss", "sign flipped"), None),
        ("test_train_step", ("test_discriminator_loss", "targets swapped"), None),
        (
            "test_generate",
            ("test_sample_noise", "uniform instead of normal"),
            "uses the student's sample_noise after seeding",
        ),
    ],
)
def test_an_earlier_mistake_does_not_cost_points_twice(grade_id, broken, user):
    """The hidden tests swap in the references for earlier exercises while they run."""
    code = vanilla_gan.WRONG[broken[0]][broken[1]]
    if user:
        code += vanilla_gan.RIGHT[grade_id][user]
    outcome = RUNNER.run(grade_id, code)
    assert outcome.passed, outcome.error
