"""Skills graph, extraction, gaps, paths and evidence on the real catalogue (no mocks).

The session catalogue lives in a fresh WAYPOINT_HOME, so the tests avoid encoding the whole catalogue
with the embedding model: the default tests use the alias matcher, the graph and the O*NET/ESCO rows;
the embedding-based parts (ESCO map, embedding tagger) are checked on small real subsets, marked slow.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from retrieval.skills.base import SkillsInputError, UnknownIdError
from retrieval.skills.gap import DEEPEN_GENERIC, DEEPEN_IMPORTANCE, DEEPEN_KNOWLEDGE

NURSE, HEALTH_ED = "29-1141.00", "21-1091.00"


@pytest.fixture(scope="module")
def graph(settings):
    from retrieval.skills.graph import get_graph

    return get_graph(settings)


@pytest.fixture(scope="module")
def extractor(settings):
    from retrieval.skills.extract import get_extractor

    return get_extractor(settings)


@pytest.fixture(scope="module")
def nurse_gap(settings, graph):
    from retrieval.skills.gap import Profile, skill_gap

    return skill_gap(Profile(occupation=NURSE), HEALTH_ED, settings, use_embeddings=False, use_map=False)


def _rows(catalogue, occupation_id):
    return {
        r[0]: r[1]
        for r in catalogue.execute(
            "SELECT s.canonical_id, os.importance FROM occupation_skill os JOIN skill s ON s.id = os.skill_id "
            "WHERE os.occupation_id = ?",
            (occupation_id,),
        )
    }


def test_graph_has_every_node_and_edge_type(graph):
    stats = graph.stats
    assert {"skill", "occupation", "course", "posting"} <= set(stats["nodes"])
    for edge in (
        "broader",
        "requires:rated",
        "requires:technology",
        "requires:essential",
        "teaches:catalogue",
        "teaches:extracted",
        "mentions",
    ):
        assert stats["edges"].get(edge, 0) > 0, edge
    assert graph.requirements.shape == (len(graph.occupation_ids), len(graph.skill_ids))


def test_related_skills_by_cooccurrence(settings, graph):
    from retrieval.skills.graph import related_skills

    python = "esco:skill:ccd0a1d9-afda-43d9-b901-96344886e14d"
    assert graph.label(python).startswith("Python")
    related = related_skills(python, k=10, settings=settings)
    assert len(related) == 10 and all(r.z > 3 and r.foreground_count >= 3 for r in related)
    assert related == sorted(related, key=lambda r: -r.z)
    assert any("Java" in r.label or "C++" in r.label for r in related)
    assert related_skills("Python", k=5, settings=settings)[0].id == related[0].id  # alias resolves to the skill


def test_nurse_gap_against_health_education_specialists(catalogue, nurse_gap, graph):
    target, nurse = _rows(catalogue, HEALTH_ED), _rows(catalogue, NURSE)
    gap = nurse_gap
    assert gap.item.id == HEALTH_ED and gap.item.title == "Health Education Specialists"
    assert gap.matched_skills and gap.missing_skills
    for m in gap.matched_skills:
        assert m.id in target and m.id in nurse, m.label
        assert m.evidence_id == f"skill:{m.id}:matched"
        assert m.profile_evidence and m.profile_evidence[0].source == "occupation"
    for m in gap.missing_skills:
        assert m.id in target, m.label
        if m.deeper:  # held from the nurse's own occupation, below the level the target needs
            assert m.id in nurse and m.importance >= DEEPEN_IMPORTANCE, m.label
            assert m.id.startswith(DEEPEN_KNOWLEDGE), m.label  # knowledge, not a skill every job practises
            assert graph.typical_importance(m.id) < DEEPEN_GENERIC, m.label  # nor English Language
        else:
            assert m.id not in nurse or nurse[m.id] is not None and nurse[m.id] < 0.5  # not held, or a weak rating
    scores = [
        m.rank.score for m in gap.missing_skills
    ]  # what matters for the target first (retrieval/skills/priority.py)
    assert scores == sorted(scores, reverse=True)
    for p in gap.partial_skills:
        assert p.id in target
    labels = dict(catalogue.execute("SELECT id, label FROM skill"))
    for m in gap.matched_skills:
        assert m.label == labels[m.id]  # the catalogue's own label, never a paraphrase
    for m in gap.missing_skills:  # shown in the catalogue's plainest label for it, the original kept
        assert m.catalogue_label == m.requirement.label == labels[m.id]
    assert 0 < gap.coverage < 1


def test_the_gap_that_matters_most_comes_first_even_when_held_at_a_lower_level(settings, graph):
    """Registered nurse -> nurse practitioner (the move issue 23 was filed over): the nurse has Medicine and
    Dentistry, Biology and Therapy and Counseling from her occupation, far below the practitioner's level and
    all essential to it; those are the gaps to build, before Sociology and Anthropology or Science, which
    matter less to the target. Stated skills are never turned into gaps."""
    from retrieval.courses.relevance import too_basic
    from retrieval.skills.gap import Profile, skill_gap

    gap = skill_gap(
        Profile(occupation=NURSE), "29-1171.00", settings, use_embeddings=False, use_map=False, max_missing=8
    )
    first = [m.label for m in gap.missing_skills[:3]]
    assert first[0] == "Medicine and Dentistry" and all(m.deeper for m in gap.missing_skills[:3]), first
    labels = [m.label for m in gap.missing_skills]
    assert "Biology" in labels[:3]
    # Sociology and Anthropology, which nursing rates lower, is held in part (or ranked after Biology)
    assert "Sociology and Anthropology" not in labels[:3] and (
        "Sociology and Anthropology" in {p.label for p in gap.partial_skills}
        or labels.index("Biology") < labels.index("Sociology and Anthropology")
    )
    for m in gap.missing_skills:  # held at a lower level: nothing introductory ("Learn English: Beginning ...")
        if m.deeper:
            assert not any(too_basic(c.level or "", c.title, [], True) for c in m.courses), (m.label, m.courses)
    assert not {m.id for m in gap.missing_skills if m.deeper} & {p.id for p in gap.partial_skills}
    stated = skill_gap(
        Profile(occupation=NURSE, skills=["Medicine and Dentistry"]),
        "29-1171.00",
        settings,
        use_embeddings=False,
        use_map=False,
    )
    assert "Medicine and Dentistry" not in [m.label for m in stated.missing_skills if m.deeper]


def test_a_people_skill_every_job_rates_is_not_the_gap_to_build_first(settings, graph):
    """A waitress moving into practical nursing was told to build Service Orientation, Social Perceptiveness
    and Coordination first: her occupation rates them a few tenths below what LPNs need, but every job rates
    them. They are partly covered; what she lacks altogether (Medicine and Dentistry) is a gap."""
    from retrieval.skills.gap import Profile, skill_gap

    gap = skill_gap(Profile(occupation="35-3031.00"), "29-2061.00", settings, use_embeddings=False, use_map=False)
    partly = {p.label: p.reason for p in gap.partial_skills}
    missing = {m.label: m for m in gap.missing_skills}
    for label in ("Service Orientation", "Social Perceptiveness", "Coordination"):
        assert label not in missing and partly.get(label) == "lower_level", (label, list(missing)[:5])
    assert "Medicine and Dentistry" in missing and not missing["Medicine and Dentistry"].deeper
    assert not any(m.deeper for m in gap.missing_skills), [m.label for m in gap.missing_skills if m.deeper]


def test_suggested_courses_really_teach_the_missing_skill(catalogue, settings):
    from retrieval.courses.relevance import DENSE_THRESHOLD
    from retrieval.skills.gap import Profile, skill_gap

    gap = skill_gap(Profile(skills=["Python", "SQL"]), "15-2051.00", settings, use_embeddings=False, use_map=False)
    # plain tuples: the connection's rows are sqlite3.Row, which never equals a tuple
    catalogue_links = {tuple(r) for r in catalogue.execute("SELECT course_id, skill_id FROM course_skill")}
    suggested = [(c, m) for m in gap.missing_skills for c in m.courses]
    assert suggested, "expected courses for a data scientist's missing skills"
    assert any(c.link == "catalogue" for c, _m in suggested)  # both kinds of link are checked below
    for course, missing in suggested:
        # courses come from the relevance model (retrieval/courses/relevance.py): above its threshold, and
        # "catalogue" exactly when the catalogue tags the course with the skill
        assert course.link_confidence >= DENSE_THRESHOLD
        assert (course.link == "catalogue") == ((course.id, missing.id) in catalogue_links)
        assert missing.id in course.covers
        assert catalogue.execute("SELECT title FROM course WHERE id = ?", (course.id,)).fetchone()[0] == course.title


def test_extraction_finds_python_and_sql_with_spans(catalogue, extractor):
    rows = catalogue.execute(
        "SELECT text FROM resume WHERE category IN ('Data Science', 'Business Analyst', 'Python Developer') "
        "AND text LIKE '%Python%' AND lower(text) LIKE '%sql%' ORDER BY id"
    ).fetchall()
    assert rows
    checked = 0
    for (text,) in rows:
        found = {h.label: h for h in extractor.extract(text, use_embeddings=False)}
        python = found.get("Python (computer programming)")
        sql = next((h for label, h in found.items() if label == "SQL"), None)
        assert python is not None
        for start, end in python.spans:
            assert text[start:end].lower() in ("python", "python3", "py")
        if sql is not None:
            for start, end in sql.spans:
                assert text[start:end].lower() == "sql"
            checked += 1
    assert checked >= 1


def test_ambiguous_short_aliases_need_casing_and_context(extractor):
    text = "I go to the gym and excel at teamwork. Languages: Go, R and C; tools: Excel."
    hits = {
        h.label: [text[s:e] for s, e in h.spans] for h in extractor.extract(text, use_embeddings=False, expand=False)
    }
    assert hits.get("Go") == ["Go"]
    assert hits.get("Microsoft Excel") == ["Excel"]
    assert "R" in hits and "C" in hits
    prose = "We go over the plan. Excel at work. Project updates for the team. Less than a year."
    found = {h.label for h in extractor.extract(prose, use_embeddings=False, expand=False)}
    assert not found & {"Go", "Microsoft Excel", "Microsoft Project", "LESS", "R", "C"}


def test_graph_expansion_gives_parents_partial_credit(extractor):
    hits = extractor.extract("Experienced in Python and JavaScript.", use_embeddings=False, expand=True)
    direct = {h.skill_id: h for h in hits if h.method == "alias"}
    parents = [h for h in hits if h.method == "graph"]
    assert parents
    for p in parents:
        assert p.via in direct and p.confidence < direct[p.via].confidence
        assert p.skill_id in extractor.data.broader[p.via]


def test_paths_have_correct_endpoints(settings):
    from retrieval.skills.commands import path_command

    out = path_command(NURSE, HEALTH_ED, settings=settings)
    assert out["source"]["id"] == NURSE and out["target"]["id"] == HEALTH_ED
    assert 1 <= len(out["paths"]) <= 3
    costs = [p["total_cost"] for p in out["paths"]]
    assert costs == sorted(costs)
    for path in out["paths"]:
        steps = path["steps"]
        assert 1 <= len(steps) <= 3
        assert steps[0]["source"]["id"] == NURSE and steps[-1]["target"]["id"] == HEALTH_ED
        for a, b in zip(steps, steps[1:]):
            assert a["target"]["id"] == b["source"]["id"]
        assert all(s["new_skills"] == sorted(s["new_skills"], key=lambda d: -d["importance"]) for s in steps)


def test_gap_command_json_and_stable_ids(tmp_path, settings):
    from retrieval.skills.commands import gap_command

    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"occupation": "Registered Nurses", "skills": ["patient education", "Excel"]}))
    first = gap_command(profile, HEALTH_ED, settings=settings, use_embeddings=False, use_map=False)
    second = gap_command(profile, HEALTH_ED, settings=settings, use_embeddings=False, use_map=False)
    assert {"item", "matched_skills", "missing_skills", "partial_skills"} <= set(first)
    assert first == second and first["id"].startswith(f"gap:{HEALTH_ED}:")
    json.dumps(first)


def test_bad_input_raises_clear_errors(tmp_path, settings):
    from retrieval.skills.commands import gap_command, path_command

    good = tmp_path / "good.json"
    good.write_text(json.dumps({"occupation": NURSE}))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    opts = {"settings": settings, "use_embeddings": False, "use_map": False}
    with pytest.raises(UnknownIdError, match="99-9999.99"):
        gap_command(good, "99-9999.99", **opts)
    with pytest.raises(UnknownIdError):
        gap_command(good, "posting:nowhere:1", **opts)
    with pytest.raises(SkillsInputError, match="malformed"):
        gap_command(bad, HEALTH_ED, **opts)
    with pytest.raises(SkillsInputError, match="empty profile"):
        gap_command(empty, HEALTH_ED, **opts)
    with pytest.raises(SkillsInputError, match="not found"):
        gap_command(tmp_path / "missing.json", HEALTH_ED, **opts)
    with pytest.raises(UnknownIdError, match="occupation"):
        good.write_text(json.dumps({"occupation": "Chief Dragon Tamer"}))
        gap_command(good, HEALTH_ED, **opts)
    with pytest.raises(UnknownIdError):
        path_command("no such occupation", HEALTH_ED, settings=settings)
    with pytest.raises(ValueError):
        path_command(NURSE, NURSE, settings=settings)


def test_posting_gap_uses_extracted_requirements(catalogue, settings, graph):
    from retrieval.skills.gap import Profile, skill_gap

    pid = next(n for n, d in graph.graph.nodes(data=True) if d["type"] == "posting" and graph.graph.out_degree(n) >= 5)
    gap = skill_gap(Profile(skills=["Python"]), pid, settings, use_embeddings=False, use_map=False)
    assert gap.item.kind == "posting"
    linked = {v for v, d in graph.graph.succ[pid].items() if d["type"] == "mentions"}
    assert {m.id for m in gap.missing_skills + gap.matched_skills} <= linked


@pytest.mark.slow
def test_esco_map_on_a_real_subset(catalogue, settings):
    from retrieval.skills.esco_map import build_map

    esco = [
        r[0]
        for r in catalogue.execute(
            "SELECT id FROM occupation WHERE taxonomy = 'esco' AND (title LIKE '%nurse%' OR title LIKE '%software%' "
            "OR title LIKE '%carpenter%') ORDER BY id"
        )
    ]
    mapping = {m.onet_id: m for m in build_map(settings, onet_ids=[NURSE, "15-1252.00", "47-2031.00"], esco_ids=esco)}
    assert "nurse" in mapping[NURSE].best.title
    assert mapping["15-1252.00"].best.title == "software developer" and mapping["15-1252.00"].confidence >= 0.6
    assert mapping["47-2031.00"].best.title == "carpenter"


@pytest.mark.slow
def test_embedding_tagger_on_a_real_subset(catalogue, settings, extractor):
    """Indirect mentions: the tagger over a few hundred real ESCO skills (a subset keeps encoding cheap)."""
    from retrieval.embeddings import get_embedder
    from retrieval.skills.extract import SkillExtractor
    from retrieval.skills.texts import embedded_skills

    words = ("patient", "sample", "lesson", "weld", "teach")
    rows = [r for r in embedded_skills(catalogue) if any(w in r[1] for w in words)][:400]
    data = dataclasses.replace(extractor.data, embedded_ids=[r[0] for r in rows])
    tagger = SkillExtractor(data, settings)
    tagger._skill_matrix = get_embedder(settings).encode([r[2] for r in rows])
    text = (
        "Took blood samples from patients and labelled them for the laboratory. "
        "Prepared lesson plans and taught English to secondary school students."
    )
    hits = tagger.match_embeddings(text)
    labels = {h.label for h in hits.values()}
    assert "collect biological samples from patients" in labels
    assert any("lesson" in label or "teach" in label for label in labels)
    for hit in hits.values():
        assert hit.method == "embedding" and 0 < hit.confidence <= 0.9
        for start, end in hit.spans:
            assert text[start:end] in (text[:70], text[71:])
    welding = tagger.match_embeddings("I welded steel frames for trucks and trailers with arc welding equipment.")
    assert welding and all("weld" in h.label for h in welding.values())
