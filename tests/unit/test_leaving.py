"""Leaving one's own work: the wish read from a person's words, and what a title's kind of work is (pure
functions; the lists through the chat in tests/test_ui_understanding.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.understanding.leaving import head_nouns, leaving_wishes, left_fields, same_kind_of_work, worn_out

MESSAGES = Path(__file__).resolve().parents[2] / "eval" / "data" / "leaving_messages.jsonl"


@pytest.mark.parametrize("m", [json.loads(line) for line in MESSAGES.read_text().splitlines() if line.strip()])
def test_the_wish_and_its_look_alikes(m):
    """The evaluation's messages (``waypoint eval leaving``): every wish found, no look-alike ("customers who are
    sick of waiting", "people who are burned out", "leave nothing unfinished")."""
    assert bool(leaving_wishes(m["text"])) == m["leaving"], m["text"]


def test_the_work_named_as_left_is_returned_for_resolving():
    assert left_fields("I've been a cashier for 6 years and I'm sick of retail") == ["retail"]
    assert left_fields("I work as a chef and I want to leave the restaurant industry") == ["restaurant industry"]
    assert left_fields("I'm a teacher and I hate it") == []  # "it" names no field: their own work is the one
    assert left_fields("Leaving the military after 8 years as a tank crewman") == ["military"]
    assert left_fields("Infantry, 6 years. What civilian jobs fit me?") == []  # their own work is the one
    # other work than theirs, after what they would do: "besides", "other than" (not "Besides nursing, I coach")
    assert left_fields("What can a nurse do besides bedside care?") == ["bedside care"]
    assert left_fields("I want something other than retail") == ["retail"]
    assert leaving_wishes("Besides nursing, I coach soccer") == []
    # bored of their own work, not someone else
    assert leaving_wishes("I'm an accountant but I'm bored") and leaving_wishes("getting bored of my job")
    assert leaving_wishes("customers get bored easily") == []


@pytest.mark.parametrize(
    "text, worn",
    [
        ("I'm a nurse, 15 years in the ER, completely burned out. What else can I do?", True),
        ("Social worker, burnt out, what else is there for me?", True),
        ("Teaching is too stressful, I can't take it anymore", True),
        ("I'm a teacher and I hate it", False),  # leaving, but not worn out: the list keeps its order
        ("I work with patients who are exhausted after chemo", False),  # about other people
    ],
)
def test_worn_out_is_strain_the_person_names_as_their_own(text, worn):
    assert worn_out(text) is worn


def test_a_titles_kind_of_work():
    assert head_nouns("Secondary School Teachers, Except Special and Career/Technical Education") == {"teacher"}
    assert head_nouns("Accountants and Auditors") == {"accountant", "auditor"}
    assert head_nouns("Heavy and Tractor-Trailer Truck Drivers") == {"driver"}
    assert head_nouns("Paralegals and Legal Assistants") == {"paralegal"}  # "Assistants" names no work by itself
    assert same_kind_of_work("Teaching Assistants, Special Education", {"teacher"})
    assert same_kind_of_work("Nursing Assistants", {"nurse"}) and same_kind_of_work("Nurse Practitioners", {"nurse"})
    assert not same_kind_of_work("Instructional Coordinators", {"teacher"})


def test_the_chat_notes_the_wish_shows_it_and_the_panel_can_clear_it(synthetic_settings):
    """Said once, noted once; the panel's tick box wins over the words, and saying it again brings it back."""
    from app.ui.chat import _correct_leaving, _leaves_own_work, _list_heading, _new_state, _take_in, render_beliefs
    from retrieval.understanding.service import understand

    state = _new_state()
    text = "I'm an electrician and I hate it"
    notes = _take_in(state, text, understand(text))
    assert any("beyond your current kind of work (you said “I hate it”)" in n for n in notes), notes
    assert "**Limits:** not your current kind of work" in render_beliefs(state)
    assert _list_heading(state).endswith(", beyond your current kind of work:")
    assert _correct_leaving(state, False) == ["Your current kind of work is back on your lists."]
    assert not _leaves_own_work(state) and "not your current kind of work" not in render_beliefs(state)
    _take_in(state, "honestly I'm burned out", understand("honestly I'm burned out"))
    assert _leaves_own_work(state)  # said again: their words decide
