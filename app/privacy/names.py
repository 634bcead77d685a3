"""Person names, found by context rules and a first-name gazetteer (no statistical model).

A name is a run of one to four capitalised words (``Jane``, ``O'Brien``, ``McCabe``, ``Billie-Jo``,
initials ``J.``, particles ``van der``), and a run stops at the first word of
:mod:`app.privacy.vocab` (career, function, place and calendar words), so "I am Registered Nurse"
or a heading like "Education Details" never counts. The rules, each firing only in its context:

1. **labelled** -- ``Name: Jane Doe``, ``Full name -``, ``Candidate name:``, ``Father's Name:``,
   ``Contact person:``, ``Referee:``, ``References:``, ``Signed:``, ``The candidate, Jane Doe,``,
   e-mail fields ``From:`` / ``To:`` / ``Cc:`` at a line start (capitalised or ALL CAPS);
   ``X name:`` only for a person's label (``Company Name:`` is left alone);
2. **introductions** -- ``My name is Jane``, ``Call me Jane``, ``I go by``, ``About me:``,
   ``Résumé of``, ``Contact Jane Doe on ...``; a third-person bio opening with a listed first name
   ("Cassandra Shea is a statistician", "... has worked as"); after
   ``I am`` / ``I'm`` / ``This is``, and before ``here`` ("Jane Doe here"), two or more name words,
   or one that is a known first name;
3. **résumé header** -- the first line (or its first ``|``/``,``/``•`` segment, markup like ``# ``
   skipped) of a multi-line text when it is 2-4 name words and either starts with a known first
   name or has contact details (email, phone, link, address) within the next three lines; an
   inverted ``Doe, Jane`` first line; and on any short line (160 characters at most) with an email,
   phone, link or handle, every ``|``/``,``/``•`` segment that is 2-4 name words ("Jane Doe | Pune |
   jane@example.com");
4. **sign-off** -- the line after ``Regards,`` / ``Sincerely,`` / ``Thanks,`` / ``Cheers,`` ...;
5. **honorifics** -- ``Mr``, ``Mrs``, ``Ms``, ``Dr``, ``Prof``, ``Shri``, ``Smt``, ... (not ``Sri``: "Sri Lanka") + name words;
6. **gazetteer pair** -- a known first name (:mod:`app.privacy.gazetteer`) followed by a capitalised
   word that can be a surname, anywhere;
7. **propagation** -- once rules 1-5 find a name, its parts (3+ letters) are redacted wherever else
   they stand in the same text ("Doe led the team", "Jane's portfolio").

Known gaps (stated, and measured by the tests): a name in running text that is not introduced, not
after a known first name and not repeated from a found name ("worked with Priya Raghunathan") is
missed; lower-case names are missed.
"""

from __future__ import annotations

import re

from app.privacy.gazetteer import is_first_name, is_listed_name
from app.privacy.spans import PiiSpan
from app.privacy.vocab import (
    CALENDAR_WORDS,
    CAREER_WORDS,
    CORE_FUNCTION_WORDS,
    FUNCTION_WORDS,
    PLACE_WORDS,
    SURNAME_OCCUPATIONS,
    could_be_surname,
)

_U = "A-ZÀ-ÖØ-Þ"
_L = "a-zß-öø-ÿ"
_TITLE_WORD = rf"(?:[{_U}]['’][{_U}][{_L}]+|(?:Mc|Mac)?[{_U}][{_L}]+(?:[{_U}][{_L}]+)?)(?:[-'’][{_U}]?[{_L}]+)*"
_CAPS_WORD = rf"[{_U}]{{2,}}(?:[-'’][{_U}]{{2,}})*"
_INITIAL = rf"[{_U}]\."
_PARTICLE = (
    r"(?:van|von|der|den|de|del|della|da|di|du|la|le|bin|binti|bint|al|el|ter|ten|dos|das|y|"
    r"Ó|Ní|Nic|Uí|Ua|Mac|Mc|Van|Von|De|Del|Della|Da|Di|Du|La|Le|Al|El|St\.?)"
)
_WORD_RE = re.compile(rf"{_TITLE_WORD}|{_CAPS_WORD}|{_INITIAL}")
_GAP_RE = re.compile(rf"[ \t]+(?:{_PARTICLE}[ \t]+)*")

_LABEL_RE = re.compile(
    r"(?P<pre>\b[\w']+[ \t]+)?\b(?P<label>name|full[ \t]+name|first[ \t]+name|last[ \t]+name|surname|given[ \t]+name|"
    r"family[ \t]+name|contact[ \t]+person|emergency[ \t]+contact|referee|referees|reference|references|signed|"
    r"signature|prepared[ \t]+by|submitted[ \t]+by|written[ \t]+by|candidate|applicant|from|to|cc|attn|attention)"
    r"[ \t]*(?:[:\-–,][ \t]*)",
    re.IGNORECASE,
)
# labels that also occur as ordinary words ("from", "to"): only as a field, at a line start
_FIELD_ONLY_LABELS = ("from", "to", "cc", "attn", "attention")
_PERSON_QUALIFIERS = frozenset(
    [
        "full",
        "first",
        "last",
        "given",
        "family",
        "middle",
        "candidate",
        "candidate's",
        "candidates",
        "applicant",
        "applicant's",
        "applicants",
        "father's",
        "fathers",
        "father",
        "mother's",
        "mothers",
        "mother",
        "husband's",
        "husband",
        "wife's",
        "wife",
        "spouse",
        "spouse's",
        "guardian",
        "guardian's",
        "parent",
        "parent's",
        "your",
        "my",
        "his",
        "her",
        "person",
        "contact",
        "student",
        "student's",
        "employee",
        "employee's",
        "patient",
        "legal",
        "preferred",
        "maiden",
        "nick",
    ]
)
_INTRO_RE = re.compile(
    r"\b(?P<intro>my[ \t]+name[ \t]+is|my[ \t]+name's|name's|call[ \t]+me|i[ \t]+go[ \t]+by|"
    r"(?:résumé|resume|cv|curriculum[ \t]+vitae|profile|portfolio)[ \t]+of|contact|"
    r"known[ \t]+as|about[ \t]+me[ \t]*[:—–-]|i[ \t]+am|i'm|i’m|"
    r"this[ \t]+is|it's|it’s)[ \t]+",
    re.IGNORECASE,
)
_STRONG_INTROS = ("my", "name", "call", "i go", "known", "about", "résumé", "resume", "cv", "curriculum")
_AFTER_CONTACT = re.compile(r"[ \t]*(?:(?:on|at|via|by|for|through)\b|[,(<])")
# a short bio in the third person: "Cassandra Shea is a statistician" (a listed first name first)
_BIO_RE = re.compile(
    rf"(?:^|(?<=[.!?\n])[ \t]*)(?P<n>{_TITLE_WORD}(?:[ \t]+{_TITLE_WORD}){{1,2}})[ \t]+"
    r"(?:is|was)[ \t]+(?:an?|the|currently)\b|"
    rf"(?:^|(?<=[.!?\n])[ \t]*)(?P<m>{_TITLE_WORD}(?:[ \t]+{_TITLE_WORD}){{1,2}})[ \t]+"
    r"(?:has[ \t]+(?:been|worked)|works[ \t]+as|worked[ \t]+as)\b",
    re.MULTILINE,
)
# "Jane here", "hey there, Jane Doe here -": a name that introduces itself at a clause start
_HERE_RE = re.compile(
    rf"(?:^|(?<=[,.!?:;—–-])[ \t]*|(?<=\n))(?P<n>{_TITLE_WORD}(?:[ \t]+{_TITLE_WORD}){{0,2}})[ \t]+here\b", re.MULTILINE
)
_SIGNOFF_RE = re.compile(
    r"(?im)^[ \t]*(?:regards|best[ \t]+regards|kind[ \t]+regards|warm[ \t]+regards|warmly|sincerely|"
    r"yours[ \t]+sincerely|yours[ \t]+truly|yours[ \t]+faithfully|faithfully|thanks|thank[ \t]+you|many[ \t]+thanks|"
    r"cheers|best|best[ \t]+wishes|respectfully|cordially|with[ \t]+gratitude)[ \t]*[,!.]?[ \t]*(?:\n[ \t]*|,[ \t]*)"
)
_HONORIFIC_RE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Shri|Smt|Kumari|Mister|Madam)\.?[ \t]+")
_HEADER_SPLIT = re.compile(r"[|•·,;\t]|[ \t]{2,}|[ \t][-–—][ \t]|📧|📱|☎|✉")
_INVERTED_RE = re.compile(rf"(?P<n>{_TITLE_WORD},[ \t]+{_TITLE_WORD}(?:[ \t]+{_TITLE_WORD})?)[ \t]*")
_ANY_WORD = re.compile(rf"(?:{_TITLE_WORD})")
_HUMP = re.compile(rf"[{_U}][{_L}]+")


def _stop_word(word: str, *, context: bool, after: list[str] | None = None, surname_first: bool = False) -> bool:
    """Whether ``word`` ends a name run.

    Without context (a gazetteer pair, propagation) every career, function, place and calendar word
    stops a run. In a name context (a label, an introduction, a header line, a sign-off, after an
    honorific) the first word may be any listed first name ("Will", "Grace", "Maya", "Cassandra"),
    place or month; a later word is a surname unless it is a career word ("John Smith Registered
    Nurse" stops at "Registered"), so "Anthony May", "Amber Fisher", "Priya More" stay whole.
    ``surname_first``: the run starts with a surname (after "Mr", "Dr"), read like a later word.
    """
    key = word.strip(".'’").lower()
    if key in CORE_FUNCTION_WORDS:
        return True
    humps = _HUMP.findall(word)
    if len(humps) > 1 and any(h.lower() in CAREER_WORDS or h.lower() in FUNCTION_WORDS for h in humps):
        return True  # glued words: "OfficeEducation", "DataScience"
    if not context:
        return key in CAREER_WORDS or key in FUNCTION_WORDS or key in PLACE_WORDS or key in CALENDAR_WORDS
    if after or surname_first:
        return key in CAREER_WORDS and key not in SURNAME_OCCUPATIONS and not is_listed_name(word)
    if is_listed_name(word):
        return False
    return key in CAREER_WORDS or key in FUNCTION_WORDS


def _run(
    text: str, pos: int, *, max_words: int = 4, caps: bool = True, context: bool = True, surname_first: bool = False
) -> tuple[int, int, list[str]]:
    """The name run starting at ``pos``: (start, end, words); empty words when none starts there."""
    words: list[str] = []
    start = end = pos
    cursor = pos
    while len(words) < max_words:
        m = _WORD_RE.match(text, cursor)
        if not m:
            break
        word = m.group(0)
        if (word.isupper() and len(word) > 1 and not caps) or _stop_word(
            word, context=context, after=words, surname_first=surname_first
        ):
            break
        if m.end() < len(text) and (text[m.end()].isalnum() or text[m.end()] in "_@/"):
            break  # part of a longer token ("Jane2", "Doe@x")
        words.append(word)
        end = m.end()
        gap = _GAP_RE.match(text, end)
        if not gap:
            break
        cursor = gap.end()
    while words and re.fullmatch(_INITIAL, words[-1]) and len(words) > 1:
        words.pop()  # a trailing initial is more likely a sentence end: "... Jane D." keeps "Jane"
        end = text.rfind(words[-1], start, end) + len(words[-1])
    if words and all(re.fullmatch(_INITIAL, w) for w in words):
        return start, start, []
    return start, end, words


def _labelled(text: str) -> list[PiiSpan]:
    out = []
    for m in _LABEL_RE.finditer(text):
        label = re.sub(r"\s+", " ", m.group("label").lower())
        pre = (m.group("pre") or "").strip().lower()
        if label == "name" and pre and pre not in _PERSON_QUALIFIERS:
            continue  # "Company Name:", "Project Name:"
        if label in ("candidate", "applicant") and pre and pre not in ("the", "a", "our", "this"):
            continue
        if label in _FIELD_ONLY_LABELS and (
            pre
            or text[m.start("label") : m.end()].rstrip()[-1:] != ":"
            or text[text.rfind("\n", 0, m.start()) + 1 : m.start("label")].strip()
        ):
            continue  # "From: Jane Doe" as a header field, not "moved from Pune, ..."
        pos = m.end()
        hon = _HONORIFIC_RE.match(text, pos)
        if hon:
            pos = hon.end()
        start, end, words = _run(text, pos)
        if words:
            out.append(PiiSpan(start, end, "name"))
    return out


def _intros(text: str) -> list[PiiSpan]:
    out = []
    for m in _BIO_RE.finditer(text):
        group = "n" if m.group("n") else "m"
        start, end, words = _run(text, m.start(group), caps=False)
        if len(words) >= 2 and end >= m.end(group) and is_listed_name(words[0]):
            out.append(PiiSpan(start, end, "name"))
    for m in _HERE_RE.finditer(text):
        start, end, words = _run(text, m.start("n"), caps=False)
        if words and end >= m.end("n") and (len(words) >= 2 or is_first_name(words[0])):
            out.append(PiiSpan(start, end, "name"))
    for m in _INTRO_RE.finditer(text):
        intro = m.group("intro").lower()
        strong = intro.startswith(_STRONG_INTROS)
        start, end, words = _run(text, m.end(), caps=strong)
        if not words:
            continue
        if intro == "contact" and not _AFTER_CONTACT.match(text, end):
            continue  # "Contact Jane Doe on 555..." but not "Contact Lens Fitter"
        if strong or len(words) >= 2 or is_first_name(words[0]):
            out.append(PiiSpan(start, end, "name"))
    return out


def _name_segment(text: str, start: int, stop: int) -> PiiSpan | None:
    """``text[start:stop]`` when it is nothing but 2-4 name words (leading markup like "# " or "* " skipped)."""
    segment = text[start:stop]
    lead = len(segment) - len(segment.lstrip(" \t#*>•·-–—_~|"))
    stripped = segment[lead:].rstrip(" \t.")
    if not stripped:
        return None
    s, e, words = _run(text, start + lead, context=True)
    if 2 <= len(words) <= 4 and e - s >= len(stripped):
        return PiiSpan(s, e, "name")
    return None


def _header(text: str, contact: list[PiiSpan]) -> list[PiiSpan]:
    """The résumé's first line, and any segment of a line that carries contact details."""
    out = []
    lead = len(text) - len(text.lstrip())
    first_end = text.find("\n", lead)
    if first_end != -1:  # one line is a chat message or a label, not a résumé
        line = text[lead:first_end]
        inverted = _INVERTED_RE.fullmatch(line)
        if inverted and not any(
            _stop_word(w, context=True, surname_first=True) for w in inverted.group(0).replace(",", " ").split()
        ):
            out.append(PiiSpan(lead + inverted.start("n"), lead + inverted.end("n"), "name"))  # "Doe, Jane"
        cut = _HEADER_SPLIT.search(line)
        span = _name_segment(text, lead, lead + (cut.start() if cut else len(line)))
        if span is not None:
            window_end = first_end
            for _ in range(3):
                nxt = text.find("\n", window_end + 1)
                window_end = len(text) if nxt == -1 else nxt
            words = _WORD_RE.findall(text[span.start : span.end])
            if any(lead <= sp.start < window_end for sp in contact) or is_first_name(words[0]):
                out.append(span)
    # "Jane Doe | Pune | jane@example.com": a name segment on a line with an email or a phone
    for line_no, sp in enumerate(sp for sp in contact if sp.kind in ("email", "phone", "link", "handle")):
        if line_no > 50:
            break
        line_start = text.rfind("\n", 0, sp.start) + 1
        line_end = text.find("\n", sp.start)
        line_end = len(text) if line_end == -1 else line_end
        if line_end - line_start > 160:
            continue  # a paragraph with an email in it, not a contact line
        bounds = [line_start] + [m.end() for m in _HEADER_SPLIT.finditer(text, line_start, line_end)] + [line_end]
        cuts = [line_start] + [m.start() for m in _HEADER_SPLIT.finditer(text, line_start, line_end)] + [line_end]
        for seg_start, seg_end in zip(bounds[:-1], cuts[1:]):
            found = _name_segment(text, seg_start, seg_end)
            if found is not None:
                out.append(found)
    return out


def _signoffs(text: str) -> list[PiiSpan]:
    out = []
    for m in _SIGNOFF_RE.finditer(text):
        start, end, words = _run(text, m.end())
        if words and not (len(words) == 1 and words[0].isupper()):
            out.append(PiiSpan(start, end, "name"))
    return out


def _honorifics(text: str) -> list[PiiSpan]:
    out = []
    for m in _HONORIFIC_RE.finditer(text):
        start, end, words = _run(text, m.end(), max_words=3, caps=False, surname_first=True)
        if words:
            out.append(PiiSpan(start, end, "name"))
    return out


def _gazetteer_pairs(text: str) -> list[PiiSpan]:
    out = []
    for m in _ANY_WORD.finditer(text):
        first = m.group(0)
        if not is_first_name(first) or _stop_word(first, context=False):
            continue
        if m.start() > 0 and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "_@/.-"):
            continue
        pos = m.end()
        gap = re.compile(r"[ \t]+(?:[A-Z]\.?[ \t]+)?").match(text, pos)  # optional middle initial
        if not gap:
            continue
        nxt = re.compile(_TITLE_WORD).match(text, gap.end())
        if not nxt or not could_be_surname(nxt.group(0)):
            continue
        if nxt.end() < len(text) and (text[nxt.end()].isalnum() or text[nxt.end()] in "_@/"):
            continue
        end = nxt.end()
        more = re.compile(r"[ \t]+(" + _TITLE_WORD + ")").match(text, end)  # "Maria Garcia Lopez"
        if more and could_be_surname(more.group(1)) and not is_first_name(more.group(1)):
            end = more.end()
        out.append(PiiSpan(m.start(), end, "name"))
    return out


def _propagate(text: str, found: list[PiiSpan]) -> list[PiiSpan]:
    parts: set[str] = set()
    for span in found:
        for word in _WORD_RE.findall(text[span.start : span.end]):
            bare = word.strip(".'’")
            key = bare.lower()
            # every part the context accepted, bar months and places ("Anthony May" must not take
            # "May 2019" with it) and words too short to be a name part
            if (
                len(bare) >= 2
                and key not in CORE_FUNCTION_WORDS
                and key not in CALENDAR_WORDS
                and key not in PLACE_WORDS
            ):
                parts.update({bare, bare.upper(), bare[0].upper() + bare[1:].lower()})
    if not parts:
        return []
    pattern = re.compile(
        r"(?<![\w@./-])(?:" + "|".join(re.escape(p) for p in sorted(parts, key=len, reverse=True)) + r")(?![\w@/-])"
    )
    return [PiiSpan(m.start(), m.end(), "name") for m in pattern.finditer(text)]


def name_spans(text: str, contact: list[PiiSpan] | None = None) -> list[PiiSpan]:
    """Spans of person names in ``text``; ``contact`` (emails, phones, ...) helps spot a résumé header."""
    strong = _labelled(text) + _intros(text) + _header(text, contact or []) + _signoffs(text) + _honorifics(text)
    # propagation only from context rules: a gazetteer pair can be a product ("Allen Bradley") or a
    # famous person in a course text, and spreading its parts would multiply a false positive
    return strong + _gazetteer_pairs(text) + _propagate(text, strong)
