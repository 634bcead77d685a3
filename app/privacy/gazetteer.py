"""First-name gazetteer: the US Census 1990 first-name lists shipped by the ``names`` package (MIT).

Why this source: it installs from PyPI with no download at run time, it is small (about 5,000
names, loaded in a few milliseconds) and it is not what the privacy tests generate their synthetic
people from (they use Faker, whose lists come from other sources), so the tests measure the rules,
not a lookup of the generator's own list. Names that are also ordinary or career words ("Will",
"Grant", "Chase") are dropped here: a gazetteer hit alone never redacts, it only lets a following
capitalised surname be read as a name.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from importlib import resources

from app.privacy.vocab import AMBIGUOUS_FIRST_NAMES, CAREER_WORDS, FUNCTION_WORDS

log = logging.getLogger(__name__)

_FILES = ("dist.male.first", "dist.female.first")


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """Lower-cased first names that are not everyday words: the ones a gazetteer pair may start with."""
    return frozenset(
        n
        for n in listed_names()
        if len(n) > 1 and n not in FUNCTION_WORDS and n not in CAREER_WORDS and n not in AMBIGUOUS_FIRST_NAMES
    )


@lru_cache(maxsize=1)
def listed_names() -> frozenset[str]:
    """Every lower-cased first name of the lists ("will", "grace" included); empty (with one warning)
    when the ``names`` package is missing. Used only where a name context already holds."""
    out: set[str] = set()
    try:
        root = resources.files("names")
        for name in _FILES:
            for line in (root / name).read_text(encoding="utf-8").splitlines():
                if line.strip():
                    out.add(line.split()[0].lower())
    except (ModuleNotFoundError, FileNotFoundError, OSError) as exc:
        log.warning(
            "first-name gazetteer unavailable (%s: %s); name redaction uses context rules only", type(exc).__name__, exc
        )
        return frozenset()
    return frozenset(out)


def is_first_name(word: str) -> bool:
    return word.strip(".,;:'’").lower() in first_names()


def is_listed_name(word: str) -> bool:
    return word.strip(".,;:'’").lower() in listed_names()
