"""The unit every PII rule returns: a character span of the text and what kind of PII it is."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("email", "link", "handle", "dob", "address", "postcode", "phone", "name")
"""Kinds in priority order: where spans of two kinds overlap, the merged span takes the earlier kind."""


@dataclass(frozen=True, order=True)
class PiiSpan:
    start: int
    end: int
    kind: str

    @property
    def token(self) -> str:
        """The placeholder that replaces the span: ``[email]``, ``[name]``, ..."""
        return f"[{self.kind}]"
