"""Start and stop a real vLLM server (CPU, ``.venv-vllm``) for a benchmark, by PID.

Same recipe as the vLLM tests: ``scripts/vllm_serve.sh`` execs the OpenAI API server in its own
process session on a free port, with an empty ``WAYPOINT_HOME`` so no stray adapters are loaded;
we wait for ``/v1/models`` to list the served name and stop the server's process group by its PID
(never by name: other people's servers may run on the same machine).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = ["VLLMServer", "free_port", "reachable"]

REPO = Path(__file__).resolve().parents[2]
SERVE_SCRIPT = REPO / "scripts" / "vllm_serve.sh"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def reachable(base_url: str, model: str, timeout_s: float = 3.0) -> bool:
    """Whether ``base_url`` answers ``/models`` and serves ``model``."""
    try:
        response = httpx.get(f"{base_url.rstrip('/')}/models", timeout=timeout_s)
        return response.status_code == 200 and model in {m.get("id") for m in response.json().get("data", [])}
    except (httpx.HTTPError, ValueError):
        return False


@dataclass
class VLLMServer:
    """A vLLM server started for the duration of a ``with`` block."""

    model_dir: Path
    served_name: str = "smollm2-135m-instruct"
    startup_timeout_s: float = 900.0  # torch.compile of the CPU graph takes minutes on a busy 2-core box
    venv: Path = REPO / ".venv-vllm"
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen | None = None
    startup_s: float | None = None
    log_path: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> VLLMServer:
        if not (self.venv / "bin" / "python").exists():
            raise RuntimeError(
                f"{self.venv} does not exist: create it with `make vllm` or scripts/vllm_serve.sh --install-only"
            )
        self.port = self.port or free_port()
        work = Path(tempfile.mkdtemp(prefix="bench-vllm-"))
        self.log_path = work / "vllm.log"
        env = dict(
            os.environ,
            PORT=str(self.port),
            HOST="127.0.0.1",
            MODEL_DIR=str(Path(self.model_dir).resolve()),
            SERVED_NAME=self.served_name,
            WAYPOINT_HOME=str(work),
            VLLM_VENV=str(self.venv),
            **self.extra_env,
        )
        started = time.perf_counter()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                ["bash", str(SERVE_SCRIPT)],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.startup_timeout_s
        while not reachable(self.base_url, self.served_name, 2.0):
            if self.proc.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-3000:]
                self.stop()
                raise RuntimeError(f"vLLM exited with {self.proc.returncode}:\n{tail}")
            if time.monotonic() > deadline:
                tail = self.log_path.read_text(errors="replace")[-3000:]
                self.stop()
                raise RuntimeError(f"vLLM did not answer in {self.startup_timeout_s:.0f}s:\n{tail}")
            time.sleep(1.0)
        self.startup_s = round(time.perf_counter() - started, 1)
        return self

    def stop(self) -> None:
        """SIGTERM the server, then SIGKILL its process group (engine workers) if anything is left."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: the group id is its PID
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass
        self.proc = None

    def __exit__(self, *exc) -> None:
        self.stop()
