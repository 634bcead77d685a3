"""``waypoint serve``: the FastAPI app (REST + Gradio UI at /ui) under uvicorn.

``create_app`` is re-exported from :mod:`app.api.app`; ``serve`` runs it. For ``uvicorn --factory``:
``uvicorn app.server:create_app --factory``.
"""

from __future__ import annotations

import logging

from app.api.app import create_app
from app.api.auth import check_bind
from app.api.services import WaypointService
from retrieval.artifacts import serve_load_only
from retrieval.settings import Settings, apply_process_environment, get_settings
from retrieval.threads import set_process_threads

__all__ = ["create_app", "serve"]

# Connection bounds for `serve` (what each protects against is said where uvicorn gets them).
HEADER_TIMEOUT_S = 10.0  # request line + headers, from the first byte (or from connect)
BODY_TIMEOUT_S = 60.0  # the whole request, body included (REST bodies are <= max_request_bytes)
KEEP_ALIVE_S = 5  # idle time allowed between two requests on one connection
MAX_CONCURRENCY = 512  # open connections / running requests before new requests get 503
BACKLOG = 256  # kernel accept queue
MAX_HEADER_BYTES = 16 * 1024  # an unfinished request line + headers


def serve(
    host: str | None = None,
    port: int | None = None,
    *,
    settings: Settings | None = None,
    log_level: str = "info",
    threads: int = 1,
    mount_ui: bool = True,
) -> None:
    """Serve Waypoint on ``host:port`` (defaults: ``settings.host`` / ``settings.port``) until interrupted."""
    import uvicorn

    from app.api.connections import read_timeout_protocol

    settings = settings or get_settings()
    check_bind(host or settings.host, settings)  # before any model loads: the open mode never faces a network
    set_process_threads(threads, blas=True)  # the serving machine is shared: one thread per request
    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    serve_load_only()  # this process never trains or builds: `waypoint build` does (retrieval/artifacts.py)
    service = WaypointService(settings)
    app = create_app(settings, mount_ui=mount_ui, service=service)
    # Load every model now, in the background: /healthz answers 503 "warming" until they are in memory,
    # so the first request after it says ok does not pay for them (503 "not built" when there are none).
    service.start_warmup()
    uvicorn.run(
        app,
        host=host or settings.host,
        port=int(port or settings.port),
        log_level=log_level,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=5,
        # Connection bounds (uvicorn 0.55 has no header-read timeout of its own):
        # * http: uvicorn's h11 protocol plus a request-read timeout (app/api/connections.py): a
        #   connection that sends nothing, or trickles its request line and headers past
        #   HEADER_TIMEOUT_S (its body past BODY_TIMEOUT_S), is closed -- half-open and Slowloris
        #   connections no longer live forever. Always h11, so the bound holds with httptools installed.
        http=read_timeout_protocol(HEADER_TIMEOUT_S, BODY_TIMEOUT_S),
        # * timeout_keep_alive: an idle keep-alive connection is closed this long after its last
        #   response (uvicorn arms it only between requests, hence the timeout above).
        timeout_keep_alive=KEEP_ALIVE_S,
        # * limit_concurrency: past this many open connections or running requests, new requests
        #   get an immediate 503 instead of piling up tasks, memory and file descriptors (each held
        #   connection costs one; the LLM has its own smaller gate, llm_max_inflight). A flood of
        #   connections from many clients is the reverse proxy's to absorb; this is the backstop.
        limit_concurrency=MAX_CONCURRENCY,
        # * backlog: connections the kernel queues before accept(); beyond it clients are refused
        #   rather than queued for minutes behind a saturated process.
        backlog=BACKLOG,
        # * h11_max_incomplete_event_size: bytes of an unfinished request line + headers buffered
        #   per connection (h11's default, stated): larger header blocks get a 400, not memory.
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
    )


def main(argv: list[str] | None = None) -> None:
    """``python -m app.server [--host H] [--port P] [--no-ui] [--log-level L]``: ``waypoint serve``'s command."""
    from app.cli import serve_cli

    apply_process_environment()  # before a model library is imported (this module imports none)
    serve_cli(args=argv, prog_name="python -m app.server")


if __name__ == "__main__":
    main()
