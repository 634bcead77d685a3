"""Ratings for the O*NET occupations O*NET does not rate (Software Developers, Data Scientists, Financial and
Investment Analysts, ... 137 of 1,016): the mean of their closest rated related occupations, kept apart from
O*NET's own rows, and said so in the evidence."""

from __future__ import annotations

import sqlite3

import networkx as nx

from retrieval.skills.graph import impute_ratings


def _graph() -> nx.DiGraph:
    g = nx.DiGraph()
    for oid in ("A", "B", "C", "U", "LONELY"):
        g.add_node(oid, type="occupation", kind="onet", label=oid)
    g.add_node("esco:x", type="occupation", kind="esco", label="x")
    for sid in ("think", "maths", "tool"):
        g.add_node(sid, type="skill", kind="onet_skill", label=sid)

    def rated(oid: str, sid: str, importance: float, level: float) -> None:
        g.add_edge(oid, sid, type="requires", relation="rated", importance=importance, level=level, hot=0)

    rated("A", "think", 0.8, 0.6)
    rated("A", "maths", 0.4, 0.2)
    rated("B", "think", 0.6, 0.4)
    rated("B", "maths", 0.6, 0.4)
    rated("C", "think", 0.0, 0.0)  # related, but further than k
    g.add_edge("U", "tool", type="requires", relation="technology", importance=0.75, level=None, hot=1)
    return g


def test_an_unrated_occupation_gets_the_mean_of_its_closest_rated_relatives():
    g = _graph()
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE related_occupation (occupation_id, related_id, tier, rank)")
    conn.executemany(
        "INSERT INTO related_occupation VALUES (?, ?, 'Primary-Short', ?)",
        [("U", "A", 1), ("U", "LONELY", 2), ("U", "B", 3), ("U", "C", 4), ("A", "U", 1)],
    )
    assert impute_ratings(g, conn, k=2) == 1  # U only: A is rated; LONELY has no relatives and no ratings
    think, maths = g.edges["U", "think"], g.edges["U", "maths"]
    # LONELY is unrated itself, so the two closest *rated* relatives are A and B (not C)
    assert think["imputed_from"] == ("A", "B") and think["relation"] == "rated"
    assert (think["importance"], think["level"]) == (0.7, 0.5)
    assert (maths["importance"], maths["level"]) == (0.5, 0.3)
    assert g.edges["U", "tool"]["relation"] == "technology"  # its own rows stay as they are
    assert "imputed_from" not in g.edges["A", "think"] and not list(g.successors("LONELY"))


def test_an_unrated_transition_target_is_as_reachable_as_its_rated_relatives():
    """Transition lists score a target's skills term from its rated skills and knowledge: Software Developers
    had none, and a teacher who wants to become a software developer was not shown it."""
    import numpy as np

    from retrieval.occupations.transitions import impute_unrated, requirement_vectors

    skills = np.array([[3.0, 1.0], [1.0, 3.0], [0.0, 0.0], [0.0, 0.0]])
    vectors = requirement_vectors(skills, np.zeros((4, 0)))
    out = impute_unrated(vectors, {2: [3, 0, 1], 3: [2]}, k=2)
    assert np.allclose(out[:2], vectors[:2])  # rated rows unchanged
    expected = (vectors[0] + vectors[1]) / np.linalg.norm(vectors[0] + vectors[1])
    assert np.allclose(out[2], expected) and np.isclose(np.linalg.norm(out[2]), 1.0)
    assert not out[3].any()  # its only relative is unrated too
