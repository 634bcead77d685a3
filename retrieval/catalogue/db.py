"""SQLite access for the catalogue: one connection helper, WAL, read-only opening for serving."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from retrieval.catalogue.errors import IngestError


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open the catalogue. Read-only connections never create or lock the file for writing."""
    if readonly:
        if not path.exists():
            raise FileNotFoundError(f"no catalogue at {path}; run `waypoint ingest` first")
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys=OFF")
    return conn


def insert_rows(conn: sqlite3.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Bulk insert; returns the row count. ``OR IGNORE`` keeps the first of duplicate keys."""
    sql = f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    before = conn.total_changes
    conn.executemany(sql, rows)
    return conn.total_changes - before


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


def related_occupations(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """O*NET's related occupations of each occupation, closest first (the skills graph, transition lists and
    career paths all read them in this order)."""
    out: dict[str, list[str]] = {}
    for oid, rid in conn.execute(
        "SELECT occupation_id, related_id FROM related_occupation ORDER BY occupation_id, rank"
    ):
        out.setdefault(oid, []).append(rid)
    return out


def table_counts(conn: sqlite3.Connection, tables: Sequence[str]) -> dict[str, int]:
    return {t: int(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in tables}


def require_catalogue(path: Path) -> sqlite3.Connection:
    """Read-only connection with a clear error when ingestion has not run yet."""
    try:
        return connect(path, readonly=True)
    except FileNotFoundError as exc:
        raise IngestError(str(exc)) from exc
