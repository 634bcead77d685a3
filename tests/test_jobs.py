"""Job recommendations from a job-view log with real LightGBM/implicit (no mocks).

The mechanics (splits, ranking, exclusion, cold start, errors) run on the synthetic log (unit tier); the
two slow tests make claims about the real log (``real_job_log``) and stay on it."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


@pytest.fixture(scope="module")
def job_log(synthetic_catalogue):
    from retrieval.jobs.data import load_log

    return load_log(synthetic_catalogue)


@pytest.fixture(scope="module")
def real_job_log(catalogue):
    from retrieval.jobs.data import load_log

    return load_log(catalogue)


@pytest.fixture(scope="module")
def recommender(synthetic_settings):
    settings = synthetic_settings
    from retrieval.jobs.model import JobRecConfig
    from retrieval.jobs.service import JobRecommender

    # dense features off and one inner fold: the same code path, fast enough for the unit suite
    return JobRecommender(settings, JobRecConfig(dense=False, inner_folds=1, n_estimators=120))


def _applicant_with_history(job_log, min_views=4):
    hist = job_log.history()
    return next(a for a, vs in sorted(hist.items()) if len(vs) >= min_views)


def test_leave_last_out_split_holds_out_the_last_view(job_log):
    from retrieval.jobs.data import leave_last_out

    train, test = leave_last_out(job_log.views, 3)
    hist = job_log.history()
    assert test and len(train) + len(test) == len(job_log.views)
    for a, v in list(test.items())[:50]:
        assert len(hist[a]) >= 3 and v is hist[a][-1]
        assert max(x.t for x in hist[a][:-1]) <= v.t


def test_history_recommendations_are_real_ranked_and_deterministic(recommender, job_log, synthetic_catalogue):
    catalogue = synthetic_catalogue
    from retrieval.profile import Profile

    user = _applicant_with_history(job_log)
    profile = Profile(user_id=user)
    first = recommender.recommend(profile, k=10)
    again = recommender.recommend(profile, k=10)
    assert len(first) == 10
    assert [(j.id, j.score) for j in first] == [(j.id, j.score) for j in again]
    scores = [j.score for j in first]
    assert scores == sorted(scores, reverse=True)
    ids = [j.id for j in first]
    assert len(set(ids)) == len(ids)
    known = {r[0] for r in catalogue.execute("SELECT id FROM job")}
    assert set(ids) <= known
    # decision: re-views are a third of next views, so viewed jobs stay eligible and are flagged
    viewed = {v.job_id for v in job_log.history()[user]}
    assert all(j.viewed == (j.id in viewed) for j in first)
    # exclude is honoured
    excluded = recommender.recommend(Profile(user_id=user, exclude=ids[:3]), k=10)
    assert not set(ids[:3]) & {j.id for j in excluded}


def test_cold_start_text_profile(recommender):
    from retrieval.profile import Profile

    recs = recommender.recommend(Profile(text="part time cashier in retail stores"), k=10)
    assert len(recs) == 10
    assert any("cashier" in j.title.lower() for j in recs[:5])
    occ = recommender.recommend(Profile(occupation="Cashiers"), k=5)
    assert len(occ) == 5


def test_unknown_user_without_other_fields_is_an_error(recommender):
    from retrieval.profile import Profile, ProfileError

    with pytest.raises(ProfileError):
        recommender.recommend(Profile(user_id="no-such-applicant-123456789"), k=5)
    with pytest.raises(ProfileError):
        recommender.recommend(Profile(text="cashier"), k=0)


@pytest.mark.slow
def test_leave_last_out_evaluation_beats_popularity(real_job_log):
    job_log = real_job_log
    from retrieval.jobs.model import JobRecConfig
    from retrieval.jobs.pipeline import evaluate_leave_last_out

    config = JobRecConfig(dense=False, inner_folds=1, n_estimators=80)
    report = evaluate_leave_last_out(job_log, config, k=20, max_test=400)
    methods = report["methods"]
    for m in methods.values():
        assert 0.0 <= m["recall@20"] <= 1.0 and 0.0 <= m["ndcg@20"] <= 1.0
    assert report["test_queries"] == 400
    assert methods["ltr"]["recall@20"] > methods["popularity"]["recall@20"]
    assert methods["ltr"]["recall@20"] > methods["bm25_titles"]["recall@20"]


@pytest.mark.slow
def test_recommend_dispatch_kind_job(settings, real_job_log):
    job_log = real_job_log
    """The shared ``recommend()`` entry point serves jobs (default config: dense features on)."""
    from retrieval.profile import Profile
    from retrieval.recommend import Kind, recommend

    user = _applicant_with_history(job_log)
    results = recommend([Profile(id="p1", user_id=user), Profile(id="p2", text="warehouse forklift")], Kind.job, k=5)
    assert [r.id for r in results] == ["p1", "p2"]
    assert all(
        len(r.items) == 5 and all(i.kind == Kind.job and i.id.startswith("job:") for i in r.items) for r in results
    )
