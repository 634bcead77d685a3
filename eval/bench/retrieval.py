"""Vector search: Qdrant Edge vs qdrant-client local mode vs exact numpy, at growing sizes.

The corpus is real-text embeddings first: MiniLM vectors of the catalogue's own texts
(occupations, skills, courses, job postings, job-view titles, O*NET tasks), taken from the
embedding cache that ``waypoint ingest`` filled where possible and encoded within a time budget
otherwise. Sizes beyond the real vectors are padded with synthetic ones drawn from a Gaussian with
the real vectors' mean and covariance, then L2-normalised -- they share the real cloud's first two
moments (its overall direction and spread), not its cluster structure, so they act as
distractors rather than as near neighbours (``gt_real_share`` says how many of the exact top-10
were real). Queries are real too: held-out catalogue vectors (not inserted) and résumé texts.

Ground truth is exact top-10 by numpy over the same matrix; recall@10 of each backend is measured
against it. Each (backend, size) runs in its own spawned process under a time box
(:func:`eval.bench.common.run_boxed`), so a native HNSW build that outruns its budget is killed and
reported, never hung on; a size is skipped up front when the previous size's timings project past
the budget (qdrant-client local mode is brute force in Python: its cost grows linearly).

What each backend is: ``edge`` is :class:`retrieval.vectorstore.EdgeStore` (the embedded default:
Qdrant's engine in-process, HNSW built by ``optimize()`` with default parameters); ``client_local``
is :class:`retrieval.vectorstore.ClientStore` on qdrant-client's ``":memory:"`` local mode (exact,
numpy inside); ``numpy`` is one matrix-vector product plus ``argpartition`` over a float32 matrix.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from eval.bench.common import Deadline, load_now, percentiles, run_boxed

__all__ = ["CORPUS_SQL", "exact_topk", "gaussian_padding", "real_vectors", "run"]

K = 10
TEXT_CHARS = 300  # MiniLM reads ~256 word pieces; shorter texts embed faster and lose little

#: Real catalogue texts per kind (SQLite); each kind is sampled evenly up to the cap.
CORPUS_SQL: dict[str, str] = {
    "occupation": "SELECT title || '. ' || description FROM occupation",
    "skill": "SELECT label || CASE WHEN description != '' THEN '. ' || description ELSE '' END FROM skill",
    "course": "SELECT title || '. ' || description FROM course",
    "job_posting": "SELECT title || '. ' || description FROM job_posting WHERE duplicate_of IS NULL",
    "job": "SELECT DISTINCT title || CASE WHEN industry != '' THEN ' (' || industry || ')' ELSE '' END FROM job",
    "task": "SELECT text FROM task",
}
QUERY_SQL = "SELECT text FROM resume WHERE length(text) > 200 ORDER BY id"


# ---------------------------------------------------------------------------------------------
# corpus


def _texts_by_kind(catalogue: Path, seed: int) -> dict[str, list[str]]:
    conn = sqlite3.connect(f"file:{catalogue}?mode=ro", uri=True)
    try:
        out: dict[str, list[str]] = {}
        for kind, sql in CORPUS_SQL.items():
            try:
                rows = [r[0][:TEXT_CHARS].strip() for r in conn.execute(sql) if r[0] and r[0].strip()]
            except sqlite3.Error:
                rows = []
            rows = list(dict.fromkeys(rows))
            random.Random(f"{seed}:{kind}").shuffle(rows)
            out[kind] = rows
        return out
    finally:
        conn.close()


def _round_robin(by_kind: dict[str, list[str]], cap: int) -> list[tuple[str, str]]:
    """Interleave kinds so any prefix holds every kind in proportion to what is left."""
    order: list[tuple[str, str]] = []
    iters = {k: iter(v) for k, v in by_kind.items()}
    while iters and len(order) < cap:
        for kind in list(iters):
            try:
                order.append((kind, next(iters[kind])))
            except StopIteration:
                del iters[kind]
            if len(order) >= cap:
                break
    return order


def real_vectors(
    settings, max_texts: int, embed_budget_s: float, seed: int = 0, progress: bool = True
) -> tuple[np.ndarray, list[str], dict[str, Any]]:
    """Up to ``max_texts`` real catalogue embeddings: cached ones free, new ones within the budget.

    Returns ``(vectors, kinds, stats)``; ``stats`` counts per kind what came from the cache and
    what was encoded, and how long encoding took.
    """
    from retrieval.embeddings import get_embedder, text_sha1

    by_kind = _texts_by_kind(settings.catalogue_path, seed)
    candidates = _round_robin(by_kind, max_texts * 3)  # more than needed: misses may be skipped
    emb = get_embedder(settings)
    keys = [text_sha1(t) for _, t in candidates]
    cached = emb.cache.get_many(emb.model_key, keys) if emb.cache else {}
    chosen: dict[int, np.ndarray] = {}
    for i, key in enumerate(keys):
        if key in cached and len(chosen) < max_texts:
            chosen[i] = np.frombuffer(cached[key], dtype=np.float32)
    from_cache = len(chosen)
    misses = [i for i, key in enumerate(keys) if key not in cached]
    budget = Deadline(embed_budget_s)
    encoded = 0
    started = time.perf_counter()
    chunk = 256
    with tqdm(
        total=max(0, min(len(misses), max_texts - len(chosen))),
        desc="bench: embed real texts",
        unit="text",
        disable=not progress,
    ) as bar:
        for start in range(0, len(misses), chunk):
            if len(chosen) >= max_texts or budget.expired:
                break
            idx = misses[start : start + chunk][: max_texts - len(chosen)]
            vecs = emb.encode([candidates[i][1] for i in idx], show_progress=False)
            for i, v in zip(idx, vecs):
                chosen[i] = v
            encoded += len(idx)
            bar.update(len(idx))
    order = sorted(chosen)
    vectors = [chosen[i] for i in order]
    kinds = [candidates[i][0] for i in order]
    per_kind: dict[str, dict[str, int]] = {}
    for i in order:
        slot = per_kind.setdefault(candidates[i][0], {"available": len(by_kind[candidates[i][0]]), "used": 0})
        slot["used"] += 1
    # still short: every other vector in the ingest cache is a real catalogue text too (occupation
    # fields, skills, tasks, job titles, RAG memory chunks), just of a text formula we did not write
    extra = 0
    if len(vectors) < max_texts and emb.cache is not None:
        seen = {keys[i] for i in order}
        for sha, blob in emb.cache._conn.execute("SELECT sha1, vec FROM embeddings WHERE model = ?", (emb.model_key,)):
            if len(vectors) >= max_texts:
                break
            if bytes(sha) in seen:
                continue
            vectors.append(np.frombuffer(bytes(blob), dtype=np.float32))
            kinds.append("ingest-cache")
            extra += 1
        if extra:
            per_kind["ingest-cache (mixed kinds)"] = {
                "available": emb.cache.count(emb.model_key) - len(seen),
                "used": extra,
            }
    matrix = np.stack(vectors).astype(np.float32) if vectors else np.zeros((0, 384), np.float32)
    if len(matrix):  # shuffle kinds together so any prefix (a smaller size) has the same mix
        perm = np.random.default_rng(seed).permutation(len(matrix))
        matrix, kinds = matrix[perm], [kinds[i] for i in perm]
    stats = {
        "real": len(matrix),
        "from_cache": from_cache + extra,
        "encoded": encoded,
        "encode_s": round(time.perf_counter() - started, 1),
        "embed_budget_exhausted": budget.expired and len(matrix) < max_texts,
        "per_kind": per_kind,
    }
    return matrix, kinds, stats


def query_vectors(settings, real: np.ndarray, n_queries: int, seed: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """Half held-out real catalogue vectors (removed from the corpus), half résumé texts.

    Returns ``(queries, corpus_mask, stats)``; ``corpus_mask`` is False for held-out rows.
    """
    from retrieval.embeddings import get_embedder

    rng = np.random.default_rng(seed)
    n_held = min(n_queries // 2, max(0, len(real) // 10))
    held = rng.choice(len(real), size=n_held, replace=False) if n_held else np.zeros(0, dtype=int)
    mask = np.ones(len(real), dtype=bool)
    mask[held] = False
    conn = sqlite3.connect(f"file:{settings.catalogue_path}?mode=ro", uri=True)
    try:
        resumes = [r[0][:1000] for r in conn.execute(QUERY_SQL + " LIMIT ?", (n_queries - n_held,))]
    except sqlite3.Error:
        resumes = []
    finally:
        conn.close()
    parts = [real[held]]
    if resumes:
        parts.append(get_embedder(settings).encode(resumes, show_progress=False))
    queries = np.concatenate(parts).astype(np.float32)
    return queries, mask, {"held_out_catalogue": int(n_held), "resume_texts": len(resumes)}


def gaussian_padding(real: np.ndarray, n: int, seed: int, chunk: int = 100_000):
    """Yield ``n`` synthetic unit vectors ~ N(mean, cov) of ``real``, in chunks (float32)."""
    mu = real.mean(axis=0).astype(np.float64)
    cov = np.cov(real.astype(np.float64), rowvar=False)
    cov += np.eye(cov.shape[0]) * 1e-6 * np.trace(cov) / cov.shape[0]  # keep it positive definite
    chol = np.linalg.cholesky(cov).astype(np.float32)
    rng = np.random.default_rng(seed)
    made = 0
    while made < n:
        m = min(chunk, n - made)
        z = rng.standard_normal((m, real.shape[1]), dtype=np.float32)
        x = z @ chol.T + mu.astype(np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        made += m
        yield x


def exact_topk(X: np.ndarray, Q: np.ndarray, k: int = K, chunk: int = 200_000) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-``k`` rows of ``X`` by dot product for every query (ids, scores), chunked over rows."""
    best_ids = np.full((len(Q), k), -1, dtype=np.int64)
    best = np.full((len(Q), k), -np.inf, dtype=np.float32)
    for start in range(0, len(X), chunk):
        block = np.asarray(X[start : start + chunk], dtype=np.float32)
        scores = Q @ block.T
        kk = min(k, scores.shape[1])
        part = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
        cand_scores = np.concatenate([best, np.take_along_axis(scores, part, axis=1)], axis=1)
        cand_ids = np.concatenate([best_ids, part + start], axis=1)
        top = np.argsort(-cand_scores, axis=1)[:, :k]
        best = np.take_along_axis(cand_scores, top, axis=1)
        best_ids = np.take_along_axis(cand_ids, top, axis=1)
    return best_ids, best


def recall_at_k(found: list[list[int]], truth: np.ndarray, k: int = K) -> float:
    hits = sum(len(set(f[:k]) & set(t[:k].tolist())) for f, t in zip(found, truth))
    return hits / float(k * len(found)) if found else float("nan")


# ---------------------------------------------------------------------------------------------
# backends (each runs in a spawned child; module level so it can be pickled by name)


def _query_loop(search: Callable[[np.ndarray], list[int]], Q: np.ndarray, budget_s: float, warmup: int = 3):
    for q in Q[:warmup]:
        search(q)
    latencies, found = [], []
    budget = Deadline(budget_s)
    for q in Q:
        t = time.perf_counter()
        ids = search(q)
        latencies.append((time.perf_counter() - t) * 1000.0)
        found.append(ids)
        if budget.expired and len(found) >= 10:
            break
    return latencies, found


def _points(X: np.ndarray):
    from retrieval.vectorstore import PointData

    for i in range(len(X)):
        yield PointData(doc_id=str(i), kind="bench", vector=X[i])


def edge_case(vec_path: str, n: int, query_path: str, query_budget_s: float, *, report) -> dict:
    """Qdrant Edge through :class:`EdgeStore`: upsert ``n`` vectors, ``optimize()``, query."""
    from retrieval.vectorstore import EdgeStore

    X = np.load(vec_path, mmap_mode="r")[:n]
    Q = np.load(query_path)
    work = Path(tempfile.mkdtemp(prefix="bench-edge-"))
    try:
        store = EdgeStore("bench", work)
        store.recreate(X.shape[1])
        t = time.perf_counter()
        store.upsert(_points(X), batch_size=1024)
        upsert_s = time.perf_counter() - t
        report("upserted", seconds=round(upsert_s, 1))
        t = time.perf_counter()
        store.optimize()
        optimize_s = time.perf_counter() - t
        info = store._shard().info()
        report("optimized", seconds=round(optimize_s, 1))
        lat, found = _query_loop(lambda q: [int(h.doc_id) for h in store.search(q, K)], Q, query_budget_s)
        out = {
            "upsert_s": round(upsert_s, 2),
            "optimize_s": round(optimize_s, 2),
            "build_s": round(upsert_s + optimize_s, 2),
            "segments": info.segments_count,
            "indexed_vectors": info.indexed_vectors_count,
            "points": info.points_count,
            "latencies_ms": lat,
            "found": found,
        }
        store.drop()
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def client_local_case(vec_path: str, n: int, query_path: str, query_budget_s: float, *, report) -> dict:
    """qdrant-client local mode (``:memory:``) through :class:`ClientStore`: upsert, query."""
    from retrieval.vectorstore import ClientStore

    X = np.load(vec_path, mmap_mode="r")[:n]
    Q = np.load(query_path)
    store = ClientStore("bench", path=":memory:")
    store.recreate(X.shape[1])
    t = time.perf_counter()
    store.upsert(_points(X), batch_size=1024)
    upsert_s = time.perf_counter() - t
    report("upserted", seconds=round(upsert_s, 1))
    lat, found = _query_loop(lambda q: [int(h.doc_id) for h in store.search(q, K)], Q, query_budget_s)
    return {"upsert_s": round(upsert_s, 2), "build_s": round(upsert_s, 2), "latencies_ms": lat, "found": found}


def numpy_case(X: np.ndarray, Q: np.ndarray, query_budget_s: float) -> dict:
    """Exact search in-process: one float32 mat-vec and ``argpartition`` per query."""

    def search(q: np.ndarray) -> list[int]:
        scores = X @ q
        part = np.argpartition(-scores, K - 1)[:K]
        return part[np.argsort(-scores[part])].tolist()

    lat, found = _query_loop(search, Q, query_budget_s)
    return {"build_s": 0.0, "latencies_ms": lat, "found": found}


BACKENDS: dict[str, Callable[..., dict]] = {"edge": edge_case, "client_local": client_local_case}


# ---------------------------------------------------------------------------------------------
# the section


def _summarise(raw: dict, truth: np.ndarray) -> dict:
    found = raw.pop("found")
    lat = raw.pop("latencies_ms")
    return {
        **raw,
        "queries": len(found),
        "recall@10": round(recall_at_k(found, truth[: len(found)]), 4),
        **{f"query_{k}": v for k, v in percentiles(lat).items() if k != "n"},
    }


def _projected_seconds(prev: dict | None, n_prev: int, n: int, n_queries: int) -> float | None:
    """Linear projection of build + query time from the previous size (None without one)."""
    if not prev or prev.get("status") != "ok":
        return None
    scale = n / float(n_prev)
    query = (prev.get("query_mean_ms") or 0.0) / 1000.0 * min(n_queries, prev.get("queries", n_queries))
    return (prev.get("build_s", 0.0) * 1.2 + query) * scale  # HNSW build is a bit worse than linear


def run(
    settings,
    *,
    sizes: list[int],
    n_queries: int,
    max_real: int,
    embed_budget_s: float,
    case_timeout_s: float,
    query_budget_s: float,
    backends: list[str],
    seed: int = 0,
    progress: bool = True,
) -> dict:
    """The retrieval section: corpus, ground truth and every (backend, size) case."""
    t_section = time.perf_counter()
    sizes = sorted(set(sizes))
    real, kinds, corpus_stats = real_vectors(settings, max_real, embed_budget_s, seed, progress)
    if len(real) < 200:
        raise RuntimeError(f"only {len(real)} real vectors: is the catalogue ingested at {settings.catalogue_path}?")
    queries, mask, query_stats = query_vectors(settings, real, n_queries, seed)
    corpus_real = real[mask]
    work = Path(tempfile.mkdtemp(prefix="bench-retrieval-"))
    results: list[dict] = []
    try:
        top = sizes[-1]
        X = np.empty((top, real.shape[1]), dtype=np.float32)
        n_real = min(top, len(corpus_real))
        X[:n_real] = corpus_real[:n_real]
        filled = n_real
        for block in gaussian_padding(corpus_real, top - n_real, seed + 1):
            X[filled : filled + len(block)] = block
            filled += len(block)
        vec_path, query_path = work / "vectors.npy", work / "queries.npy"
        np.save(vec_path, X)
        np.save(query_path, queries)
        prev: dict[str, tuple[int, dict]] = {}
        for n in sizes:
            Xn = X[:n]
            truth, truth_scores = exact_topk(Xn, queries)
            real_in_n = min(n, n_real)
            gt_real_share = float(np.mean(truth < real_in_n))
            base = {
                "size": n,
                "real_vectors": real_in_n,
                "synthetic_vectors": n - real_in_n,
                "gt_real_share": round(gt_real_share, 4),
            }
            row = {**base, "backend": "numpy", "status": "ok", **load_now()}
            row.update(_summarise(numpy_case(Xn, queries, query_budget_s), truth))
            results.append(row)
            if progress:
                print(f"bench retrieval: numpy n={n}: p50 {row['query_p50_ms']} ms", flush=True)
            for backend in backends:
                row = {**base, "backend": backend, **load_now()}
                last = prev.get(backend)
                projected = _projected_seconds(last[1], last[0], n, n_queries) if last else None
                if last and last[1].get("status") != "ok":
                    row.update(status="skipped", reason=f"the smaller size ended with {last[1].get('status')}")
                elif projected is not None and projected > case_timeout_s:
                    row.update(
                        status="skipped",
                        reason=(f"projected {projected:.0f} s from n={last[0]} exceeds the {case_timeout_s:.0f} s box"),
                    )
                else:
                    box = run_boxed(
                        BACKENDS[backend], (str(vec_path), n, str(query_path), query_budget_s), case_timeout_s
                    )
                    row.update(status=box["status"], wall_s=box["seconds"])
                    if box["status"] == "ok":
                        row.update(_summarise(dict(box["result"]), truth))
                    else:
                        done = [e["event"] for e in box["events"]]
                        row["reason"] = box.get("error") or (
                            f"time box of {case_timeout_s:.0f} s reached after {', '.join(done) or 'nothing'}"
                        )
                prev[backend] = (n, row)
                results.append(row)
                if progress:
                    print(
                        f"bench retrieval: {backend} n={n}: {row.get('status')} recall "
                        f"{row.get('recall@10')} p50 {row.get('query_p50_ms')} ms {row.get('reason', '')}",
                        flush=True,
                    )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "k": K,
        "sizes": sizes,
        "backends": ["numpy", *backends],
        "corpus": corpus_stats,
        "queries": {"n": int(len(queries)), **query_stats},
        "padding": "gaussian(mean, cov of real) then L2-normalised",
        "case_timeout_s": case_timeout_s,
        "results": results,
        "seconds": round(time.perf_counter() - t_section, 1),
    }
