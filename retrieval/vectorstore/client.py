"""qdrant-client backend: a Qdrant server (``settings.qdrant_url``) or qdrant-client's local mode.

Why both through one class: production talks to a Qdrant server/cluster; tests and laptops without
a server use local mode (``QdrantClient(path=...)`` or ``":memory:"``), which implements the same API
in pure Python/numpy. Local mode always searches exactly and ignores payload indexes and search
params (and warns about them), so those are only sent to a real server.

Clients are shared per (url | path) in a module-level registry: local mode locks its folder, so a
second ``QdrantClient(path=same)`` in one process would fail, and ``":memory:"`` data must be visible
to every store opened on it.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models
from qdrant_client.local.qdrant_local import QdrantLocal

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
from retrieval.vectorstore.match import match_any_values
from retrieval.vectorstore.sparse import SparseEncoder, SparseVec, get_sparse_encoder

__all__ = ["ClientStore", "get_client"]

_CLIENTS: dict[tuple[str, str], QdrantClient] = {}
_CLIENTS_LOCK = threading.Lock()


def get_client(*, url: str = "", api_key: str = "", path: str = "", timeout: int = 60) -> QdrantClient:
    """The process-wide client for a server ``url`` or a local-mode ``path`` (``":memory:"`` allowed)."""
    if not url and not path:
        raise ValueError("get_client needs a url or a local path")
    key = ("url", url) if url else ("path", path)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            if url:
                client = QdrantClient(url=url, api_key=api_key or None, timeout=timeout)
            elif path == ":memory:":
                client = QdrantClient(location=":memory:")
            else:
                client = QdrantClient(path=path)
            _CLIENTS[key] = client
        return client


def close_clients() -> None:
    """Close every shared client (releases local-mode folder locks); mainly for tests."""
    with _CLIENTS_LOCK:
        for client in _CLIENTS.values():
            client.close()
        _CLIENTS.clear()


atexit.register(close_clients)  # close before interpreter teardown, not in QdrantClient.__del__


def _filter(conds: list[Condition]) -> models.Filter | None:
    if not conds:
        return None
    must: list[models.Condition] = []
    for key, value in conds:
        match: models.Match = (
            models.MatchAny(any=match_any_values(value)) if isinstance(value, list) else models.MatchValue(value=value)
        )
        must.append(models.FieldCondition(key=key, match=match))
    return models.Filter(must=must)


def _hit(p: models.ScoredPoint) -> Hit:
    payload = dict(p.payload or {})
    return Hit(doc_id=str(payload.get("doc_id", p.id)), score=float(p.score), payload=payload)


def _sparse(v: SparseVec) -> models.SparseVector:
    return models.SparseVector(indices=v.indices, values=v.values)


class ClientStore:
    """:class:`~retrieval.vectorstore.base.VectorStore` over ``qdrant-client`` (server or local mode)."""

    def __init__(
        self,
        collection: str,
        client: QdrantClient | None = None,
        *,
        url: str = "",
        api_key: str = "",
        path: str = "",
        sparse_encoder: SparseEncoder | None = None,
        shard_number: int | None = None,
        replication_factor: int | None = None,
    ) -> None:
        self.collection = collection
        self.client = client or get_client(url=url, api_key=api_key, path=path)
        self.is_local = isinstance(getattr(self.client, "_client", None), QdrantLocal)
        self.sparse_encoder = sparse_encoder or get_sparse_encoder()
        # cluster layout for collections this store creates (servers only; None = server default)
        self.shard_number = shard_number or None
        self.replication_factor = replication_factor or None

    def _params(self, exact: bool) -> models.SearchParams | None:
        # local mode is always exact and warns when given search params
        return None if self.is_local else models.SearchParams(exact=exact)

    # -- collection lifecycle -------------------------------------------------------------------
    def exists(self) -> bool:
        return bool(self.client.collection_exists(self.collection))

    def ensure(self, dim: int) -> None:
        if self.exists():
            vectors = self.client.get_collection(self.collection).config.params.vectors
            stored = vectors.get(DENSE) if isinstance(vectors, dict) else None
            if stored is None or stored.size != dim:
                size = None if stored is None else stored.size
                raise ValueError(f"collection {self.collection!r} has dense dim {size}, not {dim}; use recreate()")
            return
        self.client.create_collection(
            self.collection,
            vectors_config={DENSE: models.VectorParams(size=dim, distance=models.Distance.COSINE)},
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
            # the server's layout; None (the client's default) in local mode, which has no shards
            shard_number=None if self.is_local else self.shard_number,
            replication_factor=None if self.is_local else self.replication_factor,
        )
        if not self.is_local:  # local mode has no payload indexes (and warns)
            for field in ("kind", "doc_id"):
                self.client.create_payload_index(self.collection, field, models.PayloadSchemaType.KEYWORD)

    def recreate(self, dim: int) -> None:
        self.drop()
        self.ensure(dim)

    def drop(self) -> None:
        if self.exists():
            self.client.delete_collection(self.collection)

    def close(self) -> None:
        """Nothing to release per store: the shared client lives for the process (see :func:`close_clients`)."""

    def optimize(self) -> None:
        """Qdrant servers optimize in the background; local mode has no indexes."""

    # -- writes ---------------------------------------------------------------------------------
    def upsert(self, points: Iterable[PointData], batch_size: int = 256) -> int:
        written = 0
        for batch in batched(points, batch_size):
            dense = as_matrix(np.asarray([p.vector for p in batch], dtype=np.float32)).tolist()
            structs = []
            for p, vec in zip(batch, dense):
                vectors: dict[str, Any] = {DENSE: vec}
                if p.text:
                    sparse = self.sparse_encoder.document(p.text)
                    if sparse:
                        vectors[SPARSE] = _sparse(sparse)
                structs.append(models.PointStruct(id=point_id(p.doc_id), vector=vectors, payload=p.full_payload()))
            self.client.upsert(self.collection, points=structs, wait=True)
            written += len(batch)
        return written

    def delete(self, *, kind: str | Sequence[str] | None = None, where: Where | None = None) -> None:
        flt = _filter(build_conditions(kind, where))
        if flt is None:
            raise ValueError("delete() needs a filter; use recreate() to empty a collection")
        self.client.delete(self.collection, points_selector=models.FilterSelector(filter=flt), wait=True)

    def delete_ids(self, doc_ids: Sequence[str]) -> None:
        if doc_ids:
            selector = models.PointIdsList(points=[point_id(d) for d in doc_ids])
            self.client.delete(self.collection, points_selector=selector, wait=True)

    # -- reads ----------------------------------------------------------------------------------
    def count(self, *, kind: str | Sequence[str] | None = None, where: Where | None = None) -> int:
        flt = _filter(build_conditions(kind, where))
        return int(self.client.count(self.collection, count_filter=flt, exact=True).count)

    def get(self, doc_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not doc_ids:
            return {}
        records = self.client.retrieve(self.collection, [point_id(d) for d in doc_ids], with_payload=True)
        out = {}
        for r in records:
            payload = dict(r.payload or {})
            out[str(payload.get("doc_id", r.id))] = payload
        return out

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
        res = self.client.query_points(
            self.collection,
            query=as_matrix(np.asarray(vector))[0].tolist(),
            using=DENSE,
            limit=k,
            query_filter=_filter(build_conditions(kind, where)),
            search_params=self._params(exact),
            score_threshold=score_threshold,
            with_payload=True,
        )
        return [_hit(p) for p in res.points]

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
        requests = [
            models.QueryRequest(
                query=v, using=DENSE, limit=k, filter=flt, params=self._params(exact), with_payload=True
            )
            for v in as_matrix(vectors).tolist()
        ]
        if not requests:
            return []
        responses = self.client.query_batch_points(self.collection, requests=requests)
        return [[_hit(p) for p in r.points] for r in responses]

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
        res = self.client.query_points(
            self.collection,
            query=_sparse(sparse),
            using=SPARSE,
            limit=k,
            query_filter=_filter(build_conditions(kind, where)),
            with_payload=True,
        )
        return [_hit(p) for p in res.points]

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
        prefetch = [
            models.Prefetch(
                query=as_matrix(np.asarray(vector))[0].tolist(),
                using=DENSE,
                limit=limit,
                filter=flt,
                params=self._params(exact),
            )
        ]
        sparse = self.sparse_encoder.query(text)
        if sparse:
            prefetch.append(models.Prefetch(query=_sparse(sparse), using=SPARSE, limit=limit, filter=flt))
        res = self.client.query_points(
            self.collection,
            prefetch=prefetch,
            query=models.RrfQuery(rrf=models.Rrf(k=rrf_k)),
            limit=k,
            query_filter=flt,
            with_payload=True,
        )
        return [_hit(p) for p in res.points]
