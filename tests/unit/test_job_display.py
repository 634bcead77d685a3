"""How postings are shown (issue 23, item 4): clean titles, employment types, one row per posting."""

from __future__ import annotations

import re

import pytest

from retrieval.jobs.display import clean_title, dedup_key, employment_types


@pytest.mark.parametrize(
    "raw,company,city,state,shown",
    [
        ("Dispatcher~ 2 years experience!!!!!", "", "", "", "Dispatcher"),
        # partly shouted (a 17-year-old's postings line): the long capitalised words lose their caps, acronyms keep them
        (
            "MOBILE VIDEO GAME THEATER Part-time VIDEO GAME COACH",
            "",
            "",
            "",
            "Mobile Video Game Theater Part-time Video Game Coach",
        ),
        ("HVAC Technician - CDL Required", "", "", "", "HVAC Technician - CDL Required"),
        (
            "IMMEDIATE COOK POSITIONS IN LAKE COUNTY!!! @ All Team Staffing",
            "All Team Staffing",
            "Des Plaines",
            "IL",
            "Immediate Cook Positions In Lake County",
        ),
        (
            "Seasonal Retail Sales Part Time - Chicago, IL - State Street @ Macy's",
            "Macy's",
            "Chicago",
            "IL",
            "Seasonal Retail Sales Part Time",
        ),
        (
            "Associate Firstline Technician - San Diego, CA (Part - Time) @ Diebold",
            "Diebold",
            "San Diego",
            "CA",
            "Associate Firstline Technician",
        ),
        (
            "Hiring Restaurant Positions - Bussers - Cooks - Dishwashers @ Olive Garden",
            "Olive Garden",
            "Monroe",
            "NC",
            "Bussers - Cooks - Dishwashers",
        ),
        (
            "Hospital Greeter - Valley Hospital, Ridgewood, NJ @ Towne Park",
            "Towne Park",
            "Ridgewood",
            "NJ",
            "Hospital Greeter",
        ),
        (
            "Retail Associate - Chocolateer - Westfield @ Ghirardelli Chocolate",
            "Ghirardelli Chocolate",
            "San Francisco",
            "CA",
            "Retail Associate - Chocolateer - Westfield",
        ),
        ("Bookkeeper @ Accountemps", "Accountemps", "Boston", "MA", "Bookkeeper"),
    ],
)
def test_clean_title(raw, company, city, state, shown):
    assert clean_title(raw, company, city, state) == shown
    assert not re.search(r"([!?~*])\1|~|@", clean_title(raw, company, city, state))


def test_employment_types():
    assert employment_types("Paid Internship - Fleet Operations") == {"internship"}
    assert employment_types("Seasonal Retail Sales Part Time") == {"seasonal", "part_time"}
    assert employment_types("P/T Cashier") == {"part_time"}
    assert employment_types("Package Handler - Part-Time") == {"part_time"}
    assert employment_types("Senior Accountant") == set()


def test_the_same_posting_on_two_boards_is_one_row():
    a = dedup_key("Store Associate!!! @ ALDI", "ALDI", "Chicago")
    assert a == dedup_key("Store Associate @ ALDI", "ALDI", "Chicago")
    assert a == dedup_key("STORE ASSOCIATE - Chicago, IL", "ALDI", "Chicago")
    assert a != dedup_key("Store Associate @ ALDI", "ALDI", "Houston")
    assert a != dedup_key("Store Manager @ ALDI", "ALDI", "Chicago")


def test_the_same_job_in_several_cities_is_one_line_in_the_chat():
    """A barista asking about UX design read "Usability Research Participant" six times, once per city; the chat
    names the job once with its places, keeps its first place in the list, and keeps other employers apart."""
    from app.ui.chat import _one_line_per_job

    def posting(title: str, city: str) -> dict:
        return {"title": f"{title} — {city}" if " — " not in title else f"{title}, {city}", "city": city}

    items = [posting("Usability Research Participant", c) for c in ("Los Angeles", "San Francisco")]
    items += [
        posting("Coach — Rolling Video Games", "Ashburn"),
        posting("Usability Research Participant — Acme", "Atlanta"),
    ]
    items += [posting("Usability Research Participant", c) for c in ("Dallas", "Columbus", "Oklahoma City")]
    items += [posting("Nurse — Acme", c) for c in ("Austin", "Dallas")] + [{"title": "Cook", "city": ""}]
    titles = [i["title"] for i in _one_line_per_job(items)]
    assert titles == [
        "Usability Research Participant — Los Angeles, San Francisco and 3 more places",
        "Coach — Rolling Video Games, Ashburn",
        "Usability Research Participant — Acme, Atlanta",
        "Nurse — Acme: Austin and Dallas",
        "Cook",
    ]
    one = [posting("Clerk", "Erie")]
    assert _one_line_per_job(one) == one
