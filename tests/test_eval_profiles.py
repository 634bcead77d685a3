"""``waypoint eval profiles``: its committed data (checked against the real O*NET release and résumé
set: integration tier through ``data_dir``) and its scoring helpers (pure functions: unit tier)."""

from __future__ import annotations

import csv
import re
from collections import defaultdict

import pandas as pd
import pytest

from eval.profiles import (
    ActivityRun,
    GoalRun,
    PersonaRun,
    ResumeRun,
    attainable_share,
    family_sizes,
    rank_of,
    recognised,
    score_activities,
    score_goals,
    score_personas,
    score_resumes,
    share_inside,
    soc6,
    spread,
    stratified,
    timing,
)
from eval.profiles_data import (
    Activity,
    GoalStatement,
    Persona,
    ResumeFamily,
    load_activities,
    load_goals,
    load_personas,
    load_resume_families,
)
from retrieval.occupations.transitions import in_prefixes


def _tsv(path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE)


@pytest.fixture(scope="module")
def onet_codes(data_dir) -> set[str]:
    return set(_tsv(data_dir / "onet" / "Occupation Data.txt")["O*NET-SOC Code"])


@pytest.fixture(scope="module")
def related_sources(data_dir) -> set[str]:
    return set(_tsv(data_dir / "onet" / "Related Occupations.txt")["O*NET-SOC Code"])


# ------------------------------------------------------------------------------ data (integration)
def test_personas_name_real_occupations_and_enough_are_labelled(onet_codes, related_sources):
    personas = load_personas()
    assert len(personas) >= 70
    unknown = [p.id for p in personas if p.onet not in onet_codes]
    assert not unknown, f"codes not in Occupation Data.txt: {unknown}"
    labelled = [p for p in personas if p.onet in related_sources]
    assert len(labelled) >= 60, f"only {len(labelled)} personas have Related Occupations rows"
    # Spread over many occupation families, not 70 nurses.
    assert len({p.onet[:2] for p in personas}) >= 15


def test_activity_sentences_name_real_occupations_and_no_title(onet_codes):
    """Sentences of work over many families, each accepted code real; the sentences that name no work are
    there too, and no sentence of work is also a persona (the two sets measure different things)."""
    rows = load_activities()
    work = [a for a in rows if a.onet]
    assert len(work) >= 50 and len(rows) - len(work) >= 15
    unknown = [(a.id, c) for a in work for c in a.onet if c not in onet_codes]
    assert not unknown, f"codes not in Occupation Data.txt: {unknown}"
    assert len({a.onet[0][:2] for a in work}) >= 12
    assert not {a.text for a in rows} & {p.text for p in load_personas()}


def test_goal_statements_have_real_families(onet_codes):
    goals = load_goals()
    assert len(goals) >= 45
    assert [g.id for g in goals if g.onet and g.onet not in onet_codes] == []
    for g in goals:
        empty = [p for p in g.soc_prefixes if not any(c.startswith(p) for c in onet_codes)]
        assert not empty, f"{g.id}: prefixes matching no O*NET occupation: {empty}"
        # The family must hold something besides the person's own job, or the goal cannot be met.
        assert any(in_prefixes(c, g.soc_prefixes) and c != g.onet for c in onet_codes), g.id
    # One family name, one definition: the same goal_family never gets two prefix lists.
    by_family: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for g in goals:
        by_family[g.goal_family].add(tuple(g.soc_prefixes))
    assert {f: d for f, d in by_family.items() if len(d) > 1} == {}
    assert len(by_family) >= 20
    assert sum(g.onet is None for g in goals) >= 5  # some people name no current job


def test_every_resume_category_is_mapped_to_real_families(data_dir, onet_codes):
    frame = pd.read_csv(data_dir / "resumes" / "UpdatedResumeDataSet.csv", dtype=str, keep_default_na=False)
    categories = {c.strip() for c in frame["Category"]}
    families = load_resume_families()
    assert set(families) == categories
    for name, family in families.items():
        empty = [p for p in family.soc_prefixes if not any(c.startswith(p) for c in onet_codes)]
        assert not empty, f"{name}: prefixes matching no O*NET occupation: {empty}"


@pytest.mark.parametrize("loader", [load_personas, load_goals, load_activities])
def test_no_duplicate_ids_or_texts(loader, data_dir):
    rows = loader()
    assert len({r.id for r in rows}) == len(rows)
    norm = [re.sub(r"\W+", " ", r.text.lower()).strip() for r in rows]
    assert len(set(norm)) == len(norm)


def test_personas_and_goals_are_distinct_sets(data_dir):
    """A persona is a self-description; a goal statement says where the person wants to go."""
    persona_texts = {p.text for p in load_personas()}
    assert not persona_texts & {g.text for g in load_goals()}


# ---------------------------------------------------------------------------------- helpers (unit)
def test_soc_prefix_helpers():
    assert soc6("29-1141.03") == "29-1141"
    assert in_prefixes("13-2051.00", ["13-2", "11-3031"]) and in_prefixes("11-3031.01", ["13-2", "11-3031"])
    assert not in_prefixes("33-2011.00", ["13-2", "11-3031"])
    ranked = ["13-2011.00", "33-2011.00", "11-3031.00", "13-2051.00"]
    assert share_inside(ranked, ["13-2", "11-3031"], 5) == pytest.approx(3 / 5)  # a short list's empty places miss
    assert share_inside([], ["13-2"], 5) == 0.0
    assert attainable_share(["53-2011.00", "53-2012.00", "x"], ["53-201"], family_size=2) == 1.0
    assert attainable_share(["53-2011.00", "x"], ["53-201"], family_size=2) == 0.5
    assert attainable_share(["x"], ["99-"], family_size=0) is None


def test_recognition_counts_exact_and_same_soc_separately():
    cands = ["29-1141.01", "29-1141.00", "29-2061.00"]
    assert recognised(cands, "29-1141.00", 1) == {"exact": False, "soc6": True}
    assert recognised(cands, "29-1141.00", 3) == {"exact": True, "soc6": True}
    assert recognised(cands, "31-1131.00", 3) == {"exact": False, "soc6": False}
    assert rank_of(cands, "29-2061.00") == 3 and rank_of(cands, "x") is None


def test_samples_are_deterministic_and_cover_every_group():
    rows = list(range(100))
    assert spread(rows, 4) == [0, 25, 50, 75] and spread(rows, None) == rows and spread(rows, 500) == rows
    items = [("b", i) for i in range(5)] + [("a", i) for i in range(2)] + [("c", i) for i in range(3)]
    sample = stratified(items, key=lambda r: r[0], limit=5)
    assert sample == [("a", 0), ("b", 0), ("c", 0), ("a", 1), ("b", 1)]
    assert stratified(items, key=lambda r: r[0], limit=None) == items


def test_timing_and_family_sizes():
    t = timing([0.1, 0.2, 0.3, 0.4, 2.0])
    assert t["calls"] == 5 and t["max_s"] == 2.0 and t["p50_s"] == 0.3 and t["p95_s"] == 2.0
    assert timing([]) is None
    sizes = family_sizes(["53-2011.00", "53-2012.00", "13-2011.00"], {"pilot": ["53-201"], "law": ["23-1"]})
    assert sizes == {"pilot": 2, "law": 0}


def test_score_personas_ndcg_ratio_and_recognition():
    labels = {"29-1141.00": {"a": 3, "b": 2}}
    titles = {"29-1141.00": "Registered Nurses", "a": "A", "b": "B"}
    nurse = Persona(id="p1", text="RN on a ward", onet="29-1141.00")
    unlabelled = Persona(id="p2", text="I drive trucks", onet="53-3032.00")
    runs = [
        PersonaRun(
            nurse,
            text_ranked=["x", "a"],
            code_ranked=["a", "b"],
            candidates=["29-1141.01", "29-1141.00"],
            status="understood",
        ),
        PersonaRun(unlabelled, text_ranked=["y"], code_ranked=["z"], candidates=["53-3032.00"], status="understood"),
    ]
    out = score_personas(runs, labels, titles)
    assert out["rows"] == 2 and out["labelled"] == 1
    assert out["ndcg@10_code"] == pytest.approx(1.0)
    assert 0 < out["ndcg@10_text"] < 1 and out["ratio"] == pytest.approx(out["ndcg@10_text"])
    assert out["meets_target"] is False
    assert out["recognition"]["top1_exact"] == 0.5 and out["recognition"]["top1_soc6"] == 1.0
    assert out["recognition"]["top3_exact"] == 1.0
    assert [r["id"] for r in out["worst_recognition"]] == ["p1"]
    assert [r["id"] for r in out["worst_ndcg"]] == ["p1"]  # only rows where the text lost against the code
    # Without the understanding there is no recognition, and NDCG is still scored.
    bare = score_personas([PersonaRun(nurse, ["a", "b"], ["a", "b"], None)], labels, titles)
    assert bare["recognition"] is None and bare["ratio"] == pytest.approx(1.0) and bare["meets_target"] is True
    assert bare["worst_ndcg"] == []


def test_score_goals_both_variants_and_current_occupation():
    finance = ["13-2", "11-3031"]
    fire = GoalStatement(
        id="g1", text="firefighter, want finance", onet="33-2011.00", goal_family="finance", soc_prefixes=finance
    )
    anon = GoalStatement(id="g2", text="get into finance", goal_family="finance", soc_prefixes=finance)
    inside5 = ["13-2011.00", "13-2051.00", "11-3031.00", "13-2052.00", "13-2072.00"]
    runs = [
        GoalRun(fire, text_ranked=["33-2011.00", *inside5[:4]], code_ranked=inside5),
        GoalRun(anon, text_ranked=inside5, code_ranked=None),
    ]
    out = score_goals(runs, {"finance": 20}, {})
    text = out["text"]
    assert text["rows"] == 2 and text["top5_inside"] == pytest.approx((0.8 + 1.0) / 2)
    assert text["top1_inside"] == 0.5 and text["current_excluded"] == 0.0 and text["meets_target"] is False
    code = out["occupation_and_goal"]
    assert code["rows"] == 1 and code["top5_inside"] == 1.0 and code["current_excluded"] == 1.0 and code["meets_target"]
    assert out["worst"][0]["id"] == "g1"
    assert score_goals(runs, {"finance": 0}, {})["families_without_occupations"] == ["finance"]


def test_score_resumes_per_category_and_csv_rows():
    families = {
        "HR": ResumeFamily(category="HR", soc_prefixes="13-1071;11-3121", rationale="HR people are HR people"),
        "Advocate": ResumeFamily(category="Advocate", soc_prefixes=["23-1"], rationale="advocates are lawyers"),
    }
    runs = [
        ResumeRun("r1", "HR", ["13-1071.00"], "understood", rows=3),
        ResumeRun("r2", "HR", ["43-4051.00", "11-3121.00"], "understood", rows=1),
        ResumeRun("r3", "Advocate", [], "no_occupation", rows=4),
    ]
    out = score_resumes(runs, families, {"13-1071.00": "Human Resources Specialists"})
    assert out["top1"] == pytest.approx(1 / 3) and out["top3"] == pytest.approx(2 / 3)
    assert out["top1_csv_rows"] == pytest.approx(3 / 8) and out["top3_csv_rows"] == pytest.approx(4 / 8)
    assert out["none_detected"] == 1 and out["meets_target"] is False
    hr = next(c for c in out["per_category"] if c["category"] == "HR")
    assert hr["résumés"] == 2 and hr["csv_rows"] == 4 and hr["top1"] == 0.5 and hr["top3"] == 1.0
    assert [w["id"] for w in out["worst"]] == ["r2", "r3"]


def test_score_activities_served_and_ablated():
    """Top 1 / top 3 over accepted codes, nothing linked on work, something linked without work; the
    ablation is reported only when every row has it."""
    barber = Activity(id="a1", text="I cut hair", onet=["39-5011.00", "39-5012.00"])
    wirer = Activity(id="a2", text="I wire houses", onet=["47-2111.00"])
    ohio = Activity(id="n1", text="I live in Ohio", onet=[])
    runs = [
        ActivityRun(barber, ["39-5012.00"], []),
        ActivityRun(wirer, ["47-2141.00", "47-2111.00"], ["47-2111.00"]),
        ActivityRun(ohio, ["53-3033.00"], []),
    ]
    out = score_activities(runs, {"47-2141.00": "Painters", "53-3033.00": "Light Truck Drivers"})
    assert out["served"] == {"top1": 0.5, "top3": 1.0, "nothing_linked": 0.0, "linked_without_work": 1.0}
    assert out["without_task_centroids"] == {
        "top1": 0.5,
        "top3": 0.5,
        "nothing_linked": 0.5,
        "linked_without_work": 0.0,
    }
    assert [w["id"] for w in out["wrong"]] == ["a2", "n1"] and out["wrong"][0]["linked"][0] == "Painters"
    assert score_activities([ActivityRun(barber, ["39-5011.00"], None)], {})["without_task_centroids"] is None


def test_plausible_listed_counts_accepted_related_and_same_minor_group():
    """The list a barber gets: barbers' own major group (39) and O*NET's related occupations count; hand
    sewers do not; sentences with no list (refused) are left out of the mean."""
    barber = Activity(id="a1", text="I cut hair", onet=["39-5011.00", "39-5012.00"])
    wirer = Activity(id="a2", text="I wire houses", onet=["47-2111.00"])
    labels = {"39-5011.00": {"25-1194.00": 2.0}}  # barbers -> career/technical teachers (cosmetology)
    runs = [
        ActivityRun(barber, ["39-5011.00"], None, listed=["39-5012.00", "39-5092.00", "25-1194.00", "51-6051.00"]),
        ActivityRun(wirer, ["47-2111.00"], None, listed=["47-2111.01", "47-4021.00"]),  # 47: same major group
        ActivityRun(Activity(id="a3", text="I do things", onet=["11-1011.00"]), [], None, listed=[]),
    ]
    out = score_activities(runs, {"51-6051.00": "Sewers, Hand"}, labels)
    assert out["served"]["plausible_listed"] == pytest.approx((3 / 4 + 1.0) / 2) and out["listed_rows"] == 2
    assert out["implausible"] == [
        {"id": "a1", "text": "I cut hair", "plausible": 0.75, "not_plausible": ["Sewers, Hand"]}
    ]
    assert "plausible_listed" not in score_activities(runs, {})["served"]  # no labels, no list measure


def test_report_renders_every_part_and_plots(tmp_path):
    """The markdown names each measure and each failure; both PNGs are written."""
    from eval.profiles import Timed
    from eval.profiles_report import plot, render

    nurse = Persona(id="p1", text="RN on a ward", onet="29-1141.00")
    goal = GoalStatement(
        id="g1",
        text="teacher, want to code",
        onet="25-2031.00",
        goal_family="software development",
        soc_prefixes=["15-1252"],
    )
    families = {"HR": ResumeFamily(category="HR", soc_prefixes=["13-1071"], rationale="HR people are HR people")}
    timed = Timed()
    timed("understand(persona)", lambda: 1, [])
    timed("understand(persona)", lambda: 2, [])
    errors: list[str] = []
    assert timed("recommend(text)", lambda: 1 / 0, errors) is None and "ZeroDivisionError" in errors[0]
    result = {
        "limit": 3,
        "understanding_available": True,
        "seconds": 1.0,
        "personas": score_personas(
            [PersonaRun(nurse, ["x"], ["a"], ["31-1131.00"], "understood")],
            {"29-1141.00": {"a": 3}},
            {"31-1131.00": "Nursing Assistants"},
        ),
        "goals": score_goals([GoalRun(goal, ["25-2031.00"], ["15-1252.00"])], {"software development": 1}, {}),
        "resumes": {
            **score_resumes([ResumeRun("r1", "HR", ["43-4051.00"], "understood")], families, {}),
            "sampled_from": 166,
        },
        "activities": score_activities(
            [ActivityRun(Activity(id="a9", text="I wire houses", onet=["47-2111.00"]), ["47-2141.00"], ["47-2111.00"])],
            {"47-2141.00": "Painters, Construction and Maintenance"},
        ),
        "skills": {"available": False, "reason": "no labelled lines"},
        "timing": timed.summary(),
    }
    assert result["timing"]["understand(persona)"]["calls"] == 1  # the first call is reported apart
    md = render(result)
    for needle in (
        "free text",
        "Nursing Assistants",
        "g1",
        "top-1 family accuracy",
        "r1",
        "Not available: no labelled",
        "understand(persona)",
        "without task centroids",
        "Painters, Construction and Maintenance",
    ):
        assert needle in md, needle
    written = plot(result, tmp_path)
    assert [p.name for p in written] == ["profiles.png", "profiles_resumes.png"]
    assert all(p.stat().st_size > 1000 for p in written)


def test_malformed_rows_are_rejected():
    with pytest.raises(ValueError):
        Persona(id="p", text="nurse", onet="29-1141")  # not a full O*NET-SOC code
    with pytest.raises(ValueError):
        Activity(id="a", text="I cut hair", onet=["39-5011"])
    with pytest.raises(ValueError):
        GoalStatement(id="g", text="want finance", goal_family="finance", soc_prefixes=["finance"])
    with pytest.raises(ValueError):
        ResumeFamily(category="HR", soc_prefixes="", rationale="no families given")
    with pytest.raises(ValueError):
        ResumeFamily(category="HR", soc_prefixes="13-2.01", rationale="a suffix needs the full code")
