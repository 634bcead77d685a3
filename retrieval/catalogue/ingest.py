"""Build the catalogue: staged, resumable, transactional, and swapped in atomically.

The catalogue is built in ``catalogue.sqlite.building`` beside the live file. Each stage runs in
one transaction and records a fingerprint chained from the previous stage's fingerprint and its own
input files, so a crash or a bad file stops the build without touching the live catalogue, and the
next run resumes after the last completed stage. When every stage is done the staging file replaces
the live one with ``os.replace`` (atomic on POSIX). A run whose inputs and code are unchanged does
nothing at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from retrieval.catalogue import courses, esco, jobs, onet, resumes, vocabulary
from retrieval.catalogue.db import connect, get_meta, set_meta, table_counts
from retrieval.catalogue.errors import IngestError
from retrieval.catalogue.schema import DDL, SCHEMA_VERSION, TABLES
from retrieval.catalogue.source import DataSource, resolve_source
from retrieval.settings import Settings, get_settings

# Bump when loader code changes what lands in the catalogue, so old builds are not reused.
LOADER_VERSION = "2026-12-05.1"  # ftfy repairs mojibake (retrieval/text.clean_text)


@dataclass(frozen=True)
class Stage:
    name: str
    files: list[str]
    run: Callable[[sqlite3.Connection, DataSource], object]
    optional_files: bool = False


STAGES = [
    Stage("onet", onet.FILES, onet.load),
    Stage("esco", esco.FILES, esco.load, optional_files=True),
    Stage("vocabulary", [], lambda conn, _src: vocabulary.build(conn)),
    Stage("courses", courses.FILES, courses.load),
    Stage("job_postings", jobs.POSTING_FILES, jobs.load_postings),
    Stage("job_views", jobs.LOG_FILES, jobs.load_log),
    Stage("resumes", resumes.FILES, resumes.load, optional_files=True),
]


@dataclass
class IngestReport:
    path: Path
    changed: bool
    seconds: float
    counts: dict[str, int]
    resumed_from: str | None = None

    def as_dict(self) -> dict:
        return {
            "catalogue": str(self.path),
            "changed": self.changed,
            "seconds": round(self.seconds, 2),
            "resumed_after": self.resumed_from,
            "counts": self.counts,
        }


def _stage_fingerprints(source: DataSource) -> list[str]:
    chain, previous = [], f"{SCHEMA_VERSION}:{LOADER_VERSION}"
    for stage in STAGES:
        paths = [p for p in (source.find(f, required=not stage.optional_files) for f in stage.files) if p is not None]
        if stage.optional_files and stage.files and not paths:
            raise IngestError(f"none of the files of stage {stage.name!r} found: {stage.files}")
        own = source.fingerprint(paths) if paths else ""
        previous = hashlib.sha256(f"{previous}|{stage.name}|{own}".encode()).hexdigest()
        chain.append(previous)
    return chain


def _required_files_check(source: DataSource) -> None:
    """Fail before any work when a required file is missing, naming it."""
    for stage in STAGES:
        if not stage.optional_files:
            for name in stage.files:
                source.find(name)


def ingest(
    data: str | Path | None = None, settings: Settings | None = None, *, force: bool = False, show_progress: bool = True
) -> IngestReport:
    """Build or refresh the catalogue under ``settings.home``; raises :class:`IngestError` on bad input."""
    settings = settings or get_settings()
    started = time.perf_counter()
    home = Path(settings.home)
    home.mkdir(parents=True, exist_ok=True)
    source = resolve_source(data if data is not None else settings.data, home)
    _required_files_check(source)
    chain = _stage_fingerprints(source)
    live = settings.catalogue_path

    if live.exists() and not force:
        with sqlite3.connect(f"file:{live}?mode=ro", uri=True) as conn:
            if get_meta(conn, "fingerprint") == chain[-1]:
                counts = table_counts(conn, TABLES)
                return IngestReport(live, False, time.perf_counter() - started, counts)

    staging = live.with_name(live.name + ".building")
    conn = connect(staging)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.executescript(DDL)
    conn.execute("CREATE TABLE IF NOT EXISTS _ingest_stage (position INTEGER PRIMARY KEY, name TEXT, fingerprint TEXT)")
    recorded = [r[0] for r in conn.execute("SELECT fingerprint FROM _ingest_stage ORDER BY position")]
    if force or recorded != chain[: len(recorded)]:
        conn.close()
        staging.unlink(missing_ok=True)
        conn = connect(staging)
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.executescript(DDL)
        conn.execute("CREATE TABLE _ingest_stage (position INTEGER PRIMARY KEY, name TEXT, fingerprint TEXT)")
        recorded = []
    resumed_from = STAGES[len(recorded) - 1].name if recorded else None

    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    ]
    try:
        with Progress(*columns, disable=not show_progress, transient=False) as progress:
            task = progress.add_task("ingest", total=len(STAGES), completed=len(recorded))
            for position, stage in enumerate(STAGES):
                if position < len(recorded):
                    continue
                progress.update(task, description=f"ingest: {stage.name}")
                with conn:  # one transaction per stage
                    stats = stage.run(conn, source)
                    if isinstance(stats, dict):
                        for key, value in stats.items():
                            set_meta(conn, f"stats.{key}", str(value))
                    conn.execute("INSERT INTO _ingest_stage VALUES (?, ?, ?)", (position, stage.name, chain[position]))
                progress.advance(task)
            progress.update(task, description="ingest: finalising")
        with conn:
            conn.execute("DROP TABLE IF EXISTS esco_alt")
            counts = table_counts(conn, TABLES)
            set_meta(conn, "fingerprint", chain[-1])
            set_meta(conn, "schema_version", str(SCHEMA_VERSION))
            set_meta(conn, "loader_version", LOADER_VERSION)
            set_meta(conn, "sources", json.dumps([str(r) for r in source.roots]))
            set_meta(conn, "built_at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            set_meta(conn, "counts", json.dumps(counts))
        conn.execute("ANALYZE")
    finally:
        conn.close()
    os.replace(staging, live)
    _fsync_dir(live.parent)
    return IngestReport(live, True, time.perf_counter() - started, counts, resumed_from)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
