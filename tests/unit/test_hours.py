"""Part-time or flexible hours: the wish read from a person's words (a pure function; the postings are tested through
the chat in tests/test_ui_understanding.py and over HTTP in tests/test_api.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.jobs.levels import FLEXIBLE_TITLE, person_level, steady_wish
from retrieval.understanding.hours import hours_wishes

MESSAGES = Path(__file__).resolve().parents[2] / "eval" / "data" / "hours_wishes.jsonl"


@pytest.mark.parametrize("m", [json.loads(line) for line in MESSAGES.read_text().splitlines() if line.strip()])
def test_the_wish_and_its_look_alikes(m):
    """The evaluation's messages (``waypoint eval hours``): every wish found, no look-alike ("I worked part-time at
    Target", "I work part time as a cashier", "part-time faculty", "I'm flexible about where I live")."""
    assert bool(hours_wishes(m["text"])) == m["hours"], m["text"]


@pytest.mark.parametrize(
    "line",
    ["Part-time File Clerk. Filed records.", "Delivery Driver (Part-time). Drove a truck.", "Bookkeeper (part-time)."],
)
def test_a_resume_line_naming_a_part_time_job_held_is_no_wish(line):
    """Résumés name held jobs so: without a word of wanting, "part-time" is the job, not a wish (41 of the catalogue's
    3,956 résumés and work histories were read as asking for part-time work)."""
    assert hours_wishes(line) == []


def test_the_span_is_the_wish_itself_and_it_is_what_the_postings_read():
    text = "I was a bank teller. I need something that fits around my kids' school hours"
    assert [text[s:e] for s, e in hours_wishes(text)] == ["fits around my kids' school hours"]
    assert person_level(text, None, None).wants_part_time
    assert not person_level("I work part time as a cashier", None, None).wants_part_time


def test_part_time_said_of_the_past_no_longer_hides_a_wish_for_steady_work():
    """ "part-time" anywhere used to cancel the steady wish, even in the job they had left."""
    text = "I worked part-time at Target while in college, now I want something stable"
    assert steady_wish(text) is not None and not hours_wishes(text)
    assert steady_wish("a steady part-time job") is None  # asked for part time too: no steady filter


@pytest.mark.parametrize(
    "title, flexible",
    [
        ("Flex Officer", True),
        ("Retail Sales, *Flexible Scheduling Option!*", True),
        ("L&D Registered Nurse (per diem)", True),
        ("Certified Pharmacy Technician (Saturday's Only)", True),
        ("Flexographic Press Operator", False),
        ("Registered Nurse", False),
    ],
)
def test_a_posting_title_that_offers_flexible_or_few_hours(title, flexible):
    assert bool(FLEXIBLE_TITLE.search(title)) == flexible


def test_the_full_time_hours_of_work_held_are_no_wish_for_steady_work():
    """ "I'm a full-time registered nurse" left every part-time posting out, as if asked for steady work."""
    assert steady_wish("I'm a full-time registered nurse") is None
    assert not person_level("I work full time as a cashier", None, None).wants_steady
    text = "I work full time at a warehouse and want something with benefits"
    start, end = steady_wish(text)
    assert text[start:end] == "with benefits"
    assert steady_wish("I want a full-time job") is not None
    # a waitress who needs "something with better hours and benefits" asked for steady work (not part time)
    text = "I worked as a waitress for years. I need something with better hours and benefits."
    start, end = steady_wish(text)
    assert text[start:end] == "better hours and benefits" and not hours_wishes(text)
