"""Where a person says they want to work from home ("want something remote", "a work-from-home job", "WFH",
"telecommute", "jobs I can do from home").

Why: a burned-out med-surg nurse who wrote "want something remote" got bedside nursing again; the wish was not
read at all. It changes the list as much as a physical limit does: the lists keep to work that can often be
done from home (:mod:`retrieval.occupations.remote`) and postings that say they are remote come first.

Phrase patterns like :mod:`retrieval.understanding.limits`: they must tell the wish from "remote sensing",
"remote patient monitoring", "remote access", "a remote village", "the site is remote" and "I drive an hour
from home". Each finding keeps its span, so the UI can show the words it came from.
"""

from __future__ import annotations

import re

from retrieval.understanding.limits import merge_spans

_JOB = r"(?:jobs?|work|roles?|positions?|careers?|opportunit(?:y|ies)|options?|gigs?|employment)"
_PATTERNS = [
    # "remote work", "a fully remote role", "remote-first jobs", "remote or hybrid work"
    re.compile(rf"\b(?:fully\s+|100%\s+|mostly\s+|partly\s+)?remote(?:[- ]first)?\s+(?:or\s+hybrid\s+)?{_JOB}\b", re.I),
    # "work remotely", "working remotely"
    re.compile(r"\bwork(?:s|ed|ing)?\s+(?:\w+\s+)?remotely\b", re.I),
    # "something remote", "go remote", "a job that's remote", "anything fully remote"
    re.compile(
        rf"\b(?:something|anything|go|going|went|stay|staying|{_JOB}\s+(?:that\s+(?:is|are)|that'?s|which\s+is))"
        r"\s+(?:\w+\s+)?remote\b(?!\s+(?:area|areas|location|locations|village|villages|community|communities|"
        r"site|sites|region|regions|island|islands|part|parts|place|places|town|towns))",
        re.I,
    ),
    # "work from home", "working at home", "a work-from-home job", "WFH"
    re.compile(r"\bwork(?:s|ing)?[- ](?:from|at)[- ]home\b|\bWFH\b", re.I),
    # "telecommute", "teleworking"
    re.compile(r"\btele(?:commut|work)\w*", re.I),
    # "a home-based job", "home based work"
    re.compile(rf"\bhome[- ]based\s+{_JOB}\b", re.I),
    # "a job I can do from home", "something I could do from home"
    re.compile(
        rf"\b(?:{_JOB}|something|anything)\s+(?:\w+\s+){{0,4}}?(?:do|done|work)\s+(?:\w+\s+)?from\s+(?:my\s+)?home\b",
        re.I,
    ),
]


def remote_wishes(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` where the person says they want (or have) work done from home, in order, merged."""
    text = text.replace("’", "'")  # same length, so the spans still hold
    return merge_spans([(m.start(), m.end()) for pattern in _PATTERNS for m in pattern.finditer(text)])
