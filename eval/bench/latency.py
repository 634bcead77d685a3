"""Serving latency: recommendations per kind and explanations per backend, warm, p50/p95.

Both go through the same functions the CLI, REST API and UI call (:func:`retrieval.recommend.recommend`
and :func:`app.explain.service.explain_traced`), one request at a time, after one untimed warm-up
call per kind/backend (its time is reported as ``cold_ms``: model loads, index opens). Profiles are
real: résumé texts, applicants from the job-view log (``user_id``: their history is used) and an
occupation title with a few of its skills, cycled so every kind sees every profile type.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from eval.bench.common import Deadline, load_now, percentiles
from retrieval.pairs import bm25_items
from retrieval.recommend import Kind, recommend

__all__ = ["bench_profiles", "explain_latency", "recommend_latency", "server_first_request"]

#: Issue 26's target: the first request after /healthz says ok answers within this.
FIRST_REQUEST_TARGET_MS = 1000.0

KINDS = ("occupation", "job", "course", "skill")


def bench_profiles(settings, n: int) -> list:
    """``n`` deterministic real profiles cycling résumé text / applicant history / occupation+skills."""
    from retrieval.profile import Profile

    conn = sqlite3.connect(f"file:{settings.catalogue_path}?mode=ro", uri=True)
    try:
        resumes = [
            Profile(id=f"resume:{rid}", text=text[:4000])
            for rid, text in conn.execute(
                "SELECT id, text FROM resume WHERE length(text) > 200 ORDER BY id LIMIT ?", (n,)
            )
        ]
        applicants = [
            Profile(id=f"applicant:{a}", user_id=a)
            for (a,) in conn.execute(
                "SELECT applicant_id FROM job_view GROUP BY applicant_id HAVING count(*) >= 3 ORDER BY applicant_id LIMIT ?",
                (n,),
            )
        ]
        titled = []
        for oid, title in conn.execute(
            "SELECT id, title FROM occupation WHERE taxonomy = 'onet' ORDER BY id LIMIT ?", (n,)
        ):
            skills = [
                r[0]
                for r in conn.execute(
                    "SELECT s.label FROM occupation_skill os JOIN skill s ON s.id = os.skill_id "
                    "WHERE os.occupation_id = ? ORDER BY os.importance DESC LIMIT 5",
                    (oid,),
                )
            ]
            titled.append(Profile(id=f"title:{oid}", occupation=title, skills=skills))
    finally:
        conn.close()
    pools = [p for p in (resumes, applicants, titled) if p]
    if not pools:
        raise RuntimeError(f"no profiles in {settings.catalogue_path}: run `waypoint ingest` first")
    return [pools[i % len(pools)][(i // len(pools)) % len(pools[i % len(pools)])] for i in range(n)]


def recommend_latency(
    settings, *, n: int, k: int = 10, budget_s: float = 120.0, kinds=KINDS, progress: bool = True
) -> dict[str, Any]:
    """Warm single-profile ``recommend()`` latency per kind (each kind time-boxed to ``budget_s``)."""
    from retrieval.profile import ProfileError
    from retrieval.recommend import Kind, recommend

    profiles = bench_profiles(settings, n + 1)
    out: dict[str, Any] = {"k": k, "kinds": {}}
    for kind in kinds:
        row: dict[str, Any] = {**load_now()}
        try:
            t = time.perf_counter()
            recommend([profiles[0]], Kind(kind), k=k)
            row["cold_ms"] = round((time.perf_counter() - t) * 1000.0, 1)
            lat, empty, refused = [], 0, 0
            box = Deadline(budget_s)
            for p in profiles[1:]:
                t = time.perf_counter()
                try:
                    res = recommend([p], Kind(kind), k=k)
                except ProfileError:  # e.g. a history-only profile for a kind that needs text or skills
                    refused += 1
                    continue
                lat.append((time.perf_counter() - t) * 1000.0)
                empty += int(not res[0].items)
                if box.expired:
                    break
            row.update(status="ok", empty_results=empty, refused_profiles=refused, **percentiles(lat))
        except Exception as exc:  # noqa: BLE001 - one kind failing must not hide the others
            row.update(status="error", reason=f"{type(exc).__name__}: {exc}"[:300])
        out["kinds"][kind] = row
        if progress:
            print(
                f"bench recommend {kind}: {row.get('status')} p50 {row.get('p50_ms')} ms p95 {row.get('p95_ms')} ms",
                flush=True,
            )
    return out


def server_first_request(settings, *, timeout_s: float = 600.0) -> dict[str, Any]:
    """A real ``waypoint serve`` (REST only, deterministic explanations) on this home, from a cold process:
    seconds until ``/healthz`` answers 200, the warm-up's own seconds, then the first ``/v1/recommend``
    and ``/v1/explain`` after that (the target: each within :data:`FIRST_REQUEST_TARGET_MS`).

    Run before anything in this process opens the embedded vector store: Qdrant Edge lets one process
    hold it, and a server without it serves text profiles from memory (``/healthz`` says degraded)."""
    import os
    import socket
    import subprocess
    import sys

    import httpx

    profile = next((p for p in bench_profiles(settings, 3) if p.occupation), None)
    if profile is None:
        raise RuntimeError("no occupation profile in the catalogue")
    body = profile.model_dump(mode="json", exclude_none=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(
        os.environ,
        WAYPOINT_HOME=str(settings.home),
        WAYPOINT_LLM_BACKEND="deterministic",
        WAYPOINT_API_KEYS="",
        WAYPOINT_RATE_LIMIT_PER_MINUTE="0",
        PYTHONUNBUFFERED="1",
    )
    base = f"http://127.0.0.1:{port}"
    row: dict[str, Any] = {**load_now(), "target_ms": FIRST_REQUEST_TARGET_MS}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-ui",
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        box = Deadline(timeout_s)
        health: dict[str, Any] = {}
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}: {proc.stderr.read()[-500:]}")
            try:
                r = httpx.get(f"{base}/healthz", timeout=10)
                health = r.json()
                if r.status_code == 200:
                    break
                if health.get("status") == "down":
                    raise RuntimeError(f"the server is down: {health.get('degraded')}")
            except httpx.HTTPError:
                pass
            if box.expired:
                raise RuntimeError(f"/healthz did not say ok within {timeout_s:.0f} s: {health}")
            time.sleep(0.1)
        row["ready_s"] = round(time.perf_counter() - started, 2)
        row["health_status"] = health.get("status")
        row["warmup_s"] = ((health.get("models") or {}).get("warmup") or {}).get("seconds")

        def first(name: str, path: str, payload: dict) -> dict:
            t = time.perf_counter()
            r = httpx.post(f"{base}{path}", json=payload, timeout=timeout_s)
            row[f"first_{name}_ms"] = round((time.perf_counter() - t) * 1000.0, 1)
            r.raise_for_status()
            return r.json()

        item = first("recommend", "/v1/recommend", {"profile": body, "k": 10})["items"][0]["id"]
        first("explain", "/v1/explain", {"profile": body, "item_id": item})
        row["meets_target"] = max(row["first_recommend_ms"], row["first_explain_ms"]) <= FIRST_REQUEST_TARGET_MS
        row["status"] = "ok"
        return row
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _pairs(settings, n: int) -> list[tuple[Any, str]]:
    """(profile, recommended occupation) pairs: what a user would ask to have explained."""
    profiles = [p for p in bench_profiles(settings, 3 * n) if p.text or p.occupation][:n]
    try:
        results = recommend(profiles, Kind.occupation, k=1)
        return [(p, r.items[0].id) for p, r in zip(profiles, results) if r.items]
    except Exception as exc:  # noqa: BLE001 - the recommender must not stop the LLM benchmarks
        PAIR_SOURCE[0] = f"bm25 (recommend failed: {type(exc).__name__}: {exc})"[:200]
        items = bm25_items(settings, [p.model_copy(update={"text": p.text or p.occupation}) for p in profiles], 1)
        return [(p, ids[0]) for p, ids in zip(profiles, items) if ids]


#: How explanation pairs were chosen in this process ("recommend" unless it had to fall back).
PAIR_SOURCE = ["recommend"]


def explain_latency(
    settings, *, backends: list[str], n_fast: int, n_llm: int, budget_s: float = 300.0, progress: bool = True
) -> dict[str, Any]:
    """``explain_traced`` latency per backend; LLM backends on fewer pairs (seconds each on CPU).

    A backend whose LLM is unreachable is reported with its fallback reason rather than timed:
    falling back to the composer would make it look as fast as the composer.
    """
    from app.explain.service import explain_traced

    pairs = _pairs(settings, max(n_fast, n_llm) + 1)
    out: dict[str, Any] = {"pairs": len(pairs), "backends": {}}
    for backend in backends:
        row: dict[str, Any] = {**load_now()}
        n = n_fast if backend == "deterministic" else n_llm
        try:
            t = time.perf_counter()
            e, trace = explain_traced(pairs[0][0], pairs[0][1], backend=backend, settings=settings)
            row["cold_ms"] = round((time.perf_counter() - t) * 1000.0, 1)
            if backend != "deterministic" and trace.llm_latency_ms is None:
                row.update(status="skipped", reason=f"LLM not used: {e.fallback_reason}")
                out["backends"][backend] = row
                continue
            lat, llm_lat, tokens, fallbacks = [], [], 0, 0
            box = Deadline(budget_s)
            for profile, item in pairs[1 : n + 1]:
                t = time.perf_counter()
                e, trace = explain_traced(profile, item, backend=backend, settings=settings)
                lat.append((time.perf_counter() - t) * 1000.0)
                if trace.llm_latency_ms is not None:
                    llm_lat.append(trace.llm_latency_ms)
                tokens += trace.tokens_generated
                fallbacks += int(e.fallback_reason is not None)
                if box.expired:
                    break
            row.update(status="ok", fallbacks=fallbacks, tokens_generated=tokens, **percentiles(lat))
            if llm_lat:
                row["llm_p50_ms"] = percentiles(llm_lat)["p50_ms"]
        except Exception as exc:  # noqa: BLE001
            row.update(status="error", reason=f"{type(exc).__name__}: {exc}"[:300])
        out["backends"][backend] = row
        if progress:
            print(
                f"bench explain {backend}: {row.get('status')} p50 {row.get('p50_ms')} ms {row.get('reason', '')}",
                flush=True,
            )
    return out
