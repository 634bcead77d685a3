"""Similar-occupation recommendation on the real catalogue: resolution, exclusion, errors, backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from retrieval.metrics import ndcg_at_k
from retrieval.profile import Profile, ProfileError
from retrieval.recommend import Kind, parse_profiles, recommend

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def recommender(settings):
    from retrieval.occupations.service import get_occupation_recommender

    return get_occupation_recommender(settings)


@pytest.mark.parametrize(
    "title, code",
    [
        ("RN", "29-1141.00"),
        ("software developer", "15-1252.00"),
        ("Registered Nurses", "29-1141.00"),
        ("29-1141", "29-1141.00"),
    ],
)
def test_free_titles_resolve(recommender, title, code):
    assert recommender.resolver.resolve(title).occupation_id == code


def test_results_exclude_query_and_excluded_ids(recommender):
    profile = Profile(occupation="15-1252.00", exclude=["15-1253.00"])
    items = recommend([profile], Kind.occupation, k=20)[0].items
    ids = [i.id for i in items]
    assert len(ids) == 20 and len(set(ids)) == 20
    assert "15-1252.00" not in ids and "15-1253.00" not in ids
    assert all(i.kind == Kind.occupation and i.title for i in items)
    assert [i.score for i in items] == sorted((i.score for i in items), reverse=True)


def test_ranker_beats_bm25_on_held_out_queries(recommender):
    """Held-out sources (their labels removed): the trained system must rank better than BM25."""
    from retrieval.occupations.ranker import OccupationRanker, folds

    corpus, content, labels = recommender.corpus, recommender.content, recommender.labels
    held = folds(list(labels), 5)[0]
    train = {q: t for q, t in labels.items() if q not in set(held)}
    model = OccupationRanker.fit(corpus, content, train, floor_check=False, rounds=150, seeds=1)
    ranked = model.rank_many(corpus, content, held, k=10)
    rows = np.array([corpus.index[q] for q in held])
    bm25 = content["bm25_full"][rows].copy()
    bm25[np.arange(len(rows)), rows] = -np.inf
    bm25_ranked = {q: [corpus.ids[j] for j in np.argsort(-r)[:10]] for q, r in zip(held, bm25)}
    system = np.mean([ndcg_at_k(ranked[q], labels[q]) for q in held])
    baseline = np.mean([ndcg_at_k(bm25_ranked[q], labels[q]) for q in held])
    assert system > baseline + 0.1, (system, baseline)


def test_occupation_cv_keeps_every_query_and_compares_paired(recommender, tmp_path, capsys):
    """`waypoint eval occupation-cv`: one NDCG@10 per (partition, query), each source held out once;
    the trained system beats the fusion paired over the same queries; a run against itself differs
    by exactly zero; runs are compared query by query with a --baseline and across fold counts."""
    from eval.occupation_cv import cross_validate, main, paired_difference

    corpus, content, labels = recommender.corpus, recommender.content, recommender.labels
    run = cross_validate(corpus, content, labels, folds=2, partitions=1, rounds=60)
    assert sorted(run["per_query"]) == sorted(f"p0:{q}" for q in labels)
    assert run["train_sources"] == pytest.approx(len(labels) / 2, abs=0.5)
    assert run["vs_fusion"]["n"] == len(labels) and run["vs_fusion"]["ci95"][0] > 0.05, run["vs_fusion"]
    same = paired_difference(run["per_query"], run["per_query"])
    assert same["diff"] == 0.0 and same["ci95"] == [0.0, 0.0] and not same["significant"]
    worse = paired_difference(run["per_query"], {k: v - 0.01 for k, v in run["per_query"].items()})
    assert worse["diff"] == pytest.approx(-0.01) and worse["significant"]
    with pytest.raises(ValueError, match="no .partition, query. in common"):
        paired_difference({"p0:a": 1.0}, {"p1:a": 1.0})

    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"runs": {"2": run}}))
    not_json = tmp_path / "notes.txt"
    not_json.write_text("not a report")
    for args, message in (
        (["--folds", "4", "--baseline", str(baseline)], "runs for --folds 2 only"),
        (["--baseline", str(not_json)], "not an occupation_cv.json"),
    ):
        with pytest.raises(SystemExit):  # refused before any fitting
            main(args + ["--out", str(tmp_path / "refused")])
        assert message in capsys.readouterr().err
    assert not (tmp_path / "refused").exists()
    result = main(
        [
            "--folds",
            "2",
            "3",
            "--partitions",
            "1",
            "--rounds",
            "30",
            "--baseline",
            str(baseline),
            "--out",
            str(tmp_path / "report"),
        ]
    )
    compared = result["runs"]["2"]["vs_baseline"]
    assert compared["n"] == len(labels) and compared["base"] == pytest.approx(run["ndcg@10"])
    assert "vs_baseline" not in result["runs"]["3"]  # the baseline has no 3-fold run to pair with
    more_sources = result["runs"]["3"]["vs_fewest_folds"]
    assert more_sources["n"] == len(labels) and more_sources["base"] == pytest.approx(result["runs"]["2"]["ndcg@10"])
    report = (tmp_path / "report" / "occupation_cv.md").read_text()
    assert f"{compared['diff']:+.4f}" in report and (tmp_path / "report" / "occupation_cv.png").stat().st_size > 0


def test_task_alignment_and_centroids_use_task_statements_one_by_one(recommender):
    """The per-task features (the production setting; the session uses the whole-field similarity)."""
    from retrieval.embeddings import get_embedder
    from retrieval.occupations.features import (
        _cos,
        align_tasks,
        embed_tasks,
        task_centroids,
    )

    corpus = recommender.corpus
    codes = ["29-1141.00", "29-2061.00", "15-1252.00", "47-2111.00"]  # RN, LPN, software dev, electrician
    task_lists = [corpus.task_lists[corpus.index[c]] for c in codes]
    assert all(len(tasks) >= 5 for tasks in task_lists)
    task_lists.append([])  # an occupation without task statements (93 of O*NET's have none)
    owners, vecs = embed_tasks(task_lists, get_embedder())
    assert len(vecs) == sum(len(t) for t in task_lists) and owners.max() == 3
    aligned = align_tasks(owners, vecs, len(task_lists))
    maxsim, sym = aligned["task_maxsim"][:4, :4], aligned["task_maxsim_sym"][:4, :4]
    np.testing.assert_allclose(np.diag(maxsim), 1.0, atol=1e-4)  # every task finds itself
    assert maxsim[0, 1] > maxsim[0, 2] and maxsim[0, 1] > maxsim[0, 3]  # a nurse's tasks align with an LPN's
    np.testing.assert_allclose(sym, sym.T)
    assert not np.allclose(maxsim, maxsim.T)  # the one-way alignment is asymmetric
    assert not aligned["task_maxsim"][4].any() and not aligned["task_maxsim"][:, 4].any()

    centroids = task_centroids(owners, vecs, len(task_lists))  # the whole task list, all of it
    np.testing.assert_allclose(centroids[2], vecs[owners == 2].sum(axis=0), rtol=1e-5, atol=1e-6)
    whole = _cos(centroids)
    assert whole[0, 1] > whole[0, 2] and whole[0, 1] > whole[0, 3]
    assert not whole[4].any()  # no tasks: no similarity (not one shared "empty text" vector)


def test_mutual_views_place_the_query_in_the_candidates_row_and_expose_hubs(recommender):
    """``<score>_revrank`` / ``_revz`` at ``[q, c]``: where the query stands in the candidate's own row."""
    content = recommender.content
    fusion, rank, revrank, revz = (content[f] for f in ("fusion", "fusion_rank", "fusion_revrank", "fusion_revz"))
    # A hub (in the fusion's top 10 of many rows) ranks most of those queries far down its own row.
    in_top10 = rank < np.log1p(10)
    np.fill_diagonal(in_top10, False)
    hub = int(in_top10.sum(axis=0).argmax())
    rows = np.flatnonzero(in_top10[:, hub])
    assert len(rows) > 30
    assert np.mean(revrank[rows, hub] >= np.log1p(10)) > 0.5, "a hub is mostly not a mutual neighbour"

    q = int(rows[np.argmax(revrank[rows, hub])])
    position_of_q_in_hub_row = int(np.flatnonzero(np.argsort(-fusion[hub], kind="stable") == q)[0])
    assert position_of_q_in_hub_row >= 10
    assert revrank[q, hub] == pytest.approx(np.log1p(position_of_q_in_hub_row)) and rank[q, hub] < np.log1p(10)
    hub_row, q_row = fusion[hub], fusion[q]
    assert revz[q, hub] == pytest.approx((hub_row[q] - hub_row.mean()) / hub_row.std(), rel=1e-3)
    assert revz[q, hub] < (q_row[hub] - q_row.mean()) / q_row.std(), "the hub stands out less in its own row"


def test_a_new_feature_cache_removes_only_stale_ones_of_its_variant(tmp_path):
    from retrieval.occupations.features import _cache_prefix, _remove_stale_caches

    current = tmp_path / f"{_cache_prefix(True)}new.npz"
    kept = [current, tmp_path / f"{_cache_prefix(False)}any.npz", tmp_path / "ranker.pkl"]
    stale = [
        tmp_path / f"{_cache_prefix(True)}old.npz",
        tmp_path / f"{_cache_prefix(True)}old.tmp.npz",
        tmp_path / "occupation-features-6f63e35bd48bf231.npz",
    ]  # from before the variant was in the name
    for path in kept + stale:
        path.write_bytes(b"x")
    _remove_stale_caches(current, per_task_alignment=True)
    assert sorted(tmp_path.iterdir()) == sorted(kept)


def test_zero_labels_is_the_fusion_not_worse_than_bm25(recommender):
    from retrieval.occupations.ranker import OccupationRanker

    model = OccupationRanker.fit(recommender.corpus, recommender.content, {})
    assert model.mode == "fusion"


def test_a_saved_ranker_needing_unknown_features_is_detected(recommender):
    """A model saved by other code (say, an experiment with extra features) is retrained, not served."""
    from retrieval.occupations.ranker import OccupationRanker

    live = recommender.ranker
    assert live.mode == "ltr" and live.missing_features(recommender.corpus, recommender.content) == set()
    stale = OccupationRanker(
        feature_names=[*live.feature_names, "pair_model"],
        mode="ltr",
        boosters=live.boosters,
        labels=live.labels,
        _serving_extra=live._serving_extra,
    )
    assert stale.missing_features(recommender.corpus, recommender.content) == {"pair_model"}


def test_text_profile(recommender):
    items = recommend(
        [Profile(text="I care for hospital patients, give medication and monitor vital signs")], Kind.occupation, k=10
    )[0].items
    assert any(i.id.startswith("29-") for i in items[:5])


def test_both_qdrant_backends_same_top10(settings, tmp_path):
    """Qdrant Edge (embedded) and qdrant-client (local mode) serve the same text recommendations."""
    from retrieval.occupations.service import OccupationRecommender

    edge = OccupationRecommender(settings.model_copy(update={"home": settings.home}))
    client_settings = settings.model_copy(update={"qdrant_local_path": str(tmp_path / "qdrant-local")})
    client = OccupationRecommender(client_settings)
    assert type(edge.store).__name__ == "EdgeStore" and type(client.store).__name__ == "ClientStore"
    profiles = [
        Profile(text="data analysis with Python and SQL dashboards"),
        Profile(text="welding and metal fabrication"),
    ]
    a = [[i.id for i in r][:10] for r in edge.recommend_many(profiles, k=10)]
    b = [[i.id for i in r][:10] for r in client.recommend_many(profiles, k=10)]
    assert a == b


def test_bad_profiles_are_clear_errors(recommender):
    with pytest.raises(ProfileError, match="unknown occupation"):
        recommend([Profile(occupation="99-9999.00")], Kind.occupation)
    with pytest.raises(ProfileError, match="empty profile"):
        parse_profiles(['{"id": "x"}'])
    with pytest.raises(ProfileError, match="line 2: malformed JSON"):
        parse_profiles(['{"occupation": "RN"}', "{not json"])
    with pytest.raises(ProfileError, match="skills"):
        parse_profiles(['{"skills": "python"}'])


def test_cli_batch(settings, tmp_path, recommender):
    batch = tmp_path / "in.jsonl"
    batch.write_text('{"id": "n", "occupation": "RN"}\n{"id": "s", "occupation": "15-1252.00"}\n')
    env = {**os.environ, "WAYPOINT_HOME": str(settings.home)}
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "recommend", "--batch", str(batch), "--kind", "occupation", "--k", "5"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["id"] for r in lines] == ["n", "s"]
    assert len(lines[0]["items"]) == 5 and {"id", "kind", "title", "score"} <= set(lines[0]["items"][0])
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"occupation": "00-0000.00"}\n')
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "recommend", "--batch", str(bad)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )
    assert proc.returncode == 2 and "unknown occupation" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "recommend", "--batch", str(batch), "--kind", "planet"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )
    assert proc.returncode == 2 and "unknown kind" in proc.stderr
