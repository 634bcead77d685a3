"""A grammar check of generated explanations: the slips seen in the app, as committed rules.

Why rules and not LanguageTool: ``language_tool_python`` needs the LanguageTool server, which it
downloads on first use from languagetool.org; the build and test machines reach PyPI only, so it
cannot run here. The slips that matter are the ones people met in the app (issue 24): "your
Microsoft Excel already count", "to build lead a team", citation ids that skip (c1, c3, c4), a bare
"faithfulness 0.67" nobody can read. Each rule below is one such slip or one of the ordinary
mechanical errors template text and a small model make (a doubled word, "a" before a vowel, a
sentence that starts in lower case, a stray space before punctuation, a dangling "and").

:func:`check_text` runs every rule over one text; :func:`check_explanation` over everything a person
reads in one explanation (summary and next steps) plus its citation numbering; :func:`count` sums
findings per rule, which is what ``waypoint eval explain`` reports. Each rule has a unit test that
shows it firing on the slip and staying quiet on the correct sentence (tests/unit/test_slips.py).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["RULES", "Slip", "check_explanation", "check_text", "citation_ids_skip", "count"]


@dataclass(frozen=True)
class Slip:
    rule: str
    match: str
    text: str


# "your Microsoft Excel already count": a plural verb after one skill ("your X and Y already count" is right).
_ALREADY_COUNT = re.compile(r"\byour ([^,;.]+?) already count\b", re.IGNORECASE)
# "to build lead a team": a verb-phrase skill label dropped bare after a verb of learning.
_BUILD_VERBS = r"(?:build|building|develop|developing|strengthen|strengthening|practise|practice|practising|learn|learning|close|gain)"
_BARE_VERBS = r"(?:lead|manage|analyse|analyze|use|operate|perform|monitor|maintain|develop|prepare|plan|coordinate|apply|assess|communicate|write|teach|train|supervise|evaluate|install|repair|negotiate|sell|design|build|create|handle|provide|process|conduct|identify|organise|organize|read|drive|care)"
_BARE_VERB_PHRASE = re.compile(rf"\bto {_BUILD_VERBS} {_BARE_VERBS} (?:a|an|the|\w+s)\b", re.IGNORECASE)
# a faithfulness score shown as a bare number ("faithfulness 0.67", "faithfulness: 1.0")
_BARE_FAITHFULNESS = re.compile(r"\bfaithfulness\s*(?:[:=]|of|is)?\s*(?:0?\.\d+|[01](?:\.\d+)?)\b", re.IGNORECASE)
# the same word twice in a row ("the the", "to to"); numbers and single letters excepted
_DOUBLED = re.compile(r"\b([A-Za-z]{2,})\s+\1\b", re.IGNORECASE)
# "a" before a vowel sound / "an" before a consonant; words read with another first sound are excepted
_A_VOWEL = re.compile(r"(?<![\w'-])a ([aeiouAEIOU][\w-]*)")
_AN_CONSONANT = re.compile(r"(?<![\w'-])an ([b-df-hj-np-tv-zB-DF-HJ-NP-TV-Z][\w-]*)")
_A_OK = ("uni", "use", "usu", "uti", "eu", "one", "once", "ur", "uk", "ub", "uga")  # a university, a user, a one-off
_AN_OK = ("hour", "honest", "honou", "heir", "herb")  # an hour, an honest
# a sentence (after . ! or ?) that starts in lower case; "e.g." and "i.e." are not sentence ends
_LOWER_START = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)[.!?]\s+([a-z]\w*)")
# a space before punctuation, or two spaces
_SPACE_PUNCT = re.compile(r"\w \s*[,.;:!?](?!\d)|\S  +\S")
# a list that ends in nothing: "and .", ", ;", "and," at the end of a clause
_DANGLING = re.compile(r"\b(?:and|or|with|of|to)\s*[.;!?]|,\s*[,.;]")
# unbalanced brackets or double quotes
_OPENERS = {"(": ")", "[": "]"}


def _already_count(text: str) -> list[str]:
    return [m.group(0) for m in _ALREADY_COUNT.finditer(text) if " and " not in m.group(1)]


def _a_before_vowel(text: str) -> list[str]:
    out = []
    for m in _A_VOWEL.finditer(text):
        word = m.group(1)
        if word.isupper() or word.lower().startswith(_A_OK):  # acronyms are read by their letters
            continue
        out.append(m.group(0))
    for m in _AN_CONSONANT.finditer(text):
        word = m.group(1)
        if word.isupper() or word.lower().startswith(_AN_OK):  # "an MBA", "an hour"
            continue
        out.append(m.group(0))
    return out


def _doubled(text: str) -> list[str]:
    return [m.group(0) for m in _DOUBLED.finditer(text) if m.group(1).lower() not in {"had", "that"}]


def _unbalanced(text: str) -> list[str]:
    found = []
    for opener, closer in _OPENERS.items():
        if text.count(opener) != text.count(closer):
            found.append(f"{opener}{closer} {text.count(opener)}/{text.count(closer)}")
    if text.count('"') % 2:
        found.append('odd number of "')
    return found


def _regex(pattern: re.Pattern) -> callable:
    return lambda text: [m.group(0) for m in pattern.finditer(text)]


#: rule name → function(text) → the matched slips. Order is the report's.
RULES: dict[str, callable] = {
    "already_count": _already_count,
    "bare_verb_phrase": _regex(_BARE_VERB_PHRASE),
    "bare_faithfulness": _regex(_BARE_FAITHFULNESS),
    "doubled_word": _doubled,
    "a_an": _a_before_vowel,
    "lowercase_sentence_start": _regex(_LOWER_START),
    "spacing": _regex(_SPACE_PUNCT),
    "dangling_list": _regex(_DANGLING),
    "unbalanced": _unbalanced,
}


_QUOTED = re.compile(r'"[^"]*"')


def check_text(text: str) -> list[Slip]:
    """Every rule's findings in one text. A quoted span (a course title, the person's own words) is
    data, not our writing: only the quote balance looks inside it."""
    text = text or ""
    unquoted = _QUOTED.sub('"Q"', text)
    return [
        Slip(rule, match, text)
        for rule, fn in RULES.items()
        for match in fn(text if rule == "unbalanced" else unquoted)
    ]


_CITE = re.compile(r"\bc(\d{1,4})\b")


def citation_ids_skip(ids: Iterable[str]) -> bool:
    """True when the citation ids a person sees are not c1, c2, ... cn in order (c1, c3, c4 skips c2)."""
    ids = list(ids)
    return ids != [f"c{n}" for n in range(1, len(ids) + 1)]


def check_explanation(explanation: Mapping) -> list[Slip]:
    """Slips in what a person reads of one explanation (a ``POST /v1/explain`` answer or
    ``Explanation.model_dump()``): the summary and next steps, and the citation numbering."""
    texts = [explanation.get("summary") or ""] + list(explanation.get("next_steps") or [])
    found = [slip for text in texts for slip in check_text(text)]
    ids = [c.get("id") for c in explanation.get("citations") or [] if isinstance(c, Mapping)]
    if ids and citation_ids_skip(ids):
        found.append(Slip("citation_ids_skip", ", ".join(ids), ""))
    return found


def count(slips: Iterable[Slip]) -> dict[str, int]:
    """Findings per rule (every rule present, zeros included, so reports compare)."""
    counts = Counter(s.rule for s in slips)
    return {rule: counts.get(rule, 0) for rule in [*RULES, "citation_ids_skip"]}
