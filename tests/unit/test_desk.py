"""Work away from a desk: the wish read from a person's words, and which occupations count as work done in person
(pure functions and the understanding's limits; the lists are tested through the chat in
tests/test_ui_understanding.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from retrieval.understanding.desk import desk_wishes
from retrieval.understanding.limits import physical_limits

MESSAGES = Path(__file__).resolve().parents[2] / "eval" / "data" / "desk_wishes.jsonl"


@pytest.mark.parametrize("m", [json.loads(line) for line in MESSAGES.read_text().splitlines() if line.strip()])
def test_the_wish_and_its_look_alikes(m):
    """The evaluation's messages (``waypoint eval desk``): every wish found, no look-alike ("a desk job after my back
    surgery", "the front desk", "screen printing", "I'm a nurse and I'm on my feet 12 hours a shift")."""
    assert bool(desk_wishes(m["text"])) == m["desk"], m["text"]


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("I have ADHD and can't sit at a desk all day.", "can't sit at a desk all day"),
        ("I want a job with less screen time.", "less screen time"),
        ("I’m tired of staring at a screen 8 hours a day", "tired of staring at a screen 8 hours a day"),
        ("something where I'm on my feet and moving around", "where I'm on my feet"),
    ],
)
def test_the_span_is_the_wish_itself(text, span):
    """The span is what the chat quotes back ("you said ..."); a curly apostrophe typed on a phone keeps it."""
    assert [text[s:e] for s, e in desk_wishes(text)][0] == span


def test_a_desk_left_is_no_wish_for_seated_work():
    """ "I don't want to be stuck behind a desk" held "behind a desk", which the physical limits read as a wish for
    seated work (they leave demanding work out): inside a desk wish it is not one. Asked for, it still is."""
    from retrieval.understanding import cues

    text = "I work in a call center and I don't want to be stuck behind a desk anymore"
    assert physical_limits(text)  # the limits alone see "behind a desk" after a word of wanting
    assert not [s for s in physical_limits(text) if not cues.inside(s, desk_wishes(text))]
    assert physical_limits("I'm looking for a desk job after my back surgery")
    assert not desk_wishes("I'm looking for a desk job after my back surgery")


def test_work_in_person_is_what_is_not_desk_work():
    """Away from a desk: below the remote score's threshold, or outdoors, or physically demanding -- a surveyor's
    work is desk work by its tasks (maps, records) and outdoor work by its sites, and is kept."""
    from retrieval.occupations.corpus import OccupationCorpus
    from retrieval.occupations.outdoor import OUTDOOR
    from retrieval.occupations.physical import DEMANDING
    from retrieval.occupations.remote import FEASIBLE

    class Scores:  # the three cached scores the rule reads, set directly
        remote = np.array([0.62, 0.37, 0.61, 0.64])  # receptionist, medical assistant, surveyor, demanding work
        outdoor = np.array([0.0, 0.0, 0.38, 0.0])
        physical = np.array([0.10, 0.30, 0.34, 0.60])

    kept = OccupationCorpus.away_from_desk.func(Scores())  # type: ignore[attr-defined]
    assert kept.tolist() == [False, True, True, True]
    assert FEASIBLE == 0.5 and OUTDOOR == 0.3 and DEMANDING == 0.5  # the thresholds the rule shares
