"""What a person does with an LLM explanation in the UI becomes training data (issue 25's UI target).

The real app (``python -m app.server``) serves the product's own explainer -- SmolLM2 with the shipped
adapter on the in-process transformers backend, as ``make demo`` does -- and Debian's chromium drives the
Gradio UI through Playwright: a nurse describes herself, opens the top recommendation's explanation ("Why?",
a click), finds it not helpful (thumbs down, "too generic"), asks for another ("Explain differently": the
next sampled decoding of the same prompt, its own impression) and finds that one helpful (thumbs up).

Then the real trainers read the log: ``waypoint train kto --source feedback --dry-run`` finds the explanations
labelled by those thumbs, and ``waypoint train dpo --source feedback --dry-run`` the pair (the helpful one
chosen over the other) -- the rows a click in the UI produces are the rows trl trains on (the training steps
themselves run in test_loop_e2e and test_training_prefs).
The events go to a database of their own (``WAYPOINT_EVENTS_URL``), so nothing another test logged joins in.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from retrieval.settings import SHIPPED_ADAPTER
from tests.server_helpers import running_server, server_env
from tests.test_ui_browser import CHROMIUM, CHROMIUM_ARGS, KEY, signed_in_page

WAYPOINT = str(Path(sys.executable).with_name("waypoint"))


@pytest.fixture(scope="module")
def llm_server(waypoint_home, data_dir, tmp_path_factory):
    pytest.importorskip("playwright.sync_api", reason="pip install playwright (scripts/install_browser.sh)")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run scripts/install_browser.sh")
    if not (SHIPPED_ADAPTER / "adapter_config.json").is_file():
        pytest.fail(f"the shipped explainer adapter is missing: {SHIPPED_ADAPTER}")
    logs = tmp_path_factory.mktemp("ui-llm-server")
    events = logs / "events.sqlite"
    env = {
        "WAYPOINT_DATA": str(data_dir),
        "WAYPOINT_API_KEYS": KEY,
        "WAYPOINT_LLM_BACKEND": "transformers",  # the serving default: SmolLM2 + the shipped adapter
        "WAYPOINT_EVENTS_URL": f"sqlite:///{events}",
    }
    with running_server(waypoint_home, logs, startup_s=600, **env) as srv:
        # the trusted view (the key): a failure names the LLM's own detail, not just "degraded"
        health = httpx.get(f"{srv.base}/healthz", headers={"Authorization": f"Bearer {KEY}"}, timeout=10).json()
        # "degraded" is fine (an optional model may be unbuilt in the session's home); the LLM must be up
        assert health["llm"]["ok"] and "explainer" not in health["degraded"], (health, srv.log_tail())
        yield {"base": srv.base, "events": events, "env": server_env(waypoint_home, **env), "log": srv.log_path}


def _rows(events: Path) -> list[dict]:
    conn = sqlite3.connect(f"file:{events}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM events ORDER BY id")]
    finally:
        conn.close()


def _finished(panel, marker: str = "Written by", timeout_s: float = 240) -> str:
    """Wait until the explanation panel holds a finished explanation (its "Written by" line) that says
    ``marker``; its text. Polled from Python: the app's CSP refuses the inline script Playwright's
    wait_for_function would inject."""
    deadline = time.monotonic() + timeout_s
    while True:
        text = panel.inner_text()
        if "Written by" in text and marker in text:
            return text
        assert time.monotonic() < deadline, f"no finished explanation in {timeout_s:.0f}s: {text[-500:]}"
        time.sleep(0.25)


@pytest.mark.slow
@pytest.mark.e2e
def test_thumbs_in_the_ui_train_kto_and_dpo(llm_server):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = signed_in_page(browser, llm_server["base"], width=1280, height=1400)
            chat_input = page.locator("#chat-input textarea")
            chat_input.fill("I'm a registered nurse. I teach patients about managing diabetes.")
            page.locator("#chat-send").click()
            expect(page.locator("#chat")).to_contain_text("Here are occupations that fit you", timeout=300_000)

            # the top recommendation, explained by the LLM in the chat: "Why?" opens it (a click)
            page.locator("#recs label").first.click()
            page.locator("#why-btn").click()
            panel = page.locator("#explanation")
            first_text = _finished(panel)
            assert "transformers/" in first_text and "fallback" not in first_text, first_text[-300:]
            page.locator("#thumbs-reason input").click()
            page.get_by_role("option", name="Too generic").click()
            page.locator("#thumbs-down").click()
            expect(page.locator("#feedback-status")).to_contain_text("Too generic")

            # another decoding of the same explanation, written in place; the closed grammar leaves SmolLM2 few
            # choices, so a sample may repeat the words: the person is told so and asks again (at most 4 times)
            for k in range(2, 6):
                page.locator("#again-btn").click()
                again_text = _finished(panel, f"another wording (#{k})")
                assert "fallback" not in again_text, again_text[-300:]
                if "wrote the same explanation again" not in page.locator("#feedback-status").inner_text():
                    break
            page.locator("#thumbs-up").click()  # this one is helpful
            expect(page.locator("#feedback-status")).to_contain_text("glad it helped")
            page.locator("#close-btn").click()
            expect(panel).not_to_contain_text("Fit:")
        finally:
            browser.close()

    deadline = time.monotonic() + 20
    while True:
        rows = _rows(llm_server["events"])
        if [r["type"] for r in rows].count("thumbs") >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    thumbs = [r for r in rows if r["type"] == "thumbs"]
    assert [t["value"] for t in thumbs] == [-1.0, 1.0]
    item = thumbs[0]["item_id"]
    assert thumbs[1]["item_id"] == item
    shown = [
        r
        for r in rows
        if r["type"] == "impression" and r["item_id"] == item and r["surface"] in ("ui_chat", "ui_panel")
    ]
    payloads = [json.loads(r["payload"]) for r in shown]
    # what was shown is logged exactly: the completion as the model wrote it, the arm and its propensity
    assert 2 <= len(shown) <= 5 and all(p["completion"] for p in payloads), [r["surface"] for r in shown]
    assert payloads[0]["completion"] != payloads[-1]["completion"], "four samples repeated the greedy answer"
    assert [r["variant"] for r in shown[1:]] == [f"base-s{k}" for k in range(1, len(shown))]  # sampled arms
    assert payloads[0]["decoding"]["temperature"] == 0 and all(p["decoding"]["temperature"] > 0 for p in payloads[1:])
    assert len({r["impression_id"] for r in shown}) == len(shown)
    assert [t["impression_id"] for t in thumbs] == [shown[0]["impression_id"], shown[-1]["impression_id"]]

    # the trainers consume those rows: KTO and DPO read the examples and pairs they would train on (--dry-run: a
    # KTO step on SmolLM2 costs ~90 s of CI and a DPO step as much; test_loop_e2e trains both for real on rows
    # the HTTP API logged into the same store, through the same feedback readers, and test_training_prefs
    # continues an adapter with each)
    env = dict(llm_server["env"], WAYPOINT_COMPUTE_THREADS=str(os.cpu_count() or 1))

    def train(method: str, *extra: str) -> dict:
        run = subprocess.run(
            [WAYPOINT, "train", method, "--source", "feedback", "--tiny", "--adapter", str(SHIPPED_ADAPTER), *extra],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        lines = run.stdout.splitlines()  # the result is the JSON object the command prints last
        return json.loads("\n".join(lines[max(i for i, line in enumerate(lines) if line == "{") :]))

    # exactly this session's explanations, labelled by its thumbs: the helpful one desirable, the others shown
    # before it (neither clicked nor liked) undesirable
    kto = train("kto", "--dry-run")
    assert kto["dry_run"] and kto["source"] == "feedback", kto
    assert (kto["desirable"], kto["undesirable"]) == (1, len(shown) - 1), kto
    dpo = train("dpo", "--dry-run")
    # the helpful one over each different one shown before it
    assert dpo["dry_run"] and dpo["pairs"] == dpo["feedback_pairs"] >= 1, dpo
