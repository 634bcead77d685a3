"""The one PII redactor: every stored, logged or prompted piece of free text goes through it.

:func:`find_pii` runs the rule modules (contact details, addresses and postcodes, dates of birth,
person names) and merges overlapping spans; :func:`redact_text` replaces each merged span with a
placeholder of its kind: ``[email]``, ``[link]``, ``[handle]``, ``[dob]``, ``[address]``,
``[postcode]``, ``[phone]``, ``[name]``.

Properties the callers rely on (and the tests check):

* **idempotent** -- placeholders never match a rule, so redacting stored text again changes nothing
  (training rebuilds prompts from stored, already-redacted profiles and must get the same evidence);
* **career content stays** -- occupation titles, skills, O*NET codes (``29-1141.00``), years and
  year ranges, "5 years of experience": the false-redaction rate on the O*NET catalogue and on real
  résumés is measured in ``tests/test_privacy.py``;
* **bounded cost** -- linear-time regular expressions and set look-ups; text longer than
  :data:`MAX_SCAN_CHARS` is redacted in overlapping windows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from app.privacy.address import address_spans
from app.privacy.contact import contact_spans
from app.privacy.dob import dob_spans
from app.privacy.names import name_spans
from app.privacy.spans import KINDS, PiiSpan

MAX_SCAN_CHARS = 200_000
_RANK = {kind: n for n, kind in enumerate(KINDS)}

__all__ = ["PiiSpan", "find_pii", "redact_text", "redact_value"]


_ONLY_PLACEHOLDERS = re.compile(r"(?:\[(?:" + "|".join(KINDS) + r")\]|[\s,.;:|/()\-–])*")


_PLACE = ("address", "postcode")


def _same_place(a: str, b: str) -> bool:
    """Same kind, or an address next to its postcode ("10 Downing Street, London SW1A 2AA": one address)."""
    return a == b or (a in _PLACE and b in _PLACE)


def _joins(text: str, end: int, start: int) -> bool:
    """Only ", " (or spaces) between two spans: "12 Elm St, Springfield, IL 62704" is one address."""
    return 0 <= start - end <= 3 and not text[end:start].strip(" ,\t")


def _merge(spans: list[PiiSpan], text: str = "") -> list[PiiSpan]:
    """Union of overlapping spans (and touching ones of one kind); a merged span keeps the higher-priority kind."""
    merged: list[PiiSpan] = []
    for span in sorted(s for s in spans if s.end > s.start):
        touching = (
            _same_place(span.kind, merged[-1].kind)
            and (span.start == merged[-1].end or (span.kind in _PLACE and _joins(text, merged[-1].end, span.start)))
            if merged
            else False
        )
        if merged and (span.start < merged[-1].end or touching):
            last = merged[-1]
            kind = last.kind if _RANK[last.kind] <= _RANK[span.kind] else span.kind
            merged[-1] = PiiSpan(last.start, max(last.end, span.end), kind)
        else:
            merged.append(span)
    return merged


def find_pii(text: str | None) -> list[PiiSpan]:
    """Non-overlapping PII spans of ``text``, in order."""
    if not text:
        return []
    contact = contact_spans(text)
    located = address_spans(text) + dob_spans(text)
    spans = contact + located + name_spans(text, contact + located)
    # a context rule can match text that is already redacted ("I live at [address], [address]");
    # leaving such spans alone is what makes redaction idempotent
    return _merge([s for s in spans if not _ONLY_PLACEHOLDERS.fullmatch(text, s.start, s.end)], text)


def _replace(text: str, spans: list[PiiSpan]) -> str:
    out, pos = [], 0
    for span in spans:
        out.append(text[pos : span.start])
        out.append(span.token)
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


def _outside(spans: list[PiiSpan], text: str, keep: Iterable[str]) -> list[PiiSpan]:
    """``spans`` less those lying inside an occurrence of a ``keep`` phrase (case-insensitive)."""
    low = text.lower()
    kept: list[tuple[int, int]] = []
    for phrase in {k.lower() for k in keep if k and k.strip()}:
        start = low.find(phrase)
        while start != -1:
            kept.append((start, start + len(phrase)))
            start = low.find(phrase, start + 1)
    return [s for s in spans if not any(a <= s.start and s.end <= b for a, b in kept)]


def redact_text(text: str | None, keep: Iterable[str] = ()) -> str | None:
    """``text`` with every PII span replaced by its placeholder; ``None``/``""`` are returned as given.

    ``keep``: phrases known not to be personal data where they occur (catalogue labels the text quotes:
    "Armand Morin MultiTrack Generator" and "Allen Bradley PanelView" are O*NET software, not people).
    """
    if not text:
        return text
    if len(text) <= MAX_SCAN_CHARS:
        spans = find_pii(text)
        return _replace(text, _outside(spans, text, keep) if keep and spans else spans)
    # very long input (a log of a huge body): redact paragraph-aligned windows independently
    out, pos = [], 0
    while pos < len(text):
        end = min(len(text), pos + MAX_SCAN_CHARS)
        if end < len(text):
            cut = text.rfind("\n", pos + MAX_SCAN_CHARS // 2, end)
            end = cut + 1 if cut != -1 else end
        chunk = text[pos:end]
        out.append(_replace(chunk, find_pii(chunk)))
        pos = end
    return "".join(out)


def redact_value(value: Any) -> Any:
    """Redact every string inside a JSON-like value (dicts, lists, tuples); keys and numbers stay."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(v) for v in value]
    return value
