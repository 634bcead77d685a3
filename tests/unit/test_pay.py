"""Better pay: the wish read from a person's words, the goal it is not, and the list it reorders (pure functions and
a small ranking; the lists are tested through the chat in tests/test_ui_understanding.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from retrieval.understanding import cues
from retrieval.understanding.pay import pay_wishes

MESSAGES = Path(__file__).resolve().parents[2] / "eval" / "data" / "pay_wishes.jsonl"


@pytest.mark.parametrize("m", [json.loads(line) for line in MESSAGES.read_text().splitlines() if line.strip()])
def test_the_wish_and_its_look_alikes(m):
    """The evaluation's messages (``waypoint eval pay``): every wish found, no look-alike ("money management",
    "anti-money laundering", "payroll", "the pay is good but", "I'd take a pay cut")."""
    assert bool(pay_wishes(m["text"])) == m["pay"], m["text"]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("I work in a warehouse, I have a forklift license. I want to make more money.", ["make more money"]),
        ("money is not the point but a raise would be nice", ["a raise"]),
        ("can't make ends meet on this salary", ["make ends meet"]),
        ("I need to make more.", ["make more"]),
    ],
)
def test_the_span_is_the_wish_itself(text, said):
    assert [text[s:e] for s, e in pay_wishes(text)] == said


@pytest.mark.parametrize(
    "text",
    [
        "I don't need more money, I want meaning",
        "I want to make more friends",
        "make more of a difference",
        "We help nonprofits raise more money online",
        "producing 6 figure profits in 2012",
        "my job pays well but I hate it",
    ],
)
def test_not_a_wish(text):
    assert pay_wishes(text) == []


@pytest.mark.parametrize(
    ("text", "goal"),
    [
        ("I want to make more money", None),
        ("I want to move into finance and make more money", "finance"),
        ("I'm a dental receptionist and want a well paid job in healthcare", "healthcare"),
        ("I want a better paying job in IT", "IT"),
    ],
)
def test_better_pay_is_not_the_goal_but_the_field_named_with_it_is(text, goal):
    """ "I want to make more money" was read as the goal "money"; the field said beside the wish stays the goal."""
    found = [g for p in cues.goal_phrases(text) if (g := cues.goal_outside(text, p, pay_wishes(text)))]
    assert [g.text for g in found][:1] == ([goal] if goal else [])


def test_better_pay_moves_work_needing_less_down_and_the_own_occupation_out():
    """Job zones stand in for pay (no wage figures): the next zone up keeps its place, the same zone and two up move
    PAY_SHIFT_SAME places down, a lower zone PAY_SHIFT_BELOW, leading others at their zone stays; the person's own
    occupation leaves the list."""
    from types import SimpleNamespace

    from retrieval.occupations.service import ScoredOccupation
    from retrieval.understanding.recommend import PAY_SHIFT_BELOW, PersonalRanking

    n = PAY_SHIFT_BELOW + 5
    ids = ["own"] + [f"o{i}" for i in range(n)]
    zones = np.array([2.0] + [1.0, 2.0, 3.0, 4.0, np.nan] + [2.0] * (n - 5), dtype=np.float32)
    leads = np.zeros(len(ids), dtype=bool)
    corpus = SimpleNamespace(index={oid: i for i, oid in enumerate(ids)}, job_zone=zones, leads=leads)
    ranking = PersonalRanking(SimpleNamespace(corpus=corpus), linker=None)
    items = [ScoredOccupation(oid, oid, 1.0) for oid in ids]
    out = [i.id for i in ranking.toward_better_pay(items, [("own", 1.0)])]
    assert "own" not in out and len(out) == n
    # o0 zone 1, o1 zone 2 (theirs), o2 zone 3, o3 zone 4, o4 none
    assert out[0] == "o2"  # the next zone up, first
    assert out.index("o4") == 1  # no zone ("All Other"): unmoved, and the rest moved below it
    assert out.index("o0") > out.index("o3") > out.index("o1") > out.index("o2")
    assert out.index("o0") > out.index("o5")  # a lower zone below the same zone further down
    # kept (asked for by name) and an unknown own occupation: nothing moves
    assert [i.id for i in ranking.toward_better_pay(items, [("own", 1.0)], keep={"own"})][:2] == ["own", "o2"]
    assert ranking.toward_better_pay(items, [("nowhere", 1.0)]) == items
    # leading others at their own zone is a step up (a cashier's retail supervisors, zone 2 in O*NET): unmoved
    leads[ids.index("o1")] = True
    out = [i.id for i in ranking.toward_better_pay(items, [("own", 1.0)])]
    assert out.index("o1") < out.index("o5") and out.index("o1") <= 2, out
    # ... unless the person leads others already
    leads[0] = True
    out = [i.id for i in ranking.toward_better_pay(items, [("own", 1.0)])]
    assert out.index("o1") > out.index("o4"), out


def test_the_chat_notes_the_wish_shows_it_and_the_panel_can_clear_it(synthetic_settings):
    """Said once, noted once; the panel's tick box wins over the words, and saying it again brings it back."""
    from app.ui.chat import _correct_pay, _list_heading, _new_state, _take_in, _wants_better_pay, render_beliefs
    from retrieval.understanding.service import understand

    state = _new_state()
    text = "I'm a bank teller and I'm underpaid"
    notes = _take_in(state, text, understand(text))
    assert any("more training or experience than yours" in n and "(you said “underpaid”)" in n for n in notes), notes
    assert "**Pay:** work that usually pays more than yours first" in render_beliefs(state)
    if state["profile"].get("occupation"):
        assert _list_heading(state).endswith(", work that usually pays more than yours moved up:")
    assert not any("training" in n for n in _take_in(state, "I want a raise", understand("I want a raise")))
    assert _correct_pay(state, False) == [
        "Work that needs no more training than yours is back where it was on your lists."
    ]
    assert not _wants_better_pay(state) and "**Pay:**" not in render_beliefs(state)
    _take_in(state, "I want to earn more", understand("I want to earn more"))
    assert _wants_better_pay(state)  # said again: their words decide
