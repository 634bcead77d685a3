"""``waypoint serve``: the FastAPI app (REST + Gradio UI at /ui) under uvicorn.

``create_app`` is re-exported from :mod:`app.api.app`; ``serve`` runs it. For ``uvicorn --factory``:
``uvicorn app.server:create_app --factory``.
"""

from __future__ import annotations

import logging
import os

from app.api.app import create_app
from retrieval.settings import Settings, get_settings

__all__ = ["create_app", "serve"]


def limit_threads(n: int = 1) -> None:
    """Keep torch (and BLAS) to ``n`` threads: the serving machine is shared."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, str(n))
    try:
        import torch

        torch.set_num_threads(n)
    except Exception:  # noqa: BLE001 - torch is optional for the deterministic path
        pass


def serve(host: str | None = None, port: int | None = None, *, settings: Settings | None = None,
          log_level: str = "info", threads: int = 1, mount_ui: bool = True) -> None:
    """Serve Waypoint on ``host:port`` (defaults: ``settings.host`` / ``settings.port``) until interrupted."""
    import uvicorn

    limit_threads(threads)
    settings = settings or get_settings()
    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings, mount_ui=mount_ui)
    uvicorn.run(app, host=host or settings.host, port=int(port or settings.port), log_level=log_level,
                proxy_headers=False, server_header=False, timeout_graceful_shutdown=5)


def main() -> None:  # ``python -m app.server [--host H] [--port P] [--no-ui]``
    import argparse

    parser = argparse.ArgumentParser(description="Serve the Waypoint API and UI.")
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("--no-ui", action="store_true")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    serve(args.host, args.port, log_level=args.log_level, mount_ui=not args.no_ui)


if __name__ == "__main__":
    main()
