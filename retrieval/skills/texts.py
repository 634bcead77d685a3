"""The exact texts that get embedded for skills and occupations.

They live in one place because the embedding cache is keyed by the text's SHA-1: if the ESCO map,
``skills_for_query`` and the embedding tagger all build their texts here, a vector computed once is
reused by all of them (and by a precompute job) instead of being re-encoded with a one-character
difference.
"""

from __future__ import annotations

import sqlite3

#: Bump when a text format below changes: cached vector files carry it in their names.
TEXTS_VERSION = "1"

#: Skill kinds the embedding tagger looks at. Technology skills are matched by alias only (their
#: labels are product names, and "similar meaning" is not evidence that someone used a product), and
#: so are ESCO knowledge items (topic nouns — "anatomy", "C++" — which texts name rather than describe).
#: ESCO skills are activities ("educate patients on disease prevention") that texts describe in many
#: ways: that is where meaning-based tagging earns its cost.
EMBEDDED_SKILL_KINDS = ("esco_skill", "onet_skill", "onet_knowledge")


def first_sentence(text: str, limit: int = 160) -> str:
    """The first sentence of a description, capped: enough to disambiguate a label, cheap to encode."""
    text = (text or "").strip()
    cut = text.find(". ")
    if cut > 0:
        text = text[: cut + 1]
    return text[:limit]


def skill_text(label: str, description: str) -> str:
    """``label: first sentence of description`` — what sentences of a résumé are compared with."""
    sentence = first_sentence(description)
    return f"{label}: {sentence}" if sentence else label


def occupation_text(title: str, description: str) -> str:
    """``title. description`` — the occupation text for the ESCO map and ``skills_for_query``."""
    description = (description or "").strip()
    return f"{title}. {description[:600]}" if description else title


def embedded_skills(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """(id, label, text) of the canonical skills the embedding tagger covers, in a stable order."""
    marks = ",".join("?" * len(EMBEDDED_SKILL_KINDS))
    rows = conn.execute(
        f"SELECT id, label, description FROM skill WHERE kind IN ({marks}) AND canonical_id = id ORDER BY id",
        EMBEDDED_SKILL_KINDS,
    ).fetchall()
    return [(r[0], r[1], skill_text(r[1], r[2])) for r in rows]


def occupations(conn: sqlite3.Connection) -> list[tuple[str, str, str, str]]:
    """(id, taxonomy, title, text) of every occupation, in a stable order."""
    rows = conn.execute("SELECT id, taxonomy, title, description FROM occupation ORDER BY id").fetchall()
    return [(r[0], r[1], r[2], occupation_text(r[2], r[3])) for r in rows]
