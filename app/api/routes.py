"""REST routes: thin over :class:`app.api.services.WaypointService`."""

from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import StreamingResponse

from app.api.schemas import (
    ErrorResponse,
    ExplainRequest,
    ExplainResponse,
    FeedbackRequest,
    FeedbackResponse,
    RecommendRequest,
    RecommendResponse,
)
from app.api.services import ServiceError, WaypointService
from app.security import API_KEY_HEADER, check_api_key, key_identity

router = APIRouter()

ERRORS = {status: {"model": ErrorResponse} for status in (400, 404, 413, 422, 429, 503)}
WRITE_ERRORS = {**ERRORS, 401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}}


class RateLimited(ServiceError):
    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: float):
        super().__init__(f"rate limit exceeded; retry in {retry_after:.1f} s")
        self.retry_after = retry_after


def service(request: Request) -> WaypointService:
    return request.app.state.service


def rate_limit(request: Request, x_api_key: str | None = Header(default=None, alias=API_KEY_HEADER,
                                                                   include_in_schema=False)) -> None:
    state = request.app.state
    identity = key_identity(x_api_key, state.api_keys, request.client.host if request.client else None)
    allowed, retry_after = state.limiter.acquire(identity)
    if not allowed:
        route = request.scope.get("route")
        state.service.metrics.rate_limited.labels(route=getattr(route, "path", request.url.path)).inc()
        raise RateLimited(retry_after)


def require_api_key(request: Request, x_api_key: str | None = Header(
        default=None, alias=API_KEY_HEADER, description="API key (required when the server sets WAYPOINT_API_KEYS).")) -> None:
    problem = check_api_key(x_api_key, request.app.state.api_keys)
    if problem is not None:
        status, message = problem
        raise ServiceError(message, status=status, code="unauthorized" if status == 401 else "forbidden")


def _check_text(request: Request, text: str | None) -> None:
    limit = request.app.state.service.settings.max_text_chars
    if text and len(text) > limit:
        raise ServiceError(f"profile.text is {len(text):,} characters; the limit is {limit:,}", status=413,
                           code="payload_too_large")


@router.post("/v1/recommend", response_model=RecommendResponse, responses=ERRORS, tags=["recommend"],
             dependencies=[Depends(rate_limit)], summary="Recommend occupations, jobs, courses or skills")
def post_recommend(body: RecommendRequest, request: Request, svc: WaypointService = Depends(service)) -> dict:
    _check_text(request, body.profile.text)
    return svc.recommend(body.profile, body.kind.value, body.k, session_id=body.session_id)


@router.post("/v1/explain", response_model=ExplainResponse, responses={
    **ERRORS, 200: {"content": {"text/event-stream": {}, "application/x-ndjson": {}},
                    "description": "The explanation; with stream=true its verified parts as SSE or NDJSON."}},
    tags=["explain"], dependencies=[Depends(rate_limit)], summary="Explain one recommendation for one person")
def post_explain(body: ExplainRequest, request: Request, svc: WaypointService = Depends(service)):
    _check_text(request, body.profile.text)
    explanation = svc.explain(body.profile, body.item_id, backend=body.backend, variant=body.variant,
                              session_id=body.session_id, impression_id=body.impression_id, position=body.position,
                              shown=body.shown)
    if not body.stream:
        return explanation
    ndjson = "application/x-ndjson" in request.headers.get("accept", "")
    parts = stream_parts(explanation)
    if ndjson:
        body_iter = (json.dumps({"event": name, "data": data}, ensure_ascii=False) + "\n" for name, data in parts)
        return StreamingResponse(body_iter, media_type="application/x-ndjson")
    body_iter = (f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n" for name, data in parts)
    return StreamingResponse(body_iter, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def stream_parts(explanation: dict) -> Iterator[tuple[str, object]]:
    """The finished, verified explanation in display order, each claim with its citations resolved.

    ``meta`` → ``summary`` → ``matched_skill``* → ``partial_skill``* → ``missing_skill``* → ``next_step``*
    → ``citations`` → ``done`` (the whole object, so a client can check it got everything).
    """
    by_id = {c["id"]: c for c in explanation.get("citations") or []}

    def resolve(ids) -> list[dict]:
        return [by_id[i] for i in ids or [] if i in by_id]

    yield "meta", {k: explanation.get(k) for k in ("item", "fit", "model", "variant", "propensity", "impression_id",
                                                     "faithfulness", "latency_ms", "fallback_reason")}
    yield "summary", {"text": explanation.get("summary", ""), "citations": resolve(explanation.get("summary_evidence"))}
    for kind, key in (("matched_skill", "matched_skills"), ("partial_skill", "partial_skills"),
                      ("missing_skill", "missing_skills")):
        for skill in explanation.get(key) or []:
            yield kind, {**skill, "citations": resolve(skill.get("evidence"))}
    step_evidence = explanation.get("next_step_evidence") or []
    for n, step in enumerate(explanation.get("next_steps") or []):
        yield "next_step", {"text": step, "citations": resolve(step_evidence[n] if n < len(step_evidence) else [])}
    yield "citations", explanation.get("citations") or []
    yield "done", explanation


@router.post("/v1/feedback", response_model=FeedbackResponse, status_code=201, responses=WRITE_ERRORS,
             tags=["feedback"], dependencies=[Depends(require_api_key), Depends(rate_limit)],
             summary="Record an impression, click, dwell, thumbs or skill correction")
def post_feedback(body: FeedbackRequest, svc: WaypointService = Depends(service)) -> dict:
    event = body.model_dump(exclude_none=True)
    if body.corrections:
        event["corrections"] = [c.model_dump() for c in body.corrections]
    return svc.feedback(event)


@router.get("/healthz", tags=["ops"], summary="Catalogue, LLM backend and events DB health")
def healthz(request: Request, response: Response) -> dict:
    report = request.app.state.health()
    if report["status"] == "down":
        response.status_code = 503
    return report


@router.get("/metrics", tags=["ops"], summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}}})
def metrics(svc: WaypointService = Depends(service)) -> Response:
    return Response(svc.metrics.render(), media_type=svc.metrics.content_type)
