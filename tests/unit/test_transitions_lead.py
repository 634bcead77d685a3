"""A step into leading others is not a first move into a field (retrieval/occupations/transitions.py)."""

from __future__ import annotations

import numpy as np

from retrieval.occupations.transitions import WEIGHTS, leads_others, reachability


def test_management_first_line_supervisors_and_project_managers_lead_others():
    assert leads_others("11-3021.00", "Computer and Information Systems Managers")
    assert leads_others("53-1042.00", "First-Line Supervisors of Helpers, Laborers, and Material Movers, Hand")
    assert leads_others("15-1299.09", "Information Technology Project Managers")
    assert not leads_others("15-1232.00", "Computer User Support Specialists")
    assert not leads_others("17-1011.00", "Architects, Except Landscape and Naval")  # minor group 1 below major 33
    assert not leads_others("25-1011.00", "Business Teachers, Postsecondary")


def _scores(
    sources: list[tuple[int, float]], leads: np.ndarray | None, catch_all: np.ndarray | None = None
) -> np.ndarray:
    n = 4  # rows: 0 warehouse worker, 1 supervisor, 2 IT manager, 3 IT support (same features otherwise)
    return reachability(
        targets=np.array([2, 3]),
        sources=sources,
        requirements=np.ones((n, 2), np.float32) / np.sqrt(2),
        meaning=np.ones((n, 2), np.float32) / np.sqrt(2),
        job_zone=np.array([2.0, 2.0, 3.0, 3.0]),
        ranked_from_source={},
        related={},
        goal_similarity=np.array([0.0, 0.0, 0.5, 0.3], np.float32),
        text_similarity=None,
        leads=leads,
        catch_all=catch_all,
    )


def test_a_person_who_leads_no_one_sees_the_leading_role_lower_by_the_share_of_their_links_that_do_not_lead():
    leads = np.array([False, True, True, False])
    unled = _scores([(0, 1.0)], None)
    assert unled[0] > unled[1]  # the manager title is closer to the goal: it came first
    plain = _scores([(0, 1.0)], leads)
    assert plain[1] > plain[0] and np.isclose(unled[0] - plain[0], WEIGHTS["to_lead"])
    mixed = _scores([(0, 0.75), (1, 0.25)], leads)  # linked a quarter surely to a supervisor
    assert np.isclose(unled[0] - mixed[0], 0.75 * WEIGHTS["to_lead"]) and mixed[1] == unled[1]
    leader = _scores([(1, 1.0)], leads)
    assert np.allclose(leader, unled)


def test_a_person_with_no_work_named_leads_no_one_yet_and_an_all_other_category_is_not_a_first_suggestion():
    """ "I want to work with computers but I have no experience": Computer Occupations, All Other first and Computer
    and Information Systems Managers second. With no work named, the whole lead penalty applies; O*NET's "All
    Other" residual categories lose their own."""
    leads = np.array([False, True, True, False])
    unled = _scores([], None)
    assert unled[0] > unled[1]
    nobody = _scores([], leads)
    assert nobody[1] > nobody[0] and np.isclose(unled[0] - nobody[0], WEIGHTS["to_lead"])
    catch_all = np.array([False, False, False, True])
    rest, before = _scores([(0, 1.0)], None, catch_all), _scores([(0, 1.0)], None)
    assert np.isclose(before[1] - rest[1], WEIGHTS["catch_all"]) and rest[0] == before[0]
