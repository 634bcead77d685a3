"""Whether a mention in a person's text is something they hold, or something they lack or want.

Why here and not only in the profile understanding: every caller that asks "which skills does this
text show" (the skill gap, the chat, the graph built from postings, the understanding layer) must
not record "I don't know SQL yet", "want to learn Python" or "no prior knowledge of Excel needed"
as held skills. The rule is deliberately plain, and precise rather than complete: a negation or
wish word governs the rest of its clause, and clauses end at sentence punctuation, a semicolon,
a contrast ("but", "however", "although") or a comma that starts a new subject (", I ...").
"""

from __future__ import annotations

import bisect
import re

#: Phrases after which, up to the end of the clause, a mention is not held.
_GOVERNORS = [
    # negations
    r"(?:do not|don'?t|doesn'?t|does not|did not|didn'?t|can'?t|cannot|can not) (?:yet )?(?:really )?"
    r"(?:know|have|use|speak|understand|do)",
    r"(?:have|has) (?:not|never) (?:used|worked with|learned|learnt|done|had|touched|tried)",
    r"(?:haven'?t|hasn'?t) (?:yet |ever )?(?:used|worked with|learned|learnt|done|had|got|touched|tried)",
    r"never (?:used|worked with|learned|learnt|done|had|touched|tried)",
    r"(?:no|little|zero|limited) (?:prior |previous |real |formal )?(?:experience|knowledge|background|exposure|training)"
    r"(?: (?:with|in|of|using))?",
    r"not (?:familiar|experienced|comfortable|confident|proficient|certified|trained|qualified|licen[cs]ed)"
    r"(?: (?:with|in|at|on))?",
    r"unfamiliar with",
    r"lack(?:s|ing)? (?:of )?",
    r"without",
    # wishes and goals
    r"(?:want|wants|wanted|wanting|would like|i'?d like|would love|i'?d love|hope|hoping|hopes|plan|plans|planning|aim|aiming|"
    r"aspire|aspiring|intend|intending|keen|eager|looking|wish|wishing|dream|dreaming|going) to",
    r"(?:interested|interest) in",
    r"thinking (?:about|of)",
    r"(?:get|getting|move|moving|switch|switching|"
    r"transition|transitioning|break|breaking|pivot|pivoting) into",
    # "I'm learning Go" -- but not "machine learning and Python"
    r"(?:i'?m|am|are|currently|been|now|still|also|started|starting|began|begun) (?:learning|studying)",
    r"(?:starting|beginning|trying) to learn",
    r"(?:one day|someday|in the future)",
]
_GOVERNOR = re.compile(
    r"(?:(?<![\w'])(?:" + "|".join(_GOVERNORS) + r")|[,:;(]\s*(?:learning|studying))(?![\w'])", re.IGNORECASE
)  # the last: "SQL every day, learning R at the moment"
#: A negation word just before a mention ("but not JavaScript", "no Python").
_NEAR_NEGATION = re.compile(r"(?<![\w'])(?:not|no|nor|never)\s+(?:yet\s+|even\s+|really\s+|much\s+)?$", re.IGNORECASE)
_CLAUSE_END = re.compile(
    r"[.!?;\n]|\s[-–—]\s|\b(?:but|however|although|though|whereas|while|yet I|except)\b|,\s*(?:and\s+|so\s+)?(?:I|I'm|I've|I'd|"
    r"we|she|he|they|my)\b",
    re.IGNORECASE,
)


def clause_bounds(text: str, pos: int) -> tuple[int, int]:
    """The clause of ``text`` around character ``pos``."""
    return Clauses(text).around(pos)


class Clauses:
    """The clauses of one text, found once, for many mentions (a résumé has hundreds)."""

    def __init__(self, text: str):
        self.text = text
        self._ends = [(m.start(), m.end()) for m in _CLAUSE_END.finditer(text)]
        self._starts = [s for s, _e in self._ends]

    def around(self, pos: int) -> tuple[int, int]:
        k = bisect.bisect_left(self._starts, pos)  # clause breaks before pos: [0, k)
        start = self._ends[k - 1][1] if k else 0
        while k < len(self._ends) and self._ends[k][0] < pos:  # a break that starts before pos but ends after it
            k += 1
        end = self._ends[k][0] if k < len(self._ends) else len(self.text)
        return start, end

    def not_held(self, start: int, end: int) -> bool:
        """The mention ``text[start:end]`` is negated or wished for, not held."""
        text = self.text
        if _NEAR_NEGATION.search(text[max(0, start - 20) : start]):
            return True
        lo, _hi = self.around(start)
        return any(m.end() <= start for m in _GOVERNOR.finditer(text, lo, start))

    def held_parts(self, start: int, end: int) -> list[tuple[int, int]]:
        """The pieces of ``text[start:end]`` no negation or wish governs, in order. A mention's own test
        (:meth:`not_held`) looks left of it; a sentence embedded whole holds the governor inside it: "I want to
        become a project manager" matched "perform project management" by meaning, and the explanation then
        told the person they "already show" it."""
        governed = []
        for m in _GOVERNOR.finditer(self.text, self.around(start)[0], end):
            clause_end = self.around(m.start())[1]
            if clause_end > start:
                governed.append((max(start, m.start()), min(end, clause_end)))
        parts, pos = [], start
        for lo, hi in governed:
            if lo > pos:
                parts.append((pos, lo))
            pos = max(pos, hi)
        if pos < end:
            parts.append((pos, end))
        return parts


def not_held(text: str, start: int, end: int) -> bool:
    """The mention ``text[start:end]`` is negated or wished for, not held."""
    return Clauses(text).not_held(start, end)
