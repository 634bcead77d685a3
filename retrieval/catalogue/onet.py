"""O*NET 29.x text release → occupations, titles, tasks, ratings, technology skills, related occupations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from retrieval.catalogue.db import insert_rows
from retrieval.catalogue.errors import IngestError
from retrieval.catalogue.readers import read_table, to_float
from retrieval.catalogue.source import DataSource
from retrieval.text import clean_text, normalize_label, slugify

FILES = [
    "Occupation Data.txt",
    "Alternate Titles.txt",
    "Sample of Reported Titles.txt",
    "Task Statements.txt",
    "Skills.txt",
    "Knowledge.txt",
    "Technology Skills.txt",
    "Job Zones.txt",
    "Interests.txt",
    "Related Occupations.txt",
    "Content Model Reference.txt",
]
TABLES = ["occupation", "occupation_title", "task", "occupation_interest", "related_occupation"]
SOC = "O*NET-SOC Code"
RATING_COLUMNS = [SOC, "Element ID", "Element Name", "Scale ID", "Data Value", "Recommend Suppress", "Not Relevant"]


def tech_skill_id(label: str) -> str:
    return f"tech:{slugify(label)}"


def _tsv(source: DataSource, name: str, columns: list[str]) -> tuple[pd.DataFrame, Path]:
    path = source.find(name)
    return read_table(path, columns, tsv=True), path


def load(conn: sqlite3.Connection, source: DataSource) -> None:
    occ, path = _tsv(source, "Occupation Data.txt", [SOC, "Title", "Description"])
    zones, zpath = _tsv(source, "Job Zones.txt", [SOC, "Job Zone"])
    zone_of = dict(zip(zones[SOC], to_float(zones, "Job Zone", zpath)))
    known = set(occ[SOC])
    insert_rows(
        conn,
        "occupation",
        ["id", "taxonomy", "title", "description", "job_zone", "code"],
        (
            (
                code,
                "onet",
                clean_text(title),
                clean_text(desc),
                int(zone_of[code]) if code in zone_of and not np.isnan(zone_of[code]) else None,
                code,
            )
            for code, title, desc in occ[[SOC, "Title", "Description"]].itertuples(index=False)
        ),
    )

    def check_codes(frame: pd.DataFrame, column: str, where) -> None:
        unknown = ~frame[column].isin(known)
        if unknown.any():
            row = int(np.flatnonzero(unknown.to_numpy())[0])
            raise IngestError(f"unknown O*NET-SOC code {frame[column].iloc[row]!r}", where, line=row + 2)

    titles: list[tuple[str, str, str, str]] = [
        (c, clean_text(t), normalize_label(t), "primary") for c, t in zip(occ[SOC], occ["Title"])
    ]
    alt, apath = _tsv(source, "Alternate Titles.txt", [SOC, "Alternate Title", "Short Title"])
    check_codes(alt, SOC, apath)
    for code, title, short in alt.itertuples(index=False):
        titles.append((code, clean_text(title), normalize_label(title), "alternate"))
        if short.strip():
            titles.append((code, clean_text(short), normalize_label(short), "short"))
    reported, _ = _tsv(source, "Sample of Reported Titles.txt", [SOC, "Reported Job Title"])
    titles += [(c, clean_text(t), normalize_label(t), "reported") for c, t in reported.itertuples(index=False)]
    insert_rows(conn, "occupation_title", ["occupation_id", "title", "title_norm", "kind"], titles)

    tasks, tpath = _tsv(source, "Task Statements.txt", [SOC, "Task ID", "Task", "Task Type"])
    check_codes(tasks, SOC, tpath)
    insert_rows(
        conn,
        "task",
        ["occupation_id", "task_id", "text", "task_type"],
        ((c, i, clean_text(t), ty) for c, i, t, ty in tasks.itertuples(index=False)),
    )

    interests, ipath = _tsv(source, "Interests.txt", [SOC, "Element Name", "Scale ID", "Data Value"])
    interests = interests[interests["Scale ID"] == "OI"]
    values = to_float(interests, "Data Value", ipath)
    insert_rows(
        conn,
        "occupation_interest",
        ["occupation_id", "element", "value"],
        zip(interests[SOC], interests["Element Name"], values.tolist()),
    )

    related, rpath = _tsv(
        source, "Related Occupations.txt", [SOC, "Related O*NET-SOC Code", "Relatedness Tier", "Index"]
    )
    check_codes(related, SOC, rpath)
    check_codes(related, "Related O*NET-SOC Code", rpath)
    ranks = to_float(related, "Index", rpath, allow_empty=False).astype(int)
    insert_rows(
        conn,
        "related_occupation",
        ["occupation_id", "related_id", "tier", "rank"],
        zip(related[SOC], related["Related O*NET-SOC Code"], related["Relatedness Tier"], ranks.tolist()),
    )

    _load_ratings(conn, source, check_codes)
    _load_technology(conn, source, check_codes)


def _load_ratings(conn: sqlite3.Connection, source: DataSource, check_codes) -> None:
    """Skills and Knowledge: importance (IM 1–5) and level (LV 0–7), both scaled to 0..1."""
    reference, _ = _tsv(source, "Content Model Reference.txt", ["Element ID", "Element Name", "Description"])
    describe = dict(zip(reference["Element ID"], reference["Description"]))
    for name, kind in (("Skills.txt", "onet_skill"), ("Knowledge.txt", "onet_knowledge")):
        frame, path = _tsv(source, name, RATING_COLUMNS)
        check_codes(frame, SOC, path)
        frame = frame.assign(value=to_float(frame, "Data Value", path, allow_empty=False))
        frame = frame[frame["Recommend Suppress"].str.upper() != "Y"]
        elements = frame.drop_duplicates("Element ID")
        insert_rows(
            conn,
            "skill",
            ["id", "label", "kind", "source", "description", "canonical_id"],
            (
                (f"onet:{e}", n, kind, "onet", describe.get(e, ""), f"onet:{e}")
                for e, n in zip(elements["Element ID"], elements["Element Name"])
            ),
        )
        im = frame[frame["Scale ID"] == "IM"].set_index([SOC, "Element ID"])["value"]
        lv_rows = frame[(frame["Scale ID"] == "LV") & (frame["Not Relevant"].str.upper() != "Y")]
        lv = lv_rows.set_index([SOC, "Element ID"])["value"]
        joined = pd.concat([(im - 1.0) / 4.0, lv / 7.0], axis=1, keys=["im", "lv"]).reset_index()
        joined = joined.dropna(subset=["im"])
        insert_rows(
            conn,
            "occupation_skill",
            ["occupation_id", "skill_id", "relation", "importance", "level"],
            (
                (c, f"onet:{e}", "rated", float(i), None if np.isnan(l) else float(l))
                for c, e, i, l in joined[[SOC, "Element ID", "im", "lv"]].itertuples(index=False)
            ),
        )


def _load_technology(conn: sqlite3.Connection, source: DataSource, check_codes) -> None:
    frame, path = _tsv(
        source, "Technology Skills.txt", [SOC, "Example", "Commodity Title", "Hot Technology", "In Demand"]
    )
    check_codes(frame, SOC, path)
    frame = frame.assign(
        label=frame["Example"].map(clean_text),
        hot=(frame["Hot Technology"].str.upper() == "Y").astype(int),
        demand=(frame["In Demand"].str.upper() == "Y").astype(int),
    )
    frame = frame[frame["label"] != ""]
    frame = frame.assign(skill_id=frame["label"].map(tech_skill_id))
    skills = frame.groupby("skill_id").agg(
        label=("label", "first"), category=("Commodity Title", "first"), hot=("hot", "max")
    )
    insert_rows(
        conn,
        "skill",
        ["id", "label", "kind", "source", "category", "hot", "canonical_id"],
        ((sid, r.label, "technology", "onet", r.category, int(r.hot), sid) for sid, r in skills.iterrows()),
    )
    edges = frame.groupby([SOC, "skill_id"]).agg(hot=("hot", "max"), demand=("demand", "max")).reset_index()
    insert_rows(
        conn,
        "occupation_skill",
        ["occupation_id", "skill_id", "relation", "importance", "hot", "in_demand"],
        ((c, s, "technology", None, int(h), int(d)) for c, s, h, d in edges.itertuples(index=False)),
    )
