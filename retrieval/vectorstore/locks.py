"""Who holds an embedded vector store, and when to try opening it again.

Why this exists: a Qdrant Edge shard takes an exclusive ``flock`` on its ``wal/`` directory, so only one
process at a time can open a collection (Qdrant Edge 0.9 has no read-only open). A second process --
``waypoint explain`` beside ``waypoint serve``, or a server started while a CLI run held the store --
gets an opaque ``Can't init WAL: Kind(WouldBlock)``. This module turns that into :class:`StoreLocked`,
which names the collection, the lock and (on Linux, from ``/proc/locks``) the process holding it, so a
CLI can say what to do and ``/healthz`` can say why it is degraded. :class:`Backoff` spaces the
retries so a server recovers on its own once the lock is freed, without paying a failed open on
every request meanwhile.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Backoff", "LockHolder", "StoreLocked", "is_lock_error", "lock_holder"]

# What the lock failure looks like: Qdrant Edge's WAL flock (EWOULDBLOCK), and qdrant-client's local mode.
_LOCK_MARKERS = ("WouldBlock", "Resource temporarily unavailable", "already accessed by another instance")


def is_lock_error(exc: BaseException) -> bool:
    """Whether ``exc`` says another process holds the store (rather than a corrupt or missing one)."""
    return isinstance(exc, StoreLocked) or any(marker in str(exc) for marker in _LOCK_MARKERS)


@dataclass(frozen=True)
class LockHolder:
    """The process holding a lock, as ``/proc/locks`` and ``/proc/<pid>/cmdline`` name it."""

    pid: int
    command: str

    def describe(self) -> str:
        return f"process {self.pid} ({self.command})" if self.command else f"process {self.pid}"


def _command(pid: int, limit: int = 120) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    text = " ".join(" ".join(part.decode("utf-8", "replace").split()) for part in raw.split(b"\0") if part)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def lock_holder(path: str | Path) -> LockHolder | None:
    """The process holding a ``flock``/``fcntl`` lock on ``path`` (None when unknown or not Linux).

    ``/proc/locks`` lines read ``1: FLOCK ADVISORY WRITE <pid> <major>:<minor>:<inode> 0 EOF``; the device
    numbers are hex and, on overlay filesystems, may differ from ``stat``'s, so the inode decides and the
    device only breaks ties.
    """
    try:
        st = os.stat(path)
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    candidates: list[tuple[bool, int]] = []
    for line in lines:
        fields = line.split()
        if len(fields) < 6 or fields[1] == "->":  # "->" marks a waiter, not the holder
            continue
        try:
            pid = int(fields[4])
            major, minor, inode = fields[5].split(":")
            same_inode = int(inode) == st.st_ino
            same_dev = (int(major, 16), int(minor, 16)) == (os.major(st.st_dev), os.minor(st.st_dev))
        except ValueError:
            continue
        if same_inode and pid > 0:
            candidates.append((same_dev, pid))
    if not candidates:
        return None
    _same_dev, pid = max(candidates)
    return LockHolder(pid, _command(pid))


class StoreLocked(RuntimeError):
    """A vector-store collection another process holds open (Qdrant Edge: one process per store)."""

    def __init__(
        self,
        collection: str,
        path: str | Path,
        holder: LockHolder | None = None,
        *,
        retry_in_s: float | None = None,
        cause: str = "",
    ) -> None:
        self.collection = collection
        self.path = str(path)
        self.holder = holder
        self.retry_in_s = retry_in_s
        self.cause = cause
        who = holder.describe() if holder else "another process"
        super().__init__(
            f"vector store collection {collection!r} at {self.path} is locked by {who}: "
            "Qdrant Edge lets one process open a store at a time"
        )

    @classmethod
    def at(cls, collection: str, path: str | Path, cause: str = "") -> StoreLocked:
        """The error for ``collection`` stored at ``path``, naming whoever holds ``path/wal`` now."""
        return cls(collection, path, lock_holder(Path(path) / "wal") or lock_holder(path), cause=cause)

    def again(self, retry_in_s: float) -> StoreLocked:
        """The same failure, raised again while waiting out the backoff (a fresh object: no traceback growth)."""
        return StoreLocked(self.collection, self.path, self.holder, retry_in_s=retry_in_s, cause=self.cause)

    @property
    def public_message(self) -> str:
        """What an unauthenticated caller may read: no path, no process."""
        return f"collection {self.collection!r} is locked by another process"


class Backoff:
    """Per-key retry gate: after ``n`` consecutive failures, wait ``min(base * 2**(n-1), cap)`` seconds.

    Why: a server that found the store locked must retry (the holder may be a CLI run that ends in a
    minute), but failing an open on every request costs ~0.1 s each and floods the log. A success
    forgets the key. ``pending`` hands back the last error while the wait lasts, so callers fail fast.
    """

    def __init__(self, base_s: float = 0.5, cap_s: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.base_s = base_s
        self.cap_s = cap_s
        self.clock = clock
        self._state: dict[str, tuple[int, float, StoreLocked]] = {}  # key -> (failures, retry_at, error)
        self._lock = threading.Lock()

    def pending(self, key: str) -> StoreLocked | None:
        """The error to raise instead of trying now, or None when an attempt is due."""
        with self._lock:
            state = self._state.get(key)
            if state is None:
                return None
            _failures, retry_at, error = state
            wait = retry_at - self.clock()
            return error.again(round(wait, 2)) if wait > 0 else None

    def failed(self, key: str, error: StoreLocked) -> float:
        """Record a failed attempt; returns the seconds until the next one is allowed."""
        with self._lock:
            failures = self._state.get(key, (0, 0.0, error))[0] + 1
            delay = min(self.base_s * 2 ** (failures - 1), self.cap_s)
            self._state[key] = (failures, self.clock() + delay, error)
            return delay

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._state.pop(key, None)
