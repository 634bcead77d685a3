"""edX, Udemy and Coursera catalogues → one course table; Coursera skill tags → vocabulary ids."""

from __future__ import annotations

import re
import sqlite3

from retrieval.catalogue.db import insert_rows
from retrieval.catalogue.readers import read_table
from retrieval.catalogue.source import DataSource
from retrieval.catalogue.vocabulary import AliasIndex
from retrieval.text import clean_text, slugify

FILES = ["coursera_courses_2023.csv", "edx_courses.csv", "udemy_courses.csv"]
TABLES = ["course", "course_skill"]
_TAG = re.compile(r'"\s*([^"]+?)\s*"')


def parse_coursera_skills(text: str) -> list[str]:
    """``{" Python Programming"," SQL"}`` → ``["Python Programming", "SQL"]``."""
    tags = _TAG.findall(text) if '"' in text else text.strip("{} ").split(",")
    return [t.strip() for t in tags if t.strip()]


def _unique(prefix: str, title: str, seen: set[str]) -> str:
    base = f"{prefix}:{slugify(title)[:80] or 'course'}"
    cid, n = base, 2
    while cid in seen:
        cid, n = f"{base}-{n}", n + 1
    seen.add(cid)
    return cid


def _rating(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0.0 <= value <= 5.0 else None


def load(conn: sqlite3.Connection, source: DataSource) -> None:
    seen: set[str] = set()
    rows, links = [], []
    aliases = AliasIndex.from_db(conn)

    coursera_path = source.find("coursera_courses_2023.csv")
    coursera = read_table(
        coursera_path, ["partner", "course", "skills", "rating", "level", "certificatetype", "duration"]
    )
    for partner, title, skills, rating, level, cert, duration in coursera.itertuples(index=False):
        cid = _unique("course:coursera", f"{partner} {title}", seen)
        tags = parse_coursera_skills(skills)
        rows.append(
            (
                cid,
                "coursera",
                clean_text(title),
                "",
                level.strip(),
                "; ".join(tags),
                cert.strip(),
                _rating(rating),
                duration.strip(),
                "English",
                "",
                clean_text(partner),
            )
        )
        # (Coursera has no subject; its certificate type, e.g. "Professional Certificate", stands there.)
        for tag in tags:
            for skill_id in aliases.lookup(tag)[:1]:
                links.append((cid, skill_id, "catalogue", 1.0))

    edx_path = source.find("edx_courses.csv")
    edx = read_table(
        edx_path,
        [
            "title",
            "summary",
            "institution",
            "Level",
            "subject",
            "language",
            "course_length",
            "course_effort",
            "course_description",
            "course_url",
        ],
    )
    for r in edx.itertuples(index=False):
        cid = _unique("course:edx", r.title, seen)
        description = clean_text(f"{r.summary} {r.course_description}")
        duration = clean_text(f"{r.course_length}, {r.course_effort}".strip(", "))
        rows.append(
            (
                cid,
                "edx",
                clean_text(r.title),
                description,
                r.Level.strip(),
                "",
                r.subject.strip(),
                None,
                duration,
                r.language.strip(),
                r.course_url.strip(),
                clean_text(r.institution),
            )
        )

    udemy_path = source.find("udemy_courses.csv")
    udemy = read_table(udemy_path, ["course_id", "course_title", "url", "level", "content_duration", "subject"])
    for r in udemy.itertuples(index=False):
        cid = f"course:udemy:{r.course_id.strip()}"
        if cid in seen:
            continue
        seen.add(cid)
        rows.append(
            (
                cid,
                "udemy",
                clean_text(r.course_title),
                "",
                r.level.strip(),
                "",
                r.subject.strip(),
                None,
                f"{r.content_duration.strip()} hours" if r.content_duration.strip() else "",
                "English",
                r.url.strip(),
                "",
            )
        )

    insert_rows(
        conn,
        "course",
        [
            "id",
            "provider",
            "title",
            "description",
            "level",
            "skills",
            "subject",
            "rating",
            "duration",
            "language",
            "url",
            "partner",
        ],
        rows,
    )
    insert_rows(conn, "course_skill", ["course_id", "skill_id", "source", "confidence"], links)
