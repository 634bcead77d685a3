"""Shared plumbing for ``retrieval.skills``: the catalogue connection, its fingerprint, the cache
folder and the input errors every entry point raises.

Artifacts (graph, alias trie, skill-label embeddings, ESCO map) are derived from the catalogue, so
they are stored under ``settings.index_dir / "skills_graph"`` with the catalogue fingerprint in their
file name: a new ingest yields a new fingerprint and the artifacts are rebuilt on first use.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from retrieval.artifacts import require_build_allowed
from retrieval.catalogue.db import connect, get_meta
from retrieval.settings import Settings, get_settings

T = TypeVar("T")

_CONNS: dict[str, sqlite3.Connection] = {}
_LOCK = threading.RLock()


class SkillsInputError(ValueError):
    """Bad input to a skills entry point (the CLI answers exit code 2, the API a 4xx)."""


class UnknownIdError(SkillsInputError):
    """An id (occupation, posting, skill) that the catalogue does not know."""


def catalogue(settings: Settings | None = None) -> sqlite3.Connection:
    """A process-wide read-only connection to the catalogue of ``settings``."""
    settings = settings or get_settings()
    key = str(Path(settings.catalogue_path).resolve())
    with _LOCK:
        conn = _CONNS.get(key)
        if conn is None:
            conn = connect(Path(settings.catalogue_path), readonly=True)
            _CONNS[key] = conn
        return conn


def fingerprint(conn: sqlite3.Connection) -> str:
    """The catalogue's fingerprint (meta 'fingerprint'); artifacts are keyed by its first 16 chars."""
    value = get_meta(conn, "fingerprint")
    if not value:
        raise RuntimeError("catalogue has no fingerprint; run `waypoint ingest`")
    return value


def artifact_dir(settings: Settings | None = None) -> Path:
    """``index_dir / "skills_graph"``, created on demand."""
    settings = settings or get_settings()
    path = Path(settings.index_dir) / "skills_graph"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cached_pickle(path: Path, build: Callable[[], T]) -> T:
    """Load ``path`` if it exists, else ``build()`` and write it atomically (tmp file + rename).

    Atomic replacement matters because several processes (CLI, API, tests) may build the same
    artifact at once; each writes its own tmp file and the last rename wins with identical content.
    """
    if path.exists():
        try:
            with path.open("rb") as fh:
                return pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            pass  # corrupt or stale class layout: rebuild
    require_build_allowed(f"the skills artifact {path.name}")
    value = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return value


def model_tag(*parts: object) -> str:
    """Short hash naming a vector file by what produced it (model key, text version, row count)."""
    import hashlib

    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:8]


def memo_key(settings: Settings | None, name: str) -> tuple[str, str]:
    """Key for per-process memo dicts: (catalogue path, name)."""
    settings = settings or get_settings()
    return (str(Path(settings.catalogue_path).resolve()), name)


_MEMO: dict[tuple[str, str], Any] = {}


def memoised(settings: Settings | None, name: str, build: Callable[[], T]) -> T:
    """Per-process memo keyed by catalogue path + fingerprint-bearing ``name``: load once per process."""
    key = memo_key(settings, name)
    with _LOCK:
        if key not in _MEMO:
            _MEMO[key] = build()
        return _MEMO[key]
