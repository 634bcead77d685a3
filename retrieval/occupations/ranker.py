"""LightGBM LambdaRank over pairwise occupation features, with the BM25 floor built in.

``OccupationRanker.fit`` trains on the Related-Occupations labels it is given (tiers as graded
relevance 3/2/1) over the top-``CANDIDATES`` candidates of the unsupervised fusion. The floor: with
few labels a ranker can do worse than the lexical baseline, so ``fit`` compares, by inner
cross-validation on the training labels only, the trained ranker against the label-free fusion and
BM25, and keeps whichever is best. With no labels at all it *is* the fusion (which beats BM25).
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from retrieval.metrics import ndcg_at_k
from retrieval.occupations.corpus import OccupationCorpus
from retrieval.occupations.features import Labels, label_features
from retrieval.threads import bulk_threads

CANDIDATES = 150
PARAMS: dict[str, Any] = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "eval_at": [10],
    "learning_rate": 0.03,
    "num_leaves": 31,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.5,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "label_gain": [0, 1, 3, 7],
    "lambdarank_truncation_level": 40,
    "num_threads": 1,  # replaced by retrieval.threads.bulk_threads() when training
    "deterministic": True,  # same model for the same data and thread count
    "force_row_wise": True,
    "verbose": -1,
    "seed": 7,
}
MODEL_VERSION = "v8"  # bump when features or the saved format change: old models are not reused
NUM_ROUNDS = 700
MIN_LTR_QUERIES = 50  # labelled source occupations needed before a learned ranker is considered
LTR_MARGIN = 0.005  # NDCG@10 the ranker must gain over the label-free scorers in the inner check
SEEDS = 1
INNER_ROUNDS = 250
INNER_FOLDS = 3


def planned_rounds(rounds: int = NUM_ROUNDS, seeds: int = SEEDS) -> int:
    """Boosting rounds a floor-checked :meth:`OccupationRanker.fit` runs at most (the inner check's folds,
    then the final model): the total of the build's progress bar."""
    return INNER_FOLDS * min(rounds, INNER_ROUNDS) + rounds * seeds


def folds(queries: list[str], k: int, seed: int = 0) -> list[list[str]]:
    """Deterministic grouping of source occupations into ``k`` folds."""
    rng = np.random.default_rng(seed)
    order = list(rng.permutation(sorted(queries)))
    return [order[i::k] for i in range(k)]


def candidates(
    content: dict[str, np.ndarray], extra: dict[str, np.ndarray] | None, rows: np.ndarray, k: int = CANDIDATES
) -> np.ndarray:
    """Top-k candidates per query row: fusion score, plus anything reverse-linked to the query."""
    score = content["fusion"][rows].copy()
    if extra is not None:
        score = score + 100.0 * (extra["reverse_grade"][rows] > 0)
    score[np.arange(len(rows)), rows] = -np.inf  # never the query itself
    return np.argsort(-score, axis=1, kind="stable")[:, :k]


@dataclass
class OccupationRanker:
    """A fitted ranker: which scorer won the floor check, the booster and the labels it knows."""

    feature_names: list[str] = field(default_factory=list)
    mode: str = "fusion"  # fusion | ltr | bm25
    boosters: list[lgb.Booster] = field(default_factory=list)
    labels: Labels = field(default_factory=dict)
    selection: dict = field(default_factory=dict)
    _serving_extra: dict | None = field(default=None, repr=False)

    # ----- features -------------------------------------------------------------------------
    @staticmethod
    def _matrix(content, extra, rows, cands, names) -> np.ndarray:
        """Feature rows for the (rows[i], cands[i, j]) pairs, float32 as LightGBM wants."""
        cols = []
        r = rows[:, None]
        for name in names:
            src = content[name] if name in content else extra[name]
            cols.append(src[r, cands].reshape(-1))
        return np.stack(cols, axis=1).astype(np.float32)

    @staticmethod
    def default_feature_names(content: dict, extra: dict) -> list[str]:
        return sorted(content) + sorted(extra)

    # ----- training ---------------------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        corpus: OccupationCorpus,
        content: dict[str, np.ndarray],
        labels: Labels,
        *,
        floor_check: bool = True,
        rounds: int = NUM_ROUNDS,
        seeds: int = SEEDS,
        on_round: Callable[[], None] | None = None,
    ) -> OccupationRanker:
        """``on_round`` is called after every boosting round (inner checks included; a progress bar's
        total is :func:`planned_rounds`)."""
        labels = {q: t for q, t in labels.items() if q in corpus.index}
        if len(labels) < MIN_LTR_QUERIES:
            # Below this the inner check itself is too noisy to trust (seen at 10 % of the labels:
            # it sometimes picked an undertrained ranker); the label-free fusion is the safe answer.
            return cls(
                mode="fusion",
                labels=labels,
                selection={"reason": f"fewer than {MIN_LTR_QUERIES} labelled source occupations"},
            )
        extra = label_features(corpus, labels, content)
        names = cls.default_feature_names(content, extra)
        selection: dict = {}
        if floor_check:
            selection = cls._inner_selection(corpus, content, labels, rounds, on_round=on_round)
            best_fixed = max(("fusion", "bm25"), key=lambda mode: selection[mode])
            mode = "ltr" if selection["ltr"] > selection[best_fixed] + LTR_MARGIN else best_fixed
        else:
            mode = "ltr"
        ranker = cls(feature_names=names, mode=mode, labels=labels, selection=selection)
        if mode == "ltr":
            ranker.boosters = [
                cls._train(corpus, content, extra, labels, names, rounds, seed, on_round) for seed in range(seeds)
            ]
        return ranker

    @classmethod
    def _train(
        cls,
        corpus,
        content,
        extra,
        labels: Labels,
        names,
        rounds,
        seed: int = 0,
        on_round: Callable[[], None] | None = None,
    ) -> lgb.Booster:
        queries = sorted(labels)
        rows = np.array([corpus.index[q] for q in queries])
        cands = candidates(content, extra, rows)
        x = cls._matrix(content, extra, rows, cands, names)
        y = np.array([[labels[q].get(corpus.ids[j], 0) for j in cand] for q, cand in zip(queries, cands)]).reshape(-1)
        data = lgb.Dataset(x, y, group=[cands.shape[1]] * len(rows), feature_name=names, free_raw_data=True)
        del x
        params = {**PARAMS, "seed": PARAMS["seed"] + seed, "num_threads": bulk_threads()}
        callbacks = [lambda _env: on_round()] if on_round is not None else None
        return lgb.train(params, data, num_boost_round=rounds, callbacks=callbacks)

    @classmethod
    def _inner_selection(
        cls,
        corpus,
        content,
        labels: Labels,
        rounds: int,
        k: int = INNER_FOLDS,
        on_round: Callable[[], None] | None = None,
    ) -> dict[str, float]:
        """Mean NDCG@10 of ltr / fusion / bm25 over inner folds of the training labels."""
        scores: dict[str, list[float]] = {"ltr": [], "fusion": [], "bm25": []}
        for held in folds(list(labels), k, seed=1):
            train = {q: t for q, t in labels.items() if q not in set(held)}
            # A shorter model is enough to decide whether learning beats the label-free scorers.
            inner = cls.fit(
                corpus, content, train, floor_check=False, rounds=min(rounds, INNER_ROUNDS), seeds=1, on_round=on_round
            )
            for mode in scores:
                inner.mode = mode
                ranked = inner.rank_many(corpus, content, held)
                scores[mode] += [ndcg_at_k(ranked[q], labels[q]) for q in held]
        return {m: float(np.mean(v)) for m, v in scores.items()}

    # ----- scoring ----------------------------------------------------------------------------
    def rank_many(
        self,
        corpus: OccupationCorpus,
        content: dict[str, np.ndarray],
        queries: list[str],
        k: int = CANDIDATES,
        exclude: dict[str, set[str]] | None = None,
        hold_out_queries: bool = True,
    ) -> dict[str, list[str]]:
        """Ranked candidate ids for each query occupation id (the query itself is never included).

        ``hold_out_queries`` drops the queries' own labelled lists from the label features, as in
        evaluation; serving passes False and reuses one cached feature set.
        """
        rows = np.array([corpus.index[q] for q in queries])
        if self.mode in ("bm25", "fusion"):
            # The label-free scorers rank by their own score alone: the reverse-link boost that keeps
            # labelled neighbours among the ranker's candidates is not a ranking signal by itself.
            score = content["bm25_full" if self.mode == "bm25" else "fusion"][rows].copy()
            score[np.arange(len(rows)), rows] = -np.inf
            order = np.argsort(-score, axis=1, kind="stable")[:, :k]
            return self._ids(corpus, queries, order, exclude)
        if not self.labels:
            extra = None
        elif hold_out_queries:
            extra = label_features(corpus, {q: t for q, t in self.labels.items() if q not in set(queries)}, content)
        else:
            # Serving: one set of label features over every known list, computed once per process.
            # A query's own list hardly enters its own row (self-links are excluded by construction).
            if self._serving_extra is None:
                self._serving_extra = label_features(corpus, self.labels, content)
            extra = self._serving_extra
        cands = candidates(content, extra, rows)
        if self.mode == "ltr" and self.boosters and extra is not None:
            # Bagged boosters (different seeds) averaged: less variance for the same features.
            x = self._matrix(content, extra, rows, cands, self.feature_names)
            pred = np.mean([b.predict(x, num_threads=1) for b in self.boosters], axis=0).reshape(cands.shape)
            order = np.take_along_axis(cands, np.argsort(-pred, axis=1, kind="stable"), axis=1)
        else:
            order = cands
        return self._ids(corpus, queries, order[:, :k], exclude)

    @staticmethod
    def _ids(corpus, queries, order, exclude) -> dict[str, list[str]]:
        out = {}
        for q, row in zip(queries, order):
            skip = exclude.get(q, set()) if exclude else set()
            out[q] = [corpus.ids[j] for j in row if corpus.ids[j] not in skip and corpus.ids[j] != q]
        return out

    def missing_features(self, corpus: OccupationCorpus, content: dict[str, np.ndarray]) -> set[str]:
        """Features the saved booster needs that this code does not compute (a stale or foreign model).

        Computes the serving label features once (they are needed for the first request anyway)."""
        if self.mode != "ltr" or not self.boosters:
            return set()
        if self._serving_extra is None:
            self._serving_extra = label_features(corpus, self.labels, content) if self.labels else {}
        return set(self.feature_names) - set(content) - set(self._serving_extra)

    # ----- persistence ------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f"ranker.pkl.{os.getpid()}.tmp"
        with tmp.open("wb") as handle:
            pickle.dump(
                {
                    "feature_names": self.feature_names,
                    "mode": self.mode,
                    "labels": self.labels,
                    "selection": self.selection,
                    "boosters": [b.model_to_string() for b in self.boosters],
                },
                handle,
            )
        tmp.replace(directory / "ranker.pkl")
        (directory / "ranker.json").write_text(
            json.dumps({"mode": self.mode, "selection": self.selection, "labelled_queries": len(self.labels)}, indent=2)
        )

    @classmethod
    def load(cls, directory: Path) -> OccupationRanker:
        with (directory / "ranker.pkl").open("rb") as handle:
            state = pickle.load(handle)
        boosters = [lgb.Booster(model_str=m) for m in state.pop("boosters", [])]
        return cls(boosters=boosters, **state)
