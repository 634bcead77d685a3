"""``/healthz`` that answers while the server is saturated, and says only what the caller may know.

Why a cached report refreshed in its own thread: the full check touches SQLite, the events database,
the vector store and the LLM probe -- blocking calls that, run in anyio's default worker pool, wait
behind every busy request (45 slow LLM requests once held ``/healthz`` for ~70 s). The route is
``async`` and only reads the last report; a stale one starts a refresh in a dedicated thread (never the
default pool) and the route waits for it briefly, then answers with what it has, marked with its age.
A load balancer gets a truthful answer in well under a second either way.

Why two views: the full report has file paths, database URLs and exception text -- a map of the
server for an attacker. Only a trusted caller (an API key, or the local user in open mode) gets it;
anyone else gets the status and each component's ok/degraded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import anyio

log = logging.getLogger("waypoint.api")

COMPONENTS = ("catalogue", "llm", "explainer", "events", "vector_store", "models")
# The models component's public value per readiness state (app/api/readiness.py), and the fix anyone may read.
MODEL_STATES = {"ready": "ok", "loading": "warming", "not_built": "not_built", "stale": "stale", "failed": "down"}
MODEL_ACTIONS = {
    "not_built": "not built: run `waypoint build`",
    "stale": "stale models (built under other settings or by another version): run `waypoint build`",
}


def public_view(report: dict[str, Any]) -> dict[str, Any]:
    """Status and per-component ``ok`` | ``degraded`` (``down`` for a missing catalogue; the models'
    state by name, with the command that fixes them): no paths, no reasons."""
    degraded = report.get("degraded") or {}
    components = {}
    for name in COMPONENTS:
        if name in degraded:
            components[name] = "down" if name == "catalogue" and report.get("status") == "down" else "degraded"
        else:
            components[name] = "ok"
    model_state = (report.get("models") or {}).get("state")
    if model_state:
        components["models"] = MODEL_STATES.get(model_state, "degraded")
    if "health" in degraded:
        components["health"] = "degraded"
    out: dict[str, Any] = {"status": report.get("status", "degraded"), "components": components}
    if model_state in MODEL_ACTIONS:
        out["message"] = MODEL_ACTIONS[model_state]
    if "stale_s" in report:
        out["stale_s"] = report["stale_s"]
    return out


class HealthMonitor:
    """The latest health report, refreshed on demand in a dedicated daemon thread.

    ``ttl_s``: how long a report counts as fresh. ``wait_s``: how long a request waits for a refresh
    before answering with the stale report. ``first_wait_s``: the wait when there is no report at all
    yet (a cold start has nothing better to say; a readiness probe retries on 503).
    """

    def __init__(
        self,
        check: Callable[[], dict[str, Any]],
        *,
        ttl_s: float = 2.0,
        wait_s: float = 0.3,
        first_wait_s: float = 20.0,
    ) -> None:
        self.check = check
        self.ttl_s = ttl_s
        self.wait_s = wait_s
        self.first_wait_s = first_wait_s
        self._report: dict[str, Any] | None = None
        self._at = 0.0
        self._done: threading.Event | None = None  # set when the running refresh finishes
        self._lock = threading.Lock()

    def _run(self, done: threading.Event) -> None:
        try:
            report = self.check()
        except Exception as exc:  # a failing check is itself a health finding
            log.exception("health check failed")
            report = {"status": "degraded", "degraded": {"health": f"health check failed: {type(exc).__name__}"}}
        with self._lock:
            self._report, self._at = report, time.monotonic()
        done.set()

    def refresh(self) -> threading.Event:
        """Start a refresh unless one is running; the event is set when it finishes."""
        with self._lock:
            if self._done is None or self._done.is_set():
                self._done = threading.Event()
                threading.Thread(target=self._run, args=(self._done,), name="waypoint-health", daemon=True).start()
            return self._done

    def _current(self) -> tuple[dict[str, Any] | None, float]:
        with self._lock:
            return self._report, time.monotonic() - self._at

    async def report(self, *, trusted: bool) -> dict[str, Any]:
        """The report for one request: fresh when it can be had within ``wait_s``, else the last one."""
        report, age = self._current()
        if report is None or age >= self.ttl_s:
            done = self.refresh()
            deadline = time.monotonic() + (self.first_wait_s if report is None else self.wait_s)
            while not done.is_set() and time.monotonic() < deadline:
                await anyio.sleep(0.01)  # on the event loop: no worker thread is needed to wait
            report, age = self._current()
        if report is None:
            report = {"status": "warming", "degraded": {"health": "the first health check is still running"}}
        else:
            report = dict(report)
            if age >= self.ttl_s:
                report["stale_s"] = round(age, 1)
        return report if trusted else public_view(report)
