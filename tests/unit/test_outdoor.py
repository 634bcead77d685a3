"""Outdoor work: the wish read from a person's words and the score from task statements (pure functions; the lists
are tested through the chat in tests/test_ui_understanding.py and over HTTP in tests/test_api.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.occupations.outdoor import OUTDOOR, outdoor_score
from retrieval.understanding.outdoor import outdoor_wishes

MESSAGES = Path(__file__).resolve().parents[2] / "eval" / "data" / "outdoor_wishes.jsonl"


@pytest.mark.parametrize("m", [json.loads(line) for line in MESSAGES.read_text().splitlines() if line.strip()])
def test_the_wish_and_its_look_alikes(m):
    """The evaluation's messages (``waypoint eval outdoor``): every wish found, no look-alike ("outside sales",
    "outside the US", "I worked outdoors for 20 years", "outdoor furniture")."""
    assert bool(outdoor_wishes(m["text"])) == m["outdoor"], m["text"]


def test_the_span_is_the_wish_itself():
    text = "I'm an office manager and I want to work outdoors"
    assert [text[s:e] for s, e in outdoor_wishes(text)] == ["work outdoors"]
    # a desk left is a wish for work away from a desk, indoors or out (retrieval.understanding.desk), not the outdoors
    assert outdoor_wishes("I work in a call center and I don't want to be stuck behind a desk anymore") == []
    text = "I don't want to be stuck indoors"
    assert [text[s:e] for s, e in outdoor_wishes(text)] == ["n't want to be stuck indoors"]


def test_work_in_the_open_scores_above_desk_work_and_an_unknown_takes_its_group():
    tasks = [
        ["Mow lawns and trim shrubs in parks.", "Plant trees along roads.", "Water the gardens."],
        ["Prepare financial reports.", "Answer telephone calls from outside agencies."],
        [],  # no tasks: its SOC group's mean
    ]
    score = outdoor_score(tasks, ["37-3011.00", "43-6014.00", "37-3099.00"])
    assert score[0] >= OUTDOOR > score[1] == 0.0  # "outside agencies" is not the outdoors
    assert score[2] == pytest.approx(score[0])


def test_the_outdoors_is_cut_from_what_a_person_enjoys_when_something_is_left():
    """ "I love animals and being outdoors" was read as enjoying "animals and being outdoors", a frame no occupation
    fits; the outdoors is a wish of its own, and what they enjoy is animals. Said alone, it stays what they enjoy."""
    from retrieval.understanding import cues

    text = "I love animals and being outdoors."
    (goal,) = cues.goal_phrases(text)
    kept = cues.goal_outside(text, goal, outdoor_wishes(text))
    assert kept is not None and kept.text == "animals" and kept.said == "animals", kept
    alone = "I like being outdoors"
    (goal,) = cues.goal_phrases(alone)
    assert cues.goal_outside(alone, goal, outdoor_wishes(alone)) is None  # the linker then keeps the goal as said
