"""Redact personal contact data (emails, phone numbers, URLs with personal handles) from free text.

Why here and not in the catalogue: résumé text is the person's own data and must reach neither a
prompt, a log line nor the RAG memory with their contact details in it (DESIGN: "personal data
redacted before prompts and logs"). Skills never live in an email or a phone number, so redacting
before extraction-as-evidence loses nothing the explainer needs.

Redaction keeps the text's length roughly stable (a short placeholder per match) so that nearby
spans stay readable, and it is idempotent: placeholders never match again.
"""

from __future__ import annotations

import re

EMAIL = "[email]"
PHONE = "[phone]"
URL = "[link]"

_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# international or national numbers: optional +CC, groups separated by space/dot/dash/parens,
# 7-15 digits in total (checked below) so years ("2015-2019") and salaries are left alone
_PHONE_RE = re.compile(r"(?<![\w/])(?:\+|00)?\(?\d[\d\s().-]{5,20}\d(?![\w/])")
_URL_RE = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')]+", re.IGNORECASE)
_PROFILE_URL_RE = re.compile(r"\b(?:linkedin\.com|github\.com|twitter\.com|x\.com)/[^\s<>\"')]+", re.IGNORECASE)
_YEAR_RANGE_RE = re.compile(r"^(?:19|20)\d{2}\s*[-–]\s*(?:19|20)\d{2}$")


def _phone(match: re.Match[str]) -> str:
    raw = match.group(0)
    digits = sum(ch.isdigit() for ch in raw)
    stripped = raw.strip()
    if digits < 7 or digits > 15 or _YEAR_RANGE_RE.match(stripped):
        return raw
    # "1,000,000" style numbers contain commas and are not matched; plain 7+ digit runs with no
    # separators are ambiguous (ids, amounts), only redact them with a + prefix or 10-15 digits
    if stripped.isdigit() and digits < 10:
        return raw
    return PHONE


def redact(text: str | None) -> str:
    """``text`` with emails, phone numbers and URLs replaced by ``[email]``, ``[phone]``, ``[link]``."""
    if not text:
        return ""
    out = _EMAIL_RE.sub(EMAIL, text)
    out = _URL_RE.sub(URL, out)
    out = _PROFILE_URL_RE.sub(URL, out)
    out = _PHONE_RE.sub(_phone, out)
    return out


def contains_pii(text: str | None) -> bool:
    """Whether :func:`redact` would change ``text`` (used by tests and log guards)."""
    return bool(text) and redact(text) != text
