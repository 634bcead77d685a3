"""What a person says they are good at ("I'm really good with numbers", "good with people", "a strong writer", "a
people person"), as the O*NET skills and knowledge it names.

Why: a receptionist who wrote "I'm really good with numbers" got the same list as one who said nothing -- medical
secretaries, office clerks, switchboard operators -- and no skill was picked up; nor from "good with computers",
"great at organizing things" or "a strong writer". People describe their strengths in these words far more often
than in a taxonomy's. Each strength names O*NET elements (the catalogue's rated skills and knowledge), so it is
held as a stated skill (the explanations say "you said ...") and moves work that rates it higher up the list
(:meth:`retrieval.understanding.recommend.PersonalRanking.toward_strengths`).

Phrase patterns like :mod:`retrieval.understanding.pay`, with a small lexicon of what people say they are good at;
"not good with numbers", "bad at math" and "good with kids" (an interest, read by the goal cues) name none. Measured
on ``eval/data/strengths.jsonl`` by ``waypoint eval strengths``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: what a person says they are good at -> the O*NET elements it names (rated skills 2.A/2.B, knowledge 2.C)
LEXICON: dict[str, tuple[str, ...]] = {
    r"numbers|figures|math|maths|mathematics|calculations|arithmetic": ("onet:2.A.1.e", "onet:2.C.4.a"),
    r"money|budgets?|budgeting|finances?|accounting|bookkeeping": ("onet:2.B.5.b", "onet:2.C.1.c"),
    r"people|others": ("onet:2.B.1.a", "onet:2.B.1.f"),
    r"customers|clients|the\s+public": ("onet:2.C.1.e", "onet:2.B.1.f"),
    r"computers?|technology|tech|software|spreadsheets|excel": ("onet:2.C.3.a",),
    r"writing|words": ("onet:2.A.1.c",),
    r"talking|speaking|public\s+speaking|presenting|presentations|communicating|communication": ("onet:2.A.1.d",),
    r"listening": ("onet:2.A.1.b",),
    r"organi[sz]ing(?:\s+things)?|organi[sz]ation|planning|scheduling|keeping\s+things\s+organi[sz]ed": (
        "onet:2.B.5.a",
        "onet:2.C.1.b",
    ),
    r"selling|sales|persuading\s+people|persuasion|convincing\s+people": ("onet:2.B.1.c", "onet:2.C.1.d"),
    r"fixing\s+(?:things|stuff|cars|machines)|repairs?|repairing\s+things|machines|tools|mechanics": (
        "onet:2.B.3.l",
        "onet:2.C.3.e",
    ),
    r"teaching|explaining\s+things|training\s+people": ("onet:2.B.1.e", "onet:2.C.6"),
    r"leading|leadership|managing\s+people|running\s+a\s+team|motivating\s+people": ("onet:2.B.5.d", "onet:2.C.1.a"),
    r"solving\s+problems|problem[- ]solving|puzzles|troubleshooting": ("onet:2.B.2.i",),
    r"drawing|design|designing": ("onet:2.C.3.c",),
    r"languages|foreign\s+languages": ("onet:2.C.7.b",),
    r"science": ("onet:2.A.1.f",),
}
#: "a strong writer", "a natural leader", "a people person"
NOUNS: dict[str, tuple[str, ...]] = {
    r"writer": ("onet:2.A.1.c",),
    r"communicator|speaker|presenter": ("onet:2.A.1.d",),
    r"listener": ("onet:2.A.1.b",),
    r"leader|manager": ("onet:2.B.5.d", "onet:2.C.1.a"),
    r"problem[- ]solver": ("onet:2.B.2.i",),
    r"salesperson|salesman|saleswoman|seller|closer": ("onet:2.B.1.c", "onet:2.C.1.d"),
    r"teacher|trainer": ("onet:2.B.1.e", "onet:2.C.6"),
    r"organi[sz]er|planner": ("onet:2.B.5.a", "onet:2.C.1.b"),
    r"people\s+person": ("onet:2.B.1.a", "onet:2.B.1.f"),
}
#: the catalogue's labels of the elements above (O*NET's own)
LABELS = {
    "onet:2.A.1.a": "Reading Comprehension",
    "onet:2.A.1.b": "Active Listening",
    "onet:2.A.1.c": "Writing",
    "onet:2.A.1.d": "Speaking",
    "onet:2.A.1.e": "Mathematics",
    "onet:2.A.1.f": "Science",
    "onet:2.B.1.a": "Social Perceptiveness",
    "onet:2.B.1.c": "Persuasion",
    "onet:2.B.1.e": "Instructing",
    "onet:2.B.1.f": "Service Orientation",
    "onet:2.B.2.i": "Complex Problem Solving",
    "onet:2.B.3.l": "Repairing",
    "onet:2.B.5.a": "Time Management",
    "onet:2.B.5.b": "Management of Financial Resources",
    "onet:2.B.5.d": "Management of Personnel Resources",
    "onet:2.C.1.a": "Administration and Management",
    "onet:2.C.1.b": "Administrative",
    "onet:2.C.1.c": "Economics and Accounting",
    "onet:2.C.1.d": "Sales and Marketing",
    "onet:2.C.1.e": "Customer and Personal Service",
    "onet:2.C.3.a": "Computers and Electronics",
    "onet:2.C.3.c": "Design",
    "onet:2.C.3.e": "Mechanical",
    "onet:2.C.4.a": "Mathematics",
    "onet:2.C.6": "Education and Training",
    "onet:2.C.7.b": "Foreign Language",
}
_DEGREE = r"(?:really\s+|very\s+|pretty\s+|quite\s+|super\s+|so\s+|extremely\s+|also\s+|always\s+been\s+)?"
_PRAISE = r"good|great|strong|skilled|talented|excellent|gifted|amazing|solid|brilliant"
_GOOD = rf"(?:{_PRAISE})"
_AT = re.compile(
    rf"\b(?:i'?m|i\s+am|am|i've\s+always\s+been|always\s+been|i\s+was\s+always|i\s+was|been){{0,1}}\s*{_DEGREE}{_GOOD}\s+"
    rf"(?:at|with|in)\s+(?:(?:handling|dealing\s+with|working\s+with|all\s+things|anything\s+to\s+do\s+with)\s+)?"
    rf"(?P<what>{'|'.join(f'(?:{k})' for k in LEXICON)})\b",
    re.I,
)
_A_NOUN = re.compile(
    rf"\b(?:i'?m|i\s+am|i've\s+always\s+been|and)\s+(?:a\s+|an\s+)?{_DEGREE}(?:(?:good|great|strong|natural|gifted|born|"
    rf"excellent|real)\s+)?(?P<noun>{'|'.join(f'(?:{k})' for k in NOUNS)})\b",
    re.I,
)
# "I want to be good at math", "I wish I was better with computers": a wish, not a strength
_WISH = re.compile(
    r"\b(?:want|wish|hope|need|would\s+like|'d\s+like|trying|learn(?:ing)?\s+how)\s+(?:i\s+was\s+|to\s+)?(?:be\s+|get\s+|become\s+)?"
    r"(?:\w+\s+)?$",
    re.I,
)
# "not good with numbers", "never been good at math", "I'm no good with computers"
_NEGATED = re.compile(r"(?:\bnot|n't|\bnever|\bno)\s+(?:\w+\s+){0,2}$", re.I)


@dataclass(frozen=True)
class Strength:
    """One strength said: where (``start``, ``end``) and the O*NET elements it names, first the main one."""

    start: int
    end: int
    skill_ids: tuple[str, ...]


def _elements(table: dict[str, tuple[str, ...]], words: str) -> tuple[str, ...]:
    return next((ids for pattern, ids in table.items() if re.fullmatch(pattern, words, re.I)), ())


def strengths(text: str) -> list[Strength]:
    """The strengths ``text`` states, in order. A noun ("a strong writer") counts only with a word of praise before it
    or as "a people person": "I'm a writer" is an occupation."""
    text = text.replace("’", "'")  # same length, so the spans still hold
    found: list[Strength] = []
    for m in _AT.finditer(text):
        start = m.start() + len(m.group(0)) - len(m.group(0).lstrip())
        before = text[max(0, start - 30) : start]
        if (
            _NEGATED.search(before[-20:])
            or _WISH.search(before)
            or re.search(r"\b(?:no|not)\s+" + _GOOD, m.group(0), re.I)
        ):
            continue
        ids = _elements(LEXICON, re.sub(r"\s+", " ", m.group("what")))
        if ids:
            found.append(Strength(start, m.end(), ids))
    for m in _A_NOUN.finditer(text):
        noun = re.sub(r"\s+", " ", m.group("noun"))
        praised = re.search(rf"\b(?:{_PRAISE}|natural|born|real)\b", m.group(0), re.I)
        if not praised and not re.fullmatch(r"people person", noun, re.I):
            continue
        ids = _elements(NOUNS, noun)
        if ids and not _NEGATED.search(text[max(0, m.start() - 20) : m.start()]):
            found.append(Strength(m.start(), m.end(), ids))
    found.sort(key=lambda s: s.start)
    return found
