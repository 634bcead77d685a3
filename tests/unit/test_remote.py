"""Remote work: the wish read from a person's words, a posting's title, and the feasibility score (pure
functions; the lists are tested over HTTP in tests/test_api.py and through the chat in test_ui_understanding)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from retrieval.occupations.remote import FEASIBLE, remote_feasibility, remote_title
from retrieval.understanding.remote import remote_wishes

MESSAGES = Path(__file__).resolve().parents[2] / "eval" / "data" / "remote_wishes.jsonl"


@pytest.mark.parametrize("m", [json.loads(line) for line in MESSAGES.read_text().splitlines() if line.strip()])
def test_the_wish_and_its_look_alikes(m):
    """The evaluation's messages (``waypoint eval remote``): every wish found, no look-alike ("remote sensing",
    "remote patient monitoring", "a remote village", "an hour from home")."""
    assert bool(remote_wishes(m["text"])) == m["remote"], m["text"]


def test_the_span_is_the_wish_itself():
    text = "I'm an RN, 6 years med-surg. Burned out on bedside, want something remote"
    assert [text[s:e] for s, e in remote_wishes(text)] == ["something remote"]
    text = "Customer service rep, looking for a work from home job, ideally telecommuting"
    assert [text[s:e] for s, e in remote_wishes(text)] == ["work from home", "telecommuting"]


def test_a_posting_title_says_remote():
    assert remote_title("Work at Home – Quicken Support Agent @ Sutherland Global Services")
    assert remote_title("Customer Service Representative - Home Based @ Higher One")
    assert remote_title("Customer Service Representative (Part-Time/Remote)")
    assert not remote_title("Home Health Aide") and not remote_title("Remote Sensing Analyst")


def test_desk_work_scores_above_work_with_people_and_things():
    tasks = [
        ["Analyze financial data and prepare reports.", "Write software code for databases."],
        ["Administer medications to patients.", "Examine patients and treat wounds."],
        [],  # no tasks: the interests decide
        [],  # nothing known: its SOC minor group's mean
    ]
    interests = np.array([[1, 6, 2, 1, 3, 7], [2, 5, 1, 7, 2, 3], [7, 2, 1, 2, 2, 2], [0, 0, 0, 0, 0, 0]], float)
    physical = np.array([0.0, 0.3, 0.8, 0.5])
    score = remote_feasibility(tasks, interests, physical, ["13-2011.00", "29-1141.00", "47-2111.00", "13-2099.00"])
    assert score[0] >= FEASIBLE > score[1] and score[2] < FEASIBLE
    assert score[3] == pytest.approx(score[0])  # "13-2": the only known member
    assert np.all((score >= 0) & (score <= 1))


def test_nothing_known_is_not_offered_as_remote():
    score = remote_feasibility([[]], np.zeros((1, 6)), np.zeros(1), ["99-9999.00"])
    assert score[0] == 0.0


def test_the_chat_notes_the_wish_shows_it_and_the_panel_can_clear_it(synthetic_settings):
    """Said once, noted once; the panel's tick box wins over the words, and saying it again brings it back."""
    from app.ui.chat import _correct_remote, _list_heading, _new_state, _take_in, _wants_remote, render_beliefs
    from retrieval.understanding.service import understand

    state = _new_state()
    text = "Customer service rep at a call centre, looking for a work from home job"
    notes = _take_in(state, text, understand(text))
    assert any("done from home (you said “work from home”)" in n for n in notes), notes
    assert "**Where:** work that can often be done from home" in render_beliefs(state)
    assert _list_heading(state).endswith(", keeping to work that can often be done from home:")
    assert not any("from home" in n for n in _take_in(state, "WFH please", understand("WFH please")))
    assert _correct_remote(state, False) == ["Work done on site is back on your lists."]
    assert not _wants_remote(state) and "**Where:**" not in render_beliefs(state)
    assert _correct_remote(state, False) == []  # unchanged: nothing to say
    _take_in(state, "I'd like to work remotely", understand("I'd like to work remotely"))
    assert _wants_remote(state)  # said again: their words decide
