"""The one vector-store interface Waypoint codes against, and the types both backends share.

Why one interface: the embedded default (Qdrant Edge, in-process, no server) and the at-scale
deployment (a Qdrant server through ``qdrant-client``) must be interchangeable without touching the
retrieval code, and tests must be able to run the same assertions against both.

Every collection holds two named vectors per point:

* ``dense`` -- the sentence embedding (cosine distance), and
* ``sparse`` -- a BM25 document vector (see :mod:`retrieval.vectorstore.sparse`) whose IDF part is
  applied by Qdrant itself (``Modifier.IDF``), so lexical search needs no side index.

Point ids are UUIDv5 of the ``doc_id``: re-ingesting the same document overwrites its point instead of
duplicating it, and both backends agree on ids. ``doc_id`` must therefore be unique per collection
(prefix it with the kind, e.g. ``"occupation:29-1141.00"``, when kinds share a collection).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

__all__ = [
    "DEFAULT_RRF_K",
    "DENSE",
    "SPARSE",
    "Condition",
    "Hit",
    "PointData",
    "VectorStore",
    "Where",
    "batched",
    "build_conditions",
    "point_id",
]

DENSE = "dense"
SPARSE = "sparse"
#: Reciprocal-rank-fusion constant; 60 is the value from Cormack et al. (Qdrant's own default is 2).
DEFAULT_RRF_K = 60
_NAMESPACE = uuid.UUID("5f0c3a52-6b1e-4d8a-9f3e-7a1d2c4b8e90")  # fixed: changing it re-keys every point

Scalar = str | int | bool
#: Payload equality filter: ``{"field": value}`` or ``{"field": [v1, v2]}`` (match any).
Where = Mapping[str, Scalar | Sequence[Scalar]]
#: Backend-neutral condition: ``(field, value)`` for equality or ``(field, [values])`` for match-any.
Condition = tuple[str, Scalar | list[Scalar]]

T = TypeVar("T")


def point_id(doc_id: str) -> str:
    """Deterministic point id (UUIDv5 string) for ``doc_id``; identical in every backend."""
    return str(uuid.uuid5(_NAMESPACE, doc_id))


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: the caller's ``doc_id``, the backend score and the stored payload."""

    doc_id: str
    score: float
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str | None:
        return self.payload.get("kind")


@dataclass(slots=True)
class PointData:
    """A document to upsert.

    ``text`` feeds the sparse (BM25) vector; leave it ``None`` for dense-only points. ``payload`` is
    stored as given, plus ``doc_id`` and ``kind`` (which always win over same-named payload keys).
    """

    doc_id: str
    kind: str
    vector: Sequence[float] | np.ndarray
    text: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)

    def full_payload(self) -> dict[str, Any]:
        return {**self.payload, "doc_id": self.doc_id, "kind": self.kind}


def build_conditions(kind: str | Sequence[str] | None = None, where: Where | None = None) -> list[Condition]:
    """Normalise the ``kind``/``where`` shorthands into a backend-neutral AND of conditions."""
    conds: list[Condition] = []
    items: list[tuple[str, Any]] = list((where or {}).items())
    if kind is not None:
        items.append(("kind", kind))
    for key, value in items:
        if isinstance(value, (list, tuple, set, frozenset)):
            conds.append((key, list(value)))
        elif isinstance(value, (str, int, bool)):
            conds.append((key, value))
        else:
            raise TypeError(f"filter value for {key!r} must be str, int, bool or a list of them, got {value!r}")
    return conds


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most ``size`` items (upserts are sent in batches)."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def as_matrix(vectors: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    """2-D float32 array from a vector or list of vectors."""
    arr = np.asarray(vectors, dtype=np.float32)
    return arr[None, :] if arr.ndim == 1 else arr


@runtime_checkable
class VectorStore(Protocol):
    """A named collection of points with a dense and a sparse vector each.

    Filters: ``kind`` (one kind or a list) and ``where`` (payload equality / match-any) are ANDed.
    ``exact=True`` forces brute-force dense scoring (ground truth for recall benchmarks).
    """

    collection: str

    def exists(self) -> bool:
        """Whether the collection exists."""
        ...

    def ensure(self, dim: int) -> None:
        """Create the collection if missing; raise ``ValueError`` if it exists with another ``dim``."""
        ...

    def recreate(self, dim: int) -> None:
        """Drop the collection (if any) and create it empty. Calling it twice is harmless."""
        ...

    def drop(self) -> None:
        """Delete the collection and its data (no error if missing)."""
        ...

    def upsert(self, points: Iterable[PointData], batch_size: int = 256) -> int:
        """Insert or overwrite ``points`` in batches; returns how many were written."""
        ...

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
        """Dense (cosine) nearest neighbours, best first."""
        ...

    def search_batch(
        self,
        vectors: Sequence[Sequence[float]] | np.ndarray,
        k: int = 10,
        *,
        kind: str | Sequence[str] | None = None,
        where: Where | None = None,
        exact: bool = False,
    ) -> list[list[Hit]]:
        """Dense search for many query vectors in one round trip."""
        ...

    def search_sparse(
        self,
        text: str,
        k: int = 10,
        *,
        kind: str | Sequence[str] | None = None,
        where: Where | None = None,
    ) -> list[Hit]:
        """Lexical (BM25 via sparse vectors + IDF) search for ``text``, best first."""
        ...

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
        """Dense and sparse candidates fused by Qdrant's reciprocal rank fusion; scores are RRF scores."""
        ...

    def get(self, doc_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Payloads of the given documents that exist, keyed by ``doc_id``."""
        ...

    def count(self, *, kind: str | Sequence[str] | None = None, where: Where | None = None) -> int:
        """Exact number of points matching the filter (all points without one)."""
        ...

    def delete(self, *, kind: str | Sequence[str] | None = None, where: Where | None = None) -> None:
        """Delete the points matching the filter; an empty filter is refused (use :meth:`recreate`)."""
        ...

    def delete_ids(self, doc_ids: Sequence[str]) -> None:
        """Delete points by ``doc_id``."""
        ...

    def optimize(self) -> None:
        """Build indexes after bulk loads (Edge runs its optimizers in-process; servers do it themselves)."""
        ...

    def close(self) -> None:
        """Release files/connections; the store reopens lazily if used again."""
        ...
