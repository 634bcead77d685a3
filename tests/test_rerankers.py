"""Cross-encoder and SetFit: tiny real training runs that save, reload and predict (no mocks)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def occupation_labels(catalogue):
    labels: dict[str, dict[str, int]] = {}
    grade = {"Primary-Short": 3, "Primary-Long": 2, "Supplemental": 1}
    for src, tgt, tier in catalogue.execute(
        "SELECT occupation_id, related_id, tier FROM related_occupation ORDER BY 1, 2"
    ):
        labels.setdefault(src, {})[tgt] = grade[tier]
    return labels


@pytest.fixture(scope="module")
def tiny_cross_encoder(settings, occupation_labels, tmp_path_factory):
    """A cross-encoder really trained for 4 steps on 3 sources, saved; ``(model, subset, out_dir)``."""
    from retrieval.rerankers.cross_encoder import RerankerConfig, train_occupation_cross_encoder

    subset = {s: occupation_labels[s] for s in sorted(occupation_labels)[:3]}
    out = tmp_path_factory.mktemp("ce") / "cross-encoder"
    model = train_occupation_cross_encoder(
        subset, RerankerConfig.tiny(max_steps=4, max_pairs=40), out_dir=out, settings=settings
    )
    return model, subset, out


@pytest.mark.slow
def test_cross_encoder_trains_saves_reloads_and_scores(occupation_labels, tiny_cross_encoder):
    from retrieval.rerankers.cross_encoder import CrossEncoderReranker, score_occupation_pairs

    model, subset, out = tiny_cross_encoder
    assert model.meta["steps"] == 4 and model.meta["sources"] == 3
    src = sorted(subset)[0]
    related = sorted(subset[src])[0]
    unrelated = next(i for i in sorted(occupation_labels) if i != src and i not in subset[src])
    before = model.score_occupation_pairs([src, src], [related, unrelated])
    reloaded = CrossEncoderReranker.load(out)
    after = score_occupation_pairs([src, src], [related, unrelated], model=reloaded)
    assert after.shape == (2,) and np.all((after >= 0) & (after <= 1))
    np.testing.assert_allclose(before, after, atol=1e-5)
    with pytest.raises(ValueError):
        reloaded.score_occupation_pairs([src], [related, unrelated])
    ranked = reloaded.rerank(
        "registered nurse", [("a", "Registered Nurses. Assess patient health"), ("b", "Truck drivers haul goods")]
    )
    assert [i for i, _ in ranked] in (["a", "b"], ["b", "a"])


def test_stage2_weight_is_learned_and_cross_fitted_on_other_queries():
    from retrieval.rerankers.stage2 import Group, cross_fitted, position_score, reorder, select_weight

    ids = [f"i{j}" for j in range(10)]
    # weight 0 keeps the first-stage order; items past the scored top never move
    assert reorder(ids, position_score(10), np.arange(5.0), 0.0) == ids
    assert reorder(ids, position_score(10), np.arange(5.0), 10.0)[:5] == ["i4", "i3", "i2", "i1", "i0"]
    assert reorder(ids, position_score(10), np.arange(5.0), 10.0)[5:] == ids[5:]
    rng = np.random.default_rng(0)
    informative, harmful = [], []
    for q in range(40):
        rel = {f"i{j}": 1.0 for j in rng.choice(10, size=2, replace=False)}
        truth = np.array([rel.get(i, 0.0) for i in ids])
        informative.append(Group(f"q{q}", ids, position_score(10), truth + 0.1 * rng.standard_normal(10), rel))
        harmful.append(Group(f"q{q}", ids, position_score(10), -truth, rel))
    assert select_weight(informative, k=3) > 0.5
    assert select_weight(harmful, k=3) == 0.0
    good = cross_fitted(informative, k=3)
    assert good["queries"] == 40 and good["top_k"] == 10 and all(w > 0 for w in good["half_weights"])
    assert good["stage2_cross_fitted"]["ndcg@3"] > good["stage1"]["ndcg@3"]
    bad = cross_fitted(harmful, k=3)
    assert bad["weight"] == 0.0 and bad["stage2_cross_fitted"] == bad["stage1"]
    assert bad["ce_only"]["ndcg@3"] < bad["stage1"]["ndcg@3"]


@pytest.fixture()
def installed_cross_encoder(settings, tiny_cross_encoder):
    """The tiny cross-encoder where serving looks for it, removed afterwards (the session's home is shared)."""
    import shutil

    from retrieval.rerankers.cross_encoder import model_dir, reset_cache

    target = model_dir(settings)
    assert not target.exists(), "the test session's home must not hold a trained cross-encoder"
    shutil.copytree(tiny_cross_encoder[2], target)
    reset_cache()
    yield tiny_cross_encoder[0]
    shutil.rmtree(target)
    reset_cache()


@pytest.mark.slow
def test_stage2_reranks_served_job_recommendations(settings, installed_cross_encoder, catalogue):
    from retrieval.jobs.data import load_log
    from retrieval.jobs.model import JobRecConfig
    from retrieval.jobs.pipeline import cross_encoder_query
    from retrieval.jobs.service import JobRecommender
    from retrieval.profile import Profile
    from retrieval.rerankers.stage2 import reorder

    log = load_log(catalogue)
    user = next(a for a, vs in sorted(log.history().items()) if len(vs) >= 4)
    config = JobRecConfig(dense=False, inner_folds=1, n_estimators=120)  # the ranker test_jobs trained and saved
    stage1 = JobRecommender(settings, config).recommend(Profile(user_id=user), k=30)
    on = JobRecommender(settings.model_copy(update={"rerank_weight_job": 3.0, "rerank_top_k": 30}), config)
    served = on.recommend(Profile(user_id=user), k=10)
    ids = [j.id for j in stage1]
    query = cross_encoder_query(log, log.history()[user], on.profile_text(Profile(user_id=user)))
    ce = installed_cross_encoder.score([(query, log.doc_text(log.job_index[j])) for j in ids])
    expected = reorder(ids, np.array([j.score for j in stage1]), ce, 3.0)[:10]
    assert [j.id for j in served] == expected
    assert expected != ids[:10]  # weight 3 on a real (if tiny) cross-encoder does reorder the top


@pytest.mark.slow
def test_stage2_reranks_served_occupations_and_a_broken_model_degrades(settings, installed_cross_encoder):
    from retrieval.occupations.service import OccupationRecommender
    from retrieval.rerankers.cross_encoder import model_dir, reset_cache
    from retrieval.rerankers.stage2 import position_score, reorder, rerank_for_serving

    rec = OccupationRecommender(settings.model_copy(update={"rerank_weight_occupation": 2.0}))
    query = "29-1141.00"
    order = rec.ranker.rank_many(rec.corpus, rec.content, [query], k=150, hold_out_queries=False)[query]
    texts = rec._occupation_texts()
    ce = installed_cross_encoder.score_occupation_pairs([query] * 30, order[:30])
    expected = reorder(order, position_score(30), ce, 2.0)
    assert rec._stage2(query, order) == expected != order
    assert sorted(expected) == sorted(order)  # a permutation: nothing added or lost
    # a corrupt model on disk: the stage is skipped with a warning, the first-stage order is served
    (model_dir(settings) / "model.safetensors").write_bytes(b"not a model")
    reset_cache()
    assert rerank_for_serving("occupation", texts.get(query), order, texts.get, settings=rec.settings) == order


@pytest.mark.slow
def test_setfit_tiny_training_predicts_valid_labels(settings, tmp_path):
    from retrieval.rerankers.intent_examples import INTENTS
    from retrieval.rerankers.setfit_models import TextClassifier
    from training.setfit_models import SetFitConfig, train

    stats = train(SetFitConfig.tiny(tasks=["intent"], output_dir=str(tmp_path)))
    assert stats["intent"]["labels"] == len(INTENTS)
    clf = TextClassifier("intent", settings, path=tmp_path / "intent")
    assert clf.kind == "setfit"
    preds = clf.predict(["find me cashier jobs in Chicago", "which course teaches SQL?"])
    assert len(preds) == 2 and all(p.label in INTENTS and 0 <= p.score <= 1 for p in preds)


def test_family_classifier_fallback_predicts_major_groups(settings):
    """Without a trained SetFit model the nearest-centroid baseline serves valid SOC major groups."""
    from retrieval.rerankers.setfit_models import MAJOR_GROUPS, RESUME_CATEGORY_TO_GROUP, TextClassifier

    clf = TextClassifier("family", settings, path=settings.models_dir / "setfit" / "no-such-model")
    assert clf.kind == "centroid"
    preds = clf.predict(["Registered Nurse", "Java software developer", "Forklift operator"])
    assert all(p.label in MAJOR_GROUPS and p.title == MAJOR_GROUPS[p.label] for p in preds)
    assert preds[1].label == "15"
    assert set(RESUME_CATEGORY_TO_GROUP.values()) <= set(MAJOR_GROUPS)
    with pytest.raises(ValueError):
        clf.predict([""])
