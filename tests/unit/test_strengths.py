"""Strengths: what a person says they are good at, read as the O*NET elements it names (pure functions; the list it
reorders is tested through the chat in tests/test_ui_understanding.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.understanding.strengths import LABELS, LEXICON, NOUNS, strengths

MESSAGES = Path(__file__).resolve().parents[2] / "eval" / "data" / "strengths.jsonl"


@pytest.mark.parametrize("m", [json.loads(line) for line in MESSAGES.read_text().splitlines() if line.strip()])
def test_the_strengths_and_their_look_alikes(m):
    """The evaluation's messages (``waypoint eval strengths``): each strength's main element is the labelled one; no
    look-alike ("not good with numbers", "I dial numbers", "I'm a writer", "a math teacher") names any."""
    assert sorted(s.skill_ids[0] for s in strengths(m["text"])) == sorted(m["strength"]), m["text"]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("I'm a receptionist and I'm really good with numbers", "I'm really good with numbers"),
        ("I am a teacher and a strong writer", "and a strong writer"),
        ("money is tight but I'm great at fixing cars", "I'm great at fixing cars"),
    ],
)
def test_the_span_is_the_strength_itself(text, said):
    assert [text[s.start : s.end] for s in strengths(text)] == [said]


@pytest.mark.parametrize(
    "text", ["I want to be good at math", "I wish I was better with computers", "I'm never good with people"]
)
def test_a_wish_or_a_negation_is_not_a_strength(text):
    assert strengths(text) == []


def test_every_element_has_its_catalogue_label():
    """The linker names each strength by its first element's label: every element of the lexicon has one."""
    ids = {sid for table in (LEXICON, NOUNS) for elements in table.values() for sid in elements}
    assert ids <= set(LABELS), ids - set(LABELS)
