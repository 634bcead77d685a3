"""Ratings for the O*NET occupations O*NET does not rate (Software Developers, Data Scientists, Financial and
Investment Analysts, ... 137 of 1,016): the mean of their closest rated related occupations, kept apart from
O*NET's own rows, and said so in the evidence."""

from __future__ import annotations

import networkx as nx
import numpy as np

from retrieval.occupations.stand_ins import stand_ins
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
    related = {"U": ["A", "LONELY", "B", "C"], "A": ["U"]}
    assert impute_ratings(g, related, k=2) == 1  # U only: A is rated; LONELY has no relatives and no ratings
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
    from retrieval.occupations.transitions import impute_unrated, requirement_vectors

    skills = np.array([[3.0, 1.0], [1.0, 3.0], [0.0, 0.0], [0.0, 0.0]])
    vectors = requirement_vectors(skills, np.zeros((4, 0)))
    out = impute_unrated(vectors, {2: [3, 0, 1], 3: [2]}, k=2)
    assert np.allclose(out[:2], vectors[:2])  # rated rows unchanged
    expected = (vectors[0] + vectors[1]) / np.linalg.norm(vectors[0] + vectors[1])
    assert np.allclose(out[2], expected) and np.isclose(np.linalg.norm(out[2]), 1.0)
    assert not out[3].any()  # its only relative is unrated too


def _unit(*rows: list[float]) -> np.ndarray:
    m = np.array(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_stand_ins_are_onets_rated_relatives_first_then_the_nearest_rated_by_meaning():
    """An EMT (no ratings, no O*NET related list) takes the rated occupations nearest by meaning; a military
    occupation whose nearest rated one is far keeps none rather than borrow the wrong ones."""
    ids = ["EMT", "AMBULANCE", "NURSE", "CLERK", "SOLDIER", "DEV", "PROG"]
    rated = np.array([False, True, True, True, False, False, True])
    meaning = _unit(
        [1.0, 0.1, 0.0],  # EMT
        [1.0, 0.0, 0.0],  # ambulance attendants: nearest
        [0.8, 0.6, 0.0],  # nurses: near enough
        [0.0, 1.0, 0.0],  # clerks: far
        [0.0, 0.2, 1.0],  # infantry: nothing rated near it
        [0.0, 1.0, 0.0],  # developers: by meaning, a clerk
        [0.3, 0.0, -1.0],  # programmers
    )
    out = stand_ins(ids, rated, {"DEV": ["EMT", "PROG", "CLERK"]}, meaning, k=2, min_similarity=0.6)
    assert out["EMT"] == ["AMBULANCE", "NURSE"]  # closest first, the far clerk left out
    assert out["DEV"] == ["PROG", "CLERK"]  # O*NET's rated relatives win over meaning; unrated EMT skipped
    assert "SOLDIER" not in out and set(out) == {"EMT", "DEV"}  # rated ones need no stand-in
    assert stand_ins(ids, rated, {}, None) == {}  # without vectors only O*NET's list counts


def test_a_cardiologist_takes_the_other_physicians_before_nearer_technicians():
    """By meaning alone a cardiologist's nearest rated occupations were cardiovascular technologists, exercise
    physiologists and nurses, and "Medicine and Dentistry at a higher level" became a cardiologist's gap toward
    internists. Its SOC broad group (29-121, physicians) stands in first."""
    ids = ["29-1212.00", "29-2031.00", "29-1216.00", "29-1215.00"]
    rated = np.array([False, True, True, True])
    meaning = _unit([1.0, 0.0], [0.95, 0.3], [0.7, 0.7], [0.6, 0.8])
    assert stand_ins(ids, rated, {}, meaning, k=5, min_similarity=0.6)["29-1212.00"] == ["29-1216.00", "29-1215.00"]
    # an O*NET occupation under an "All Other" code shares a catch-all group: meaning decides for it
    ids = ["15-1299.04", "15-1299.03", "15-1212.00"]
    meaning = _unit([1.0, 0.0], [0.0, 1.0], [0.9, 0.3])
    assert stand_ins(ids, np.array([False, True, True]), {}, meaning, min_similarity=0.6)["15-1299.04"] == [
        "15-1212.00"
    ]


def test_an_all_other_occupation_takes_its_soc_groups_rated_occupations():
    """ "Cooks, All Other" is the rest of its group: far from every occupation by meaning (a one-line
    description, no tasks), it takes the rated cooks of its broad group, then of its minor group."""
    ids = ["35-2011.00", "35-2014.00", "35-2019.00", "35-3023.00", "35-9099.00", "47-2061.00"]
    rated = np.array([True, True, False, True, False, True])
    meaning = _unit([1.0, 0.0], [0.9, 0.44], [0.0, 1.0], [0.5, 0.5], [0.0, 1.0], [0.6, 0.8])
    out = stand_ins(ids, rated, {}, meaning, k=5, min_similarity=0.9)
    assert out["35-2019.00"] == ["35-2014.00", "35-2011.00"]  # its broad group 35-201, nearest first
    assert "35-9099.00" not in out  # 35-909 and 35-9 hold no rated one; 47- (nearest) is not its group
