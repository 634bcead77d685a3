"""The understanding in a real browser (Debian's chromium through Playwright) against ``python -m
app.server`` with an API key: a goal turns the list into a transition list and the "What Waypoint
believes about you" panel quotes the person; a résumé upload replaces the occupation; a fit question
about a title that does not exist is answered "I couldn't find …; did you mean …?"; clearing the goal
in the panel gives the person's own list back.

Screenshots of each step go to ``$WAYPOINT_SHOTS_DIR`` (default: the test's temp folder), to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from tests.server_helpers import running_server
from tests.test_ui_browser import CHROMIUM, CHROMIUM_ARGS, KEY, signed_in_page

RESUME = [
    "Jordan Lee",
    "Store Manager",
    "Target, Denver CO, 2016 to 2024",
    "Managed a team of 15 sales associates: scheduling, hiring and training.",
    "Ran inventory control and visual merchandising; grew sales 12% year over year.",
    "Skills: Microsoft Excel, customer service, staff training",
]


@pytest.fixture(scope="module")
def server(waypoint_home, data_dir, tmp_path_factory):
    pytest.importorskip("playwright.sync_api", reason="pip install playwright (scripts/install_browser.sh)")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run scripts/install_browser.sh")
    with running_server(
        waypoint_home, tmp_path_factory.mktemp("ui-understanding"), WAYPOINT_DATA=str(data_dir), WAYPOINT_API_KEYS=KEY
    ) as srv:
        httpx.post(f"{srv.base}/v1/understand", json={"text": "I'm a nurse"}, headers={"X-API-Key": KEY}, timeout=600)
        yield srv


@pytest.mark.slow
@pytest.mark.e2e
def test_understanding_goal_resume_and_unknown_fit_in_browser(server, tmp_path):
    import docx
    from playwright.sync_api import expect, sync_playwright

    shots = Path(os.environ.get("WAYPOINT_SHOTS_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    resume = tmp_path / "jordan-lee-resume.docx"
    document = docx.Document()
    for line in RESUME:
        document.add_paragraph(line)
    document.save(resume)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = signed_in_page(browser, server.base)
            chat, beliefs = page.locator("#chat"), page.locator("#believes-panel")
            chat_input = page.locator("#chat-input textarea")
            expect(beliefs).to_contain_text("not known yet")

            # 1. an occupation and a goal: a transition list, and the panel quotes where each came from
            chat_input.fill("I'm a firefighter and I want to move into finance")
            page.locator("#chat-send").click()
            expect(chat).to_contain_text(
                "Occupations in finance you could move into from Firefighters", timeout=300_000
            )
            expect(beliefs).to_contain_text("Occupation: Firefighters")
            expect(beliefs).to_contain_text("Occupation: Firefighters — from: “I'm a firefighter”")
            expect(beliefs).to_contain_text(
                "Goal: finance (a move into this field) — from: “I want to move into finance”"
            )
            expect(page.locator("#profile-goal textarea")).to_have_value("finance")
            page.screenshot(path=str(shots / "01-goal-transition-list.png"), full_page=True)

            # 2. a résumé: the occupation it names replaces the one said before; the goal stays
            page.locator("#resume-upload input[type=file]").set_input_files(str(resume))
            expect(chat).to_contain_text("Uploaded jordan-lee-resume.docx", timeout=120_000)
            expect(chat).to_contain_text(
                "I've noted your occupation as First-Line Supervisors of Retail Sales Workers", timeout=300_000
            )
            expect(chat).to_contain_text("Occupations in finance you could move into")
            expect(beliefs).to_contain_text(
                "Occupation: First-Line Supervisors of Retail Sales Workers — from: “Store Manager”"
            )
            expect(beliefs).to_contain_text("Microsoft Excel")
            page.screenshot(path=str(shots / "02-resume.png"), full_page=True)

            # 3. a fit question about a title that does not exist: no silent guess
            chat_input.fill("Am I a good fit for astronaut wizard?")
            page.locator("#chat-send").click()
            expect(chat).to_contain_text("I couldn't find an occupation called “astronaut wizard”; did you mean")
            page.screenshot(path=str(shots / "03-unknown-fit.png"), full_page=True)

            # 4. the person clears the goal in the panel: their own list again
            page.locator("#profile-goal textarea").fill("")
            page.locator("#profile-save").click()
            expect(chat).to_contain_text("Goal cleared")
            expect(beliefs).to_contain_text("Goal: none")
            page.screenshot(path=str(shots / "04-goal-cleared.png"), full_page=True)
        finally:
            browser.close()
    assert all(
        (shots / name).stat().st_size > 10_000
        for name in ("01-goal-transition-list.png", "02-resume.png", "03-unknown-fit.png", "04-goal-cleared.png")
    )


@pytest.mark.slow
@pytest.mark.e2e
def test_a_physical_limit_is_shown_respected_and_can_be_unticked_in_browser(server, tmp_path):
    """The walk that led to it: "truck driver 10 years, my back is done. what else could I do?" was answered
    "First tell me a little about yourself"; then, once taken in, with other driving jobs."""
    from playwright.sync_api import expect, sync_playwright

    shots = Path(os.environ.get("WAYPOINT_SHOTS_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = signed_in_page(browser, server.base)
            chat, beliefs, recs = page.locator("#chat"), page.locator("#believes-panel"), page.locator("#recs")
            limit_box = page.locator("#profile-limit input[type=checkbox]")

            page.locator("#chat-input textarea").fill("truck driver 10 years, my back is done. what else could I do?")
            page.locator("#chat-send").click()
            expect(chat).to_contain_text("leaving out physically demanding work", timeout=300_000)
            expect(chat).to_contain_text("I'll leave out work that is hard on the body")
            expect(beliefs).to_contain_text("Limits: no physically demanding work — from: “my back is done”")
            expect(limit_box).to_be_checked()
            expect(recs).not_to_contain_text("Truck Drivers")
            page.screenshot(path=str(shots / "05-limit.png"), full_page=True)

            limit_box.uncheck()
            page.locator("#profile-save").click()
            expect(chat).to_contain_text("Physically demanding work is back on your lists", timeout=300_000)
            expect(beliefs).not_to_contain_text("Limits:")
            expect(recs).to_contain_text("Drivers")
            page.screenshot(path=str(shots / "06-limit-unticked.png"), full_page=True)
        finally:
            browser.close()
    assert all((shots / name).stat().st_size > 10_000 for name in ("05-limit.png", "06-limit-unticked.png"))


@pytest.mark.slow
@pytest.mark.e2e
def test_no_going_back_to_school_is_understood_shown_and_can_be_unticked_in_browser(server, tmp_path):
    """The walk that led to it: a 55-year-old laid off "after 25 years running a CNC machine" asked what they could
    do "without going back to school for years" and was answered "I could not tell what you do"."""
    from playwright.sync_api import expect, sync_playwright

    shots = Path(os.environ.get("WAYPOINT_SHOTS_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = signed_in_page(browser, server.base)
            chat, beliefs = page.locator("#chat"), page.locator("#believes-panel")
            school_box = page.locator("#profile-schooling input[type=checkbox]")
            page.locator("#chat-input textarea").fill(
                "I'm 55, laid off from a factory job after 25 years running a CNC machine. "
                "What can I do without going back to school for years?"
            )
            page.locator("#chat-send").click()
            expect(chat).to_contain_text("without going back to school for a degree:", timeout=300_000)
            expect(chat).not_to_contain_text("I could not tell what you do")
            expect(beliefs).to_contain_text("Computer Numerically Controlled Tool Operators")
            expect(beliefs).to_contain_text(
                "no going back to school for a degree — from: “without going back to school”"
            )
            expect(school_box).to_be_checked()
            page.screenshot(path=str(shots / "07-schooling.png"), full_page=True)

            school_box.uncheck()
            page.locator("#profile-save").click()
            expect(chat).to_contain_text("Work that needs a degree is back on your lists", timeout=300_000)
            expect(beliefs).not_to_contain_text("no going back to school")
            page.screenshot(path=str(shots / "08-schooling-unticked.png"), full_page=True)
        finally:
            browser.close()
    assert all((shots / name).stat().st_size > 10_000 for name in ("07-schooling.png", "08-schooling-unticked.png"))


@pytest.mark.slow
@pytest.mark.e2e
def test_remote_work_is_understood_shown_and_can_be_unticked_in_browser(server, tmp_path):
    """The walk that led to it: a burned-out med-surg nurse who wrote "want something remote" was offered critical
    care nursing again."""
    from playwright.sync_api import expect, sync_playwright

    shots = Path(os.environ.get("WAYPOINT_SHOTS_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = signed_in_page(browser, server.base)
            chat, beliefs = page.locator("#chat"), page.locator("#believes-panel")
            remote_box, recs = page.locator("#profile-remote input[type=checkbox]"), page.locator("#recs")
            page.locator("#chat-input textarea").fill(
                "I'm an RN, 6 years med-surg. Burned out on bedside, want something remote"
            )
            page.locator("#chat-send").click()
            expect(chat).to_contain_text("keeping to work that can often be done from home:", timeout=300_000)
            expect(beliefs).to_contain_text("work that can often be done from home — from: “something remote”")
            expect(remote_box).to_be_checked()
            expect(recs).not_to_contain_text("Critical Care Nurses")
            page.screenshot(path=str(shots / "09-remote.png"), full_page=True)

            remote_box.uncheck()
            page.locator("#profile-save").click()
            expect(chat).to_contain_text("Work done on site is back on your lists", timeout=300_000)
            expect(beliefs).not_to_contain_text("Where:")
            page.screenshot(path=str(shots / "10-remote-unticked.png"), full_page=True)
        finally:
            browser.close()
    assert all((shots / name).stat().st_size > 10_000 for name in ("09-remote.png", "10-remote-unticked.png"))
