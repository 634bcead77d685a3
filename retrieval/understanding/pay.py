"""Where a person says they want better pay ("I want to make more money", "something that pays better", "a
higher salary", "I'm underpaid", "can't make ends meet").

Why: a warehouse worker with a forklift licence who wrote "I want to make more money" was told "Your goal:
**money**", and the list put their own occupation and other entry-level work of the same kind beside forklift
operating. Better pay is one of the commonest reasons people look at all; it is a wish about the move, not a
field to move into. The catalogue holds no wage figures, so the lists use what does travel with pay: how much
preparation work needs (O*NET job zones; :meth:`retrieval.understanding.recommend.PersonalRanking.toward_better_pay`)
and say so.

Phrase patterns like :mod:`retrieval.understanding.remote`: they must tell the wish from "money management",
"anti-money laundering", "payroll", "pay attention", "I make good money but ...", "I don't need more money" and
"even if it pays less". Each finding keeps its span, so the UI can show the words it came from. Measured on
``eval/data/pay_wishes.jsonl`` by ``waypoint eval pay``.
"""

from __future__ import annotations

import re

from retrieval.understanding.limits import merge_spans

_MONEY = r"(?:money|cash|income|pay|salary|wages?|paychecks?|pay\s*checks?|earnings|dough|\$\$+)"
# "more money management", "more money laundering": the money is a subject there
_NOT_SUBJECT = r"(?!\s*(?:management|manager|laundering|handling|transfers?|markets?|grade|scales?|roll|rolls)\b)"
_PATTERNS = [
    # "more money", "better pay", "higher salary", "bigger paychecks", "a better wage"; not what a fundraiser raises
    re.compile(
        rf"(?<!raise\s)(?<!raised\s)(?<!raising\s)\b(?:more|better|higher|bigger|larger|increased?)\s+{_MONEY}\b{_NOT_SUBJECT}",
        re.I,
    ),
    # "earn more", "earning a lot more", "make more than $40k", "I need to make more."; not "make more friends"
    re.compile(
        r"\b(?:earn|earning|(?:make|making|bring\s+(?:in|home)|take\s+home)(?=\s+(?:a\s+lot\s+|a\s+bit\s+|way\s+|"
        r"much\s+|a\s+little\s+)?more\s*(?:[.,!?;)]|$|and\b|but\b|so\b|than\b|now\b|somewhere\b|elsewhere\b|"
        r"money\b|cash\b|income\b)))\s+(?:a\s+lot\s+|a\s+bit\s+|way\s+|much\s+|a\s+little\s+)?"
        r"(?:more(?:\s+than\s+\$?\d[\d,.]*\s*k?)?|twice\s+as\s+much|double)(?:\s+(?:money|cash|income))?",
        re.I,
    ),
    # "pays more", "pays better", "paid more", "get paid better"; "pays well" only of what they want ("a job that
    # pays well"), not of what they have ("my job pays well but ...")
    re.compile(r"\b(?:pays?|paid|paying)\s+(?:a\s+lot\s+|a\s+bit\s+|much\s+|way\s+)?(?:more|better)\b", re.I),
    re.compile(
        r"\b(?:that|which|where\s+i\s+(?:can\s+)?get)\s+(?:actually\s+|really\s+)?(?:pays?|paid)\s+(?:well|decently)\b",
        re.I,
    ),
    # "better-paying", "higher paying", "well-paid", "well paying"
    re.compile(r"\b(?:better|higher|high|well|best|top)[- ](?:paying|paid)\b", re.I),
    # "a raise", "a pay rise", "pay bump", "salary increase"
    re.compile(
        r"\b(?:(?:a|get\s+a|want\s+a|need\s+a)\s+raise|pay\s+(?:rise|raise|bump|increase)|(?:salary|wage|income)\s+"
        r"(?:increase|bump|jump|boost))\b",
        re.I,
    ),
    # "six figures", "a six-figure salary"
    re.compile(r"\b(?:six|6)[- ]figures?\b(?!\s+(?:profits?|revenues?|sales|budgets?|deals?|accounts?|grants?))", re.I),
    # "earn a decent living", "a real paycheck", "a livable wage"
    re.compile(
        r"\b(?:earn|make)\s+a\s+(?:decent|good|better|real|proper)\s+living\b|"
        r"\b(?:real|decent|proper|livable|liveable)\s+(?:paychecks?|salary|wages?|income)\b",
        re.I,
    ),
    # "the pay is terrible", "the money isn't enough to live on", "my salary is too low"
    re.compile(
        rf"\b{_MONEY}\s+(?:is|isn't|is\s+not|'s|are|aren't)\s+(?:not\s+|just\s+|so\s+|really\s+|way\s+)?"
        r"(?:enough|terrible|awful|low|too\s+low|bad|lousy|crap|poor|a\s+joke|peanuts)\b",
        re.I,
    ),
    # "I'm underpaid", "underpaid and overworked"
    re.compile(r"\bunder[- ]?paid\b", re.I),
    # "double my salary", "increase my income"
    re.compile(rf"\b(?:double|increase|raise|boost|grow)\s+my\s+{_MONEY}\b", re.I),
    # a wage asked for: "a job that pays at least $20 an hour", "I need to make $50k a year", "something paying over
    # $25/hr"; a rate (an hour, a year, "k") after a word of wanting or paying -- a résumé's "budgets of over $2M" and
    # "made $15 an hour" are not
    re.compile(
        r"\b(?:pays?|paying|make|earn|need|want|looking\s+for)\s+(?:to\s+(?:make|earn)\s+)?(?:at\s+least\s+|over\s+|"
        r"more\s+than\s+|around\s+|about\s+|a\s+minimum\s+of\s+)?\$\s?\d[\d,.]*\s*(?:k\b|(?:an?|per|/)\s*(?:hour|hr|year|yr)\b)"
        r"(?:\s+(?:a|per)\s+year)?",
        re.I,
    ),
]
# said with a negation and still a wish: "can't make ends meet", "barely making ends meet", "not a living wage"
_NEGATED_STILL = re.compile(r"\b(?:make|making|meet)\s+ends\s+meet\b|\bliving\s+wage\b", re.I)
# what turns the wish around: "I don't need more money", "not for the pay", "even if it pays less", "take a pay cut"
_NEGATED = re.compile(
    r"(?:\bnot|n't|\bnever|\bno\s+need\s+(?:for|to)|don'?t\s+care\s+(?:about|for)|isn'?t\s+about|less\s+about)\b"
    r"(?:(?!\bbut\b|\bthough\b)[^.!?;,]){0,20}$",
    re.I,
)


def pay_wishes(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` where the person says they want to be paid more, in order, merged; a wish said the
    other way round ("I don't need more money", "money isn't the point, I don't need a raise") is not one."""
    text = text.replace("’", "'")  # same length, so the spans still hold
    spans = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            start = max(0, m.start() - 40)
            before = text[start : m.start()]
            if _NEGATED.search(before):
                continue
            spans.append((m.start(), m.end()))
    spans += [(m.start(), m.end()) for m in _NEGATED_STILL.finditer(text)]
    return merge_spans(spans)
