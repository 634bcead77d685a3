"""Where a person asks for part-time or flexible hours ("a part-time job", "flexible hours", "something that fits
around my kids' school hours", "evenings and weekends", "a few hours a week", "while I'm in college", "a summer job").

Why: "I was a bank teller ... I need something that fits around my kids' school hours" and "I'm a student and I need
a part-time job with flexible hours" were not heard: the postings were the full-time ones of their work (one
part-time teller posting, third). A quarter of the job log's postings say they are part time or flexible, so the
wish is one the postings can answer (:meth:`retrieval.jobs.cold_service.ColdStart.rank` puts them first). The
occupation list does not change: the catalogue says nothing about which work is done part time.

Not a wish: the hours of work they do or did ("I worked part-time at Target", "I work part time as a cashier",
"part-time faculty for 6 years"), nor "I'm flexible about location". Phrase patterns like
:mod:`retrieval.understanding.remote`; measured on ``eval/data/hours_wishes.jsonl`` by ``waypoint eval hours``.
"""

from __future__ import annotations

import re

from retrieval.understanding.limits import merge_spans

# "part-time" is a wish only after a word of wanting in its clause: résumés name held jobs so ("Part-time File Clerk",
# "Delivery Driver (part-time)"), and 41 of the catalogue's 3,956 résumés and work histories read as asking for it
_PART_TIME = re.compile(r"\bpart[\s-]*time\b|\bp/t\b", re.I)
_WANTING = re.compile(
    r"\b(?:want|wants|wanting|need|needs|needing|looking|look|seek|seeking|prefer|like|love|interested|searching|"
    r"hoping|hope|open|find|get|go|going|switch|only|just|after)\b",
    re.I,
)
# a request with no verb: "a steady part-time job", "part time work please" (not "Part-time job at McDonald's")
_BARE_BEFORE = re.compile(r"^[\W_]*(?:(?:a|an|some|any|steady|stable|good|decent|nice|local)\s+)*$", re.I)
_BARE_AFTER = re.compile(
    r"^\s*(?:jobs?|work|positions?|roles?|gigs?|hours)\b(?!\s+(?:at|with|for|in|as|to|on|from)\b)", re.I
)


def _asked_bare(before: str, after: str) -> bool:
    return bool(_BARE_BEFORE.match(before) and _BARE_AFTER.match(after))


_PATTERNS = [
    re.compile(r"\bflexib(?:le|ility)\s+(?:hours|schedules?|scheduling|shifts?|times?|work\s+hours)\b", re.I),
    re.compile(r"\b(?:hours|schedule|job|work|something)\s+(?:that\s+|i\s+can\s+)?(?:are\s+|is\s+)?flexible\b", re.I),
    re.compile(
        r"\b(?:fits?|fitting|work|works|working)\s+(?:in\s+)?around\s+(?:my|the|our)\s+"
        r"(?:kids?|children|child|family|classes|studies|school|schedule|college|uni\w*|caring|care)\b"
        r"(?:'?s?\s+(?:school\s+)?(?:hours|schedules?|day))?",
        re.I,
    ),
    re.compile(r"\b(?:during|within)\s+(?:the\s+)?school\s+hours\b", re.I),
    re.compile(r"\b(?:evenings?|nights?)\s+(?:and|&|or)\s+weekends?\b|\bweekends?\s+only\b", re.I),
    re.compile(r"\b(?:a\s+)?few\s+hours\s+(?:a|per|each)\s+(?:week|day)\b", re.I),
    re.compile(
        r"\bwhile\s+(?:i\s+study|i'?m\s+(?:studying|in\s+(?:school|college)|at\s+(?:school|college|uni\w*)))\b", re.I
    ),
    re.compile(r"\b(?:summer|seasonal)\s+(?:jobs?|work)\b", re.I),
]
# the hours of the work they do or did: "I worked part-time at Target", "I work part time as a cashier"
_HELD = re.compile(
    r"\b(?:worked|work|working|been|was|am|i'?m|currently)\s+(?:\w+\s+)?part[\s-]*time\s+(?:as|at|for|in|since)\b|"
    r"\bpart[\s-]*time\s+(?:as|at)\s+(?:a|an|the)?\b|\bpart[\s-]*time\s+(?:faculty|instructor|lecturer)\b",
    re.I,
)
# said of the past in the same clause: "I worked part-time at Target while I was in college"
_CLAUSE_START = re.compile(r"[.;!?\n]|,\s*(?:now|but|and)\b|\b(?:now|but)\s+i\b", re.I)
_PAST = re.compile(r"\b(?:worked|was|were|did|used\s+to|had)\b", re.I)


def hours_wishes(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` where the person asks for part-time or flexible hours, in order, merged."""
    text = (text or "").replace("’", "'")  # same length, so the spans still hold
    held = [m.span() for m in _HELD.finditer(text)]
    spans = []
    for pattern in (_PART_TIME, *_PATTERNS):
        for m in pattern.finditer(text):
            clause = _CLAUSE_START.split(text[: m.start()])[-1]
            if any(a <= m.start() < b for a, b in held) or _PAST.search(clause):
                continue
            if pattern is _PART_TIME and not _WANTING.search(clause) and not _asked_bare(clause, text[m.end() :]):
                continue
            spans.append(m.span())
    return merge_spans(spans)
