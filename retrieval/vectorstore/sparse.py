"""BM25 sparse vectors for Qdrant's ``sparse`` named vector.

Which BM25: the sparse vectors come from ``qdrant_edge.Bm25`` -- the same Rust tokenizer (English
stopwords + Snowball stemmer, hashed token ids) and term-frequency formula that Qdrant's server-side
BM25 inference uses. Documents get the BM25 term-frequency part ``tf*(k+1)/(tf+k*(1-b+b*len/avg_len))``;
queries get weight 1 per unique token; the collection's ``Modifier.IDF`` multiplies in the IDF at
search time from live collection statistics. The result is true BM25 ranking that stays correct as
documents are added or deleted, identical for the Edge and the client/server backends, and with no
vocabulary file to keep in sync (ids are hashes).

This is separate from :mod:`retrieval.bm25` (bm25s), which scores *every* document for features.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import qdrant_edge as qe

__all__ = ["SparseEncoder", "SparseVec", "get_sparse_encoder"]

#: Expected document length in tokens (after stopwords). Catalogue texts are short descriptions;
#: Qdrant's default of 256 suits long documents and would under-weight length normalisation here.
DEFAULT_AVG_LEN = 64.0


@dataclass(frozen=True, slots=True)
class SparseVec:
    """Backend-neutral sparse vector (parallel ``indices``/``values``)."""

    indices: list[int]
    values: list[float]

    def __bool__(self) -> bool:
        return bool(self.indices)


class SparseEncoder:
    """Turns text into BM25 document/query sparse vectors (see module docstring for the formula)."""

    def __init__(self, k: float = 1.2, b: float = 0.75, avg_len: float = DEFAULT_AVG_LEN) -> None:
        self.config = {"k": k, "b": b, "avg_len": avg_len, "language": "english"}
        self._bm25 = qe.Bm25(qe.Bm25Config(k=k, b=b, avg_len=avg_len, language="english"))

    def document(self, text: str) -> SparseVec:
        """Sparse vector for indexing ``text`` (empty when it has no indexable tokens)."""
        v = self._bm25.embed_document(text)
        return SparseVec(list(v.indices), list(v.values))

    def query(self, text: str) -> SparseVec:
        """Sparse vector for searching with ``text`` (empty when it has no indexable tokens)."""
        v = self._bm25.embed_query(text)
        return SparseVec(list(v.indices), list(v.values))


_DEFAULT: SparseEncoder | None = None
_LOCK = threading.Lock()


def get_sparse_encoder() -> SparseEncoder:
    """The process-wide default encoder (document vectors must be built the same way everywhere)."""
    global _DEFAULT
    with _LOCK:
        if _DEFAULT is None:
            _DEFAULT = SparseEncoder()
        return _DEFAULT
