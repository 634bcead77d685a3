"""app/api/limits.py: token buckets in process and in a real SQLite file, the LLM gate, the body-size cap.

Clocks are injected (the limiters take ``clock=``), so refill arithmetic is checked exactly instead of
by sleeping; the shared limiter runs on a real SQLite events file with two engines standing in for two
replicas.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest
from sqlalchemy import text

from app.api.limits import (
    TABLE,
    BodySizeLimitMiddleware,
    LLMGate,
    RateLimiter,
    SharedRateLimiter,
    make_limiter,
)
from retrieval.settings import Settings
from retrieval.sqldb import make_engine


class Clock:
    """A hand-driven clock."""

    def __init__(self, now: float = 1_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


# ----------------------------------------------------------------------------------------- RateLimiter
def test_a_full_bucket_then_refusal_with_the_exact_wait():
    clock = Clock()
    limiter = RateLimiter(60, clock=clock)  # 60 per minute: one token a second
    assert all(limiter.acquire("a") == (True, 0.0) for _ in range(60))
    allowed, retry = limiter.acquire("a")
    assert not allowed and retry == pytest.approx(1.0)  # one token short at one token a second


def test_tokens_refill_continuously_up_to_capacity():
    clock = Clock()
    limiter = RateLimiter(60, clock=clock)
    for _ in range(60):
        limiter.acquire("a")
    clock.now += 2.5
    assert limiter.acquire("a")[0] and limiter.acquire("a")[0]
    allowed, retry = limiter.acquire("a")
    assert not allowed and retry == pytest.approx(0.5)  # 0.5 token left, 1 needed
    clock.now += 3600  # an hour idle refills to capacity, no more
    assert sum(limiter.acquire("a")[0] for _ in range(100)) == 60


def test_costs_are_charged_and_a_cost_above_the_balance_is_refused_whole():
    clock = Clock()
    limiter = RateLimiter(30, clock=clock)  # 0.5 token a second
    assert limiter.acquire("a", cost=10.0)[0]
    assert limiter.acquire("a", cost=20.0)[0]
    allowed, retry = limiter.acquire("a", cost=10.0)
    assert not allowed and retry == pytest.approx(20.0)  # 10 tokens at 0.5 a second
    assert limiter.acquire("a", cost=0.0)[0]  # a free request always passes


def test_burst_sets_the_capacity_independently_of_the_rate():
    limiter = RateLimiter(60, burst=5, clock=Clock())
    assert sum(limiter.acquire("a")[0] for _ in range(10)) == 5


def test_identities_have_separate_buckets():
    limiter = RateLimiter(2, clock=Clock())
    assert limiter.acquire("a")[0] and limiter.acquire("a")[0] and not limiter.acquire("a")[0]
    assert limiter.acquire("b")[0]


def test_zero_or_negative_rate_disables_limiting():
    for per_minute in (0, -5):
        limiter = RateLimiter(per_minute, clock=Clock())
        assert all(limiter.acquire("a", cost=1000)[0] for _ in range(100))


def test_least_recently_used_identities_are_evicted_past_max_keys():
    limiter = RateLimiter(1, max_keys=2, clock=Clock())
    limiter.acquire("a")
    limiter.acquire("b")
    assert not limiter.acquire("a")[0]  # a is empty, and now the most recently used
    limiter.acquire("c")  # evicts b, not a
    assert not limiter.acquire("a")[0]
    assert limiter.acquire("b")[0]  # b forgotten: a fresh bucket
    assert len(limiter._buckets) == 2


def test_concurrent_callers_never_get_more_than_the_capacity():
    limiter = RateLimiter(100, clock=Clock())
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _i: limiter.acquire("shared")[0], range(400)))
    assert sum(results) == 100


# ----------------------------------------------------------------------------------- SharedRateLimiter
@pytest.fixture()
def events_file(tmp_path):
    return tmp_path / "events.sqlite"


def test_two_replicas_share_one_budget(events_file):
    clock = Clock()
    one = SharedRateLimiter(make_engine(events_file), 10, clock=clock)
    two = SharedRateLimiter(make_engine(events_file), 10, clock=clock)
    granted = [one.acquire("key:abc")[0] if i % 2 else two.acquire("key:abc")[0] for i in range(20)]
    assert sum(granted) == 10 and granted[:10] == [True] * 10
    allowed, retry = one.acquire("key:abc")
    assert not allowed and retry == pytest.approx(6.0)  # 10 per minute: one token every 6 s


def test_a_restart_keeps_the_buckets(events_file):
    clock = Clock()
    before = SharedRateLimiter(make_engine(events_file), 3, clock=clock)
    for _ in range(3):
        assert before.acquire("ip:10.0.0.1")[0]
    before.engine.dispose()
    after = SharedRateLimiter(make_engine(events_file), 3, clock=clock)
    assert not after.acquire("ip:10.0.0.1")[0]
    clock.now += 20  # 3 per minute: one token every 20 s
    assert after.acquire("ip:10.0.0.1")[0]


def test_shared_costs_and_refill_by_wall_clock(events_file):
    clock = Clock()
    limiter = SharedRateLimiter(make_engine(events_file), 60, clock=clock)
    assert limiter.acquire("a", cost=50)[0]
    allowed, retry = limiter.acquire("a", cost=20)
    assert not allowed and retry == pytest.approx(10.0)  # 10 left, 20 needed, 1 a second
    clock.now += 10
    assert limiter.acquire("a", cost=20)[0]


def test_a_clock_behind_the_stored_time_never_refills_backwards(events_file):
    ahead, behind = Clock(2_000.0), Clock(1_990.0)
    fast = SharedRateLimiter(make_engine(events_file), 60, clock=ahead)
    slow = SharedRateLimiter(make_engine(events_file), 60, clock=behind)
    assert fast.acquire("a", cost=60)[0]
    assert not slow.acquire("a")[0]  # 10 s "earlier" adds nothing (and takes nothing away)
    with fast.engine.connect() as conn:
        tokens, updated = conn.execute(text(f"SELECT tokens, updated FROM {TABLE}")).one()
    assert tokens == pytest.approx(0.0) and updated == 2_000.0


def test_rows_of_long_idle_clients_are_pruned(events_file):
    clock = Clock()
    limiter = SharedRateLimiter(make_engine(events_file), 60, clock=clock, prune_every=1)
    limiter.acquire("old")
    clock.now += 3 * 60  # capacity refills in 60 s; rows idle twice that long go
    limiter.acquire("new")
    with limiter.engine.connect() as conn:
        assert [r[0] for r in conn.execute(text(f"SELECT identity FROM {TABLE}"))] == ["new"]


def test_concurrent_replicas_never_over_grant(events_file):
    clock = Clock()
    replicas = [SharedRateLimiter(make_engine(events_file), 40, clock=clock) for _ in range(2)]
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda i: replicas[i % 2].acquire("hot")[0], range(120)))
    assert sum(results) == 40


def test_long_identities_are_cut_to_the_column_width(events_file):
    limiter = SharedRateLimiter(make_engine(events_file), 1, clock=Clock())
    assert limiter.acquire("x" * 500)[0]
    assert not limiter.acquire("x" * 200 + "different tail")[0]  # same first 200 characters: same bucket


def test_make_limiter_follows_the_settings(tmp_path):
    shared = make_limiter(Settings(home=tmp_path, rate_limit_shared=True, rate_limit_per_minute=30))
    assert isinstance(shared, SharedRateLimiter) and shared.per_minute == 30
    assert (tmp_path / "events.sqlite").exists()  # the table lives in the events database
    local = make_limiter(Settings(home=tmp_path, rate_limit_shared=False, rate_limit_per_minute=30))
    assert isinstance(local, RateLimiter)
    off = make_limiter(Settings(home=tmp_path, rate_limit_shared=True, rate_limit_per_minute=0))
    assert isinstance(off, RateLimiter) and off.acquire("a", cost=1e9)[0]


# --------------------------------------------------------------------------------------------- LLMGate
def test_the_gate_admits_capacity_callers_and_reopens_as_they_leave():
    gate = LLMGate(2)
    assert gate.try_enter() and gate.try_enter()
    assert not gate.try_enter() and gate.inside == 2
    gate.leave()
    assert gate.try_enter()


def test_the_gate_never_goes_negative_and_has_at_least_one_slot():
    gate = LLMGate(0)
    assert gate.capacity == 1
    gate.leave()
    gate.leave()
    assert gate.inside == 0
    assert gate.try_enter() and not gate.try_enter()


def test_the_gate_holds_under_concurrency():
    gate = LLMGate(3)
    inside_max = 0
    lock = threading.Lock()
    start = threading.Barrier(12)

    def worker() -> bool:
        nonlocal inside_max
        start.wait()
        if not gate.try_enter():
            return False
        with lock:
            inside_max = max(inside_max, gate.inside)
        return True

    with ThreadPoolExecutor(12) as pool:
        entered = sum(pool.map(lambda _i: worker(), range(12)))
    assert entered == 3 and inside_max <= 3


# ------------------------------------------------------------------------------------ body size limit
async def _echo(scope, receive, send):
    """An app that reads the whole body and answers with its length."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    payload = json.dumps({"received": len(body)}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": payload})


def _call(app, path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]] = ()) -> tuple[int, dict]:
    """Drive an ASGI app with one request whose body arrives in ``chunks``; (status, JSON body)."""
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent: list[dict] = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": list(headers)}
    anyio.run(app, scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body)


def test_a_declared_length_over_the_limit_is_refused_before_reading():
    app = BodySizeLimitMiddleware(_echo, max_bytes=100)
    status, body = _call(app, "/v1/recommend", [b"x" * 10], [(b"content-length", b"101")])
    assert status == 413 and body["error"] == "payload_too_large" and "101 bytes" in body["message"]


def test_an_invalid_content_length_is_a_bad_request():
    app = BodySizeLimitMiddleware(_echo, max_bytes=100)
    assert _call(app, "/v1/explain", [b"x"], [(b"content-length", b"ten")])[0] == 400


def test_a_streamed_body_is_cut_off_at_the_limit():
    app = BodySizeLimitMiddleware(_echo, max_bytes=100)
    status, body = _call(app, "/v1/explain", [b"x" * 60, b"x" * 60])
    assert status == 413 and "120 bytes" in body["message"]


def test_a_body_within_the_limit_reaches_the_app_whole():
    app = BodySizeLimitMiddleware(_echo, max_bytes=100)
    assert _call(app, "/v1/explain", [b"x" * 50, b"y" * 50]) == (200, {"received": 100})
    assert _call(app, "/v1/explain", [b"x" * 30], [(b"content-length", b"30")]) == (200, {"received": 30})


def test_other_paths_and_a_zero_limit_are_not_checked():
    assert _call(BodySizeLimitMiddleware(_echo, max_bytes=10), "/ui/upload", [b"x" * 50]) == (200, {"received": 50})
    assert _call(BodySizeLimitMiddleware(_echo, max_bytes=0), "/v1/explain", [b"x" * 50]) == (200, {"received": 50})
