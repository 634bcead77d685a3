"""Dates of birth: a date (or a birth year) right after a birth label.

Why only after a label: a bare date is career content ("May 2019 to June 2021", "since 2015") and
must stay. A date of birth is recognisable by what introduces it: ``DOB``, ``D.O.B.``, ``Date of
birth``, ``Birth date``, ``Birthday``, ``born on``, ``born in <year>``. The label stays (it says
nothing about the person), the date becomes ``[dob]``.
"""

from __future__ import annotations

import re

from app.privacy.spans import PiiSpan

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = (
    r"(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})"
    r"|" + _DAY + r"(?:\s+of)?[\s-]+" + _MONTH + r",?[\s-]+\d{4}"
    r"|" + _MONTH + r"\s+" + _DAY + r",?\s+\d{4}"
    r"|" + _MONTH + r",?\s+\d{4}"
    r"|(?:19|20)\d{2}"
    r"|" + _DAY + r"(?:\s+of)?[\s-]+" + _MONTH + r"(?![\w])"  # a birthday without the year
    r"|" + _MONTH + r"\s+" + _DAY + r"(?![\w]))"
)
_LABEL = (
    r"(?:d\.?\s?o\.?\s?b\.?|date\s+of\s+birth|birth\s*date|birthday|born(?:\s+(?:on|in))?|"
    r"geburtsdatum|date\s+de\s+naissance|fecha\s+de\s+nacimiento)"
)
DOB_RE = re.compile(
    r"\b" + _LABEL + r"(?![\w])\s*(?:[:=\-–]|\bis\b|\bon\b)?\s*(?P<date>" + _DATE + r")(?![\w])", re.IGNORECASE
)


def dob_spans(text: str) -> list[PiiSpan]:
    """Spans of the dates that follow a birth label."""
    return [PiiSpan(m.start("date"), m.end("date"), "dob") for m in DOB_RE.finditer(text)]
