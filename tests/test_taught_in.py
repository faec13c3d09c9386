"""Every "Taught in" tag of a helpers docstring names a lesson, section, exercise or heading
that exists in that lesson's master notebook.

A tag reads ``<lesson>, section N`` (or ``sections N and M``, ``exercise N``, ``setup cell``,
``every test cell``), optionally followed by a parenthesis; a parenthesis after a section with no
lesson name, colon or comma in it names a heading of that section: ``section 5 (Why is it fast?)``.

The notebooks are read afresh: renumbering a section or an exercise breaks the tags that point
at the old number, and this test says which.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cache

import nbformat
import pytest
from nbtools import ASSIGNMENTS, ROOT, source_notebook

LESSON = re.compile(r"\b\d\d-[a-z][a-z0-9-]*\b")
NUMBERS = r"\d+(?:(?:,\s*|,?\s+and\s+)\d+)*"
WHERE = re.compile(
    r",\s*(?P<where>setup cell|every test cell|"
    rf"(?P<kind>sections?|exercises?)\s+(?P<numbers>{NUMBERS}))"
    r"(?:\s*\((?P<paren>[^()]*)\))?"
)
SECTION = re.compile(r"^## (\d+) · ", re.M)
EXERCISE = re.compile(r"^### Exercise (\d+) · ", re.M)
HEADING = re.compile(r"^#{2,4} (?:\d+ · )?(.+?)(?: \([^()]*\))?$", re.M)


@dataclass
class Outline:
    """What a master notebook offers to point at."""

    sections: set[int] = field(default_factory=set)
    exercises: set[int] = field(default_factory=set)
    headings: dict[int, set[str]] = field(default_factory=dict)  # section -> heading titles
    has_setup: bool = False
    has_tests: bool = False


def outline_of(nb) -> Outline:
    found = Outline()
    section = 0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code":
            found.has_setup |= meta.get("grade_id") == "setup"
            found.has_tests |= bool(meta.get("grade")) and not meta.get("solution")
            continue
        for line in cell.source.splitlines():
            if number := SECTION.match(line):
                section = int(number[1])
                found.sections.add(section)
            if number := EXERCISE.match(line):
                found.exercises.add(int(number[1]))
            if title := HEADING.match(line):
                found.headings.setdefault(section, set()).add(title[1])
    return found


@cache
def outline(lesson: str) -> Outline:
    return outline_of(nbformat.read(source_notebook(lesson), as_version=4))


def numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


def tag_problems(tag: str, lessons=ASSIGNMENTS, outline_for=outline) -> list[str]:
    """What is wrong with one tag (the text after "Taught in:"); [] when every reference holds."""
    tag = " ".join(tag.split())
    problems = []
    if not LESSON.match(tag):
        problems.append("does not start with a lesson (e.g. `03-wgan, section 7.`)")
    if not tag.endswith("."):
        problems.append("does not end with a full stop")
    for lesson in LESSON.finditer(tag):
        name = lesson[0]
        if name not in lessons:
            problems.append(f"{name}: no such lesson in solutions/")
            continue
        rest = tag[lesson.end() :]
        where = WHERE.match(rest)
        if where is None:
            if not re.match(r"\s*[).;]", rest):
                problems.append(f"{name}: unreadable place {rest[:30]!r}")
            continue
        found = outline_for(name)
        if where["where"] == "setup cell" and not found.has_setup:
            problems.append(f"{name}: no setup cell")
        if where["where"] == "every test cell" and not found.has_tests:
            problems.append(f"{name}: no test cells")
        if where["kind"]:
            kind = "section" if where["kind"].startswith("section") else "exercise"
            have = found.sections if kind == "section" else found.exercises
            for number in numbers(where["numbers"]):
                if number not in have:
                    problems.append(f"{name}: no {kind} {number} (has {sorted(have)})")
            heading = where["paren"]
            if kind == "section" and heading and not re.search(rf"{LESSON.pattern}|[:,]", heading):
                (number,) = numbers(where["numbers"])
                if heading not in found.headings.get(number, set()):
                    problems.append(f"{name}: no heading {heading!r} in section {number}")
    return problems


def tags() -> list[tuple[str, str]]:
    """(where, tag text) of every "Taught in" line in helpers' docstrings."""
    found = []
    for path in sorted((ROOT / "helpers").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef):
                continue
            doc = ast.get_docstring(node) or ""
            _, marker, tag = doc.partition("Taught in:")
            if marker:
                name = getattr(node, "name", "module")
                found.append((f"{path.relative_to(ROOT)}:{name}", tag.strip()))
    return found


TAGS = tags()


def test_the_scan_finds_the_tags():
    assert len(TAGS) > 100, f"only {len(TAGS)} Taught in tags found in helpers"
    untaught = set(ASSIGNMENTS) - {lesson for _, tag in TAGS for lesson in LESSON.findall(tag)}
    assert not untaught, f"no helper says it is taught in {sorted(untaught)}"


def test_every_tag_points_at_a_place_that_exists():
    broken = [f"{where}: {problem}" for where, tag in TAGS for problem in tag_problems(tag)]
    assert broken == [], "Taught in tags that point nowhere:\n" + "\n".join(broken)


FAKE = Outline(sections={1, 2, 5}, exercises={1, 2, 3}, headings={5: {"Why is it fast?"}},
               has_setup=True, has_tests=True)  # fmt: skip


@pytest.mark.parametrize(
    "tag",
    [
        "01-vanilla-gan, section 6.",  # a section the notebook lacks
        "01-vanilla-gan, exercise 4.",  # an exercise it lacks
        "01-vanilla-gan, exercises 3 and 4.",  # one of two
        "01-vanilla-gan, sections 1, 2 and 3.",
        "01-vanilla-gan, section 5 (Why is it slow?).",  # a heading that is not there
        "01-vanilla-gan, section 2 (Why is it fast?).",  # there, but in another section
        "07-diffusion, section 1.",  # no such lesson
        "01-vanilla-gan, section five.",  # unreadable
        "01-vanilla-gan, section 1 (02-bce-limits, section 9).",  # nested reference
        "section 1 of 01-vanilla-gan.",  # no lesson first
        "01-vanilla-gan, section 1",  # no full stop
    ],
)
def test_a_wrong_tag_is_caught(tag):
    lessons = ("01-vanilla-gan", "02-bce-limits")
    assert tag_problems(tag, lessons, lambda _: FAKE) != []


@pytest.mark.parametrize(
    "tag",
    [
        "01-vanilla-gan, section 5 (Why is it fast?).",
        "01-vanilla-gan, exercises 1, 2 and 3.",
        "01-vanilla-gan, setup cell.",
        "01-vanilla-gan, every test cell (through checks.call).",
        "01-vanilla-gan, exercise 2 (loss arguments: 02-bce-limits, section 1).",
        "01-vanilla-gan, section 1 (02-bce-limits, section 2; 01-vanilla-gan).",
    ],
)
def test_a_right_tag_passes(tag):
    lessons = ("01-vanilla-gan", "02-bce-limits")
    assert tag_problems(tag, lessons, lambda _: FAKE) == []


def test_the_outline_reads_sections_exercises_and_headings():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("## 1 · Data (10 min)\n\n### Exercise 1 · Noise (1 point)"),
        nbformat.v4.new_markdown_cell("## 2 · Training (30 min)\n### Why is it fast? (10 min)"),
    ]
    found = outline_of(nb)
    assert (found.sections, found.exercises) == ({1, 2}, {1})
    assert "Why is it fast?" in found.headings[2] and "Data" in found.headings[1]
