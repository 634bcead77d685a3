"""Training and leave-last-out evaluation of the job recommender (shared by serving, ``eval/jobs.py``
and the tests).

Protocol (nested, so that nothing about an applicant's held-out view leaks into the ranker):

* **outer split**: each applicant with ≥ 3 views in the log loses their last view (by ``view_start``)
  to the test side; everything else is the training log.
* **ranker training** on the training log only: inner folds hold out, per applicant, the last view
  (fold 0), the second-last (fold 1, built from the log with the last view removed), ...; the
  collaborative statistics of each fold are computed without its held-out views; LambdaRank learns
  to put the held-out job first among the fold's candidates.
* **test**: collaborative statistics from the whole training log, candidates + features for each
  test applicant from their earlier views and profile text, ranked by the trained model.

Serving is the same with the whole log as the training log.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from retrieval.jobs.data import JobLog, View, leave_last_out
from retrieval.jobs.model import (
    _F,
    FEATURES,
    JobContent,
    JobInteractions,
    JobRanker,
    JobRecConfig,
    JobScorer,
    Query,
)
from retrieval.metrics import summarize

MIN_VIEWS = 3


def _by_user(views: list[View]) -> dict[str, list[View]]:
    out: dict[str, list[View]] = defaultdict(list)
    for v in views:
        out[v.applicant_id].append(v)
    return out


def make_query(log: JobLog, user_id: str, history: list[View], use_profile: bool = True) -> Query:
    return Query(
        user_id=user_id,
        history=list(history),
        text=log.profile_text.get(user_id, "") if use_profile else "",
        now=history[-1].t if history else float("nan"),
    )


def inner_folds(views: list[View], n_folds: int) -> list[tuple[list[View], dict[str, View]]]:
    """Fold f: drop each applicant's last f views, then leave-last-out on what remains."""
    folds = []
    by_user = _by_user(views)
    for f in range(max(1, n_folds)):
        truncated: list[View] = []
        for vs in by_user.values():
            truncated.extend(vs[: len(vs) - f] if len(vs) - f >= MIN_VIEWS else vs[: max(0, len(vs) - f)])
        train, test = leave_last_out(truncated, MIN_VIEWS)
        if test:
            folds.append((train, test))
    return folds


def training_groups(
    log: JobLog, content: JobContent, views: list[View], config: JobRecConfig, show_progress: bool = False
) -> tuple[list[tuple[np.ndarray, np.ndarray]], dict]:
    groups: list[tuple[np.ndarray, np.ndarray]] = []
    stats = {"queries": 0, "with_positive": 0, "rows": 0}
    for train, test in inner_folds(views, config.inner_folds):
        inter = JobInteractions(log, train, config)
        scorer = JobScorer(content, inter, config)
        hist = _by_user(train)
        for user, target in tqdm(sorted(test.items()), desc="ranker features", disable=not show_progress, leave=False):
            q = make_query(log, user, hist.get(user, []))
            F = scorer.features(q)
            cands = scorer.candidates(F)
            t = log.job_index.get(target.job_id)
            y = (cands == t).astype(np.int32)
            stats["queries"] += 1
            if y.sum() == 0:
                continue
            stats["with_positive"] += 1
            groups.append((F[cands], y))
            stats["rows"] += len(cands)
    return groups, stats


@dataclass
class FittedJobModel:
    content: JobContent
    interactions: JobInteractions
    scorer: JobScorer
    ranker: JobRanker | None
    train_stats: dict

    def rank(self, q: Query, k: int = 20, exclude: set[str] | None = None) -> list[tuple[int, float]]:
        """Top-``k`` ``(job index, score)`` for a query, best first; ties broken by job id."""
        F = self.scorer.features(q)
        cands = self.scorer.candidates(F)
        if exclude:
            keep = [i for i, c in enumerate(cands) if self.content.log.job_ids[c] not in exclude]
            cands = cands[keep]
        if cands.size == 0:
            return []
        if self.ranker is not None:
            s = self.ranker.predict(F[cands])
        else:
            s = fallback_score(F[cands])
        ids = self.content.log.job_ids
        order = sorted(range(len(cands)), key=lambda i: (-round(float(s[i]), 9), ids[cands[i]]))[:k]
        return [(int(cands[i]), float(s[i])) for i in order]


def fallback_score(F: np.ndarray) -> np.ndarray:
    """A hand-weighted blend used before a ranker is trained (or with too little data)."""
    return (
        2.0 * F[:, _F["hist_recency"]]
        + 0.15 * F[:, _F["bm25_last"]]
        + 0.1 * F[:, _F["bm25_all"]]
        + 2.0 * F[:, _F["coview_hist"]]
        + 1.0 * F[:, _F["trans_hist"]]
        + 0.5 * F[:, _F["same_city_last"]]
        + 0.3 * F[:, _F["state_frac"]]
        + 0.1 * F[:, _F["bm25_profile"]]
        + 1.0 * F[:, _F["dense_profile"]]
        + 0.05 * F[:, _F["pop_users_log"]]
    )


def fit(
    log: JobLog,
    views: list[View],
    config: JobRecConfig | None = None,
    *,
    content: JobContent | None = None,
    show_progress: bool = False,
) -> FittedJobModel:
    """Train the ranker on inner folds of ``views`` and fit the collaborative statistics on all of them."""
    config = config or JobRecConfig()
    content = content or JobContent(log, dense=config.dense)
    t0 = time.perf_counter()
    groups, stats = training_groups(log, content, views, config, show_progress)
    ranker = JobRanker(config).fit(groups) if len(groups) >= 20 else None
    stats["fit_s"] = round(time.perf_counter() - t0, 2)
    inter = JobInteractions(log, views, config)
    return FittedJobModel(content, inter, JobScorer(content, inter, config), ranker, stats)


# ---------------------------------------------------------------------------------------------
# evaluation
# ---------------------------------------------------------------------------------------------
def _zscore(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)


def _topk(scores: np.ndarray, ids: list[str], k: int) -> list[str]:
    k = min(k, scores.size)
    top = sorted(np.argpartition(-scores, k - 1)[:k], key=lambda i: (-scores[i], ids[i]))
    return [ids[i] for i in top]


def evaluate_leave_last_out(
    log: JobLog,
    config: JobRecConfig | None = None,
    *,
    k: int = 20,
    baselines: bool = True,
    max_test: int | None = None,
    show_progress: bool = False,
    content: JobContent | None = None,
    cross_encoder=None,
    rerank_top_k: int = 30,
) -> dict:
    """Recall@k / NDCG@k / MRR of the model and baselines on the leave-last-out split of ``log``.

    With ``cross_encoder`` (a :class:`~retrieval.rerankers.cross_encoder.CrossEncoderReranker` trained
    without any applicant's last view) the LambdaRank top ``rerank_top_k`` is also reranked by the
    stage-2 blend (:mod:`retrieval.rerankers.stage2`), weight cross-fitted over the test queries:
    ``methods["ltr_cross_encoder"]`` and the details in ``"cross_encoder"``.

    Returns ``{"methods": {name: metrics}, "candidate_recall": ..., "train": {...}, "importance": {...}}``.
    """
    config = config or JobRecConfig()
    train, test = leave_last_out(log.views, MIN_VIEWS)
    users = sorted(test)
    if max_test:
        users = users[:max_test]
    content = content or JobContent(log, dense=config.dense)
    t0 = time.perf_counter()
    model = fit(log, train, config, content=content, show_progress=show_progress)
    fit_s = time.perf_counter() - t0
    hist = _by_user(train)
    ids = log.job_ids
    runs: dict[str, dict[str, list[str]]] = defaultdict(dict)
    qrels = {u: {test[u].job_id: 1.0} for u in users}
    cand_hits = 0
    stage2_inputs: list[tuple[str, list[str], np.ndarray, str]] = []
    t1 = time.perf_counter()
    for u in tqdm(users, desc="evaluate", disable=not show_progress, leave=False):
        h = hist.get(u, [])
        q = make_query(log, u, h)
        F = model.scorer.features(q)
        cands = model.scorer.candidates(F)
        cand_hits += int(log.job_index[test[u].job_id] in set(cands.tolist()))
        s = model.ranker.predict(F[cands]) if model.ranker is not None else fallback_score(F[cands])
        order = sorted(range(len(cands)), key=lambda i: (-s[i], ids[cands[i]]))
        runs["ltr"][u] = [ids[cands[i]] for i in order[:k]]
        if cross_encoder is not None:
            top = order[: max(k, rerank_top_k)]
            stage2_inputs.append(
                (u, [ids[cands[i]] for i in top], np.asarray([s[i] for i in top]), cross_encoder_query(log, h, q.text))
            )
        s_fb = fallback_score(F[cands])
        order = sorted(range(len(cands)), key=lambda i: (-s_fb[i], ids[cands[i]]))[:k]
        runs["hand_blend"][u] = [ids[cands[i]] for i in order]
        if baselines:
            mask = np.where(model.scorer.available, 0.0, -1e9)
            pop = F[:, _F["pop_users_log"]] + 1e-6 * F[:, _F["pop_log"]]
            pop = pop + mask
            runs["popularity"][u] = _topk(pop, ids, k)
            titles = " ".join(
                log.positions[log.job_index[v.job_id]] or log.titles[log.job_index[v.job_id]] for v in h[-20:]
            )
            runs["bm25_titles"][u] = _topk(content.bm25_pos.score_all(titles) + 1e-6 * pop, ids, k)
            runs["bm25_title_company_city"][u] = _topk(F[:, _F["bm25_all"]] + 1e-6 * pop, ids, k)
            z = _zscore(F[:, _F["bm25_all"]]) + _zscore(F[:, _F["coview_hist"]])
            runs["zblend_bm25_coview"][u] = _topk(z + 1e-6 * pop, ids, k)
            if model.interactions.als_items is not None:
                runs["als"][u] = _topk(F[:, _F["als"]] + mask, ids, k)
    eval_s = time.perf_counter() - t1
    methods = {name: summarize(run, qrels, k) for name, run in runs.items()}
    stage2 = None
    if cross_encoder is not None and stage2_inputs:
        stage2 = _stage2_eval(log, cross_encoder, stage2_inputs, qrels, k)
        methods["ltr_cross_encoder"] = stage2["stage2_cross_fitted"]
    return {
        "k": k,
        "methods": methods,
        "candidate_recall": cand_hits / max(1, len(users)),
        "test_queries": len(users),
        "train_views": len(train),
        "ranker": model.train_stats,
        "importance": model.ranker.importance() if model.ranker is not None else {},
        "fit_s": round(fit_s, 2),
        "eval_ms_per_query": round(1000 * eval_s / max(1, len(users)), 2),
        "config": config.to_dict(),
        **({"cross_encoder": stage2} if stage2 else {}),
    }


def cross_encoder_query(log: JobLog, history: list[View], profile_text: str = "") -> str:
    """The cross-encoder's query for an applicant: their last three viewed jobs and profile text
    (the same form it was trained on in :func:`retrieval.rerankers.cross_encoder.job_pairs`)."""
    from retrieval.rerankers.cross_encoder import job_query_text

    earlier = [log.doc_text(log.job_index[v.job_id]) for v in history[-3:] if v.job_id in log.job_index]
    return job_query_text(earlier, profile_text)


def _stage2_eval(log: JobLog, cross_encoder, inputs, qrels, k: int) -> dict:
    """Score every (query, top item) pair in one batch, then cross-fit the stage-2 weight."""
    from retrieval.rerankers.stage2 import Group, cross_fitted

    t0 = time.perf_counter()
    pairs = [(qtext, log.doc_text(log.job_index[j])) for _u, top, _s, qtext in inputs for j in top]
    ce = cross_encoder.score(pairs, batch_size=64)
    groups, at = [], 0
    for u, top, s1, _q in inputs:
        groups.append(Group(u, top, s1, ce[at : at + len(top)], qrels[u]))
        at += len(top)
    out = cross_fitted(groups, k)
    out["pairs_scored"] = len(pairs)
    out["score_s"] = round(time.perf_counter() - t0, 1)
    return out


def popularity_recall(log: JobLog, k: int = 20) -> float:
    """Recall@k of plain popularity on the leave-last-out split (what the recommender must beat)."""
    train, test = leave_last_out(log.views, MIN_VIEWS)
    counts = defaultdict(set)
    for v in train:
        counts[v.job_id].add(v.applicant_id)
    top = [j for j, _ in sorted(counts.items(), key=lambda x: (-len(x[1]), x[0]))[:k]]
    return sum(test[u].job_id in top for u in test) / max(1, len(test))


__all__ = [
    "FEATURES",
    "FittedJobModel",
    "MIN_VIEWS",
    "evaluate_leave_last_out",
    "fit",
    "inner_folds",
    "make_query",
    "popularity_recall",
    "training_groups",
    "math",
]
