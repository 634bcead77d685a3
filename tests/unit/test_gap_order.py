"""The gap order (issue 23 item 3): one scoring function, knowledge areas resolved, plain labels.

The scoring function is tested on hand-made requirement rows (what each weight must do); area resolution
and task links on the synthetic catalogue with the packaged MiniLM; plain labels on its ESCO altLabels.
"""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.skills.evidence import Requirement
from retrieval.skills.priority import WEIGHTS, gap_priority, need, order_key, tier


def _req(
    sid: str,
    relation: str,
    importance: float,
    *,
    level: float | None = None,
    kind: str = "esco_skill",
    label: str | None = None,
) -> Requirement:
    return Requirement(
        skill_id=sid,
        label=label or sid,
        kind=kind,
        relation=relation,
        importance=importance,
        level=level,
        source="onet:00-0000.00",
    )


def _order(rows: list[tuple[Requirement, dict]]) -> list[str]:
    ranked = sorted(((gap_priority(r, **kw), r) for r, kw in rows), key=lambda x: order_key(*x))
    return [r.skill_id for _p, r in ranked]


# ------------------------------------------------------------------------------------------------ the score
def test_a_basic_skill_every_adult_holds_comes_after_knowledge_of_similar_weight():
    """A waitress toward licensed practical nursing read "focus next on Reading Comprehension" ahead of Medicine
    and Dentistry (O*NET rates both essential for LPNs, reading a little higher)."""
    reading = _req("onet:2.A.1.a", "rated", 0.69, level=0.5, kind="onet_skill", label="Reading Comprehension")
    medicine = _req("onet:2.C.5.b", "rated", 0.67, level=0.5, kind="onet_knowledge", label="Medicine and Dentistry")
    assert _order([(reading, {}), (medicine, {})]) == ["onet:2.C.5.b", "onet:2.A.1.a"]
    assert gap_priority(reading).score == pytest.approx(
        1 + need(reading) * (1 - WEIGHTS.task_weight) * WEIGHTS.basic_skill
    )
    much_more = _req("onet:2.A.1.a", "rated", 0.95, level=0.9, kind="onet_skill")
    assert _order([(much_more, {}), (medicine, {})])[0] == "onet:2.A.1.a"  # a factor, not a ban


def test_a_generic_esco_skill_comes_after_what_is_characteristic_of_the_target():
    """A biology graduate toward biologists read "speak different languages" and "manage personal professional
    development" (essential for many ESCO occupations, mapped at 0.97) ahead of Python, R and Mathematics."""
    languages = _req("esco:skill:languages", "essential", 0.97, label="speak different languages")
    python = _req("esco:skill:python", "rated", 0.75, level=0.6, kind="esco_knowledge", label="Python")
    generic = {"typical": WEIGHTS.generic_min + 0.03}
    assert _order([(languages, generic), (python, {})]) == ["esco:skill:python", "esco:skill:languages"]
    assert _order([(languages, {"typical": WEIGHTS.generic_min / 4}), (python, {})])[0] == "esco:skill:languages"
    assert gap_priority(languages, **generic).score == pytest.approx(
        1 + need(languages) * (1 - WEIGHTS.task_weight) * WEIGHTS.generic_skill
    )


def test_essential_before_optional_whatever_the_weight():
    mapped_essential = _req("esco:a", "essential", 0.62)
    optional = _req("esco:b", "optional", 0.5)
    rated_mid = _req("onet:x", "rated", 0.6, level=1.0, kind="onet_skill")  # IM 3.4 of 5: not high importance
    rated_high = _req("onet:y", "rated", 0.7, level=0.2, kind="onet_skill")  # IM 3.8: high importance
    plain_tech = _req("tech:t", "technology", 0.65, kind="technology")  # hot, not in demand
    assert tier(rated_mid) == "optional" and tier(rated_high) == "essential"
    assert tier(plain_tech) == "optional" and tier(plain_tech, in_demand=True) == "essential"
    rows = [
        (optional, {"tasks": 9, "task_total": 10}),
        (rated_mid, {"tasks": 9, "task_total": 10}),
        (plain_tech, {}),
        (mapped_essential, {}),
        (rated_high, {}),
    ]
    order = _order(rows)
    assert set(order[:2]) == {"esco:a", "onet:y"}
    assert all(gap_priority(r, **kw).score < 1.0 for r, kw in rows if tier(r) == "optional")


def test_a_plain_tool_comes_after_what_the_work_rates_and_so_does_one_hot_only_elsewhere():
    """Cashier → tellers listed Hyland Software OnBase and Jack Henry Vertex (neither hot nor in demand) first;
    an EMT toward paramedics was told "iOS is the main skill to build": O*NET's Hot flag is economy-wide
    (iOS is frequent in developers' postings), so a hot tool the target does not flag In Demand is a plain
    tool there. One it does flag keeps its weight."""
    plain = _req("tech:onbase", "technology", 0.5, kind="technology")
    hot = _req("tech:ios", "technology", 0.65, kind="technology").model_copy(update={"hot": True})
    thinking = _req("onet:think", "rated", 0.6, level=0.45, kind="onet_skill")  # optional tier too
    assert need(plain) == pytest.approx(0.5 * WEIGHTS.plain_tool)
    assert need(hot) == pytest.approx(0.65 * WEIGHTS.plain_tool)
    assert _order([(plain, {}), (thinking, {}), (hot, {})]) == ["onet:think", "tech:ios", "tech:onbase"]
    assert _order([(thinking, {}), (hot, {"in_demand": True})])[0] == "tech:ios"  # essential when in demand


def test_an_in_demand_tool_is_weighed_at_a_middling_level_not_above_what_the_work_rates():
    """Infantry -> Information Security Analysts: "Amazon Web Services AWS software is the first skill to build"
    (in demand and hot, importance 0.75, no level in O*NET) ahead of Computers and Electronics (0.84 at level
    0.85, a broad area: 0.62). A tool's need takes the level factor of a middling level; it stays essential,
    ahead of optional items."""
    aws = _req("tech:aws", "technology", 0.75, kind="technology").model_copy(update={"hot": True})
    computers = _req("onet:computers", "rated", 0.84, level=0.6, kind="onet_knowledge")
    optional = _req("onet:instructing", "rated", 0.6, level=0.9, kind="onet_skill")
    assert need(aws, in_demand=True) == pytest.approx(
        0.75 * (1 - WEIGHTS.level_weight + WEIGHTS.level_weight * WEIGHTS.tool_level)
    )
    assert _order([(aws, {"in_demand": True}), (computers, {}), (optional, {})]) == [
        "onet:computers",
        "tech:aws",
        "onet:instructing",
    ]


def test_importance_and_level_both_count():
    low_level = _req("onet:low", "rated", 0.8, level=0.2, kind="onet_skill")
    high_level = _req("onet:high", "rated", 0.8, level=0.9, kind="onet_skill")
    more_important = _req("onet:imp", "rated", 0.95, level=0.2, kind="onet_skill")
    assert need(high_level) > need(low_level)
    assert need(more_important) > need(low_level)
    assert need(low_level) == pytest.approx(0.8 * (1 - WEIGHTS.level_weight + WEIGHTS.level_weight * 0.2))
    assert _order([(low_level, {}), (high_level, {})]) == ["onet:high", "onet:low"]
    # an ESCO row has no level: its need is its importance
    assert need(_req("esco:e", "essential", 0.9)) == pytest.approx(0.9)


def test_the_targets_tasks_break_ties_between_equally_weighted_essentials():
    """The map's ESCO essentials share one importance: the tasks that depend on each order them, not the alphabet."""
    a = _req("esco:a", "essential", 0.78, label="build recommender systems")
    b = _req("esco:b", "essential", 0.78, label="use data processing techniques")
    rows = [(a, {"tasks": 1, "task_total": 16}), (b, {"tasks": 7, "task_total": 16})]
    assert _order(rows) == ["esco:b", "esco:a"]
    # saturates: beyond task_share_full more tasks add nothing
    full = gap_priority(b, tasks=8, task_total=16).score
    assert gap_priority(b, tasks=16, task_total=16).score == pytest.approx(full)
    assert gap_priority(b, tasks=0, task_total=16).score < full
    # a target without task statements (a posting) orders by need alone
    assert gap_priority(b).score == pytest.approx(1 + 0.78 * (1 - WEIGHTS.task_weight))


def test_an_unresolved_area_ranks_after_concrete_skills_of_similar_weight_but_is_never_dropped():
    area = _req("onet:2.C.4.f", "rated", 0.70, level=0.6, kind="onet_knowledge", label="Sociology and Anthropology")
    similar = _req("esco:s", "essential", 0.66)
    weaker = _req("esco:w", "essential", 0.30)
    rows = [(area, {"unresolved_area": True}), (similar, {}), (weaker, {})]
    assert gap_priority(area, unresolved_area=True).score < gap_priority(area).score
    assert _order(rows) == ["esco:s", "onet:2.C.4.f", "esco:w"]


# ------------------------------------------------------------------------------------------------ areas
def test_resolve_areas_takes_the_closest_concrete_skill_once():
    from retrieval.skills.areas import resolve_areas

    e = np.eye(4, dtype=np.float32)
    v = {"area1": e[0], "area2": (e[0] + e[1]) / np.sqrt(2), "c1": (e[0] * 0.9 + e[2] * 0.44), "c2": e[1], "c3": e[3]}
    areas = [_req("area1", "rated", 0.7, kind="onet_knowledge"), _req("area2", "rated", 0.7, kind="onet_knowledge")]
    concrete = [_req(c, "essential", 1.0) for c in ("c1", "c2", "c3")]
    out = resolve_areas(areas, concrete, v, threshold=0.45)
    assert out["area1"].skill_id == "c1"  # the closest
    assert out["area2"].skill_id == "c2"  # c1 is taken: the next one above the threshold
    assert resolve_areas(areas, [concrete[2]], v, threshold=0.45) == {}  # nothing close enough: nothing invented


NURSE, HEALTH_ED = "29-1141.00", "21-1091.00"


@pytest.fixture(scope="module")
def gap_settings(synthetic_settings):
    return synthetic_settings.model_copy(
        update={"gap_embeddings": True, "gap_esco_map": False, "explain_use_memory": False}
    )


def _skill(catalogue, label: str, kind: str | None = None) -> str:
    sql = "SELECT id FROM skill WHERE label = ? AND canonical_id = id" + (" AND kind = ?" if kind else "")
    row = catalogue.execute(sql, (label, kind) if kind else (label,)).fetchone()
    assert row, label
    return row[0]


def test_a_knowledge_area_is_shown_as_the_concrete_skill_it_needs(gap_settings, synthetic_catalogue):
    """Mathematics (the knowledge area), missing for a data scientist, becomes the target's concrete
    *statistics*; the area stays on it as context and the entry keeps the area's weight."""
    from retrieval.skills.evidence import ItemRef
    from retrieval.skills.gap_order import rank_missing
    from retrieval.skills.graph import get_graph

    graph = get_graph(gap_settings)
    maths = _skill(synthetic_catalogue, "Mathematics", "onet_knowledge")
    statistics = _skill(synthetic_catalogue, "statistics")
    bookkeeping = _skill(synthetic_catalogue, "bookkeeping")
    missing = [
        _req(maths, "rated", 0.9, level=0.7, kind="onet_knowledge", label="Mathematics"),
        _req(statistics, "essential", 0.5, kind="esco_knowledge", label="statistics"),
        _req(bookkeeping, "essential", 0.6, kind="esco_knowledge", label="bookkeeping"),
    ]
    item = ItemRef(id="15-2051.00", kind="occupation", title="Data Scientists")
    ranked = rank_missing(item, missing, graph, gap_settings, use_embeddings=True)
    ids = [g.req.skill_id for g in ranked]
    assert maths not in ids and len(ranked) == 2  # folded into its concrete skill, not dropped
    first = ranked[0]
    assert first.req.skill_id == statistics and first.area is not None and first.area.id == maths
    assert first.rank.need == pytest.approx(need(missing[0]))  # the area's weight carries over
    assert next(g for g in ranked if g.req.skill_id == bookkeeping).area is None  # unrelated: no area context
    # without the embedding model nothing is resolved: the area stays, marked, after similar concrete skills
    plain = rank_missing(item, missing, graph, gap_settings, use_embeddings=False)
    area = next(g for g in plain if g.req.skill_id == maths)
    assert area.rank.unresolved_area and area.area is None and len(plain) == 3


def test_task_links_count_the_targets_tasks_that_depend_on_a_skill(gap_settings, synthetic_catalogue):
    from retrieval.skills.task_links import occupation_tasks, task_support

    tasks = occupation_tasks("15-2051.00", gap_settings)  # Data Scientists: three task statements
    assert len(tasks) == 3
    python = _skill(synthetic_catalogue, "Python (computer programming)")
    bookkeeping = _skill(synthetic_catalogue, "bookkeeping")
    reqs = [
        _req(python, "essential", 1.0, label="Python (computer programming)"),
        _req(bookkeeping, "essential", 1.0, label="bookkeeping"),
    ]
    named = task_support("15-2051.00", reqs, gap_settings, use_embeddings=False)
    assert named.total == 3 and named.count(python) >= 1 and named.count(bookkeeping) == 0
    meaning = task_support("15-2051.00", reqs, gap_settings, use_embeddings=True)
    assert meaning.count(python) >= named.count(python) and meaning.count(bookkeeping) == 0
    assert task_support("esco:occupation:none", reqs, gap_settings).total == 0


def test_skill_gap_lists_missing_skills_by_the_score_with_catalogue_labels_kept(gap_settings):
    from retrieval.skills.gap import Profile, skill_gap

    gap = skill_gap(Profile(occupation=NURSE), "15-2051.00", gap_settings, max_missing=40)
    assert gap.missing_skills
    scores = [m.rank.score for m in gap.missing_skills]
    assert scores == sorted(scores, reverse=True)
    for m in gap.missing_skills:
        assert m.catalogue_label == m.requirement.label and m.rank is not None
    before = skill_gap(Profile(occupation=NURSE), "15-2051.00", gap_settings, max_missing=40, ordering="importance")
    # the same gaps, only ordered (and areas folded) differently
    after_ids = {m.id for m in gap.missing_skills} | {m.area.id for m in gap.missing_skills if m.area}
    assert after_ids == {m.id for m in before.missing_skills}


# ------------------------------------------------------------------------------------------------ plain labels
def test_plain_label_uses_the_catalogues_own_shorter_label(gap_settings, synthetic_catalogue):
    from retrieval.skills.plain import plain_label

    sid = _skill(synthetic_catalogue, "plan health education programmes")
    # four words: not long enough to look for plainer words
    assert plain_label(sid, "plan health education programmes", gap_settings) == "plan health education programmes"
    # a long label (here given for the same skill) takes the skill's shorter ESCO altLabel
    long = "plan and organise health education programmes for the community"
    assert plain_label(sid, long, gap_settings) == "plan community health programmes"
    assert plain_label("tech:x", long, gap_settings) == long  # only ESCO labels are rewritten
