"""Résumé texts (Kaggle UpdatedResumeDataSet), de-duplicated: 962 rows hold only 166 distinct texts."""

from __future__ import annotations

import hashlib
import sqlite3

from retrieval.catalogue.db import insert_rows
from retrieval.catalogue.readers import read_table
from retrieval.catalogue.source import DataSource
from retrieval.text import clean_text

FILES = ["UpdatedResumeDataSet.csv"]
TABLES = ["resume"]


def load(conn: sqlite3.Connection, source: DataSource) -> None:
    path = source.find("UpdatedResumeDataSet.csv", required=False)
    if path is None:
        return
    frame = read_table(path, ["Category", "Resume"])
    rows, seen = [], set()
    for category, text in frame.itertuples(index=False):
        text = clean_text(text)
        rid = "resume:" + hashlib.sha1(text.encode()).hexdigest()[:12]
        if text and rid not in seen:
            seen.add(rid)
            rows.append((rid, category.strip(), text))
    insert_rows(conn, "resume", ["id", "category", "text"], rows)
