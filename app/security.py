"""Security and limits shared by the REST API, the UI and feedback capture.

* :func:`redact_pii` — emails and phone numbers out of anything that is logged or stored.
* :func:`hash_user_id` — keyed SHA-256 of a user id; raw ids never reach logs or the events DB.
* :class:`RateLimiter` — in-process token buckets, one per API key or client IP.
* :class:`BodySizeLimitMiddleware` — pure ASGI; answers 413 on a declared or streamed body that is
  larger than ``settings.max_request_bytes`` (only under the guarded path prefixes).
* :func:`parse_api_keys` / :func:`check_api_key` — the ``X-API-Key`` check for write endpoints.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

API_KEY_HEADER = "X-API-Key"

# --------------------------------------------------------------------------------------------- PII
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# Phone numbers: optional +country, then 7–15 digits with common separators. Dates (2024-01-31),
# O*NET codes (21-1091.00) and years are left alone: they need at least 9 digits to count, or a +.
_PHONE = re.compile(
    r"(?<![\w.])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]?\d{2,4}){2,4}(?![\w])"
)
_ONET_CODE = re.compile(r"^\d{2}-\d{4}(\.\d{2})?$")
_DATE = re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$")

EMAIL_TOKEN = "[email]"
PHONE_TOKEN = "[phone]"


def _phone_sub(match: re.Match) -> str:
    raw = match.group(0)
    digits = sum(ch.isdigit() for ch in raw)
    stripped = raw.strip()
    if _ONET_CODE.match(stripped) or _DATE.match(stripped):
        return raw
    if digits >= 9 or (stripped.startswith("+") and digits >= 7):
        return PHONE_TOKEN
    return raw


def redact_pii(text: str | None) -> str | None:
    """``text`` with email addresses and phone numbers replaced by ``[email]`` / ``[phone]``."""
    if not text:
        return text
    text = _EMAIL.sub(EMAIL_TOKEN, text)
    return _PHONE.sub(_phone_sub, text)


def redact_obj(value):
    """Redact every string inside a JSON-like structure (dicts, lists, strings)."""
    if isinstance(value, str):
        return redact_pii(value)
    if isinstance(value, dict):
        return {k: redact_obj(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_obj(v) for v in value]
    return value


def _salt() -> bytes:
    salt = os.environ.get("WAYPOINT_USER_HASH_SALT")
    if salt is None:
        try:
            from retrieval.settings import get_settings

            salt = getattr(get_settings(), "user_hash_salt", "") or ""
        except Exception:  # noqa: BLE001 - settings must never break logging
            salt = ""
    return (salt or "waypoint-user-hash-v1").encode("utf-8")


def hash_user_id(user_id: str | None) -> str | None:
    """Stable keyed hash (``u_`` + 16 hex) of a user id; ``None`` stays ``None``."""
    if user_id is None or str(user_id) == "":
        return None
    digest = hmac.new(_salt(), str(user_id).encode("utf-8"), hashlib.sha256).hexdigest()
    return "u_" + digest[:16]


class RedactingFilter(logging.Filter):
    """Logging filter that redacts PII in every record's rendered message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001
            return True
        redacted = redact_pii(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def install_log_redaction(*names: str) -> None:
    """Attach :class:`RedactingFilter` to the given loggers (and their handlers), idempotently."""
    for name in names or ("waypoint", "uvicorn", "uvicorn.access", "uvicorn.error", "fastapi"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
        for handler in logger.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())


def log_event(logger: logging.Logger, event: str, **fields) -> None:
    """One structured, redacted log line: ``event {json}``; a ``user_id`` field is hashed."""
    if "user_id" in fields:
        fields["user"] = hash_user_id(fields.pop("user_id"))
    logger.info("%s %s", event, json.dumps(redact_obj(fields), default=str, ensure_ascii=False))


# -------------------------------------------------------------------------------------- API keys
def parse_api_keys(raw: str | None) -> frozenset[str]:
    return frozenset(k.strip() for k in (raw or "").split(",") if k.strip())


def check_api_key(given: str | None, keys: frozenset[str]) -> tuple[int, str] | None:
    """``None`` when allowed; else ``(status, message)``: 401 when missing, 403 when wrong."""
    if not keys:
        return None
    if not given:
        return 401, f"missing API key: send it in the {API_KEY_HEADER} header"
    for key in keys:
        if hmac.compare_digest(given.encode("utf-8"), key.encode("utf-8")):
            return None
    return 403, "invalid API key"


def key_identity(api_key: str | None, keys: frozenset[str], client_ip: str | None) -> str:
    """The rate-limit bucket: a valid API key (hashed) or else the client IP."""
    if api_key and keys and check_api_key(api_key, keys) is None:
        return "key:" + hashlib.sha256(api_key.encode("utf-8")).hexdigest()[:16]
    return "ip:" + (client_ip or "unknown")


# ----------------------------------------------------------------------------------- rate limits
@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets: ``per_minute`` capacity, refilled continuously at ``per_minute / 60`` per second.

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
        """``(allowed, retry_after_seconds)``."""
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
            return False, (cost - bucket.tokens) / self.rate if self.rate > 0 else 60.0


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
    return {"error": "payload_too_large",
            "message": f"request body is {size:,} bytes or more; the limit is {limit:,} bytes"}


async def _send_json(send, status: int, payload: dict) -> None:
    body = json.dumps(payload).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
