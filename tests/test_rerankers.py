"""Cross-encoder and SetFit: tiny real training runs that save, reload and predict (no mocks)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def occupation_labels(catalogue):
    labels: dict[str, dict[str, int]] = {}
    grade = {"Primary-Short": 3, "Primary-Long": 2, "Supplemental": 1}
    for src, tgt, tier in catalogue.execute("SELECT occupation_id, related_id, tier FROM related_occupation ORDER BY 1, 2"):
        labels.setdefault(src, {})[tgt] = grade[tier]
    return labels


@pytest.mark.slow
def test_cross_encoder_trains_saves_reloads_and_scores(settings, occupation_labels, tmp_path):
    from retrieval.rerankers.cross_encoder import (
        CrossEncoderReranker,
        RerankerConfig,
        score_occupation_pairs,
        train_occupation_cross_encoder,
    )

    subset = {s: occupation_labels[s] for s in sorted(occupation_labels)[:3]}
    out = tmp_path / "ce"
    model = train_occupation_cross_encoder(subset, RerankerConfig.tiny(max_steps=4, max_pairs=40), out_dir=out,
                                           settings=settings)
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
    ranked = reloaded.rerank("registered nurse", [("a", "Registered Nurses. Assess patient health"),
                                                  ("b", "Truck drivers haul goods")])
    assert [i for i, _ in ranked] in (["a", "b"], ["b", "a"])


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
