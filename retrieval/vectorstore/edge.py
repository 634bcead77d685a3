"""Qdrant Edge backend: the Qdrant engine in-process, one on-disk shard per collection.

Why: the default deployment has no Qdrant server, but should run the same engine (HNSW, payload
filters, sparse+IDF, prefetch + RRF fusion) as production so results carry over.

Qdrant Edge has no notion of collections: an :class:`qdrant_edge.EdgeShard` is one directory. We map
collection ``name`` to ``<root>/<name>`` (default root ``settings.index_dir / "qdrant-edge"``). A shard
holds a lock on its WAL, so a second ``EdgeShard.load`` of the same path in one process fails; open
shards are therefore shared through a module-level registry keyed by path. Another *process* holding
the lock surfaces as :class:`~retrieval.vectorstore.locks.StoreLocked` (naming the holder), and failed
opens are retried no sooner than a backoff allows, so a server recovers once the holder exits.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import qdrant_edge as qe

from retrieval.vectorstore.base import (
    DEFAULT_RRF_K,
    DENSE,
    SPARSE,
    Condition,
    Hit,
    PointData,
    Where,
    as_matrix,
    batched,
    build_conditions,
    point_id,
)
from retrieval.vectorstore.locks import Backoff, StoreLocked, is_lock_error
from retrieval.vectorstore.match import match_any_values
from retrieval.vectorstore.sparse import SparseEncoder, SparseVec, get_sparse_encoder

__all__ = ["EdgeStore"]

log = logging.getLogger(__name__)

_SHARDS: dict[str, qe.EdgeShard] = {}
_SHARDS_LOCK = threading.RLock()
#: Retry spacing for collections another process holds (0.5 s doubling to 5 s).
_BACKOFF = Backoff()


def _config(dim: int) -> qe.EdgeConfig:
    return qe.EdgeConfig(
        vectors={DENSE: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine)},
        sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
    )


def _filter(conds: list[Condition]) -> qe.Filter | None:
    if not conds:
        return None
    must: list[Any] = []
    for key, value in conds:
        match = qe.MatchAny(match_any_values(value)) if isinstance(value, list) else qe.MatchValue(value)
        must.append(qe.FieldCondition(key=key, match=match))
    return qe.Filter(must=must)


def _hit(p: Any) -> Hit:
    payload = dict(p.payload or {})
    return Hit(doc_id=str(payload.get("doc_id", p.id)), score=float(p.score), payload=payload)


def _sparse(v: SparseVec) -> qe.SparseVector:
    return qe.SparseVector(v.indices, v.values)


class EdgeStore:
    """:class:`~retrieval.vectorstore.base.VectorStore` over an in-process Qdrant Edge shard."""

    def __init__(self, collection: str, root: str | Path, *, sparse_encoder: SparseEncoder | None = None) -> None:
        if not collection or "/" in collection or collection.startswith("."):
            raise ValueError(f"invalid collection name {collection!r}")
        self.collection = collection
        self.path = Path(root) / collection
        self.sparse_encoder = sparse_encoder or get_sparse_encoder()

    # -- shard lifecycle ------------------------------------------------------------------------
    @property
    def _key(self) -> str:
        return str(self.path.resolve())

    def _shard(self) -> qe.EdgeShard:
        with _SHARDS_LOCK:
            shard = _SHARDS.get(self._key)
            if shard is None:
                if not self.exists():
                    raise LookupError(f"collection {self.collection!r} does not exist at {self.path}")
                shard = _SHARDS[self._key] = self._open(lambda: qe.EdgeShard.load(str(self.path)))
            return shard

    def _open(self, opener: Callable[[], qe.EdgeShard]) -> qe.EdgeShard:
        """Run ``opener`` (load/create) unless a recent attempt found the store locked; a lock held by
        another process becomes :class:`StoreLocked` and postpones the next attempt (see ``_BACKOFF``)."""
        waiting = _BACKOFF.pending(self._key)
        if waiting is not None:
            raise waiting
        try:
            shard = opener()
        except Exception as exc:
            if not is_lock_error(exc):
                raise
            locked = StoreLocked.at(self.collection, self.path, cause=str(exc))
            locked.retry_in_s = _BACKOFF.failed(self._key, locked)
            raise locked from exc
        _BACKOFF.succeeded(self._key)
        return shard

    def open(self) -> bool:
        """Open the collection now, so this process holds its lock; False when it does not exist yet.

        Raises :class:`StoreLocked` when another process holds it. Why public: a server claims its
        store at health checks (and so recovers after a holder exits), a CLI claims what it needs
        before working, instead of degrading silently halfway through.
        """
        with _SHARDS_LOCK:
            if self._key not in _SHARDS and not self.exists():
                return False
            self._shard()
            return True

    def is_open(self) -> bool:
        """Whether this process holds the collection open."""
        with _SHARDS_LOCK:
            return self._key in _SHARDS

    def exists(self) -> bool:
        return (self.path / "edge_config.json").is_file() or (self.path / "segments").is_dir()

    def _stored_dim(self) -> int | None:
        """Dense size from the shard's own ``edge_config.json`` (None when unreadable)."""
        try:
            config = json.loads((self.path / "edge_config.json").read_text())
            return int(config["vectors"][DENSE]["size"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def ensure(self, dim: int) -> None:
        with _SHARDS_LOCK:
            if self._key in _SHARDS:  # already open: it was created or validated before
                stored = self._stored_dim()
                if stored is not None and stored != dim:
                    raise ValueError(f"collection {self.collection!r} has dim {stored}, not {dim}; use recreate()")
                return
            try:
                if self.exists():
                    # load() with a config validates it against the stored segments
                    _SHARDS[self._key] = self._open(lambda: qe.EdgeShard.load(str(self.path), _config(dim)))
                else:
                    self.path.mkdir(parents=True, exist_ok=True)
                    _SHARDS[self._key] = self._open(lambda: qe.EdgeShard.create(str(self.path), _config(dim)))
            except Exception as exc:
                if "ncompatible" in str(exc):
                    raise ValueError(f"collection {self.collection!r}: {exc}; use recreate()") from exc
                raise
            shard = _SHARDS[self._key]
            for field in ("kind", "doc_id"):
                if field not in shard.info().payload_schema:
                    shard.update(qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword))

    def recreate(self, dim: int) -> None:
        with _SHARDS_LOCK:
            self.drop()
            self.ensure(dim)

    def drop(self) -> None:
        with _SHARDS_LOCK:
            self.close()
            if self.path.exists():
                shutil.rmtree(self.path)

    def close(self) -> None:
        with _SHARDS_LOCK:
            shard = _SHARDS.pop(self._key, None)
            if shard is not None:
                shard.flush()
                shard.close()

    def _write(self, operation: qe.UpdateOperation | None = None, *, flush: bool = False) -> None:
        """Apply ``operation`` and/or flush; a write that fails for any reason but a lock is tried once more on
        the shard loaded afresh from disk.

        Why: in the test suite a process's open shard came to refuse every flush ("Tracker journal ...
        tracker_journal.dat is shorter than expected": its in-memory view of the sparse storage no longer
        matched the files), so 42 of 42 profiles' memory writes were lost, while the same files loaded by a
        new process took the write. A stale handle is recoverable by reopening (the write-ahead log replays
        what was applied before); a store that fails again raises as before (memory writes are best-effort:
        their caller logs it). Upserts and deletes are idempotent, so applying one twice is safe."""

        def run(shard: qe.EdgeShard) -> None:
            if operation is not None:
                shard.update(operation)
            if flush:
                shard.flush()

        try:
            run(self._shard())
        except Exception as exc:  # noqa: BLE001 - any storage error but a lock: reopen once
            if is_lock_error(exc):
                raise
            log.warning(
                "vector store %r: write failed (%s); reopening the shard and trying again", self.collection, exc
            )
            with _SHARDS_LOCK:
                stale = _SHARDS.pop(self._key, None)
                if stale is not None:
                    try:
                        stale.close()
                    except Exception:  # noqa: BLE001 - it is being replaced
                        log.debug("closing the stale shard failed", exc_info=True)
                del stale  # its lock goes with the last reference, before the shard is loaded again
            run(self._shard())

    def optimize(self) -> None:
        self._shard().optimize()

    # -- writes ---------------------------------------------------------------------------------
    def upsert(self, points: Iterable[PointData], batch_size: int = 256) -> int:
        written = 0
        for batch in batched(points, batch_size):
            dense = as_matrix(np.asarray([p.vector for p in batch], dtype=np.float32)).tolist()
            edge_points = []
            for p, vec in zip(batch, dense):
                vectors: dict[str, Any] = {DENSE: vec}
                if p.text:
                    sparse = self.sparse_encoder.document(p.text)
                    if sparse:
                        vectors[SPARSE] = _sparse(sparse)
                edge_points.append(qe.Point(point_id(p.doc_id), vectors, p.full_payload()))
            self._write(qe.UpdateOperation.upsert_points(edge_points))
            written += len(batch)
        self._write(flush=True)
        return written

    def delete(self, *, kind: str | Sequence[str] | None = None, where: Where | None = None) -> None:
        flt = _filter(build_conditions(kind, where))
        if flt is None:
            raise ValueError("delete() needs a filter; use recreate() to empty a collection")
        self._write(qe.UpdateOperation.delete_points_by_filter(flt), flush=True)

    def delete_ids(self, doc_ids: Sequence[str]) -> None:
        if doc_ids:
            self._write(qe.UpdateOperation.delete_points([point_id(d) for d in doc_ids]), flush=True)

    # -- reads ----------------------------------------------------------------------------------
    def count(self, *, kind: str | Sequence[str] | None = None, where: Where | None = None) -> int:
        return int(self._shard().count(qe.CountRequest(exact=True, filter=_filter(build_conditions(kind, where)))))

    def get(self, doc_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not doc_ids:
            return {}
        records = self._shard().retrieve([point_id(d) for d in doc_ids], with_payload=True, with_vector=False)
        out = {}
        for r in records:
            payload = dict(r.payload or {})
            out[str(payload.get("doc_id", r.id))] = payload
        return out

    def _dense_request(
        self, vector: Sequence[float], k: int, flt: qe.Filter | None, exact: bool, score_threshold: float | None
    ) -> qe.QueryRequest:
        return qe.QueryRequest(
            limit=k,
            query=qe.Query.Nearest(list(vector), using=DENSE),
            filter=flt,
            params=qe.SearchParams(exact=exact),
            with_payload=True,
            with_vector=False,
            score_threshold=score_threshold,
        )

    def search(
        self,
        vector: Sequence[float] | np.ndarray,
        k: int = 10,
        *,
        kind: str | Sequence[str] | None = None,
        where: Where | None = None,
        exact: bool = False,
        score_threshold: float | None = None,
    ) -> list[Hit]:
        flt = _filter(build_conditions(kind, where))
        vec = as_matrix(np.asarray(vector))[0].tolist()
        return [_hit(p) for p in self._shard().query(self._dense_request(vec, k, flt, exact, score_threshold))]

    def search_batch(
        self,
        vectors: Sequence[Sequence[float]] | np.ndarray,
        k: int = 10,
        *,
        kind: str | Sequence[str] | None = None,
        where: Where | None = None,
        exact: bool = False,
    ) -> list[list[Hit]]:
        flt = _filter(build_conditions(kind, where))
        requests = [self._dense_request(v, k, flt, exact, None) for v in as_matrix(vectors).tolist()]
        if not requests:
            return []
        results = self._shard().query_batch(qe.QueryBatchRequest(requests))
        return [[_hit(p) for p in res] for res in results]

    def search_sparse(
        self,
        text: str,
        k: int = 10,
        *,
        kind: str | Sequence[str] | None = None,
        where: Where | None = None,
    ) -> list[Hit]:
        sparse = self.sparse_encoder.query(text)
        if not sparse:
            return []
        request = qe.QueryRequest(
            limit=k,
            query=qe.Query.Nearest(_sparse(sparse), using=SPARSE),
            filter=_filter(build_conditions(kind, where)),
            with_payload=True,
            with_vector=False,
        )
        return [_hit(p) for p in self._shard().query(request)]

    def search_hybrid(
        self,
        vector: Sequence[float] | np.ndarray,
        text: str,
        k: int = 10,
        *,
        kind: str | Sequence[str] | None = None,
        where: Where | None = None,
        prefetch_k: int | None = None,
        rrf_k: int = DEFAULT_RRF_K,
        exact: bool = False,
    ) -> list[Hit]:
        flt = _filter(build_conditions(kind, where))
        limit = prefetch_k or max(4 * k, 40)
        prefetches = [
            qe.Prefetch(
                limit=limit,
                query=qe.Query.Nearest(as_matrix(np.asarray(vector))[0].tolist(), using=DENSE),
                filter=flt,
                params=qe.SearchParams(exact=exact),
            )
        ]
        sparse = self.sparse_encoder.query(text)
        if sparse:
            prefetches.append(
                qe.Prefetch(limit=limit, query=qe.Query.Nearest(_sparse(sparse), using=SPARSE), filter=flt)
            )
        request = qe.QueryRequest(
            limit=k,
            prefetches=prefetches,
            # the stub nests Rrf in Fusion without subclassing it; at run time Rrf is a Fusion
            query=qe.Fusion.Rrf(k=rrf_k),  # type: ignore[arg-type]
            filter=flt,
            with_payload=True,
            with_vector=False,
        )
        return [_hit(p) for p in self._shard().query(request)]
