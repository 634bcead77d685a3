"""A streamed explanation as a service call: what ``POST /v1/explain?stream=true`` and the UI's "Why?" read.

Why a module beside :meth:`app.api.services.WaypointService.explain` and not a flag on it: a stream is
an object with a lifetime. It is opened synchronously -- the input checked, an LLM slot taken (or 503
``Overloaded``), the evidence built and the skeleton computed -- so every error is still an HTTP status,
and only then does the response start. Its events come while the LLM writes, and it ends in one of two
ways: ``done`` (metrics, the impression row and the log line, exactly once, as ``explain`` does them), or
abandoned by its reader (a closed connection, a page left), in which case the LLM stops at its next
forward pass, nothing is logged as shown, and the slot is given back. The slot is given back exactly once,
whichever comes first: the end of the events, :meth:`ExplanationStream.cancel`, or the stream object
being garbage-collected without ever having been read (a response that never started).

Events, in order (``name``, JSON data) -- the contract the route documents:

* ``meta`` -- ``item``, ``fit``, ``coverage``, ``variant``, ``propensity``, ``backend`` (the one that will
  write), ``state: "writing"``;
* ``matched_skill``* / ``partial_skill``* / ``missing_skill``* -- the skeleton's skills from the evidence,
  each with its ``citations`` resolved;
* ``skeleton`` -- the same, as one explanation-shaped object with ``state: "writing"``, empty ``summary``
  and ``next_steps`` (what a client renders until the text comes);
* ``next_step``* -- ``{"text", "citations"}``, each as soon as it is verified;
* ``rewrite`` -- only when steps were streamed and the LLM's answer was then rejected as a whole: discard
  the streamed text, the composer's follows;
* ``summary`` -- ``{"text", "citations"}``;
* ``citations`` -- the final explanation's citations;
* ``done`` -- the final explanation, the very object ``POST /v1/explain`` returns without ``stream``.

Citation ids before ``done`` are the ones the explanation so far has; ``done`` is authoritative (the
LLM may keep other skills than the skeleton's, which renumbers them). Every event resolves its citations
inline, so a client never needs to look an id up.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Generator, Iterator
from typing import Any

from app.api.schemas import ExplainResponse
from app.api.services import (
    NotFound,
    ServiceError,
    WaypointService,
    _skill_errors,
)
from app.feedback.exploration import DEFAULT_VARIANT, VariantChoice
from app.feedback.policies import activate
from retrieval.artifacts import load_only
from retrieval.profile import Profile, ProfileError

log = logging.getLogger("waypoint.api")

Event = tuple[str, Any]


class _Once:
    """Call ``fn`` the first time only (the slot is given back by whichever path ends the stream first)."""

    def __init__(self, fn: Callable[[], None]) -> None:
        self._fn: Callable[[], None] | None = fn
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            fn, self._fn = self._fn, None
        if fn is not None:
            fn()


class ExplanationStream:
    """The events of one explanation being written; iterate once (one reader), :meth:`cancel` to abandon.

    ``next()`` blocks while the LLM writes; it runs under :func:`retrieval.artifacts.load_only` like every
    request. Thread-safe against :meth:`cancel` from another thread (the route's disconnect handler)."""

    def __init__(
        self, events: Generator[Event, None, None], release: Callable[[], None], cancel: threading.Event
    ) -> None:
        self._events = events
        self._release = _Once(release)
        self._cancel = cancel
        self._lock = threading.Lock()
        self._closed = False
        # a stream dropped unread (its response never started) still gives its slot back
        weakref.finalize(self, self._release)

    def __iter__(self) -> ExplanationStream:
        return self

    def __next__(self) -> Event:
        with self._lock:
            if self._closed:
                raise StopIteration
            try:
                with load_only():
                    event = next(self._events)
            except BaseException:
                self._close()
                raise
            if self._cancel.is_set() or event[0] == "done":
                self._close()
            return event

    def cancel(self) -> None:
        """The reader went away: stop the LLM, log nothing as shown, give the slot back."""
        self._cancel.set()
        if self._lock.acquire(blocking=False):  # else the reading thread sees the flag within 0.1 s and closes
            try:
                self._close()
            finally:
                self._lock.release()

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._cancel.set()
        try:
            self._events.close()
        finally:
            self._release()


def open_explanation_stream(
    svc: WaypointService,
    profile: Profile,
    item_id: str,
    *,
    backend: str | None = None,
    variant: str | None = None,
    session_id: str | None = None,
    impression_id: str | None = None,
    position: int | None = None,
    shown: list[str] | None = None,
    surface: str = "explanation",
    log_impression: bool = True,
    on_busy: str = "fallback",
) -> ExplanationStream:
    """:meth:`WaypointService.explain` as a stream (same arguments, same checks, same errors, same events
    logged at the end). Returns once the skeleton is computed: the first events are ready to send."""
    item_id, found, backend, uses_llm, busy = svc._admit_explanation(item_id, backend, on_busy)
    release = svc.llm_gate.leave if uses_llm else (lambda: None)
    cancel = threading.Event()
    try:
        events = _events(
            svc,
            profile,
            item_id,
            found,
            backend=backend,
            variant=variant,
            session_id=session_id,
            impression_id=impression_id,
            position=position,
            shown=shown,
            surface=surface,
            log_impression=log_impression,
            busy=busy,
            cancel=cancel,
        )
        with svc._serving():
            first = next(events)  # the evidence and the skeleton: input errors surface here, as statuses
    except BaseException:
        release()
        raise
    return ExplanationStream(_chain(first, events), release, cancel)


def _chain(first: list[Event], rest: Generator[Event, None, None]) -> Generator[Event, None, None]:
    try:
        yield from first
        yield from rest
    finally:
        rest.close()


def _events(
    svc: WaypointService,
    profile: Profile,
    item_id: str,
    found: tuple[str, str],
    *,
    backend: str | None,
    variant: str | None,
    session_id: str | None,
    impression_id: str | None,
    position: int | None,
    shown: list[str] | None,
    surface: str,
    log_impression: bool,
    busy: bool,
    cancel: threading.Event,
) -> Generator[Any, None, None]:
    """First yields the list of skeleton events, then each later event (see the module doc)."""
    started = time.perf_counter()
    planned = backend or svc.settings.llm_backend

    def finish(out: dict, choice: VariantChoice, elapsed: float) -> dict:
        """Metrics, the impression row and the log line, once (WaypointService.explain's own)."""
        return svc._finish_explanation(
            out,
            choice,
            elapsed,
            profile,
            item_id,
            found,
            busy=busy,
            backend=backend,
            session_id=session_id,
            impression_id=impression_id,
            position=position,
            shown=shown,
            surface=surface,
            log_impression=log_impression,
        )

    if svc._explain_fn is not None:  # an explain function given to the service (tests): it cannot stream
        out, choice, elapsed = svc._explain_once(
            profile, item_id, backend=backend, variant=variant, session_id=session_id
        )
        yield _skeleton_events(_skeleton_of(out), choice, planned)
        yield from _text_events(finish(out, choice, elapsed))
        return
    from app.explain.service import explain_stream

    choice = svc.choose_variant(variant)
    chosen = None if choice.variant == DEFAULT_VARIANT else choice.variant
    SkillsInputError, UnknownIdError = _skill_errors()
    stream = explain_stream(
        profile, item_id, backend=backend, session_id=session_id, variant=chosen, settings=svc.settings, cancel=cancel
    )

    def advance() -> Event | None:
        with activate(choice):  # the chosen explainer policy writes it, as in WaypointService._explain_once
            return next(stream, None)

    try:
        try:
            _name, skeleton = advance() or ("", {})
        except UnknownIdError as exc:
            raise NotFound(str(exc)) from None
        except (ProfileError, SkillsInputError, ValueError) as exc:
            raise ServiceError(str(exc)) from None
        yield _skeleton_events(skeleton, choice, planned)
        while (event := advance()) is not None:
            name, data = event
            if name != "done":
                yield name, data
                continue
            out = finish(data.model_dump(mode="json"), choice, time.perf_counter() - started)
            out = ExplainResponse.model_validate(out).model_dump(mode="json")  # what the plain call answers
            yield "citations", out.get("citations") or []
            yield "done", out
    finally:
        stream.close()


def _skeleton_of(finished: dict) -> dict:
    out = {
        k: finished.get(k)
        for k in (
            "item",
            "fit",
            "coverage",
            "matched_skills",
            "partial_skills",
            "missing_skills",
            "citations",
            "variant",
        )
    }
    out.update(state="writing", summary="", next_steps=[], next_step_evidence=[])
    return out


def _skeleton_events(skeleton: dict, choice, planned: str) -> list[Event]:
    """``meta``, one event per skill (citations resolved), then the ``skeleton`` object."""
    skeleton = {**skeleton, "variant": choice.variant, "propensity": choice.propensity}
    by_id = {c["id"]: c for c in skeleton.get("citations") or []}
    events: list[Event] = [
        (
            "meta",
            {
                "item": skeleton.get("item"),
                "fit": skeleton.get("fit"),
                "coverage": skeleton.get("coverage"),
                "variant": choice.variant,
                "propensity": choice.propensity,
                "backend": planned,
                "state": "writing",
            },
        )
    ]
    for kind, key in (
        ("matched_skill", "matched_skills"),
        ("partial_skill", "partial_skills"),
        ("missing_skill", "missing_skills"),
    ):
        for skill in skeleton.get(key) or []:
            events.append((kind, {**skill, "citations": [by_id[i] for i in skill.get("evidence") or [] if i in by_id]}))
    events.append(("skeleton", skeleton))
    return events


def _text_events(out: dict) -> Iterator[Event]:
    """The text events of a finished explanation (a service whose explain function cannot stream)."""
    by_id = {c["id"]: c for c in out.get("citations") or []}
    step_cites = out.get("next_step_evidence") or []
    for n, step in enumerate(out.get("next_steps") or []):
        ids = step_cites[n] if n < len(step_cites) else []
        yield "next_step", {"text": step, "citations": [by_id[i] for i in ids if i in by_id]}
    yield "summary", {"text": out.get("summary", ""), "citations": []}
    out = ExplainResponse.model_validate(out).model_dump(mode="json")
    yield "citations", out.get("citations") or []
    yield "done", out


__all__ = ["ExplanationStream", "open_explanation_stream"]
