"""Vector store: one interface (:class:`VectorStore`), two Qdrant backends, one factory.

* :class:`EdgeStore` -- Qdrant Edge in-process, on disk under ``settings.index_dir / "qdrant-edge"``
  (the default: no server to run).
* :class:`ClientStore` -- ``qdrant-client`` against ``settings.qdrant_url`` (production) or its local
  mode at ``settings.qdrant_local_path`` (tests).

:func:`open_store` picks the backend from settings so callers never branch on deployment.
"""

from __future__ import annotations

from retrieval.settings import Settings, get_settings
from retrieval.vectorstore.base import (
    DEFAULT_RRF_K,
    DENSE,
    SPARSE,
    Hit,
    PointData,
    VectorStore,
    Where,
    point_id,
)
from retrieval.vectorstore.client import ClientStore, close_clients, get_client
from retrieval.vectorstore.edge import EdgeStore
from retrieval.vectorstore.sparse import SparseEncoder, SparseVec, get_sparse_encoder

__all__ = [
    "DEFAULT_RRF_K",
    "DENSE",
    "SPARSE",
    "ClientStore",
    "EdgeStore",
    "Hit",
    "PointData",
    "SparseEncoder",
    "SparseVec",
    "VectorStore",
    "Where",
    "close_clients",
    "get_client",
    "get_sparse_encoder",
    "open_store",
    "point_id",
]


def open_store(collection: str, settings: Settings | None = None, *, dim: int | None = None) -> VectorStore:
    """The store for ``collection``: ``qdrant_url`` or ``qdrant_local_path`` set -> :class:`ClientStore`,
    else :class:`EdgeStore`. With ``dim``, the collection is created if missing (and checked if present)."""
    settings = settings or get_settings()
    store: VectorStore
    if settings.qdrant_url:
        store = ClientStore(
            collection,
            url=settings.qdrant_url,
            api_key=settings.qdrant_api_key,
            shard_number=settings.qdrant_shards,
            replication_factor=settings.qdrant_replication_factor,
        )
    elif settings.qdrant_local_path:
        store = ClientStore(collection, path=settings.qdrant_local_path)
    else:
        store = EdgeStore(collection, settings.index_dir / "qdrant-edge")
    if dim is not None:
        store.ensure(dim)
    return store
