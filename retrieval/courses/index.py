"""The course index `waypoint build` makes and serving loads: languages, dense vectors, BM25.

Why built, not computed per request: embedding ~5,800 course texts takes a minute on two cores, and
detecting languages needs the catalogue-wide vocabulary. The index is one ``.npz`` (vectors, ids,
languages) keyed by the catalogue fingerprint; BM25 over the same texts is rebuilt on load (well under
a second for this catalogue, and it keeps the file format to numpy arrays).
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.courses.catalogue import CourseRecord, load_courses
from retrieval.settings import Settings

INDEX_VERSION = "1"


@dataclass
class CourseIndex:
    """Every course with its language, its dense vector (unit norm) and a BM25 index over its text."""

    records: list[CourseRecord]
    languages: list[str]
    vectors: np.ndarray
    bm25: object
    position: dict[str, int]

    def record(self, course_id: str) -> CourseRecord:
        return self.records[self.position[course_id]]

    def language(self, course_id: str) -> str:
        return self.languages[self.position[course_id]]


def index_path(settings: Settings, fingerprint: str) -> Path:
    return settings.index_dir / "courses" / f"course-index-v{INDEX_VERSION}-{fingerprint[:16]}.npz"


def _catalogue_fingerprint(settings: Settings) -> str:
    from retrieval.indexing import catalogue_fingerprint

    return catalogue_fingerprint(settings) or "none"


def build_index(settings: Settings, show_progress: bool = False) -> Path:
    """Detect languages and embed every course; write the ``.npz`` atomically (kept when current)."""
    from retrieval.artifacts import require_build_allowed
    from retrieval.catalogue.db import connect
    from retrieval.courses.language import course_languages, vocabulary
    from retrieval.embeddings import Embedder

    path = index_path(settings, _catalogue_fingerprint(settings))
    if path.exists():
        return path
    require_build_allowed("the course index")
    records = load_courses(settings)
    conn = connect(settings.catalogue_path, readonly=True)
    try:
        vocab = vocabulary(conn)
    finally:
        conn.close()
    languages = course_languages(records, vocab)
    embedder = Embedder.from_settings(settings)
    vectors = (
        embedder.encode([r.passage() for r in records], show_progress=show_progress)
        if records
        else np.zeros((0, 384), dtype=np.float32)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    np.savez(
        tmp,
        ids=np.array([r.id for r in records]),
        vectors=np.asarray(vectors, dtype=np.float32),
        languages=np.array([languages[r.id] for r in records]),
        meta=np.array(json.dumps({"version": INDEX_VERSION, "courses": len(records)})),
    )
    os.replace(tmp, path)
    return path


_INDEXES: dict[str, CourseIndex] = {}
_LOCK = threading.Lock()


def get_index(settings: Settings) -> CourseIndex:
    """The built index for this catalogue, loaded once per process (:class:`NotBuilt` when missing)."""
    from retrieval.artifacts import NotBuilt
    from retrieval.bm25 import BM25Index

    path = index_path(settings, _catalogue_fingerprint(settings))
    key = str(path.resolve())
    with _LOCK:
        if key in _INDEXES:
            return _INDEXES[key]
        if not path.exists():
            from retrieval.artifacts import building_allowed

            if not building_allowed():
                raise NotBuilt("not built: run `waypoint build` (the course index is missing)")
            build_index(settings)
        data = np.load(path, allow_pickle=False)
        ids = [str(x) for x in data["ids"]]
        by_id = {r.id: r for r in load_courses(settings)}
        records = [by_id[i] for i in ids if i in by_id]
        keep = [n for n, i in enumerate(ids) if i in by_id]
        vectors = np.asarray(data["vectors"], dtype=np.float32)[keep]
        languages = [str(data["languages"][n]) for n in keep]
        bm25 = BM25Index.build((r.id, r.search_text()) for r in records) if records else None
        index = CourseIndex(
            records=records,
            languages=languages,
            vectors=vectors,
            bm25=bm25,
            position={r.id: n for n, r in enumerate(records)},
        )
        _INDEXES[key] = index
        return index


def reset_cache() -> None:
    with _LOCK:
        _INDEXES.clear()
