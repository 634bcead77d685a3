"""Which matched skills an explanation names first: the most characteristic of the item, not the software
nearly every occupation lists (a truck driver was told "your work has likely involved Microsoft Excel,
Microsoft Outlook and English Language"; O*NET lists Excel for 859 of 923 occupations)."""

from __future__ import annotations

import numpy as np
import pytest

from app.explain.composer import decisive
from app.explain.evidence import Evidence, EvidenceSkill, fit_for
from app.explain.schema import ItemInfo


def _skill(sid, importance, salience, provenance, kind):
    return EvidenceSkill(
        id=sid,
        label=sid,
        name=sid,
        importance=importance,
        salience=salience,
        status="matched",
        citations=["c1"],
        provenance=provenance,
        kind=kind,
    )


def test_decisive_skills_are_the_characteristic_ones_and_inferred_software_comes_last():
    matched = [
        _skill("Microsoft Excel", 0.75, 0.05, "inferred", "technology"),
        _skill("FreightDATA", 0.5, 0.49, "inferred", "technology"),
        _skill("English Language", 0.70, 0.03, "inferred", "onet_knowledge"),
        _skill("Transportation", 0.60, 0.32, "inferred", "onet_knowledge"),
        _skill("Operation and Control", 0.53, 0.23, "inferred", "onet_skill"),
        _skill("Python", 0.5, 0.10, "stated", "technology"),  # software the person named keeps its place
    ]
    evidence = Evidence(
        key="k",
        item=ItemInfo(id="53-3033.00", kind="occupation", title="Light Truck Drivers"),
        coverage=0.7,
        fit=fit_for(0.7),
        requirements_total=20,
        matched=matched,
        matched_total=len(matched),
        partial=[],
        missing=[],
        missing_total=0,
        citations=[],
    )
    assert [s.id for s in decisive(evidence)] == ["Transportation", "Operation and Control", "Python"]


def test_typical_importance_is_the_mean_over_the_taxonomys_occupations(synthetic_settings):
    from retrieval.skills.graph import get_graph

    graph = get_graph(synthetic_settings)
    kinds = np.array([graph.graph.nodes[o].get("kind") for o in graph.occupation_ids])
    rows = np.flatnonzero(kinds == "onet")
    col = int(np.argmax(np.asarray((graph.requirements[rows] > 0).sum(axis=0)).ravel()))  # the most common skill
    expected = graph.requirements[rows][:, col].sum() / len(rows)
    assert graph.typical_importance(graph.skill_ids[col], "onet") == pytest.approx(expected)
    assert 0 < expected <= 1
    assert graph.typical_importance("no-such-skill") == 0.0


@pytest.mark.parametrize(
    "reason, stated, shown",
    [
        ("same_tool_category", False, False),  # "Axure RP (through Facebook)": neither named by the person
        ("related", False, False),
        ("sibling", False, False),
        ("same_tool_category", True, True),  # like a tool the person named: they can judge it
        ("broader", False, True),  # hierarchy and level are not guesses by likeness
        ("lower_level", False, True),
    ],
)
def test_partly_covered_skills_guessed_twice_are_not_shown(reason, stated, shown):
    from app.explain.evidence import _guessed_twice
    from retrieval.skills.evidence import PartialSkill, Requirement

    req = Requirement(
        skill_id="tech:axure",
        label="Axure RP",
        kind="technology",
        relation="technology",
        importance=0.5,
        source="onet:x",
    )
    partial = PartialSkill(
        evidence_id="skill:tech:axure:partial",
        id="tech:axure",
        label="Axure RP",
        importance=0.5,
        reason=reason,
        via={"id": "tech:facebook", "label": "Facebook", "stated": stated},
        score=0.3,
        requirement=req,
    )
    assert _guessed_twice(partial) is not shown
