"""How a job posting is shown: a clean title, its employment type, and one row per posting.

Why: the job-view log's titles are written for job boards, not for a list a person reads --
"Dispatcher~ 2 years experience!!!!!", "IMMEDIATE COOK POSITIONS IN LAKE COUNTY!!!", "Seasonal Retail
Sales Part Time - Chicago, IL - State Street @ Macy's" -- and the same posting is listed once per
board it was copied to (the same ALDI posting three times). The original title stays in the data (and
in ``ScoredJob.raw_title``) for evidence; only what is displayed changes.
"""

from __future__ import annotations

import re

_AT_COMPANY = re.compile(r"\s+@\s+.*$")
_REPEATED = re.compile(r"([!?*~#=_.,:;\-])\1+")
_SEPARATORS = re.compile(r"\s*(?:~|\||\s[-–—]\s|:\s)\s*")
_NOISE = re.compile(
    r"(\b\d+\s*\+?\s*(years?|yrs?)\b|\bexperience\b|\bimmediate(ly)?\b|\bhiring\b|\bneeded\b|"
    r"\bopenings?\b|\bpositions? available\b|\bapply\b|\bnow\b|\burgent(ly)?\b|\$|\bpay\b|\bbonus\b|"
    r"\bweekends? only\b|\bno experience\b)",
    re.I,
)
_STATE = re.compile(r"\b[A-Z]{2}\b")
_EDGE = re.compile(r"^[\s\-–—~|:,.!*]+|[\s\-–—~|:,.!*]+$")


def employment_types(title: str) -> set[str]:
    """The employment types the title states (internship, part_time, seasonal, temporary, full_time); the
    parser, with its documented exceptions, is :mod:`retrieval.jobs.levels`."""
    from retrieval.jobs.levels import employment_types as parsed

    return set(parsed(title))


def _is_noise(segment: str, city: str, state: str) -> bool:
    """A trailing title segment that says where, how urgently or for how much, not what the job is."""
    s = segment.strip()
    if not s:
        return True
    low = s.lower()
    if city and city.lower() in low:
        return True
    if state and re.search(rf"(^|[\s,]){re.escape(state)}($|[\s,)])", s):
        return True
    if _NOISE.search(s):
        return True
    return bool(_STATE.fullmatch(s))


def clean_title(title: str, company: str = "", city: str = "", state: str = "") -> str:
    """The title as a person should read it: no "@ company", no repeated or trailing punctuation, no
    trailing location or hiring noise, no shouting (ALL CAPS becomes Title Case)."""
    text = _AT_COMPANY.sub("", title or "").strip()
    text = _REPEATED.sub(r"\1", text)
    parts = [p for p in _SEPARATORS.split(text) if p is not None]
    head, tail = parts[0], parts[1:]
    if (
        _is_noise(head, city, state) and tail and not _is_noise(tail[0], city, state)
    ):  # "Hiring Restaurant Positions - Bussers": the job is later
        head, tail = tail[0], tail[1:]
    for n, segment in enumerate(tail):  # everything from the first location or hiring segment on is noise
        if _is_noise(segment, city, state):
            tail = tail[:n]
            break
    text = " - ".join([head, *tail])
    text = re.sub(r"\((?:[^)]*)\)", lambda m: "" if _is_noise(m.group(0)[1:-1], city, state) else m.group(0), text)
    text = re.sub(r"[!?]+", "", text)
    text = _EDGE.sub("", re.sub(r"\s+", " ", text))
    if text.isupper() and len(text) > 4:
        text = text.title()
    elif _shouting(text):  # "MOBILE VIDEO GAME THEATER Part-time VIDEO GAME COACH"
        text = _LONG_CAPS.sub(lambda m: m.group(0) if m.group(0) in _ACRONYMS else m.group(0).title(), text)
    return text or (title or "").strip()


_LONG_CAPS = re.compile(r"\b[A-Z]{4,}\b")
_ACRONYMS = frozenset({"HVAC", "CDL", "LPN", "CNA", "PRN", "SQL", "AWS", "ICU", "NICU", "EMT", "HIPAA", "CPA", "PHP"})


def _shouting(text: str) -> bool:
    """Most of the title's long words in capitals (at least two): shouting, not acronyms."""
    long = re.findall(r"[A-Za-z]{4,}", text)
    caps = [w for w in long if w.isupper() and w not in _ACRONYMS]
    return len(caps) >= 2 and 2 * len(caps) >= len(long)


def dedup_key(title: str, company: str, city: str) -> tuple[str, str, str]:
    """(normalised clean title, company, city): two postings with the same key are one posting."""
    norm = re.sub(r"[^a-z0-9]+", " ", clean_title(title, company, city).lower()).strip()
    return norm, (company or "").strip().lower(), (city or "").strip().lower()
