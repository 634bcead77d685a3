"""A choice between two kinds of work the person asks the chat to weigh for them ("Should I go into accounting or data
analytics?", "Would I be better as a bank teller or a receptionist?", "Data analyst vs financial analyst, which fits
me better?", "I'm torn between nursing and teaching").

Why: each was answered as something else -- "accounting or data analytics" became one goal no occupation fits (the
list went by "math and like working with numbers": mathematicians, physicists), "Should I become a nurse or a
teacher?" a fit question about an occupation called "nurse or a teacher", and a cashier who asked about bank tellers
and receptionists was told their fit for cashiers. The chat now answers the question: both options, each with the
person's fit (or, before anything about them, what each takes), and which is the nearer move.

Only the wording is read here; whether each option names work is the catalogue's call
(:meth:`app.ui.chat.ChatUI._compare`), and a choice that names none ("Should I go back to school or keep working?")
goes the usual way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OPTION = r"[^,.?!;:()]{2,60}?"
_END = r"\s*(?:[?.!,;:]|$)"
_PATTERNS = [
    # "Would I be better as a bank teller or a receptionist?", "would I be happier in sales or in marketing"
    re.compile(
        r"\bwould\s+I\s+(?:be|do)\s+(?:better|happier|a\s+better\s+fit|best)\s+(?:as|at|in|doing)\s+"
        rf"(?P<a>{_OPTION})\s+or\s+(?:as\s+|at\s+|in\s+)?(?P<b>{_OPTION}){_END}",
        re.I,
    ),
    # "Should I go into accounting or data analytics?", "should I become a nurse or a teacher", "could I study X or Y"
    re.compile(
        r"\b(?:should|shall|could|would|do|can)\s+I\s+(?:rather\s+|maybe\s+)?(?:go\s+into|get\s+into|move\s+into|"
        r"switch\s+to|become|be|study|pick|choose|do|pursue|train\s+(?:as|for)|work\s+(?:as|in)|major\s+in|"
        rf"retrain\s+as|apply\s+(?:for|to))\s+(?P<a>{_OPTION})\s+or\s+(?P<b>{_OPTION}){_END}",
        re.I,
    ),
    # "Which is better for me: nursing or teaching?", "what suits me better, sales or marketing"
    re.compile(
        r"\b(?:which|what)(?:\s+one)?\s+(?:is|would\s+be|fits|suits)\s+(?:me\s+)?(?:better|best)(?:\s+for\s+me)?\s*"
        rf"[,:\-]?\s+(?P<a>{_OPTION})\s+or\s+(?P<b>{_OPTION}){_END}",
        re.I,
    ),
    # "Data analyst vs financial analyst", "nursing versus teaching"
    re.compile(rf"(?:^|[.!?]\s+|:\s*)(?P<a>{_OPTION})\s+(?:vs\.?|versus)\s+(?P<b>{_OPTION}){_END}", re.I),
    # "I'm torn between nursing and teaching", "deciding between a CNA and an LPN"
    re.compile(
        rf"\b(?:torn|deciding|choosing|undecided|stuck)\s+between\s+(?P<a>{_OPTION})\s+and\s+(?P<b>{_OPTION}){_END}",
        re.I,
    ),
    # "Accounting or data analytics, which is better for me?"
    re.compile(
        rf"(?:^|[.!?]\s+)(?P<a>{_OPTION})\s+or\s+(?P<b>{_OPTION})\s*[,?]?\s*which\s+(?:one\s+)?(?:is|would|fits|"
        r"suits|should)\b",
        re.I,
    ),
]
# what frames an option but names nothing: "a", "being a", "becoming an", "working as", "into", "a career in"
_LEAD = re.compile(
    r"^(?:(?:a|an|the)\s+)?(?:(?:being|becoming|working|work|going|getting|moving|a\s+career|career|job|jobs|"
    r"studying)\s+(?:as\s+|in\s+|into\s+|a\s+|an\s+)*)?(?:as\s+|in\s+|into\s+)?(?:(?:a|an|the)\s+)?",
    re.I,
)
_TRAIL = re.compile(r"\s+(?:instead|for\s+me|then|now|later|maybe|next|one\s+day)$", re.I)


@dataclass(frozen=True)
class Choice:
    """The two options as the person wrote them (framing words cut), and the span of the question in the message."""

    first: str
    second: str
    start: int
    end: int


def _option(text: str) -> str:
    text = _TRAIL.sub("", _LEAD.sub("", text.strip())).strip(" '\"“”")
    return text


def parse_choice(message: str) -> Choice | None:
    """The choice ``message`` asks about, or None. Two options that are the same, or empty once framing words are cut,
    are no choice."""
    text = message.replace("’", "'")
    for pattern in _PATTERNS:
        m = pattern.search(text)
        if m is None:
            continue
        first, second = _option(m.group("a")), _option(m.group("b"))
        if first and second and first.lower() != second.lower():
            return Choice(first, second, m.start(), m.end())
    return None
