"""Where a person says they want work away from a desk and a screen ("I can't sit at a desk all day", "a job with
less screen time", "not stuck behind a desk", "something where I'm on my feet").

Why: a receptionist who wrote "I have ADHD and can't sit at a desk all day" was listed medical secretaries, office
clerks and customer service representatives, and a burned-out software engineer who wanted "less screen time" was
listed IT managers and data scientists: the wish was not read. (Until now "not stuck behind a desk" and "not in an
office all day" were read as a wish to work outdoors, which left out the indoor work on one's feet that such a person
is usually after: a medical assistant, a technician, a teacher.) The lists then keep to work done in person, away
from a desk (:func:`retrieval.occupations.remote.away_from_desk`); work done outdoors counts.

Phrase patterns like :mod:`retrieval.understanding.outdoor`; they must tell the wish from "I sat at a desk for 20
years", "a desk job" asked for (a physical limit, :mod:`retrieval.understanding.limits`), "screen printing", "front
desk", "help desk" and "I'm on my feet all day and my back hurts" (what they want out of is the standing).
Measured on ``eval/data/desk_wishes.jsonl`` by ``waypoint eval desk``.
"""

from __future__ import annotations

import re

from retrieval.understanding.limits import merge_spans

_NOT = (
    r"(?:can'?t|cannot|can\s+not|couldn'?t|don'?t\s+want\s+to|do\s+not\s+want\s+to|never\s+want\s+to|"
    r"won'?t|hate|hate\s+to|tired\s+of|sick\s+of|done\s+with|not|no\s+longer|no\s+more)"
)
_AT_DESK = (
    r"(?:at|behind|in\s+front\s+of|on)\s+(?:a|the|my)\s+(?:desk|computer|screen|monitor|laptop|pc)s?"
    r"|in\s+an?\s+office|indoors\s+at\s+a\s+desk|inside\s+all\s+day"
)
_PATTERNS = [
    # "can't sit at a desk all day", "don't want to be stuck behind a desk", "tired of staring at a screen",
    # "not in an office all day", "no more sitting in front of a computer"
    re.compile(
        rf"\b{_NOT}\s+(?:to\s+)?(?:be\s+|being\s+)?(?:stuck\s+|chained\s+|glued\s+)?"
        rf"(?:(?:sit|sitting|stare|staring|look|looking|work|working|spend|spending)\s+(?:all\s+day\s+)?)?"
        rf"(?:{_AT_DESK})(?:\s+all\s+day(?:\s+long)?|\s+(?:8|eight|ten|10)\s+hours\s+a\s+day)?",
        re.I,
    ),
    # "less screen time", "less time on the computer", "fewer hours in front of a screen"
    re.compile(
        r"\b(?:less|fewer|reduce\s+my|cut\s+down\s+on|limit\s+my)\s+(?:screen\s+time|time\s+(?:on|at|in\s+front\s+of)\s+"
        r"(?:a|the)\s+(?:computer|screen|desk)s?|hours\s+(?:on|at|in\s+front\s+of)\s+(?:a|the)\s+(?:computer|screen|"
        r"desk)s?|computer\s+(?:time|work))",
        re.I,
    ),
    # "away from a screen", "off the computer", "away from my desk"
    re.compile(r"\b(?:away\s+from|off)\s+(?:a|the|my)\s+(?:desk|computer|screen|laptop)s?\b", re.I),
    # "not a desk job", "no desk jobs", "I hate my desk job", "anything but a desk job", "a non-desk job"
    re.compile(
        r"\b(?:not|no|hate\s+(?:my|a)|anything\s+but|other\s+than|out\s+of\s+(?:my|a)|leave\s+(?:my|a)|"
        r"escape\s+(?:my|a)|(?:tired|sick)\s+of(?:\s+(?:my|a))?|done\s+with(?:\s+(?:my|a))?)\s+(?:\w+\s+)?desk[- ]"
        r"(?:jobs?|work|bound)\b"
        r"|\bnon[- ]desk\s+(?:jobs?|work)\b|\bnot\s+(?:be\s+)?desk[- ]bound\b",
        re.I,
    ),
    # "a job where I'm on my feet", "want to move around", "something active", "a more active job"; wanted, not said
    # of the work they have ("I'm a nurse and I'm on my feet 12 hours a shift", "our office is moving around the corner")
    re.compile(
        r"\b(?:want\s+to\s+be|like\s+to\s+be|where\s+I'?m|where\s+I\s+am|where\s+I\s+can\s+be|keeps?\s+me|stay|"
        r"staying)\s+(?:\w+\s+)?on\s+my\s+feet\b"
        r"|\b(?:want|like|need|love|able|where\s+I\s+(?:can|get\s+to))\s+(?:to\s+)?(?:get\s+up\s+and\s+)?move\s+around\b"
        r"|\bwhere\s+I\s+move\s+around\b"
        r"|\b(?:something|job|work|role|career)\s+(?:that'?s\s+|that\s+is\s+)?(?:more\s+)?(?:physically\s+)?active\b"
        # "a more active job", "an active job"; not a résumé's "takes an active role in ..."
        r"|\bmore\s+active\s+(?:job|work|role|career)\b|\ban\s+active\s+(?:job|career)\b",
        re.I,
    ),
    # "I hate sitting all day", "can't sit still for 8 hours"
    re.compile(
        rf"\b{_NOT}\s+(?:to\s+)?(?:sit|sitting)\s+(?:down\s+|still\s+)?(?:all\s+day|for\s+(?:8|eight|ten|10)\s+hours)",
        re.I,
    ),
]
# a wish that is the past or what hurts: "I've been on my feet for 12 hours and my back hurts", "I sat at a desk"
_PAST = re.compile(r"\b(?:was|were|used\s+to|been|all\s+day\s+and|12\s+hours)\s+(?:\w+\s+)?$", re.I)
# "on my feet all day and my feet hurt": the standing is what they want out of
_HURTS_AFTER = re.compile(r"^\s*(?:all\s+day\s+)?(?:and|but)\s+(?:my|it)\s+\w+\s+(?:hurt|ache|kill|is|are)", re.I)


def desk_wishes(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` where the person says they want work away from a desk and a screen, in order, merged."""
    text = text.replace("’", "'")  # same length, so the spans still hold
    spans = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            before = text[max(0, m.start() - 25) : m.start()]
            if _PAST.search(before) or _HURTS_AFTER.match(text[m.end() : m.end() + 40]):
                continue
            spans.append((m.start(), m.end()))
    return merge_spans(spans)
