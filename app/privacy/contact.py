"""Contact details: email addresses, phone numbers, links (profile URLs included) and @handles.

Why these shapes: they are what people paste into a résumé header or a chat message, and each has
a form that career text does not (an ``@`` with a domain, a run of 7-15 digits with phone-style
separators, a URL). Numbers that look alike but are career content are kept on purpose: O*NET
codes (``29-1141.00``), dates (``2024-01-31``), years and year ranges (``2015-2019``, ``2015 2016
2017``), and plain runs of fewer than 10 digits without a ``+`` (ids, amounts) -- unless a phone
word introduces them ("Mobile: 30135850") or they share a line with an email address.
"""

from __future__ import annotations

import re

from app.privacy.spans import PiiSpan

EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
URL_RE = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'()\[\]{}]+", re.IGNORECASE)
# profile links written without a scheme: linkedin.com/in/jane, github.com/jane, x.com/jane, ...
PROFILE_URL_RE = re.compile(
    r"(?<![\w.-])(?:[\w-]+\.)?(?:linkedin\.com|github\.com|gitlab\.com|bitbucket\.org|twitter\.com|x\.com|"
    r"facebook\.com|fb\.com|instagram\.com|medium\.com|stackoverflow\.com|kaggle\.com|behance\.net|"
    r"dribbble\.com|youtube\.com|tiktok\.com|t\.me|mastodon\.social)/[^\s<>\"'()\[\]{}]+",
    re.IGNORECASE,
)
HANDLE_RE = re.compile(r"(?<![\w@./:+-])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,38}[A-Za-z0-9_])?(?![\w@])")
# "@Risk", "@Road", "@nalyst", "@work" are software products in the O*NET technology list; Java and
# Python decorators appear in developers' résumés
NOT_HANDLES = frozenset(
    {
        "@risk",
        "@road",
        "@nalyst",
        "@work",
        "@override",
        "@autowired",
        "@component",
        "@service",
        "@repository",
        "@controller",
        "@restcontroller",
        "@entity",
        "@test",
        "@bean",
        "@configuration",
        "@staticmethod",
        "@classmethod",
        "@property",
        "@dataclass",
        "@app",
        "@input",
        "@output",
        "@injectable",
        "@ngmodule",
    }
)
PHONE_RE = re.compile(
    r"(?<![\w/.+-])(?:\+|00)?\(?\d[\d \t\u00a0().-]{5,22}\d(?:[ \t]*(?:x|ext\.?|extension)[ \t]*\d{1,6})?"
    r"(?![\w/]|-[0-9A-Za-z])",  # not the start of a UUID or another dashed id ("49607371-2712-4b0a-...")
    re.IGNORECASE,
)
_EXTENSION = re.compile(r"\s*(?:x|ext\.?|extension)\s*\d{1,6}$", re.IGNORECASE)
_ONET_CODE = re.compile(r"^\d{2}-\d{4}(?:\.\d{2})?$")
_DATE = re.compile(r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./](?:\d{2}|\d{4}))$")
_LOCAL_NUMBER = re.compile(r"^\(?\d{3}\)?[\s.-]\d{4}$")
_TRAILING = ".,;:!?"
# a shorter or unseparated number is a phone when a phone word introduces it ("call me on 09736370",
# "Mobile: 30135850") or it shares a line with an email address (a résumé's contact line)
_PHONE_CONTEXT = re.compile(
    r"\b(?:phone|ph|tel|telephone|mobile|mob|cell|cellphone|whatsapp|fax|contact|call(?:[ \t]+me)?(?:[ \t]+(?:on|at))?|"
    r"reach[ \t]+me[ \t]+(?:on|at)|text[ \t]+me[ \t]+(?:on|at))[ \t]*(?:no\.?|number|#)?[ \t]*[:.#-]?[ \t]*$",
    re.IGNORECASE,
)


def _is_phone(raw: str) -> bool:
    text = raw.strip()
    core = _EXTENSION.sub("", text)
    if _ONET_CODE.match(core.strip("()")) or _DATE.match(core.strip("()")):
        return False
    digits = sum(ch.isdigit() for ch in core)
    if digits < 7 or digits > 15 or _ONET_CODE.match(core) or _DATE.match(core):
        return False
    groups = re.findall(r"\d+", core)
    if all(len(g) == 4 and g[:2] in ("19", "20") for g in groups):  # years: "2015-2019", "2015 2016 2017"
        return False
    if core.isdigit():
        return digits >= 10
    if core.startswith(("+", "00")):
        return True
    return digits >= 9 or bool(_LOCAL_NUMBER.match(core))


def _strip_trailing(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in _TRAILING:
        end -= 1
    return end


def contact_spans(text: str) -> list[PiiSpan]:
    """Spans of emails, links, handles and phone numbers in ``text``."""
    spans = [PiiSpan(m.start(), m.end(), "email") for m in EMAIL_RE.finditer(text)]
    for pattern in (URL_RE, PROFILE_URL_RE):
        for m in pattern.finditer(text):
            spans.append(PiiSpan(m.start(), _strip_trailing(text, m.start(), m.end()), "link"))
    spans += [
        PiiSpan(m.start(), m.end(), "handle") for m in HANDLE_RE.finditer(text) if m.group(0).lower() not in NOT_HANDLES
    ]
    emails = [s for s in spans if s.kind == "email"]
    for m in PHONE_RE.finditer(text):
        raw = m.group(0)
        if _is_phone(raw) or (_is_short_phone(raw) and _in_phone_context(text, m.start(), emails)):
            start, end = m.start(), m.end()
            while end > start and text[end - 1] in " .-(":
                end -= 1
            spans.append(PiiSpan(start, end, "phone"))
    return spans


_PHONE_WORD = re.compile(r"\b(?:phone|tel|telephone|mobile|cell|whatsapp|contact)\b", re.IGNORECASE)


def _is_short_phone(raw: str) -> bool:
    """7-15 digits that are not a year, a date or an O*NET code (any separators, or none)."""
    core = _EXTENSION.sub("", raw.strip()).strip("()")
    digits = sum(ch.isdigit() for ch in core)
    groups = re.findall(r"\d+", core)
    return (
        7 <= digits <= 15
        and not _ONET_CODE.match(core)
        and not _DATE.match(core)
        and not all(len(g) == 4 and g[:2] in ("19", "20") for g in groups)
    )


def _in_phone_context(text: str, start: int, emails: list[PiiSpan]) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line_end = len(text) if line_end == -1 else line_end
    before = text[max(line_start, start - 80) : start]
    if _PHONE_CONTEXT.search(before) or _PHONE_WORD.search(before):
        return True
    return any(line_start <= e.start < line_end for e in emails)
