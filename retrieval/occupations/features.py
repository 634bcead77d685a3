"""Pairwise (query occupation, candidate occupation) features as whole n×n matrices.

Content features (text, ratings, technology, SOC structure) depend only on the catalogue and are
cached on disk keyed by the catalogue fingerprint. Label features (reverse links, co-citation,
neighbours' lists) depend on which Related-Occupations rows are known, so they are computed per
training fold from the labels passed in — never from the query's own held-out row.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from retrieval.artifacts import require_build_allowed
from retrieval.bm25 import BM25Index
from retrieval.embeddings import get_embedder
from retrieval.occupations.corpus import TEXT_FIELDS, OccupationCorpus

Labels = dict[str, dict[str, int]]  # source id -> {related id: relevance 3/2/1}
# A new tag whenever feature values change (a plain "v5" was taken by an old experiment's cache).
FEATURES_VERSION = "v7-revrank-revz"


def _cos(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-9)
    b = a if b is None else b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-9)
    return (a @ b.T).astype(np.float32)


def _row_z(m: np.ndarray) -> np.ndarray:
    """Per-query standardisation: makes scores comparable across queries for fusion and trees."""
    mu = m.mean(axis=1, keepdims=True)
    sd = m.std(axis=1, keepdims=True)
    return ((m - mu) / np.maximum(sd, 1e-6)).astype(np.float32)


def _row_rank(m: np.ndarray) -> np.ndarray:
    """Rank of each candidate within its query row (0 = best), as log1p for the trees."""
    order = np.argsort(-m, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(m.shape[0])[:, None]
    ranks[rows, order] = np.arange(m.shape[1])[None, :]
    return np.log1p(ranks).astype(np.float32)


def _mutual_views(name: str, rank: np.ndarray, z: np.ndarray) -> dict[str, np.ndarray]:
    """``<name>_revrank`` / ``<name>_revz``: the query's rank / z-score in the *candidate's* own row,
    i.e. the transposes of the score's :func:`_row_rank` and :func:`_row_z`.

    Why: a hub is near many rows, so ranking high in the query's row alone says little; whether the
    query is also among the candidate's nearest (mutual neighbours), and how far above the
    candidate's usual scores it stands, separates a real pair from a hub. (In the fusion, First-Line
    Supervisors of Office and Administrative Support Workers is in the top 10 of 43 rows, and 34 of
    those queries are not in its own top 10.) For a symmetric score these are the column rank and
    column z-score. Measured on the 5-fold CV over two fold partitions (892 paired queries): NDCG@10
    +0.0034 [+0.0007, +0.0060] for the ranks, then +0.0028 [+0.0007, +0.0048] for the z-scores on top;
    hubness-corrected scores (CSLS) instead: +0.0005.
    """
    return {f"{name}_revrank": rank.T.copy(), f"{name}_revz": z.T.copy()}


def content_features(
    corpus: OccupationCorpus, cache_dir: Path | None = None, key: str = "", *, per_task_alignment: bool = True
) -> dict[str, np.ndarray]:
    """All catalogue-only pairwise features, {name: (n, n) float32}; cached when ``cache_dir`` given.

    ``per_task_alignment=False`` replaces the task-by-task alignment (one embedding per O*NET task
    statement, ~17,500 of them: most of the first build's CPU time) by the whole-field task
    similarity, under the same feature names; see ``WAYPOINT_OCCUPATION_TASK_ALIGNMENT``.
    With the alignment on, the ``tasks`` field's vector is the centroid of those task vectors
    (:func:`task_centroids`); the joined task text is not encoded as well.
    """
    cache = None
    if cache_dir is not None:
        cache = feature_cache_path(cache_dir, key, len(corpus), per_task_alignment=per_task_alignment)
        if cache.exists():
            with np.load(cache) as data:
                return {k: data[k] for k in data.files}
        require_build_allowed(f"the occupation feature cache ({cache.name})")
    feats: dict[str, np.ndarray] = {}
    embedder = get_embedder()
    tasks = embed_tasks(corpus.task_lists, embedder) if per_task_alignment else None
    emb = {f: embedder.encode(corpus.texts[f]) for f in TEXT_FIELDS if f != "tasks" or tasks is None}
    if tasks is not None:
        emb["tasks"] = task_centroids(*tasks, len(corpus))
    for f in TEXT_FIELDS:
        feats[f"dense_{f}"] = _cos(emb[f])
    feats["dense_title_x_description"] = _cos(emb["title"], emb["description"])
    feats["dense_description_x_title"] = feats["dense_title_x_description"].T.copy()

    for f in TEXT_FIELDS:
        index = BM25Index.build(zip(corpus.ids, corpus.texts[f]))
        feats[f"bm25_{f}"] = index.score_all_many(corpus.texts[f]).astype(np.float32)
    full_index = BM25Index.build(zip(corpus.ids, corpus.texts["full"]))
    feats["bm25_title_x_full"] = full_index.score_all_many(corpus.texts["title"]).astype(np.float32)

    feats["skills_im_cos"] = _cos(corpus.skills_im)
    feats["skills_lv_cos"] = _cos(corpus.skills_lv)
    feats["knowledge_im_cos"] = _cos(corpus.knowledge_im)
    feats["knowledge_lv_cos"] = _cos(corpus.knowledge_lv)
    both = np.hstack([corpus.skills_im, corpus.knowledge_im])
    feats["ratings_l1"] = -np.abs(both[:, None, :] - both[None, :, :]).mean(axis=2).astype(np.float32)
    centred = corpus.interests - corpus.interests.mean(axis=1, keepdims=True)
    feats["interests_cos"] = _cos(centred)
    feats["interests_top_match"] = (
        np.argmax(corpus.interests, 1)[:, None] == np.argmax(corpus.interests, 1)[None, :]
    ).astype(np.float32)

    tech = corpus.tech
    counts = np.asarray(tech.sum(axis=1)).ravel()
    overlap = (tech @ tech.T).toarray().astype(np.float32)
    feats["tech_overlap"] = overlap
    feats["tech_jaccard"] = overlap / np.maximum(counts[:, None] + counts[None, :] - overlap, 1.0)
    df = np.asarray(tech.sum(axis=0)).ravel()
    idf = np.log((len(corpus) + 1) / (df + 1)).astype(np.float32)
    weighted = tech.multiply(idf[None, :]).tocsr()
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    feats["tech_tfidf_cos"] = (
        (weighted @ weighted.T).toarray() / np.maximum(norms[:, None] * norms[None, :], 1e-9)
    ).astype(np.float32)
    hot = corpus.tech_hot
    feats["tech_hot_overlap"] = (hot @ hot.T).toarray().astype(np.float32)

    zone = np.nan_to_num(corpus.job_zone, nan=3.0)
    feats["job_zone_diff"] = (zone[None, :] - zone[:, None]).astype(np.float32)
    feats["job_zone_absdiff"] = np.abs(feats["job_zone_diff"])
    soc = corpus.soc
    for j, name in enumerate(("major", "minor", "broad", "detailed")):
        feats[f"soc_same_{name}"] = (soc[:, j][:, None] == soc[:, j][None, :]).astype(np.float32)
    feats["cand_rated"] = np.broadcast_to(corpus.rated[None, :].astype(np.float32), (len(corpus), len(corpus))).copy()
    feats["cand_tech_count"] = np.broadcast_to(
        np.log1p(counts)[None, :].astype(np.float32), (len(corpus), len(corpus))
    ).copy()

    if tasks is not None:
        feats.update(align_tasks(*tasks, len(corpus)))
    else:
        feats["task_maxsim"] = feats["dense_tasks"].copy()
        feats["task_maxsim_sym"] = feats["dense_tasks"].copy()
    ratings = np.hstack([corpus.skills_im * corpus.skills_lv, corpus.knowledge_im * corpus.knowledge_lv])
    feats["ratings_imlv_cos"] = _cos(ratings - ratings.mean(axis=0, keepdims=True))

    for name in (
        "bm25_full",
        "dense_full",
        "dense_title",
        "dense_alt_titles",
        "skills_im_cos",
        "tech_tfidf_cos",
        "bm25_alt_titles",
        "dense_tasks",
        "task_maxsim",
        "ratings_imlv_cos",
        "knowledge_im_cos",
        "bm25_tasks",
        "dense_description",
    ):
        feats[f"{name}_z"] = _row_z(feats[name])
        feats[f"{name}_rank"] = _row_rank(feats[name])
        feats.update(_mutual_views(name, feats[f"{name}_rank"], feats[f"{name}_z"]))
    feats["fusion"] = fusion_score(feats)
    feats["fusion_rank"] = _row_rank(feats["fusion"])
    feats.update(_mutual_views("fusion", feats["fusion_rank"], _row_z(feats["fusion"])))
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f"{cache.stem}.{os.getpid()}.tmp.npz")  # per process: concurrent builders never share one
        # allow_pickle named: else numpy's stub lets **feats fill that bool (the arrays are plain floats)
        np.savez(tmp, allow_pickle=False, **feats)
        tmp.replace(cache)
        _remove_stale_caches(cache, per_task_alignment)
    return feats


def feature_cache_path(cache_dir: Path, key: str, n: int, *, per_task_alignment: bool = True) -> Path:
    """Where :func:`content_features` keeps the features of an ``n``-occupation catalogue with fingerprint ``key``."""
    variant = "" if per_task_alignment else "|field-task-similarity"
    digest = hashlib.sha1(f"{key}|{n}|{FEATURES_VERSION}{variant}".encode()).hexdigest()[:16]
    return cache_dir / f"{_cache_prefix(per_task_alignment)}{digest}.npz"


def _cache_prefix(per_task_alignment: bool) -> str:
    return f"occupation-features-{'aligned' if per_task_alignment else 'field-tasks'}-"


def _remove_stale_caches(current: Path, per_task_alignment: bool) -> None:
    """Delete this variant's caches from older feature code or catalogues (and unprefixed ones from
    before the variant was in the name): each is ~0.4 GB and no code reads them again. The other
    variant's cache stays, since switching ``WAYPOINT_OCCUPATION_TASK_ALIGNMENT`` back would need it."""
    keep = _cache_prefix(not per_task_alignment)
    for path in current.parent.glob("occupation-features-*.npz"):
        if path != current and not path.name.startswith(keep) and not _being_written(path):
            path.unlink(missing_ok=True)


def _being_written(path: Path) -> bool:
    """A ``<name>.<pid>.tmp.npz`` whose writer is alive: another process's cache, half written."""
    parts = path.name.split(".")
    if len(parts) < 4 or parts[-2] != "tmp" or not parts[-3].isdigit():
        return False
    try:
        os.kill(int(parts[-3]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def embed_tasks(task_lists: list[list[str]], embedder) -> tuple[np.ndarray, np.ndarray]:
    """``(owners, vectors)``: every task statement embedded once, with the row of its occupation."""
    owners = np.asarray([i for i, tasks in enumerate(task_lists) for _t in tasks], dtype=np.int64)
    return owners, embedder.encode([t for tasks in task_lists for t in tasks])


def task_centroids(owners: np.ndarray, vecs: np.ndarray, n: int) -> np.ndarray:
    """Each occupation's whole task list as the sum of its task vectors (zero when it has no tasks).

    Only the direction matters (features are cosines). Why not encode the joined task text: MiniLM
    truncates it at 256 tokens (the first ~12 of an occupation's ~19 tasks), it was a fifth of the
    first build's embedding time, and the task vectors exist anyway for the alignment. Measured on
    the 5-fold CV over two fold partitions: NDCG@10 -0.0002 [-0.0023, +0.0019] (892 paired queries).
    """
    cent = np.zeros((n, vecs.shape[1]), np.float32)
    np.add.at(cent, owners, vecs)
    return cent


def align_tasks(owners: np.ndarray, vecs: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """BERTScore-style task alignment: each query task's best match among the candidate's tasks.

    Whole-text embeddings blur an occupation's tasks together; aligning task by task keeps
    "administer medication" matching "administer medication" even when the rest differs.
    ``owners[t]`` is the occupation row of task vector ``vecs[t]`` (:func:`embed_tasks`).
    """
    if not len(owners):
        zero = np.zeros((n, n), np.float32)
        return {"task_maxsim": zero, "task_maxsim_sym": zero}
    order = np.argsort(owners, kind="stable")  # group columns by owning occupation
    sorted_owners = owners[order]
    starts = np.flatnonzero(np.r_[True, sorted_owners[1:] != sorted_owners[:-1]])
    vecs_by_owner = vecs[order]
    best = np.full((len(vecs), n), 0.0, np.float32)  # best[t, c]: task t vs occupation c's tasks
    for start in range(0, len(vecs), 1024):
        sims = vecs[start : start + 1024] @ vecs_by_owner.T
        best[start : start + 1024, sorted_owners[starts]] = np.maximum.reduceat(sims, starts, axis=1)
    counts = np.bincount(owners, minlength=n).astype(np.float32)
    summed = np.zeros((n, n), np.float32)
    np.add.at(summed, owners, best)
    maxsim = summed / np.maximum(counts[:, None], 1.0)
    maxsim[:, counts == 0] = 0.0
    return {"task_maxsim": maxsim, "task_maxsim_sym": 0.5 * (maxsim + maxsim.T)}


FUSION_PARTS = (
    "bm25_full_z",
    "dense_full_z",
    "dense_alt_titles_z",
    "skills_im_cos_z",
    "tech_tfidf_cos_z",
    "bm25_alt_titles_z",
    "dense_tasks_z",
)


def fusion_score(feats: dict[str, np.ndarray]) -> np.ndarray:
    """Unsupervised z-score fusion: the no-label fallback and the candidate generator's score."""
    return np.mean([feats[p] for p in FUSION_PARTS], axis=0).astype(np.float32)


def _knn_vote(sim: np.ndarray, rel: np.ndarray, k: int, reverse: bool = False) -> np.ndarray:
    """score[q, c] = Σ_{s ∈ top-k(sim[q])} sim[q, s] · rel[s, c]  (normalised by the weights).

    With ``reverse`` the roles swap: score[q, c] = Σ_{s ∈ top-k(sim[c])} sim[c, s] · rel[s, q].
    """
    n = sim.shape[0]
    top = np.argpartition(-sim, kth=min(k, n - 1), axis=1)[:, :k]
    weights = np.take_along_axis(sim, top, axis=1)
    weights = np.where(np.isfinite(weights), np.maximum(weights, 0.0), 0.0)
    votes = np.einsum("qk,qkc->qc", weights, rel[top]) / np.maximum(weights.sum(axis=1, keepdims=True), 1e-6)
    return (votes.T if reverse else votes).astype(np.float32)


def label_features(corpus: OccupationCorpus, labels: Labels, content: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Features from the known Related-Occupations rows (``labels`` must exclude held-out queries)."""
    n = len(corpus)
    rel = np.zeros((n, n), np.float32)
    for src, targets in labels.items():
        i = corpus.index.get(src)
        if i is None:
            continue
        for tgt, grade in targets.items():
            j = corpus.index.get(tgt)
            if j is not None:
                rel[i, j] = grade
    is_source = np.zeros(n, bool)
    is_source[[corpus.index[s] for s in labels if s in corpus.index]] = True
    n_sources = max(int(is_source.sum()), 1)
    binary = (rel > 0).astype(np.float32)
    feats = {
        "reverse_grade": rel.T.copy(),
        "cand_indegree": np.broadcast_to((binary.sum(axis=0) / n_sources)[None, :], (n, n)).copy(),
        "query_indegree": np.broadcast_to((binary.sum(axis=0) / n_sources)[:, None], (n, n)).copy(),
    }
    # Co-citation: sources that list both the query and the candidate.
    co = binary.T @ binary
    np.fill_diagonal(co, 0.0)
    feats["cocited"] = co
    # Two hops through reverse links: lists of the sources that list the query.
    feats["reverse_two_hop"] = (rel.T @ rel) / 9.0
    # Neighbours' lists: the labelled sources most similar to the query, weighted by similarity,
    # vote for what they list (item-based collaborative filtering over the curated lists); and the
    # mirror image: sources most similar to the candidate that list the query.
    for base in ("fusion", "task_maxsim_sym", "ratings_imlv_cos"):
        sim = content[base].copy()
        sim[:, ~is_source] = -np.inf
        np.fill_diagonal(sim, -np.inf)
        for k in (5, 20):
            knn = _knn_vote(sim, rel, k)
            feats[f"nb_{base}_{k}"] = knn
            feats[f"nb_{base}_{k}_rank"] = _row_rank(knn)
            feats[f"nbrev_{base}_{k}"] = _knn_vote(sim, rel, k, reverse=True)
    return feats
