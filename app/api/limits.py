"""Cost-aware rate limits: token buckets per client, in process or shared through the events database.

Why two implementations: one process on a laptop needs nothing but a dict; replicas behind a load
balancer must share one budget per client, and a restart must not hand everyone a fresh one. The
shared limiter keeps its buckets in the events database (SQLite file or PostgreSQL, the store every
replica already writes), so no new service is needed. Both charge a *cost*: an LLM explanation holds
a core for seconds, a catalogue lookup for a millisecond, and they should not weigh the same.

The shared limiter never over-grants under concurrency: the refill is one upsert and the spend is a
conditional ``UPDATE ... WHERE tokens >= cost``, each atomic in both databases.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine, text

TABLE = "rate_limit_buckets"


class Limiter(Protocol):
    per_minute: int

    def acquire(self, identity: str, cost: float = 1.0) -> tuple[bool, float]:
        """``(allowed, retry_after_seconds)``."""


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """In-process token buckets: ``per_minute`` capacity, refilled continuously at ``per_minute / 60`` per second.

    Thread-safe, bounded memory (least recently used identities are evicted past ``max_keys``).
    ``per_minute <= 0`` disables limiting.
    """

    def __init__(self, per_minute: int, *, burst: int | None = None, max_keys: int = 100_000, clock=time.monotonic):
        self.per_minute = int(per_minute)
        self.capacity = float(burst if burst is not None else max(1, self.per_minute))
        self.rate = self.per_minute / 60.0
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def acquire(self, identity: str, cost: float = 1.0) -> tuple[bool, float]:
        if self.per_minute <= 0:
            return True, 0.0
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(identity)
            if bucket is None:
                bucket = _Bucket(self.capacity, now)
                self._buckets[identity] = bucket
                if len(self._buckets) > self.max_keys:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(identity)
                bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
                bucket.updated = now
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return True, 0.0
            return False, _retry_after(cost, bucket.tokens, self.rate)


class SharedRateLimiter:
    """Token buckets in a table of the events database, shared by every replica and kept across restarts.

    Wall-clock time (not monotonic) because the buckets outlive the process. Rows of clients idle long
    enough to have refilled completely are deleted now and then (``prune_every`` calls).
    """

    def __init__(
        self, engine: Engine, per_minute: int, *, burst: int | None = None, prune_every: int = 1000, clock=time.time
    ):
        self.engine = engine
        self.per_minute = int(per_minute)
        self.capacity = float(burst if burst is not None else max(1, self.per_minute))
        self.rate = self.per_minute / 60.0
        self.clock = clock
        self.prune_every = prune_every
        self._calls = 0
        self._least = "LEAST" if engine.dialect.name == "postgresql" else "MIN"
        with engine.begin() as conn:
            conn.execute(
                text(
                    f"CREATE TABLE IF NOT EXISTS {TABLE} (identity VARCHAR(200) PRIMARY KEY, "
                    "tokens DOUBLE PRECISION NOT NULL, updated DOUBLE PRECISION NOT NULL)"
                )
            )

    def acquire(self, identity: str, cost: float = 1.0) -> tuple[bool, float]:
        if self.per_minute <= 0:
            return True, 0.0
        now = self.clock()
        # Replicas' clocks may disagree by a little: a bucket never refills backwards.
        elapsed = f"(CASE WHEN :now > {TABLE}.updated THEN :now - {TABLE}.updated ELSE 0 END)"
        params = {"id": identity[:200], "cap": self.capacity, "now": now, "rate": self.rate, "cost": float(cost)}
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    f"INSERT INTO {TABLE} (identity, tokens, updated) VALUES (:id, :cap, :now) "
                    f"ON CONFLICT (identity) DO UPDATE SET "
                    f"tokens = {self._least}(:cap, {TABLE}.tokens + {elapsed} * :rate), "
                    f"updated = CASE WHEN :now > {TABLE}.updated THEN :now ELSE {TABLE}.updated END"
                ),
                params,
            )
            spent = conn.execute(
                text(f"UPDATE {TABLE} SET tokens = tokens - :cost WHERE identity = :id AND tokens >= :cost"), params
            ).rowcount
            if spent:
                left = None
            else:
                left = conn.execute(text(f"SELECT tokens FROM {TABLE} WHERE identity = :id"), params).scalar()
        self._maybe_prune(now)
        if spent:
            return True, 0.0
        return False, _retry_after(cost, float(left or 0.0), self.rate)

    def _maybe_prune(self, now: float) -> None:
        self._calls += 1
        if self._calls % self.prune_every:
            return
        full_after = self.capacity / self.rate if self.rate > 0 else 3600.0
        with self.engine.begin() as conn:
            conn.execute(text(f"DELETE FROM {TABLE} WHERE updated < :cutoff"), {"cutoff": now - 2 * full_after})


def _retry_after(cost: float, tokens: float, rate: float) -> float:
    return (cost - tokens) / rate if rate > 0 else 60.0


def make_limiter(settings) -> Limiter:
    """The limiter the settings ask for: shared through the events database, or in process."""
    if settings.rate_limit_shared and settings.rate_limit_per_minute > 0:
        from retrieval.sqldb import make_engine

        return SharedRateLimiter(make_engine(settings.events_target), settings.rate_limit_per_minute)
    return RateLimiter(settings.rate_limit_per_minute)


class LLMGate:
    """At most ``capacity`` LLM explanations running or waiting in this process; the rest are turned away.

    Why not a queue: LLM generation here is serial per process, so every waiting request pins a
    worker thread for tens of seconds; enough of them starve health checks and cheap requests. A
    caller that finds the gate full is told at once (REST: 503 + Retry-After; UI: the deterministic
    composer) instead of waiting behind work it cannot overtake.
    """

    def __init__(self, capacity: int):
        self.capacity = max(1, int(capacity))
        self._inside = 0
        self._lock = threading.Lock()

    @property
    def inside(self) -> int:
        return self._inside

    def try_enter(self) -> bool:
        with self._lock:
            if self._inside >= self.capacity:
                return False
            self._inside += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self._inside = max(0, self._inside - 1)


# ---------------------------------------------------------------------------------- body size
class BodySizeLimitMiddleware:
    """Reject request bodies over ``max_bytes`` with 413, by Content-Length or while streaming."""

    def __init__(self, app, max_bytes: int, prefixes: tuple[str, ...] = ("/v1/",)):
        self.app = app
        self.max_bytes = int(max_bytes)
        self.prefixes = prefixes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope.get("path", "").startswith(self.prefixes) or self.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_json(send, 400, {"error": "bad_request", "message": "invalid Content-Length header"})
                    return
                if declared > self.max_bytes:
                    await _send_json(send, 413, _too_large(declared, self.max_bytes))
                    return
        # No (or an honest) Content-Length: read the body up to the limit, then replay it.
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # http.disconnect: nothing to answer
            body = message.get("body", b"")
            received += len(body)
            if received > self.max_bytes:
                await _send_json(send, 413, _too_large(received, self.max_bytes))
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _too_large(size: int, limit: int) -> dict:
    return {
        "error": "payload_too_large",
        "message": f"request body is {size:,} bytes or more; the limit is {limit:,} bytes",
    }


async def _send_json(send, status: int, payload: dict) -> None:
    body = json.dumps(payload).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
