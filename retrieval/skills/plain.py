"""Plain words for long ESCO skill labels, from the catalogue's own shorter labels.

Why: ESCO's preferred labels are written for classifiers ("apply research ethics and scientific integrity
principles in research activities"); a person reads a gap list faster in shorter words. Only labels the
catalogue already has are used, never a paraphrase, and the original stays on the gap
(``MissingSkill.catalogue_label`` and ``requirement.label``) for verification:

* an **alternative label** of the same skill (ESCO ``altLabels``, ``skill_alias.source = 'esco_alt'``, or
  the label of a skill merged into it, ``'merged'``): "adhere to scientific research code of ethics";
* the preferred label of a **near-duplicate** skill: cosine of the embedding tagger's vectors ≥
  :data:`NEAR_DUPLICATE_COSINE` *and* every content word of the shorter label is a word of the long one
  (by its first :data:`STEM` letters), so "manage drilling contracts" may stand for "manage service
  contracts in the drilling industry" but "insert semen" never for "select semen for artificial
  insemination of animals" (0.88, a different act). Measured on the 1,070 ESCO skill labels of six or
  more words: cosine alone at 0.85 pairs 8 of them, several with a different skill.

A label is *long* from :data:`LONG_WORDS` words; a plainer label must have fewer words.
"""

from __future__ import annotations

import re

import numpy as np

from retrieval.artifacts import NotBuilt
from retrieval.settings import Settings
from retrieval.skills import base
from retrieval.skills.extract import get_extractor

#: Labels from this many words are long enough to look for plainer words.
LONG_WORDS = 5
#: Cosine from which a skill with a shorter label may be a near-duplicate (plus the word test).
NEAR_DUPLICATE_COSINE = 0.85
#: Letters compared when matching words ("maintain" ~ "maintenance").
STEM = 5
ALIAS_SOURCES = ("esco_alt", "merged")
_STOP = frozenset(
    {
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "to",
        "for",
        "and",
        "or",
        "with",
        "by",
        "at",
        "from",
        "as",
        "into",
        "its",
        "their",
        "related",
        "specific",
        "different",
        "out",
    }
)
_WORD = re.compile(r"[a-z0-9+#]+")


def _content(label: str) -> list[str]:
    return [w for w in _WORD.findall(label.lower()) if w not in _STOP]


def _stems(words: list[str]) -> set[str]:
    return {w[:STEM] for w in words}


def is_long(label: str) -> bool:
    return len(label.split()) >= LONG_WORDS


def _words_within(short: str, long: str) -> bool:
    """Every content word of ``short`` is (by stem) a word of ``long``."""
    words = _content(short)
    return bool(words) and _stems(words) <= _stems(_content(long))


def _alias_candidates(skill_id: str, label: str, settings: Settings | None) -> list[str]:
    conn = base.catalogue(settings)
    marks = ",".join("?" * len(ALIAS_SOURCES))
    rows = conn.execute(
        f"SELECT alias FROM skill_alias WHERE skill_id = ? AND source IN ({marks})", (skill_id, *ALIAS_SOURCES)
    ).fetchall()
    return [r[0] for r in rows if r[0].strip() and r[0].strip().lower() != label.lower()]


def _near_duplicates(skill_id: str, label: str, settings: Settings | None) -> list[str]:
    extractor = get_extractor(settings)
    try:
        matrix = extractor.skill_matrix()
    except (NotBuilt, OSError):
        return []
    ids = extractor.data.embedded_ids
    rows = base.memoised(
        settings, f"embedded-skill-rows:{extractor.data.fingerprint}", lambda: {s: i for i, s in enumerate(ids)}
    )
    row = rows.get(skill_id)
    if row is None:
        return []
    sims = matrix @ matrix[row]
    graph_labels = extractor.data.labels
    out = []
    for j in np.nonzero(sims >= NEAR_DUPLICATE_COSINE)[0]:
        other = ids[j]
        if other == skill_id or not other.startswith("esco:"):
            continue
        other_label = graph_labels.get(other, ("", ""))[0]
        if other_label and _words_within(other_label, label):
            out.append(other_label)
    return out


def plain_label(skill_id: str, label: str, settings: Settings | None = None, *, near_duplicates: bool = True) -> str:
    """The shortest of the catalogue's own plainer labels for a long ESCO label; ``label`` itself otherwise."""
    if not skill_id.startswith("esco:") or not is_long(label):
        return label
    n = len(label.split())
    candidates = [a for a in _alias_candidates(skill_id, label, settings) if len(a.split()) < n]
    if not candidates and near_duplicates:
        candidates = [c for c in _near_duplicates(skill_id, label, settings) if len(c.split()) < n]
    if not candidates:
        return label
    return min(candidates, key=lambda c: (len(c.split()), len(c), c))
