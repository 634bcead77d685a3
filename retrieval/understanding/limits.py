"""Where a person says their body limits the work they can do ("my back is done", "can't lift patients
any more", "something less physical", "a desk job").

Why: a truck driver who writes "my back is done, what else could I do?" was offered other driving jobs.
What a person can no longer do physically is the first thing a career counsellor would take in, and it
changes the list more than any skill does.

These are phrase patterns, like :mod:`retrieval.understanding.cues`: they must tell "my back is done"
from "back-end developer", "back office", "back to school", "I treat back injuries" and "I hurt my
pride". Each finding keeps its span, so the UI can show the words it came from and the person can see
why the list changed. Measured on ``eval/data/physical_limits.jsonl`` by ``waypoint eval limits``.
"""

from __future__ import annotations

import re

# parts of the body whose wear ends physical work
_PART = r"(?:lower\s+|upper\s+)?(?:back|knees?|shoulders?|hips?|neck|wrists?|feet|foot|ankles?|hands?|joints?|spine|body|legs?)"
_HARM_ADJ = (
    r"(?:bad|injured|hurt|sore|broken|wrecked|bum|weak|busted|damaged|failing|worn[- ]out|aching|achy|"
    r"painful|dodgy|messed[- ]up|screwed[- ]up|blown|blown[- ]out|shot)"
)
_HARM_STATE = (
    r"(?:done|shot|gone|finished|killing\s+me|giving\s+(?:out|up)|gave\s+out|wrecked|worn(?:\s+out)?|ruined|"
    r"hurt(?:s|ing)?|ach(?:e|es|ing)|bad|broken|injured|failing|not\s+what\s+(?:it|they)\s+used\s+to\s+be|"
    r"can'?t\s+take|cannot\s+take|won'?t\s+(?:take|let\s+me)|can'?t\s+handle|not\s+(?:good|great)|"
    r"(?:is|are)\s+(?:done|gone|shot|bad|killing\s+me)|packing\s+up|packed\s+(?:up|in)|struggling)"
)
_BE = r"(?:\s+(?:is|are|was|were|has|have|had|'s|’s|'re|’re|just|really|totally|completely|been|getting|starting\s+to|already|now|finally|pretty\s+much))*"

# "my back surgery", "a back injury", "career-ending knee injury", "herniated disc", "arthritis"
_CONDITION = re.compile(
    rf"\b(?:(?:my|a|an|with\s+a|after\s+(?:a|an|my)|since\s+my|career[- ]ending)\s+(?:\w+\s+)?{_PART}\s+"
    rf"(?:injur(?:y|ies)|surgery|surgeries|operation|problems?|issues?|pain|condition)|"
    rf"career[- ]ending\s+(?:\w+\s+){{0,2}}injur(?:y|ies)|"
    rf"(?:herniated|slipped|bulging|ruptured)\s+discs?|sciatica|arthritis|chronic\s+(?:\w+\s+)?pain|"
    rf"{_PART}\s+(?:injury|surgery|pain|problems))\b",
    re.I,
)

_PATTERNS = [
    # "bad back", "injured shoulder", "worn-out knees"
    re.compile(rf"\b{_HARM_ADJ}\s+{_PART}\b", re.I),
    # "my back is done", "my feet and back are shot", "my knees can't take it anymore"
    re.compile(rf"\bmy\s+{_PART}(?:\s+(?:and|&)\s+(?:my\s+)?{_PART})?{_BE}\s+{_HARM_STATE}", re.I),
    # "hurt my back lifting", "threw out my back", "blew out my knee"
    re.compile(
        rf"\b(?:hurt|injured|injure|wrecked|broke|threw\s+out|blew\s+out|tore|damaged|pulled|ruined|messed\s+up)"
        rf"\s+my\s+{_PART}\b",
        re.I,
    ),
    _CONDITION,
    # "can't lift heavy things", "can no longer lift patients", "no more heavy lifting", "can't stand for long"
    re.compile(
        r"\b(?:can'?t|cannot|can\s+no\s+longer|no\s+longer\s+able\s+to|unable\s+to|not\s+able\s+to|"
        r"shouldn'?t|must\s+not|mustn'?t|not\s+allowed\s+to|no\s+more|not|without)\s+"
        r"(?:\w+\s+){0,2}(?:heavy\s+)?(?:lift(?:ing)?|carry(?:ing)?|stand(?:ing)?\s+(?:for\s+long|all\s+day|"
        r"for\s+hours|long)|kneel(?:ing)?|bend(?:ing)?|climb(?:ing)?|manual\s+labou?r|physical\s+(?:work|labou?r))\b",
        re.I,
    ),
    # "can't do 12-hour shifts on my feet any more", "tired of being on my feet"
    re.compile(
        r"\b(?:can'?t|cannot|can\s+no\s+longer|tired\s+of|sick\s+of|done\s+with|no\s+more)\b[^.;!?]{0,40}?"
        r"\bon\s+my\s+feet\b",
        re.I,
    ),
    # "something less physical", "work that isn't so hard on the body", "easier on my body"
    re.compile(
        r"\b(?:less|not\s+as|not\s+so|isn'?t\s+(?:as|so)|aren'?t\s+(?:as|so)|no(?:t|n)[- ]?)\s*"
        r"(?:physical(?:ly\s+(?:demanding|hard|taxing))?|strenuous|manual|hard\s+on\s+(?:my|the|your)\s+body)\b|"
        r"\b(?:easier|gentler|kinder)\s+on\s+(?:my|the)\s+(?:body|back|knees|joints|feet)\b",
        re.I,
    ),
    # in a wheelchair
    re.compile(r"\b(?:I\s+use|I'?m\s+in|I\s+am\s+in|I'?ve\s+been\s+in|I\s+have\s+been\s+in)\s+a\s+wheelchair\b", re.I),
]
# a wish for seated work: "looking for a desk job", "want office work", "a job I can do sitting down"; only
# after words of wanting, since a résumé's "performed general office work" says where they worked
_SEATED = re.compile(
    r"\b(?:desk|office|sit[- ]down|seated)\s+(?:job|jobs|work|role|position)s?\b|"
    r"\b(?:at|from|behind)\s+a\s+desk\b|\bsit(?:ting)?\s+down\b",
    re.I,
)
_WANTING = re.compile(
    r"\b(?:want|wants|wanting|looking|look|need|needs|prefer|hoping|hope|something|find|move|switch|"
    r"transition|like|rather|job|jobs|role|career|can\s+i|could\s+i)\b[^.;!?]{0,30}$",
    re.I,
)

# the same words about other people, or a past that is over: "I treat back injuries", "patients with
# arthritis", "people with disabilities", "I study back pain"
_ABOUT_OTHERS = re.compile(
    r"\b(?:treat(?:s|ed|ing)?|rehab(?:ilitate)?|prevent(?:s|ing)?|patients?|clients?|people|customers|"
    r"residents|athletes|specialis(?:e|es|ing)|specializ(?:e|es|ing)|study|studies|research(?:ing)?|diagnos\w*)"
    r"\b[^.;!?]{0,30}$",
    re.I,
)
# a condition named as a subject of work: "Back Injury Prevention" training, "chronic pain management workshops"
_AS_TOPIC = re.compile(
    r"\s*(?:prevention|management|programs?|workshops?|training|clinics?|patients|awareness|research|care|"
    r"education|specialists?|relief)\b",
    re.I,
)
# "office" and "desk" as a place they work now, not a wish: "I work in the back office", "help desk"
_PLACE_NOW = re.compile(r"\b(?:help|front|service|reception|the\s+back)\s*$", re.I)


def physical_limits(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` where the person says their body limits their work (or wishes for seated work),
    in order, overlapping findings merged."""
    text = text.replace("’", "'")  # "can’t" typed on a phone; same length, so the spans still hold
    spans: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            before = text[max(0, m.start() - 40) : m.start()]
            if _ABOUT_OTHERS.search(before) and not re.search(r"\b(?:my|I've|I\s+have|I\s+had)\b", m.group(), re.I):
                continue
            if pattern is _CONDITION and _AS_TOPIC.match(text, m.end()):
                continue
            spans.append((m.start(), m.end()))
    for m in _SEATED.finditer(text):
        before = text[max(0, m.start() - 40) : m.start()]
        if _WANTING.search(before) and not _PLACE_NOW.search(before):
            spans.append((m.start(), m.end()))
    return merge_spans(spans)


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` in order, overlapping ones merged: one finding per stretch of the text."""
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


_STANDING = re.compile(r"\b(?:stand(?:ing)?|feet|foot)\b", re.I)


def about_standing(words: str) -> bool:
    """Whether a limit's words are about standing ("can't stand for long", "my feet are killing me"): work the
    occupation demand score cannot see (task statements do not say how long a cashier stands)."""
    return bool(_STANDING.search(words))
