"""One authentication and rate-limiting layer in front of every surface: REST, the Gradio UI and its
queue, /metrics and /docs.

Why one ASGI middleware and not FastAPI dependencies: dependencies guard only the routes that remember
to declare them, and the UI is a mounted sub-application whose queue endpoints (``/ui/gradio_api/...``)
no FastAPI dependency of ours ever sees. A middleware sees every request, so a new route or a new
Gradio endpoint is covered by default.

Modes:

* **keys set** (``WAYPOINT_API_KEYS``): every path but ``/healthz`` and ``/login`` needs a credential —
  ``X-API-Key``, ``Authorization: Bearer <key>``, or the signed, HttpOnly login cookie the UI's
  ``/login`` form sets (a browser cannot send headers). No credential: 401 (a browser asking for a page
  is sent to ``/login``); a wrong one: 403.
* **open local mode** (no keys): a single person on their own machine. ``waypoint serve`` refuses to bind
  a non-loopback address in this mode (:func:`check_bind`), so the mode never faces a network.

Every request is charged against its client's budget (the API key's, else the client IP's; the IP
comes from ``X-Forwarded-For`` only when the peer is a configured trusted proxy). The charge is
cost-aware: an LLM explanation costs ``rate_limit_llm_cost``, static UI assets and health checks cost
nothing. The identity is put in ``scope["state"]["principal"]`` for the routes (backend choice,
session binding, what /healthz may show).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import ipaddress
import json
import time
from dataclasses import dataclass
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.api.limits import Limiter
from app.api.services import DETERMINISTIC

API_KEY_HEADER = "X-API-Key"
COOKIE_NAME = "waypoint_auth"
LOGIN_PATH = "/login"
LOCAL = "local"
# Paths anyone may reach: the health check (load balancers carry no key) and the login form itself.
PUBLIC_PATHS = frozenset({"/healthz", LOGIN_PATH, "/logout"})
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


# ------------------------------------------------------------------------------------------- keys
def key_id(key: str) -> str:
    """A public name for a key (its SHA-256, 128 bits): what buckets, cookies and logs carry instead of the key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def parse_keys(raw: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(k.strip() for k in (raw or "").split(",") if k.strip()))


@dataclass(frozen=True)
class Principal:
    """Who is calling. ``trusted``: authenticated by key or cookie, or the local user in open mode."""

    identity: str
    trusted: bool
    can_choose_backend: bool
    via: str  # "api_key" | "cookie" | "local" | "anonymous"


LOCAL_PRINCIPAL = Principal(LOCAL, True, False, "local")  # the one person of the open local mode


class KeyRing:
    """The configured keys, compared in constant time, and the cookie signer derived from them.

    The cookie's signing secret is derived from the keys themselves, so rotating the keys also ends
    every login session and there is no second secret to manage.
    """

    def __init__(self, keys: tuple[str, ...], backend_keys: tuple[str, ...] = ()):
        self.keys = tuple(keys) + tuple(k for k in backend_keys if k not in keys)
        self._backend = frozenset(key_id(k) for k in backend_keys)
        self._ids = frozenset(key_id(k) for k in self.keys)
        self._secret = hashlib.sha256(
            b"waypoint-cookie-v1\0" + b"\0".join(sorted(k.encode("utf-8") for k in self.keys))
        ).digest()

    @property
    def enabled(self) -> bool:
        return bool(self.keys)

    def check(self, given: str) -> str | None:
        """The key's id when ``given`` is a configured key, else None (every key compared, in constant time)."""
        found = None
        for key in self.keys:
            if hmac.compare_digest(given.encode("utf-8"), key.encode("utf-8")):
                found = key_id(key)
        return found

    def principal(self, kid: str, via: str) -> Principal:
        return Principal("key:" + kid, True, kid in self._backend, via)

    def cookie(self, kid: str, ttl_s: int, now: float | None = None) -> str:
        expires = int((now or time.time()) + ttl_s)
        payload = f"{kid}.{expires}"
        return payload + "." + hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()

    def check_cookie(self, value: str, now: float | None = None) -> str | None:
        try:
            kid, expires, sig = value.split(".")
            expected = hmac.new(self._secret, f"{kid}.{expires}".encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(sig, expected) or int(expires) < (now or time.time()) or kid not in self._ids:
                return None
        except ValueError:
            return None
        return kid


# --------------------------------------------------------------------------------------- clients
def parse_networks(raw: str | None) -> tuple[ipaddress._BaseNetwork, ...]:
    nets = []
    for part in (raw or "").split(","):
        part = part.strip()
        if part:
            nets.append(ipaddress.ip_network(part, strict=False))
    return tuple(nets)


def _in(addr: str, nets) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in net for net in nets)


def client_ip(peer: str | None, forwarded_for: str | None, trusted) -> str:
    """The client's address: the peer, or — when the peer is a trusted proxy — the right-most
    ``X-Forwarded-For`` hop that is not itself a trusted proxy (left-most hops are the client's to forge)."""
    addr = peer or "unknown"
    if not trusted or not forwarded_for or not _in(addr, trusted):
        return addr
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if not _in(hop, trusted):
            return hop
    return addr


def is_loopback_host(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class InsecureBind(ValueError):
    """A non-loopback bind without API keys: the open local mode must not face a network."""


def check_bind(host: str, settings) -> None:
    if not parse_keys(settings.api_keys) and not is_loopback_host(host):
        raise InsecureBind(
            f"refusing to serve on {host} without API keys: anyone who can reach it could use the UI, write "
            "feedback events and run the LLM. Set WAYPOINT_API_KEYS (comma-separated) or bind 127.0.0.1."
        )


# ------------------------------------------------------------------------------------------ costs
def request_cost(method: str, path: str, settings) -> float:
    """What a request costs against its client's per-minute budget."""
    if path in PUBLIC_PATHS and method in ("GET", "HEAD"):
        return 0.0
    llm = settings.llm_backend != DETERMINISTIC
    if method == "POST" and (path == "/v1/explain" or path.startswith("/ui/gradio_api/queue/join")):
        return float(settings.rate_limit_llm_cost) if llm else 1.0
    if method == "POST" and path == LOGIN_PATH:
        return 10.0  # a password guess is not a lookup
    if method in ("GET", "HEAD") and path.startswith("/ui"):
        return 0.0  # the page, its scripts and styles: cheap static files, dozens per visit
    return 1.0


# ------------------------------------------------------------------------------------- middleware
class AuthMiddleware:
    """Authenticates, rate-limits and tags every HTTP and WebSocket request (see the module docstring)."""

    def __init__(self, app, *, settings, keyring: KeyRing, limiter: Limiter, metrics=None):
        self.app = app
        self.settings = settings
        self.keyring = keyring
        self.limiter = limiter
        self.metrics = metrics
        self.trusted = parse_networks(settings.trusted_proxies)
        # Rate-limit bookkeeping may touch the database: keep it off the event loop, in its own small pool,
        # so it neither blocks the loop nor waits behind the request worker threads.
        self._db_slots = anyio.CapacityLimiter(8)

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        path = scope.get("path", "")
        method = scope.get("method", "GET") if scope["type"] == "http" else "GET"
        peer = (scope.get("client") or (None,))[0]
        ip = client_ip(peer, headers.get("x-forwarded-for"), self.trusted)
        principal, problem = self._authenticate(headers)
        public = path in PUBLIC_PATHS
        if problem is not None and not public:
            status, message = problem
            await self._deny(scope, send, headers, status, "unauthorized" if status == 401 else "forbidden", message)
            return
        cost = request_cost(method, path, self.settings)
        if cost > 0:
            identity = principal.identity if principal.via in ("api_key", "cookie") else "ip:" + ip
            allowed, retry_after = await anyio.to_thread.run_sync(
                self.limiter.acquire, identity, cost, limiter=self._db_slots
            )
            if not allowed:
                if self.metrics is not None:
                    self.metrics.rate_limited.labels(route=_route_family(path)).inc()
                await self._deny(
                    scope,
                    send,
                    headers,
                    429,
                    "rate_limited",
                    f"rate limit exceeded; retry in {retry_after:.1f} s",
                    {"retry-after": str(max(1, round(retry_after)))},
                )
                return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    def _authenticate(self, headers: dict[str, str]) -> tuple[Principal, tuple[int, str] | None]:
        if not self.keyring.enabled:
            return LOCAL_PRINCIPAL, None
        given = headers.get(API_KEY_HEADER.lower())
        auth = headers.get("authorization", "")
        if not given and auth[:7].lower() == "bearer ":
            given = auth[7:].strip()
        if given:
            kid = self.keyring.check(given)
            if kid is None:
                return _anonymous(), (403, "invalid API key")
            return self.keyring.principal(kid, "api_key"), None
        cookie = _cookie(headers.get("cookie", ""), COOKIE_NAME)
        if cookie:
            kid = self.keyring.check_cookie(cookie)
            if kid is not None:
                return self.keyring.principal(kid, "cookie"), None
        missing = (
            f"missing API key: send it in the {API_KEY_HEADER} header, as a Bearer token, or sign in at {LOGIN_PATH}"
        )
        return _anonymous(), (401, missing)

    async def _deny(self, scope, send, headers, status: int, code: str, message: str, extra: dict | None = None):
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        wants_page = scope.get("method") == "GET" and "text/html" in headers.get("accept", "")
        if status == 401 and wants_page:
            target = scope.get("path", "/")
            if scope.get("query_string"):
                target += "?" + scope["query_string"].decode("latin-1")
            await _send(send, 303, b"", {"location": f"{LOGIN_PATH}?next={quote(target, safe='')}"})
            return
        body = json.dumps({"error": code, "message": message}).encode()
        await _send(send, status, body, {"content-type": "application/json", **(extra or {})})


def _anonymous() -> Principal:
    return Principal("anonymous", False, False, "anonymous")


def _route_family(path: str) -> str:
    """A bounded metrics label: the REST path, or the surface for UI and other paths."""
    if path.startswith("/v1/") or path in PUBLIC_PATHS or path in ("/metrics", "/docs", "/openapi.json"):
        return path
    return "/ui" if path.startswith("/ui") else "other"


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        k, _, v = part.strip().partition("=")
        if k == name:
            return v
    return None


async def _send(send, status: int, body: bytes, headers: dict[str, str]) -> None:
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


# ------------------------------------------------------------------------------------- login page
login_router = APIRouter(include_in_schema=False)

LOGIN_FORM = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Waypoint — sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}}
input,button{{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box;margin:.3rem 0}}
.err{{color:#b00020}}</style></head><body><h1>Waypoint</h1>
<p>This server needs an access key. Ask whoever runs it for one.</p>{error}
<form method="post" action="/login"><input type="hidden" name="next" value="{next}">
<label for="key">Access key</label><input id="key" name="key" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form></body></html>"""


def _safe_next(target: str | None) -> str:
    """Only a local path: never ``//host`` or a scheme, so the form cannot redirect elsewhere."""
    target = target or "/ui/"
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/ui/"
    return target


@login_router.get(LOGIN_PATH, response_class=HTMLResponse)
def login_page(request: Request, next: str = "/ui/") -> Response:  # the form, or a redirect when keys are off
    if not request.app.state.keyring.enabled:
        return RedirectResponse(_safe_next(next), status_code=303)
    return HTMLResponse(LOGIN_FORM.format(error="", next=html.escape(_safe_next(next))))


@login_router.post(LOGIN_PATH)
async def login(request: Request, key: str = Form(""), next: str = Form("/ui/")):
    state = request.app.state
    target = _safe_next(next)
    kid = state.keyring.check(key) if key else None
    if kid is None:
        page = LOGIN_FORM.format(error="<p class='err'>That key is not valid.</p>", next=html.escape(target))
        return HTMLResponse(page, status_code=403)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        state.keyring.cookie(kid, state.settings.auth_cookie_ttl_s),
        max_age=state.settings.auth_cookie_ttl_s,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@login_router.post("/logout")
def logout() -> RedirectResponse:
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response
