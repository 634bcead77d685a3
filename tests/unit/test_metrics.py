"""retrieval/metrics.py, which computes the headline NDCG: every function against values worked out by hand.

Gains are exponential (2^rel - 1) and discounts log2(position + 1), so the hand values below are written
as those sums; ties (equal grades), empty inputs and cut-offs each get a case.
"""

from __future__ import annotations

import math

import pytest

from retrieval.metrics import (
    average_precision_at_k,
    dcg,
    mrr,
    ndcg_at_k,
    recall_at_k,
    roc_auc,
    summarize,
)

LOG2_3 = math.log2(3)


# ---------------------------------------------------------------------------------------------- dcg
def test_dcg_by_hand():
    # grades 3, 2, 0 at positions 1, 2, 3: (2^3-1)/log2(2) + (2^2-1)/log2(3) + 0
    assert dcg([3, 2, 0]) == pytest.approx(7.0 + 3.0 / LOG2_3)
    assert dcg([1]) == pytest.approx(1.0)
    assert dcg([0, 0, 1]) == pytest.approx(1.0 / 2.0)  # position 3: log2(4) = 2


def test_dcg_of_nothing_is_zero():
    assert dcg([]) == 0.0
    assert dcg([0, 0]) == 0.0


def test_dcg_accepts_fractional_grades():
    assert dcg([0.5]) == pytest.approx(math.sqrt(2) - 1)


# --------------------------------------------------------------------------------------------- ndcg
def test_ndcg_by_hand():
    ranked = ["a", "b", "c"]
    relevance = {"a": 1, "b": 0, "c": 2}
    actual = 1.0 + 0.0 + 3.0 / 2.0  # a at 1, c at 3
    ideal = 3.0 + 1.0 / LOG2_3  # c, then a
    assert ndcg_at_k(ranked, relevance, k=3) == pytest.approx(actual / ideal)
    assert ndcg_at_k(ranked, relevance, k=3) == pytest.approx(0.688529, abs=1e-6)  # 2.5 / 3.630930


def test_perfect_order_scores_one_and_tied_grades_may_come_in_any_order():
    relevance = {"a": 3, "b": 1, "c": 1}
    assert ndcg_at_k(["a", "b", "c"], relevance) == pytest.approx(1.0)
    assert ndcg_at_k(["a", "c", "b"], relevance) == pytest.approx(1.0)  # b and c tie


def test_ties_with_a_gap_between_them():
    # two items of grade 1; one found at 1, the other at 3 behind an unlabelled item
    relevance = {"a": 1, "b": 1}
    assert ndcg_at_k(["a", "x", "b"], relevance, k=3) == pytest.approx((1.0 + 0.5) / (1.0 + 1.0 / LOG2_3))


def test_the_ideal_counts_relevant_items_that_were_not_retrieved():
    relevance = {"a": 1, "b": 3}
    assert ndcg_at_k(["a"], relevance, k=10) == pytest.approx(1.0 / (7.0 + 1.0 / LOG2_3))


def test_ndcg_cuts_both_lists_at_k():
    relevance = {"a": 1, "b": 2, "c": 3}
    assert ndcg_at_k(["x", "a"], relevance, k=1) == 0.0
    # k=1: the ideal is the single best grade (3), the ranking's first item has grade 2
    assert ndcg_at_k(["b", "c"], relevance, k=1) == pytest.approx(3.0 / 7.0)


def test_ndcg_of_empty_inputs_is_zero():
    assert ndcg_at_k([], {"a": 1}) == 0.0
    assert ndcg_at_k(["a"], {}) == 0.0
    assert ndcg_at_k(["a", "b"], {"a": 0, "b": 0}) == 0.0  # nothing relevant: no ideal to divide by


def test_ndcg_ignores_unlabelled_items():
    assert ndcg_at_k(["x", "y", "a"], {"a": 1}, k=3) == pytest.approx(0.5)


def test_a_repeated_item_earns_its_gain_once():
    assert ndcg_at_k(["a", "a"], {"a": 1}, k=2) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "a", "a", "b"], {"a": 1, "b": 2}, k=4) == pytest.approx(
        ndcg_at_k(["x", "a", "y", "b"], {"a": 1, "b": 2}, k=4)
    )
    assert average_precision_at_k(["a", "a"], {"a": 1, "b": 1}, k=2) == pytest.approx(0.5)


# ------------------------------------------------------------------------------------------- recall
def test_recall_by_hand():
    relevance = {"a": 1, "b": 2, "c": 0}  # c is labelled but not relevant
    assert recall_at_k(["c", "a", "x"], relevance, k=2) == pytest.approx(0.5)
    assert recall_at_k(["c", "a", "b"], relevance, k=3) == pytest.approx(1.0)
    assert recall_at_k(["c", "x"], relevance, k=2) == 0.0


def test_recall_counts_relevant_items_once_whatever_their_grade():
    assert recall_at_k(["a", "b"], {"a": 3, "b": 1, "c": 1}, k=2) == pytest.approx(2 / 3)


def test_recall_of_empty_inputs_is_zero():
    assert recall_at_k(["a"], {}) == 0.0
    assert recall_at_k(["a"], {"a": 0}) == 0.0
    assert recall_at_k([], {"a": 1}) == 0.0


# ---------------------------------------------------------------------------------------------- mrr
def test_mrr_is_the_reciprocal_of_the_first_relevant_position():
    assert mrr(["x", "y", "a", "b"], {"a": 1, "b": 3}) == pytest.approx(1 / 3)
    assert mrr(["a"], {"a": 1}) == 1.0


def test_mrr_skips_zero_grades_and_respects_the_cutoff():
    assert mrr(["x", "a"], {"x": 0, "a": 2}) == pytest.approx(0.5)
    assert mrr(["x", "y", "a"], {"a": 1}, k=2) == 0.0
    assert mrr(["x", "y", "a"], {"a": 1}, k=3) == pytest.approx(1 / 3)


def test_mrr_of_empty_inputs_is_zero():
    assert mrr([], {"a": 1}) == 0.0
    assert mrr(["a"], {}) == 0.0


# ---------------------------------------------------------------------------------------------- map
def test_average_precision_by_hand():
    relevance = {"a": 1, "b": 1, "c": 1}
    ranked = ["a", "x", "b", "y", "c"]
    # hits at 1, 3, 5: precisions 1/1, 2/3, 3/5, divided by min(3 relevant, k=5)
    assert average_precision_at_k(ranked, relevance, k=5) == pytest.approx((1 + 2 / 3 + 3 / 5) / 3)
    # k=2: one hit at 1, divided by min(3, 2)
    assert average_precision_at_k(ranked, relevance, k=2) == pytest.approx(0.5)


def test_average_precision_is_binary_in_the_grade():
    assert average_precision_at_k(["b", "a"], {"a": 3, "b": 1}, k=2) == pytest.approx(1.0)


def test_average_precision_of_empty_inputs_is_zero():
    assert average_precision_at_k([], {"a": 1}) == 0.0
    assert average_precision_at_k(["a"], {"a": 0}) == 0.0


# ----------------------------------------------------------------------------------------- summarize
def test_summarize_means_over_queries_in_both_runs_and_qrels():
    runs = {"q1": ["a", "b"], "q2": ["x", "c"], "only-run": ["a"]}
    qrels = {"q1": {"a": 1}, "q2": {"c": 2}, "only-qrels": {"z": 1}}
    out = summarize(runs, qrels, k=2)
    assert out["queries"] == 2
    assert out["ndcg@2"] == pytest.approx((1.0 + 1.0 / LOG2_3) / 2)  # q1 perfect, q2's c at position 2
    assert out["recall@2"] == pytest.approx(1.0)
    assert out["mrr"] == pytest.approx((1.0 + 0.5) / 2)
    assert out["map@2"] == pytest.approx((1.0 + 0.5) / 2)
    assert all(isinstance(v, float) for v in out.values())


def test_summarize_without_shared_queries_is_empty():
    assert summarize({"q1": ["a"]}, {"q2": {"a": 1}}) == {}
    assert summarize({}, {}) == {}


# ---------------------------------------------------------------------------------------------- roc_auc
def test_roc_auc_counts_the_pairs_a_positive_wins_ties_half():
    assert roc_auc([1, 1, 0, 0], [0.9, 0.8, 0.1, 0.2]) == 1.0
    assert roc_auc([1, 1, 0, 0], [0.1, 0.2, 0.9, 0.8]) == 0.0
    # pairs: (0.9 > 0.5) (0.9 > 0.4) (0.3 < 0.5) (0.3 < 0.4) -> 2 of 4; a tie counts half
    assert roc_auc([1, 1, 0, 0], [0.9, 0.3, 0.5, 0.4]) == pytest.approx(0.5)
    assert roc_auc([1, 0], [0.5, 0.5]) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        roc_auc([1, 1], [0.2, 0.3])
