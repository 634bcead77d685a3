"""The cold-start posting path (issue 23, item 4) on the real catalogue: a person with no viewing history is
matched through what Waypoint understood about them, and postings that do not fit their experience are
left out. The measured comparison with popularity is ``waypoint eval jobs --cold-start``; here the
mechanics and the product's behaviour on the issue's cases."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def jobs(settings):
    from retrieval.jobs.service import get_job_recommender

    rec = get_job_recommender(settings)
    assert rec._cold_model() is not None, "the build made the cold-start ranking"
    return rec


def _links(jobs):
    from retrieval.jobs.posting_links import load_links

    return load_links(jobs.settings, jobs.fingerprint)


def test_build_recorded_the_cold_start_component(settings):
    from app.build import components
    from retrieval.artifacts import check
    from retrieval.indexing import catalogue_fingerprint

    readiness = check(settings, components(), catalogue_fingerprint(settings))
    assert "jobs_cold" in readiness.checked and "jobs_cold" not in readiness.problems


def test_python_developer_gets_software_postings_not_title_look_alikes(jobs):
    from retrieval.profile import Profile

    recs = jobs.recommend(Profile(text="Python developer, Django, SQL, AWS"), k=10)
    assert len(recs) == 10
    links = _links(jobs)
    computer = [j for j in recs if any(o.startswith("15-") for o, _c in links[j.id][:1])]
    # the linked occupation brings the software postings in (how many: the test below), where title words
    # brought "Front Desk Coordinator"
    assert len(computer) >= 2, [(j.title, links[j.id][:1]) for j in recs]
    keys = [(j.title.lower(), j.company.lower(), j.city.lower()) for j in recs]
    assert len(set(keys)) == len(keys)


def test_python_developer_gets_no_title_look_alike(jobs):
    from retrieval.profile import Profile

    titles = [j.title.lower() for j in jobs.recommend(Profile(text="Python developer, Django, SQL, AWS"), k=10)]
    assert not any("front desk" in t for t in titles), titles


def _majors(jobs, recs) -> list[str]:
    links = _links(jobs)
    return [((links.get(j.id) or [("", 0.0)])[0][0]) for j in recs]


def test_clearly_understood_people_get_their_kind_of_work_first(jobs):
    """The log rewards its most viewed postings; a person who said what they do sees that work first
    (the measured trade-off: eval/reports/jobs_cold_start.md, "Relevant postings first")."""
    from retrieval.profile import Profile

    recs = jobs.recommend(Profile(text="Python developer, Django, SQL, AWS"), k=10)
    codes = _majors(jobs, recs)
    assert sum(c.startswith("15-") for c in codes) >= 7, list(zip([j.title for j in recs], codes))
    recs = jobs.recommend(Profile(text="I have worked as an accountant for 10 years in Chicago, IL."), k=10)
    codes = _majors(jobs, recs)
    finance = [c for c in codes if c.startswith(("13-2", "43-3", "11-3031"))]  # financial specialists, clerks, managers
    assert len(finance) >= 5, list(zip([j.title for j in recs], codes))


def test_a_goal_decides_which_postings_come_first(jobs):
    """A teacher who wants to become a software developer asked for software postings; teaching postings
    (which the log views more) led the list before a goal decided what is relevant."""
    from retrieval.profile import Profile

    recs = jobs.recommend(Profile(text="I teach high school math and I'd like to become a software developer"), k=10)
    codes = _majors(jobs, recs)
    assert sum(c.startswith("15-") for c in codes) >= 5, list(zip([j.title for j in recs], codes))
    assert codes[0].startswith("15-"), list(zip([j.title for j in recs], codes))


def test_vague_person_keeps_the_popularity_led_list(jobs):
    """Nothing clear understood: relevance changes nothing (the blend's arguments off give the same list)."""
    from retrieval.profile import Profile

    cold = jobs._cold_model()
    person = Profile(text="I like working with people.")
    served = [j.id for j in jobs.recommend(person, k=10)]
    cold.blend = {"relevance_bonus": 0.0, "damping": 0.0, "quota": 0}
    try:
        before = [j.id for j in jobs.recommend(person, k=10)]
        developer_before = jobs.recommend(Profile(text="Python developer, Django, SQL, AWS"), k=10)
    finally:
        cold.blend = {}
    assert served == before
    # and the relevance switch is what moved the developer's list (not a change elsewhere)
    assert sum(c.startswith("15-") for c in _majors(jobs, developer_before)) < 7


def test_experienced_person_gets_no_internship_and_local_postings(jobs):
    from retrieval.profile import Profile

    recs = jobs.recommend(Profile(text="I have worked as an accountant for 10 years in Chicago, IL."), k=20)
    assert recs and not any(j.seniority == "intern" or "internship" in j.employment for j in recs)
    assert sum(j.state == "IL" for j in recs) >= 10, [(j.title, j.city, j.state) for j in recs]


def test_a_person_who_wants_steady_work_gets_no_part_time_seasonal_or_temporary_postings(jobs):
    """ "I drive for Uber and want something stable with benefits" was shown "Bus Operator (Part- Time)"."""
    from retrieval.profile import Profile

    unsteady = {"part_time", "seasonal", "temporary", "internship"}
    recs = jobs.recommend(Profile(text="I drive for Uber and want something stable with benefits"), k=30)
    assert len(recs) >= 10 and not any(unsteady & set(j.employment) for j in recs), [
        (j.title, j.employment) for j in recs
    ]
    # the same person without the wish: part-time work is not ruled out (the filter, not the data, kept them away)
    recs = jobs.recommend(Profile(text="I drive for Uber"), k=30)
    assert any(unsteady & set(j.employment) for j in recs), [(j.title, j.employment) for j in recs]


def test_student_gets_no_senior_or_director_roles(jobs):
    from retrieval.profile import Profile

    recs = jobs.recommend(
        Profile(text="I am a student in Los Angeles, CA looking for my first job in an office."), k=30
    )
    assert recs and not any(j.seniority in ("senior", "director") for j in recs)
    assert all(j.raw_title for j in recs)  # the posting's own title stays in the evidence


def test_leave_applicants_out_evaluation_runs_on_the_log(jobs, settings):
    """A fast slice of the measured protocol: popularity without the evaluated applicants' views, the ranker
    trained on other applicants; recall is a real number and the served blend beats popularity on the slice (the full figures are in eval/reports/jobs_cold_start.md)."""
    from retrieval.catalogue.db import connect
    from retrieval.jobs.cold_train import evaluate, load_cold_data, per_user_recall

    cold = jobs._cold_model()
    conn = connect(settings.catalogue_path, readonly=True)
    try:
        data = load_cold_data(jobs.log, conn, cold.index, settings, encode=jobs.content.encode, max_applicants=300)
    finally:
        conn.close()
    out = evaluate(data, k=20, folds=3)
    users = out["users"]
    assert len(users) == 300
    recall = {
        m: per_user_recall(out["runs"][m], data.relevant, users, 20).mean()
        for m in ("popularity", "hand_blend_fit", "ltr", "bm25")
    }
    assert all(0.0 <= v <= 1.0 for v in recall.values())
    assert recall["hand_blend_fit"] > recall["popularity"] > recall["bm25"], recall


def test_a_person_who_wants_better_pay_gets_postings_of_their_better_paid_list(jobs):
    """ "I'm a bank teller and I'm really good with numbers. I want to make more money.": one posting in eight was of
    the work on their list -- a receptionist one, through New Accounts Clerks' group of information clerks -- the rest
    the log's most viewed; part-time postings and tellers' own were dropped after the ranking had filled the places
    kept for their kind of work. Now bookkeeping, billing and payroll postings, none part time, none a teller's."""
    from retrieval.profile import Profile

    text = "I'm a bank teller and I'm really good with numbers. I want to make more money."
    recs = jobs.recommend(Profile(text=text), k=8)
    ours = [j for j in recs if j.kind_of_work]
    assert len(ours) >= 5, [(j.title, j.kind_of_work) for j in recs]
    assert not any("receptionist" in j.title.lower() for j in ours), [j.title for j in ours]
    assert not any({"part_time", "seasonal", "temporary"} & set(j.employment) for j in recs), [
        (j.title, j.employment) for j in recs
    ]
    assert any(w in j.title.lower() for j in ours for w in ("bookkeep", "billing", "payroll", "accounting")), [
        j.title for j in ours
    ]
