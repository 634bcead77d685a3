"""Small helpers every benchmark section shares: machine facts, load, percentiles, time boxes.

Why here: numbers from a shared 2-core machine mean little without the load they were taken
under, so every section stamps its result with :func:`load_now`; percentiles are computed one way
everywhere; and anything that might hang (a native index build, a server start) runs under a
deadline in a child process (:func:`run_boxed`) that can be killed without killing the bench.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import platform
import queue
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["BoxedResult", "Deadline", "load_now", "machine_info", "percentiles", "run_boxed"]


def load_now() -> dict[str, float]:
    """The 1/5/15-minute load averages right now (Linux/macOS; zeros where unsupported)."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:  # pragma: no cover - Windows
        one = five = fifteen = 0.0
    return {"load1": round(one, 2), "load5": round(five, 2), "load15": round(fifteen, 2)}


def machine_info() -> dict[str, Any]:
    """CPU, memory, library versions and load: enough to judge whether two reports compare."""
    import importlib.metadata as md

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": _memory_gb(),
        **load_now(),
    }
    versions = {}
    for package in (
        "torch",
        "transformers",
        "trl",
        "peft",
        "qdrant-client",
        "qdrant-edge-py",
        "sentence-transformers",
        "xgrammar",
        "numpy",
    ):
        try:
            versions[package] = md.version(package)
        except md.PackageNotFoundError:
            versions[package] = None
    info["versions"] = versions
    try:
        import torch

        info["torch_threads"] = torch.get_num_threads()
    except ImportError:  # pragma: no cover
        pass
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def percentiles(values_ms: Sequence[float]) -> dict[str, float | int | None]:
    """p50/p95/mean/max of latencies in milliseconds (None when there are none)."""
    import numpy as np

    vals = [float(v) for v in values_ms if v is not None and math.isfinite(v)]
    if not vals:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "mean_ms": None, "max_ms": None}
    arr = np.asarray(vals)
    return {
        "n": len(vals),
        "p50_ms": round(float(np.percentile(arr, 50)), 3),
        "p95_ms": round(float(np.percentile(arr, 95)), 3),
        "mean_ms": round(float(arr.mean()), 3),
        "max_ms": round(float(arr.max()), 3),
    }


class Deadline:
    """A wall-clock budget: ``left()`` seconds remain, ``expired`` once spent."""

    def __init__(self, seconds: float) -> None:
        self.seconds = float(seconds)
        self.started = time.monotonic()

    def left(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    @property
    def expired(self) -> bool:
        return self.left() <= 0

    def elapsed(self) -> float:
        return time.monotonic() - self.started


class BoxedResult(dict):
    """What a time-boxed child reported: its final ``result`` plus every progress ``event``."""


def _child(target: Callable[..., dict], args: tuple, out: mp.Queue) -> None:
    def report(event: str, **data: Any) -> None:
        out.put(("event", {"event": event, "t": time.time(), **data}))

    try:
        out.put(("result", target(*args, report=report)))
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent as data
        out.put(("error", f"{type(exc).__name__}: {exc}"))


def run_boxed(target: Callable[..., dict], args: tuple, timeout_s: float) -> BoxedResult:
    """Run ``target(*args, report=fn)`` in a spawned child; kill it after ``timeout_s``.

    Returns ``{"status": "ok" | "timeout" | "error" | "crashed", "result": ..., "events": [...],
    "seconds": ...}``. ``report(event, **data)`` lets the child record progress, so a build that
    is killed half-way still says how far it got. ``target`` must be importable (module level).
    """
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(target, args, out), daemon=True)
    started = time.monotonic()
    proc.start()
    events: list[dict] = []
    status, result, error = "timeout", None, None
    while True:
        left = timeout_s - (time.monotonic() - started)
        if left <= 0:
            break
        try:
            kind, payload = out.get(timeout=min(1.0, left))
        except queue.Empty:
            if not proc.is_alive():
                # drain anything written just before exit
                try:
                    kind, payload = out.get(timeout=1.0)
                except queue.Empty:
                    status, error = "crashed", f"child exited with code {proc.exitcode}"
                    break
            else:
                continue
        if kind == "event":
            events.append(payload)
            continue
        status = "ok" if kind == "result" else "error"
        result, error = (payload, None) if kind == "result" else (None, payload)
        break
    if proc.is_alive():
        proc.terminate()
        proc.join(10)
        if proc.is_alive():
            proc.kill()
            proc.join(5)
    else:
        proc.join(5)
    box = BoxedResult(status=status, result=result, events=events, seconds=round(time.monotonic() - started, 2))
    if error:
        box["error"] = error
    return box
