"""Lexical retrieval: a thin, persistent wrapper over ``bm25s``.

Why it exists next to Qdrant's sparse vectors: ranking features need the BM25 score of *every*
candidate for a query (:meth:`BM25Index.score_all`), which a top-k vector search cannot give, and
bm25s scores a whole corpus in milliseconds from a precomputed sparse matrix.

Tokenisation: lower-case, ``\\w\\w+`` tokens, bm25s's English stopwords, then a stemmer so that
"nurse" matches "Nurses". bm25s ships no stemmer of its own (it recommends PyStemmer); when
PyStemmer is importable its English Snowball stemmer is used, otherwise :class:`LightStemmer`, a small
plural/suffix stripper. The stemmer name is saved with the index and checked on load, because a query
stemmed differently from the corpus silently loses matches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import bm25s
import numpy as np

__all__ = ["BM25Index", "LightStemmer", "get_stemmer", "tokenize"]

_META_FILE = "waypoint_bm25.json"
_FORMAT_VERSION = 1


class Stemmer(Protocol):
    """What bm25s accepts: a callable over a list of words, optionally with ``stemWord``."""

    name: str

    def stemWords(self, words: Sequence[str]) -> list[str]: ...  # noqa: N802 (PyStemmer's name)


class LightStemmer:
    """A conservative English suffix stripper used when PyStemmer is not installed.

    It handles the inflections that matter for job and skill text (plurals, -ing, -ed, -ies) and
    leaves short words alone; it is deliberately weaker than Porter so it never merges unrelated terms.
    """

    name = "light-en-1"

    def stemWord(self, word: str) -> str:  # noqa: N802 (PyStemmer-compatible API)
        if len(word) <= 3 or not word.isalpha():
            return word
        if word.endswith("ies") and len(word) > 4:
            return word[:-3] + "y"
        if word.endswith(("sses", "xes", "ches", "shes")):
            word = word[:-2]
        elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
        for suffix in ("ing", "ed"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "lsz":
                    word = word[:-1]  # running -> runn -> run
                break
        if word.endswith("e") and len(word) > 4:
            word = word[:-1]  # nurse/nursing -> nurs; manage/managing -> manag
        return word

    def stemWords(self, words: Sequence[str]) -> list[str]:  # noqa: N802
        return [self.stemWord(w) for w in words]

    def __call__(self, words: Sequence[str]) -> list[str]:
        return self.stemWords(words)


class _PyStemmer:
    name = "pystemmer-english"

    def __init__(self) -> None:
        import Stemmer as _stemmer  # PyStemmer

        self._impl = _stemmer.Stemmer("english")

    def stemWord(self, word: str) -> str:  # noqa: N802
        return self._impl.stemWord(word)

    def stemWords(self, words: Sequence[str]) -> list[str]:  # noqa: N802
        return self._impl.stemWords(list(words))

    def __call__(self, words: Sequence[str]) -> list[str]:
        return self.stemWords(words)


def get_stemmer(name: str | None = None) -> Stemmer | None:
    """The stemmer called ``name`` ("none", a saved name, or ``None`` = best available)."""
    if name == "none":
        return None
    if name in (None, _PyStemmer.name):
        try:
            return _PyStemmer()
        except ImportError:
            if name == _PyStemmer.name:
                raise RuntimeError("this BM25 index was built with PyStemmer, which is not installed") from None
    if name in (None, LightStemmer.name):
        return LightStemmer()
    raise ValueError(f"unknown stemmer {name!r}")


def tokenize(
    texts: Sequence[str], stemmer: Stemmer | None, stopwords: str = "en", show_progress: bool = False
) -> list[list[str]]:
    """Token lists for ``texts`` exactly as the index sees them (shared by corpus and queries)."""
    out = bm25s.tokenize(
        list(texts), stopwords=stopwords, stemmer=stemmer, return_ids=False, show_progress=show_progress
    )
    return [list(tokens) for tokens in out]


class BM25Index:
    """BM25 over a list of ``(doc_id, text)``, with save/load, top-k search and full score vectors.

    Scores use bm25s's defaults (Lucene variant, k1=1.5, b=0.75). Documents that share no term with a
    query score exactly 0 and are left out of :meth:`search` results.
    """

    def __init__(
        self,
        *,
        k1: float = 1.5,
        b: float = 0.75,
        method: str = "lucene",
        stopwords: str = "en",
        stemmer: str | None = None,
    ) -> None:
        self.params: dict[str, Any] = {"k1": k1, "b": b, "method": method}
        self.stopwords = stopwords
        self.stemmer = get_stemmer(stemmer)
        self.doc_ids: list[str] = []
        self._retriever: bm25s.BM25 | None = None

    # -- building -------------------------------------------------------------------------------
    @classmethod
    def build(cls, docs: Iterable[tuple[str, str]], *, show_progress: bool = False, **params: Any) -> BM25Index:
        """Index ``docs`` (``(doc_id, text)`` pairs; ids must be unique)."""
        index = cls(**params)
        pairs = list(docs)
        ids = [str(doc_id) for doc_id, _ in pairs]
        if len(set(ids)) != len(ids):
            raise ValueError("BM25Index.build: duplicate doc ids")
        if not ids:
            raise ValueError("BM25Index.build: no documents")
        tokens = tokenize([text for _, text in pairs], index.stemmer, index.stopwords, show_progress)
        retriever = bm25s.BM25(**index.params)
        retriever.index(tokens, show_progress=show_progress)
        index.doc_ids = ids
        index._retriever = retriever
        return index

    def __len__(self) -> int:
        return len(self.doc_ids)

    @property
    def retriever(self) -> bm25s.BM25:
        if self._retriever is None:
            raise RuntimeError("BM25Index is empty: call BM25Index.build() or BM25Index.load()")
        return self._retriever

    # -- persistence ----------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the index to directory ``path`` (bm25s arrays + vocab + our doc ids and tokeniser)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.retriever.save(str(path))
        meta = {
            "format": _FORMAT_VERSION,
            "doc_ids": self.doc_ids,
            "params": self.params,
            "stopwords": self.stopwords,
            "stemmer": self.stemmer.name if self.stemmer else "none",
        }
        tmp = path / (_META_FILE + ".tmp")
        tmp.write_text(json.dumps(meta), encoding="utf-8")
        tmp.replace(path / _META_FILE)  # atomic: a half-written index never looks complete
        return path

    @classmethod
    def load(cls, path: str | Path, *, mmap: bool = False) -> BM25Index:
        """Read an index written by :meth:`save`; ``mmap`` keeps large score arrays on disk."""
        path = Path(path)
        meta = json.loads((path / _META_FILE).read_text(encoding="utf-8"))
        if meta.get("format") != _FORMAT_VERSION:
            raise ValueError(f"unsupported BM25 index format {meta.get('format')!r} in {path}")
        index = cls(**meta["params"], stopwords=meta["stopwords"], stemmer=meta["stemmer"])
        index.doc_ids = list(meta["doc_ids"])
        index._retriever = bm25s.BM25.load(str(path), mmap=mmap, load_corpus=False)
        return index

    @staticmethod
    def exists(path: str | Path) -> bool:
        """Whether a complete index was saved at ``path``."""
        return (Path(path) / _META_FILE).is_file()

    # -- scoring --------------------------------------------------------------------------------
    def tokenize_queries(self, queries: Sequence[str]) -> list[list[str]]:
        """Queries tokenised like the corpus (exposed for features that need the matched terms)."""
        return tokenize(queries, self.stemmer, self.stopwords)

    def score_all(self, query: str) -> np.ndarray:
        """BM25 score of every document for ``query``, shape ``(len(self),)``, aligned with ``doc_ids``."""
        return self._scores(self.tokenize_queries([query])[0])

    def score_all_many(self, queries: Sequence[str]) -> np.ndarray:
        """Scores for many queries at once, shape ``(len(queries), len(self))``."""
        out = np.zeros((len(queries), len(self)), dtype=np.float32)
        for i, tokens in enumerate(self.tokenize_queries(queries)):
            out[i] = self._scores(tokens)
        return out

    def search(self, query: str, k: int = 10) -> list[tuple[str, float]]:
        """Top-``k`` ``(doc_id, score)`` for ``query``, best first, omitting zero scores."""
        return self.search_many([query], k)[0]

    def search_many(self, queries: Sequence[str], k: int = 10, n_threads: int = 0) -> list[list[tuple[str, float]]]:
        """Top-``k`` results for each query (bm25s batch retrieval; ``n_threads`` > 0 for a thread pool)."""
        if not queries:
            return []
        k = max(1, min(k, len(self)))
        tokens = self.tokenize_queries(queries)
        docs, scores = self.retriever.retrieve(tokens, k=k, show_progress=False, n_threads=n_threads, return_as="tuple")
        results: list[list[tuple[str, float]]] = []
        for row_docs, row_scores in zip(docs, scores):
            hits = [(self.doc_ids[int(d)], float(s)) for d, s in zip(row_docs, row_scores) if s > 0]
            hits.sort(key=lambda h: (-h[1], h[0]))  # deterministic order among ties
            results.append(hits)
        return results

    def _scores(self, tokens: list[str]) -> np.ndarray:
        retriever = self.retriever
        ids = retriever.get_tokens_ids(tokens)
        if not ids:
            return np.zeros(len(self), dtype=np.float32)
        return np.asarray(retriever.get_scores_from_ids(ids), dtype=np.float32)
