"""Training rows from what people did in the UI (issue 25): the UI's explanation surfaces count, a thumbs is
the label where one was given, and two explanations of one item that one (anonymous) session saw in
different impressions -- the chat's, then "Explain differently" -- make a DPO pair.

The events go through the real store (SQLite) and the prompts are rebuilt on the synthetic catalogue, as
``waypoint train kto/dpo --source feedback`` rebuild them.
"""

from __future__ import annotations

import pytest

from app.feedback.policies import configured_sample, next_sample_variant
from app.feedback.store import EventStore
from training.feedback_data import dpo_pairs_from_feedback, kto_examples, load_impressions

NURSE = {"occupation": "Registered Nurses", "skills": ["patient education"]}
ITEM, OTHER = "21-1091.00", "29-1171.00"  # Health Education Specialists, Nurse Practitioners


@pytest.fixture()
def events(synthetic_settings, tmp_path):
    """One UI session: a list of two, the chat's explanation of the first (greedy), "Why?" on it (a click),
    thumbs down, "Explain differently" (sample 1, its own impression), thumbs up; and the chat's
    explanation of the second, clicked without a thumbs."""
    path = tmp_path / "events.sqlite"
    store = EventStore(path)
    session = "ui-session-1"
    try:
        shown = store.log_impression(items=[ITEM, OTHER], surface="ui_list", session_id=session)
        for pos, (item, text) in enumerate([(ITEM, '{"first": 1}'), (OTHER, '{"other": 1}')]):
            store.log_impression(
                items=[item],
                positions=[pos],
                impression_id=shown,
                surface="ui_chat",
                session_id=session,
                variant="default",
                propensity=0.9,
                payload={"profile": NURSE, "completion": text},
            )
        again = store.log_impression(
            items=[ITEM],
            positions=[0],
            surface="ui_panel",
            session_id=session,
            variant="base-s1",
            propensity=1.0,
            payload={"profile": NURSE, "completion": '{"again": 1}'},
        )
        store.log_click(impression_id=shown, item_id=ITEM, position=0, session_id=session)
        store.log_thumbs(impression_id=shown, item_id=ITEM, up=False, reason="too_generic", position=0)
        store.log_thumbs(impression_id=again, item_id=ITEM, up=True, position=0)
        store.log_click(impression_id=shown, item_id=OTHER, position=1, session_id=session)
    finally:
        store.close()
    return path


def test_thumbs_label_the_ui_explanations(events, synthetic_settings):
    impressions = load_impressions(events)
    surfaces = sorted(len(c) for c in impressions.values())
    assert surfaces == [1, 2], "the chat's two explanations share the list's impression; the list rows are not read"
    rows = kto_examples(events, synthetic_settings)
    labels = {r["completion"][0]["content"]: r["label"] for r in rows}
    # clicked but "not helpful": the thumbs wins; the second sample was helpful; a click alone still counts
    assert labels == {'{"first": 1}': False, '{"again": 1}': True, '{"other": 1}': True}
    assert all(r["prompt"][0]["role"] == "system" and r["prompt"][1]["role"] == "user" for r in rows)


def test_explain_differently_makes_a_pair_in_one_session(events, synthetic_settings):
    pairs = dpo_pairs_from_feedback(events, synthetic_settings, scope="context")
    assert [(p["chosen"][0]["content"], p["rejected"][0]["content"]) for p in pairs] == [
        ('{"again": 1}', '{"first": 1}')
    ]
    assert pairs[0]["weight"] == pytest.approx(1 / 0.9)
    # side by side only: the two were not shown together, so no pair
    assert dpo_pairs_from_feedback(events, synthetic_settings, scope="impression") == []


def test_another_session_does_not_pair(events, synthetic_settings):
    store = EventStore(events)
    try:
        store.log_impression(
            items=[ITEM],
            surface="ui_panel",
            session_id="ui-session-2",
            variant="base-s2",
            propensity=1.0,
            payload={"profile": NURSE, "completion": '{"elsewhere": 1}'},
        )
    finally:
        store.close()
    pairs = dpo_pairs_from_feedback(events, synthetic_settings, scope="context")
    assert all('{"elsewhere": 1}' not in (p["chosen"][0]["content"], p["rejected"][0]["content"]) for p in pairs)


def test_explain_differently_walks_the_samples(synthetic_settings):
    assert next_sample_variant("default") == next_sample_variant("alt") == "base-s1"
    assert next_sample_variant("base-s1") == "base-s2"
    assert next_sample_variant("explainer-kto-s0") == "explainer-kto-s1"
    assert next_sample_variant("base-s8") == "base-s1"
    choice = configured_sample(synthetic_settings, "base-s2")
    assert choice is not None and choice.sample == 2 and choice.seed == 2 and choice.propensity == 1.0
    assert choice.temperature == synthetic_settings.policy_temperature > 0
    assert configured_sample(synthetic_settings, "base-s0") is None  # greedy is the logging policy's own arm
    assert configured_sample(synthetic_settings, "alt") is None
