"""Where a person is, read from their own words ("in Chicago, IL", "Los Angeles, California"), and where a
posting is, as comparable keys.

Why: in the job-view log four of five views with a known applicant state are in that state, and a third
in the applicant's city -- location is the strongest signal a cold start has besides popularity. A
profile has no location field, so the place comes from the text the person typed (a résumé lists it).
Only unambiguous forms are read: "City, ST" with a real state code, or a state's full name; a bare "IN",
"OR" or "ME" is a word, not a state.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from retrieval.jobs.geo import NEAR_KM, city_key, distance_km, locate, plain_city

STATES = {
    "AL": "Alabama",
    "AK": "Alaska",
    "AZ": "Arizona",
    "AR": "Arkansas",
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "DC": "District of Columbia",
    "FL": "Florida",
    "GA": "Georgia",
    "HI": "Hawaii",
    "ID": "Idaho",
    "IL": "Illinois",
    "IN": "Indiana",
    "IA": "Iowa",
    "KS": "Kansas",
    "KY": "Kentucky",
    "LA": "Louisiana",
    "ME": "Maine",
    "MD": "Maryland",
    "MA": "Massachusetts",
    "MI": "Michigan",
    "MN": "Minnesota",
    "MS": "Mississippi",
    "MO": "Missouri",
    "MT": "Montana",
    "NE": "Nebraska",
    "NV": "Nevada",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "NM": "New Mexico",
    "NY": "New York",
    "NC": "North Carolina",
    "ND": "North Dakota",
    "OH": "Ohio",
    "OK": "Oklahoma",
    "OR": "Oregon",
    "PA": "Pennsylvania",
    "RI": "Rhode Island",
    "SC": "South Carolina",
    "SD": "South Dakota",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VT": "Vermont",
    "VA": "Virginia",
    "WA": "Washington",
    "WV": "West Virginia",
    "WI": "Wisconsin",
    "WY": "Wyoming",
    "PR": "Puerto Rico",
}
_BY_NAME = {name.lower(): code for code, name in STATES.items()}
_CODES = "|".join(STATES)
# "Chicago, IL ..." (a comma), or "Chicago IL" at the end of a phrase or before a ZIP code
_CITY_STATE = re.compile(
    r"\b((?:[A-Z][A-Za-z.'-]+\s){0,2}[A-Z][A-Za-z.'-]+)(?:,\s*("
    + _CODES
    + r")\b|\s+("
    + _CODES
    + r")(?=\s*(?:$|[.,;:)\n]|\d{5})))",
    re.M,
)
_STATE_NAME = re.compile(
    r"\b(" + "|".join(sorted((re.escape(n) for n in STATES.values()), key=len, reverse=True)) + r")\b", re.I
)
_LEAD_WORDS = {"in", "at", "near", "from", "and", "to", "of", "the", "based", "live", "living", "i", "work", "worked"}


norm_city = plain_city  # the name the cold-start features and the place parser use


def norm_state(state: str) -> str:
    s = (state or "").strip()
    if s.upper() in STATES:
        return s.upper()
    return _BY_NAME.get(s.lower(), "")


class Place(BaseModel):
    """Places a person names, most recent (first named) first."""

    cities: list[tuple[str, str]] = Field(default_factory=list, description="(normalised city, state code)")
    states: list[str] = Field(default_factory=list, description="state codes")

    @property
    def known(self) -> bool:
        return bool(self.states)


# Big US cities people name without a state ("jobs near Chicago"); only names no other large US city shares
# (not Portland, Columbus, Springfield), so the state they imply is safe to assume.
_BIG_CITIES: dict[str, str] = {
    "chicago": "IL", "new york city": "NY", "nyc": "NY", "los angeles": "CA", "houston": "TX", "phoenix": "AZ",
    "philadelphia": "PA", "san antonio": "TX", "san diego": "CA", "dallas": "TX", "austin": "TX", "san jose": "CA",
    "san francisco": "CA", "seattle": "WA", "denver": "CO", "boston": "MA", "atlanta": "GA", "miami": "FL",
    "detroit": "MI", "minneapolis": "MN", "las vegas": "NV", "baltimore": "MD", "nashville": "TN",
    "charlotte": "NC", "indianapolis": "IN", "milwaukee": "WI", "pittsburgh": "PA", "sacramento": "CA",
    "salt lake city": "UT", "new orleans": "LA", "oklahoma city": "OK", "albuquerque": "NM", "tucson": "AZ",
}  # fmt: skip
_BIG_CITY = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _BIG_CITIES), key=len, reverse=True)) + r")\b", re.I)


def parse_place(text: str) -> Place:
    """The cities and states ``text`` names, in order of first mention."""
    cities: list[tuple[str, str]] = []
    states: list[str] = []
    for m in _CITY_STATE.finditer(text or ""):
        words = m.group(1).split()
        while words and words[0].lower() in _LEAD_WORDS:
            words = words[1:]
        code = m.group(2) or m.group(3)
        if code not in states:
            states.append(code)
        if words and (norm_city(" ".join(words)), code) not in cities:
            cities.append((norm_city(" ".join(words)), code))
    for m in _STATE_NAME.finditer(text or ""):
        name = m.group(1).lower()
        if name == "washington" and re.search(r"washington,?\s+dc\b", (text or "")[m.start() : m.end() + 5], re.I):
            continue
        code = _BY_NAME[name]
        if code not in states:
            states.append(code)
    for m in _BIG_CITY.finditer(text or ""):
        name = m.group(1).lower()
        code = _BIG_CITIES[name]
        city = norm_city("new york" if name in ("nyc", "new york city") else name)
        if (city, code) not in cities:
            cities.append((city, code))
        if code not in states:
            states.append(code)
    return Place(cities=cities, states=states)


def describe(place: Place) -> str:
    """The place named back to the person, with its preposition: "near Chicago, IL", "in Texas",
    "near Chicago, IL or in Texas"."""
    cities = [f"near {c.title()}, {s}" for c, s in place.cities[:2]]
    states = [f"in {STATES.get(s, s)}" for s in place.states[:2] if all(s != cs for _c, cs in place.cities[:2])]
    return " or ".join(cities + states)


def nearby(items: list[dict], place: Place, near_km: float = NEAR_KM) -> tuple[list[dict], list[dict]]:
    """(postings near the place named, in the given order with a named city's own postings first; the others).

    Why: "what jobs are there near Chicago?" got postings in Los Angeles, Columbus and Kansas City among the
    Chicago ones -- the job ranker weighs a place as one signal among popularity and the kind of work
    (measured on a log of people who did not ask for a place). A place the person asks for is a condition.
    Near a named city means within ``near_km`` of it, across a state line too (Gary, IN is near Chicago;
    Springfield, IL, 280 km away, is not; :mod:`retrieval.jobs.geo`); a state named on its own ("jobs in
    Texas") takes the whole state. A posting whose town GeoNames does not know is near only by its city name."""
    cities = {(city_key(c), s) for c, s in place.cities}
    centres = [xy for c, s in place.cities if (xy := locate(c, s)) is not None]
    states = {s for s in place.states if all(s != cs for _c, cs in place.cities)}
    in_city, near, rest = [], [], []
    for item in items:
        city, state = item.get("city") or "", norm_state(item.get("state") or "")
        if (city_key(city), state) in cities:
            in_city.append(item)
        elif state in states or _within(locate(city, state) if centres else None, centres, near_km):
            near.append(item)
        else:
            rest.append(item)
    return in_city + near, rest


def _within(point: tuple[float, float] | None, centres: list[tuple[float, float]], km: float) -> bool:
    return point is not None and any(distance_km(point, c) <= km for c in centres)
