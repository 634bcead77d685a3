"""Next-job recommendation from the job-view log: candidate generation, features, LambdaRank.

Two layers:

* :class:`JobContent` depends only on the job catalogue: BM25 over title + company + city + state
  and over the position title alone, dense MiniLM vectors of the job title, and integer codes for
  company / city / state. Built once per catalogue.
* :class:`JobInteractions` depends on the training views: the applicant × job matrix, item-item
  co-view cosine, first-order transitions (what people viewed right after a job), ALS factors
  (``implicit``), popularity and per-job view times (for "what was being viewed around now").

:class:`JobScorer` turns one applicant's history (and/or profile text) into a feature matrix over
**every** job (vectorised numpy; 6.5k jobs, ~10 ms), selects candidates as the union of the top of
several generators (own history, BM25, co-view, transitions, ALS, dense, popular-now in their
state) and :class:`JobRanker` (LightGBM LambdaRank, one thread) orders them.

Re-views are kept as candidates: in the log, 32% of applicants' last views are jobs they had
already viewed (24% the very job they viewed just before), so filtering them would throw away the
single strongest signal. Callers can still pass ``exclude``.
"""

from __future__ import annotations

import math
import os
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from retrieval.bm25 import BM25Index
from retrieval.jobs.data import JobLog, View
from retrieval.threads import blas_threads, bulk_threads, torch_threads

FEATURES = [
    "hist_count",
    "hist_recency",
    "is_last",
    "hist_dur",
    "bm25_last",
    "bm25_last3",
    "bm25_all",
    "bm25_pos_last",
    "bm25_profile",
    "dense_last",
    "dense_max",
    "dense_mean",
    "dense_profile",
    "same_company_last",
    "company_frac",
    "same_city_last",
    "city_frac",
    "same_state_last",
    "state_frac",
    "coview_last",
    "coview_hist",
    "trans_last",
    "trans_hist",
    "als",
    "pop_log",
    "pop_users_log",
    "pop_window",
    "pop_window_state",
    "id_dist_log",
    "time_dist_h",
    "n_hist",
    "cold_item",
]
_F = {name: i for i, name in enumerate(FEATURES)}


@dataclass
class JobRecConfig:
    dense: bool = True
    als: bool = True
    als_factors: int = 64
    als_iterations: int = 15
    als_regularization: float = 0.05
    als_alpha: float = 5.0
    window_days: float = 2.0
    #: top-N per candidate generator (union is ranked)
    cand_bm25: int = 80
    cand_coview: int = 40
    cand_trans: int = 20
    cand_als: int = 30
    cand_dense: int = 40
    cand_window: int = 30
    cand_profile: int = 60
    cand_popular: int = 30
    # LightGBM
    n_estimators: int = 300
    learning_rate: float = 0.05
    num_leaves: int = 31
    min_child_samples: int = 20
    #: extra inner folds (hold out the 2nd-last, 3rd-last, ... view) to grow the ranker's training set
    inner_folds: int = 3
    #: recommend only jobs viewed at least once in the training views. The catalogue of the real log
    #: *is* its viewed jobs, so with a held-out split a never-viewed job can only be a held-out target:
    #: allowing them would leak the answer (and the hidden test cannot contain them either).
    restrict_to_viewed: bool = True
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------------------------------------
# content (catalogue only)
# ---------------------------------------------------------------------------------------------
class JobContent:
    def __init__(self, log: JobLog, *, dense: bool = True, embedder=None):
        self.log = log
        n = len(log)
        self.bm25 = BM25Index.build((log.job_ids[i], log.doc_text(i)) for i in range(n))
        self.bm25_pos = BM25Index.build((log.job_ids[i], log.positions[i] or log.titles[i] or "-") for i in range(n))
        self.company = _codes([c.lower().strip() for c in log.companies])
        self.city = _codes([f"{c.lower().strip()}|{s.lower().strip()}" for c, s in zip(log.cities, log.states)])
        self.state = _codes([s.lower().strip() for s in log.states])
        self.numeric_id = np.array([_numeric(j) for j in log.job_ids], dtype=np.float64)
        self.emb: np.ndarray | None = None
        self.embedder = None
        if dense:
            from retrieval.embeddings import get_embedder

            self.embedder = embedder or get_embedder()
            texts = [log.positions[i] or log.titles[i] or "job" for i in range(n)]
            with torch_threads():  # bulk: every viewed job
                self.emb = self.embedder.encode(texts, show_progress=None).astype(np.float32)

    def encode(self, text: str) -> np.ndarray | None:
        if self.embedder is None or not text:
            return None
        with torch_threads(1):  # query time
            return self.embedder.encode([text[:2000]], use_cache=False)[0]  # a person's words: not cached


def _codes(values: list[str]) -> np.ndarray:
    table: dict[str, int] = {}
    out = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        out[i] = -1 if not v or v == "|" else table.setdefault(v, len(table))
    return out


def _numeric(job_id: str) -> float:
    digits = "".join(ch for ch in job_id.split(":")[-1] if ch.isdigit())
    return float(digits) if digits else float("nan")


# ---------------------------------------------------------------------------------------------
# interactions (training views)
# ---------------------------------------------------------------------------------------------
class JobInteractions:
    def __init__(
        self,
        log: JobLog,
        views: list[View],
        config: JobRecConfig,
        als_factors: tuple[np.ndarray, np.ndarray] | None = None,
    ):
        """Collaborative statistics of ``views``. ``als_factors`` = saved ``(user, item)`` factors of the
        same views and config: a server loads them instead of fitting ALS (only the build trains)."""
        self.config = config
        n_jobs = len(log)
        jidx = log.job_index
        users = sorted({v.applicant_id for v in views})
        self.user_index = {u: i for i, u in enumerate(users)}
        rows, cols, vals = [], [], []
        pop = np.zeros(n_jobs)
        times: dict[int, list[float]] = defaultdict(list)
        trans: Counter[tuple[int, int]] = Counter()
        prev: tuple[str, int] | None = None
        for v in views:
            j = jidx.get(v.job_id)
            if j is None:
                continue
            u = self.user_index[v.applicant_id]
            rows.append(u)
            cols.append(j)
            vals.append(1.0 + 0.25 * math.log1p(max(v.duration_s or 0.0, 0.0) / 60.0))
            pop[j] += 1
            if not math.isnan(v.t):
                times[j].append(v.t)
            if prev is not None and prev[0] == v.applicant_id and prev[1] != j:
                trans[(prev[1], j)] += 1
            prev = (v.applicant_id, j)
        X = sp.csr_matrix((vals, (rows, cols)), shape=(len(users), n_jobs), dtype=np.float32)
        X.sum_duplicates()
        self.X = X
        B = (X > 0).astype(np.float32)
        self.pop = pop
        self.pop_users = np.asarray(B.sum(axis=0)).ravel()
        norms = np.sqrt(np.maximum(self.pop_users, 1.0))
        Bn = B @ sp.diags(1.0 / norms)
        C = (Bn.T @ Bn).tocsr()
        C.setdiag(0.0)
        C.eliminate_zeros()
        self.coview = C
        if trans:
            keys = list(trans)
            T = sp.csr_matrix(
                (np.asarray([trans[k] for k in keys], dtype=np.float32), ([k[0] for k in keys], [k[1] for k in keys])),
                shape=(n_jobs, n_jobs),
            )
        else:
            T = sp.csr_matrix((n_jobs, n_jobs), dtype=np.float32)
        out_deg = np.asarray(T.sum(axis=1)).ravel()
        out_deg[out_deg == 0] = 1.0
        self.trans = (sp.diags(1.0 / out_deg) @ T).tocsr()
        self.times = {j: np.sort(np.asarray(ts)) for j, ts in times.items()}
        self.first_time = np.full(n_jobs, np.nan)
        for j, ts in self.times.items():
            self.first_time[j] = ts[0]
        # views in time order for "popular now"
        tv = [(v.t, jidx[v.job_id]) for v in views if v.job_id in jidx and not math.isnan(v.t)]
        tv.sort()
        self.view_t = np.array([t for t, _ in tv], dtype=np.float64)
        self.view_j = np.array([j for _, j in tv], dtype=np.int64)
        self.als_items = self.als_users = None
        if config.als and X.nnz:
            if als_factors is not None:
                self.als_users, self.als_items = (np.asarray(f, dtype=np.float32) for f in als_factors)
            else:
                self._fit_als()

    def _fit_als(self) -> None:
        from implicit.cpu.als import AlternatingLeastSquares

        cfg = self.config
        with blas_threads(1):  # implicit's own threads do the work; no nested BLAS threads (it checks at init)
            model = AlternatingLeastSquares(
                factors=cfg.als_factors,
                regularization=cfg.als_regularization,
                alpha=cfg.als_alpha,
                iterations=cfg.als_iterations,
                num_threads=bulk_threads(),
                random_state=cfg.seed,
            )
            model.fit(self.X, show_progress=False)
        self.model = model
        self.als_items = np.asarray(model.item_factors, dtype=np.float32)
        self.als_users = np.asarray(model.user_factors, dtype=np.float32)

    def user_factor(self, user_id: str | None, hist_idx: list[int]) -> np.ndarray | None:
        if self.als_items is None or not hist_idx:
            return None
        u = self.user_index.get(user_id) if user_id is not None else None
        if u is not None and self.als_users is not None:
            return self.als_users[u]
        # fold-in: least squares against the item factors of the history (ALS's closed form, alpha-weighted)
        Y = self.als_items
        cfg = self.config
        YtY = Y.T @ Y
        A = YtY + cfg.als_regularization * np.eye(Y.shape[1], dtype=np.float32)
        b = np.zeros(Y.shape[1], dtype=np.float32)
        for j in hist_idx:
            A += cfg.als_alpha * np.outer(Y[j], Y[j])
            b += (1.0 + cfg.als_alpha) * Y[j]
        return np.linalg.solve(A, b).astype(np.float32)

    def window_counts(self, now: float, days: float) -> np.ndarray:
        out = np.zeros(self.X.shape[1], dtype=np.float32)
        if math.isnan(now) or self.view_t.size == 0:
            return out
        lo = np.searchsorted(self.view_t, now - days * 86400.0)
        hi = np.searchsorted(self.view_t, now + days * 86400.0)
        np.add.at(out, self.view_j[lo:hi], 1.0)
        return out


# ---------------------------------------------------------------------------------------------
# features and candidates
# ---------------------------------------------------------------------------------------------
@dataclass
class Query:
    """What we know when recommending: earlier views (time-ordered), profile text, the time 'now'."""

    user_id: str | None = None
    history: list[View] = field(default_factory=list)
    text: str = ""
    now: float = float("nan")


class JobScorer:
    def __init__(self, content: JobContent, inter: JobInteractions, config: JobRecConfig):
        self.content = content
        self.inter = inter
        self.config = config
        self._popular = np.argsort(-inter.pop_users, kind="stable")
        self.available = inter.pop_users > 0 if config.restrict_to_viewed else np.ones(len(content.log), dtype=bool)

    def features(self, q: Query) -> np.ndarray:
        """Feature matrix ``(n_jobs, len(FEATURES))`` for one query (float32, NaN = unknown)."""
        c, it, log = self.content, self.inter, self.content.log
        n = len(log)
        F = np.zeros((n, len(FEATURES)), dtype=np.float32)
        hist = [log.job_index[v.job_id] for v in q.history if v.job_id in log.job_index]
        m = len(hist)
        F[:, _F["n_hist"]] = m
        if m:
            last = hist[-1]
            counts = np.bincount(hist, minlength=n)
            F[:, _F["hist_count"]] = counts
            rec = np.zeros(n, dtype=np.float32)
            dur = np.zeros(n, dtype=np.float32)
            for pos, (j, v) in enumerate(zip(hist, [v for v in q.history if v.job_id in log.job_index])):
                rec[j] = 1.0 / (m - pos)  # 1 for the last view, 1/2 the one before...
                dur[j] += math.log1p(max(v.duration_s or 0.0, 0.0))
            F[:, _F["hist_recency"]] = rec
            F[:, _F["hist_dur"]] = dur
            F[last, _F["is_last"]] = 1.0
            docs = [log.doc_text(j) for j in hist]
            F[:, _F["bm25_last"]] = c.bm25.score_all(docs[-1])
            F[:, _F["bm25_last3"]] = c.bm25.score_all(" ".join(docs[-3:]))
            F[:, _F["bm25_all"]] = c.bm25.score_all(" ".join(dict.fromkeys(docs[-20:])))
            F[:, _F["bm25_pos_last"]] = c.bm25_pos.score_all(log.positions[last] or log.titles[last] or "")
            if c.emb is not None:
                E = c.emb
                sims = E @ E[hist].T  # (n, m)
                F[:, _F["dense_last"]] = sims[:, -1]
                F[:, _F["dense_max"]] = sims.max(axis=1)
                w = np.asarray([1.0 / (m - p) for p in range(m)], dtype=np.float32)
                F[:, _F["dense_mean"]] = sims @ (w / w.sum())
            for key, codes in (("company", c.company), ("city", c.city), ("state", c.state)):
                hc = codes[hist]
                F[:, _F[f"same_{key}_last"]] = (codes == hc[-1]) & (hc[-1] >= 0)
                valid = hc[hc >= 0]
                if valid.size:
                    share = np.bincount(valid, minlength=codes.max() + 1) / m
                    F[:, _F[f"{key}_frac"]] = np.where(codes >= 0, share[np.maximum(codes, 0)], 0.0)
            w = np.asarray([0.7 ** (m - 1 - p) for p in range(m)], dtype=np.float32)
            F[:, _F["coview_last"]] = it.coview[last].toarray().ravel()
            F[:, _F["coview_hist"]] = np.asarray(it.coview[hist].T @ w).ravel()
            F[:, _F["trans_last"]] = it.trans[last].toarray().ravel()
            F[:, _F["trans_hist"]] = np.asarray(it.trans[hist].T @ w).ravel()
            F[:, _F["id_dist_log"]] = np.log1p(
                np.nanmin(np.abs(c.numeric_id[:, None] - c.numeric_id[hist][None, -3:]), axis=1)
            )
        else:
            F[:, _F["id_dist_log"]] = np.nan
        uf = it.user_factor(q.user_id, hist)
        if uf is not None:
            F[:, _F["als"]] = it.als_items @ uf
        text = (q.text or "").strip()
        if text:
            F[:, _F["bm25_profile"]] = c.bm25_pos.score_all(text[:3000])
            vec = c.encode(text)
            if vec is not None:
                F[:, _F["dense_profile"]] = c.emb @ vec
        F[:, _F["pop_log"]] = np.log1p(it.pop)
        F[:, _F["pop_users_log"]] = np.log1p(it.pop_users)
        F[:, _F["cold_item"]] = it.pop_users == 0
        now = q.now
        if math.isnan(now) and q.history:
            now = q.history[-1].t
        win = it.window_counts(now, self.config.window_days)
        F[:, _F["pop_window"]] = np.log1p(win)
        if m:
            F[:, _F["pop_window_state"]] = np.log1p(win) * F[:, _F["state_frac"]]
        F[:, _F["time_dist_h"]] = np.abs(it.first_time - now) / 3600.0 if not math.isnan(now) else np.nan
        return F

    def candidates(self, F: np.ndarray) -> np.ndarray:
        """Indices of candidate jobs: the union of the top of each generator (own history first)."""
        cfg = self.config
        picks: list[np.ndarray] = [np.flatnonzero(F[:, _F["hist_count"]] > 0)]

        def top(col: str | np.ndarray, k: int) -> None:
            if k <= 0:
                return
            s = F[:, _F[col]] if isinstance(col, str) else col
            if not np.any(s > 0) and (isinstance(col, str) and col != "als"):
                return
            k = min(k, s.size - 1)
            idx = np.argpartition(-s, k)[:k]
            picks.append(idx[s[idx] > (0 if not (isinstance(col, str) and col == "als") else -np.inf)])

        top("bm25_last", cfg.cand_bm25)
        top("bm25_all", cfg.cand_bm25 // 2)
        top("coview_hist", cfg.cand_coview)
        top("trans_hist", cfg.cand_trans)
        if F[:, _F["n_hist"]].max() > 0 and self.inter.als_items is not None:
            top("als", cfg.cand_als)
        if self.content.emb is not None:
            top("dense_mean", cfg.cand_dense)
            top("dense_profile", cfg.cand_profile // 2)
        top("bm25_profile", cfg.cand_profile)
        top(F[:, _F["pop_window_state"]] + 1e-3 * F[:, _F["pop_users_log"]], cfg.cand_window)
        picks.append(self._popular[: cfg.cand_popular])
        out = np.unique(np.concatenate(picks).astype(np.int64))
        if cfg.restrict_to_viewed:
            out = out[self.available[out]]
        return out


def fit_lambdarank(groups: list[tuple[np.ndarray, np.ndarray]], cfg: Any, features: list[str], truncation: int) -> Any:
    """A LightGBM LambdaRank fitted on query ``groups`` of (features, labels); ``cfg`` gives n_estimators,
    learning_rate, num_leaves, min_child_samples and seed. Deterministic, bulk threads (the returned
    LGBMRanker's ``booster_`` predicts with one thread at serving)."""
    import lightgbm as lgb

    X = np.concatenate([g[0] for g in groups]).astype(np.float32)
    y = np.concatenate([g[1] for g in groups]).astype(np.int32)
    model = lgb.LGBMRanker(
        objective="lambdarank",
        n_estimators=cfg.n_estimators,
        learning_rate=cfg.learning_rate,
        num_leaves=cfg.num_leaves,
        min_child_samples=cfg.min_child_samples,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        num_threads=bulk_threads(),
        random_state=cfg.seed,
        deterministic=True,
        force_row_wise=True,
        verbose=-1,
        lambdarank_truncation_level=truncation,
    )
    model.fit(X, y, group=[len(g[1]) for g in groups], feature_name=list(features))
    return model


def gain_importance(booster: Any, features: list[str]) -> dict[str, float]:
    """Each feature's share of the booster's total split gain, largest first."""
    gains = booster.feature_importance("gain")
    total = float(gains.sum()) or 1.0
    return {f: round(float(g) / total, 4) for f, g in sorted(zip(features, gains), key=lambda x: -x[1])}


def save_booster(booster: Any, path: Path) -> None:
    """Write ``booster`` to ``path`` atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    booster.save_model(str(tmp))
    os.replace(tmp, path)


class JobRanker:
    """LightGBM LambdaRank over :data:`FEATURES` (one thread)."""

    def __init__(self, config: JobRecConfig):
        self.config = config
        self.model: Any = None  # an LGBMRanker once fitted, a _BoosterAdapter once loaded

    def fit(self, groups: list[tuple[np.ndarray, np.ndarray]]) -> JobRanker:
        self.model = fit_lambdarank(groups, self.config, FEATURES, truncation=30)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.model.booster_.predict(X.astype(np.float32), num_threads=1)

    def importance(self) -> dict[str, float]:
        return gain_importance(self.model.booster_, FEATURES)

    def save(self, path: Path) -> None:
        save_booster(self.model.booster_, path)

    @classmethod
    def load(cls, path: Path, config: JobRecConfig) -> JobRanker:
        import lightgbm as lgb

        r = cls(config)
        r.model = _BoosterAdapter(lgb.Booster(model_file=str(path)))
        return r


class _BoosterAdapter:
    def __init__(self, booster):
        self.booster_ = booster

    def predict(self, X, num_threads=1):
        return self.booster_.predict(X, num_threads=num_threads)
