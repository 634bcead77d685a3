"""Misspelt title words (retrieval/understanding/spelling.py): corrected only when unknown and unambiguous."""

from __future__ import annotations

import pytest

from retrieval.understanding.spelling import TitleSpelling

TITLE_WORDS = ["nurse", "receptionist", "electrician", "accountant", "teacher", "career", "cater", "pharmacist"]
KNOWN = ["purse", "nursery", "walmart", "starbucks"]


@pytest.fixture(scope="module")
def spelling() -> TitleSpelling:
    return TitleSpelling(TITLE_WORDS, KNOWN)


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("nurce", "nurse"),  # one edit
        ("teecher", "teacher"),
        ("acountant", "accountant"),  # a letter dropped
        ("pharmasist", "pharmacist"),
        ("electrition", "electrician"),  # two edits in a long word
        ("reciptionist", "receptionist"),
        ("nusre", "nurse"),  # two letters swapped: one edit (OSA)
        ("tacher", "teacher"),
    ],
)
def test_an_unknown_word_near_one_title_word_is_that_word(spelling, typed, meant):
    assert spelling.correct_key(typed) == meant


@pytest.mark.parametrize(
    "typed",
    [
        "purse",  # a known word is never corrected, though one edit from nurse
        "nurse",  # nor a title word itself
        "carer",  # one edit from both career and cater: a tie is left alone
        "nrs",  # too short
        "teechr",  # two edits in a short word
        "walmart",
    ],
)
def test_known_short_far_or_ambiguous_words_are_left_alone(spelling, typed):
    assert spelling.correct_key(typed) is None


def test_corrections_keep_the_persons_offsets(spelling):
    text = "im a nurce at Starbucks"
    assert spelling.corrections(text) == {5: "nurse"}
    assert spelling.correct_phrase("a reciptionist") == "a receptionist"
    assert spelling.correct_phrase("a nurse") is None
