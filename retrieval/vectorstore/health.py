"""Can this process use the vector store right now? One probe for ``/healthz`` and for CLI commands.

Why a probe that *opens* collections rather than one that only looks: with Qdrant Edge the process
that opens a collection first owns it until it exits. A server therefore claims its collections when
it checks its health (so it recovers by itself once a lock is freed), and a CLI command claims what it
is about to use before doing any work (so it fails clearly up front instead of degrading silently
halfway through). With a Qdrant server (``qdrant_url``) there is no lock: the probe asks the server
for its collections, which also proves it is reachable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from retrieval.settings import Settings, get_settings
from retrieval.vectorstore.locks import StoreLocked, is_lock_error

__all__ = ["StoreHealth", "probe_store"]

OPEN, LOCKED, ERROR, ABSENT = "open", "locked", "error", "absent"


@dataclass
class StoreHealth:
    """The vector store as this process sees it.

    ``collections`` maps a collection to ``open`` | ``locked`` | ``error`` | ``absent`` (not created
    yet: nothing to hold); ``points`` counts what open ones hold; ``problems`` has the full reason per
    collection (paths, holder process: for trusted callers and the local CLI only).
    """

    backend: str
    location: str
    collections: dict[str, str] = field(default_factory=dict)
    points: dict[str, int] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    locked: list[StoreLocked] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One path-free sentence: what is wrong (or that nothing is)."""
        if self.ok:
            n = sum(1 for state in self.collections.values() if state == OPEN)
            return f"{n} collection(s) open"
        parts = []
        if self.locked:
            names = ", ".join(sorted(e.collection for e in self.locked))
            parts.append(f"locked by another process: {names}")
        failing = sorted(name for name, state in self.collections.items() if state == ERROR)
        if failing:
            parts.append(f"cannot be opened: {', '.join(failing)}")
        if not parts:
            parts.append("unreachable")
        return "vector store " + "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """The full report (trusted callers): backend, location, per-collection state, points, reasons."""
        out: dict[str, Any] = {
            "ok": self.ok,
            "backend": self.backend,
            "location": self.location,
            "collections": dict(sorted(self.collections.items())),
            "points": dict(sorted(self.points.items())),
        }
        if self.problems:
            out["problems"] = dict(sorted(self.problems.items()))
        if self.locked:
            retry = [e.retry_in_s for e in self.locked if e.retry_in_s is not None]
            if retry:
                out["next_retry_s"] = round(min(retry), 2)
        return out


def _without_credentials(url: str) -> str:
    """``url`` minus any ``user:password@`` part (the API key travels in a header, never shown)."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _edge_root(settings: Settings) -> Path:
    return settings.index_dir / "qdrant-edge"


def _probe_edge(settings: Settings, names: Iterable[str] | None) -> StoreHealth:
    from retrieval.vectorstore.edge import EdgeStore

    root = _edge_root(settings)
    health = StoreHealth("qdrant-edge", str(root))
    if names is None:
        names = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    for name in names:
        store = EdgeStore(name, root)
        try:
            if not store.open():
                health.collections[name] = ABSENT
                continue
            health.collections[name] = OPEN
            health.points[name] = store.count()
        except StoreLocked as exc:
            health.collections[name] = LOCKED
            health.locked.append(exc)
            health.problems[name] = str(exc)
        except Exception as exc:  # noqa: BLE001 - a probe reports, it never raises
            health.collections[name] = ERROR
            health.problems[name] = f"{type(exc).__name__}: {exc}"
    return health


def _probe_client(settings: Settings, names: Iterable[str] | None) -> StoreHealth:
    from retrieval.vectorstore.client import get_client

    if settings.qdrant_url:
        health = StoreHealth("qdrant-server", _without_credentials(settings.qdrant_url))
    else:
        health = StoreHealth("qdrant-local", settings.qdrant_local_path)
    try:
        client = get_client(
            url=settings.qdrant_url,
            api_key=settings.qdrant_api_key,
            path="" if settings.qdrant_url else settings.qdrant_local_path,
        )
        present = {c.name for c in client.get_collections().collections}
    except Exception as exc:  # noqa: BLE001
        state = LOCKED if is_lock_error(exc) else ERROR
        health.collections["*"] = state
        health.problems["*"] = f"{type(exc).__name__}: {exc}"
        return health
    for name in sorted(present if names is None else names):
        health.collections[name] = OPEN if name in present else ABSENT
    return health


def probe_store(settings: Settings | None = None, collections: Iterable[str] | None = None) -> StoreHealth:
    """Open (and so claim) ``collections`` -- every existing one when None -- and report each one's state.

    Never raises. A collection another process holds is ``locked`` (with its :class:`StoreLocked`);
    retries are spaced by the store's backoff, so calling this often costs little.
    """
    settings = settings or get_settings()
    if settings.qdrant_url or settings.qdrant_local_path:
        return _probe_client(settings, collections)
    return _probe_edge(settings, collections)
