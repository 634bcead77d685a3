"""Ranking metrics with graded relevance, shared by training (model selection) and ``eval``.

They live in ``retrieval`` because the rankers use them to choose between models (the BM25 floor),
and dependencies point from ``eval`` to ``retrieval``, never back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.stats import mannwhitneyu


def dcg(gains: Sequence[float]) -> float:
    g = np.asarray(gains, dtype=np.float64)
    if g.size == 0:
        return 0.0
    return float(((2.0**g - 1.0) / np.log2(np.arange(2, g.size + 2))).sum())


def ndcg_at_k(ranked: Sequence[str], relevance: Mapping[str, float], k: int = 10) -> float:
    """NDCG@k with exponential gain 2^rel − 1; the ideal uses every labelled item, retrieved or not."""
    ideal = dcg(sorted(relevance.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([relevance.get(item, 0.0) if item is not None else 0.0 for item in _once(ranked[:k])]) / ideal


def _once(ranked: Sequence[str]) -> list[str | None]:
    """``ranked`` with each repeat of an id blanked: a list showing an item twice earns its gain once."""
    seen: set[str] = set()
    out: list[str | None] = []
    for item in ranked:
        out.append(None if item in seen else item)
        seen.add(item)
    return out


def recall_at_k(ranked: Sequence[str], relevance: Mapping[str, float], k: int = 10) -> float:
    relevant = {i for i, r in relevance.items() if r > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def mrr(ranked: Sequence[str], relevance: Mapping[str, float], k: int | None = None) -> float:
    for pos, item in enumerate(ranked[:k] if k else ranked, start=1):
        if relevance.get(item, 0) > 0:
            return 1.0 / pos
    return 0.0


def average_precision_at_k(ranked: Sequence[str], relevance: Mapping[str, float], k: int = 10) -> float:
    relevant = {i for i, r in relevance.items() if r > 0}
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for pos, item in enumerate(_once(ranked[:k]), start=1):
        if item in relevant:
            hits += 1
            total += hits / pos
    return total / min(len(relevant), k)


def summarize(
    runs: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, float]], k: int = 10
) -> dict[str, float]:
    """Mean metrics over queries present in both ``runs`` and ``qrels``."""
    queries = [q for q in qrels if q in runs]
    if not queries:
        return {}
    out: dict[str, float | np.floating] = {
        f"ndcg@{k}": np.mean([ndcg_at_k(runs[q], qrels[q], k) for q in queries]),
        f"recall@{k}": np.mean([recall_at_k(runs[q], qrels[q], k) for q in queries]),
        "mrr": np.mean([mrr(runs[q], qrels[q]) for q in queries]),
        f"map@{k}": np.mean([average_precision_at_k(runs[q], qrels[q], k) for q in queries]),
        "queries": len(queries),
    }
    return {key: float(v) for key, v in out.items()}


def roc_auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Area under the ROC curve: the probability that a positive scores above a negative (ties count half),
    the Mann-Whitney U statistic over the number of (positive, negative) pairs."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    if y.all() or not y.any():
        raise ValueError("roc_auc needs both positives and negatives")
    return float(mannwhitneyu(s[y], s[~y]).statistic / (y.sum() * (~y).sum()))
