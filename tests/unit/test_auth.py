"""app/api/auth.py: keys and signed cookies, the client address behind trusted proxies, request costs,
the bind check, and the middleware itself in front of a small real app (no server needed: Starlette's
TestClient speaks ASGI to it in process)."""

from __future__ import annotations

import hashlib
import ipaddress

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.api.auth import (
    COOKIE_NAME,
    LOCAL_PRINCIPAL,
    AuthMiddleware,
    InsecureBind,
    KeyRing,
    _cookie,
    _route_family,
    _safe_next,
    check_bind,
    client_ip,
    is_loopback_host,
    key_id,
    parse_keys,
    parse_networks,
    request_cost,
)
from app.api.limits import RateLimiter
from retrieval.settings import Settings

NOW = 1_700_000_000.0


# ------------------------------------------------------------------------------------------------ keys
def test_key_id_is_a_public_128_bit_name():
    kid = key_id("s3cret")
    assert kid == hashlib.sha256(b"s3cret").hexdigest()[:32]
    assert len(kid) == 32 and "s3cret" not in kid and key_id("s3cret2") != kid


def test_parse_keys_strips_drops_blanks_and_duplicates_in_order():
    assert parse_keys(" b, a ,, b ,") == ("b", "a")
    assert parse_keys("") == () and parse_keys(None) == ()


def test_keyring_checks_keys_and_names_the_principal():
    ring = KeyRing(("alpha", "beta"), backend_keys=("gamma",))
    assert ring.enabled and not KeyRing(()).enabled
    assert ring.check("alpha") == key_id("alpha")
    assert ring.check("gamma") == key_id("gamma")  # a backend key is also an API key
    assert ring.check("alph") is None and ring.check("") is None and ring.check("alpha ") is None
    plain, backend = ring.principal(key_id("alpha"), "api_key"), ring.principal(key_id("gamma"), "cookie")
    assert plain.identity == "key:" + key_id("alpha") and plain.trusted and not plain.can_choose_backend
    assert backend.can_choose_backend and backend.via == "cookie"


def test_cookies_round_trip_until_they_expire():
    ring = KeyRing(("alpha",))
    cookie = ring.cookie(key_id("alpha"), ttl_s=60, now=NOW)
    kid, expires, signature = cookie.split(".")
    assert kid == key_id("alpha") and int(expires) == NOW + 60 and len(signature) == 64
    assert ring.check_cookie(cookie, now=NOW + 59) == key_id("alpha")
    assert ring.check_cookie(cookie, now=NOW + 61) is None


def test_tampered_malformed_and_foreign_cookies_are_refused():
    ring = KeyRing(("alpha",))
    cookie = ring.cookie(key_id("alpha"), ttl_s=60, now=NOW)
    kid, expires, signature = cookie.split(".")
    assert ring.check_cookie(f"{kid}.{int(expires) + 3600}.{signature}", now=NOW) is None  # extended by hand
    assert ring.check_cookie(f"{key_id('beta')}.{expires}.{signature}", now=NOW) is None
    assert ring.check_cookie(cookie[:-1] + ("0" if cookie[-1] != "0" else "1"), now=NOW) is None
    for junk in ("", "a.b", "a.b.c.d", f"{kid}.soon.{signature}"):
        assert ring.check_cookie(junk, now=NOW) is None
    assert KeyRing(("other",)).check_cookie(cookie, now=NOW) is None  # another server's cookie


def test_rotating_the_keys_ends_every_session():
    old = KeyRing(("alpha", "beta"))
    cookie = old.cookie(key_id("alpha"), ttl_s=3600, now=NOW)
    assert KeyRing(("alpha", "beta")).check_cookie(cookie, now=NOW)  # same keys: same secret
    assert KeyRing(("alpha", "delta")).check_cookie(cookie, now=NOW) is None  # rotated: a new secret
    assert KeyRing(("beta",)).check_cookie(cookie, now=NOW) is None  # its key removed


def test_cookie_header_parsing():
    assert _cookie(f"a=1; {COOKIE_NAME}=xyz; b=2", COOKIE_NAME) == "xyz"
    assert _cookie("a=1", COOKIE_NAME) is None and _cookie("", COOKIE_NAME) is None
    assert _cookie(f"{COOKIE_NAME}x=1", COOKIE_NAME) is None


# --------------------------------------------------------------------------------------------- clients
PROXIES = parse_networks("10.0.0.0/8, 192.168.1.1, fd00::/8")


def test_parse_networks():
    assert PROXIES == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("192.168.1.1/32"),
        ipaddress.ip_network("fd00::/8"),
    )
    assert parse_networks("10.1.2.3/8") == (ipaddress.ip_network("10.0.0.0/8"),)  # host bits allowed
    assert parse_networks("") == () and parse_networks(None) == ()
    with pytest.raises(ValueError):
        parse_networks("not-a-network")


@pytest.mark.parametrize(
    "peer, forwarded, expected",
    [
        ("203.0.113.9", None, "203.0.113.9"),  # no header
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # untrusted peer: header ignored
        ("10.0.0.5", "198.51.100.1", "198.51.100.1"),  # trusted proxy: its client
        ("10.0.0.5", "1.1.1.1, 198.51.100.1", "198.51.100.1"),  # left-most hops are forgeable
        ("10.0.0.5", "198.51.100.1, 10.0.0.7", "198.51.100.1"),  # a chain of trusted proxies
        ("10.0.0.5", "10.0.0.6, 192.168.1.1", "10.0.0.5"),  # every hop trusted: the peer
        ("10.0.0.5", "garbage, 10.0.0.6", "garbage"),  # what the proxy wrote, verbatim
        ("10.0.0.5", " , ", "10.0.0.5"),
        ("fd00::1", "2001:db8::7", "2001:db8::7"),  # IPv6 proxy
        (None, "198.51.100.1", "unknown"),
    ],
)
def test_client_ip_behind_trusted_proxies(peer, forwarded, expected):
    assert client_ip(peer, forwarded, PROXIES) == expected


def test_client_ip_without_trusted_proxies_is_the_peer():
    assert client_ip("10.0.0.5", "198.51.100.1", ()) == "10.0.0.5"


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.4", False),
        ("example.com", False),
    ],
)
def test_loopback_hosts(host, loopback):
    assert is_loopback_host(host) is loopback


def test_open_mode_refuses_a_network_bind(tmp_path):
    open_mode = Settings(home=tmp_path, api_keys="")
    check_bind("127.0.0.1", open_mode)
    check_bind("localhost", open_mode)
    with pytest.raises(InsecureBind, match="WAYPOINT_API_KEYS"):
        check_bind("0.0.0.0", open_mode)
    check_bind("0.0.0.0", Settings(home=tmp_path, api_keys="k1"))


# ----------------------------------------------------------------------------------------------- costs
@pytest.mark.parametrize(
    "method, path, backend, cost",
    [
        ("GET", "/healthz", "transformers", 0.0),
        ("HEAD", "/healthz", "transformers", 0.0),
        ("GET", "/login", "transformers", 0.0),
        ("POST", "/login", "transformers", 10.0),  # a password guess
        ("POST", "/v1/explain", "transformers", 7.0),  # an LLM explanation: rate_limit_llm_cost
        ("POST", "/v1/explain", "deterministic", 1.0),  # the composer is a lookup
        ("POST", "/ui/gradio_api/queue/join", "openai", 7.0),
        ("POST", "/ui/gradio_api/queue/join?x=1", "deterministic", 1.0),
        ("GET", "/ui/", "transformers", 0.0),  # static UI files
        ("GET", "/ui/assets/index.js", "transformers", 0.0),
        ("POST", "/v1/recommend", "transformers", 1.0),
        ("GET", "/metrics", "transformers", 1.0),
        ("POST", "/healthz", "transformers", 1.0),
    ],
)
def test_request_cost(tmp_path, method, path, backend, cost):
    settings = Settings(home=tmp_path, llm_backend=backend, rate_limit_llm_cost=7.0)
    assert request_cost(method, path, settings) == cost


def test_metrics_route_labels_are_bounded():
    assert _route_family("/v1/recommend") == "/v1/recommend"
    assert _route_family("/ui/gradio_api/queue/join") == "/ui"
    assert _route_family("/wp-admin/../../etc/passwd") == "other"
    assert _route_family("/healthz") == "/healthz"


@pytest.mark.parametrize(
    "target, safe",
    [
        ("/ui/chat?x=1", "/ui/chat?x=1"),
        ("/", "/"),
        (None, "/ui/"),
        ("", "/ui/"),
        ("//evil.example", "/ui/"),
        ("https://evil.example/", "/ui/"),
        ("/\\evil.example", "/ui/"),
        ("javascript:alert(1)", "/ui/"),
    ],
)
def test_login_redirects_only_to_local_paths(target, safe):
    assert _safe_next(target) == safe


# ------------------------------------------------------------------------------------------ middleware
async def _whoami(request):
    principal = request.scope.get("state", {}).get("principal")
    return JSONResponse({"identity": principal.identity, "via": principal.via, "trusted": principal.trusted})


async def _socket(websocket):
    await websocket.accept()
    await websocket.send_text("hello")
    await websocket.close()


def _client(
    tmp_path,
    *,
    keys: str = "",
    per_minute: int = 1000,
    proxies: str = "",
    backend: str = "deterministic",
    peer: str = "testclient",
):
    settings = Settings(
        home=tmp_path, api_keys=keys, trusted_proxies=proxies, llm_backend=backend, rate_limit_llm_cost=10.0
    )
    inner = Starlette(
        routes=[
            Route("/v1/whoami", _whoami, methods=["GET", "POST"]),
            Route("/healthz", _whoami),
            Route("/v1/explain", _whoami, methods=["POST"]),
            Route("/ui/page", _whoami),
            WebSocketRoute("/ui/ws", _socket),
        ]
    )
    limiter = RateLimiter(per_minute)
    app = AuthMiddleware(inner, settings=settings, keyring=KeyRing(parse_keys(keys)), limiter=limiter)
    return TestClient(app, client=(peer, 50000)), limiter


def test_open_local_mode_lets_the_single_user_in(tmp_path):
    client, _ = _client(tmp_path)
    body = client.get("/v1/whoami").json()
    assert body == {"identity": LOCAL_PRINCIPAL.identity, "via": "local", "trusted": True}


def test_keys_are_required_everywhere_but_the_public_paths(tmp_path):
    client, _ = _client(tmp_path, keys="alpha")
    missing = client.get("/v1/whoami")
    assert missing.status_code == 401 and missing.json()["error"] == "unauthorized"
    assert "X-API-Key" in missing.json()["message"]
    wrong = client.get("/v1/whoami", headers={"X-API-Key": "nope"})
    assert wrong.status_code == 403 and wrong.json()["error"] == "forbidden"
    assert client.get("/healthz").status_code == 200  # the load balancer carries no key
    assert client.get("/healthz").json()["via"] == "anonymous"


def test_a_key_by_header_bearer_or_cookie_identifies_the_same_client(tmp_path):
    client, _ = _client(tmp_path, keys="alpha,beta")
    expected = "key:" + key_id("beta")
    assert client.get("/v1/whoami", headers={"X-API-Key": "beta"}).json()["identity"] == expected
    assert client.get("/v1/whoami", headers={"Authorization": "Bearer beta"}).json()["identity"] == expected
    cookie = KeyRing(("alpha", "beta")).cookie(key_id("beta"), ttl_s=600)
    by_cookie = client.get("/v1/whoami", headers={"Cookie": f"{COOKIE_NAME}={cookie}"}).json()
    assert by_cookie == {"identity": expected, "via": "cookie", "trusted": True}
    bad_cookie = client.get("/v1/whoami", headers={"Cookie": f"{COOKIE_NAME}=forged.1.2"})
    assert bad_cookie.status_code == 401


def test_a_browser_without_a_key_is_sent_to_the_login_form(tmp_path):
    client, _ = _client(tmp_path, keys="alpha")
    r = client.get("/ui/page?tab=2", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fui%2Fpage%3Ftab%3D2"


def test_a_websocket_without_a_key_is_closed(tmp_path):
    client, _ = _client(tmp_path, keys="alpha")
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ui/ws") as ws:
        ws.receive_text()
    assert info.value.code == 1008
    with client.websocket_connect("/ui/ws", headers={"X-API-Key": "alpha"}) as ws:
        assert ws.receive_text() == "hello"


def test_over_the_budget_is_429_with_retry_after(tmp_path):
    client, _ = _client(tmp_path, keys="alpha", per_minute=3)
    headers = {"X-API-Key": "alpha"}
    assert [client.get("/v1/whoami", headers=headers).status_code for _ in range(3)] == [200] * 3
    r = client.get("/v1/whoami", headers=headers)
    assert r.status_code == 429 and r.json()["error"] == "rate_limited"
    assert int(r.headers["retry-after"]) >= 1
    assert client.get("/healthz").status_code == 200  # free: health checks are never starved


def test_an_llm_explanation_costs_more_than_a_lookup(tmp_path):
    client, _ = _client(tmp_path, per_minute=25, backend="transformers")
    assert client.post("/v1/explain").status_code == 200
    assert client.post("/v1/explain").status_code == 200
    assert client.post("/v1/explain").status_code == 429  # 10 + 10, then 10 more than the 5 left
    assert client.post("/v1/whoami").status_code == 200  # a lookup still fits


def test_keyed_clients_have_their_own_budget_and_the_rest_share_by_address(tmp_path):
    client, limiter = _client(tmp_path, keys="alpha,beta", per_minute=2)
    for key in ("alpha", "beta"):
        assert [client.get("/v1/whoami", headers={"X-API-Key": key}).status_code for _ in range(3)] == [200, 200, 429]
    assert set(limiter._buckets) == {"key:" + key_id("alpha"), "key:" + key_id("beta")}


def test_anonymous_budget_is_keyed_on_the_forwarded_client_only_behind_a_trusted_proxy(tmp_path):
    proxied, limiter = _client(tmp_path, per_minute=100, proxies="10.0.0.0/8", peer="10.0.0.5")
    proxied.get("/v1/whoami", headers={"X-Forwarded-For": "1.1.1.1, 198.51.100.1"})
    proxied.get("/v1/whoami", headers={"X-Forwarded-For": "198.51.100.2"})
    assert set(limiter._buckets) == {"ip:198.51.100.1", "ip:198.51.100.2"}
    direct, limiter = _client(tmp_path, per_minute=100, proxies="10.0.0.0/8", peer="203.0.113.9")
    direct.get("/v1/whoami", headers={"X-Forwarded-For": "198.51.100.1"})  # a client forging the header
    assert set(limiter._buckets) == {"ip:203.0.113.9"}
