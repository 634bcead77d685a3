"""ESCO 1.2 CSV download → ISCO groups, occupations, skills, hierarchy, relations.

Accepts the official ``skills_en.csv`` / ``occupationSkillRelations_en.csv`` or the reconstructed
files in ``../shared/data/esco/derived`` (same URIs, fewer columns).
"""

from __future__ import annotations

import sqlite3

import pandas as pd

from retrieval.catalogue.db import insert_rows
from retrieval.catalogue.readers import read_table
from retrieval.catalogue.source import DataSource
from retrieval.text import clean_text, normalize_label

FILES = [
    "ISCOGroups_en.csv",
    "occupations_en.csv",
    "skills_en.csv",
    "skills_en.reconstructed.csv",
    "skillGroups_en.csv",
    "broaderRelationsSkillPillar_en.csv",
    "skillSkillRelations_en.csv",
    "occupationSkillRelations_en.csv",
    "occupationSkillRelations_en.reconstructed.csv",
    "digitalSkillsCollection_en.csv",
    "transversalSkillsCollection_en.csv",
    "languageSkillsCollection_en.csv",
    "greenSkillsCollection_en.csv",
    "researchSkillsCollection_en.csv",
    "digCompSkillsCollection_en.csv",
]
COLLECTIONS = FILES[9:]
TABLES = ["isco_group"]
_PREFIX = "http://data.europa.eu/esco/"


def esco_id(uri: str) -> str:
    """``http://data.europa.eu/esco/skill/<uuid>`` → ``esco:skill:<uuid>`` (stable, readable)."""
    uri = uri.strip()
    tail = uri[len(_PREFIX) :] if uri.startswith(_PREFIX) else uri
    return "esco:" + tail.replace("/", ":")


def _split_labels(text: str) -> list[str]:
    parts = text.replace(" | ", "\n").split("\n")
    return [p.strip() for p in parts if p.strip()]


def load(conn: sqlite3.Connection, source: DataSource) -> None:
    isco_path = source.find("ISCOGroups_en.csv")
    isco = read_table(isco_path, ["code", "preferredLabel", "description"])
    insert_rows(
        conn,
        "isco_group",
        ["code", "label", "description"],
        ((c, clean_text(l), clean_text(d)) for c, l, d in isco.itertuples(index=False)),
    )

    occ_path = source.find("occupations_en.csv")
    occ = read_table(occ_path, ["conceptUri", "iscoGroup", "preferredLabel", "altLabels", "description", "code"])
    insert_rows(
        conn,
        "occupation",
        ["id", "taxonomy", "title", "description", "isco_code", "code"],
        ((esco_id(u), "esco", clean_text(l), clean_text(d), g, c) for u, g, l, _a, d, c in occ.itertuples(index=False)),
    )
    titles = []
    for uri, label, alts in occ[["conceptUri", "preferredLabel", "altLabels"]].itertuples(index=False):
        titles.append((esco_id(uri), clean_text(label), normalize_label(label), "primary"))
        titles += [(esco_id(uri), a, normalize_label(a), "esco_alt") for a in _split_labels(alts)]
    insert_rows(conn, "occupation_title", ["occupation_id", "title", "title_norm", "kind"], titles)

    _load_skills(conn, source)

    rel_path = source.find("occupationSkillRelations_en.csv", "occupationSkillRelations_en.reconstructed.csv")
    rel = read_table(rel_path, ["occupationUri", "relationType", "skillUri"])
    weight = {"essential": 1.0, "optional": 0.5}
    insert_rows(
        conn,
        "occupation_skill",
        ["occupation_id", "skill_id", "relation", "importance"],
        ((esco_id(o), esco_id(s), r, weight.get(r, 0.5)) for o, r, s in rel.itertuples(index=False)),
    )


def _load_skills(conn: sqlite3.Connection, source: DataSource) -> None:
    path = source.find("skills_en.csv", "skills_en.reconstructed.csv")
    header = pd.read_csv(path, nrows=0).columns
    official = "altLabels" in header
    cols = ["conceptUri", "preferredLabel"] + (
        ["skillType", "altLabels", "description"] if official else ["labelsAndDescription"]
    )
    skills = read_table(path, cols)

    # Skill type and alternative labels come from the official file, else from the collections.
    types: dict[str, str] = {}
    alts: dict[str, list[str]] = {}
    descriptions: dict[str, str] = {}
    for name in COLLECTIONS:
        cpath = source.find(name, required=False)
        if cpath is None:
            continue
        coll = read_table(cpath, ["conceptUri", "skillType", "altLabels", "description"])
        for uri, stype, alt, desc in coll.itertuples(index=False):
            types.setdefault(uri, stype)
            alts.setdefault(uri, _split_labels(alt))
            descriptions.setdefault(uri, desc)
    relations_path = source.find("skillSkillRelations_en.csv")
    relations = read_table(
        relations_path, ["originalSkillUri", "originalSkillType", "relationType", "relatedSkillType", "relatedSkillUri"]
    )
    for uri, stype in zip(relations["originalSkillUri"], relations["originalSkillType"]):
        types.setdefault(uri, stype)
    for uri, stype in zip(relations["relatedSkillUri"], relations["relatedSkillType"]):
        types.setdefault(uri, stype)

    rows, alias_rows = [], []
    for record in skills.itertuples(index=False):
        uri, label = record.conceptUri, clean_text(record.preferredLabel)
        if official:
            stype, alt_list, desc = record.skillType, _split_labels(record.altLabels), record.description
        else:
            stype, alt_list = types.get(uri, ""), alts.get(uri, [])
            desc = descriptions.get(uri) or _description_from_blob(record.labelsAndDescription, label, alt_list)
        kind = "esco_knowledge" if stype == "knowledge" else "esco_skill"
        sid = esco_id(uri)
        rows.append((sid, label, kind, "esco", clean_text(desc), stype, sid))
        alias_rows += [(sid, a) for a in alt_list]
    insert_rows(conn, "skill", ["id", "label", "kind", "source", "description", "category", "canonical_id"], rows)
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS esco_alt (skill_id TEXT, alias TEXT)")
    conn.execute("DELETE FROM esco_alt")
    insert_rows(conn, "esco_alt", ["skill_id", "alias"], alias_rows)

    groups_path = source.find("skillGroups_en.csv")
    groups = read_table(groups_path, ["conceptUri", "preferredLabel", "description"])
    insert_rows(
        conn,
        "skill",
        ["id", "label", "kind", "source", "description", "canonical_id"],
        (
            (esco_id(u), clean_text(l), "esco_group", "esco", clean_text(d), esco_id(u))
            for u, l, d in groups.itertuples(index=False)
        ),
    )

    broader_path = source.find("broaderRelationsSkillPillar_en.csv")
    broader = read_table(broader_path, ["conceptUri", "broaderUri"])
    insert_rows(
        conn,
        "skill_relation",
        ["skill_id", "related_id", "relation"],
        ((esco_id(c), esco_id(b), "broader") for c, b in broader.itertuples(index=False)),
    )
    insert_rows(
        conn,
        "skill_relation",
        ["skill_id", "related_id", "relation"],
        ((esco_id(o), esco_id(r), t) for o, _ot, t, _rt, r in relations.itertuples(index=False)),
    )


def _description_from_blob(blob: str, label: str, alts: list[str]) -> str:
    """The reconstructed file concatenates label, alt labels and description; strip the known labels.

    Where the alternative labels are unknown they stay in front of the description; that text is
    still useful for retrieval, which is all the description is used for.
    """
    text = blob.strip()
    for part in [label, *alts]:
        if part and text.startswith(part):
            text = text[len(part) :].lstrip()
    return text
