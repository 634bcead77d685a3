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
        assert any(
            abs(dict(relevance.score_skill(cov.id, cov.label, "en")).get(c.id, -1.0) - c.relevance) < 1e-4
            for cov in c.covers
        )
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


def test_the_course_list_and_the_gap_make_one_relevance_decision(course_recommender, synthetic_settings):
    """The chat's "Courses:" line (the recommendation) and the explanation's gap courses (skill_gap's
    MissingSkill.courses) come from one decision: every recommended course is a course the gap itself lists
    for a skill it covers first, and a gap the gap gives no course gets none in the list either."""
    from retrieval.courses.service import GAP_SKILLS
    from retrieval.profile import Profile
    from retrieval.skills.gap import Profile as GapProfile, skill_gap

    profile = Profile(occupation="29-1141.00", text="registered nurse, patient care and charting")
    target = "15-1252.00"
    recs = course_recommender.recommend(profile, k=10, target=target)
    assert recs
    gap = skill_gap(GapProfile(occupation=profile.occupation, text=profile.text), target, synthetic_settings)
    shown = {m.id: {c.id for c in m.courses} for m in gap.missing_skills[:GAP_SKILLS]}
    for c in recs:
        first = c.covers[0].id if c.covers else None
        assert any(c.id in shown.get(cov.id, set()) for cov in c.covers), (c.title, first)
    listed = {cov.id for c in recs for cov in c.covers if c.id in shown.get(cov.id, set())}
    assert all(shown[s] for s in listed)
    # a gap skill with courses in the gap is not left without one in the list (k=10 is room for all)
    assert {s for s, ids in shown.items() if ids} <= {cov.id for c in recs for cov in c.covers}


def test_a_plainer_display_label_does_not_change_the_courses(synthetic_settings):
    """retrieval/skills/plain.py shows a gap in plainer words than the catalogue label the gap's courses were
    chosen under; the course list must still list exactly the gap's own courses, not re-run the selection under
    the display words (the chat's "C# Programming for Unity" against the explanation's "no course teaches C#")."""
    from retrieval.courses.service import GAP_SKILLS, CourseRecommender
    from retrieval.profile import Profile

    profile = Profile(occupation="29-1141.00", text="registered nurse, patient care and charting")
    target = "15-1252.00"
    gap = CourseRecommender(synthetic_settings).gap(profile, target)
    relabelled = gap.model_copy(deep=True)
    for m in relabelled.missing_skills:
        m.label = "a plainer wording of it"

    class OneGap(CourseRecommender):
        def gap(self, profile, target):
            return relabelled

    recs = OneGap(synthetic_settings).recommend(profile, k=50, target=target)
    expected = {c.id for m in relabelled.missing_skills[:GAP_SKILLS] for c in m.courses}
    assert expected, "the synthetic gap should have courses"
    assert {c.id for c in recs} == expected
    # and with the relevance the gap decided on (the score under the catalogue label, not under the display words)
    decided = {(m.id, c.id): c.link_confidence for m in relabelled.missing_skills[:GAP_SKILLS] for c in m.courses}
    for c in recs:
        assert any(abs(decided.get((cov.id, c.id), -1.0) - c.relevance) < 1e-6 for cov in c.covers), c.title


def test_the_list_names_each_gaps_best_course_first_in_gap_order(course_recommender, synthetic_settings):
    """Ranked by the share of the gap a course covers, catch-alls came first: a math teacher toward data
    scientists read "The Data Science Method" (just above the threshold for two data skills) where the
    explanation names "Introduction to Data Engineering" for her first gap. The list goes gap by gap."""
    from retrieval.courses.service import GAP_SKILLS
    from retrieval.profile import Profile

    profile = Profile(occupation="25-2031.00", text="high school math teacher")
    target = "15-2051.00"  # Data Scientists: four gaps with a course of their own
    gap = course_recommender.gap(profile, target)
    firsts = list(dict.fromkeys(m.courses[0].id for m in gap.missing_skills[:GAP_SKILLS] if m.courses))
    assert len(firsts) >= 3, "the synthetic gap should have courses for several skills"
    recs = course_recommender.recommend(profile, k=10, target=target)
    assert [c.id for c in recs[: len(firsts)]] == firsts
    assert all(c.score == c.relevance for c in recs)
