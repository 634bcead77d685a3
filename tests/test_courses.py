"""Course recommendations that close a skill gap (the synthetic catalogue and its real skills graph: unit tier)."""

from __future__ import annotations

import pytest

from retrieval.text import normalize_label


@pytest.fixture(scope="module")
def course_recommender(synthetic_settings):
    from retrieval.courses.service import CourseRecommender

    return CourseRecommender(synthetic_settings)


def test_every_course_teaches_a_missing_skill(course_recommender, synthetic_catalogue, synthetic_settings):
    catalogue, settings = synthetic_catalogue, synthetic_settings
    from retrieval.profile import Profile
    from retrieval.skills.graph import get_graph

    graph = get_graph(settings).graph

    profile = Profile(occupation="29-1141.00", text="registered nurse, patient care and charting")
    target = "15-1252.00"
    recs = course_recommender.recommend(profile, k=10, target=target)
    assert recs, "expected courses for a nurse moving into software development"
    gap = course_recommender.gap(profile, target)
    missing = {m.id for m in gap.missing_skills}
    for c in recs:
        assert c.covers and c.target == target
        for cov in c.covers:
            assert cov.id in missing
            # a "teaches" edge of the skills graph: a catalogue tag (a course_skill row) or a link the
            # graph build extracted from the course's own title and description
            edge = graph.edges[c.id, cov.id]
            assert edge["type"] == "teaches", (c.id, cov.id, edge)
            if edge.get("source", "catalogue") == "catalogue":
                linked = catalogue.execute(
                    "SELECT 1 FROM course_skill cs JOIN skill s ON s.id = cs.skill_id "
                    "WHERE cs.course_id = ? AND (cs.skill_id = ? OR s.canonical_id = ?)", (c.id, cov.id, cov.id)
                ).fetchone()
                assert linked, f"{c.id} is not linked to {cov.id} in course_skill"
            else:
                assert edge["source"] == "extracted" and 0 < edge["confidence"] <= 1
                # the text names the skill: by its label or by one of its aliases ("Python" for
                # "Python (computer programming)"), as whole words after the catalogue's normalisation
                names = {r[0] for r in catalogue.execute("SELECT alias_norm FROM skill_alias WHERE skill_id = ?",
                                                         (cov.id,))}
                names.add(normalize_label(graph.nodes[cov.id].get("label", "")))
                course = normalize_label(catalogue.execute(
                    "SELECT title || ' ' || coalesce(description, '') FROM course WHERE id = ?", (c.id,)).fetchone()[0])
                assert any(n and f" {n} " in f" {course} " for n in names), \
                    f"{cov.id} ({sorted(names)}) extracted from text that never names it"
    scores = [c.score for c in recs]
    assert scores == sorted(scores, reverse=True)
    assert [c.id for c in course_recommender.recommend(profile, k=10, target=target)] == [c.id for c in recs]


def test_courses_without_target_and_skills(course_recommender):
    from retrieval.profile import Profile

    recs = course_recommender.recommend(Profile(text="I want to learn Python programming and SQL databases"), k=5)
    assert 0 < len(recs) <= 5
    skills = course_recommender.recommend_skills(Profile(occupation="29-1141.00"), k=5, target="15-1252.00")
    assert 0 < len(skills) <= 5
    assert all(s.target == "15-1252.00" and s.title for s in skills)
