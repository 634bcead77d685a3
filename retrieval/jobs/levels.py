"""What a posting says about who it is for: employment type and seniority, parsed from its title (and
description, when a source has one), and whether that fits a person's experience.

Why: the job-view log offers internships to people with ten years' experience and "Director" roles to
students, because nothing in the ranking knew either. The posting's own words say it ("Summer Intern",
"Sr. Accountant", "Part Time Cashier"); the person's years and seniority come from the understanding
(:class:`retrieval.understanding.schema.Understanding`).

Decisions (each has a case in ``tests/unit/data/posting_titles.tsv``):

* "Intern" is a word, not a prefix: "Internal Auditor", "International Sales" are not internships.
* "Senior" before care/living/home/center/citizens/services/community/housing/companion is about
  elderly people, not seniority: "Senior Care Aide" is an ordinary aide posting ("Senior Living Sales
  Director" is still a director, by "Director").
* "Manager" is management, except in role names where it is not ("Case Manager", "Account Manager").
  "Executive" is seniority only as "Executive Director" / "Chief ...": an "Executive Assistant" is not.
* "PT" is part time, except in a therapy posting, where it is a physical therapist ("Travel PT").
* "Holiday" is seasonal, except the hotel chain ("Holiday Inn").
* An explicit "entry level" outranks a management word: "Entry Level - Assistant Manager" is entry.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from retrieval.understanding.hours import hours_wishes

Seniority = Literal["intern", "entry", "senior", "lead", "director"]
EMPLOYMENT_TYPES = ("internship", "part_time", "seasonal", "temporary", "full_time")
#: order of seniority for comparisons (None, unstated, sits between entry and senior)
RANK = {"intern": 0, "entry": 1, None: 2, "senior": 3, "lead": 4, "director": 5}

_EMPLOYMENT = {
    "internship": re.compile(r"\b(?:intern|interns|internships?|co-?op|externship)\b", re.I),
    "part_time": re.compile(r"\b(?:part[\s-]*time|p/t|pt)\b", re.I),
    "seasonal": re.compile(r"\b(?:seasonal|holiday(?!\s+inn)|summer)\b", re.I),
    # "per diem" / "PRN": shifts as needed, no set hours ("L&D Registered Nurse (per diem)" was shown to a nurse who
    # asked for regular hours)
    "temporary": re.compile(r"\b(?:temp|temps|temporary|temp[\s-]to[\s-](?:hire|perm)|per[\s-]diem|prn)\b", re.I),
    "full_time": re.compile(r"\b(?:full[\s-]*time|f/t|ft)\b", re.I),
}
_THERAPY = re.compile(
    r"\b(?:therap\w*|physical|rehab\w*|pta|dpt|outpatient|clinic|travel|ortho\w*|sports\s+med\w*)\b", re.I
)
_ELDER = re.compile(
    r"\bsenior(?:s)?\s+(?:care|living|home|homes|center|centers|citizens?|services?|community|"
    r"communities|housing|companion\w*|day|residen\w*|apartments?)\b",
    re.I,
)
_LEVELS: list[tuple[str, re.Pattern]] = [
    (
        "director",
        re.compile(
            r"\b(?:director|directors|vp|vice\s+president|head\s+of|chief|cfo|ceo|coo|cto|"
            r"executive\s+director|partner\s+in\s+charge)\b",
            re.I,
        ),
    ),
    (
        "lead",
        re.compile(
            r"\b(?:lead|leads|manager|managers|management|supervisor|supervisors|foreman|"
            r"superintendent|principal|team\s+leader|executive\s+chef|head\s+\w+)\b",
            re.I,
        ),
    ),
    ("senior", re.compile(r"\b(?:senior|sr\.?|experienced|iii|iv)\b", re.I)),
]
_ENTRY = re.compile(
    r"\b(?:entry[\s-]*level|junior|jr\.?|trainee|trainees|apprentice|graduate\s+program|new\s+grad\w*|"
    r"no\s+experience(?:\s+(?:necessary|required|needed))?|will\s+train)\b|"
    r"\b[a-z]+\s+i\s*$|\b[a-z]+\s+i\b(?=\s*[-–(,])",
    re.I,
)
_NOT_MANAGEMENT = re.compile(r"\b(?:case|account|accounts|care|property\s+leasing)\s+managers?\b", re.I)
_YEARS = re.compile(
    r"\b(\d{1,2})\s*\+?\s*(?:-\s*\d{1,2}\s*)?(?:years?|yrs?)\b(?:\s+of)?(?:\s+\w+){0,2}?\s+"
    r"(?:experience|exp)\b|\b(?:minimum|min\.?|at\s+least)\s+(\d{1,2})\s*(?:years?|yrs?)\b",
    re.I,
)


class PostingLevel(BaseModel):
    """Employment type(s) and seniority a posting states; ``None``/empty when it states none."""

    employment: list[str] = Field(
        default_factory=list, description="internship | part_time | seasonal | temporary | full_time"
    )
    seniority: Seniority | None = Field(default=None, description="intern | entry | senior | lead | director")
    years_required: float | None = Field(default=None, description="minimum years of experience it asks for")
    nights: bool = Field(default=False, description="the title says it is night work (night_title)")
    weekends: bool = Field(default=False, description="the title says it is weekend work (weekend_title)")


def employment_types(text: str) -> list[str]:
    """Employment types ``text`` states, in :data:`EMPLOYMENT_TYPES` order."""
    text = text or ""
    out = []
    for kind in EMPLOYMENT_TYPES:
        m = _EMPLOYMENT[kind].search(text)
        if m is None:
            continue
        if kind == "part_time" and m.group(0).lower() == "pt" and _THERAPY.search(text):
            continue  # "Travel PT", "PT - Outpatient Clinic": a physical therapist
        out.append(kind)
    return out


def seniority(title: str) -> Seniority | None:
    """The seniority a title states (``None`` when it states none)."""
    t = title or ""
    if _EMPLOYMENT["internship"].search(t):
        return "intern"
    if _ENTRY.search(t):
        return "entry"
    t = _ELDER.sub(" ", t)
    t = _NOT_MANAGEMENT.sub(" ", t)
    t = re.sub(r"\bexecutive\s+(?:assistant|secretary|housekeeper|administrative)\b", " ", t, flags=re.I)
    for level, pattern in _LEVELS:
        if pattern.search(t):
            return level  # type: ignore[return-value]
    return None


def years_required(text: str) -> float | None:
    """The minimum years of experience ``text`` asks for ("2 years experience", "minimum 3 yrs")."""
    best = None
    for m in _YEARS.finditer(text or ""):
        n = float(m.group(1) or m.group(2))
        if 0 < n <= 30:
            best = n if best is None else min(best, n)
    return best


def parse_posting(title: str, description: str = "") -> PostingLevel:
    """Employment type and seniority from the title; the description adds employment types and required
    years only (its "manager" or "intern" is as often about who the hire reports to or works with)."""
    kinds = employment_types(title)
    for kind in employment_types(description[:3000]) if description else []:
        if kind not in kinds and kind != "internship" and kind != "seasonal":
            kinds.append(kind)
    level = seniority(title)
    if level is None and "internship" in kinds:
        level = "intern"
    years = years_required(title) if years_required(title) is not None else years_required(description[:3000])
    return PostingLevel(
        employment=[k for k in EMPLOYMENT_TYPES if k in kinds],
        seniority=level,
        years_required=years,
        nights=night_title(title),
        weekends=weekend_title(title),
    )


class PersonLevel(BaseModel):
    """What the ranking needs to know about a person's experience (from the understanding)."""

    years: float | None = None
    seniority: Literal["entry", "mid", "senior", "lead"] | None = None
    wants_internship: bool = False  # the person asks for one ("looking for an internship")
    wants_part_time: bool = False
    wants_steady: bool = False  # "something stable with benefits", "a full-time job"
    wants_days: bool = False  # "I hate night shifts", "day shifts only"
    wants_weekdays: bool = False  # "a job with weekends off", "Monday to Friday"


_ASKS_INTERNSHIP = re.compile(r"\b(?:intern|internships?|co-?op|placement)\b", re.I)
#: a posting whose title offers flexible or few hours: "Flex Officer", "Retail Sales, *Flexible Scheduling Option!*",
#: "RN (per diem)", "Certified Pharmacy Technician (Saturday's Only)"
FLEXIBLE_TITLE = re.compile(
    r"\bflex(?:ible|ibility)?\b|\bper\s+diem\b|\bprn\b|\bweekends?\b|\b(?:saturday|sunday)'?s?\s+only\b", re.I
)

_ASKS_STEADY = re.compile(
    r"\b(?:stable|steady|stability|full[\s-]*time|permanent|(?:with|good|real|health)\s+benefits|job\s+security|"
    r"secure\s+(?:job|work|income)|(?:better|regular|normal|steady)\s+hours(?:\s+and\s+benefits)?)\b",
    re.I,
)
# the hours of work held, not a wish: "I'm a full-time registered nurse", "I work full time", "worked full-time at"
_STEADY_HELD = re.compile(
    r"\b(?:i'?m|i\s+am|i\s+work|i've\s+worked|working|worked|was|been)\s+(?:a\s+|an\s+)?full[\s-]*time\b", re.I
)


def _asks_steady(text: str) -> re.Match | None:
    """The first place ``text`` asks for steady work, past the full-time hours of work held."""
    held = [m.span() for m in _STEADY_HELD.finditer(text or "")]
    return next((m for m in _ASKS_STEADY.finditer(text or "") if not any(a <= m.start() < b for a, b in held)), None)


_PERSON_SENIORITY: dict[str, Literal["entry", "mid", "senior", "lead"]] = {
    "entry": "entry",
    "mid": "mid",
    "senior": "senior",
    "lead": "lead",
}


def person_level(text: str, years: float | None, seniority_: str | None) -> PersonLevel:
    """The person's level from the understanding's years and seniority, and what their text asks for."""
    return PersonLevel(
        years=years,
        seniority=_PERSON_SENIORITY.get(seniority_ or ""),
        wants_internship=bool(_ASKS_INTERNSHIP.search(text or "")),
        wants_part_time=bool(hours_wishes(text or "")),
        wants_steady=_asks_steady(text) is not None,
        wants_days=day_wish(text) is not None,
        wants_weekdays=weekday_wish(text) is not None,
    )


def steady_wish(text: str) -> tuple[int, int] | None:
    """Where ``text`` asks for steady work ("something stable with benefits", "a full-time job"), unless it also
    asks for part-time work; None when it does not."""
    m = _asks_steady(text)
    return m.span() if m and not hours_wishes(text or "") else None


#: a posting whose title says it is night work: "Night Shift RN", "RN - Nights", "Overnight Stocker", "3rd Shift Machine
#: Operator", "Graveyard Security Officer" ("NOC" is left out: "NOC Technician" is a network operations centre)
_NIGHT_TITLE = re.compile(r"\b(?:nights?|overnights?|graveyard|(?:3rd|third)\s+shift)\b", re.I)
# a wish for day work: "I hate night shifts", "no more nights", "tired of working overnights", "day shifts only"
_ASKS_DAYS = re.compile(
    r"\b(?:hate|no\s+more|tired\s+of|sick\s+of|done\s+with|can'?t\s+(?:do|work)|don'?t\s+want(?:\s+to\s+work)?|not|no|"
    r"without|avoid|away\s+from|get\s+off|quit)\s+(?:working\s+|doing\s+|the\s+|any\s+)?(?:night(?:\s+shifts?|s)\b|"
    r"overnights?(?:\s+shifts?)?\b|graveyard(?:\s+shifts?)?\b|(?:3rd|third)\s+shift\b)"
    r"|\b(?:day\s+shifts?|days|daytime(?:\s+(?:hours|work|shifts?))?)\s+only\b|\bonly\s+(?:day\s+shifts?|days|daytime)\b|"
    r"\bdaytime\s+hours\b",
    re.I,
)


def night_title(title: str) -> bool:
    """Whether a posting's title says it is night work (:data:`_NIGHT_TITLE`)."""
    return bool(_NIGHT_TITLE.search(title or ""))


def day_wish(text: str) -> tuple[int, int] | None:
    """Where ``text`` asks for day work ("I hate night shifts", "day shifts only"); None when it does not. The catalogue
    does not say which occupations work nights (O*NET's Work Context is not in our data), so only postings whose
    title says so are left out (:func:`schedule_fits`)."""
    return _first_span(_ASKS_DAYS, text)


#: a posting whose title says it is weekend work: "Weekend Receptionist", "Weekend Assistant Manager", "Pharmacy
#: Technician (Saturday's Only)"
_WEEKEND_TITLE = re.compile(r"\b(?:weekends?|saturdays?|sundays?|saturday'?s|sunday'?s)\b", re.I)
# a wish for weekday work: "a job with weekends off", "no weekends", "Monday to Friday", "weekdays only"
_ASKS_WEEKDAYS = re.compile(
    r"\bweekends?\s+off\b|\b(?:no|not|never|without|hate|tired\s+of|sick\s+of|done\s+with|don'?t\s+want\s+to\s+work)\s+"
    r"(?:working\s+)?(?:on\s+)?weekends\b|(?:want|need|looking\s+for|prefer|only)\s+(?:\w+\s+){0,4}?monday\s+(?:to|through|thru|-)\s+friday\b|\bmonday\s+(?:to|through|thru|-)\s+friday\s+only\b|\bweekdays?\s+only\b|"
    r"\bonly\s+weekdays\b",
    re.I,
)


def weekend_title(title: str) -> bool:
    """Whether a posting's title says it is weekend work (:data:`_WEEKEND_TITLE`)."""
    return bool(_WEEKEND_TITLE.search(title or ""))


def weekday_wish(text: str) -> tuple[int, int] | None:
    """Where ``text`` asks for weekday work ("a job with weekends off", "Monday to Friday"); None when it does not.
    As with nights, the catalogue does not say which occupations work weekends: only postings whose title says so are
    left out (:func:`schedule_fits`)."""
    return _first_span(_ASKS_WEEKDAYS, text)


def _first_span(pattern: re.Pattern, text: str) -> tuple[int, int] | None:
    """Where ``pattern`` first matches ``text`` (a curly apostrophe typed on a phone read as a straight one)."""
    m = pattern.search((text or "").replace("’", "'"))
    return m.span() if m else None


def schedule_fits(posting: PostingLevel, person: PersonLevel) -> bool:
    """Whether a posting suits the hours a person asks for: not night work for one who wants day work, not weekend work
    for one who wants weekdays (what its title says; :func:`day_wish`, :func:`weekday_wish`). Beside
    :func:`steady_enough`, for the same mask (:func:`retrieval.jobs.cold.shown`)."""
    return not (person.wants_days and posting.nights) and not (person.wants_weekdays and posting.weekends)


#: the employment types that are not steady work
UNSTEADY = frozenset({"part_time", "seasonal", "temporary", "internship"})


def steady_enough(posting: PostingLevel, person: PersonLevel) -> bool:
    """Whether a posting suits a person who asks for steady work ("I drive for Uber and want something stable with
    benefits" was shown a part-time bus operator posting): a posting that says it is part time, seasonal,
    temporary or an internship is left out for them, unless they also ask for part-time work. Kept apart from
    :func:`fit`, which is a feature of the learned posting ranker."""
    return not (person.wants_steady and not person.wants_part_time and UNSTEADY & set(posting.employment))


def is_experienced(person: PersonLevel) -> bool:
    """Two years or more, or a mid/senior/lead seniority: past internships (the issue's case is three years)."""
    return (person.years is not None and person.years >= 2) or person.seniority in ("mid", "senior", "lead")


def is_beginner(person: PersonLevel) -> bool:
    """A student or a first job: entry seniority, or under a year, with nothing saying otherwise."""
    if person.seniority in ("mid", "senior", "lead"):
        return False
    return person.seniority == "entry" or (person.years is not None and person.years < 1)


def fit(posting: PostingLevel, person: PersonLevel) -> tuple[bool, str]:
    """``(shown, reason)``: whether a posting suits the person's experience, and why not when it does not.

    Hidden: an internship for an experienced person (unless they ask for one); a senior or director
    role, or one asking for 5+ years, for a beginner. Everything else is shown (a person may well take a
    job below their level; the ranking, not this rule, decides how high)."""
    if posting.seniority == "intern" and is_experienced(person) and not person.wants_internship:
        return False, "an internship, and you have experience"
    if is_beginner(person):
        if posting.seniority in ("senior", "director"):
            return False, f"a {posting.seniority} role, and you are starting out"
        if posting.years_required is not None and posting.years_required >= 5:
            return False, f"asks for {posting.years_required:g}+ years' experience"
    return True, ""
