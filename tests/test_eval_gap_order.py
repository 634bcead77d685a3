"""``waypoint eval gap-order``: its judged data names real occupations and real catalogue labels, and the
evaluation scores both orderings on the real catalogue (the figures themselves are the report's)."""

from __future__ import annotations

from eval.gap_order import ORDERINGS, evaluate, load_pairs, score, splits


def test_judged_moves_are_real_and_split_as_documented(settings):
    from retrieval.skills.graph import get_graph

    pairs = load_pairs()
    graph = get_graph(settings)
    assert len(pairs) == 45 and splits(pairs) == ["course_pairs", "new_pairs", "walk_pairs"]
    assert len({p["name"] for p in pairs}) == len(pairs)
    labels = {graph.label(s) for s in graph.skill_ids}
    for p in pairs:
        assert graph.node_type(p["target"]) == "occupation", p["name"]
        assert p.get("occupation") or p.get("text"), p["name"]
        if p.get("occupation"):
            assert graph.node_type(p["occupation"]) == "occupation", p["name"]
        assert p["acceptable_first"] and set(p["acceptable_first"]) <= labels, (
            p["name"],
            set(p["acceptable_first"]) - labels,
        )


def test_both_orderings_are_scored_on_the_same_moves(settings):
    pairs = [p for p in load_pairs() if p["name"] in ("paralegal → lawyer", "bookkeeper → accountant")]
    result = evaluate(pairs, settings.model_copy(update={"gap_embeddings": False, "gap_esco_map": False}))
    lawyer = next(r for r in result["records"] if r["name"] == "paralegal → lawyer")
    # O*NET rates Law and Government 0.99 for lawyers: among the first three in either order, and the first
    # gap acceptable (Critical Thinking, first by the task links without embeddings, is, for this move)
    assert all("Law and Government" in lawyer[o]["gaps"] and lawyer[o]["first_ok"] for o in ORDERINGS), lawyer
    for o in ORDERINGS:
        assert result["summary"][o]["all"]["pairs"] == 2
        assert result["summary"][o]["all"]["first_acceptable"] >= 0.5


def test_score_counts_first_and_top3():
    rows = [
        {"first_ok": True, "top3_ok": True},
        {"first_ok": False, "top3_ok": True},
        {"first_ok": False, "top3_ok": False},
    ]
    assert score(rows) == {"pairs": 3, "first_acceptable": 0.333, "top3_acceptable": 0.667}
