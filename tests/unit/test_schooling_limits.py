"""A person who rules out going back to school ("without going back to school for years", "no degree") is
understood, shown it, and kept to work within the preparation they have (retrieval/understanding/schooling.py,
the job-zone ceiling in retrieval/understanding/recommend.py).

Why: a 55-year-old CNC operator who asked "what can I do without going back to school for years?" was offered
work that needs a bachelor's degree. The phrase tests hold the look-alikes that must not count: "I want to go
back to school", "I went back to school at 40", "high school teacher", "I have a degree".
"""

from __future__ import annotations

import pytest

from app.ui.chat import _list_heading, _new_state, _take_in, render_beliefs
from retrieval.profile import Profile
from retrieval.recommend import Kind, recommend
from retrieval.understanding import cues
from retrieval.understanding.recommend import SCHOOLING_FLOOR
from retrieval.understanding.schooling import training_limits
from tests import synthetic_catalogue as synthetic

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "text, words",
    [
        ("What can I do without going back to school for years?", ["without going back to school"]),
        ("retail manager, no degree, what are my options?", ["no degree"]),
        ("I can't afford to go to college", ["can't afford to go to college"]),
        ("I’m not going back to uni", ["I’m not going back to uni"]),
        ("Don't want to go to university at my age.", ["Don't want to go to university"]),
        ("nursing assistant, can't afford nursing school", ["can't afford nursing school"]),
        ("I'm a waitress and school isn't for me", ["school isn't for me"]),
        ("I'd rather learn on the job than go back to college", ["rather learn on the job"]),
        ("I don't want to study for years", ["don't want to study for years"]),
        # a pharmacy technician in the browser walk: the limit was missed and physicians were suggested
        (
            "I'd like to become a pharmacist but I can't afford 6 more years of school. What else could I do?",
            ["can't afford 6 more years of school"],
        ),
        ("I can't afford another four years of college", ["can't afford another four years of college"]),
    ],
)
def test_ruling_out_school_is_found_with_its_words(text, words):
    assert [text[s:e] for s, e in training_limits(text)] == words


@pytest.mark.parametrize(
    "text",
    [
        "I want to go back to school to become a nurse",
        "I went back to school at 40 and became an accountant",
        "I'm a high school teacher and I want to move into software",
        "I run an after-school program for kids",
        "I have a degree in biology and work in a lab",
        "I'm happy to go back to school if it gets me into data science",
        "I don't mind studying, what would I need to become an engineer?",
        "school bus driver for 12 years",
        "I can afford 2 more years of school",
        "we can't afford a new car this year at school",
    ],
)
def test_look_alikes_are_not_a_limit(text):
    assert training_limits(text) == []


def test_a_goal_ends_where_the_limit_begins():
    (goal,) = cues.goal_phrases("I'm a truck driver and I want to get into healthcare without going back to school")
    assert goal.text == "healthcare"


def test_a_goal_stops_at_a_limit_inside_it():
    # blanked out, the limit left "registered nurse for years" as the goal
    (goal,) = cues.goal_phrases(
        cues.blank(
            text := "I want to become a registered nurse without going back to school for years",
            training_limits(text),
        )
    )
    assert goal.text == "registered nurse"


def test_a_wish_ruled_out_by_its_schooling_is_no_goal_and_leaves_the_list(synthetic_settings):
    """The browser walk's pharmacy technician: "I'd like to become a pharmacist but I can't afford 6 more years of
    school. What else could I do?" was given pharmacists first, then nurse practitioners and physicians."""
    from retrieval.understanding.service import understand

    zones = {o[0]: o[6] for family in synthetic.OCCUPATIONS.values() for o in family}
    text = (
        "I'm a pharmacy technician, 4 years at CVS. I'd like to become a pharmacist but I can't afford 6 more "
        "years of school. What else could I do?"
    )
    u = understand(text)
    assert u.goals == [] and [g.text for g in u.ruled_out_goals] == ["pharmacist"] and u.training_limit
    items = recommend([Profile(text=text)], Kind.occupation, 10)[0].items
    assert items and all(zones.get(i.id, 0) <= SCHOOLING_FLOOR for i in items), [i.id for i in items]
    notes = _take_in(_new_state(), text, u)
    assert any(n.startswith("**Pharmacist** is what you'd like") and "left it out" in n for n in notes), notes
    # wanted under the limit, not ruled out: still the goal
    wanted = understand("I'm a pharmacy technician and I want to become a pharmacist without going back to school")
    assert [g.text for g in wanted.goals] == ["pharmacist"] and wanted.ruled_out_goals == []


def test_the_words_of_the_limit_do_not_negate_the_occupation_beside_them(synthetic_settings):
    from retrieval.understanding.service import understand

    u = understand("I'm a pharmacy technician and I want a change without starting a degree")
    assert u.training_limit and [lim.span.text for lim in u.limits] == ["without starting a degree"]
    assert u.occupation is not None and u.occupation.title == "Pharmacy Technicians"


def test_the_list_keeps_to_the_preparation_the_person_has(synthetic_settings):
    """A pharmacy technician (job zone 3) who will not go back to school is not offered pharmacists or nurse
    practitioners (zone 5); switched off (``avoid_schooling=False``) they are back."""
    zones = {o[0]: o[6] for family in synthetic.OCCUPATIONS.values() for o in family}
    text = "I'm a pharmacy technician and I want to move into healthcare without going back to school"

    def top(flag: bool | None) -> list[str]:
        return [i.id for i in recommend([Profile(text=text, avoid_schooling=flag)], Kind.occupation, 10)[0].items]

    limited, unlimited = top(None), top(False)
    assert limited and all(zones.get(oid, 0) <= SCHOOLING_FLOOR for oid in limited), limited
    assert any(zones.get(oid, 0) > SCHOOLING_FLOOR for oid in unlimited), unlimited


def test_the_chat_notes_the_limit_shows_it_and_says_what_the_list_leaves_out(synthetic_settings):
    from retrieval.understanding.service import understand

    state = _new_state()
    text = "I'm a pharmacy technician. What else could I do without going back to school for years?"
    notes = _take_in(state, text, understand(text))
    assert any("without a degree" in n and "without going back to school" in n for n in notes), notes
    assert "**Limits:** no going back to school for a degree" in render_beliefs(state)
    assert _list_heading(state).endswith("without going back to school for a degree:")
    again = _take_in(state, "no degree for me", understand("no degree for me"))
    assert not any("without a degree" in n for n in again)  # said once, noted once


def test_the_eval_scores_detection_on_its_data(synthetic_settings):
    """``waypoint eval schooling``'s first part on the synthetic catalogue (its lists need the real one)."""
    from eval.schooling import MESSAGES
    from eval.wishes import detection, load_jsonl

    messages = load_jsonl(MESSAGES)
    assert len(messages) == 40 and sum(m["limit"] for m in messages) == 24
    found = detection(messages, synthetic_settings.catalogue_path, find=training_limits)
    assert found["precision"] == 1.0 and found["recall"] == 1.0, found["errors"]
    assert found["unstated_texts"] > 0 and found["unstated_with_a_limit"] == 0


def test_unticking_it_in_the_panel_brings_degree_work_back_and_saying_it_again_restores_it(synthetic_settings):
    from app.ui.chat import _correct_schooling, _profile
    from retrieval.understanding.service import understand

    state = _new_state()
    text = "I'm a pharmacy technician, no degree"
    _take_in(state, text, understand(text))
    assert _profile(state).avoid_schooling is True  # their words said it (kept in the beliefs)
    assert _correct_schooling(state, True) == []  # ticked already: nothing changes
    assert _correct_schooling(state, False) == ["Work that needs a degree is back on your lists."]
    assert _profile(state).avoid_schooling is False
    assert "no going back to school" not in render_beliefs(state) and "degree" not in _list_heading(state)
    _take_in(state, "I can't afford college", understand("I can't afford college"))
    assert _profile(state).avoid_schooling is True and "no going back to school" in render_beliefs(state)
