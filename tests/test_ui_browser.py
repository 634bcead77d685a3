"""The Gradio UI in a real browser (Debian's chromium through Playwright) against the real app.

The app runs as a subprocess (``python -m app.server``) on a free loopback port with the
deterministic explainer. The test chats to a recommendation with an explanation, asks "Am I a good
fit for …?", opens an explanation ("Why?" = click), gives a thumbs-down with a reason, closes it
(dwell), and checks that those events are in the events database. The server runs with an API key, so the
browser first signs in at /login, and the page must work under the app's Content-Security-Policy. It saves a screenshot of the UI
to ``docs/ui.png``. Install the browser with ``scripts/install_browser.sh``.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from tests.pdf_files import minimal_pdf
from tests.server_helpers import running_server

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The README's screenshot is refreshed only on request (WAYPOINT_UPDATE_SCREENSHOT=1), so a test run
# never leaves the working tree modified; otherwise it goes to a temp file and is checked there.
UPDATE_SCREENSHOT = os.environ.get("WAYPOINT_UPDATE_SCREENSHOT") == "1"

KEY = "browser-key"


def signed_in_page(browser, base: str, width: int = 1360, height: int = 1300):
    """A page of the UI served at ``base``, past the access-key form: where the other browser tests start."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(180_000)
    page.goto(f"{base}/ui/", wait_until="domcontentloaded")
    page.fill("#key", KEY)
    page.click("button[type=submit]")
    page.wait_for_url("**/ui/**")
    return page


@pytest.fixture(scope="module")
def server(waypoint_home, data_dir, tmp_path_factory):
    """The app with an API key, as deployed: the browser signs in at /login before it sees the UI."""
    pytest.importorskip("playwright.sync_api", reason="pip install playwright (scripts/install_browser.sh)")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run scripts/install_browser.sh")
    with running_server(
        waypoint_home,
        tmp_path_factory.mktemp("ui-server"),
        WAYPOINT_DATA=str(data_dir),
        WAYPOINT_API_KEYS=KEY,
        WAYPOINT_EXPLORATION_RATE="0.1",
    ) as srv:
        # warm the recommender and explainer so the browser's first chat is not the cold start
        httpx.post(
            f"{srv.base}/v1/recommend",
            json={"profile": {"occupation": "Registered Nurses"}, "k": 3},
            headers={"X-API-Key": KEY},
            timeout=600,
        )
        yield {"base": srv.base, "events": srv.events, "log": srv.log_path}


def _events(path: Path, since: float, session_prefix: str = "ui-") -> list[dict]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(
            "SELECT * FROM events WHERE ts >= ? AND session_id LIKE ? ORDER BY id", (since, session_prefix + "%")
        ).fetchall()
        return [dict(r) for r in rows]
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.e2e
def test_chat_recommend_explain_feedback_in_browser(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    started = time.time()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1500})
            page.set_default_timeout(180_000)
            console = []
            page.on("console", lambda msg: console.append(msg.text))

            # 0. the UI asks for the access key first; a wrong one is refused, the right one opens the UI
            page.goto(f"{server['base']}/ui/", wait_until="domcontentloaded")
            assert "/login" in page.url
            page.fill("#key", "not-the-key")
            page.click("button[type=submit]")
            expect(page.locator(".err")).to_contain_text("not valid")
            page.fill("#key", KEY)
            page.click("button[type=submit]")
            page.wait_for_url("**/ui/**")
            document = page.request.get(f"{server['base']}/ui/")
            assert document.headers["x-frame-options"] == "DENY"
            assert "frame-ancestors 'none'" in document.headers["content-security-policy"]
            chat_input = page.locator("#chat-input textarea")
            expect(chat_input).to_be_visible()

            # 1. describe yourself → recommendations with explanations in the chat
            chat_input.fill(
                "I'm a registered nurse. I teach patients about managing diabetes and I use "
                "Microsoft Excel to track outcomes."
            )
            page.locator("#chat-send").click()
            chat = page.locator("#chat")
            expect(chat).to_contain_text("Here are occupations that fit you", timeout=300_000)
            expect(chat).to_contain_text("fit:")
            expect(page.locator("#profile-occupation textarea, #profile-occupation input").first).to_have_value(
                "Registered Nurses"
            )
            expect(page.locator("#profile-skills textarea")).not_to_have_value("")
            radios = page.locator("#recs input[type=radio]")
            expect(radios.first).to_be_attached()
            assert radios.count() >= 3

            # 2. "Am I a good fit for X?" resolves X and opens its explanation with the skill gap
            chat_input.fill("Am I a good fit for health education specialist?")
            page.locator("#chat-send").click()
            expect(chat).to_contain_text("Health Education Specialists", timeout=180_000)
            panel = page.locator("#explanation")
            expect(panel).to_contain_text("Fit:")
            expect(panel).to_contain_text("Skills you already have")

            # 3. pick the second recommendation and press "Why?" (a click; the previous one's dwell is logged)
            page.locator("#recs label").nth(1).click()
            page.locator("#why-btn").click()
            # in words ("Every claim checked against the evidence"), the number in the evidence details
            expect(panel).to_contain_text(re.compile(r"claims? (could be )?checked|faithfulness", re.I))

            # 4. thumbs down with a reason
            page.locator("#thumbs-reason input").click()
            page.get_by_role("option", name="Too generic").click()
            page.locator("#thumbs-down").click()
            expect(page.locator("#feedback-status")).to_contain_text("Too generic")
            page.locator("#thumbs-up").click()
            expect(page.locator("#feedback-status")).to_contain_text("glad it helped")

            screenshot = REPO / "docs" / "ui.png" if UPDATE_SCREENSHOT else tmp_path / "ui.png"
            page.screenshot(path=str(screenshot), full_page=True)

            # 5. close the explanation → dwell
            page.locator("#close-btn").click()
            expect(panel).not_to_contain_text("Fit:")
            # the API docs render from the app's own Swagger assets (no CDN) under the same policy
            page.goto(f"{server['base']}/docs")
            expect(page.get_by_text("/v1/recommend").first).to_be_visible(timeout=60_000)
            # the pages ran under their Content-Security-Policy without the browser refusing any of it
            refused = [m for m in console if "Content Security Policy" in m]
            assert not refused, refused
        finally:
            browser.close()

    deadline = time.monotonic() + 20
    while True:
        rows = _events(server["events"], started)
        types = [r["type"] for r in rows]
        if ("thumbs" in types and types.count("dwell") >= 2) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert len({r["session_id"] for r in rows}) == 1, "one browser session"
    impressions = [r for r in rows if r["type"] == "impression"]
    assert impressions and all(r["propensity"] is not None for r in impressions)
    assert any(r["surface"] == "ui_chat" and r["model_backend"] == "deterministic" for r in impressions)
    assert any(r["surface"] == "ui_list" for r in impressions)
    clicks = [r for r in rows if r["type"] == "click"]
    assert len(clicks) == 1 and clicks[0]["position"] == 1
    thumbs = [r for r in rows if r["type"] == "thumbs"]
    assert [(t["value"], t["reason"]) for t in thumbs] == [(-1.0, "too_generic"), (1.0, None)]
    assert thumbs[0]["item_id"] == clicks[0]["item_id"] and thumbs[0]["impression_id"]
    dwell = [r for r in rows if r["type"] == "dwell"]
    assert len(dwell) >= 2 and all(d["value"] > 0 for d in dwell)
    assert screenshot.stat().st_size > 10_000


# ------------------------------------------------------------------------------------------------ résumé files
def test_read_resume_pdf_docx_txt_and_bad_files(tmp_path):
    import docx

    from app.ui.files import FileError, read_resume

    pdf = tmp_path / "cv.pdf"
    pdf.write_bytes(minimal_pdf("Registered nurse skilled in patient education"))
    assert "patient education" in read_resume(pdf)

    doc = docx.Document()
    doc.add_paragraph("Software developer: Python, SQL and Docker.")
    table = doc.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "2019-2023", "Acme Corp"
    path = tmp_path / "cv.docx"
    doc.save(path)
    text = read_resume(path)
    assert "Python, SQL" in text and "Acme Corp" in text

    txt = tmp_path / "cv.txt"
    txt.write_text("Électricienne — câblage industriel", encoding="utf-8")
    assert read_resume(txt).startswith("Électricienne")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Caf\xe9 manager".encode("latin-1"))
    assert read_resume(latin) == "Café manager"

    for name, content, fragment in [
        ("empty.txt", b"", "empty"),
        ("x.exe", b"MZ...", "unsupported"),
        ("broken.pdf", b"%PDF-1.4 garbage", "could not read"),
        ("broken.docx", b"PK not a zip", "could not read"),
        ("blank.txt", b"   \n\n", "no text"),
    ]:
        bad = tmp_path / name
        bad.write_bytes(content)
        with pytest.raises(FileError, match=fragment):
            read_resume(bad)
