"""Serving only loads what `waypoint build` made: on the real catalogue, with real servers.

A server (and a :class:`WaypointService`) on a home that lacks an artifact answers 503 "not built: run
`waypoint build`" on ``/healthz`` and on every request that needs a model, and writes no model file;
after `waypoint build` the same home serves, and the first request after ``/healthz`` says ok is timed
(printed, never asserted: ``waypoint bench`` reports it). Artifacts built under other settings are a
clear "stale" error naming the setting.

Each test works on a private mirror of the session home (tests/home_mirror.py), so deleting or
rebuilding an artifact here never touches the session home. tests/test_artifacts.py has the same cycle
on the synthetic catalogue, in seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.home_mirror import mirror_home, model_files
from tests.server_helpers import REPO, running_server

NURSE = {
    "occupation": "Registered Nurses",
    "skills": ["patient education"],
    "text": "I teach patients about managing diabetes.",
}
ITEM = "21-1091.00"  # Health Education Specialists


@pytest.fixture()
def private_home(waypoint_home, tmp_path) -> Path:
    return mirror_home(Path(waypoint_home), tmp_path / "home")


def _service(home: Path, settings, **update):
    from app.api.services import WaypointService

    return WaypointService(settings.model_copy(update={"home": home, "llm_backend": "deterministic", **update}))


# ------------------------------------------------------------------------------------------ in process
def test_service_without_the_ranker_answers_503_and_trains_nothing(private_home, settings):
    from app.api.health import public_view
    from app.api.services import Unavailable
    from retrieval.profile import Profile

    ranker_dirs = list((private_home / "models" / "occupation-ranker").iterdir())
    assert ranker_dirs, "the session home has no occupation ranker"
    for folder in ranker_dirs:
        for f in folder.iterdir():
            f.unlink()
    before = model_files(private_home)
    service = _service(private_home, settings)

    for call in (
        lambda: service.recommend(Profile(**NURSE), "occupation", 5, log_impression=False),
        lambda: service.explain(Profile(**NURSE), ITEM, backend="deterministic", log_impression=False),
        lambda: service.resolve_occupation("Registered Nurses"),
    ):
        with pytest.raises(Unavailable) as refused:
            call()
        assert refused.value.status == 503 and refused.value.code == "not_built"
        assert "not built: run `waypoint build`" in refused.value.message
        assert "ranker.pkl is missing" in refused.value.message, refused.value.message

    report = service.health()
    assert report["status"] == "down" and report["models"]["state"] == "not_built", report["models"]
    assert "waypoint build" in report["degraded"]["models"]
    public = public_view(report)  # what a caller without a key sees: the state and the fix, no paths
    assert public["components"]["models"] == "not_built" and public["message"] == "not built: run `waypoint build`"
    assert str(private_home) not in str(public) and "ranker.pkl" not in str(public)
    assert model_files(private_home) == before  # nothing trained, nothing written


def test_service_under_other_settings_names_the_setting(settings):
    """The session home is built with the whole-field task similarity; a server with the task alignment on
    must not reuse those features silently, nor build its own behind a request."""
    from app.api.services import Unavailable
    from retrieval.profile import Profile

    before = model_files(settings.home)
    service = _service(settings.home, settings, occupation_task_alignment=True)
    with pytest.raises(Unavailable) as refused:
        service.recommend(Profile(**NURSE), "occupation", 5, log_impression=False)
    message = refused.value.message
    assert refused.value.code == "stale_artifact" and "waypoint build" in message, message
    assert "WAYPOINT_OCCUPATION_TASK_ALIGNMENT=false when built, true here" in message, message
    assert service.health()["models"]["state"] == "stale"
    assert model_files(settings.home) == before


# ------------------------------------------------------------------------------------------ real servers
@pytest.mark.slow
def test_server_on_an_unbuilt_home_answers_503_then_serves_after_waypoint_build(private_home, tmp_path):
    graphs = list((private_home / "indexes" / "skills_graph").glob("graph-*.pkl"))
    assert graphs, "the session home has no skills graph"
    for graph in graphs:
        graph.unlink()
    before = model_files(private_home)

    with running_server(private_home, tmp_path, ui=False) as server:
        health = httpx.get(f"{server.base}/healthz", timeout=30)
        assert health.status_code == 503, health.text
        models = health.json()["models"]  # open local mode: the caller is trusted, the report is full
        assert models["state"] == "not_built" and "run `waypoint build`" in models["detail"], models
        assert "graph-" in models["detail"]  # names the missing file
        for path, body in (
            ("/v1/recommend", {"profile": NURSE, "k": 5}),
            ("/v1/explain", {"profile": NURSE, "item_id": ITEM}),
        ):
            r = httpx.post(f"{server.base}{path}", json=body, timeout=60)
            assert r.status_code == 503, r.text
            assert r.json()["error"] == "not_built" and "not built: run `waypoint build`" in r.json()["message"]
    assert model_files(private_home) == before, "the server wrote model files"

    env = dict(os.environ, WAYPOINT_HOME=str(private_home), WAYPOINT_LLM_BACKEND="deterministic")
    t0 = time.perf_counter()
    built = subprocess.run(
        [sys.executable, "-m", "app.cli", "build", "--required-only"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    print(f"\nwaypoint build (skills graph missing, the rest recorded): {time.perf_counter() - t0:.1f}s")
    assert built.returncode == 0, built.stderr[-3000:]
    assert "skills" in built.stderr and "up to date" in built.stderr, built.stderr[-3000:]
    assert list((private_home / "indexes" / "skills_graph").glob("graph-*.pkl"))

    t0 = time.perf_counter()
    with running_server(private_home, tmp_path, ui=False) as server:
        deadline = time.monotonic() + 300
        while (r := httpx.get(f"{server.base}/healthz", timeout=30)).status_code != 200:
            assert time.monotonic() < deadline, r.text
            assert r.json()["status"] == "warming", r.text  # loading, never "not built" again
            time.sleep(0.2)
        ready_s = time.perf_counter() - t0
        assert r.json()["models"]["state"] == "ready", r.json()["models"]
        t1 = time.perf_counter()
        first = httpx.post(f"{server.base}/v1/recommend", json={"profile": NURSE, "k": 5}, timeout=60)
        first_s = time.perf_counter() - t1
        assert first.status_code == 200 and first.json()["items"], first.text
        t1 = time.perf_counter()
        explained = httpx.post(f"{server.base}/v1/explain", json={"profile": NURSE, "item_id": ITEM}, timeout=60)
        explain_s = time.perf_counter() - t1
        assert explained.status_code == 200, explained.text
        print(
            f"server ready (/healthz ok) {ready_s:.1f}s after start, warm-up "
            f"{r.json()['models']['warmup']['seconds']}s; first /v1/recommend {first_s * 1000:.0f} ms, "
            f"first /v1/explain {explain_s * 1000:.0f} ms"
        )
