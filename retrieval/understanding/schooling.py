"""Where a person rules out going back to school ("without going back to school for years", "no degree",
"can't afford college", "only a short course", "I'd rather learn on the job").

Why: a 55-year-old CNC operator who asked "what can I do without going back to school for years?" was
offered work that needs a bachelor's degree. How much schooling a move takes is O*NET's job zone (1: a
few days' training ... 4: a bachelor's degree, 5: graduate school); a person who rules schooling out is
shown work within the preparation they already have (:mod:`retrieval.understanding.recommend`).

Phrase patterns like :mod:`retrieval.understanding.limits`; they must tell "I don't want to go back to
school" from "I want to go back to school", "I went back to school at 40", "high school teacher",
"after-school program", "I have a degree" and "I don't mind studying". Each finding keeps its span, so the
UI can show the words it came from. Measured on ``eval/data/training_limits.jsonl`` by ``waypoint eval limits``.
"""

from __future__ import annotations

import re

from retrieval.understanding.limits import merge_spans

_NEG = (
    r"(?:don'?t|do\s+not|doesn'?t|won'?t|will\s+not|can'?t|cannot|couldn'?t|not|never|no\s+way\s+(?:i'?m|i\s+am)|"
    r"(?:i'?m|i\s+am)\s+not|rather\s+not|unable\s+to|can'?t\s+afford\s+to|no\s+time\s+to|too\s+old\s+to)"
)
_PATTERNS = [
    # "without going back to school", "without a degree", "without more schooling", "without starting a degree"
    re.compile(
        r"\bwithout\s+(?:(?:going|heading|getting)\s+back\s+to\s+|going\s+to\s+|starting\s+|doing\s+|getting\s+|"
        r"(?:a\s+lot\s+of|lots\s+of|more|years\s+of|much)\s+)?(?:(?:a|another)\s+)?"
        r"(?:school(?:ing)?|college|uni|university|degree|(?:\w+\s+)?degree|studying|study|retraining\s+for\s+years)\b",
        re.I,
    ),
    # "I don't want to go back to school", "not going back to uni", "can't go back to school", "don't want to
    # study for years", "don't want to go to university at my age"
    re.compile(
        rf"\b{_NEG}\s+(?:\w+\s+){{0,2}}?(?:(?:go(?:ing)?|head(?:ing)?|get(?:ting)?)\s+(?:back\s+)?to\s+"
        rf"(?:school|college|uni|university)|(?:study|studying)\s+for\s+(?:years|another|\d)|"
        rf"(?:do|spend|face)\s+(?:another\s+)?(?:\w+\s+)?years?\s+(?:of\s+|in\s+)?(?:school|college|study|studying)|"
        rf"start(?:ing)?\s+(?:a|another)\s+degree)\b",
        re.I,
    ),
    # "can't afford college", "can't afford nursing school", "can't afford 6 more years of school", "no time for a
    # degree", "don't have years to spend in school"
    re.compile(
        r"\b(?:can'?t|cannot|couldn'?t|could\s+never)\s+afford\s+(?:to\s+go\s+to\s+)?(?:\w+\s+)?"
        r"(?:school|college|uni|university|a\s+degree|tuition)\b|"
        r"\b(?:can'?t|cannot|couldn'?t|could\s+never)\s+afford\s+(?:to\s+(?:spend|do|go\s+through)\s+)?"
        r"(?:\w+\s+){0,2}?(?:years?|semesters?)\s+(?:more\s+)?(?:of|in|at)\s+(?:\w+\s+)?"
        r"(?:school(?:ing)?|college|uni|university|study|studying|training)\b|"
        r"\bno\s+time\s+for\s+(?:a\s+|more\s+)?(?:degree|school|college|uni|university|studying)\b|"
        r"\b(?:don'?t|do\s+not)\s+have\s+(?:the\s+)?(?:years|time|money)\s+(?:to\s+spend\s+)?(?:in|at|for|on)\s+"
        r"(?:school|college|uni|university|a\s+degree)\b",
        re.I,
    ),
    # "no degree", "no college degree", "don't have a degree", "never finished high school", "only a high
    # school diploma", "jobs that don't need a degree"
    re.compile(
        r"\bno\s+(?:college\s+|university\s+|uni\s+)?degree\b|"
        r"\b(?:don'?t|do\s+not|doesn'?t|never)\s+(?:have|got|had|need|require)\s+a\s+(?:college\s+|university\s+)?degree\b|"
        r"\bnever\s+finished\s+(?:high\s+)?school\b|\bdropped\s+out\s+of\s+(?:high\s+)?school\b|"
        r"\b(?:just|only)\s+(?:a|my)\s+high\s+school\s+(?:diploma|education)\b",
        re.I,
    ),
    # "school isn't for me", "college isn't an option"
    re.compile(
        r"\b(?:school|college|uni|university|studying)\s+(?:isn'?t|is\s+not|wasn'?t)\s+(?:for\s+me|an\s+option)\b",
        re.I,
    ),
    # "retrain quickly", "something I can retrain for quickly", "only needs a short course", "learn on the job"
    re.compile(
        r"\bretrain(?:ing)?\s+(?:for\s+)?(?:quickly|fast)\b|\b(?:retrain|train)\s+for\s+quickly\b|"
        r"\bcan\s+retrain\s+for\s+quickly\b|\b(?:only|just)\s+(?:needs?|requires?|takes?)\s+a\s+short\s+course\b|"
        r"\b(?:rather|prefer\s+to)\s+learn\s+on\s+the\s+job\b",
        re.I,
    ),
]


def training_limits(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` where the person rules out (long) schooling, in order, overlapping findings merged."""
    text = text.replace("’", "'")  # same length: the spans still hold
    spans: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            spans.append((m.start(), m.end()))
    return merge_spans(spans)
