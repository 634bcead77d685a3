"""REST routes: thin over :class:`app.api.services.WaypointService`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi import APIRouter, Body, Depends, Request, Response
from fastapi.openapi.models import Example
from fastapi.responses import StreamingResponse

from app.api.auth import Principal
from app.api.explain_stream import ExplanationStream, open_explanation_stream
from app.api.schemas import (
    ErrorResponse,
    ExplainRequest,
    ExplainResponse,
    FeedbackRequest,
    FeedbackResponse,
    RecommendRequest,
    RecommendResponse,
    UnderstandingOut,
    UnderstandRequest,
)
from app.api.services import DETERMINISTIC, ServiceError, WaypointService

router = APIRouter()

# Every endpoint but /healthz needs a key when the server sets keys (401 without one, 403 with a wrong one).
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (400, 401, 403, 404, 413, 422, 429, 503)
}


def service(request: Request) -> WaypointService:
    return request.app.state.service


def principal(request: Request) -> Principal:
    """Who is calling, as the auth middleware found it (an untrusted anonymous caller when it did not run)."""
    return getattr(request.state, "principal", None) or Principal("anonymous", False, False, "anonymous")


def bind_session(who: Principal, session_id: str | None) -> str | None:
    """The caller's session id, scoped to the caller: reusing someone else's id reaches a different session.

    Conversation memory and feedback rows are keyed by this, so a guessed or leaked id of another
    client pulls none of their turns into your evidence; the same client always maps to the same id.
    """
    if not session_id:
        return session_id
    return "s_" + hashlib.sha256(f"{who.identity}\0{session_id}".encode()).hexdigest()[:32]


def check_backend(who: Principal, backend: str | None, configured: str) -> None:
    """The backend is a server setting: a caller may ask for the cheaper deterministic composer or the
    configured backend, and only a key listed in WAYPOINT_BACKEND_API_KEYS may pick another (an LLM)."""
    if backend is None or backend in (DETERMINISTIC, configured) or who.can_choose_backend:
        return
    raise ServiceError(
        f"backend {backend!r} is not available to this client: the server uses {configured!r} "
        "(or 'deterministic'); choosing another needs a key allowed to (WAYPOINT_BACKEND_API_KEYS)",
        status=403,
        code="forbidden",
    )


def _check_text(request: Request, text: str | None) -> None:
    limit = request.app.state.service.settings.max_text_chars
    if text and len(text) > limit:
        raise ServiceError(
            f"profile.text is {len(text):,} characters; the limit is {limit:,}", status=413, code="payload_too_large"
        )


@router.post(
    "/v1/recommend",
    response_model=RecommendResponse,
    responses=ERRORS,
    tags=["recommend"],
    summary="Recommend occupations, jobs, courses or skills",
)
def post_recommend(body: RecommendRequest, request: Request, svc: WaypointService = Depends(service)) -> dict:
    _check_text(request, body.profile.text)
    return svc.recommend(
        body.profile, body.kind.value, body.k, session_id=bind_session(principal(request), body.session_id)
    )


UNDERSTAND_EXAMPLES: dict[str, Example] = {
    "goal": {
        "summary": "An occupation and a goal",
        "value": {"text": "I'm a firefighter and I want to move into finance"},
    },
    "resume": {
        "summary": "A résumé",
        "value": {
            "text": "Store Manager, Target (2016-2024)\nLed a team of 15; "
            "scheduling, inventory and visual merchandising.\n"
            "Skills: Microsoft Excel, customer service"
        },
    },
    "unclear": {
        "summary": "Nothing Waypoint can use (status nonsense, with a message)",
        "value": {"text": "asdf qwer"},
    },
}


@router.post(
    "/v1/understand",
    response_model=UnderstandingOut,
    responses=ERRORS,
    tags=["understand"],
    summary="What Waypoint understands from a self-description or résumé",
)
def post_understand(
    request: Request,
    body: UnderstandRequest = Body(openapi_examples=UNDERSTAND_EXAMPLES),
    svc: WaypointService = Depends(service),
):
    """The person's occupation(s) linked to O*NET, their skills and credentials, and their goals, each with
    the span of the text that supports it (the same understanding `/v1/recommend` uses for `profile.text`).

    Text Waypoint cannot use is not an error here: it answers 200 with ``status`` ``not_english``,
    ``nonsense``, ``empty`` or ``no_occupation`` and a ``message`` for the person (``/v1/recommend`` refuses
    the same text with a 400 and that message). Empty text is a 422, text over the size limit a 413.
    """
    _check_text(request, body.text)
    return svc.understand(body.text)


STREAM_DESCRIPTION = """The explanation; with `stream=true` its parts as they are written, as SSE (`event:` +
`data:` JSON) or, with `Accept: application/x-ndjson`, one `{"event", "data"}` object per line. The grounded
skeleton comes first, before the LLM starts; text follows as it is verified:

1. `meta`: item, fit, coverage, variant, propensity, backend, `state: "writing"`;
2. `matched_skill`* (stated before inferred, each with `provenance`), `partial_skill`*, `missing_skill`*: the
   skeleton's skills from the evidence, each with its `citations` resolved;
3. `skeleton`: the same as one object shaped like the explanation (`summary` and `next_steps` empty);
4. `next_step`*: `{"text", "citations"}`, each as soon as it is verified (the in-process LLM's steps while it
   still writes the rest);
5. `rewrite` (rare): the LLM's answer was rejected after steps were sent: drop them, the composer's follow;
6. `summary`: `{"text", "citations"}`;
7. `citations`, then `done`: the full explanation, the same object as without `stream` (impression logged once,
   when `done` is sent). Its citation ids are final; earlier events' ids may be renumbered.

Errors (4xx, 503 busy with `Retry-After`) come as plain JSON before the stream starts. A client that closes the
connection stops the LLM and frees its slot; nothing is logged as shown."""


@router.post(
    "/v1/explain",
    response_model=ExplainResponse,
    responses={
        **ERRORS,
        200: {"content": {"text/event-stream": {}, "application/x-ndjson": {}}, "description": STREAM_DESCRIPTION},
    },
    tags=["explain"],
    summary="Explain one recommendation for one person",
)
def post_explain(body: ExplainRequest, request: Request, svc: WaypointService = Depends(service)):
    """One recommendation explained from verified evidence. With ``stream=true`` the response starts as soon
    as the skeleton is known (see the 200 response for the event contract); the LLM slot is held until
    ``done`` or until the client goes away, and a full gate is a 503 before anything is streamed."""
    _check_text(request, body.profile.text)
    who = principal(request)
    check_backend(who, body.backend, svc.settings.llm_backend)
    session_id = bind_session(who, body.session_id)
    if not body.stream:
        return svc.explain(
            body.profile,
            body.item_id,
            backend=body.backend,
            variant=body.variant,
            session_id=session_id,
            impression_id=body.impression_id,
            position=body.position,
            shown=body.shown,
            on_busy="reject",
        )
    # sync route (threadpool): checks, the LLM slot, the evidence and the skeleton, all before the response starts
    stream = open_explanation_stream(
        svc,
        body.profile,
        body.item_id,
        backend=body.backend,
        variant=body.variant,
        session_id=session_id,
        impression_id=body.impression_id,
        position=body.position,
        shown=body.shown,
        on_busy="reject",
    )
    if "application/x-ndjson" in request.headers.get("accept", ""):
        return StreamingResponse(
            _relay(stream, _ndjson, request),
            media_type="application/x-ndjson",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return StreamingResponse(
        _relay(stream, _sse, request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _sse(name: str, data: object) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _ndjson(name: str, data: object) -> str:
    return json.dumps({"event": name, "data": data}, ensure_ascii=False) + "\n"


async def _relay(stream: ExplanationStream, encode, request: Request) -> AsyncIterator[str]:
    """The stream's events, encoded, each read in a worker thread (``next`` blocks while the LLM writes).

    Why not hand Starlette the sync iterator: its threadpool iteration cannot be abandoned, so a client that
    disconnects is noticed only when the next event is ready. Here the wait is abandoned
    (``abandon_on_cancel``) as soon as the client is gone, and :meth:`ExplanationStream.cancel` stops the LLM
    and frees the slot. The client's leaving is watched for, not only met at the next write: with ASGI 2.4
    servers (uvicorn) Starlette no longer listens for ``http.disconnect`` itself, so a client that left while
    the LLM had not yet written a word held its slot until the whole explanation was done."""
    try:
        while True:
            event = await _next_or_gone(stream, request)
            if event is None:
                return
            yield encode(*event)
    finally:
        stream.cancel()


async def _next_or_gone(stream: ExplanationStream, request: Request):
    """The stream's next event, or None when it ended or the client disconnected first."""
    got: list = []
    async with anyio.create_task_group() as group:

        async def read() -> None:
            got.append(await anyio.to_thread.run_sync(next, stream, None, abandon_on_cancel=True))
            group.cancel_scope.cancel()

        async def watch() -> None:
            # waits on the connection itself: Request.is_disconnected() cannot see a disconnect through
            # BaseHTTPMiddleware (its receive always awaits, and is_disconnected only peeks)
            while (await request.receive())["type"] != "http.disconnect":
                pass
            group.cancel_scope.cancel()

        group.start_soon(read)
        group.start_soon(watch)
    return got[0] if got else None


@router.post(
    "/v1/feedback",
    response_model=FeedbackResponse,
    status_code=201,
    responses=ERRORS,
    tags=["feedback"],
    summary="Record an impression, click, dwell, thumbs or skill correction",
)
def post_feedback(body: FeedbackRequest, request: Request, svc: WaypointService = Depends(service)) -> dict:
    event = body.model_dump(exclude_none=True)
    if event.get("session_id"):
        event["session_id"] = bind_session(principal(request), event["session_id"])
    if body.corrections:
        event["corrections"] = [c.model_dump() for c in body.corrections]
    return svc.feedback(event)


@router.get("/healthz", tags=["ops"], summary="Catalogue, LLM backend, events DB and vector store health")
@router.head("/healthz", include_in_schema=False)
async def healthz(request: Request, response: Response) -> dict:
    """``ok`` | ``degraded`` | ``down`` (503) | ``warming`` (503), and each component's state.

    ``async`` on purpose: it reads a report that :class:`app.api.health.HealthMonitor` refreshes in its
    own thread, so it never waits for anyio's worker pool (which slow requests can fill). Paths and
    reasons go only to a trusted caller (API key, or the local user in open mode); when the auth
    middleware did not run, the caller is untrusted.
    """
    who = getattr(request.state, "principal", None)
    trusted = getattr(who, "trusted", False) is True
    report = await request.app.state.service.health_monitor.report(trusted=trusted)
    if report["status"] in ("down", "warming"):
        response.status_code = 503
    return report


@router.get(
    "/metrics",
    tags=["ops"],
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
def metrics(svc: WaypointService = Depends(service)) -> Response:
    return Response(svc.metrics.render(), media_type=svc.metrics.content_type)
