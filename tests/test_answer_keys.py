"""The instructors' answer keys: one per lesson that ends with discussion questions, one answer
per question (the questions are read from the notebook), and never in a student release.

Keys live in ``solutions/answer-keys/NN-slug.md``, outside every assignment folder: nbgrader's
``generate_assignment`` copies an assignment folder's files into the release, so a key placed
beside a master notebook would reach the students.
"""

from __future__ import annotations

import re
import shutil

import nbformat
import pytest
from nbtools import ASSIGNMENTS, ROOT, discover_assignments, make_course, nbgrader, source_notebook

KEYS = ROOT / "solutions" / "answer-keys"
MARKER = "answer key for instructors"  # every key's title says it; no release file may
QUESTIONS = re.compile(r"^##\s+(?:\d+ · )?Questions\b", re.M)
ITEM = re.compile(r"^(\d+)\.\s+(.*)$")
# an entry is a heading "## Q3. <the question's text>" or a bold line "**Q3. <a short title>**"
ENTRY = re.compile(r"^(?:## Q(\d+)\.\s+(.+)|\*\*Q(\d+)\.\s+(.+?)\*\*)$", re.M)
GOOD_ANSWER = "**A good answer"


def flat(text: str) -> str:
    return " ".join(text.split())


def questions_of(nb) -> list[str]:
    """The numbered questions of the notebook's "Questions" section, as one line each."""
    for cell in nb.cells:
        heading = QUESTIONS.search(cell.source) if cell.cell_type == "markdown" else None
        if heading is None:
            continue
        found: list[str] = []
        for line in cell.source[heading.end() :].splitlines()[1:]:
            if line.startswith("#"):
                break
            if item := ITEM.match(line):
                assert int(item[1]) == len(found) + 1, f"question {item[1]} out of order"
                found.append(item[2])
            elif found and line.startswith("   "):
                found[-1] += " " + line.strip()
        return [flat(q) for q in found]
    return []


def entries_of(key: str) -> list[tuple[int, str, str, str]]:
    """(number, kind, title, answer) of each question a key answers (kind: "heading", "bold")."""
    found = []
    matches = list(ENTRY.finditer(key))
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        answer = key[match.end() : following.start() if following else len(key)]
        if match[1]:
            found.append((int(match[1]), "heading", flat(match[2]), answer))
        else:
            found.append((int(match[3]), "bold", flat(match[4]), answer))
    return found


def key_problems(questions: list[str], key: str) -> list[str]:
    """What keeps ``key`` from answering ``questions``, one per question; [] when it does."""
    problems = []
    first_line = key.strip().splitlines()[0] if key.strip() else ""
    if MARKER not in first_line:
        problems.append(f"the title (first line) does not say {MARKER!r}")
    entries = entries_of(key)
    numbers = [number for number, *_ in entries]
    if numbers != list(range(1, len(questions) + 1)):
        problems.append(f"answers {numbers}, the notebook asks questions 1 to {len(questions)}")
    for number, kind, title, answer in entries:
        if len(flat(answer)) < 300:
            problems.append(f"Q{number}: an answer of {len(flat(answer))} characters")
        if kind == "heading" and number <= len(questions):
            if title != questions[number - 1]:
                problems.append(f"Q{number}: the heading is not the notebook's question {number}")
            if GOOD_ANSWER not in answer:
                problems.append(f"Q{number}: no `{GOOD_ANSWER} ...` paragraph")
    return problems


def lessons_with_questions() -> list[str]:
    return [a for a in ASSIGNMENTS if questions_of(nbformat.read(source_notebook(a), as_version=4))]


@pytest.mark.parametrize("lesson", lessons_with_questions())
def test_each_lesson_with_questions_has_a_key_answering_each_one(lesson):
    questions = questions_of(nbformat.read(source_notebook(lesson), as_version=4))
    key = KEYS / f"{lesson}.md"
    assert key.is_file(), f"{lesson} asks {len(questions)} questions and has no {key}"
    assert key_problems(questions, key.read_text()) == []


def test_the_first_five_lessons_ask_questions():
    assert {"01-vanilla-gan", "02-bce-limits", "03-wgan", "04-progan", "05-stylegan"} <= set(
        lessons_with_questions()
    )


def test_every_key_belongs_to_a_lesson():
    for key in KEYS.glob("*"):
        assert key.suffix == ".md" and key.stem in ASSIGNMENTS, f"{key.name} names no lesson"


QUESTIONS_CELL = """## Questions (not graded)

These are for you.

1. Why is the sky
   blue?
2. Why not green?

## Summary
"""
GOOD_KEY = f"""# Lesson 9 · Skies: {MARKER}

## Q1. Why is the sky blue?

{"Rayleigh scattering. " * 20}

**A good answer** names the scattering.

## Q2. Why not green?

{"The spectrum and the eye. " * 20}

**A good answer** mentions the eye.
"""


def test_the_questions_are_read_from_the_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(QUESTIONS_CELL)]
    assert questions_of(nb) == ["Why is the sky blue?", "Why not green?"]
    assert key_problems(questions_of(nb), GOOD_KEY) == []


@pytest.mark.parametrize(
    "broken",
    [
        GOOD_KEY.replace(MARKER, "notes"),  # not marked as a key
        GOOD_KEY.split("## Q2.")[0],  # a question left out
        GOOD_KEY.replace("## Q2.", "## Q3."),  # numbered wrong
        GOOD_KEY.replace("Why not green?", "Why not red?"),  # a question that changed
        GOOD_KEY.replace("**A good answer** mentions the eye.", ""),  # no criteria
        GOOD_KEY.replace("The spectrum and the eye. " * 20, "Because."),  # no answer
        GOOD_KEY + "\n## Q3. Why is the sea blue?\n\n" + "Reflection. " * 40,  # one too many
    ],
)
def test_a_key_that_does_not_answer_every_question_is_caught(broken):
    assert key_problems(["Why is the sky blue?", "Why not green?"], broken) != []


def test_no_key_sits_in_an_assignment_or_the_release():
    """Neither an assignment folder (whose files the release copies) nor notebooks/ holds one."""
    assert "answer-keys" not in discover_assignments()
    places = [ROOT / "notebooks", *(ROOT / "solutions" / a for a in ASSIGNMENTS)]
    answers = {flat(a)[:200] for key in KEYS.glob("*.md") for *_, a in entries_of(key.read_text())}
    for place in places:
        for path in place.rglob("*"):
            if not path.is_file() or path.suffix not in (".md", ".ipynb", ".txt", ".html", ""):
                continue
            text = path.read_text(errors="replace")
            assert MARKER not in text, f"{path.relative_to(ROOT)} holds an answer key"
            leaked = [a for a in answers if a and a in flat(text)]
            assert not leaked, f"{path.relative_to(ROOT)} quotes an answer key: {leaked[0][:60]}"


@pytest.mark.slow
def test_nbgrader_generates_no_key_into_the_release(tmp_path):
    """A course laid out like this one (keys beside the assignments) releases no key."""
    lesson = ASSIGNMENTS[0]
    course = make_course(tmp_path, lesson)
    shutil.copytree(KEYS, course / "solutions" / "answer-keys")
    nbgrader(course, "generate_assignment", lesson, "--force")
    released = [p for p in (course / "notebooks").rglob("*") if p.is_file()]
    assert released, "nbgrader released nothing"
    assert all(MARKER not in p.read_text(errors="replace") for p in released), released
    assert not (course / "notebooks" / "answer-keys").exists()
