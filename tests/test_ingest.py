"""Ingestion on the real data: counts against the sources, known records, aliases.

Bad input and resume run on the synthetic data (tests/synthetic_catalogue.py, unit tier): they test the
loader's mechanics, which do not depend on which rows the files hold."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from retrieval.catalogue.errors import IngestError
from retrieval.catalogue.ingest import ingest
from retrieval.catalogue.vocabulary import AliasIndex
from retrieval.settings import Settings
from retrieval.text import clean_text


def _tsv_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def _csv_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _count(conn, sql: str, *args) -> int:
    return int(conn.execute(sql, args).fetchone()[0])


def test_counts_match_sources(catalogue, data_dir):
    onet = data_dir / "onet"
    assert _count(catalogue, "SELECT COUNT(*) FROM occupation WHERE taxonomy='onet'") == len(
        _tsv_rows(onet / "Occupation Data.txt")
    )
    assert _count(catalogue, "SELECT COUNT(*) FROM task") == len(_tsv_rows(onet / "Task Statements.txt"))
    related = _tsv_rows(onet / "Related Occupations.txt")
    assert _count(catalogue, "SELECT COUNT(*) FROM related_occupation") == len(related)
    assert _count(catalogue, "SELECT COUNT(*) FROM occupation WHERE taxonomy='esco'") == len(
        _csv_rows(data_dir / "esco" / "occupations_en.csv")
    )
    esco_skills = _csv_rows(data_dir / "esco" / "derived" / "skills_en.reconstructed.csv")
    assert _count(catalogue, "SELECT COUNT(*) FROM skill WHERE source='esco' AND kind!='esco_group'") == len(
        esco_skills
    )
    # as the loader cleans them: "Tradesman&apos;s Software Master Estimator" is "Tradesman's ..." (ftfy)
    tech = {clean_text(r["Example"]) for r in _tsv_rows(onet / "Technology Skills.txt")}
    assert _count(catalogue, "SELECT COUNT(*) FROM skill WHERE kind='technology'") == len(tech)
    courses = data_dir / "courses"
    expected_courses = (
        len(_csv_rows(courses / "coursera_courses_2023.csv"))
        + len(_csv_rows(courses / "edx_courses.csv"))
        + len({r["course_id"] for r in _csv_rows(courses / "udemy_courses.csv")})
    )
    assert _count(catalogue, "SELECT COUNT(*) FROM course") == expected_courses
    views = _csv_rows(data_dir / "interactions" / "Job_Views.csv")
    assert _count(catalogue, "SELECT COUNT(*) FROM job_view") == len(views)
    assert _count(catalogue, "SELECT COUNT(*) FROM job") == len({r["Job.ID"] for r in views})
    resumes = {r["Resume"] for r in _csv_rows(data_dir / "resumes" / "UpdatedResumeDataSet.csv")}
    assert _count(catalogue, "SELECT COUNT(*) FROM resume") == len(resumes)


def test_registered_nurses(catalogue):
    row = catalogue.execute("SELECT title, job_zone FROM occupation WHERE id='29-1141.00'").fetchone()
    assert row["title"] == "Registered Nurses" and row["job_zone"] == 4  # per Job Zones.txt
    tasks = [r[0] for r in catalogue.execute("SELECT text FROM task WHERE occupation_id='29-1141.00'")]
    assert len(tasks) > 15 and any("patient" in t.lower() for t in tasks)
    skills = dict(
        catalogue.execute(
            "SELECT s.label, os.importance FROM occupation_skill os JOIN skill s ON s.id=os.skill_id "
            "WHERE os.occupation_id='29-1141.00' AND os.relation='rated'"
        ).fetchall()
    )
    assert 0.5 < skills["Active Listening"] <= 1.0 and "Medicine and Dentistry" in skills
    tech = [
        r[0]
        for r in catalogue.execute(
            "SELECT s.label FROM occupation_skill os JOIN skill s ON s.id=os.skill_id "
            "WHERE os.occupation_id='29-1141.00' AND os.relation='technology'"
        )
    ]
    assert any("Microsoft" in t or "Excel" in t for t in tech)
    titles = {
        r[0] for r in catalogue.execute("SELECT title_norm FROM occupation_title WHERE occupation_id='29-1141.00'")
    }
    assert "rn" in titles


def test_related_occupations_tiers(catalogue):
    rows = catalogue.execute("SELECT tier, COUNT(*) FROM related_occupation GROUP BY tier").fetchall()
    tiers = dict(rows)
    assert set(tiers) == {"Primary-Short", "Primary-Long", "Supplemental"}
    assert tiers["Supplemental"] == 2 * tiers["Primary-Short"]


def test_esco_occupation_essential_skills(catalogue):
    occ = catalogue.execute(
        "SELECT id FROM occupation WHERE taxonomy='esco' AND title='artificial intelligence engineer'"
    ).fetchone()
    assert occ is not None
    skills = {
        r[0]
        for r in catalogue.execute(
            "SELECT s.label FROM occupation_skill os JOIN skill s ON s.id=os.skill_id "
            "WHERE os.occupation_id=? AND os.relation='essential'",
            (occ[0],),
        )
    }
    assert "computer programming" in skills


def test_vocabulary_resolves_aliases(catalogue):
    index = AliasIndex.from_db(catalogue)
    js, javascript = index.lookup("JS"), index.lookup("JavaScript")
    assert js and javascript and js[0] == javascript[0]
    # O*NET's "Python" technology skill and ESCO's "Python (computer programming)" are one id.
    python = index.lookup("python")[0]
    assert python.startswith("esco:skill:")
    assert _count(catalogue, "SELECT COUNT(*) FROM skill WHERE id='tech:python' AND canonical_id=?", python) == 1
    # ... and occupation links were rewritten onto the canonical id.
    assert _count(catalogue, "SELECT COUNT(*) FROM occupation_skill WHERE skill_id='tech:python'") == 0
    assert (
        _count(catalogue, "SELECT COUNT(*) FROM occupation_skill WHERE skill_id=? AND relation='technology'", python)
        > 10
    )
    assert index.lookup("Structured query language SQL")[0] == index.lookup("SQL")[0]
    assert index.lookup("no such skill at all") == []


def test_second_run_changes_nothing(settings, data_dir):
    before = settings.catalogue_path.stat().st_mtime_ns
    report = ingest(str(data_dir), settings, show_progress=False)
    assert report.changed is False
    assert settings.catalogue_path.stat().st_mtime_ns == before


def _mirror(source: Path, target: Path) -> Path:
    """Copy of a data tree made of symlinks, so single files can be replaced cheaply."""
    for path in source.rglob("*"):
        if path.is_file():
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.symlink_to(path)
    return target


def test_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(IngestError, match="does not exist"):
        ingest(str(tmp_path / "nope"), Settings(home=tmp_path / "home"), show_progress=False)


def test_missing_file_is_named(tmp_path, synthetic_data):
    data = _mirror(synthetic_data, tmp_path / "data")
    (data / "onet" / "Task Statements.txt").unlink()
    with pytest.raises(IngestError, match="Task Statements.txt"):
        ingest(str(data), Settings(home=tmp_path / "home"), show_progress=False)


def test_corrupt_file_keeps_old_catalogue_and_resume_finishes(tmp_path, synthetic_data):
    home = tmp_path / "home"
    data = _mirror(synthetic_data, tmp_path / "data")
    settings = Settings(home=home)
    ingest(str(data), settings, show_progress=False)
    live = settings.catalogue_path
    old_bytes = live.stat().st_size
    old_mtime = live.stat().st_mtime_ns

    # Truncate the job-view log in the middle of a row: a late stage fails.
    views = data / "interactions" / "Job_Views.csv"
    text = views.read_text(encoding="utf-8")
    views.unlink()
    lines = text.splitlines()
    views.write_text("\n".join(lines[:20]) + "\n" + lines[20].split(",")[0] + "\n", encoding="utf-8")
    with pytest.raises(IngestError) as info:
        ingest(str(data), settings, show_progress=False)
    assert "Job_Views.csv" in str(info.value) and "line 21" in str(info.value)  # header is line 1
    assert live.stat().st_mtime_ns == old_mtime and live.stat().st_size == old_bytes
    import sqlite3

    with sqlite3.connect(live) as conn:  # the old catalogue still answers
        assert conn.execute("SELECT COUNT(*) FROM job_view").fetchone()[0] == len(lines) - 1

    # Replace it with a valid, shorter log: the next run resumes after the stages that had completed.
    views.unlink()
    views.write_text("\n".join(lines[:20]) + "\n", encoding="utf-8")
    report = ingest(str(data), settings, show_progress=False)
    assert report.changed and report.resumed_from == "job_postings"
    assert report.counts["job_view"] == 19


def test_wrong_columns_are_reported(tmp_path, synthetic_data):
    data = _mirror(synthetic_data, tmp_path / "data")
    target = data / "onet" / "Job Zones.txt"
    target.unlink()
    target.write_text("Code\tZone\n11-1011.00\t5\n", encoding="utf-8")
    with pytest.raises(IngestError, match="missing columns"):
        ingest(str(data), Settings(home=tmp_path / "home"), show_progress=False)


def test_cli_bad_input_exit_code_2(tmp_path):
    env = {**os.environ, "WAYPOINT_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [sys.executable, "-m", "app.cli", "ingest", "--data", str(tmp_path / "missing")],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert proc.returncode == 2
    assert "does not exist" in proc.stderr


def test_zip_source(tmp_path, synthetic_data):
    """The official-release shape: an O*NET zip with a nested folder is found by file name."""
    import zipfile

    from retrieval.catalogue.source import resolve_source

    archive = tmp_path / "db_29_3_text.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ["Occupation Data.txt", "Job Zones.txt"]:
            zf.write(synthetic_data / "onet" / name, f"db_29_3_text/{name}")
    source = resolve_source(str(archive), tmp_path / "home")
    assert source.find("Occupation Data.txt").parent.name == "db_29_3_text"
