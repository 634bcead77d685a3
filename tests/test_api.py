"""REST API against the synthetic catalogue (tests/synthetic_catalogue.py), with the real recommender and
explainer (deterministic backend): the unit tier, schemathesis and the loopback load run included.

Happy paths, every kind of bad input (4xx with a message, never 5xx), API keys, rate limits, body
size limits, PII redaction, metrics, a schemathesis run over the OpenAPI schema, and a bounded
concurrent load on a real uvicorn server on loopback (latencies printed, never asserted).
"""

from __future__ import annotations

import json
import logging
import re
import socket
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings as hsettings
from schemathesis.checks import not_a_server_error

from app.api.app import create_app
from app.api.auth import LOCAL_PRINCIPAL as LOCAL_USER
from app.api.routes import bind_session
from app.feedback.store import EventStore
from app.security import hash_user_id
from tests import synthetic_catalogue as synthetic
from tests.server_helpers import uvicorn_in_thread

NURSE = {
    "occupation": "Registered Nurses",
    "skills": ["patient education", "Microsoft Excel"],
    "text": "I teach patients about managing diabetes and run community health workshops.",
}
ITEM = "21-1091.00"  # Health Education Specialists


@pytest.fixture(scope="module")
def events(api_settings):
    return EventStore(api_settings.events_path)


def _session() -> str:
    return "test-" + uuid.uuid4().hex[:12]


def _stored(session: str) -> str:
    """The session id as stored: bound to the caller (here the open local mode's single user)."""
    return bind_session(LOCAL_USER, session)


def _assert_error(response, status: int, *fragments: str):
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert body["message"] and isinstance(body["message"], str), body
    for fragment in fragments:
        assert fragment.lower() in body["message"].lower(), body["message"]
    return body


# ------------------------------------------------------------------------------------------------ happy paths
def test_recommend_happy_path(client, events):
    session = _session()
    r = client.post(
        "/v1/recommend", json={"profile": {"id": "p1", **NURSE}, "kind": "occupation", "k": 7, "session_id": session}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == "p1" and body["kind"] == "occupation"
    assert len(body["items"]) == 7
    assert all(i["kind"] == "occupation" and i["title"] and i["id"] for i in body["items"])
    assert "29-1141.00" not in [i["id"] for i in body["items"]]  # not the person's own occupation
    rows = events.query("SELECT * FROM events WHERE session_id = :s ORDER BY position", {"s": _stored(session)})
    assert [r["item_id"] for r in rows] == [i["id"] for i in body["items"]]
    assert {r["impression_id"] for r in rows} == {body["impression_id"]}
    assert json.loads(rows[0]["shown"]) == [i["id"] for i in body["items"]]


def test_explain_happy_path(client, events):
    session = _session()
    r = client.post(
        "/v1/explain",
        json={"profile": NURSE, "item_id": ITEM, "backend": "deterministic", "session_id": session, "position": 2},
    )
    assert r.status_code == 200, r.text
    e = r.json()
    assert e["item"]["id"] == ITEM and e["item"]["title"]
    assert e["fit"] in {"strong", "possible", "stretch"}
    assert e["summary"]
    assert e["model"]["backend"] == "deterministic"
    assert 0.0 <= e["faithfulness"] <= 1.0
    cited = {c["id"] for c in e["citations"]}
    for skill in e["matched_skills"] + e["missing_skills"]:
        assert set(skill.get("evidence") or []) <= cited, skill  # every claim cites evidence that exists
    assert e["matched_skills"], "a nurse shares skills with health education"
    assert e["variant"] and e["propensity"] in (1.0 - api_settings_rate(client), api_settings_rate(client))
    row = events.query("SELECT * FROM events WHERE impression_id = :i", {"i": e["impression_id"]})[0]
    assert row["type"] == "impression" and row["item_id"] == ITEM and row["position"] == 2
    assert row["variant"] == e["variant"] and row["propensity"] == pytest.approx(e["propensity"])
    assert row["model_backend"] == "deterministic" and row["session_id"] == _stored(session)


def api_settings_rate(client) -> float:
    return client.app.state.settings.exploration_rate


def test_explain_stream_sse_sends_verified_parts_with_citations(client):
    plain = client.post(
        "/v1/explain", json={"profile": NURSE, "item_id": ITEM, "backend": "deterministic", "variant": "default"}
    ).json()
    with client.stream(
        "POST",
        "/v1/explain",
        json={"profile": NURSE, "item_id": ITEM, "backend": "deterministic", "variant": "default", "stream": True},
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        raw = "".join(r.iter_text())
    frames = [f for f in raw.split("\n\n") if f.strip()]
    parsed = []
    for frame in frames:
        lines = dict(line.split(": ", 1) for line in frame.splitlines())
        parsed.append((lines["event"], json.loads(lines["data"])))
    names = [n for n, _ in parsed]
    assert names[0] == "meta" and names[-1] == "done"  # the skeleton (skills, then "skeleton") before any text
    assert names.index("skeleton") < names.index("summary") and "next_step" not in names[: names.index("skeleton")]
    assert names.count("matched_skill") == len(plain["matched_skills"])
    assert names.count("missing_skill") == len(plain["missing_skills"])
    assert names.count("next_step") == len(plain["next_steps"])
    by_id = {c["id"]: c for c in plain["citations"]}
    for name, data in parsed:
        if name in ("matched_skill", "missing_skill"):
            assert [c["id"] for c in data["citations"]] == data["evidence"]
            assert all(c == by_id[c["id"]] for c in data["citations"])  # resolved, same text as the object
    done = parsed[-1][1]
    for key in ("summary", "matched_skills", "missing_skills", "citations", "next_steps", "fit"):
        assert done[key] == plain[key]


def test_explain_stream_ndjson(client):
    r = client.post(
        "/v1/explain",
        json={"profile": NURSE, "item_id": ITEM, "backend": "deterministic", "stream": True},
        headers={"Accept": "application/x-ndjson"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines() if line.strip()]
    assert lines[0]["event"] == "meta" and lines[-1]["event"] == "done"
    assert lines[-1]["data"]["item"]["id"] == ITEM


def test_feedback_happy_paths(client, events):
    session = _session()
    imp = client.post(
        "/v1/explain", json={"profile": NURSE, "item_id": ITEM, "backend": "deterministic", "session_id": session}
    ).json()["impression_id"]
    payloads = [
        {"type": "click", "item_id": ITEM, "impression_id": imp, "position": 0},
        {"type": "dwell", "item_id": ITEM, "impression_id": imp, "dwell_ms": 5400},
        {
            "type": "thumbs",
            "item_id": ITEM,
            "impression_id": imp,
            "up": False,
            "reason": "missing_skill",
            "comment": "reach me at nurse.jo@example.com or +44 20 7946 0958",
            "corrections": [{"skill": "Python", "action": "missing"}],
        },
        {"type": "thumbs", "item_id": ITEM, "impression_id": imp, "up": True},
        {"type": "correction", "corrections": [{"skill": "Microsoft Excel", "action": "wrong"}], "user_id": "jo-77"},
        {"type": "impression", "items": ["a", "b"], "positions": [3, 4], "variant": "alt", "propensity": 0.1},
    ]
    for p in payloads:
        r = client.post("/v1/feedback", json={**p, "session_id": session})
        assert r.status_code == 201, (p, r.text)
        assert r.json()["type"] == p["type"] and r.json()["event_id"]
    rows = events.query("SELECT * FROM events WHERE session_id = :s", {"s": _stored(session)})
    types = [r["type"] for r in rows]
    assert types.count("click") == 1 and types.count("dwell") == 1 and types.count("thumbs") == 2
    assert types.count("correction") == 2
    thumbs_down = next(r for r in rows if r["type"] == "thumbs" and r["value"] == -1.0)
    assert thumbs_down["reason"] == "missing_skill"
    assert "example.com" not in thumbs_down["payload"] and "7946" not in thumbs_down["payload"]
    assert next(r for r in rows if r["type"] == "dwell")["value"] == 5400
    correction = next(r for r in rows if r["type"] == "correction" and r["action"] == "wrong")
    assert correction["skill"] == "Microsoft Excel" and correction["user_hash"] == hash_user_id("jo-77")
    assert "jo-77" not in json.dumps(rows)


def test_healthz_and_docs(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    h = r.json()
    assert h["catalogue"]["present"] is True and h["catalogue"]["occupations"] == synthetic.OCCUPATION_ROWS
    assert h["llm"]["backend"] == "deterministic" and h["llm"]["ok"] is True
    assert "llm" not in h["degraded"] and h["status"] in ("ok", "degraded")
    docs = client.get("/docs")
    assert docs.status_code == 200 and "cdn." not in docs.text  # Swagger UI from our own assets, not a CDN
    bundle = re.search(r'src="([^"]+swagger-ui-bundle\.js)"', docs.text).group(1)
    asset = client.get(bundle)
    assert asset.status_code == 200 and "SwaggerUIBundle" in asset.text
    spec = client.get("/openapi.json").json()
    assert {"/v1/recommend", "/v1/explain", "/v1/feedback", "/healthz", "/metrics"} <= set(spec["paths"])


# ------------------------------------------------------------------------------------------------ bad input
BAD_INPUTS = [
    # (method, path, body or raw bytes, status, message fragment)
    ("post", "/v1/recommend", b"{not json", 400, "malformed json"),
    ("post", "/v1/recommend", b"", 422, "field required"),
    ("post", "/v1/recommend", [], 422, "valid dictionary"),
    ("post", "/v1/recommend", {"profile": {}}, 422, "empty profile"),
    ("post", "/v1/recommend", {"profile": {"occupation": "  "}}, 422, "empty profile"),
    ("post", "/v1/recommend", {"profile": NURSE, "kind": "spaceship"}, 422, "kind"),
    ("post", "/v1/recommend", {"profile": NURSE, "k": 0}, 422, "k:"),
    ("post", "/v1/recommend", {"profile": NURSE, "k": "ten"}, 422, "k:"),
    ("post", "/v1/recommend", {"profile": NURSE, "k": 100000}, 422, "k:"),
    ("post", "/v1/recommend", {"profile": {"skills": "python"}}, 422, "skills"),
    ("post", "/v1/recommend", {"profile": {"occupation": 42.5, "shoe_size": 9}}, 422, "shoe_size"),
    ("post", "/v1/recommend", {"profile": {"occupation": "99-9999.00"}}, 400, "unknown occupation"),
    ("post", "/v1/recommend", {"profile": NURSE, "surprise": True}, 422, "surprise"),
    ("post", "/v1/recommend", {"profile": {"text": "x" * 60_000}}, 422, "limit"),
    ("post", "/v1/explain", {"profile": NURSE}, 422, "item_id"),
    ("post", "/v1/explain", {"profile": NURSE, "item_id": ""}, 422, "item_id"),
    ("post", "/v1/explain", {"profile": NURSE, "item_id": "99-9999.99"}, 404, "unknown item"),
    ("post", "/v1/explain", {"profile": NURSE, "item_id": "not-an-item"}, 404, "unknown item"),
    ("post", "/v1/explain", {"profile": {}, "item_id": ITEM}, 422, "empty profile"),
    ("post", "/v1/explain", {"profile": NURSE, "item_id": ITEM, "backend": "gpt-17"}, 422, "backend"),
    ("post", "/v1/explain", {"profile": NURSE, "item_id": ITEM, "stream": "sometimes"}, 422, "stream"),
    ("post", "/v1/explain", {"profile": NURSE, "item_id": ITEM, "variant": "DROP TABLE"}, 422, "variant"),
    ("post", "/v1/explain", {"profile": NURSE, "item_id": ITEM, "position": -1}, 422, "position"),
    ("post", "/v1/explain", {"profile": "nurse", "item_id": ITEM}, 422, "profile"),
    ("post", "/v1/feedback", {"type": "like", "item_id": ITEM}, 422, "type"),
    ("post", "/v1/feedback", {"type": "thumbs", "item_id": ITEM}, 422, "needs up"),
    ("post", "/v1/feedback", {"type": "thumbs", "item_id": ITEM, "up": False, "reason": "meh"}, 422, "reason"),
    ("post", "/v1/feedback", {"type": "click", "item_id": ITEM, "reason": "other"}, 422, "thumbs"),
    ("post", "/v1/feedback", {"type": "click"}, 422, "item_id"),
    ("post", "/v1/feedback", {"type": "dwell", "item_id": ITEM, "dwell_ms": -3}, 422, "dwell_ms"),
    ("post", "/v1/feedback", {"type": "correction", "corrections": []}, 422, "corrections"),
    ("post", "/v1/feedback", {"type": "correction", "corrections": [{"skill": "x", "action": "maybe"}]}, 422, "action"),
    ("post", "/v1/feedback", {"type": "impression", "items": ["a"], "propensity": 0}, 422, "propensity"),
    ("get", "/v1/recommend", None, 405, "method"),
    ("get", "/v1/nothing-here", None, 404, "not found"),
]


@pytest.mark.parametrize(
    "method,path,body,status,fragment",
    BAD_INPUTS,
    ids=[f"{m}-{p}-{s}-{n}" for n, (m, p, _b, s, _f) in enumerate(BAD_INPUTS)],
)
def test_bad_input_is_a_clear_4xx(client, method, path, body, status, fragment):
    if method == "get":
        r = client.get(path)
    elif isinstance(body, bytes):
        r = client.post(path, content=body, headers={"content-type": "application/json"})
    else:
        r = client.post(path, json=body)
    err = _assert_error(r, status, fragment)
    assert err["error"]


def test_item_of_a_kind_that_cannot_be_explained_is_a_4xx(client, synthetic_catalogue):
    catalogue = synthetic_catalogue
    course = catalogue.execute("SELECT id FROM course LIMIT 1").fetchone()
    if course is None:
        pytest.skip("no courses in the catalogue")
    r = client.post("/v1/explain", json={"profile": NURSE, "item_id": course[0], "backend": "deterministic"})
    assert 400 <= r.status_code < 500 and r.json()["message"]


def test_unavailable_kind_or_unmatched_profile_is_a_4xx(client):
    for kind in ("job", "course", "skill"):
        r = client.post("/v1/recommend", json={"profile": NURSE, "kind": kind, "k": 3})
        assert r.status_code == 200 or (400 <= r.status_code < 500 and r.json()["message"]), r.text


# ------------------------------------------------------------------------------------------------ security
@pytest.fixture(scope="module")
def locked_client(api_settings):
    s = api_settings.model_copy(update={"api_keys": "alpha-key, beta-key", "rate_limit_per_minute": 100_000})
    with TestClient(create_app(s, mount_ui=False)) as c:
        yield c


def test_api_keys_guard_every_endpoint(locked_client):
    event = {"type": "click", "item_id": ITEM, "session_id": _session()}
    _assert_error(locked_client.post("/v1/feedback", json=event), 401, "missing api key")
    _assert_error(locked_client.post("/v1/feedback", json=event, headers={"X-API-Key": "wrong"}), 403, "invalid")
    assert locked_client.post("/v1/feedback", json=event, headers={"X-API-Key": "beta-key"}).status_code == 201
    # reads write impression rows and cost CPU: they need a key too, as a header or a bearer token
    _assert_error(locked_client.post("/v1/recommend", json={"profile": NURSE, "k": 2}), 401, "missing api key")
    assert (
        locked_client.post(
            "/v1/recommend", json={"profile": NURSE, "k": 2}, headers={"Authorization": "Bearer alpha-key"}
        ).status_code
        == 200
    )
    for path in ("/metrics", "/docs", "/openapi.json"):
        assert locked_client.get(path).status_code == 401, path
        assert locked_client.get(path, headers={"X-API-Key": "alpha-key"}).status_code == 200, path
    assert locked_client.get("/healthz").status_code == 200  # load balancers carry no key


def test_rate_limit_answers_429_per_key(api_settings):
    s = api_settings.model_copy(update={"api_keys": "k1,k2", "rate_limit_per_minute": 3, "rate_limit_shared": False})
    with TestClient(create_app(s, mount_ui=False)) as c:
        body = {"profile": NURSE, "k": 1}
        k2 = {"X-API-Key": "k2"}
        codes = [c.post("/v1/recommend", json=body, headers=k2).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = c.post("/v1/recommend", json=body, headers=k2)
        _assert_error(r, 429, "rate limit")
        assert int(r.headers["Retry-After"]) >= 1
        # another identity has its own bucket
        assert c.post("/v1/recommend", json=body, headers={"X-API-Key": "k1"}).status_code == 200
        assert "waypoint_rate_limited_total" in c.get("/metrics", headers={"X-API-Key": "k1"}).text


def test_request_size_limit_413(api_settings):
    s = api_settings.model_copy(update={"max_request_bytes": 2_000})
    with TestClient(create_app(s, mount_ui=False)) as c:
        big = {"profile": {"text": "nursing " * 400}, "k": 3}
        _assert_error(c.post("/v1/recommend", json=big), 413, "limit")

        def chunks():  # no Content-Length: the body streams in chunks
            payload = json.dumps(big).encode()
            for i in range(0, len(payload), 500):
                yield payload[i : i + 500]

        _assert_error(
            c.post("/v1/recommend", content=chunks(), headers={"content-type": "application/json"}), 413, "limit"
        )
        assert c.post("/v1/recommend", json={"profile": NURSE, "k": 2}).status_code == 200
    s2 = api_settings.model_copy(update={"max_text_chars": 100})
    with TestClient(create_app(s2, mount_ui=False)) as c:
        _assert_error(c.post("/v1/recommend", json={"profile": {"text": "teacher " * 30}}), 413, "characters")


def test_pii_never_reaches_logs_and_user_ids_are_hashed(client, events, caplog):
    session = _session()
    profile = {
        **NURSE,
        "text": NURSE["text"] + " Contact: pat.smith@example.org, (415) 555-0199.",
        "user_id": "raw-user-123",
    }
    with caplog.at_level(logging.DEBUG):
        r = client.post(
            "/v1/explain", json={"profile": profile, "item_id": ITEM, "backend": "deterministic", "session_id": session}
        )
        assert r.status_code == 200
        client.post(
            "/v1/feedback",
            json={
                "type": "thumbs",
                "item_id": ITEM,
                "up": False,
                "reason": "other",
                "comment": "pat.smith@example.org",
                "user_id": "raw-user-123",
                "session_id": session,
            },
        )
    text = "\n".join(rec.getMessage() for rec in caplog.records)
    assert "pat.smith@example.org" not in text and "555-0199" not in text and "raw-user-123" not in text
    assert hash_user_id("raw-user-123") in text
    stored = json.dumps(events.query("SELECT * FROM events WHERE session_id = :s", {"s": _stored(session)}))
    assert "pat.smith@example.org" not in stored and "555-0199" not in stored and "raw-user-123" not in stored
    assert "[email]" in stored


# ------------------------------------------------------------------------------------------------ session isolation
def test_a_foreign_session_id_reaches_none_of_its_owners_memory(api_settings):
    """Replay: beta reuses alpha's session id. The RAG memory keeps a session's profile chunks under the id
    bound to the caller, so beta's evidence can reach none of what alpha wrote, while alpha's own can."""
    from app.api.auth import KeyRing
    from app.explain import memory

    s = api_settings.model_copy(
        update={
            "llm_backend": "deterministic",
            "api_keys": "alpha-key,beta-key",
            "rate_limit_shared": False,
            "explain_use_memory": True,
        }
    )
    session = "shared-" + uuid.uuid4().hex[:8]
    # long enough to be chunked into the memory (memory.PROFILE_CHUNK_CHARS)
    text = " ".join([NURSE["text"]] * 3 + ["I also coordinate night-shift handovers on a medical ward."] * 8)
    assert len(text) > memory.PROFILE_CHUNK_CHARS
    with TestClient(create_app(s, mount_ui=False)) as c:
        body = {"profile": {**NURSE, "text": text}, "item_id": ITEM, "session_id": session, "backend": "deterministic"}
        assert c.post("/v1/explain", json=body, headers={"X-API-Key": "alpha-key"}).status_code == 200
        ring = KeyRing(("alpha-key", "beta-key"))
        alpha = bind_session(ring.principal(ring.check("alpha-key"), "api_key"), session)
        beta = bind_session(ring.principal(ring.check("beta-key"), "api_key"), session)
        assert alpha != beta and session not in (alpha, beta)
        query = "night-shift handovers"
        assert memory.profile_passages(f"session:{alpha}", query, settings=s), "alpha's profile was not remembered"
        assert memory.profile_passages(f"session:{beta}", query, settings=s) == []
        assert memory.profile_passages(f"session:{session}", query, settings=s) == []  # the raw id owns nothing
        # and nothing the service wrote is an assistant turn that later evidence could quote
        assert memory.recall_turns(alpha, "Health Education Specialists", settings=s) == []


def test_llm_down_degrades_to_deterministic_not_500(api_settings):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    s = api_settings.model_copy(
        update={
            "llm_backend": "openai",
            "llm_base_url": f"http://127.0.0.1:{dead}/v1",
            "llm_timeout_s": 2.0,
            "llm_max_retries": 0,
        }
    )
    with TestClient(create_app(s, mount_ui=False)) as c:
        r = c.post("/v1/explain", json={"profile": NURSE, "item_id": ITEM, "backend": "openai"})
        assert r.status_code == 200, r.text
        e = r.json()
        assert e["fallback_reason"] and e["model"]["backend"] == "deterministic"
        assert e["summary"] and e["citations"]
        assert "waypoint_explanation_fallbacks_total{" in c.get("/metrics").text
        h = c.get("/healthz").json()
        assert "llm" in h["degraded"] and h["status"] == "degraded"


# ------------------------------------------------------------------------------------------------ metrics
def test_metrics_expose_latency_faithfulness_backend_fallbacks(client):
    client.post("/v1/recommend", json={"profile": NURSE, "k": 3})
    client.post("/v1/explain", json={"profile": NURSE, "item_id": ITEM, "backend": "deterministic"})
    client.post("/v1/explain", json={"profile": NURSE, "item_id": "nope"})
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    m = r.text
    assert 'waypoint_request_latency_seconds_bucket{le="0.5",method="POST",route="/v1/recommend",status="200"}' in m
    assert 'route="/v1/explain",status="200"' in m and 'route="/v1/explain",status="404"' in m
    assert "waypoint_explanation_faithfulness_bucket" in m
    assert "waypoint_explanations_total{adapter=" in m and 'backend="deterministic"' in m
    assert "# TYPE waypoint_explanation_fallbacks_total counter" in m
    assert "waypoint_explain_latency_seconds_bucket" in m


# ------------------------------------------------------------------------------------------------ schemathesis
def test_schemathesis_no_server_errors(api_settings):
    """Generated requests (valid and invalid) against every operation in the OpenAPI schema: never a 5xx."""
    from hypothesis import given

    app = create_app(api_settings, mount_ui=False)
    with TestClient(app) as warm:  # load the recommender and explainer before the generated calls
        assert warm.post("/v1/recommend", json={"profile": NURSE, "k": 2}).status_code == 200
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    calls: dict[str, int] = {}
    statuses: dict[int, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"

        def make(_label):
            @given(case=operation.as_strategy())
            @hsettings(
                max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
            )
            def run(case):
                calls[_label] = calls.get(_label, 0) + 1
                try:
                    response = case.call_and_validate(checks=[not_a_server_error], timeout=120)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                except Exception as exc:  # noqa: BLE001 - collect every failing operation, then report
                    failures.append(f"{_label}: {type(exc).__name__}: {str(exc)[:500]}")

            return run

        make(label)()
    print("\nschemathesis calls per operation:", calls, "statuses:", dict(sorted(statuses.items())))
    assert set(calls) >= {"POST /v1/recommend", "POST /v1/explain", "POST /v1/feedback", "GET /healthz"}
    assert not failures, "\n".join(failures[:10])
    assert all(code < 500 for code in statuses)


# ------------------------------------------------------------------------------------------------ load
def _percentiles(latencies: list[float]) -> tuple[float, float]:
    qs = statistics.quantiles(latencies, n=100, method="inclusive")
    return qs[49] * 1000, qs[94] * 1000


def test_bounded_concurrent_load_on_loopback(api_settings):
    """64 requests at concurrency 16 to each of /v1/recommend and /v1/explain: no errors; p50/p95 printed.

    A correctness check under concurrency (no 5xx, no lost events); throughput and latency are
    measured by ``waypoint bench`` (eval/reports/bench.md), not here."""
    n = 64
    profiles = [
        NURSE,
        {"occupation": "Software Developers", "skills": ["Python", "SQL"]},
        {"occupation": "Electricians"},
        {"occupation": "Accountants and Auditors", "skills": ["Microsoft Excel"]},
        {"text": "I work as a staff nurse on a busy ward and teach patients about their medication."},
    ]
    items = ["21-1091.00", "15-1252.00", "47-2111.00", "13-2011.00", "43-4051.00"]
    app = create_app(api_settings, mount_ui=False)
    report = {}
    with (
        uvicorn_in_thread(app) as base,
        httpx.Client(base_url=base, timeout=120, limits=httpx.Limits(max_connections=16)) as http,
    ):
        assert http.get("/healthz").status_code == 200
        for path, make in (
            ("/v1/recommend", lambda i: {"profile": profiles[i % 5], "k": 10}),
            (
                "/v1/explain",
                lambda i: {"profile": profiles[i % 5], "item_id": items[(i // 5) % 5], "backend": "deterministic"},
            ),
        ):
            http.post(path, json=make(0))  # warm caches once, outside the measurement

            def one(i, _path=path, _make=make):
                t0 = time.perf_counter()
                r = http.post(_path, json=_make(i))
                return r.status_code, time.perf_counter() - t0

            t0 = time.perf_counter()
            with ThreadPoolExecutor(max_workers=16) as pool:
                results = list(pool.map(one, range(n)))
            wall = time.perf_counter() - t0
            codes = [c for c, _ in results]
            assert codes.count(200) == n, {c: codes.count(c) for c in set(codes)}
            p50, p95 = _percentiles([t for _, t in results])
            report[path] = (p50, p95, n / wall)
    for path, (p50, p95, rps) in report.items():
        print(f"\nLOAD {path}: {n} requests @ concurrency 16: p50 {p50:.0f} ms, p95 {p95:.0f} ms, {rps:.1f} req/s")


def test_a_physical_limit_over_http_stated_or_set(client):
    """The REST surface of the limit: /v1/understand returns it with its words, /v1/recommend respects it
    whether the text says it or ``avoid_physical`` sets it, and a value that is not a boolean is a 422."""
    text = "I'm an electrician and my knees can't take it anymore"
    u = client.post("/v1/understand", json={"text": text})
    assert u.status_code == 200, u.text
    assert [(lim["kind"], lim["span"]["text"]) for lim in u.json()["limits"]] == [("physical", "my knees can't take")]

    def ids(profile: dict) -> list[str]:
        r = client.post("/v1/recommend", json={"profile": profile, "kind": "occupation", "k": 10})
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    trades = ("47-2", "49-9")
    assert any(i.startswith(trades) for i in ids({"occupation": "Electricians"}))
    assert not any(i.startswith(trades) for i in ids({"occupation": "Electricians", "avoid_physical": True}))
    assert not any(i.startswith(trades) for i in ids({"text": text}))
    assert any(i.startswith(trades) for i in ids({"text": text, "avoid_physical": False}))
    bad = client.post(
        "/v1/recommend",
        json={"profile": {"occupation": "Electricians", "avoid_physical": "maybe"}, "kind": "occupation"},
    )
    assert bad.status_code == 422 and "avoid_physical" in bad.text


def test_remote_work_over_http_stated_or_set(client):
    """The REST surface of "want something remote": /v1/understand returns the wish with its words (not a title
    nor a skill), /v1/recommend keeps to work often done from home whether the text says it or ``remote`` sets it,
    and a value that is not a boolean is a 422."""
    text = "I'm an electrician and I want to work from home"
    u = client.post("/v1/understand", json={"text": text})
    assert u.status_code == 200, u.text
    assert [(lim["kind"], lim["span"]["text"]) for lim in u.json()["limits"]] == [("remote", "work from home")]

    def ids(profile: dict) -> list[str]:
        r = client.post("/v1/recommend", json={"profile": profile, "kind": "occupation", "k": 10})
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    trades = ("47-2", "49-9")
    assert any(i.startswith(trades) for i in ids({"occupation": "Electricians"}))
    remote = ids({"occupation": "Electricians", "remote": True})
    assert remote and not any(i.startswith(trades) for i in remote), remote
    assert not any(i.startswith(trades) for i in ids({"text": text}))
    assert any(i.startswith(trades) for i in ids({"text": text, "remote": False}))
    bad = client.post(
        "/v1/recommend", json={"profile": {"occupation": "Electricians", "remote": "maybe"}, "kind": "occupation"}
    )
    assert bad.status_code == 422 and "remote" in bad.text


def test_better_pay_over_http_stated_or_set(client):
    """The REST surface of "I want to make more money": /v1/understand returns the wish with its words and no goal
    "money"; /v1/recommend leaves the person's own occupation out and puts no lower job zone in the top 5, whether
    the text says it or ``better_pay`` sets it; ``false`` wins over the words; a value that is not a boolean is a
    422."""
    from retrieval.occupations.service import get_occupation_recommender

    text = "I'm a nursing assistant and I want to make more money"
    u = client.post("/v1/understand", json={"text": text})
    assert u.status_code == 200, u.text
    assert [(lim["kind"], lim["span"]["text"]) for lim in u.json()["limits"]] == [("pay", "make more money")]
    assert u.json()["goals"] == []

    def ids(profile: dict) -> list[str]:
        r = client.post("/v1/recommend", json={"profile": profile, "kind": "occupation", "k": 5})
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    corpus = get_occupation_recommender(client.app.state.settings).corpus

    def zones(items: list[str]) -> list[float]:
        return [float(corpus.job_zone[corpus.index[i]]) for i in items if i in corpus.index]

    own_id = "31-1131.00"  # Nursing Assistants, job zone 2
    own = float(corpus.job_zone[corpus.index[own_id]])
    for profile in ({"text": text}, {"occupation": own_id, "better_pay": True}):
        listed = ids(profile)
        assert listed and own_id not in listed, (profile, listed)
        assert all(z > own for z in zones(listed)[:3]), (profile, listed, zones(listed))
    assert ids({"text": text, "better_pay": False}) != ids({"text": text})
    bad = client.post(
        "/v1/recommend", json={"profile": {"occupation": own_id, "better_pay": "lots"}, "kind": "occupation"}
    )
    assert bad.status_code == 422 and "better_pay" in bad.text


def test_outdoor_work_over_http_stated_or_set(client):
    """The REST surface of "I want to work outdoors": /v1/understand returns the wish with its words, /v1/recommend
    keeps to work done outdoors whether the text says it or ``outdoors`` sets it, ``false`` wins over the words, and a
    value that is not a boolean is a 422."""
    from retrieval.occupations.outdoor import OUTDOOR
    from retrieval.occupations.service import get_occupation_recommender

    text = "I'm a software developer and I want to work outdoors"
    u = client.post("/v1/understand", json={"text": text})
    assert u.status_code == 200, u.text
    assert [(lim["kind"], lim["span"]["text"]) for lim in u.json()["limits"]] == [("outdoor", "work outdoors")]
    corpus = get_occupation_recommender(client.app.state.settings).corpus

    def ids(profile: dict) -> list[str]:
        r = client.post("/v1/recommend", json={"profile": profile, "kind": "occupation", "k": 5})
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    def outdoor(items: list[str]) -> list[bool]:
        return [bool(corpus.outdoor[corpus.index[i]] >= OUTDOOR) for i in items]

    for profile in ({"text": text}, {"occupation": "15-1252.00", "outdoors": True}):
        listed = ids(profile)
        assert listed and all(outdoor(listed)), (profile, listed)
    assert not all(outdoor(ids({"text": text, "outdoors": False})))
    bad = client.post(
        "/v1/recommend", json={"profile": {"occupation": "15-1252.00", "outdoors": "sunny"}, "kind": "occupation"}
    )
    assert bad.status_code == 422 and "outdoors" in bad.text


def test_leaving_ones_own_work_over_http_stated_or_set(client):
    """The REST surface of "I'm an electrician and I hate it": /v1/understand returns it with its words,
    /v1/recommend leaves the person's own kind of work out whether the text says it or ``leave_own_work`` sets
    it, and a value that is not a boolean is a 422."""
    text = "I'm an electrician and I hate it"
    u = client.post("/v1/understand", json={"text": text})
    assert u.status_code == 200, u.text
    assert [(lim["kind"], lim["span"]["text"]) for lim in u.json()["limits"]] == [("leaving", "I hate it")]

    def ids(profile: dict) -> list[str]:
        r = client.post("/v1/recommend", json={"profile": profile, "kind": "occupation", "k": 10})
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    construction = "47-2"  # electricians' SOC minor group
    assert any(i.startswith(construction) for i in ids({"text": "I'm an electrician"}))
    assert not any(i.startswith(construction) for i in ids({"text": text}))
    assert not any(i.startswith(construction) for i in ids({"occupation": "Electricians", "leave_own_work": True}))
    assert any(i.startswith(construction) for i in ids({"text": text, "leave_own_work": False}))
    bad = client.post(
        "/v1/recommend",
        json={"profile": {"occupation": "Electricians", "leave_own_work": "maybe"}, "kind": "occupation"},
    )
    assert bad.status_code == 422 and "leave_own_work" in bad.text


def test_no_going_back_to_school_over_http_stated_or_set(client):
    """The REST surface of the schooling limit: /v1/understand returns it with its words, /v1/recommend keeps a
    pharmacy technician (job zone 3) who moves into healthcare away from zone-5 work (pharmacists, nurse
    practitioners) whether the text says it or ``avoid_schooling`` sets it; a value that is not a boolean is a 422."""
    text = "I'm a pharmacy technician and I want to move into healthcare without going back to school"
    u = client.post("/v1/understand", json={"text": text})
    assert u.status_code == 200, u.text
    assert [(lim["kind"], lim["span"]["text"]) for lim in u.json()["limits"]] == [
        ("training", "without going back to school")
    ]

    def ids(profile: dict) -> set[str]:
        r = client.post("/v1/recommend", json={"profile": profile, "kind": "occupation", "k": 10})
        assert r.status_code == 200, r.text
        return {i["id"] for i in r.json()["items"]}

    degree_work = {"29-1051.00", "29-1171.00"}  # Pharmacists, Nurse Practitioners: job zone 5
    coded = {"occupation": "Pharmacy Technicians", "goal": "healthcare"}
    assert ids(coded) & degree_work and not ids({**coded, "avoid_schooling": True}) & degree_work
    assert not ids({"text": text}) & degree_work
    assert ids({"text": text, "avoid_schooling": False}) & degree_work
    bad = client.post("/v1/recommend", json={"profile": {**coded, "avoid_schooling": "later"}, "kind": "occupation"})
    assert bad.status_code == 422 and "avoid_schooling" in bad.text


def test_a_course_over_http_says_which_gap_it_closes(client):
    profile = {"text": "python developer who wants to become a data scientist"}
    r = client.post("/v1/recommend", json={"profile": profile, "kind": "course", "k": 3})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert items and all(i["closes"] and i["toward"] == "Data Scientists" for i in items), items


def test_job_postings_say_whether_they_are_the_persons_kind_of_work(client):
    """A person with no history gets the log's most viewed postings after their own kind of work; each posting
    says which it is (``kind_of_work``), so no client shows a security-guard posting as a nurse's match. A
    vague text gets null: Waypoint cannot say."""
    r = client.post("/v1/recommend", json={"profile": {"text": "I am a registered nurse"}, "kind": "job", "k": 12})
    assert r.status_code == 200, r.text
    marks = {i["title"].split(" — ")[0]: i["kind_of_work"] for i in r.json()["items"]}
    assert marks.get("Registered Nurse - Med Surg") is True and marks.get("Night Shift RN") is True, marks
    assert marks.get("Python Developer") is False and marks.get("Cashier") is False, marks
    vague = client.post("/v1/recommend", json={"profile": {"text": "I need a job"}, "kind": "job", "k": 5})
    assert vague.status_code == 200, vague.text
    assert all(i["kind_of_work"] is None for i in vague.json()["items"]), vague.json()
    # where each posting is, as fields a client can filter on; the title's place is the same city
    for i in r.json()["items"]:
        assert i["city"] and len(i["state"] or "") == 2 and i["title"].endswith(f", {i['city']}"), i


def test_part_time_hours_over_http_stated_or_set(client):
    """The REST surface of "I need something that fits around my kids' school hours": /v1/understand returns the wish
    with its words, /v1/recommend takes ``part_time`` for postings (the order is tested on the real job log in
    tests/test_ui_understanding.py; this catalogue has no part-time posting), and a value that is not a boolean is a
    422."""
    text = "I'm a registered nurse and I need something that fits around my kids' school hours"
    u = client.post("/v1/understand", json={"text": text})
    assert u.status_code == 200, u.text
    assert [(lim["kind"], lim["span"]["text"]) for lim in u.json()["limits"]] == [
        ("hours", "fits around my kids' school hours")
    ]
    for profile in ({"text": text}, {"text": "I am a registered nurse", "part_time": True}):
        r = client.post("/v1/recommend", json={"profile": profile, "kind": "job", "k": 5})
        assert r.status_code == 200 and r.json()["items"], r.text
    bad = client.post("/v1/recommend", json={"profile": {"text": "I am a registered nurse", "part_time": "mornings"}})
    assert bad.status_code == 422 and "part_time" in bad.text
