"""Ingestion of the synthetic catalogue: what lands in each table, checked against the generator's own rows.

The generator (tests/synthetic_catalogue.py) writes the sources' quirks on purpose; each test here
checks that the loader handles one of them the way the real data needs.
"""

from __future__ import annotations

import pytest

from retrieval.catalogue.ingest import ingest
from retrieval.catalogue.vocabulary import AliasIndex
from retrieval.settings import Settings
from tests import synthetic_catalogue as synthetic


def _count(conn, sql: str, *args) -> int:
    return int(conn.execute(sql, args).fetchone()[0])


def _skill(conn, label: str) -> str:
    return conn.execute("SELECT id FROM skill WHERE label = ? AND source = 'esco'", (label,)).fetchone()[0]


def test_counts_follow_the_generated_rows(synthetic_catalogue):
    conn = synthetic_catalogue
    onet = synthetic.occupation_count()
    assert _count(conn, "SELECT COUNT(*) FROM occupation WHERE taxonomy='onet'") == onet
    assert _count(conn, "SELECT COUNT(*) FROM occupation WHERE taxonomy='esco'") == len(synthetic.ESCO_OCCUPATIONS)
    tasks = sum(len(o[3]) for occs in synthetic.OCCUPATIONS.values() for o in occs)
    assert _count(conn, "SELECT COUNT(*) FROM task") == tasks
    assert _count(conn, "SELECT COUNT(*) FROM skill WHERE kind='onet_skill'") == len(synthetic.SKILL_ELEMENTS)
    assert _count(conn, "SELECT COUNT(*) FROM skill WHERE kind='onet_knowledge'") == len(synthetic.KNOWLEDGE_ELEMENTS)
    assert _count(conn, "SELECT COUNT(*) FROM skill WHERE source='esco' AND kind!='esco_group'") == len(
        synthetic.ESCO_SKILLS
    )
    assert _count(conn, "SELECT COUNT(*) FROM skill WHERE kind='esco_group'") == len(synthetic.ESCO_GROUPS)
    assert _count(conn, "SELECT COUNT(*) FROM job") == len(synthetic.JOBS)
    assert _count(conn, "SELECT COUNT(*) FROM applicant") == len(synthetic.APPLICANTS)
    assert _count(conn, "SELECT COUNT(*) FROM job_view") == sum(len(v[0]) for v in synthetic.APPLICANTS.values())


def test_occupations_keep_their_titles_zones_and_alternate_titles(synthetic_catalogue):
    row = synthetic_catalogue.execute(
        "SELECT title, job_zone FROM occupation WHERE id = ?", (synthetic.NURSE,)
    ).fetchone()
    assert (row["title"], row["job_zone"]) == ("Registered Nurses", 3)
    titles = {
        r[0]: r[1]
        for r in synthetic_catalogue.execute(
            "SELECT title_norm, kind FROM occupation_title WHERE occupation_id = ?", (synthetic.NURSE,)
        )
    }
    assert titles == {
        "registered nurses": "primary",
        "staff nurse": "alternate",
        "rn": "short",
        "charge nurse": "reported",
    }  # "RN" is short enough to be its own short title too
    unrated = synthetic_catalogue.execute(
        "SELECT job_zone FROM occupation WHERE id = ?", (synthetic.UNRATED,)
    ).fetchone()
    assert unrated["job_zone"] is None  # no Job Zones row


def test_ratings_are_scaled_and_suppressed_or_irrelevant_values_dropped(synthetic_catalogue):
    conn = synthetic_catalogue
    values = conn.execute("SELECT importance, level FROM occupation_skill WHERE relation='rated'").fetchall()
    assert values and all(0.0 <= r[0] <= 1.0 and (r[1] is None or 0.0 <= r[1] <= 1.0) for r in values)
    # the electrician's Writing rating is marked Recommend Suppress: no row at all
    assert (
        _count(
            conn,
            "SELECT COUNT(*) FROM occupation_skill WHERE occupation_id = ? AND skill_id = 'onet:2.A.1.c'",
            synthetic.ELECTRICIAN,
        )
        == 0
    )
    # the truck drivers' Programming level is Not Relevant: the importance stays, the level does not
    row = conn.execute(
        "SELECT importance, level FROM occupation_skill WHERE occupation_id = '53-3032.00' "
        "AND skill_id = 'onet:2.B.3.e'"
    ).fetchone()
    assert row["importance"] is not None and row["level"] is None
    # the unrated "All Other" code has neither ratings nor technology
    assert _count(conn, "SELECT COUNT(*) FROM occupation_skill WHERE occupation_id = ?", synthetic.UNRATED) == 0


def test_technology_skills_merge_into_esco_skills_and_links_follow(synthetic_catalogue):
    conn = synthetic_catalogue
    python, sql = _skill(conn, "Python (computer programming)"), _skill(conn, "SQL")
    merged = dict(conn.execute("SELECT id, canonical_id FROM skill WHERE kind='technology' AND canonical_id != id"))
    assert merged["tech:python"] == python  # by the label without its qualifier
    assert merged["tech:structured-query-language-sql"] == sql  # by the acronym
    assert set(merged) == {
        "tech:python",
        "tech:structured-query-language-sql",
        "tech:javascript",
        "tech:typescript",
        "tech:kubernetes",
    }
    assert _count(conn, "SELECT COUNT(*) FROM occupation_skill WHERE skill_id = 'tech:python'") == 0
    assert (
        _count(
            conn,
            "SELECT COUNT(*) FROM occupation_skill WHERE skill_id = ? AND relation='technology' AND occupation_id = ?",
            python,
            synthetic.DATA_SCIENTIST,
        )
        == 1
    )
    assert conn.execute("SELECT hot FROM skill WHERE id = ?", (python,)).fetchone()[0] == 1  # hot carried over


def test_aliases_answer_for_their_canonical_skills(synthetic_catalogue):
    conn = synthetic_catalogue
    index = AliasIndex.from_db(conn)
    expected = {
        "python": "Python (computer programming)",
        "Python programming": "Python (computer programming)",
        "structured query language": "SQL",
        "Structured query language SQL": "SQL",
        "js": "JavaScript",
        "JavaScript": "JavaScript",
        "k8s": "Kubernetes",
        "cpr": "cardiopulmonary resuscitation",
        "ml": "machine learning",
        "educate patients": "patient education",
    }
    for alias, label in expected.items():
        assert index.lookup(alias)[:1] == [_skill(conn, label)], alias
    assert index.lookup("Java") == ["tech:oracle-java"]  # a vendor-less product name
    assert index.lookup("postgres") == ["tech:postgresql"]  # curated
    assert index.lookup("no such skill") == [] and "no such skill" not in index and "JS" in index


def test_courses_are_deduplicated_and_linked_to_the_vocabulary(synthetic_catalogue):
    conn = synthetic_catalogue
    expected = len(synthetic.COURSERA) + len(synthetic.EDX) + len({u[0] for u in synthetic.UDEMY})
    assert _count(conn, "SELECT COUNT(*) FROM course") == expected  # the repeated Udemy id once
    links = {
        (r[0], r[1])
        for r in conn.execute(
            "SELECT c.title, s.label FROM course_skill cs JOIN course c ON c.id = cs.course_id JOIN skill s ON s.id = cs.skill_id"
        )
    }
    assert ("Python for Everybody", "Python (computer programming)") in links  # tag "Python Programming" by alias
    assert ("Patient Education Skills for Nurses", "patient education") in links
    assert ("Excel Skills for Business", "Microsoft Excel") in links
    course = conn.execute(
        "SELECT rating, level, duration FROM course WHERE title = 'Excel Skills for Business'"
    ).fetchone()
    assert course["rating"] is None and course["level"] == "Beginner"  # "not rated"; the trailing space stripped
    assert conn.execute("SELECT duration FROM course WHERE id = 'course:udemy:1004'").fetchone()[0] == ""


def test_postings_mark_duplicates_and_clean_glassdoor_fields(synthetic_catalogue):
    conn = synthetic_catalogue
    duplicates = dict(conn.execute("SELECT id, duplicate_of FROM job_posting WHERE duplicate_of IS NOT NULL"))
    assert duplicates == {
        f"posting:google:{len(synthetic.GOOGLE) - 1}": "posting:google:0",
        "posting:glassdoor:5": "posting:glassdoor:0",
    }
    rows = {
        r["id"]: r
        for r in conn.execute("SELECT id, company, salary, category FROM job_posting WHERE source='glassdoor'")
    }
    assert rows["posting:glassdoor:0"]["company"] == "Acme Analytics"  # "\n4.1" rating suffix gone
    assert rows["posting:glassdoor:2"]["salary"] == ""  # "-1"
    assert rows["posting:glassdoor:3"]["category"] == "Insurance"  # industry "-1": the sector stands in


def test_the_log_keeps_views_experience_and_interests(synthetic_catalogue):
    conn = synthetic_catalogue
    nulls = _count(conn, "SELECT COUNT(*) FROM job_view WHERE duration_s IS NULL")
    assert nulls >= 1  # empty View.Duration fields
    assert conn.execute("SELECT industry FROM job WHERE id = 'job:90007'").fetchone()[0] == ""  # "NA"
    assert conn.execute("SELECT employer, description FROM experience WHERE applicant_id = '20010'").fetchone()[:] == (
        "",
        "Filed records and answered phones.",
    )
    assert _count(conn, "SELECT COUNT(*) FROM position_of_interest WHERE applicant_id = '20001'") == 2
    assert _count(conn, "SELECT COUNT(*) FROM resume") == len({r[1] for r in synthetic.RESUMES})


def test_a_second_ingest_changes_nothing_and_force_rebuilds(tmp_path, synthetic_data):
    settings = Settings(home=tmp_path / "home", data=str(synthetic_data))
    first = ingest(str(synthetic_data), settings, show_progress=False)
    assert first.changed and first.counts["occupation"] == synthetic.OCCUPATION_ROWS
    mtime = settings.catalogue_path.stat().st_mtime_ns
    again = ingest(str(synthetic_data), settings, show_progress=False)
    assert not again.changed and again.counts == first.counts
    assert settings.catalogue_path.stat().st_mtime_ns == mtime
    forced = ingest(str(synthetic_data), settings, force=True, show_progress=False)
    assert forced.changed and forced.resumed_from is None and forced.counts == first.counts
    assert not settings.catalogue_path.with_name("catalogue.sqlite.building").exists()


def test_the_generator_is_deterministic(tmp_path):
    one = synthetic.write_synthetic_data(tmp_path / "one")
    two = synthetic.write_synthetic_data(tmp_path / "two")
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    assert all((one / f).read_bytes() == (two / f).read_bytes() for f in files)


@pytest.mark.parametrize("missing", ["esco/ISCOGroups_en.csv", "courses/udemy_courses.csv"])
def test_each_required_file_is_needed(tmp_path, synthetic_data, missing):
    import shutil

    from retrieval.catalogue.errors import IngestError

    data = shutil.copytree(synthetic_data, tmp_path / "data")
    (data / missing).unlink()
    with pytest.raises(IngestError, match=missing.split("/")[1]):
        ingest(str(data), Settings(home=tmp_path / "home"), show_progress=False)
