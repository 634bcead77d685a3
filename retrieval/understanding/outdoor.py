"""Where a person says they want to work outdoors ("I want to work outdoors", "a job outside", "not stuck indoors",
"something outdoorsy").

Why: an office manager who wrote "I want to work outdoors" got housekeeping supervisors and general managers; the
wish was not read. It changes the list as a remote wish does: the lists keep to work done outdoors
(:mod:`retrieval.occupations.outdoor`). Phrase patterns like :mod:`retrieval.understanding.remote`; they must tell the
wish from "outside sales", "outside the US", "outside of work", "outdoor furniture" and "I worked outdoors for 20
years and my knees are done". Measured on ``eval/data/outdoor_wishes.jsonl`` by ``waypoint eval outdoor``.
"""

from __future__ import annotations

import re

from retrieval.understanding.limits import merge_spans

_JOB = r"(?:jobs?|work|roles?|positions?|careers?|something|anything|options?)"
# "outside" followed by what it is outside of: "outside the US", "outside of work", "outside sales", "outside hours"
_NOT_AFTER = (
    r"(?!\s+(?:the|of|my|our|your|their|a|an|this|that|sales|hours|business|normal|usual|office|work|school)\b)"
)
_PATTERNS = [
    # "work outdoors", "working outside", "be outside more", "spend my days outdoors", "get outside"
    re.compile(
        r"\b(?:work|working|be|being|spend\s+(?:my|the)\s+(?:days?|time)|get)\s+(?:\w+\s+)?(?:outdoors|outside)"
        + _NOT_AFTER,
        re.I,
    ),
    # "an outdoor job", "outdoor work", "something outdoorsy", "a job outside"
    re.compile(
        rf"\boutdoor(?:sy)?\s+{_JOB}\b|\b{_JOB}\s+(?:that'?s\s+|that\s+is\s+)?(?:outdoors(?:y)?|outside{_NOT_AFTER})",
        re.I,
    ),
    # "not stuck indoors"; a desk or an office left ("not stuck behind a desk", "not in an office all day") is a wish
    # for work away from a desk, indoors or out (:mod:`retrieval.understanding.desk`)
    re.compile(r"(?:\bnot|n't\s+want\s+to|\bnever\s+want\s+to)\s+(?:be\s+)?(?:stuck\s+)?indoors", re.I),
    # "in nature", "out in nature", "with nature"
    re.compile(r"\b(?:in|with|around)\s+nature\b", re.I),
]
# a wish that is the past or the reason to leave: "I worked outdoors for 20 years", "years of working outside"
_PAST = re.compile(r"\b(?:worked|years\s+of|been\s+working|used\s+to\s+work)\s+(?:\w+\s+)?$", re.I)


def outdoor_wishes(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` where the person says they want to work outdoors, in order, merged."""
    text = text.replace("’", "'")  # same length, so the spans still hold
    spans = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if _PAST.search(text[max(0, m.start() - 25) : m.start() + len(m.group(0).split()[0])]):
                continue
            spans.append((m.start(), m.end()))
    return merge_spans(spans)
