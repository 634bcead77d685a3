"""Serving only loads: is this home built for this server's settings, and are its models loaded yet?

Why a separate object: the answer is needed in three places that must agree -- ``/healthz`` (503 with
"not built: run `waypoint build`" while they are missing or stale, ``warming`` while they load), every
request that would touch a model (503 with the same message instead of training for minutes), and the
warm-up that ``waypoint serve`` starts at boot so that the first request after ``/healthz`` says ok finds
every model in memory.

The check reads the build manifest and stats the recorded files (:func:`retrieval.artifacts.check`); it is
cached for :attr:`ModelReadiness.CHECK_TTL_S`, so a home built while the server runs is picked up (and
warmed) within seconds without a request paying for the check. The warm-up runs under
:func:`retrieval.artifacts.load_only`: a model the manifest promised but that cannot be loaded fails it
with that artifact's message, it never starts a training.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from retrieval.artifacts import ArtifactError, Readiness, check, load_only
from retrieval.indexing import catalogue_fingerprint
from retrieval.settings import Settings

log = logging.getLogger("waypoint.api")

WarmStep = tuple[str, Callable[[], object]]


class ModelReadiness:
    """Manifest check (cached) and the once-per-process warm-up of one server's models.

    ``steps`` returns the warm-up's named loading steps (the service knows what its requests touch).
    States: ``ready`` | ``loading`` (warm-up running) | ``not_built`` | ``stale`` | ``failed`` (warm-up error).
    While ``loading``, ``/healthz`` answers 503 with status ``warming`` (the public ``models`` component says
    ``warming`` too, a trusted caller reads "warming up: ..." in its detail)
    until the warm-up has finished, so a load balancer sends no request to a server that would be slow.
    """

    CHECK_TTL_S = 2.0

    def __init__(self, settings: Settings, steps: Callable[[], list[WarmStep]]) -> None:
        self.settings = settings
        self.steps = steps
        self._lock = threading.Lock()
        self._readiness: Readiness | None = None
        self._checked_at = 0.0
        self._warm = "idle"  # idle | loading | ready | failed
        self._warm_wanted = False
        self._warm_error: str | None = None
        self._warm_steps: dict[str, float] = {}
        self._warm_started = 0.0
        self._warm_seconds: float | None = None
        self._warm_done = threading.Event()

    # ------------------------------------------------------------------ the manifest
    def check(self) -> Readiness:
        """Whether every required artifact is built for these settings (cached a couple of seconds)."""
        with self._lock:
            if self._readiness is not None and time.monotonic() - self._checked_at < self.CHECK_TTL_S:
                return self._readiness
        from app.build import components

        readiness = check(self.settings, components(), catalogue_fingerprint(self.settings))
        with self._lock:
            self._readiness, self._checked_at = readiness, time.monotonic()
        return readiness

    def require(self) -> None:
        """Raise the :class:`~retrieval.artifacts.ArtifactError` that says what to build, if anything."""
        readiness = self.check()
        if not readiness.ok:
            raise readiness.error()

    # ------------------------------------------------------------------ warm-up
    def start_warmup(self) -> None:
        """Load every model in a background thread now (or as soon as the home is built)."""
        with self._lock:
            self._warm_wanted = True
        self._maybe_start()

    def _maybe_start(self) -> None:
        with self._lock:
            if not self._warm_wanted or self._warm != "idle":
                return
        if not self.check().ok:
            return
        with self._lock:
            if self._warm != "idle":
                return
            self._warm, self._warm_started = "loading", time.monotonic()
            self._warm_done.clear()
        threading.Thread(target=self._run, name="waypoint-warmup", daemon=True).start()

    def _run(self) -> None:
        timings: dict[str, float] = {}
        state, error = "ready", None
        try:
            with load_only():
                for name, step in self.steps():
                    started = time.perf_counter()
                    step()
                    timings[name] = round(time.perf_counter() - started, 2)
        except ArtifactError as exc:
            state, error = "failed", exc.message
        except Exception as exc:  # a failed warm-up is a health finding, not a crash
            log.exception("warm-up failed")
            state, error = "failed", f"loading the models failed: {type(exc).__name__}: {exc}"
        with self._lock:
            self._warm, self._warm_error, self._warm_steps = state, error, timings
            self._warm_seconds = round(time.monotonic() - self._warm_started, 2)
        self._warm_done.set()
        log.info("warm-up %s in %.1fs: %s", state, self._warm_seconds, error or timings)

    @property
    def warmup_pending(self) -> bool:
        """Whether a warm-up was asked for and has not finished (running, or waiting for the home to be
        built): it is what loads the models, so nothing else should load them meanwhile."""
        with self._lock:
            return self._warm_wanted and self._warm in ("idle", "loading")

    def wait(self, timeout_s: float) -> bool:
        """Block until a started warm-up finishes (True) or ``timeout_s`` passes (False)."""
        return self._warm_done.wait(timeout_s)

    # ------------------------------------------------------------------ health
    def status(self) -> dict[str, Any]:
        """The ``models`` component of the health report."""
        readiness = self.check()
        self._maybe_start()  # built since the server started: warm up now
        with self._lock:
            warm = {"state": self._warm, "seconds": self._warm_seconds, "steps": dict(self._warm_steps)}
            warm_error = self._warm_error
        out: dict[str, Any] = {"checked": readiness.checked, "warmup": warm}
        if not readiness.ok:
            out.update(
                state=readiness.state,
                detail=readiness.error().message,
                problems={name: e.message for name, e in readiness.problems.items()},
            )
        elif warm["state"] == "loading":
            out.update(
                state="loading",
                detail="warming up: loading the models and answering one request of "
                "each kind before the first real one",
            )
        elif warm["state"] == "failed":
            out.update(state="failed", detail=warm_error)
        else:
            out.update(
                state="ready", detail="built for these settings" + (", loaded" if warm["state"] == "ready" else "")
            )
        return out
