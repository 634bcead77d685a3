"""Streaming explanations (issue 24, item 2) over real HTTP on loopback, on the synthetic catalogue.

The server is the real app under uvicorn in this process, so a test can hold the real LLM backend's own
lock: generation then cannot start, and the stream must still deliver its skeleton -- the proof that the
first event does not wait for the LLM. The LLM is the transformers backend on a tiny real model (a 2-layer
Llama with SmolLM2's real tokenizer and seeded random weights, as in test_fast_decode.py): its choices mean
nothing, but under the closed grammar every answer is valid, verified and deterministic, so the stream's
``done`` can be held to the plain response, byte for byte but for latency and the impression id.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.llm_helpers import smollm2_tokenizer, tiny_llama
from tests.server_helpers import uvicorn_in_thread

NURSE = {
    "occupation": "Registered Nurses",
    "skills": ["patient education", "Microsoft Excel"],
    "text": "I teach patients about managing diabetes and run community health workshops.",
}
ITEM = "21-1091.00"  # Health Education Specialists
BODY = {"profile": NURSE, "item_id": ITEM, "variant": "default"}
# meta, the skeleton's skills, the skeleton, then the text as it is verified, then the final object
CONTRACT = re.compile(
    r"meta( matched_skill)*( partial_skill)*( missing_skill)* skeleton( next_step)* summary "
    r"citations done"
)
SKELETON_EVENTS = {"meta", "matched_skill", "partial_skill", "missing_skill", "skeleton"}
PER_REQUEST = {"latency_ms", "impression_id"}


@pytest.fixture(scope="module")
def tiny_llm_dir(tmp_path_factory) -> Path:
    """A tiny real causal LM the transformers backend loads like SmolLM2 (config, weights, tokenizer)."""
    tokenizer = smollm2_tokenizer()
    out = tmp_path_factory.mktemp("tiny-llm")
    tiny_llama(tokenizer, max_positions=4096).save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    return out


@pytest.fixture(scope="module")
def llm_settings(synthetic_settings, tiny_llm_dir):
    """The synthetic home served openly with the tiny LLM and one LLM slot."""
    return synthetic_settings.model_copy(
        update={
            "llm_backend": "transformers",
            "llm_model_path": str(tiny_llm_dir),
            "llm_adapter": "",
            "api_keys": "",
            "rate_limit_per_minute": 100_000,
            "llm_max_inflight": 1,
            "llm_timeout_s": 60.0,
        }
    )


@pytest.fixture(scope="module")
def backend(llm_settings):
    """The server's own backend (the process-wide instance get_backend hands every request)."""
    from app.llm.factory import get_backend

    return get_backend("transformers", llm_settings)


@pytest.fixture(scope="module")
def server(llm_settings, backend):
    from app.api.app import create_app

    app = create_app(llm_settings, mount_ui=False)
    with uvicorn_in_thread(app) as base:
        yield base, app.state.service


def _sse(response: httpx.Response) -> Iterator[tuple[str, dict, float]]:
    """``(event, data, arrival time)`` for each SSE frame, as it arrives."""
    buffer = ""
    for chunk in response.iter_text():
        buffer += chunk
        while "\n\n" in buffer:
            frame, buffer = buffer.split("\n\n", 1)
            fields = dict(line.split(": ", 1) for line in frame.splitlines())
            yield fields["event"], json.loads(fields["data"]), time.perf_counter()


def _impressions(svc) -> int:
    return svc.store.counts()["impression"]


@pytest.mark.parametrize("llm", ["deterministic", "transformers"])
def test_skeleton_comes_first_and_done_is_the_plain_answer(server, llm):
    base, svc = server
    body = {**BODY, "backend": llm}
    plain = httpx.post(f"{base}/v1/explain", json=body, timeout=120)
    assert plain.status_code == 200, plain.text
    plain = plain.json()
    before = _impressions(svc)
    with httpx.stream("POST", f"{base}/v1/explain", json={**body, "stream": True}, timeout=120) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = list(_sse(r))
    names = [name for name, _, _ in events]
    assert CONTRACT.fullmatch(" ".join(names)), names
    assert _impressions(svc) == before + 1  # logged once, when done was sent
    done = events[-1][1]
    assert {k: v for k, v in done.items() if k not in PER_REQUEST} == {
        k: v for k, v in plain.items() if k not in PER_REQUEST
    }
    assert done["impression_id"] and done["impression_id"] != plain["impression_id"]
    if llm == "transformers":  # the LLM wrote it (no fallback), so the text really streamed from it
        assert done["model"]["backend"] == "transformers" and done["fallback_reason"] is None, done["fallback_reason"]
    # the text events say what done says; the skeleton's skills are the evidence's, with their citations inline
    texts = [data["text"] for name, data, _ in events if name == "next_step"]
    assert texts == done["next_steps"] and [d for n, d, _ in events if n == "summary"][0]["text"] == done["summary"]
    skeleton = next(data for name, data, _ in events if name == "skeleton")
    assert skeleton["state"] == "writing" and skeleton["summary"] == "" and skeleton["item"] == done["item"]
    assert skeleton["fit"] == done["fit"] and skeleton["matched_skills"]
    # what the page listed while writing is what it lists when written: the lists are the evidence's,
    # whatever skills the (here random) model chose to name
    for key in ("matched_skills", "partial_skills", "missing_skills"):
        assert [x["label"] for x in skeleton[key]] == [x["label"] for x in done[key]], key
    for name, data, _ in events:
        if name in ("matched_skill", "missing_skill"):
            assert [c["id"] for c in data["citations"]] == data["evidence"] and data["citations"]
    first_text = next(t for name, _, t in events if name not in SKELETON_EVENTS)
    assert all(t <= first_text for name, _, t in events if name == "skeleton")


def test_first_event_arrives_while_the_llm_cannot_write(server, backend):
    """Hold the backend's lock: generation cannot start, yet the skeleton arrives; released, the text follows."""
    base, svc = server
    assert backend._lock.acquire(timeout=30)
    held = True
    try:
        with httpx.stream(
            "POST", f"{base}/v1/explain", json={**BODY, "stream": True}, timeout=httpx.Timeout(60, read=30)
        ) as r:
            assert r.status_code == 200
            events = _sse(r)
            early = []
            for name, _data, _ in events:
                early.append(name)
                if name == "skeleton":
                    break
            assert set(early) <= SKELETON_EVENTS and early[0] == "meta" and "matched_skill" in early
            assert svc.llm_gate.inside == 1  # the slot is held while the explanation is being written
            backend._lock.release()
            held = False
            rest = [(name, data) for name, data, _ in events]
    finally:
        if held:
            backend._lock.release()
    assert [n for n, _ in rest][-3:] == ["summary", "citations", "done"]
    assert rest[-1][1]["model"]["backend"] == "transformers" and rest[-1][1]["fallback_reason"] is None
    assert _wait(lambda: svc.llm_gate.inside == 0)


def test_a_client_that_leaves_frees_the_slot_and_is_not_logged(server, backend):
    base, svc = server
    before = _impressions(svc)
    assert backend._lock.acquire(timeout=30)
    try:
        with httpx.stream(
            "POST", f"{base}/v1/explain", json={**BODY, "stream": True}, timeout=httpx.Timeout(60, read=30)
        ) as r:
            assert next(_sse(r))[0] == "meta"
        # closed while the LLM has not written a word (it cannot start): the slot comes back now, not later
        assert _wait(lambda: svc.llm_gate.inside == 0), "the LLM slot of a departed client was not given back"
    finally:
        backend._lock.release()
    assert backend._lock.acquire(timeout=10)  # the decode stopped: the backend is free
    backend._lock.release()
    time.sleep(0.3)
    assert _impressions(svc) == before  # nothing was shown to completion, nothing is logged as shown
    again = httpx.post(f"{base}/v1/explain", json=BODY, timeout=120)  # and the slot serves the next request
    assert again.status_code == 200 and again.json()["fallback_reason"] is None


def test_a_full_gate_is_a_503_before_anything_streams(server, backend):
    base, svc = server
    assert backend._lock.acquire(timeout=30)
    held = True
    try:
        with httpx.stream(
            "POST", f"{base}/v1/explain", json={**BODY, "stream": True}, timeout=httpx.Timeout(60, read=30)
        ) as first:
            events = _sse(first)  # kept: a dropped reader generator closes the connection
            assert next(events)[0] == "meta"
            busy = httpx.post(f"{base}/v1/explain", json={**BODY, "stream": True}, timeout=30)
            assert busy.status_code == 503 and busy.headers["retry-after"]
            assert busy.json()["error"] == "overloaded"
            backend._lock.release()
            held = False
            assert [name for name, _, _ in events][-1] == "done"
    finally:
        if held:
            backend._lock.release()


def test_ndjson_carries_the_same_events(server):
    base, _svc = server
    r = httpx.post(
        f"{base}/v1/explain",
        json={**BODY, "backend": "deterministic", "stream": True},
        headers={"Accept": "application/x-ndjson"},
        timeout=60,
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines() if line.strip()]
    assert CONTRACT.fullmatch(" ".join(x["event"] for x in lines))
    assert lines[-1]["data"]["item"]["id"] == ITEM


def test_bad_input_is_a_status_not_a_stream(server):
    base, _svc = server
    r = httpx.post(f"{base}/v1/explain", json={**BODY, "item_id": "99-9999.99", "stream": True}, timeout=30)
    assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_each_step_is_known_once_closed_and_before_the_summary(llm_settings, backend):
    """Field-level streaming reads the model's partial answer: on every prefix of a real answer, a step is
    there from the brace that closes it on (never half-written), and all of them before the summary starts."""
    from app.explain.service import explain_traced, partial_draft

    _e, trace = explain_traced(NURSE, ITEM, backend="transformers", settings=llm_settings)
    text = trace.raw_text
    steps = json.loads(text)["next_steps"]
    counts = [len((partial_draft(text[:n]) or {"next_steps": []})["next_steps"]) for n in range(len(text) + 1)]
    assert counts == sorted(counts) and counts[-1] == len(steps) >= 1
    for k, step in enumerate(steps, 1):
        closed = counts.index(k)
        assert text[closed - 1] == "}" and partial_draft(text[:closed])["next_steps"][k - 1] == step
    assert counts[text.index('"summary"')] == len(steps)
    assert all(partial_draft(text[:n])["summary"] == "" for n in range(len(text) + 1) if counts[n])


def test_why_shows_the_skeleton_writing_then_replaces_it(server):
    """The UI's "Why?" handler (a Gradio generator): "writing…" at once, the finished explanation in its place."""
    from app.ui.chat import WRITING, ChatUI, _choice_label, _new_state

    _base, svc = server
    ui = ChatUI(svc)
    state = _new_state()
    state["profile"].update(occupation="Registered Nurses", skills=NURSE["skills"], text=NURSE["text"])
    rec = {"id": ITEM, "title": "Health Education Specialists", "kind": "occupation"}
    state["recs"] = [rec]
    clicks = svc.store.counts()["click"]
    panels = [panel for _state, panel, _status in ui.on_why(_choice_label(rec), state)]
    assert len(panels) >= 2 and WRITING in panels[0] and "Fit:" in panels[0]
    assert WRITING not in panels[-1] and "Written by transformers/" in panels[-1]
    assert "Skills you already have" in panels[0]  # the skeleton's skills are there while it writes
    assert svc.store.counts()["click"] == clicks + 1 and state["open"]["item_id"] == ITEM
    cached = list(ui.on_why(_choice_label(rec), state))  # opened again: the cached explanation, at once
    assert len(cached) == 1 and cached[0][1] == panels[-1]


def test_explain_differently_writes_the_next_sample_as_its_own_impression(server):
    """ "Explain differently" on the open explanation: another decoding of the same evidence (sample 1,
    sampled, propensity 1), written in place, logged as an impression of its own that keeps the prompt's
    evidence key, and said to be another wording; without an open explanation it asks for one first."""
    from app.ui.chat import SAME_WORDING, WRITING, ChatUI, _choice_label, _new_state

    _base, svc = server
    ui = ChatUI(svc)
    state = _new_state()
    assert list(ui.on_again(state))[-1][2].startswith("Open an explanation first")
    state["profile"].update(occupation="Registered Nurses", skills=NURSE["skills"], text=NURSE["text"])
    rec = {"id": ITEM, "title": "Health Education Specialists", "kind": "occupation"}
    state["recs"] = [rec]
    first = list(ui.on_why(_choice_label(rec), state))[-1][1]
    shown = state["explanations"][ITEM]
    again = list(ui.on_again(state))
    assert WRITING in again[0][1] and "another wording (#2)" in again[-1][1] and first != again[-1][1]
    latest = state["explanations"][ITEM]
    assert latest["variant"] == "base-s1" and latest["impression_id"] != shown["impression_id"]
    assert state["open"]["impression_id"] == latest["impression_id"]
    assert again[-1][2] in ("", SAME_WORDING)  # the tiny model's wording may repeat; the person is told so
    row = svc.store.query(
        "SELECT variant, propensity, payload FROM events WHERE impression_id = :i", {"i": latest["impression_id"]}
    )[0]
    payload = json.loads(row["payload"])
    assert (row["variant"], row["propensity"]) == ("base-s1", 1.0)
    assert payload["decoding"]["temperature"] > 0 and payload["sample"] == 1 and payload["completion"]
    assert list(ui.on_again(state))[-1][0]["explanations"][ITEM]["variant"] == "base-s2"


def _wait(condition, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_the_warm_up_has_the_llm_write_once_before_the_server_says_ready(llm_settings, backend):
    """Issue 24: models load and warm up at start, so the first "Why?" is not the slow one. The warm-up
    runs one LLM explanation: its prompt goes through the backend's prefix cache before /healthz says ok."""
    from app.api.services import WaypointService

    cache = backend.decoder.prefix_cache
    lookups = cache.hits + cache.misses
    service = WaypointService(llm_settings)
    service.start_warmup()
    assert service.models.wait(300), "the warm-up did not finish"
    assert service.models.status()["state"] == "ready"
    assert cache.hits + cache.misses > lookups, "the warm-up never asked the LLM for an explanation"
    assert len(cache) >= 1


def test_health_never_loads_the_llm_while_the_warm_up_is_due(llm_settings, tmp_path):
    """The warm-up loads the LLM; a health probe that loaded it too, in its own thread, raced the warm-up's
    imports of transformers and reported the LLM down after the warm-up had loaded it (CI, stop 33). A
    server whose home is not built yet waits to warm up: its health says "not loaded yet" and loads nothing."""
    from app.api.services import WaypointService
    from app.llm.factory import loaded_backend

    unbuilt = llm_settings.model_copy(update={"home": tmp_path / "unbuilt"})
    service = WaypointService(unbuilt)
    service.start_warmup()
    assert service.models.warmup_pending
    report = service.health()
    assert report["status"] == "down" and report["llm"]["ok"] is False
    assert report["llm"]["detail"].startswith("not loaded yet"), report["llm"]
    assert loaded_backend(settings=unbuilt) is None, "the health probe loaded the LLM itself"
