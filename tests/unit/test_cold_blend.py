"""The cold-start posting blend's decisions (retrieval/jobs/cold.py), on hand-made feature rows: who counts
as clearly understood, what a goal changes, and that relevant postings go first without reordering the
list of a person Waypoint understood only vaguely. The measured trade-off is in eval/reports/jobs_cold_start.md.
"""

from __future__ import annotations

import numpy as np

from retrieval.jobs.cold import _C, COLD_FEATURES, RELEVANT_FIRST, ColdQuery, hand_blend, understood_targets

NURSE, MANAGER = "29-1141.00", "11-9111.00"


def test_a_confident_occupation_is_the_target_and_a_goal_replaces_it():
    assert understood_targets(ColdQuery(occupations=[(NURSE, 0.9)])) == ([NURSE], [])
    # a teacher who wants software asked for software: the goal alone decides what is relevant
    assert understood_targets(ColdQuery(occupations=[(NURSE, 0.9)], goals=[(MANAGER, 0.8)])) == ([MANAGER], [])
    assert understood_targets(ColdQuery(occupations=[(NURSE, 0.9)], goal_prefixes=["13-2"])) == ([], ["13-2"])


def test_a_vague_understanding_has_no_target():
    assert understood_targets(ColdQuery(occupations=[(NURSE, 0.4), (MANAGER, 0.35)])) is None
    # clear enough when no other kind of work comes near ("Python developer, Django, SQL, AWS": 0.69 vs 0.06)
    assert understood_targets(ColdQuery(occupations=[(NURSE, 0.65), ("29-1141.01", 0.6)])) == ([NURSE], [])
    # "I cut hair": no occupation is sure, the kind of work is (Barbers, Hairdressers, Shampooers: all SOC 39-5)
    hair = [("39-5011.00", 0.34), ("39-5012.00", 0.26), ("39-5093.00", 0.18)]
    assert understood_targets(ColdQuery(occupations=hair)) == (["39-5011.00"], [])
    assert understood_targets(ColdQuery(occupations=[hair[0], ("39-5012.00", 0.2)])) is None  # 0.6 together needed
    # a rival is another kind of work: "laid off from a factory job after 25 years running a CNC machine" (CNC tool
    # operators 0.70, team assemblers 0.55: both production) got the most viewed postings, administrative assistants
    cnc = [("51-9161.00", 0.70), ("51-2090.00", 0.55)]
    assert understood_targets(ColdQuery(occupations=cnc)) == (["51-9161.00"], [])
    assert understood_targets(ColdQuery(occupations=[cnc[0], (MANAGER, 0.55)])) is None


def _rows(n: int, relevant: set[int], understood: bool) -> np.ndarray:
    """``n`` postings, popularity falling with the index; ``relevant`` ones are the person's kind of work."""
    F = np.zeros((n, len(COLD_FEATURES)), dtype=np.float32)
    F[:, _C["pop_log"]] = np.linspace(5.0, 0.0, n)
    F[:, _C["fits"]] = 1.0
    F[:, _C["understood"]] = 1.0 if understood else 0.0
    for i in relevant:
        F[i, _C["relevant"]] = 1.0
    return F


def test_relevant_postings_go_first_for_a_clearly_understood_person():
    relevant = {20, 25, 29}  # unpopular, but the person's kind of work
    order = np.argsort(-hand_blend(_rows(30, relevant, understood=True)), kind="stable")
    assert set(order[: len(relevant)]) == relevant
    assert list(order[3:6]) == [0, 1, 2]  # then the list as before, most popular first


def test_at_most_the_quota_is_lifted_and_a_single_relevant_posting_too():
    many = set(range(10, 10 + RELEVANT_FIRST + 5))
    order = np.argsort(-hand_blend(_rows(40, many, understood=True)), kind="stable")
    assert set(order[:RELEVANT_FIRST]) <= many and order[RELEVANT_FIRST] == 0
    one = _rows(30, {28}, understood=True)  # the catalogue's only hairdresser posting, for a barber
    assert list(np.argsort(-hand_blend(one), kind="stable")[:3]) == [28, 0, 1]


def test_a_vague_person_keeps_the_popularity_led_list():
    vague = _rows(30, {20, 25, 29}, understood=False)
    assert list(np.argsort(-hand_blend(vague), kind="stable")[:5]) == [0, 1, 2, 3, 4]


def test_a_posting_counts_as_the_persons_kind_of_work_only_when_linked_surely_enough():
    """A laid-off CNC operator (51-9161) was shown Macy's jewelry-sales postings as their kind of work: the
    linker read "Retail Sales Fine Jewelry" as Jewelers (51-9071, same SOC minor group) at 0.28."""
    from retrieval.jobs.cold import FIRST_LINK_MIN, SECOND_LINK_MIN, ColdIndex
    from retrieval.jobs.data import JobLog

    cnc, jewelers, machinists, retail = "51-9161.00", "51-9071.00", "51-4041.00", "41-2031.00"
    titles = ["CNC Operator", "Retail Sales Fine Jewelry", "Machinist", "Sales Associate", "Bench Jeweler"]
    log = JobLog(
        job_ids=[str(i) for i in range(len(titles))],
        titles=titles,
        positions=titles,
        companies=[""] * len(titles),
        cities=[""] * len(titles),
        states=[""] * len(titles),
        views=[],
    )
    links = {
        "0": [(cnc, 0.6)],
        "1": [(jewelers, FIRST_LINK_MIN - 0.02), (retail, 0.2)],  # unsure: not the operator's kind of work
        "2": [(machinists, 0.8)],  # another minor group, but close by meaning (below)
        "3": [(retail, 0.9), (jewelers, SECOND_LINK_MIN - 0.1)],  # a second link counts only when sure
        "4": [(jewelers, FIRST_LINK_MIN + 0.1)],  # the same minor group, surely linked
    }
    ids = [cnc, jewelers, machinists, retail]
    vectors = np.eye(4, dtype=np.float32)
    vectors[2] = vectors[0] * 0.9 + vectors[2] * np.sqrt(1 - 0.81)  # machinists within cosine 0.9 of CNC
    index = ColdIndex(log, links, ids, vectors)
    assert index.relevant([cnc]).tolist() == [1.0, 0.0, 1.0, 0.0, 1.0]


def test_a_place_is_wanted_only_when_the_person_asks_for_work_there():
    """Browser walk: "Looking for jobs in Austin, TX" got three Bay Area postings before the one in Austin; the
    service puts the asked-for city's postings first (cold_service.rank). Where someone once worked is no ask."""
    from retrieval.jobs.cold import query_from_understanding

    asked = query_from_understanding("Java developer. Looking for jobs in Austin, TX.", None)
    assert asked.place_wanted and asked.place.cities == [("austin", "TX")]
    for text in ("open to work near Chicago, IL", "relocating to Seattle, WA", "I want something in Denver"):
        assert query_from_understanding(text, None).place_wanted, text
    for text in ("I work as Cashier at GRK Fresh greek in Washington, DC.", "jobs in retail", "work in a team"):
        assert not query_from_understanding(text, None).place_wanted, text
