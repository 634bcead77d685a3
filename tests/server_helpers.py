"""A real ``waypoint serve`` in a subprocess on a loopback port, for tests that attack or drive it over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def uvicorn_in_thread(app) -> Iterator[str]:
    """``app`` served by uvicorn in a thread of this process on a loopback port (lifespan off): its base URL.
    In process, so a test can hold the app's own locks while it sends requests over real HTTP."""
    import threading

    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


@dataclass
class Server:
    base: str
    proc: subprocess.Popen
    log_path: Path
    home: Path
    started: float = field(default_factory=time.time)  # wall clock at launch: files and rows newer are the server's

    @property
    def events(self) -> Path:
        return self.home / "events.sqlite"

    def log_tail(self, n: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-n:]


def server_env(home: Path, **overrides: str) -> dict[str, str]:
    """The environment of a test server: deterministic explanations, no keys, quiet, one thread."""
    env = dict(
        os.environ,
        WAYPOINT_HOME=str(home),
        WAYPOINT_LLM_BACKEND="deterministic",
        WAYPOINT_API_KEYS="",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        GRADIO_ANALYTICS_ENABLED="False",
        OMP_NUM_THREADS="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


@contextmanager
def running_server(
    home: Path,
    log_dir: Path,
    *,
    ui: bool = True,
    port: int | None = None,
    startup_s: float = 300,
    log_level: str = "warning",
    **env: str,
) -> Iterator[Server]:
    """Start ``python -m app.server`` on ``home`` with environment overrides (``WAYPOINT_*``,
    ``GRADIO_TEMP_DIR``, ...), wait until /healthz says it is ready (or down for good: not built), and
    stop it by PID on exit."""
    port = port or free_port()
    log_path = log_dir / f"server-{port}.log"
    args = [sys.executable, "-m", "app.server", "--host", "127.0.0.1", "--port", str(port), "--log-level", log_level]
    if not ui:
        args.append("--no-ui")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(args, cwd=REPO, env=server_env(home, **env), stdout=log, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", proc, log_path, Path(home))
    try:
        deadline = time.monotonic() + startup_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                health = httpx.get(f"{server.base}/healthz", timeout=5)
                # 503 "warming": the models are still loading (warm-up); 503 "down": it will stay so
                if health.status_code == 200 or health.json().get("status") == "down":
                    break
            except (httpx.HTTPError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not come up:\n{server.log_tail()}")
            time.sleep(0.3)
        yield server
    finally:
        stop(proc)


def stop(proc: subprocess.Popen, grace_s: float = 20) -> float:
    """SIGTERM, then SIGKILL after ``grace_s``; the seconds SIGTERM took (0 if already gone, inf if ignored)."""
    if proc.poll() is not None:
        return 0.0
    t0 = time.monotonic()
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
        return time.monotonic() - t0
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        return float("inf")
