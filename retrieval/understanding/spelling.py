"""Misspelt title words: "im a nurce", "I work as a reciptionist", "how do I become an electrition".

Why: people type fast on phones, and a title the index does not know by its letters leaves the linker with
meaning alone ("im a nurce and i want to do something else" linked nothing and was asked for a job title).
Only words the catalogue does not know at all are corrected -- a word of its prose, of any title or of any
skill name stays as typed -- and only to a word of a main title (O*NET's own, short and reported titles and
the colloquial table; not the thousands of alternate titles, which hold brand and product names), when exactly
one such word is nearest: one edit for a word of up to seven letters, two for a longer one (rapidfuzz's
Levenshtein distance, with transpositions counted as one edit by its OSA metric). A tie is left alone: "carer"
is one edit from "career" and "cater", and guessing would put words in the person's mouth.

The corrections are keyed by where the word starts in the text, so a title found through one keeps the
person's own span (the chat quotes "nurce" back as they typed it).
"""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

from retrieval.understanding.keys import words

#: the shortest word corrected: shorter words have too many neighbours one edit away ("cok": cook, coke, cox)
MIN_LETTERS = 5
#: up to this many letters, one edit; longer words may have two ("electrition" for electrician)
ONE_EDIT_MAX = 7


class TitleSpelling:
    """Corrections of unknown words to the words of main titles."""

    def __init__(self, title_words: Iterable[str], known_words: Iterable[str]):
        self.title_words = sorted({w for w in title_words if len(w) >= MIN_LETTERS - 1 and w.isalpha()})
        self.known = frozenset(known_words) | frozenset(self.title_words)

    def correct_key(self, key: str) -> str | None:
        """The title word ``key`` (a word key: lower case, singular) misspells, or None: known, too short, no
        title word near enough, or two equally near."""
        if len(key) < MIN_LETTERS or not key.isalpha() or key in self.known:
            return None
        limit = 1 if len(key) <= ONE_EDIT_MAX else 2
        near = process.extract(key, self.title_words, scorer=OSA.distance, score_cutoff=limit, limit=3)
        if not near:
            return None
        best = min(d for _w, d, _i in near)
        closest = [w for w, d, _i in near if d == best]
        return closest[0] if len(closest) == 1 else None

    def corrections(self, text: str) -> dict[int, str]:
        """``{start of a word in text: the title word it misspells}``."""
        out = {}
        for w in words(text):
            fixed = self.correct_key(w.key)
            if fixed is not None:
                out[w.start] = fixed
        return out

    def correct_phrase(self, phrase: str, fixes: dict[int, str] | None = None) -> str | None:
        """``phrase`` with its misspelt title words corrected (word keys joined), or None when nothing changed;
        ``fixes``: its :meth:`corrections`, when the caller has them already."""
        fixes = self.corrections(phrase) if fixes is None else fixes
        if not fixes:
            return None
        return " ".join(fixes.get(w.start, w.key) for w in words(phrase))
