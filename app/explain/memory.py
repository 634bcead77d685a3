"""RAG memory for explanations, in Qdrant (Edge embedded by default, qdrant-client at scale).

Collections (all prefixed ``explain_`` so they never collide with the recommender's):

* ``explain_occupation`` -- per O*NET occupation: its description and its tasks in chunks of
  :data:`TASKS_PER_CHUNK` (payload ``item_id``, ``section``), so evidence for a (profile, item) pair
  is the item's passages ranked by relevance to the profile (hybrid dense + BM25, filtered by item).
* ``explain_skill`` -- every skill some O*NET occupation requires (label + description).
* ``explain_course`` -- every course (title, provider, level, description, skill tags).
* ``explain_posting`` -- every job posting (title, company, first chunk of the description).
* ``explain_profile`` -- a person's redacted profile text in chunks, keyed by ``owner`` (session or
  hashed profile id): a long résumé is searched for the part relevant to the item.
* ``explain_turn`` -- past conversation turns, keyed by ``owner`` (session id).

Why the catalogue collections are built once per catalogue fingerprint: embedding ~20k passages
costs minutes on 2 cores, and a rebuilt catalogue changes ids and text. Each collection holds a meta
point (``kind='meta'``) with the fingerprint; :func:`build_memory` skips collections that carry the
current one. Everything that reads memory degrades to the catalogue (SQLite) when a collection is
missing or locked, so explanations never depend on the index being there.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrieval.settings import Settings, get_settings
from retrieval.skills.evidence import stable_hash

log = logging.getLogger(__name__)

MEMORY_VERSION = "explain-memory-1"
PREFIX = "explain_"
OCCUPATION, SKILL, COURSE, POSTING, PROFILE, TURN = "occupation", "skill", "course", "posting", "profile", "turn"
CATALOGUE_COLLECTIONS = (OCCUPATION, SKILL, COURSE, POSTING)
TASKS_PER_CHUNK = 5
PROFILE_CHUNK_CHARS = 600
POSTING_CHARS = 900
META_DOC = "__meta__"
_locks: dict[str, threading.Lock] = {}


@dataclass(frozen=True)
class Passage:
    """A retrieved piece of text with where it came from (becomes a numbered citation)."""

    doc_id: str
    source: str
    text: str
    score: float = 0.0


def collection_name(kind: str) -> str:
    return PREFIX + kind


def _store(kind: str, settings: Settings, dim: int | None = None):
    from retrieval.vectorstore import open_store

    return open_store(collection_name(kind), settings, dim=dim)


def _embedder(settings: Settings):
    from retrieval.embeddings import get_embedder

    return get_embedder(settings)


def _catalogue(settings: Settings) -> sqlite3.Connection:
    from retrieval.catalogue.db import connect

    return connect(settings.catalogue_path, readonly=True)


def _fingerprint(conn: sqlite3.Connection) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
    if not row:
        raise RuntimeError("catalogue has no fingerprint; run `waypoint ingest`")
    return f"{MEMORY_VERSION}:{row[0]}"


# ------------------------------------------------------------------------------------------------
# chunking


def chunk_text(text: str, max_chars: int = PROFILE_CHUNK_CHARS) -> list[str]:
    """Split text at line/sentence boundaries into chunks of at most ~``max_chars`` characters."""
    text = (text or "").strip()
    if not text:
        return []
    pieces = [p.strip() for p in re.split(r"(?<=[.!?;])\s+|\n+", text) if p and p.strip()]
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        while len(piece) > max_chars:  # a run-on line without punctuation
            cut = piece.rfind(" ", 0, max_chars)
            cut = cut if cut > max_chars // 2 else max_chars
            if current:
                chunks.append(current)
                current = ""
            chunks.append(piece[:cut].strip())
            piece = piece[cut:].strip()
        if current and len(current) + 1 + len(piece) > max_chars:
            chunks.append(current)
            current = piece
        else:
            current = f"{current} {piece}".strip()
    if current:
        chunks.append(current)
    return chunks


# ------------------------------------------------------------------------------------------------
# catalogue documents


@dataclass
class Doc:
    doc_id: str
    text: str
    payload: dict[str, Any]


def occupation_docs(conn: sqlite3.Connection, only: Iterable[str] | None = None) -> Iterator[Doc]:
    """Description + task chunks of O*NET occupations (and of ``only`` ids, whatever their taxonomy)."""
    if only is not None:
        ids = sorted(set(only))
        marks = ",".join("?" * len(ids))
        rows = conn.execute(
            f"SELECT id, title, description FROM occupation WHERE id IN ({marks}) ORDER BY id", ids
        ).fetchall()
    else:
        rows = conn.execute(
            "SELECT id, title, description FROM occupation WHERE taxonomy = 'onet' ORDER BY id"
        ).fetchall()
    for occ_id, title, description in rows:
        if description:
            yield Doc(
                f"occ:{occ_id}:description",
                f"{title}: {description}",
                {"item_id": occ_id, "section": "description", "title": title, "text": description},
            )
        tasks = [
            r[0]
            for r in conn.execute(
                "SELECT text FROM task WHERE occupation_id = ? ORDER BY task_type = 'Supplemental', task_id", (occ_id,)
            )
        ]
        for i in range(0, len(tasks), TASKS_PER_CHUNK):
            body = " ".join(t.rstrip(".") + "." for t in tasks[i : i + TASKS_PER_CHUNK])
            yield Doc(
                f"occ:{occ_id}:tasks:{i // TASKS_PER_CHUNK}",
                f"{title} tasks: {body}",
                {"item_id": occ_id, "section": "tasks", "chunk": i // TASKS_PER_CHUNK, "title": title, "text": body},
            )


def skill_docs(conn: sqlite3.Connection, only: Iterable[str] | None = None) -> Iterator[Doc]:
    """Skills that O*NET occupations require (``only``: these skill ids instead)."""
    if only is not None:
        ids = sorted(set(only))
        marks = ",".join("?" * len(ids))
        rows = conn.execute(f"SELECT id, label, kind, description FROM skill WHERE id IN ({marks}) ORDER BY id", ids)
    else:
        rows = conn.execute(
            """SELECT s.id, s.label, s.kind, s.description FROM skill s WHERE s.id IN (
                 SELECT DISTINCT os.skill_id FROM occupation_skill os JOIN occupation o ON o.id = os.occupation_id
                 WHERE o.taxonomy = 'onet') ORDER BY s.id"""
        )
    for sid, label, kind, description in rows:
        text = f"{label}: {description}" if description else label
        yield Doc(f"skill:{sid}", text, {"skill_id": sid, "label": label, "skill_kind": kind, "text": text})


def course_docs(conn: sqlite3.Connection, only: Iterable[str] | None = None) -> Iterator[Doc]:
    if only is not None:
        ids = sorted(set(only))
        marks = ",".join("?" * len(ids))
        rows = conn.execute(
            f"SELECT id, provider, title, description, level, skills FROM course WHERE id IN ({marks}) ORDER BY id", ids
        )
    else:
        rows = conn.execute("SELECT id, provider, title, description, level, skills FROM course ORDER BY id")
    for cid, provider, title, description, level, skills in rows:
        head = f"{title} ({provider}{', ' + level if level else ''})"
        body = (description or "")[:600]
        text = f"{head}: {body}" + (f" Skills: {skills}" if skills else "")
        yield Doc(
            f"course:{cid}",
            text,
            {"course_id": cid, "title": title, "provider": provider, "level": level, "text": text},
        )


def posting_docs(conn: sqlite3.Connection, only: Iterable[str] | None = None) -> Iterator[Doc]:
    if only is not None:
        ids = sorted(set(only))
        marks = ",".join("?" * len(ids))
        rows = conn.execute(
            f"SELECT id, title, company, description, qualifications FROM job_posting WHERE id IN ({marks}) ORDER BY id",
            ids,
        )
    else:
        rows = conn.execute(
            "SELECT id, title, company, description, qualifications FROM job_posting "
            "WHERE duplicate_of IS NULL ORDER BY id"
        )
    for pid, title, company, description, qualifications in rows:
        body = " ".join(filter(None, [qualifications, description]))
        for n, chunk in enumerate(chunk_text(body, POSTING_CHARS)[:2]):
            yield Doc(
                f"posting:{pid}:{n}",
                f"{title} at {company}: {chunk}",
                {"item_id": pid, "section": "posting", "chunk": n, "title": title, "text": chunk},
            )


_BUILDERS = {OCCUPATION: occupation_docs, SKILL: skill_docs, COURSE: course_docs, POSTING: posting_docs}


# ------------------------------------------------------------------------------------------------
# building


def _meta_point(dim: int, fingerprint: str, count: int):
    from retrieval.vectorstore import PointData

    vec = np.zeros(dim, dtype=np.float32)
    vec[0] = 1.0
    return PointData(META_DOC, "meta", vec, None, {"fingerprint": fingerprint, "count": count})


def memory_status(settings: Settings | None = None) -> dict[str, Any]:
    """Per catalogue collection: whether it exists and which fingerprint it was built for."""
    settings = settings or get_settings()
    out: dict[str, Any] = {}
    for kind in CATALOGUE_COLLECTIONS:
        try:
            store = _store(kind, settings)
            if not store.exists():
                out[kind] = {"built": False}
                continue
            meta = store.get([META_DOC]).get(META_DOC) or {}
            out[kind] = {"built": bool(meta), "fingerprint": meta.get("fingerprint"), "count": meta.get("count")}
        except Exception as exc:  # noqa: BLE001 - status never raises
            out[kind] = {"built": False, "error": f"{type(exc).__name__}: {exc}"}
    return out


def build_memory(
    settings: Settings | None = None,
    *,
    kinds: Iterable[str] = CATALOGUE_COLLECTIONS,
    only: dict[str, Iterable[str]] | None = None,
    force: bool = False,
    show_progress: bool = True,
    batch_size: int = 512,
) -> dict[str, Any]:
    """Embed catalogue documents into the ``explain_*`` collections; idempotent per catalogue fingerprint.

    ``only`` restricts a kind to some ids (``{"occupation": ["21-1091.00"]}``), for tests and quick
    setups; such a partial build is marked with its own fingerprint so a later full build replaces
    it. ``force`` rebuilds even when the fingerprint matches. Returns per-kind counts and timings.
    Safe to call from ``waypoint ingest`` (prints a progress bar per collection).
    """
    import time

    from tqdm.auto import tqdm

    from retrieval.vectorstore import PointData

    settings = settings or get_settings()
    conn = _catalogue(settings)
    try:
        fingerprint = _fingerprint(conn)
        embedder = _embedder(settings)
        dim = int(embedder.dim)
        report: dict[str, Any] = {}
        for kind in kinds:
            if kind not in _BUILDERS:
                raise ValueError(f"unknown memory collection {kind!r}; expected one of {', '.join(_BUILDERS)}")
            subset = None if only is None or kind not in only else list(only[kind])
            fp = fingerprint if subset is None else f"{fingerprint}:subset:{stable_hash(sorted(subset))}"
            store = _store(kind, settings)
            if not force and store.exists():
                meta = store.get([META_DOC]).get(META_DOC) or {}
                if meta.get("fingerprint") == fp:
                    report[kind] = {"skipped": True, "count": meta.get("count")}
                    continue
            started = time.perf_counter()
            docs = list(_BUILDERS[kind](conn, subset))
            store.recreate(dim)
            written = 0
            bar = tqdm(total=len(docs), desc=f"memory:{kind}", unit="doc", disable=not show_progress)
            for start in range(0, len(docs), batch_size):
                batch = docs[start : start + batch_size]
                vectors = embedder.encode([d.text for d in batch])
                written += store.upsert(PointData(d.doc_id, kind, v, d.text, d.payload) for d, v in zip(batch, vectors))
                bar.update(len(batch))
            bar.close()
            store.upsert([_meta_point(dim, fp, written)])  # last: a crash mid-build leaves no meta, so it rebuilds
            store.optimize()
            report[kind] = {"skipped": False, "count": written, "seconds": round(time.perf_counter() - started, 1)}
        return report
    finally:
        conn.close()


def ingest_hook(settings: Settings | None = None, show_progress: bool = True) -> dict[str, Any]:
    """What ``waypoint ingest`` calls after the catalogue is built: build (or skip) the RAG memory."""
    return build_memory(settings, show_progress=show_progress)


# ------------------------------------------------------------------------------------------------
# retrieval


def _safe(default):
    """Memory is an enhancement: a missing/locked collection or a backend error yields ``default``."""

    def wrap(fn):
        def inner(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001
                log.warning("explain memory: %s failed: %s: %s", fn.__name__, type(exc).__name__, exc)
                return default() if callable(default) else default

        inner.__name__ = fn.__name__
        inner.__doc__ = fn.__doc__
        return inner

    return wrap


def _hybrid(kind: str, query: str, k: int, where: dict[str, Any], settings: Settings) -> list[Any]:
    store = _store(kind, settings)
    if not store.exists():
        return []
    vec = _embedder(settings).encode_one(query[:2000])
    return store.search_hybrid(vec, query[:2000], k, kind=kind, where=where)


@_safe(list)
def item_passages(item_id: str, query: str, k: int = 2, settings: Settings | None = None) -> list[Passage]:
    """The item's passages (occupation description/task chunks, posting chunks) most relevant to ``query``."""
    settings = settings or get_settings()
    kind = POSTING if item_id.startswith("posting:") else OCCUPATION
    hits = _hybrid(kind, query, k, {"item_id": item_id}, settings)
    out = []
    for h in hits:
        section = h.payload.get("section", "")
        source = f"{item_id}:{section}" if kind == POSTING else f"{_occ_prefix(item_id)}:{item_id}:{section}"
        out.append(Passage(h.doc_id, source, str(h.payload.get("text", "")), float(h.score)))
    return out


def _occ_prefix(item_id: str) -> str:
    return "esco" if item_id.startswith("esco:") else "onet"


def _owner_lock(owner: str) -> threading.Lock:
    return _locks.setdefault(owner, threading.Lock())


@_safe(0)
def remember_profile(owner: str, text: str, settings: Settings | None = None) -> int:
    """Store the profile text of ``owner`` in chunks, PII-redacted; returns how many were written.

    Callers pass redacted text already; it is redacted again here (idempotent, so the chunks and
    their ids do not change) because this is the last step before the text is persisted on disk.
    Chunks are keyed by their content hash, so re-sending the same résumé writes nothing new; chunks
    of an older version of the text are removed.
    """
    from app.privacy.redactor import redact_text
    from retrieval.vectorstore import PointData

    settings = settings or get_settings()
    chunks = chunk_text(redact_text(text) or "")
    if not owner or not chunks:
        return 0
    embedder = _embedder(settings)
    store = _store(PROFILE, settings, dim=int(embedder.dim))
    ids = [f"profile:{owner}:{stable_hash(c)}" for c in chunks]
    with _owner_lock(owner):
        have = store.get(ids)
        if len(have) == len(set(ids)) and store.count(kind=PROFILE, where={"owner": owner}) == len(set(ids)):
            return 0
        store.delete(kind=PROFILE, where={"owner": owner})
        vectors = embedder.encode(chunks)
        return store.upsert(
            PointData(i, PROFILE, v, c, {"owner": owner, "chunk": n, "text": c})
            for n, (i, c, v) in enumerate(zip(ids, chunks, vectors))
        )


@_safe(list)
def profile_passages(owner: str, query: str, k: int = 1, settings: Settings | None = None) -> list[Passage]:
    """The owner's profile chunks most relevant to ``query`` (owner filter: nobody sees another's)."""
    settings = settings or get_settings()
    hits = _hybrid(PROFILE, query, k, {"owner": owner}, settings)
    return [Passage(h.doc_id, "profile", str(h.payload.get("text", "")), float(h.score)) for h in hits]


@_safe(0)
def remember_turn(session_id: str, role: str, text: str, settings: Settings | None = None) -> int:
    """Append one conversation turn to the session's memory, PII-redacted (as everything persisted is)."""
    from app.privacy.redactor import redact_text
    from retrieval.vectorstore import PointData

    settings = settings or get_settings()
    text = redact_text(text or "") or ""
    if not session_id or not text.strip():
        return 0
    embedder = _embedder(settings)
    store = _store(TURN, settings, dim=int(embedder.dim))
    with _owner_lock(f"turn:{session_id}"):
        n = store.count(kind=TURN, where={"owner": session_id})
        vec = embedder.encode_one(text[:2000])
        return store.upsert(
            [
                PointData(
                    f"turn:{session_id}:{n}",
                    TURN,
                    vec,
                    text[:2000],
                    {"owner": session_id, "turn": n, "role": role, "text": text[:2000]},
                )
            ]
        )


@_safe(list)
def recall_turns(
    session_id: str, query: str, k: int = 2, settings: Settings | None = None, *, role: str | None = None
) -> list[Passage]:
    """The session's past turns most relevant to ``query`` (only ``role``'s, when given), oldest first."""
    settings = settings or get_settings()
    where: dict[str, Any] = {"owner": session_id} | ({"role": role} if role else {})
    hits = _hybrid(TURN, query, k, where, settings)
    hits.sort(key=lambda h: int(h.payload.get("turn", 0)))
    return [
        Passage(
            h.doc_id,
            f"session:{session_id}:turn:{h.payload.get('turn')}",
            str(h.payload.get("text", "")),
            float(h.score),
        )
        for h in hits
    ]
