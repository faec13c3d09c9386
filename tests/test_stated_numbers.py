"""Numbers the lessons and the README state that code, a configuration or a checkpoint's recipe
can check: stated times against the sections' times and the measured seconds per step, network
sizes against the configurations, and what a shipped checkpoint's recipe records.

Each test reads the text afresh, so editing a number in one place and not in the other fails.
"""

from __future__ import annotations

import re
import statistics

import nbformat
import numpy as np
import pytest
import torch
from nbtools import ASSIGNMENTS, ROOT, source_notebook

from helpers import bce, metrics, model_files, pretrained, progan
from helpers.data import load_mnist, to_unit_range
from helpers.mlp_gan import VanillaGANConfig
from helpers.progan import ProGANConfig
from helpers.wgan import WGANConfig

README = (ROOT / "README.md").read_text()
HEADER_TIME = re.compile(
    r"\*\*Time:\*\* about (?:(\d+) h(?:ours?)?(?: (\d+) min(?:utes)?)?|([\d.]+) hours?)\b"
)
SECTION_TIME = re.compile(r"^#{2,3} .*\((\d+) min\b", re.M)


def markdown(lesson: str) -> str:
    nb = nbformat.read(source_notebook(lesson), as_version=4)
    return "\n\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")


def flat(text: str) -> str:
    return " ".join(text.split())


def stated(pattern: str, text: str, where: str) -> re.Match:
    found = re.search(pattern, flat(text))
    assert found, f"{where} no longer says /{pattern}/: update the text or this test"
    return found


def number(text: str) -> float:
    return float(text.replace(",", ""))


def nearest(value: float, step: float) -> float:
    return step * round(value / step)


def recipe(name: str) -> dict:
    return model_files.read(name)["recipe"]


def header_minutes(text: str) -> int:
    found = HEADER_TIME.search(text)
    assert found, "the header has no `**Time:** about X h Y min` line"
    hours, mins, decimal = found.groups()
    return round(float(decimal) * 60) if decimal else int(hours) * 60 + int(mins or 0)


@pytest.mark.parametrize("lesson", ASSIGNMENTS)
def test_the_header_time_is_the_sum_of_the_sections_times(lesson):
    text = markdown(lesson)
    sections = [int(m) for m in SECTION_TIME.findall(text)]
    assert sections, f"{lesson}: no section heading states its time, e.g. `## 1 · Data (10 min)`"
    assert header_minutes(text) == sum(sections), (
        f"{lesson}: the header says {header_minutes(text)} min, the sections' times "
        f"{sections} add up to {sum(sections)} min"
    )


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("**Time:** about 1 h 55 min of reading", 115),
        ("**Time:** about 3 h of", 180),
        ("**Time:** about 2.5 hours.", 150),
        ("**Time:** about 3 hours 20 minutes of", 200),
        ("**Time:** about 2 hours, plus", 120),
    ],
)
def test_header_times_are_read_in_every_form(text, minutes):
    assert header_minutes(text) == minutes


def test_lesson_1_training_time_is_its_steps_times_the_measured_step():
    config = VanillaGANConfig()
    found = stated(
        r"about (\d+) minutes on a 2-core CPU \(([\d,]+) steps of about ([\d.]+) s and (\d+) "
        r"quality checks of about ([\d.]+) s",
        markdown("01-vanilla-gan"),
        "Lesson 1's header",
    )
    minutes, steps, step_s, checks, check_s = (number(g) for g in found.groups())
    assert steps == config.num_steps and checks == config.num_steps // config.log_every
    assert minutes == nearest((steps * step_s + checks * check_s) / 60, 5)


def test_lesson_3_cpu_training_time_is_its_runs_times_their_seconds_per_step():
    text = markdown("03-wgan")
    (minutes,) = stated(r"about (\d+) minutes on a 2-core CPU", text, "Lesson 3's header").groups()
    per_step = stated(
        r"Per generator step, BCE and LSGAN cost ([\d.]+) s, clipping ([\d.]+) s, spectral "
        r"normalisation ([\d.]+) s and the penalty ([\d.]+) s",
        text,
        "Lesson 3, section 7",
    )
    bce_or_lsgan, clip, spectral, penalty = (number(g) for g in per_step.groups())
    config = WGANConfig.for_device("cpu")
    seconds = (2 * bce_or_lsgan + clip + spectral + penalty) * config.num_steps
    seconds += clip * config.sweep_steps * len(config.sweep_values)  # the clipping sweep
    assert int(minutes) == nearest(seconds / 60, 5), f"the runs take {seconds / 60:.1f} min"


def test_lesson_3_states_the_network_widths_and_budget_of_the_configs():
    text = markdown("03-wgan")
    gpu, cpu = WGANConfig(), WGANConfig.for_device("cpu")
    widths = stated(r"(\d+) on a GPU, (\d+) on a CPU\b", text, "Lesson 3, section 1").groups()
    assert tuple(map(int, widths)) == (gpu.base_channels, cpu.base_channels)
    assert (
        "quarters the networks' width" in flat(text) and gpu.base_channels == 4 * cpu.base_channels
    )
    (steps,) = stated(
        r"quarters the networks' width and trains ([\d,]+) steps", text, "Lesson 3"
    ).groups()
    assert number(steps) == cpu.num_steps


def test_readme_states_the_cpu_networks_of_the_configs():
    (channels,) = stated(
        r'`WGANConfig.for_device\("cpu"\)` \((\d+) base channels\)',
        README,
        "the README's bench section",
    ).groups()
    assert int(channels) == WGANConfig.for_device("cpu").base_channels
    progan = ProGANConfig.for_device("cpu")
    widths, batch = stated(
        r'`ProGANConfig.for_device\("cpu"\)` \(channels ([\d, ]+); batch (\d+)\)',
        README,
        "the README's bench section",
    ).groups()
    assert tuple(int(w) for w in widths.split(",")) == progan.channels
    assert {int(batch)} == set(progan.batch_sizes)


def test_the_classifier_recipe_is_quoted_as_recorded():
    record = recipe("classifier")
    lesson = stated(
        r"train classifier`, (\d+) seconds on one CPU thread.*?, which classifies "
        r"([\d.]+) % of the other",
        markdown("03-wgan"),
        "Lesson 3, section 7",
    ).groups()
    row = stated(
        r"(\d+) epochs on the first (\d+) of each digit.*?, (\d+) s on 1 CPU thread, .*?"
        r"held-out accuracy ([\d.]+) %",
        README,
        "the README's checkpoint table",
    ).groups()
    accuracy = f"{100 * record['held_out_accuracy']:.1f}"
    assert (int(lesson[0]), lesson[1]) == (round(record["seconds"]), accuracy)
    assert (int(row[0]), int(row[2]), row[3]) == (
        record["config"]["epochs"],
        round(record["seconds"]),
        accuracy,
    )


def test_the_progan_recipe_is_quoted_as_recorded():
    record = recipe("progan")
    iterations, minutes = stated(
        r"for ([\d,]+) iterations \(`python -m helpers.pretrained train "
        r"progan`; (\d+) minutes on one CPU thread",
        markdown("04-progan"),
        "Lesson 4, section 5",
    ).groups()
    assert number(iterations) == record["iterations"]
    assert int(minutes) == round(record["seconds"] / 60)
    (row,) = stated(
        r"`progan.pt` \| G_ema, [^|]*?([\d,]+) iterations", README, "the README"
    ).groups()
    assert number(row) == record["iterations"]


def test_lesson_4_cpu_run_time_follows_from_the_recipes_seconds_per_iteration():
    """The short CPU run's iterations at each resolution, at the checkpoint's measured pace."""
    record = recipe("progan")
    shipped, cpu = record["config"], ProGANConfig.for_device("cpu")
    assert shipped["batch_sizes"] == list(cpu.batch_sizes)  # the same pace per iteration
    # the recipe names the phases as ProGANConfig did when it was written
    fade = shipped.get("fade_iterations", shipped.get("fade_steps"))
    stable = shipped.get("stable_iterations", shipped.get("stable_steps"))
    seconds = 0.0
    for stage, measured in enumerate(record["seconds_per_resolution"]):
        per_iteration = measured["seconds"] / (fade[stage] + stable[stage])
        seconds += per_iteration * (cpu.fade_iterations[stage] + cpu.stable_iterations[stage])
    (minutes,) = stated(
        r"on a 2-core CPU a short run of about (\d+) minutes",
        markdown("04-progan"),
        "Lesson 4's header",
    ).groups()
    assert int(minutes) == nearest(seconds / 60, 5), f"the run takes {seconds / 60:.1f} min"


def test_the_readme_quotes_the_stylegan_recipe():
    record = recipe("stylegan")
    iterations, seconds = stated(
        r"`stylegan.pt` \| [^|]*?([\d,]+) iterations at 32x32[^|]*?([\d,]+) s "
        r"on 1 CPU thread",
        README,
        "the README's checkpoint table",
    ).groups()
    assert (number(iterations), number(seconds)) == (record["iterations"], round(record["seconds"]))


def floors(features, n: int, draws: int = 20) -> list[float]:
    """Fréchet distances of ``draws`` pairs of disjoint sets of ``n``, drawn as real_floor draws."""
    found = []
    for seed in range(draws):
        order = torch.randperm(len(features), generator=torch.Generator().manual_seed(seed))
        found.append(fd(features[order[n : 2 * n]], features[order[:n]]))
    return found


def fd(a, b) -> float:
    return metrics.frechet_distance(
        *metrics.feature_statistics(a), *metrics.feature_statistics(b)
    ).item()


def mean_sd(values: list[float]) -> str:
    return f"{statistics.mean(values):.1f} ± {statistics.stdev(values):.1f}"


@pytest.mark.slow
def test_the_frechet_floors_the_lessons_quote_are_what_the_metrics_give():
    """Lesson 3's floors over 20 draws, Lesson 1's single floor among them, the cost of the
    classifier's training digits serving as real digits, and ProGAN scored both ways."""
    text = flat(markdown("03-wgan"))
    digits, _ = load_mnist(verbose=False)
    real = to_unit_range(digits)
    every = metrics.features(real)
    readme = flat(README)
    for n in (500, 1000, 2000):
        assert f"{mean_sd(floors(every, n))} at $n$ = {n:,}" in text, f"the floor at n = {n}"
        assert f"{mean_sd(floors(every, n))} at {'`n` = ' if n == 500 else ''}{n:,}" in readme
    at_1000 = floors(every, 1000)
    assert max(at_1000) == at_1000[0]  # real_floor's default seed 0 is the highest draw
    assert (
        f"Lesson 1's floor of {at_1000[0]:.1f} ($n$ = 1,000, the highest of those 20 draws)" in text
    )
    lesson_1 = flat(markdown("01-vanilla-gan"))
    assert f"floor {at_1000[0]:.1f})" in lesson_1
    assert f"where it averages {statistics.mean(floors(every, 2000)):.1f}." in lesson_1
    spread = f"{min(at_1000):.1f} to {max(at_1000):.1f} (mean {statistics.mean(at_1000):.1f})"
    assert f"ranged from {spread}" in lesson_1
    train, _, held, _ = metrics.digits_split()
    trained_on, held_out = metrics.features(train), metrics.features(held)
    both_trained = floors(trained_on, 1000)
    held_vs_trained = []
    for seed in range(20):
        order = torch.randperm(len(trained_on), generator=torch.Generator().manual_seed(seed))
        held_vs_trained.append(fd(held_out, trained_on[order[:1000]]))
    assert f"({mean_sd(both_trained)} at $n$ = 1,000, 20 draws)" in text
    assert f"held-out digits lie from its training digits ({mean_sd(held_vs_trained)})" in text
    assert f"training digits are {mean_sd(both_trained)} apart" in readme
    assert f"held-out digits {mean_sd(held_vs_trained)} from its training digits" in readme
    with torch.no_grad():
        fake = progan.generate(pretrained.load("progan"), 1000, seed=1)
    mixed = metrics.real_floor(real, 1000)[1]
    against_held, against_mixed = metrics.evaluate(fake, held), metrics.evaluate(fake, mixed)
    expected = (
        f"ProGAN scored {against_held.frechet:.1f} against the 1,000 held-out digits "
        f"and {against_mixed.frechet:.1f} against the usual mixed reference"
    )
    assert expected in text
    assert (
        f"ProGAN scores {against_held.frechet:.1f} against the held-out digits and "
        f"{against_mixed.frechet:.1f} against the usual mixed reference" in readme
    )


def test_lesson_2_says_where_the_jsd_of_two_bumps_nears_log_2():
    """The first shifts on the slider's 0.1 grid where the JSD is within 1% and 0.02% of log 2."""
    found = stated(
        r"with bumps of standard deviation ([\d.]+) it is within 1% of \$\\log 2\$ at a shift of "
        r"([\d.]+) \(six standard deviations\) and within 0.02% at ([\d.]+)\.",
        markdown("02-bce-limits"), "Lesson 2, section 2",
    )  # fmt: skip
    std, near, nearer = (number(g) for g in found.groups())
    assert near == 6 * std
    code = nbformat.read(source_notebook("02-bce-limits"), as_version=4).cells
    (grid,) = [re.search(r"^grid = np.linspace\(([-\d.]+), ([-\d.]+), (\d+)\)", c.source, re.M)
               for c in code if "grid = np.linspace(" in c.source]  # fmt: skip
    grid = np.linspace(float(grid[1]), float(grid[2]), int(grid[3]))  # the experiment's outcomes

    def gap(shift: float) -> float:
        bumps = [np.exp(-0.5 * ((grid - c) / std) ** 2) for c in (0.0, shift)]
        return 1 - bce.js_divergence(*(b / b.sum() for b in bumps)) / np.log(2)

    assert gap(near) < 0.01 <= gap(near - 0.1)
    assert gap(nearer) < 0.0002 <= gap(nearer - 0.1)
