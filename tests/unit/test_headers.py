"""app/api/headers.py: the security headers on every response, the docs page included, and what an app set itself."""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from app.api.headers import BASE_HEADERS, CSP, SecurityHeadersMiddleware


async def _plain(request):
    return PlainTextResponse("ok")


async def _framable(request):
    return PlainTextResponse(
        "ok", headers={"X-Frame-Options": "SAMEORIGIN", "Content-Security-Policy": "default-src *"}
    )


def _client() -> TestClient:
    app = Starlette(
        routes=[
            Route("/v1/x", _plain),
            Route("/docs", _plain),
            Route("/docs/oauth2-redirect", _plain),
            Route("/own", _framable),
        ]
    )
    return TestClient(SecurityHeadersMiddleware(app))


def _directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def test_every_response_carries_the_base_headers_and_the_strict_csp():
    r = _client().get("/v1/x")
    for name, value in BASE_HEADERS:
        assert r.headers[name.decode()] == value.decode()
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"] == CSP


def test_error_responses_get_them_too():
    r = _client().get("/not-a-route")
    assert r.status_code == 404 and r.headers["content-security-policy"] == CSP


def test_the_strict_policy_allows_no_other_origin():
    policy = _directives(CSP)
    assert policy["default-src"] == ["'self'"] and policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert not re.search(r"https?:|\*", CSP)  # no remote origin, no wildcard anywhere


def test_the_docs_page_gets_the_same_strict_policy():
    assert _client().get("/docs").headers["content-security-policy"] == CSP


def test_headers_the_app_set_itself_are_kept():
    r = _client().get("/own")
    assert r.headers["x-frame-options"] == "SAMEORIGIN"
    assert r.headers["content-security-policy"] == "default-src *"
    assert r.headers["referrer-policy"] == "no-referrer"  # the ones it did not set are still added
    assert len(r.headers.get_list("x-frame-options")) == 1


def test_non_http_scopes_pass_through_untouched():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    import anyio

    anyio.run(SecurityHeadersMiddleware(app), {"type": "lifespan"}, None, None)
    assert seen == ["lifespan"]
