"""Honest degraded states, over real processes: a real server, a real second process holding the
Qdrant Edge store, the real CLI, real sockets.

* a server that starts while another process holds the vector store says ``degraded`` (with the
  holder) on /healthz, keeps answering, and recovers by itself once the holder exits -- explanations
  write to the conversation memory again;
* the CLI beside a running server exits 2 naming the lock and its holder (Qdrant Edge has no
  read-only open), or runs degraded only when asked to;
* ``HEAD /healthz`` is 200; an untrusted caller's /healthz has no filesystem path;
* /healthz answers within 1 s while 45 slow LLM requests fill anyio's default worker pool;
* a connection that never finishes its request headers is closed (uvicorn has no such timeout).

The server runs on a private home (the session catalogue, models and caches linked in; its own
vector store and events), so holding its store never disturbs the rest of the session.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.server_helpers import stop

pytestmark = pytest.mark.slow  # real server, holder and CLI subprocesses

REPO = Path(__file__).resolve().parent.parent
KEY = "degraded-test-key-0123456789"
ITEM = "21-1091.00"  # Health Education Specialists
NURSE = {
    "occupation": "Registered Nurses",
    "skills": ["patient education", "Microsoft Excel"],
    "text": "I teach patients about managing diabetes and run community health workshops.",
}
TRUSTED = {"X-API-Key": KEY}
# A profile long enough for the memory to keep in chunks (app/explain/memory.py PROFILE_CHUNK_CHARS): what an
# explanation with a session writes into the vector store.
LONG_PROFILE = {
    **NURSE,
    "text": " ".join(
        [NURSE["text"]] * 4 + ["I also coordinate night-shift handovers and train new staff on the ward."] * 6
    ),
}

# A second process that builds a small explanation memory in the private home and then holds it open
# (Qdrant Edge: one process per store) until its stdin closes.
HOLDER = r"""
import sys
from app.explain import memory
from retrieval.embeddings import get_embedder
from retrieval.settings import Settings
from retrieval.vectorstore.edge import EdgeStore

settings = Settings(home=sys.argv[1])
memory.build_memory(settings, kinds=[memory.OCCUPATION], only={memory.OCCUPATION: [sys.argv[2]]}, show_progress=False)
root = settings.index_dir / "qdrant-edge"
EdgeStore(memory.collection_name(memory.TURN), root).ensure(int(get_embedder(settings).dim))
held = [EdgeStore(p.name, root).open() for p in sorted(root.iterdir())]
print("holding", len(held), flush=True)
sys.stdin.read()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def home(waypoint_home, tmp_path_factory) -> Path:
    """A home that shares the session's read-only artefacts and has its own vector store and events."""
    home = tmp_path_factory.mktemp("degraded") / "home"
    (home / "indexes" / "qdrant-edge").mkdir(parents=True)
    for entry in Path(waypoint_home).iterdir():
        if entry.name.startswith("events") or entry.name == "indexes":
            continue
        (home / entry.name).symlink_to(entry)
    indexes = Path(waypoint_home) / "indexes"
    for entry in indexes.iterdir() if indexes.is_dir() else []:
        if entry.name != "qdrant-edge":
            (home / "indexes" / entry.name).symlink_to(entry)
    return home


@pytest.fixture(scope="module")
def blackhole():
    """An LLM server that accepts connections and never answers: what a hung vLLM looks like."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # never accept(): the kernel completes handshakes, nothing ever replies
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture(scope="module")
def env(home, blackhole, data_dir) -> dict[str, str]:
    return dict(
        os.environ,
        WAYPOINT_HOME=str(home),
        WAYPOINT_DATA=str(data_dir),
        WAYPOINT_LLM_BACKEND="deterministic",
        WAYPOINT_API_KEYS=KEY,
        WAYPOINT_BACKEND_API_KEYS=KEY,
        WAYPOINT_RATE_LIMIT_PER_MINUTE="0",
        WAYPOINT_LLM_BASE_URL=f"http://127.0.0.1:{blackhole}/v1",
        WAYPOINT_LLM_TIMEOUT_S="6",
        WAYPOINT_LLM_MAX_RETRIES="0",
        WAYPOINT_LLM_MAX_INFLIGHT="64",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        OMP_NUM_THREADS="1",
        PYTHONUNBUFFERED="1",
    )


@pytest.fixture(scope="module")
def server(home, env, tmp_path_factory):
    """The server, started while the holder has the vector store: ``{"base", "holder", "log"}``."""
    logs = tmp_path_factory.mktemp("degraded-logs")
    holder_log = open(logs / "holder.log", "w")  # noqa: SIM115 - open for the holder's whole life
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(home), ITEM],
        cwd=REPO,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=holder_log,
        text=True,
    )
    log_path = logs / "server.log"
    log = open(log_path, "w")  # noqa: SIM115 - open for the server's whole life, closed in finally
    proc = None
    try:
        line = holder.stdout.readline()  # "holding N", or "" when it died
        if not line.startswith("holding"):
            pytest.fail(f"holder failed ({holder.wait(timeout=30)}): {(logs / 'holder.log').read_text()[-3000:]}")
        port = _free_port()
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
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server did not come up:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield {"base": base, "holder": holder, "log": log_path, "pid": proc.pid}
    finally:
        if proc is not None:
            stop(proc)
        stop(holder)
        log.close()
        holder_log.close()


def _health(base: str, headers: dict | None = None) -> dict:
    r = httpx.get(f"{base}/healthz", headers=headers or {}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def _wait_health(base: str, ok, timeout: float = 40.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        report = _health(base, TRUSTED)
        if ok(report):
            return report
        assert time.monotonic() < deadline, f"/healthz never got there: {json.dumps(report)[:2000]}"
        time.sleep(0.5)


def _explain(base: str, session: str, **extra) -> httpx.Response:
    return httpx.post(
        f"{base}/v1/explain",
        headers=TRUSTED,
        timeout=120,
        json={"profile": NURSE, "item_id": ITEM, "session_id": session, **extra},
    )


def _release(server: dict) -> dict:
    """End the holder (closing its stdin) and wait until the server has claimed the store."""
    holder = server["holder"]
    if holder.poll() is None:
        holder.stdin.close()
        holder.wait(timeout=30)
    return _wait_health(server["base"], lambda r: r["vector_store"]["ok"])


@pytest.fixture()
def released(server) -> dict:
    _release(server)
    return server


# ------------------------------------------------------------------------------------ the store itself
def test_edge_store_lock_names_the_holder_and_retries_after_a_backoff(tmp_path, env):
    """The building blocks, on a real shard held by a real second process."""
    from retrieval.vectorstore.edge import EdgeStore
    from retrieval.vectorstore.locks import StoreLocked

    store = EdgeStore("locked", tmp_path)
    store.ensure(4)
    store.close()
    script = (
        "import sys; from retrieval.vectorstore.edge import EdgeStore; "
        f"EdgeStore('locked', {str(tmp_path)!r}).open(); print('holding', flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().startswith("holding")
        with pytest.raises(StoreLocked) as first:
            store.open()
        assert first.value.holder is not None and first.value.holder.pid == holder.pid
        assert str(tmp_path / "locked") in str(first.value) and str(holder.pid) in str(first.value)
        assert first.value.public_message == "collection 'locked' is locked by another process"
        t0 = time.perf_counter()
        with pytest.raises(StoreLocked) as again:  # within the backoff: no second open attempt
            store.open()
        assert time.perf_counter() - t0 < 0.05 and again.value.retry_in_s and again.value.retry_in_s > 0
        holder.stdin.close()
        holder.wait(timeout=30)
        deadline = time.monotonic() + 10
        while True:  # the backoff after one failure is 0.5 s: the next attempt opens it
            try:
                assert store.open() is True
                break
            except StoreLocked:
                assert time.monotonic() < deadline, "never reopened after the holder exited"
                time.sleep(0.1)
        assert store.is_open() and store.count() == 0
    finally:
        store.close()
        stop(holder)


# ------------------------------------------------------------------------------------ lock, then recovery
def test_locked_store_is_degraded_on_healthz_then_recovers_when_freed(server):
    base, holder = server["base"], server["holder"]
    report = _health(base, TRUSTED)
    assert report["status"] == "degraded", report
    store = report["vector_store"]
    assert store["collections"]["explain_occupation"] == "locked"
    assert store["collections"]["explain_turn"] == "locked"
    reason = store["problems"]["explain_occupation"]
    assert f"process {holder.pid}" in reason and "explain_occupation" in reason, reason  # names the holder
    assert "locked" in report["degraded"]["vector_store"]

    public = _health(base)  # no key: status and components only
    assert public["status"] == "degraded" and public["components"]["vector_store"] == "degraded", public
    assert {c for c, state in public["components"].items() if state != "ok"} == {"vector_store"}, public
    assert str(holder.pid) not in json.dumps(public) and "problems" not in public

    r = _explain(base, "degraded-during-lock", profile=LONG_PROFILE)  # still answers, from the catalogue
    assert r.status_code == 200, r.text
    assert r.json()["citations"]

    freed_at = time.monotonic()
    report = _release(server)
    print(f"\nrecovered {time.monotonic() - freed_at:.1f} s after the holder exited")
    assert report["status"] == "ok" and not report["degraded"], report
    assert set(report["vector_store"]["collections"].values()) == {"open"}
    profiles_before = report["vector_store"]["points"].get("explain_profile", 0)

    for session in ("after-lock-a", "after-lock-b"):  # each session's profile chunks go into the memory
        assert _explain(base, session, profile=LONG_PROFILE).status_code == 200
    report = _wait_health(
        base, lambda r: r["vector_store"]["points"].get("explain_profile", 0) >= profiles_before + 2, timeout=15
    )
    assert report["vector_store"]["points"]["explain_occupation"] > 1  # the memory built by the holder


# ------------------------------------------------------------------------------------ CLI beside the server
def test_cli_beside_running_server_exits_2_naming_the_lock(released, env, tmp_path):
    profile = tmp_path / "nurse.json"
    profile.write_text(json.dumps(NURSE))
    cmd = [
        sys.executable,
        "-m",
        "app.cli",
        "explain",
        "--profile",
        str(profile),
        "--item",
        ITEM,
        "--backend",
        "deterministic",
    ]
    run = subprocess.run(cmd, check=False, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    message = " ".join(run.stderr.split())
    assert run.returncode == 2, (run.returncode, run.stderr[-2000:])
    assert run.stdout == ""  # no half-degraded result
    assert f"process {released['pid']}" in message and "app.server" in message, message  # who holds it
    assert "explain_occupation" in message and "wal" in message, message  # which lock
    assert "Stop that process" in message and "--allow-degraded" in message, message  # what to do

    degraded = subprocess.run(
        [*cmd, "--allow-degraded"], check=False, cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert degraded.returncode == 0, degraded.stderr[-2000:]
    assert "--allow-degraded" in " ".join(degraded.stderr.split())  # said, not silent
    assert json.loads(degraded.stdout)["item"]["id"] == ITEM


# ------------------------------------------------------------------------------------ what /healthz shows
def test_head_healthz_is_200(released):
    for headers in ({}, TRUSTED):
        r = httpx.head(f"{released['base']}/healthz", headers=headers, timeout=10)
        assert r.status_code == 200 and r.content == b""


def test_untrusted_healthz_shows_no_paths_or_details(released, home):
    trusted = httpx.get(f"{released['base']}/healthz", headers=TRUSTED, timeout=10)
    assert str(home) in trusted.text  # the trusted view has the paths, so the check below can fail
    for headers in ({}, {"X-API-Key": "wrong-key"}):
        r = httpx.get(f"{released['base']}/healthz", headers=headers, timeout=10)
        assert r.status_code == 200
        body = r.json()
        assert set(body) <= {"status", "components", "stale_s"}, body
        assert set(body["components"].values()) <= {"ok", "degraded", "down"}
        assert "/" not in r.text and "sqlite" not in r.text and "Error" not in r.text, r.text


# ------------------------------------------------------------------------------------ a saturated server
def test_healthz_answers_within_1s_while_45_llm_requests_fill_the_pool(released):
    """45 explanations on an LLM that never answers hold 45 worker threads (anyio's default pool has 40)
    for 6 s each. /metrics, an ordinary sync route, waits for a free worker; /healthz must not."""
    base = released["base"]

    def slow(i: int) -> int:
        return _explain(base, f"flood-{i}", backend="openai").status_code

    with ThreadPoolExecutor(max_workers=46) as pool:
        flood = [pool.submit(slow, i) for i in range(45)]
        time.sleep(1.5)  # let them take the workers

        def timed_metrics() -> float:
            t0 = time.perf_counter()
            assert httpx.get(f"{base}/metrics", headers=TRUSTED, timeout=60).status_code == 200
            return time.perf_counter() - t0

        metrics = pool.submit(timed_metrics)
        latencies = []
        for _ in range(6):
            t0 = time.perf_counter()
            r = httpx.get(f"{base}/healthz", headers=TRUSTED, timeout=10)
            latencies.append(time.perf_counter() - t0)
            assert r.status_code == 200 and r.json()["status"] in ("ok", "degraded")
            time.sleep(0.3)
        metrics_s = metrics.result()
        statuses = [f.result() for f in flood]
    print(f"\n/healthz under a full pool: max {max(latencies) * 1000:.0f} ms; /metrics waited {metrics_s:.1f} s")
    assert metrics_s > 2.0, "the pool was not saturated: the test would prove nothing"
    assert max(latencies) < 1.0, latencies
    assert statuses.count(200) == 45, statuses  # each fell back to the deterministic composer


# ------------------------------------------------------------------------------------ half-open connections
def test_connections_that_never_finish_their_headers_are_closed(released):
    host, port = released["base"].removeprefix("http://").split(":")

    def closed_after(payload: bytes) -> float:
        with socket.create_connection((host, int(port)), timeout=30) as s:
            t0 = time.monotonic()
            if payload:
                s.sendall(payload)
            try:
                while s.recv(1024):
                    pass
            except TimeoutError:
                return float("inf")
            return time.monotonic() - t0

    with ThreadPoolExecutor(max_workers=2) as pool:
        silent = pool.submit(closed_after, b"")
        partial = pool.submit(closed_after, b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # no final CRLF, ever
        # meanwhile a normal request on a fresh connection is answered at once
        assert httpx.get(f"{released['base']}/healthz", timeout=5).status_code == 200
        times = silent.result(), partial.result()
    print(f"\nhalf-open connections closed after {times[0]:.1f} s (silent) and {times[1]:.1f} s (partial headers)")
    for t in times:
        assert 8.0 <= t <= 15.0, times  # HEADER_TIMEOUT_S = 10 in app/server.py
    assert re.search(r"request line and headers not received", released["log"].read_text())
