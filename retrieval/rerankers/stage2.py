"""Second stage: the cross-encoder reranks the top of a first-stage ranking, with a learned weight.

Why a blend and not "cross-encoder order": the first stage (LambdaRank over dozens of features for
occupations and jobs) is far stronger than a cross-encoder fine-tuned from a bi-encoder checkpoint on
a few thousand pairs, so sorting by the cross-encoder alone throws that away. Instead the top
``top_k`` items get

    stage2 = z(stage1) + weight · z(cross-encoder)

(z-scores within the query's top ``top_k``; where the first stage gives only an order, its score is
``-log(1 + position)``). That is a two-feature linear ranker stacked on the LambdaRank score, and
``weight`` is learned per kind from labelled queries by :func:`select_weight` (grid search on
NDCG@k). :func:`cross_fitted` measures the gain honestly: the queries are split in two, the weight is
chosen on one half and scored on the other, and the other way round. ``weight = 0`` turns the stage
off (the first-stage order is kept exactly).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.metrics import summarize

log = logging.getLogger(__name__)

WEIGHT_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


def _z(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    sd = x.std()
    return (x - x.mean()) / sd if sd > 1e-12 else np.zeros_like(x)


def position_score(n: int) -> np.ndarray:
    """First-stage score from its order alone (best first), for rankers that return only ids."""
    return -np.log1p(np.arange(n, dtype=np.float64))


def blend(stage1: np.ndarray, ce: np.ndarray, weight: float) -> np.ndarray:
    """``z(stage1) + weight · z(ce)`` over one query's top items (both aligned, best stage-1 first)."""
    if len(stage1) != len(ce):
        raise ValueError("stage1 and cross-encoder scores must be aligned")
    return _z(stage1) + float(weight) * _z(ce)


def reorder(ids: Sequence[str], stage1: np.ndarray, ce: np.ndarray, weight: float) -> list[str]:
    """``ids`` (stage-1 order, the top ``len(ce)`` of them scored) reordered by :func:`blend`.

    Items past the scored top keep their place after it; ties keep the first-stage order."""
    n = len(ce)
    if weight == 0 or n < 2:
        return list(ids)
    s = blend(np.asarray(stage1[:n]), np.asarray(ce), weight)
    order = sorted(range(n), key=lambda i: (-s[i], i))
    return [ids[i] for i in order] + list(ids[n:])


@dataclass
class Group:
    """One labelled query for weight selection: its stage-1 list, scores, CE scores, relevance."""

    query: str
    ids: list[str]
    stage1: np.ndarray
    ce: np.ndarray
    relevance: Mapping[str, float]


def _runs(groups: Sequence[Group], weight: float) -> dict[str, list[str]]:
    return {g.query: reorder(g.ids, g.stage1, g.ce, weight) for g in groups}


def _metrics(groups: Sequence[Group], runs: Mapping[str, list[str]], k: int) -> dict[str, float]:
    return summarize(runs, {g.query: g.relevance for g in groups}, k)


def select_weight(groups: Sequence[Group], k: int, grid: Sequence[float] = WEIGHT_GRID) -> float:
    """The grid weight with the best mean NDCG@k on ``groups`` (the smallest weight on ties)."""
    best_w, best = 0.0, -1.0
    for w in grid:
        score = _metrics(groups, _runs(groups, w), k).get(f"ndcg@{k}", 0.0)
        if score > best + 1e-12:
            best_w, best = float(w), score
    return best_w


def cross_fitted(groups: Sequence[Group], k: int, grid: Sequence[float] = WEIGHT_GRID) -> dict:
    """Stage-1 vs stage-2 metrics with the weight chosen on the *other* half of the queries.

    Also returns the cross-encoder alone on the same top items (``ce_only``), the weight chosen on
    all queries (``weight``, what serving should use) and the per-half weights."""
    groups = sorted(groups, key=lambda g: g.query)
    halves = [groups[0::2], groups[1::2]]
    chosen = [select_weight(halves[1 - h], k, grid) if halves[1 - h] else 0.0 for h in range(2)]
    stage2_runs: dict[str, list[str]] = {}
    for h, w in enumerate(chosen):
        stage2_runs |= _runs(halves[h], w)
    ce_only = {g.query: reorder(g.ids, np.zeros(len(g.ce)), g.ce, 1.0) for g in groups}
    return {
        "queries": len(groups),
        "top_k": int(max((len(g.ce) for g in groups), default=0)),
        "stage1": _metrics(groups, _runs(groups, 0.0), k),
        "stage2_cross_fitted": _metrics(groups, stage2_runs, k),
        "ce_only": _metrics(groups, ce_only, k),
        "half_weights": chosen,
        "weight": select_weight(groups, k, grid),
    }


def stage2_enabled(kind: str, settings) -> bool:
    """Whether serving reranks ``kind``: its weight (``WAYPOINT_RERANK_WEIGHT_<KIND>``) is positive and a
    cross-encoder is trained. Callers check it before preparing the stage's inputs."""
    from retrieval.rerankers.cross_encoder import cross_encoder_available

    return float(getattr(settings, f"rerank_weight_{kind}")) > 0 and cross_encoder_available(settings)


def rerank_for_serving(
    kind: str,
    query_text: str,
    ids: Sequence[str],
    text_of: Callable[[str], str],
    stage1: np.ndarray | None = None,
    settings=None,
) -> list[str]:
    """Serving: ``ids`` (stage-1 order) with their top ``rerank_top_k`` reranked for ``kind``.

    A no-op unless :func:`stage2_enabled`; a cross-encoder that fails to load or score is logged and
    the stage-1 order is kept, so a recommendation never fails because of the second stage."""
    from retrieval.rerankers.cross_encoder import get_cross_encoder
    from retrieval.settings import get_settings

    settings = settings or get_settings()
    ids = list(ids)
    if len(ids) < 2 or not query_text.strip() or not stage2_enabled(kind, settings):
        return ids
    weight = float(getattr(settings, f"rerank_weight_{kind}"))
    n = min(settings.rerank_top_k, len(ids))
    try:
        ce = get_cross_encoder(settings).score([(query_text, text_of(i)) for i in ids[:n]])
    except Exception as exc:  # noqa: BLE001 - the first stage is a complete answer on its own
        log.warning("cross-encoder stage 2 skipped for %s: %s", kind, exc)
        return ids
    s1 = np.asarray(stage1[:n], dtype=np.float64) if stage1 is not None else position_score(n)
    return reorder(ids, s1, ce, weight)


__all__ = [
    "WEIGHT_GRID",
    "Group",
    "blend",
    "cross_fitted",
    "position_score",
    "reorder",
    "rerank_for_serving",
    "select_weight",
    "stage2_enabled",
]
