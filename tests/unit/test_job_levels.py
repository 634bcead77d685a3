"""Posting employment type and seniority (issue 23, item 4), the person-fit rule, the place parser and the
pure parts of the cold-start scorer -- on a committed list of real-looking titles and synthetic data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.jobs.levels import (
    PersonLevel,
    day_wish,
    employment_types,
    fit,
    parse_posting,
    person_level,
    steady_enough,
    years_required,
)
from retrieval.jobs.location import norm_city, parse_place

TITLES = Path(__file__).parent / "data" / "posting_titles.tsv"


def _cases() -> list[tuple[str, list[str], str | None, str]]:
    out = []
    for line in TITLES.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        title, kinds, level, why = (line.split("\t") + [""])[:4]
        out.append((title, [] if kinds == "-" else kinds.split(","), None if level == "-" else level, why))
    return out


@pytest.mark.parametrize(("title", "kinds", "level", "why"), _cases(), ids=[c[0][:40] for c in _cases()])
def test_posting_title_is_parsed_as_labelled(title, kinds, level, why):
    parsed = parse_posting(title)
    assert sorted(parsed.employment) == sorted(kinds), why
    assert parsed.seniority == level, why


def test_the_committed_list_has_negative_cases():
    cases = _cases()
    assert len(cases) >= 40
    assert sum(1 for _t, k, lv, _w in cases if not k and lv is None) >= 10


def test_years_required():
    assert years_required("Dispatcher~ 2 years experience!!!!!") == 2
    assert years_required("Minimum 5 years of relevant experience in sales") == 5
    assert years_required("3+ yrs exp") == 3
    assert years_required("Open 24 hours, 7 days") is None


def test_description_adds_employment_but_not_internship():
    p = parse_posting("Cashier", "This is a part-time position. You will train our interns.")
    assert p.employment == ["part_time"] and p.seniority is None


def test_fit_hides_internships_from_experienced_people_unless_asked():
    intern = parse_posting("Summer Intern - Marketing")
    ten_years = PersonLevel(years=10, seniority="senior")
    assert fit(intern, ten_years)[0] is False
    assert fit(intern, PersonLevel(years=3))[0] is False  # the issue's case: three years' experience
    assert fit(intern, ten_years.model_copy(update={"wants_internship": True}))[0] is True
    assert fit(intern, PersonLevel(years=None, seniority="entry"))[0] is True
    assert fit(intern, PersonLevel())[0] is True  # nothing known: shown


def test_fit_hides_senior_and_director_roles_from_students():
    student = person_level("I am a student looking for my first job", None, "entry")
    assert fit(parse_posting("Senior Accountant"), student) == (False, "a senior role, and you are starting out")
    assert fit(parse_posting("Director of Nursing"), student)[0] is False
    assert fit(parse_posting("Senior Care Aide"), student)[0] is True  # elderly care, not seniority
    assert fit(parse_posting("Lead Cashier"), student)[0] is True
    assert fit(parse_posting("Sales Rep - minimum 5 years of experience"), student)[0] is False
    assert fit(parse_posting("Senior Accountant"), PersonLevel(years=8, seniority="senior"))[0] is True


def test_person_level_reads_what_the_text_asks_for():
    p = person_level("Ten years in retail, looking for a part-time internship", 10, "senior")
    assert p.wants_internship and p.wants_part_time and p.years == 10
    assert not person_level("Internal auditor for 6 years", 6, "mid").wants_internship


def test_a_person_who_asks_for_steady_work_is_not_shown_part_time_or_seasonal_postings():
    """ "I drive for Uber and want something stable with benefits" was shown "Bus Operator (Part- Time)"."""
    steady = person_level("I drive for Uber and want something stable with benefits", None, None)
    assert steady.wants_steady and not steady.wants_part_time
    for title in ("Bus Operator (Part- Time)", "Seasonal Warehouse Associate", "Temporary Driver"):
        assert not steady_enough(parse_posting(title), steady), title
    assert steady_enough(parse_posting("Shuttle Driver II"), steady)
    # shifts as needed are no regular hours ("L&D Registered Nurse (per diem)" for "I want regular hours")
    assert not steady_enough(parse_posting("L&D Registered Nurse (per diem)"), steady)
    assert not steady_enough(parse_posting("Caregiver - PRN"), steady)
    anyone = person_level("I drive for Uber", None, None)
    assert steady_enough(parse_posting("Bus Operator (Part- Time)"), anyone)
    both = person_level("a steady part-time job", None, None)  # asked for part time too: kept
    assert steady_enough(parse_posting("Bus Operator (Part- Time)"), both)


@pytest.mark.parametrize(
    ("text", "wants_days"),
    [
        ("I'm a nurse but I hate night shifts. I want regular hours.", True),
        ("no more nights for me", True),
        ("I'm tired of working overnights", True),
        ("day shifts only please", True),
        ("I want daytime hours", True),
        ("I work nights at a hospital", False),  # the hours they have, no wish
        ("I worked night shift for 10 years", False),
        ("Knights of Columbus volunteer", False),
    ],
)
def test_a_wish_for_day_work_is_read(text, wants_days):
    assert person_level(text, None, None).wants_days is wants_days
    assert (day_wish(text) is not None) is wants_days


@pytest.mark.parametrize(
    ("title", "nights"),
    [
        ("Night Shift RN", True),
        ("RN - Nights", True),
        ("Overnight Stocker", True),
        ("3rd Shift Machine Operator", True),
        ("NOC Technician", False),  # a network operations centre
        ("Knight Transportation Driver", False),
        ("Registered Nurse", False),
    ],
)
def test_a_posting_says_it_is_night_work(title, nights):
    """A nurse who hates night shifts is not shown the postings that say they are nights (retrieval.jobs.cold.shown);
    which occupations work nights the catalogue does not say."""
    assert parse_posting(title).nights is nights


@pytest.mark.parametrize(
    ("text", "wants_weekdays"),
    [
        ("I'm a bartender. I want a job with weekends off.", True),
        ("no weekends please", True),
        ("I want a job that is Monday to Friday", True),
        ("Monday to Friday only", True),
        ("I worked weekends at Target", False),  # the hours they had
        ("Worked Monday to Friday 9-5", False),
        ("I volunteer on weekends", False),
    ],
)
def test_a_wish_for_weekday_work_is_read(text, wants_weekdays):
    assert person_level(text, None, None).wants_weekdays is wants_weekdays


@pytest.mark.parametrize(
    ("title", "weekends"),
    [("Weekend Receptionist", True), ("Pharmacy Technician (Saturday's Only)", True), ("Receptionist", False)],
)
def test_a_posting_says_it_is_weekend_work(title, weekends):
    assert parse_posting(title).weekends is weekends


def test_parse_place():
    p = parse_place("I work as a Receptionist at Acme in Chicago, IL.\nI worked in Los Angeles, CA before.")
    assert p.states == ["IL", "CA"] and p.cities == [("chicago", "IL"), ("los angeles", "CA")]
    assert parse_place("I moved to Texas last year").states == ["TX"]
    assert parse_place("I want to work IN IT OR in sales, ME too").states == []  # words, not states
    assert parse_place("Python developer, Django, SQL, AWS").states == []


def test_employment_types_keep_the_display_contract():
    from retrieval.jobs.display import employment_types as display_types

    assert display_types("Seasonal Retail Sales Part Time") == {"seasonal", "part_time"}
    assert employment_types("Seasonal Retail Sales Part Time") == ["part_time", "seasonal"]


# --------------------------------------------------------------------------- the cold-start scorer (synthetic)
def _tiny_index():
    from retrieval.jobs.cold import ColdIndex
    from retrieval.jobs.data import JobLog, View

    log = JobLog(
        job_ids=["j1", "j2", "j3", "j4"],
        titles=["Registered Nurse", "Software Developer", "Senior Software Developer", "Summer Intern"],
        positions=["Registered Nurse", "Software Developer", "Senior Software Developer", "Summer Intern"],
        companies=["A", "B", "C", "D"],
        cities=["Chicago", "Austin", "Austin", "Chicago"],
        states=["IL", "TX", "TX", "IL"],
        views=[
            View("u1", "j1", 1.0, None),
            View("u2", "j1", 2.0, None),
            View("u2", "j2", 3.0, None),
            View("u3", "j3", 4.0, None),
        ],
    )
    ids = ["29-1141.00", "15-1252.00", "15-1251.00"]
    V = np.eye(3, dtype=np.float32)
    V[2] = [0, 0.8, 0.6]
    links = {
        "j1": [("29-1141.00", 0.9)],
        "j2": [("15-1252.00", 0.8)],
        "j3": [("15-1252.00", 0.7)],
        "j4": [("15-1251.00", 0.3)],
    }
    return log, ColdIndex(
        log, links, ids, V, related={"15-1252.00": ["15-1251.00"]}, occupation_skills={"15-1252.00": {"python", "sql"}}
    )


def test_static_features_match_occupation_place_skills_and_fit():
    from retrieval.jobs.cold import _C, ColdQuery, static_features
    from retrieval.jobs.levels import PersonLevel

    log, index = _tiny_index()
    q = ColdQuery(
        text="Python developer in Austin, TX",
        occupations=[("15-1252.00", 0.9)],
        skills={"python"},
        place=parse_place("Python developer in Austin, TX"),
        level=PersonLevel(years=6, seniority="mid"),
    )
    F = static_features(index, q)
    assert F[:, _C["same_state"]].tolist() == [0, 1, 1, 0]
    assert F[:, _C["same_city"]].tolist() == [0, 1, 1, 0]
    assert F[1, _C["occ_exact"]] == pytest.approx(0.9 * 0.8) and F[0, _C["occ_exact"]] == 0
    assert F[3, _C["occ_related"]] == pytest.approx(0.9 * 0.3)
    assert F[1, _C["skill_overlap"]] == pytest.approx(1.0 * 0.8)  # all the person's skills are the occupation's
    assert F[:, _C["fits"]].tolist() == [1, 1, 1, 0]  # the internship does not fit six years' experience


def test_popularity_leaves_out_the_given_applicants_and_counts_people_once():
    from retrieval.jobs.cold import popularity
    from retrieval.jobs.data import View

    log, _index = _tiny_index()
    views = log.views + [View("u1", "j1", 9.0, None)]  # a re-view counts the person once
    places = {"u1": parse_place("in Chicago, IL"), "u2": parse_place("in Austin, TX")}
    pop = popularity(log, views, places)
    assert pop.users.tolist() == [2, 1, 1, 0]
    assert pop.by_state["IL"].tolist() == [1, 0, 0, 0] and pop.by_city["austin|TX"].tolist() == [1, 1, 0, 0]
    assert popularity(log, views, places, exclude={"u2"}).users.tolist() == [1, 0, 1, 0]


def test_rank_puts_the_matching_posting_first_and_respects_exclude():
    from retrieval.jobs.cold import ColdQuery, popularity, rank, static_features, with_popularity

    log, index = _tiny_index()
    q = ColdQuery(text="nurse", occupations=[("29-1141.00", 0.9)], place=parse_place("in Chicago, IL"))
    pop = popularity(log, log.views, {})
    F = with_popularity(static_features(index, q), q, pop)
    ranked = rank(F, pop.users > 0, None, 3, log.job_ids)
    assert [log.job_ids[i] for i, _s in ranked][0] == "j1"
    assert "j4" not in [log.job_ids[i] for i, _s in ranked]  # nobody viewed it: not recommendable
    assert "j1" not in [log.job_ids[i] for i, _s in rank(F, pop.users > 0, None, 3, log.job_ids, exclude={"j1"})]


def test_applicant_text_and_years():
    from retrieval.jobs.cold_train import ExperienceRow, applicant_text, years_of_experience

    rows = [
        ExperienceRow("Machine Operator", "comptec inc", "custer", "WA", "1997-01-01", "1999-01-01"),
        ExperienceRow("Account Manager", "Barcode Resourcing", "Bellingham", "WA", "2012-10-15", ""),
    ]
    text = applicant_text(rows, ["Receptionist"])
    assert text.splitlines()[0] == "I work as Account Manager at Barcode Resourcing in Bellingham, WA."
    assert "I worked as Machine Operator at comptec inc in Custer, WA." in text
    assert "I am looking for work as Receptionist." in text
    assert years_of_experience(rows) == pytest.approx(2.0 + 2.46, abs=0.05)
    assert parse_place(text).states == ["WA"]


@pytest.mark.parametrize(
    "text, city, state",
    [
        ("find me job postings near Chicago", "chicago", "IL"),  # a big city said without its state
        ("any openings in nyc?", "new york", "NY"),
        ("I live in Austin, TX", "austin", "TX"),
    ],
)
def test_a_big_city_named_alone_implies_its_state(text, city, state):
    place = parse_place(text)
    assert (norm_city(city), state) in place.cities and place.states[0] == state


def test_a_city_name_many_states_share_implies_nothing():
    assert parse_place("I work in Springfield").states == []
