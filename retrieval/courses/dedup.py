"""Near-duplicate courses: one offering per course in any list a person sees.

The catalogues repeat themselves: Coursera lists "Google UX Design" once per language edition and
certificate ("Google UX Design (DE)", "Google UX Design"), edX lists a course once per run
("Italian Language and Culture: Beginner (2019-2020)"), Udemy has "Photoshop - Creación de Efectos"
and "... 2". Two courses are the same offering when their titles reduce to the same key (case,
punctuation, bracketed editions, years and certificate words removed), and near-duplicates when the
word sets of the keys overlap by at least :data:`NEAR_JACCARD`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

#: Word-set overlap (Jaccard) of two title keys from which the courses are near-duplicates.
NEAR_JACCARD = 0.75

_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_YEARS = re.compile(r"\b(19|20)\d\d\b")
_NOISE = re.compile(
    r"\b(professional certificate|specialization|specialisation|certificate|course|mastertrack|"
    r"program|programme|part \d+|vol \d+|volume \w+)\b"
)
_NON_WORD = re.compile(r"[^\w]+")


def title_key(title: str) -> str:
    """The title with case, brackets, years, certificate words and punctuation removed."""
    text = _BRACKETS.sub(" ", (title or "").lower()).replace("®", " ")
    text = _YEARS.sub(" ", text)
    text = _NON_WORD.sub(" ", text)
    text = _NOISE.sub(" ", text)
    return " ".join(text.split())


def near_duplicates(a: str, b: str) -> bool:
    """Whether two titles are the same course (equal keys) or near-duplicates (overlapping word sets)."""
    ka, kb = title_key(a), title_key(b)
    if ka == kb:
        return True
    wa, wb = set(ka.split()), set(kb.split())
    if not wa or not wb:
        return False
    return len(wa & wb) / len(wa | wb) >= NEAR_JACCARD


def collapse(items: Iterable[T], title: Callable[[T], str]) -> list[T]:
    """``items`` (best first) without any that duplicates an earlier one: the best of each group stays."""
    kept: list[T] = []
    for item in items:
        if not any(near_duplicates(title(item), title(k)) for k in kept):
            kept.append(item)
    return kept
