"""Redact personal data from free text before it reaches a prompt, a log line or the RAG memory.

Why here and not in the catalogue: résumé text is the person's own data and must reach neither a
prompt, a log line nor the RAG memory with their personal details in it (DESIGN: "personal data
redacted before prompts and logs"). This is the same redactor the events store and the log filter
use (:mod:`app.privacy.redactor`): names, street addresses, postcodes, dates of birth, handles,
emails, phone numbers and links become ``[name]``, ``[address]``, ``[postcode]``, ``[dob]``,
``[handle]``, ``[email]``, ``[phone]``, ``[link]``. Skills never live in those, so redacting before
extraction-as-evidence loses nothing the explainer needs (the false-redaction rate on career text is
measured in tests/test_privacy.py).

Redaction keeps the text's length roughly stable (a short placeholder per match) so that nearby
spans stay readable, and it is idempotent: placeholders never match again.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.privacy.redactor import redact_text

EMAIL = "[email]"
PHONE = "[phone]"
URL = "[link]"


def redact(text: str | None, keep: Iterable[str] = ()) -> str:
    """``text`` with personal data replaced by placeholders (``""`` for ``None``); phrases in ``keep``
    (the evidence's own skill labels and course titles) stay as written."""
    if not text:
        return ""
    return redact_text(text, keep) or ""


def contains_pii(text: str | None) -> bool:
    """Whether :func:`redact` would change ``text`` (used by tests and log guards)."""
    return bool(text) and redact(text) != text
