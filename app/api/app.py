"""The FastAPI application: ``create_app(settings)`` wires services, security, metrics and the UI."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.api.admin import admin_router
from app.api.auth import AuthMiddleware, KeyRing, login_router, parse_keys
from app.api.headers import SecurityHeadersMiddleware
from app.api.limits import BodySizeLimitMiddleware, make_limiter
from app.api.metrics import Metrics
from app.api.routes import router
from app.api.services import ServiceError, WaypointService
from app.feedback.exploration import Explorer
from app.privacy.secret import check_secret_config
from app.security import install_log_redaction
from retrieval.settings import Settings, get_settings

log = logging.getLogger("waypoint.api")

DESCRIPTION = """Waypoint recommends occupations, jobs, courses and skills and explains each recommendation
from retrieved, verified evidence. When the server sets `WAYPOINT_API_KEYS`, every endpoint but `/healthz`
needs a key (`X-API-Key` header or `Authorization: Bearer`; the UI signs in at `/login`). Every client has
a per-minute budget (an LLM explanation costs more than a lookup): over it, 429 with `Retry-After`; when
the LLM is saturated, `/v1/explain` answers 503 with `Retry-After`. Bodies over
`WAYPOINT_MAX_REQUEST_BYTES` are refused with 413. Errors are `{"error": ..., "message": ...}`.
The chat UI is at [/ui](/ui)."""

# Body limits: the REST API's, and a larger one for the UI's queue (each event carries the chat history).
UI_BODY_PREFIXES = ("/ui/gradio_api/queue/", "/ui/gradio_api/run/", "/ui/gradio_api/api/", "/login")


def _error(status: int, code: str, message: str, detail: list | None = None, headers: dict | None = None):
    body: dict[str, Any] = {"error": code, "message": message}
    if detail is not None:
        body["detail"] = detail
    return JSONResponse(body, status_code=status, headers=headers)


def _loc(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "body"


def _route_label(request: Request, routes: list) -> str:
    """The route template (``/v1/explain``), ``/ui`` for the UI, ``unmatched`` otherwise: bounded label values."""
    if request.url.path.startswith("/ui"):
        return "/ui"
    path = getattr(request.scope.get("route"), "path", None)
    if path:
        return path
    for candidate in routes:
        match, _ = candidate.matches(request.scope)
        if match == Match.FULL:
            return getattr(candidate, "path", "unmatched")
    return "unmatched"


def create_app(
    settings: Settings | None = None,
    *,
    mount_ui: bool = True,
    explorer: Explorer | None = None,
    service: WaypointService | None = None,
) -> FastAPI:
    """A ready-to-serve Waypoint app.

    ``settings`` default to :func:`retrieval.settings.get_settings`. ``mount_ui=False`` skips the Gradio UI
    (faster start for API-only tests). ``explorer`` overrides the exploration policy (tests seed it).
    """
    settings = settings or get_settings()
    check_secret_config(
        settings
    )  # a required salt that is missing, or an exposed secret file: fail now, not mid-request
    install_log_redaction()
    svc = service or WaypointService(settings, metrics=Metrics(), explorer=explorer)
    # Swagger UI from packaged assets (fastapi-offline), not a CDN: /docs works offline and under our CSP.
    app = FastAPIOffline(
        title="Waypoint",
        version="0.1.0",
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.service = svc
    app.state.settings = settings
    app.state.keyring = KeyRing(parse_keys(settings.api_keys), parse_keys(settings.backend_api_keys))
    app.state.limiter = make_limiter(settings)
    app.include_router(router)
    app.include_router(admin_router)
    app.include_router(login_router)

    # ----------------------------------------------------------------- errors: 4xx with a message
    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, exc: ServiceError):
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(max(1, round(retry_after)))} if retry_after else None
        return _error(exc.status, exc.code, exc.message, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError):
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            first = next(e for e in errors if e.get("type") == "json_invalid")
            ctx = first.get("ctx") or {}
            return _error(400, "malformed_json", f"malformed JSON body: {ctx.get('error', 'cannot parse')}")
        detail = [
            {"loc": list(map(str, e.get("loc", ()))), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in errors
        ]
        message = "; ".join(f"{_loc(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in errors[:10])
        return _error(422, "validation_error", message or "invalid request", detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException):
        codes = {
            404: "not_found",
            405: "method_not_allowed",
            413: "payload_too_large",
            401: "unauthorized",
            403: "forbidden",
            400: "bad_request",
        }
        return _error(
            exc.status_code,
            codes.get(exc.status_code, "http_error"),
            str(exc.detail),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception):  # pragma: no cover - a bug, logged and contained
        log.exception("unhandled error: %s", type(exc).__name__)
        return _error(500, "internal_error", "internal error; the request was not completed")

    # ----------------------------------------------------------------- metrics per route template
    routes = [r for r in app.router.routes]

    @app.middleware("http")
    async def _timing(request: Request, call_next):
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            label = _route_label(request, routes)
            svc.metrics.request_latency.labels(route=label, method=request.method, status=str(status)).observe(
                time.perf_counter() - started
            )
            svc.metrics.requests.labels(route=label, method=request.method, status=str(status)).inc()

    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes, prefixes=("/v1/",))
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=4 * settings.max_request_bytes, prefixes=UI_BODY_PREFIXES)
    # Outermost last: security headers on every answer (denials too), then authentication and limits.
    app.add_middleware(
        AuthMiddleware, settings=settings, keyring=app.state.keyring, limiter=app.state.limiter, metrics=svc.metrics
    )
    app.add_middleware(SecurityHeadersMiddleware)

    if mount_ui:
        from app.ui.chat import mount_ui as _mount

        app = _mount(app, svc)
    return app
