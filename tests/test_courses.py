"""Course recommendations that close a skill gap (the synthetic catalogue and its real skills graph: unit tier)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def course_recommender(synthetic_settings):
    from retrieval.courses.service import CourseRecommender

    return CourseRecommender(synthetic_settings)


def test_every_course_teaches_a_missing_skill(course_recommender, synthetic_settings):
    from retrieval.courses.relevance import get_relevance
    from retrieval.profile import Profile

    relevance = get_relevance(synthetic_settings)
    profile = Profile(occupation="29-1141.00", text="registered nurse, patient care and charting")
    target = "15-1252.00"
    recs = course_recommender.recommend(profile, k=10, target=target)
    assert recs, "expected courses for a nurse moving into software development"
    gap = course_recommender.gap(profile, target)
    missing = {m.id for m in gap.missing_skills}
    for c in recs:
        assert c.covers and c.target == target and c.language == "en"
        for cov in c.covers:
            assert cov.id in missing
        # the course passed the relevance threshold for a gap it covers (never shown below it)
        assert c.relevance >= relevance.threshold
        assert any(abs(dict(relevance.score_skill(cov.id, cov.label, "en")).get(c.id, -1.0) - c.relevance) < 1e-4
                   for cov in c.covers)
    assert len({c.title for c in recs}) == len(recs)
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
