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
and restores the previous value afterwards. An entry point (a CLI command, the server, a trainer) that
chooses a count for the rest of its process says so with :func:`set_process_threads`, and BLAS, whose
thread pool is also process-global, is limited per block with :func:`blas_threads` (threadpoolctl):
nothing in the code base calls ``torch.set_num_threads`` or sets ``OPENBLAS_NUM_THREADS`` itself, and
no module changes either when it is imported.
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


def set_process_threads(n: int | None = None, settings=None, *, blas: bool = False) -> int:
    """Set torch's intra-op threads for the rest of the process: ``n``, or :func:`bulk_threads` when None
    or 0; with ``blas``, BLAS's too (the server: many requests, each on one thread). For entry points only
    (a command, the server, a trainer); a block inside a long-lived process uses :func:`torch_threads`,
    which restores the count. Returns the count set."""
    import torch

    n = max(1, int(n or 0) or bulk_threads(settings))
    with _LOCK:
        torch.set_num_threads(n)
    if blas:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=n, user_api="blas")  # not as a context: it stays for the process
    return n


@contextmanager
def blas_threads(n: int = 1) -> Iterator[int]:
    """Run a block with BLAS (OpenBLAS, MKL) limited to ``n`` threads, then restore: for code that runs its
    own thread pool over BLAS calls (implicit's ALS), where nested BLAS threads oversubscribe the cores.
    threadpoolctl changes the loaded library's setting; the ``OPENBLAS_NUM_THREADS`` variable is read only
    when the library loads, so setting it from Python after numpy is imported does nothing."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=n, user_api="blas"):
        yield n


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
