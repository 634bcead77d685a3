"""Security headers on every response: what the browser may load, frame or sniff.

Why a policy this strict works: the UI is served by this process and talks only to it (no CDN, no
third-party scripts; the machine it is built for has no internet anyway). Gradio's page bootstraps
its configuration with inline ``<script>`` blocks, so scripts allow ``'unsafe-inline'`` but no other
origin; the explanation panel renders sanitised Markdown, so an injected tag that survived would
still have nowhere to send anything (``connect-src 'self'``) and could not frame us (``frame-ancestors
'none'``). ``/docs`` serves Swagger UI from the process too (fastapi-offline's assets), so one policy fits all.
"""

from __future__ import annotations

CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' blob:; connect-src 'self'; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

BASE_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
)


class SecurityHeadersMiddleware:
    """Pure ASGI: adds the headers above unless the app already set them."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in (*BASE_HEADERS, (b"content-security-policy", CSP.encode())):
                    if name not in present:
                        headers.append((name, value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
