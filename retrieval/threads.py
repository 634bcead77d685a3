"""How many CPU threads torch, LightGBM and implicit may use: one policy for the whole code base.

Two kinds of work, two answers:

* **bulk work** (encoding a catalogue field, building the skills graph, training a ranker, ALS):
  :func:`bulk_threads` -- ``settings.compute_threads``, or every core when it is 0. On a machine of
  its own (CI, a server building its indexes) that is the fastest choice; on a shared development
  machine set ``WAYPOINT_COMPUTE_THREADS=1``: with other processes busy, 2 OpenMP threads on 2
  cores were measured ~15× slower than 1 for MiniLM (the workers spin against each other).
* **query-time work** (encoding one request's text): always one thread, ``torch_threads(1)``. The
  inputs are tiny, and many requests run at once in the server's thread pool.

torch's thread count is process-global, so :func:`torch_threads` serialises the change with a lock
and restores the previous value afterwards.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.RLock()


def bulk_threads(settings=None) -> int:
    """Threads for bulk work: ``settings.compute_threads`` or, when it is 0, every core."""
    if settings is None:
        from retrieval.settings import get_settings

        settings = get_settings()
    configured = int(getattr(settings, "compute_threads", 0) or 0)
    return configured if configured > 0 else (os.cpu_count() or 1)


@contextmanager
def torch_threads(n: int | None = None, settings=None) -> Iterator[int]:
    """Run a block with ``n`` torch intra-op threads (default: :func:`bulk_threads`), then restore."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch always ships with sentence-transformers
        yield n or 1
        return
    n = n or bulk_threads(settings)
    with _LOCK:
        before = torch.get_num_threads()
        torch.set_num_threads(n)
    try:
        yield n
    finally:
        with _LOCK:
            torch.set_num_threads(before)
