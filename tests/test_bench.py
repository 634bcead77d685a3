"""``waypoint bench``: the quick run against the real stores and catalogue, its building blocks, and
the deployment files (compose settings must be ones the code reads).

Performance targets are checked by reading the bench report, never by timing assertions here; the
only numeric bounds below are about correctness (recall of a real HNSW index against exact search,
latencies being finite and ordered).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------------------------
# building blocks (no models)


def test_exact_topk_chunked_equals_full_sort():
    from eval.bench.retrieval import exact_topk, recall_at_k

    rng = np.random.default_rng(1)
    X = rng.standard_normal((5_003, 32)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    Q = X[rng.choice(len(X), 7, replace=False)] + 0.01
    ids, scores = exact_topk(X, Q, k=10, chunk=1_000)  # chunks that do not divide the rows
    full = np.argsort(-(Q @ X.T), axis=1)[:, :10]
    assert (ids == full).all()
    assert np.all(np.diff(scores, axis=1) <= 1e-6)  # best first
    assert recall_at_k(full.tolist(), ids) == 1.0
    assert recall_at_k([row[:5].tolist() + [-1] * 5 for row in full], ids) == 0.5


def test_gaussian_padding_matches_real_moments_and_is_normalised():
    from eval.bench.retrieval import gaussian_padding

    rng = np.random.default_rng(2)
    direction = rng.standard_normal(48)
    real = direction + 0.5 * rng.standard_normal((3_000, 48))
    real = (real / np.linalg.norm(real, axis=1, keepdims=True)).astype(np.float32)
    chunks = list(gaussian_padding(real, 25_000, seed=3, chunk=10_000))
    assert [len(c) for c in chunks] == [10_000, 10_000, 5_000]
    synth = np.concatenate(chunks)
    assert synth.dtype == np.float32
    assert np.allclose(np.linalg.norm(synth, axis=1), 1.0, atol=1e-4)
    mean_real, mean_synth = real.mean(0), synth.mean(0)
    cos = mean_real @ mean_synth / (np.linalg.norm(mean_real) * np.linalg.norm(mean_synth))
    assert cos > 0.99  # same overall direction as the real cloud
    # and not a copy of it: a fresh draw with another seed differs
    other = next(gaussian_padding(real, 10, seed=4))
    assert not np.allclose(other, synth[:10])


def _sleeper(seconds: float, *, report) -> dict:
    report("started")
    time.sleep(seconds)
    return {"slept": seconds}


def _boom(*, report) -> dict:
    raise ValueError("broken on purpose")


def test_run_boxed_reports_results_timeouts_and_errors():
    from eval.bench.common import run_boxed

    ok = run_boxed(_sleeper, (0.1,), timeout_s=60)
    assert ok["status"] == "ok" and ok["result"] == {"slept": 0.1}
    assert [e["event"] for e in ok["events"]] == ["started"]

    started = time.monotonic()
    slow = run_boxed(_sleeper, (120.0,), timeout_s=8)
    assert slow["status"] == "timeout" and slow["result"] is None
    assert [e["event"] for e in slow["events"]] == ["started"]  # progress before the kill survives
    assert time.monotonic() - started < 40  # killed, not waited for

    bad = run_boxed(_boom, (), timeout_s=60)
    assert bad["status"] == "error" and "broken on purpose" in bad["error"]


def test_bad_arguments_exit_with_code_2():
    from eval.bench.main import parse_args

    for argv in (["--only", "retrieval,nonsense"], ["--sizes", "10"], ["--retrieval-backends", "faiss"]):
        with pytest.raises(SystemExit) as exc:
            parse_args(argv)
        assert exc.value.code == 2
    quick = parse_args(["--quick"])
    assert quick.sizes == [10_000] and quick.report_name == "bench_quick"
    assert parse_args(["--quick", "--sizes", "2000,4000"]).sizes == [2000, 4000]


# --------------------------------------------------------------------------------------------
# deployment files


def _compose() -> dict:
    import yaml

    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_compose_settings_are_ones_the_code_reads():
    from retrieval.settings import Settings

    compose = _compose()
    fields = set(Settings.model_fields)
    seen = set()
    for name, service in compose["services"].items():
        env = service.get("environment") or {}
        for key in env:
            if key.startswith("WAYPOINT_"):
                field = key[len("WAYPOINT_") :].lower()
                assert field in fields, f"{name}: {key} is not a retrieval.settings field"
                seen.add(field)
    # the switches from embedded to server components are all set
    assert {
        "qdrant_url",
        "qdrant_shards",
        "qdrant_replication_factor",
        "llm_backend",
        "llm_base_url",
        "home",
        "events_url",
    } <= seen
    app_env = compose["services"]["app"]["environment"]
    from retrieval.sqldb import database_url

    events = database_url(app_env["WAYPOINT_EVENTS_URL"])  # the URL the store will open
    assert events.get_backend_name() == "postgresql" and events.host == "postgres" and events.database == "waypoint"
    assert compose["services"]["app"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert app_env["WAYPOINT_LLM_BACKEND"] == "openai" and int(app_env["WAYPOINT_QDRANT_REPLICATION_FACTOR"]) == 2
    assert Settings(qdrant_shards=int(app_env["WAYPOINT_QDRANT_SHARDS"])).qdrant_shards == 6


def test_compose_has_a_three_node_qdrant_cluster_vllm_with_lora_and_postgres():
    services = _compose()["services"]
    nodes = [s for n, s in services.items() if n.startswith("qdrant-")]
    assert len(nodes) == 3
    assert all(n["environment"]["QDRANT__CLUSTER__ENABLED"] == "true" for n in nodes)
    commands = [" ".join(n["command"]) for n in nodes]
    assert sum("--bootstrap http://qdrant-0:6335" in c for c in commands) == 2
    vllm = "\n".join(services["vllm"]["command"])
    assert "--enable-lora" in vllm and "--lora-modules" in vllm
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["app"]["deploy"]["replicas"] >= 2


# Compose's own validation (where `docker compose` exists) and the file's structure (everywhere):
# tests/unit/test_compose.py.


def test_dockerfile_has_cpu_and_cuda_targets():
    text = (REPO / "Dockerfile").read_text()
    targets = {line.split()[-1] for line in text.splitlines() if line.startswith("FROM ") and " AS " in line}
    assert {"cpu", "cuda", "vllm-cpu"} <= targets
    assert "vllm/vllm-openai" in text


# --------------------------------------------------------------------------------------------
# the quick bench against the real stores


def _finite_positive(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


@pytest.mark.slow
def test_quick_bench_retrieval_and_recommendation(settings, tmp_path):
    from eval.bench.main import main

    data = main(["--quick", "--only", "retrieval,recommend", "--out-dir", str(tmp_path), "--no-merge", "--quiet"])

    # the report and its plots are on disk, and the JSON is what main returned
    on_disk = json.loads((tmp_path / "bench_quick.json").read_text())
    assert on_disk["sections"].keys() == data["sections"].keys() == {"retrieval", "recommend"}
    assert (tmp_path / "bench_quick.md").read_text().startswith("# Waypoint benchmarks (quick)")
    assert (tmp_path / "bench_quick_retrieval.png").stat().st_size > 1000
    assert "load1" in data["machine"] and data["machine"]["cpus"] >= 1

    ret = data["sections"]["retrieval"]
    assert ret["status"] == "ok", ret.get("reason")
    assert ret["corpus"]["real"] > 0
    rows = {(r["backend"], r["size"]): r for r in ret["results"]}
    assert set(rows) == {("numpy", 10_000), ("edge", 10_000), ("client_local", 10_000)}
    for row in rows.values():
        assert row["status"] == "ok", row
        assert row["real_vectors"] + row["synthetic_vectors"] == 10_000
        assert row["queries"] >= 10
        assert _finite_positive(row["query_p50_ms"]) and _finite_positive(row["query_p95_ms"])
        assert row["query_p95_ms"] >= row["query_p50_ms"]
    # exact methods agree with the ground truth; Qdrant Edge's HNSW comes close to it
    assert rows[("numpy", 10_000)]["recall@10"] >= 0.99
    assert rows[("client_local", 10_000)]["recall@10"] >= 0.99
    assert rows[("edge", 10_000)]["recall@10"] >= 0.9
    assert rows[("edge", 10_000)]["points"] == 10_000

    rec = data["sections"]["recommend"]
    assert rec["status"] == "ok"
    assert set(rec["kinds"]) == {"occupation", "job", "course", "skill"}
    for kind, row in rec["kinds"].items():
        assert row["status"] == "ok", (kind, row)
        assert row["n"] >= 1 and _finite_positive(row["p50_ms"]) and row["p95_ms"] >= row["p50_ms"]
        assert row["empty_results"] < row["n"], f"{kind}: every recommendation came back empty"
