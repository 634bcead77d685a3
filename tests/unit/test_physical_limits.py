"""A physical limit the person states ("my back is done") is understood, shown, and keeps physically demanding
work out of the occupation list (retrieval/understanding/limits.py, retrieval/occupations/physical.py).

Why: a truck driver who wrote "my back is done, what else could I do?" was offered other driving jobs.
The phrase tests hold the look-alikes that must not count: "back-end", "back office", "I treat back
injuries", and lines of real work histories that named a condition as a subject ("Back Injury Prevention").
"""

from __future__ import annotations

import numpy as np
import pytest

from app.ui.chat import _correct_limit, _list_heading, _new_state, _profile, _take_in, render_beliefs
from retrieval.occupations.physical import DEMANDING, UNKNOWN, exertion_share, physical_demand, physical_title
from retrieval.profile import Profile
from retrieval.recommend import Kind, recommend
from retrieval.understanding.limits import physical_limits
from tests import synthetic_catalogue as synthetic

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "text, words",
    [
        ("truck driver 10 years, my back is done. what else could I do?", ["my back is done"]),
        ("I'm a roofer and my knees can’t take it anymore", ["my knees can’t take"]),
        ("hurt my back lifting, need something less physical", ["hurt my back", "less physical"]),
        ("after my back surgery I can't lift heavy things", ["after my back surgery", "can't lift"]),
        ("I can no longer lift patients", ["can no longer lift"]),
        ("Dancer, career-ending knee injury, what now?", ["career-ending knee injury"]),
        ("mechanic, bad back, want to sit down for work", ["bad back", "sit down"]),
        ("janitor, my body is worn out, looking for office work", ["my body is worn out", "office work"]),
        ("I use a wheelchair since my accident", ["I use a wheelchair"]),
    ],
)
def test_stated_limits_are_found_with_their_words(text, words):
    assert [text[s:e] for s, e in physical_limits(text)] == words


@pytest.mark.parametrize(
    "text",
    [
        "I'm a back-end developer with Python and Django",
        "I want to go back to school to become a nurse",
        "I work in the back office of a bank doing reconciliations",
        "I lift weights in my free time and I'm an accountant",
        "Orthopedic nurse, I treat back injuries every day",
        "my knees are fine, I just want more money as an electrician",
        "Warehouse supervisor, I hurt my pride when I missed the promotion",
        "I'm a nurse on my feet all day and I love it",
        # lines of the catalogue's work histories: a subject of the work, a place, someone else's wheelchair
        "Trained staff in Heat Stress, and Back Injury Prevention.",
        "Co-coordinated chronic pain management workshops for the Executive Director",
        "make sure the patient is safe and help moving around in a wheelchair.",
        "Performed general office work and filing.",
        "Covered the front desk job for two years.",
    ],
)
def test_look_alikes_are_not_limits(text):
    assert physical_limits(text) == []


def test_demand_combines_exertion_in_the_tasks_with_the_hands_on_interest():
    tasks = [
        ["Lift and carry materials to the site.", "Install roofing.", "Climb ladders."],
        ["Prepare financial statements.", "Review accounts."],
        [],  # no task statements: the interest alone decides
        ["Lift boxes.", "Record deliveries."],  # no Realistic score (0): the tasks alone
    ]
    interests = np.zeros((4, 6), np.float32)
    interests[:, 0] = [7.0, 1.0, 4.0, 0.0]
    demand = physical_demand(tasks, interests)
    assert demand[0] == pytest.approx(1.0) and demand[1] == pytest.approx(0.0)
    assert demand[2] == pytest.approx(0.5) and demand[3] == pytest.approx(0.5)
    assert exertion_share([]) is None and exertion_share(tasks[3]) == pytest.approx(0.5)


def test_an_occupation_known_by_nothing_takes_its_soc_groups_demand():
    codes = ["47-2031.00", "47-2181.00", "47-2099.00", "13-2011.00", "13-2099.00", "55-1011.00"]
    tasks = [
        ["Lift lumber.", "Climb scaffolds."],
        ["Install roofing.", "Carry shingles."],
        [],
        ["Review accounts."],
        [],
        [],
    ]
    interests = np.zeros((6, 6), np.float32)
    interests[:, 0] = [7.0, 7.0, 0.0, 1.0, 0.0, 0.0]
    demand = physical_demand(tasks, interests, codes)
    assert demand[2] == pytest.approx(1.0)  # "Construction Trades, All Other": like the other trades
    assert demand[4] == pytest.approx(0.0)  # "Financial Specialists, All Other": like accountants
    assert demand[5] == pytest.approx(UNKNOWN)  # no group known: neither desk work nor heavy work


@pytest.mark.parametrize(
    "title, physical",
    [
        ("Warehouse Stocker", True),
        ("Package Handler - Part-Time", True),
        ("Driving Partner", True),
        ("CDL-A Truck Driver", True),
        ("Transportation Dispatcher", False),
        ("Administrative Assistant", False),
        ("Operations Clerk Part-Time-UPS Freight", False),
        ("Part Time Yard/General Labor", True),
        ("Labor Relations Specialist", False),
    ],
)
def test_posting_titles_that_name_physical_work(title, physical):
    assert physical_title(title) is physical


# ------------------------------------------------------------------ on the synthetic catalogue
def _demand_of(ids: list[str]) -> list[float]:
    from retrieval.occupations.service import get_occupation_recommender
    from retrieval.settings import get_settings

    corpus = get_occupation_recommender(get_settings()).corpus
    return [float(corpus.physical[corpus.index[i]]) for i in ids]


def test_a_limit_keeps_demanding_work_out_of_the_list(synthetic_settings):
    def top(text: str, k: int = 10) -> list[str]:
        return [i.id for i in recommend([Profile(text=text)], Kind.occupation, k)[0].items]

    plain = top("I'm an electrician")
    limited = top("I'm an electrician and my knees can't take it anymore", k=30)
    assert max(_demand_of(plain)) >= DEMANDING  # the trades are there without the limit ...
    assert limited and max(_demand_of(limited)) < DEMANDING  # ... and gone with it
    assert synthetic.ELECTRICIAN not in limited  # "can't" is about the knees: the electrician is still theirs
    assert "47-1011.00" in limited  # supervising the trade is not physical work: it stays


def test_the_occupation_asked_for_stays_whatever_its_demand(synthetic_settings):
    profile = Profile(text="bad back, but I want to become a plumber")
    ids = [i.id for i in recommend([profile], Kind.occupation, 10)[0].items]
    assert ids[0] == "47-2152.00", ids


def test_the_chat_notes_the_limit_shows_it_and_says_what_the_list_leaves_out(synthetic_settings):
    from retrieval.understanding.service import understand

    state = _new_state()
    text = "truck driver 10 years, my back is done. what else could I do?"
    notes = _take_in(state, text, understand(text))
    assert any("hard on the body" in n and "my back is done" in n for n in notes), notes
    assert "**Limits:** no physically demanding work" in render_beliefs(state)
    assert "my back is done" in render_beliefs(state)
    assert _list_heading(state).endswith("leaving out physically demanding work:")
    again = _take_in(state, "my back is done", understand("my back is done"))
    assert not any("hard on the body" in n for n in again)  # said once, noted once


def test_postings_of_demanding_work_leave_the_job_list_too(synthetic_settings):
    def titles(text: str) -> list[str]:
        return [i.title for i in recommend([Profile(text=text)], Kind.job, 12)[0].items]

    assert any("Electrician" in t for t in titles("I'm an electrician"))
    limited = titles("I'm an electrician and my knees can't take it anymore")
    assert not any("Electrician" in t for t in limited), limited


def test_the_profile_field_wins_over_the_words_both_ways(synthetic_settings):
    def demands(profile: Profile) -> list[float]:
        return _demand_of([i.id for i in recommend([profile], Kind.occupation, 10)[0].items])

    # set without a word about it (the REST field, the panel's tick box), on an occupation-only profile
    assert max(demands(Profile(occupation=synthetic.ELECTRICIAN))) >= DEMANDING
    assert max(demands(Profile(occupation=synthetic.ELECTRICIAN, avoid_physical=True))) < DEMANDING
    # cleared although the words say it ("my knees are better now" is not understood; the tick box is)
    said = "I'm an electrician and my knees can't take it anymore"
    assert max(demands(Profile(text=said, avoid_physical=False))) >= DEMANDING


def test_unticking_the_limit_in_the_panel_brings_the_work_back_and_saying_it_again_restores_it(synthetic_settings):
    from retrieval.understanding.service import understand

    state = _new_state()
    text = "I'm an electrician and my knees can't take it anymore"
    _take_in(state, text, understand(text))
    assert _profile(state).avoid_physical is True  # their words said it (kept in the beliefs)
    assert _correct_limit(state, True) == []  # ticked already: nothing changes
    assert _correct_limit(state, False) == ["Physically demanding work is back on your lists."]
    assert _profile(state).avoid_physical is False
    assert "Limits" not in render_beliefs(state) and "leaving out" not in _list_heading(state)
    _take_in(state, "my back is done too", understand("my back is done too"))
    assert _profile(state).avoid_physical is True and "Limits" in render_beliefs(state)


def test_their_own_kind_of_work_is_left_out_when_the_limit_is_about_standing(synthetic_settings):
    """The demand score cannot see standing; by their own account the person's kind of work is beyond it."""

    def top(text: str) -> list[str]:
        return [i.id for i in recommend([Profile(text=text)], Kind.occupation, 10)[0].items]

    assert any(o.startswith("29-1") for o in top("I'm a registered nurse"))
    limited = top("I'm a registered nurse and I can't stand for long periods anymore")
    assert limited and not any(o.startswith("29-1") for o in limited), limited
    # a desk job with a bad back keeps the desk work like it
    plain, bad_back = top("I'm an accountant")[:5], top("I'm an accountant and I have a bad back")[:5]
    assert len(set(plain) & set(bad_back)) >= 3, (plain, bad_back)


def test_work_done_standing_is_left_out_when_the_limit_is_about_standing(synthetic_settings):
    """A line cook whose knees are shot and who can't stand all day was offered waiters and hosts (browser walk):
    the groups of STANDING_GROUPS leave the list with a standing limit, and only then; asked for, one stays."""
    from retrieval.occupations.service import get_occupation_recommender
    from retrieval.understanding.recommend import STANDING_GROUPS, PersonalRanking, ScoredOccupation
    from retrieval.understanding.service import get_linker

    ranking = PersonalRanking(get_occupation_recommender(synthetic_settings), get_linker(synthetic_settings))
    items = [ScoredOccupation(oid, oid, 1.0) for oid in ("35-3031.00", "39-5012.00", "43-4051.00", "41-2031.00")]
    assert [i.id for i in ranking.within_physical_limit(items, standing=True)] == ["43-4051.00"]
    assert [i.id for i in ranking.within_physical_limit(items, standing=True, keep={"35-3031.00"})] == [
        "35-3031.00",
        "43-4051.00",
    ]
    assert len(ranking.within_physical_limit(items)) == 4 and "35-" in STANDING_GROUPS


def test_the_eval_scores_detection_and_the_demand_score_on_its_data(synthetic_settings):
    """``waypoint eval limits``' first two parts on the synthetic catalogue (its lists need the real one)."""
    from eval.limits import MESSAGES, demand_validity
    from eval.wishes import detection, load_jsonl
    from retrieval.occupations.service import get_occupation_recommender

    messages = load_jsonl(MESSAGES)
    assert len(messages) == 40 and sum(m["limit"] for m in messages) == 24
    found = detection(messages, synthetic_settings.catalogue_path, physical_limits)
    assert found["precision"] == 1.0 and found["recall"] == 1.0, found["errors"]
    assert found["unstated_texts"] > 0 and found["unstated_with_a_limit"] == 0
    validity = demand_validity(get_occupation_recommender(synthetic_settings).corpus)
    assert validity["labelled"] >= 10 and validity["auc"] > 0.8, validity


def test_the_occupation_is_quoted_without_the_limit_beside_it(synthetic_settings):
    from retrieval.understanding.service import understand

    state = _new_state()
    text = "truck driver 10 years, my back is done. what else could I do?"
    _take_in(state, text, understand(text))
    assert state["beliefs"]["occupation"]["quote"] == "truck driver 10 years"
    assert state["beliefs"]["limit"]["quote"] == "my back is done"
