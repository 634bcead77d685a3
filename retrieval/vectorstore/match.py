"""The values of a match-any condition, as both Qdrant backends take them.

A :data:`~retrieval.vectorstore.base.Condition` carries any list of payload scalars, but Qdrant's
``MatchAny`` (the server client's and Qdrant Edge's alike) takes a list of strings *or* a list of
integers, never a mix. One filter field holds one kind of value, so the list is one or the other;
saying which here lets both backends pass it on typed, and a mixed list fails with a clear message
instead of deep inside the client.
"""

from __future__ import annotations

from retrieval.vectorstore.base import Scalar


def match_any_values(values: list[Scalar]) -> list[str] | list[int]:
    """``values`` unchanged, typed as all strings or all integers (booleans are integers)."""
    strings = [v for v in values if isinstance(v, str)]
    if len(strings) == len(values):
        return strings
    numbers = [v for v in values if isinstance(v, int)]
    if len(numbers) == len(values):
        return numbers
    raise ValueError(f"a match-any condition takes all strings or all integers, not {values!r}")
