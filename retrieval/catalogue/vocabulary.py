"""One skill vocabulary across O*NET elements, O*NET technology skills and ESCO skills.

Built after O*NET and ESCO are loaded:

* every skill's label, ESCO alternative labels, acronyms written after a name
  ("Structured query language SQL" → "sql"), vendor-less product names ("Oracle Java" → "java")
  and a short curated list (``CURATED_ALIASES``) become aliases;
* a technology skill whose label (or acronym/vendor-less alias) equals an ESCO skill's label is
  merged into that ESCO skill (``canonical_id``), and its occupation links are rewritten, so that
  "JavaScript" from O*NET and "JavaScript" from ESCO are one id everywhere downstream.

O*NET's 35 skill and 33 knowledge elements are never merged: they are rated dimensions
that the recommender uses as vectors, not free-standing skills.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable

from retrieval.catalogue.db import insert_rows
from retrieval.text import normalize_label

TABLES = ["skill_alias"]

# alias → the catalogue label it stands for (looked up among canonical skills by normalised label).
CURATED_ALIASES: dict[str, str] = {
    "js": "JavaScript",
    "ecmascript": "JavaScript",
    "ts": "TypeScript",
    "py": "Python",
    "python3": "Python",
    "golang": "Go",
    "k8s": "Kubernetes",
    "postgres": "PostgreSQL",
    "ms excel": "Microsoft Excel",
    "excel": "Microsoft Excel",
    "ms word": "Microsoft Word",
    "powerpoint": "Microsoft PowerPoint",
    "ms office": "Microsoft Office software",
    "ml": "machine learning",
    "ai": "artificial intelligence",
    "nlp": "natural language processing",
    "amazon web services": "Amazon Web Services AWS software",
    "aws": "Amazon Web Services AWS software",
    "gcp": "Google Cloud software",
    "sklearn": "scikit-learn",
    "tf": "TensorFlow",
    "reactjs": "React",
    "react.js": "React",
    "nodejs": "Node.js",
    "cpr": "cardiopulmonary resuscitation",
    "java script": "JavaScript",
    "angularjs": "Angular",
    "angular.js": "Angular",
    "rest api": "RESTful API",
    "rest apis": "RESTful API",
    "restful apis": "RESTful API",
    "SEO": "search engine optimisation",
    "scrum": "Agile project management",
    "hdfs": "Hadoop",
    "j2ee": "Oracle Java 2 Platform Enterprise Edition J2EE",
    # Retail: "POS" at a till. Ambiguous (proof of stake, part of speech), so the extractor wants a retail
    # word nearby (retrieval.skills.extract.ACRONYM_CUES).
    "POS": "operate cash register",
    "point of sale": "operate cash register",
    "point-of-sale": "operate cash register",
}

VENDORS = {
    "microsoft",
    "oracle",
    "adobe",
    "ibm",
    "apache",
    "google",
    "sap",
    "autodesk",
    "amazon",
    "apple",
    "red hat",
    "cisco",
    "intuit",
    "salesforce",
    "atlassian",
    "vmware",
    "the mathworks",
    "sas",
    "ptc",
}
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]{1,6}$")
_PRIORITY = {"esco": 0, "onet": 1}
_QUALIFIER = re.compile(r"\s*\([^)]*\)\s*$")


def _expands(acronym: str, words: list[str]) -> bool:
    """True if ``acronym`` abbreviates the last few ``words`` ("Structured query language" → SQL)."""
    letters = acronym.lower()
    for k in range(2, min(len(words), len(letters) + 1) + 1):
        phrase = words[-k:]
        if phrase[0][:1].lower() != letters[0]:
            continue
        joined, pos = "".join(phrase).lower(), 0
        for letter in letters:
            pos = joined.find(letter, pos) + 1
            if pos == 0:
                break
        else:
            return True
    return False


def derived_aliases(label: str) -> list[tuple[str, str]]:
    """(alias, source) pairs implied by the way a label is written."""
    out: list[tuple[str, str]] = []
    words = label.split()
    if len(words) >= 3 and _ACRONYM.match(words[-1]) and _expands(words[-1], words[:-1]):
        out.append((words[-1], "acronym"))
        out.append((" ".join(words[:-1]), "acronym"))
    qualifier = _QUALIFIER.search(label)
    if qualifier and qualifier.start() > 0:
        out.append((label[: qualifier.start()].strip(), "qualifier"))
    lowered = label.lower()
    for vendor in VENDORS:
        if lowered.startswith(vendor + " "):
            rest = label[len(vendor) + 1 :].strip()
            if len(rest) >= 2 and not rest.lower().startswith(("software", "system")):
                out.append((rest, "vendor"))
    return out


def build(conn: sqlite3.Connection) -> dict[str, int]:
    """Create aliases and merge equal technology/ESCO skills; returns counts for the ingest report."""
    skills = conn.execute("SELECT id, label, kind, source FROM skill").fetchall()
    esco_alt = conn.execute("SELECT skill_id, alias FROM esco_alt").fetchall() if _has_table(conn, "esco_alt") else []

    # 1) Merge technology skills into ESCO skills with the same label or implied alias.
    esco_by_label: dict[str, str] = {}
    esco_exact: dict[str, str] = {}  # case-sensitive, for vendor-less names ("Cisco IOS" is not "iOS")
    for sid, label, kind, source in skills:
        if source == "esco" and kind != "esco_group":
            esco_by_label.setdefault(normalize_label(label), sid)
            esco_exact.setdefault(_QUALIFIER.sub("", label).strip(), sid)
    for sid, label, kind, source in skills:  # "Python (computer programming)" also answers to "python"
        if source == "esco" and kind != "esco_group" and _QUALIFIER.search(label):
            esco_by_label.setdefault(normalize_label(_QUALIFIER.sub("", label)), sid)
    canonical: dict[str, str] = {}
    for sid, label, kind, _source in skills:
        if kind != "technology":
            continue
        derived = derived_aliases(label)
        matches = [esco_by_label.get(normalize_label(label))]
        matches += [esco_by_label.get(normalize_label(a)) for a, src in derived if src != "vendor"]
        matches += [esco_exact.get(a) for a, src in derived if src == "vendor"]
        match = next((m for m in matches if m), None)
        if match:
            canonical[sid] = match
    if canonical:
        conn.executemany("UPDATE skill SET canonical_id = ? WHERE id = ?", [(c, s) for s, c in canonical.items()])
        _rewrite_links(conn, canonical)

    # 2) Aliases, always pointing at canonical ids.
    rows: dict[tuple[str, str], tuple[str, str]] = {}

    def add(alias: str, skill_id: str, source: str) -> None:
        norm = normalize_label(alias)
        if norm and (norm, skill_id) not in rows:
            rows[(norm, skill_id)] = (alias, source)

    for sid, label, _kind, _source in skills:
        target = canonical.get(sid, sid)
        add(label, target, "label" if target == sid else "merged")
        for alias, source in derived_aliases(label):
            add(alias, target, source)
    for sid, alias in esco_alt:
        add(alias, sid, "esco_alt")
    label_index = _label_index((sid, label) for sid, label, _k, _s in skills if canonical.get(sid, sid) == sid)
    for alias, target_label in CURATED_ALIASES.items():
        for target in label_index.get(normalize_label(target_label), []):
            add(alias, target, "curated")
    insert_rows(
        conn,
        "skill_alias",
        ["alias_norm", "alias", "skill_id", "source"],
        ((norm, alias, sid, source) for (norm, sid), (alias, source) in rows.items()),
    )
    return {"merged_technology_skills": len(canonical), "aliases": len(rows)}


def _label_index(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = defaultdict(list)
    for sid, label in pairs:
        index[normalize_label(label)].append(sid)
    return index


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM sqlite_temp_master WHERE name = ? UNION SELECT 1 FROM sqlite_master WHERE name = ?",
            (name, name),
        ).fetchone()
        is not None
    )


def _rewrite_links(conn: sqlite3.Connection, canonical: dict[str, str]) -> None:
    """Point occupation links of merged skills at the canonical id, keeping the strongest link."""
    conn.execute("CREATE TEMP TABLE merge_map (skill_id TEXT PRIMARY KEY, canonical_id TEXT)")
    insert_rows(conn, "merge_map", ["skill_id", "canonical_id"], canonical.items())
    conn.execute(
        """
        INSERT OR IGNORE INTO occupation_skill (occupation_id, skill_id, relation, importance, level, hot, in_demand)
        SELECT os.occupation_id, m.canonical_id, os.relation, os.importance, os.level, os.hot, os.in_demand
        FROM occupation_skill os JOIN merge_map m ON m.skill_id = os.skill_id
        """
    )
    conn.execute("DELETE FROM occupation_skill WHERE skill_id IN (SELECT skill_id FROM merge_map)")
    conn.execute(
        """
        UPDATE skill SET hot = 1
        WHERE id IN (SELECT m.canonical_id FROM merge_map m JOIN skill s ON s.id = m.skill_id WHERE s.hot = 1)
        """
    )
    conn.execute("DROP TABLE merge_map")


class AliasIndex:
    """In-memory alias → canonical skill ids, ordered by preference (exact labels, ESCO, hot skills)."""

    def __init__(self, entries: dict[str, list[str]]):
        self._entries = entries

    @classmethod
    def from_db(cls, conn: sqlite3.Connection) -> AliasIndex:
        rows = conn.execute(
            """
            SELECT a.alias_norm, a.skill_id, a.source, s.source AS skill_source, s.hot
            FROM skill_alias a JOIN skill s ON s.id = a.skill_id
            WHERE s.kind != 'esco_group'
            """
        ).fetchall()
        grouped: dict[str, list[tuple]] = defaultdict(list)
        for norm, sid, source, skill_source, hot in rows:
            rank = (0 if source in ("label", "merged") else 1, _PRIORITY.get(skill_source, 2), -int(hot), sid)
            grouped[norm].append((rank, sid))
        return cls({k: [sid for _r, sid in sorted(v)] for k, v in grouped.items()})

    def lookup(self, text: str) -> list[str]:
        """Canonical skill ids for an alias, best first; empty when unknown."""
        return list(self._entries.get(normalize_label(text), []))

    def __contains__(self, text: str) -> bool:
        return normalize_label(text) in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def keys(self) -> Iterable[str]:
        return self._entries.keys()
