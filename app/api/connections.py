"""A request-read timeout for uvicorn's h11 protocol: half-open and trickling connections are closed.

Why: uvicorn 0.55 has no header-read timeout. ``timeout_keep_alive`` only runs *between* requests
(it is armed after a response and cancelled by the first byte of the next request), so a client that
connects and sends nothing, or sends ``GET / HTTP/1.1\\r\\nHost: x\\r\\n`` and stops, or declares a body
and trickles it a byte a minute, keeps its connection -- and a slot of ``limit_concurrency`` -- forever
(Slowloris). This subclass of uvicorn's own h11 protocol arms one timer when a request starts (the
connection opens, or the first byte after a keep-alive pause) and closes the connection when the
request line and headers are not complete within ``header_timeout_s``, or the body within
``body_timeout_s``. Everything else is uvicorn's code path.
"""

from __future__ import annotations

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["ReadTimeoutH11Protocol", "read_timeout_protocol"]

log = logging.getLogger("uvicorn.error")

_READING = (h11.IDLE, h11.SEND_BODY)  # their_state while a request is still arriving


class ReadTimeoutH11Protocol(H11Protocol):
    """:class:`H11Protocol` that closes a connection whose request does not arrive in time."""

    header_timeout_s: float = 10.0
    body_timeout_s: float = 60.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._read_timer: asyncio.TimerHandle | None = None
        self._read_started = self.loop.time()
        super().connection_made(transport)
        self._watch_read()

    def data_received(self, data: bytes) -> None:
        if self._read_timer is None and self.conn.their_state is h11.IDLE:
            self._read_started = self.loop.time()  # the first byte of a new request (after a keep-alive pause)
        super().data_received(data)
        self._watch_read()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_read_timer()
        super().connection_lost(exc)

    def _cancel_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _watch_read(self) -> None:
        """Arm the timer while a request is incomplete; disarm it once h11 has the whole request."""
        if self.transport.is_closing() or self.conn.their_state not in _READING:
            self._cancel_read_timer()
        elif self._read_timer is None:
            delay = self._read_started + self.header_timeout_s - self.loop.time()
            self._read_timer = self.loop.call_later(max(delay, 0.0), self._on_read_timeout)

    def _on_read_timeout(self) -> None:
        self._read_timer = None
        state = self.conn.their_state
        if state not in _READING or self.transport.is_closing():
            return
        limit = self.header_timeout_s if state is h11.IDLE else self.body_timeout_s
        remaining = self._read_started + limit - self.loop.time()
        if remaining > 0:  # headers are in; the body still has time
            self._read_timer = self.loop.call_later(remaining, self._on_read_timeout)
            return
        part = "request line and headers" if state is h11.IDLE else "request body"
        log.warning("closing connection from %s: %s not received within %.0f s", self._peer(), part, limit)
        self.transport.close()

    def _peer(self) -> str:
        return f"{self.client[0]}:{self.client[1]}" if self.client else "unknown peer"


def read_timeout_protocol(header_timeout_s: float, body_timeout_s: float) -> type[ReadTimeoutH11Protocol]:
    """A protocol class with these timeouts, for ``uvicorn.run(http=...)`` (uvicorn instantiates it itself)."""
    return type(
        "WaypointH11Protocol",
        (ReadTimeoutH11Protocol,),
        {"header_timeout_s": float(header_timeout_s), "body_timeout_s": float(body_timeout_s)},
    )
