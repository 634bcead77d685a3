"""Strict table readers and source lookup: every malformed input is an IngestError naming file and line."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from retrieval.catalogue.errors import IngestError
from retrieval.catalogue.readers import read_table, to_float
from retrieval.catalogue.source import DataSource, resolve_source


def _write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_reads_tsv_as_strings_in_the_requested_column_order(tmp_path):
    path = _write(tmp_path / "t.txt", 'Code\tTitle\tZone\n11-1011.00\tChief "Exec"\t05\n')
    frame = read_table(path, ["Zone", "Code"], tsv=True)
    assert list(frame.columns) == ["Zone", "Code"]
    assert frame.iloc[0].tolist() == ["05", "11-1011.00"]  # strings: leading zeros survive


def test_csv_fields_may_span_lines(tmp_path):
    path = _write(tmp_path / "c.csv", 'a,b\n"line one\nline two",2\n')
    frame = read_table(path, ["a", "b"])
    assert frame.iloc[0, 0] == "line one\nline two" and len(frame) == 1


def test_missing_columns_are_named(tmp_path):
    path = _write(tmp_path / "t.txt", "Code\tZone\n1\t2\n")
    with pytest.raises(IngestError, match=r"missing columns \['Title'\]"):
        read_table(path, ["Code", "Title"], tsv=True)


def test_a_truncated_tsv_row_is_reported_with_its_line(tmp_path):
    path = _write(tmp_path / "t.txt", "a\tb\tc\n1\t2\t3\n4\t5\n")
    with pytest.raises(IngestError) as info:
        read_table(path, ["a", "b", "c"], tsv=True)
    assert info.value.line == 3 and "2 of 3 fields" in str(info.value)


def test_a_csv_record_with_extra_fields_is_reported(tmp_path):
    path = _write(tmp_path / "c.csv", "a,b\n1,2\n3,4,5\n")
    with pytest.raises(IngestError):
        read_table(path, ["a", "b"])


def test_blank_lines_are_not_records(tmp_path):
    path = _write(tmp_path / "t.txt", "a\tb\n1\t2\n\n")
    assert len(read_table(path, ["a", "b"], tsv=True)) == 1


def test_non_utf8_empty_and_absent_files(tmp_path):
    latin = _write(tmp_path / "l.csv", "a,b\ncafé,1\n", encoding="latin-1")
    with pytest.raises(IngestError, match="not UTF-8"):
        read_table(latin, ["a", "b"])
    with pytest.raises(IngestError, match="empty"):
        read_table(_write(tmp_path / "e.csv", ""), ["a"])
    with pytest.raises(IngestError, match="not found"):
        read_table(tmp_path / "absent.csv", ["a"])


def test_to_float_parses_and_reports_the_first_bad_value(tmp_path):
    path = _write(tmp_path / "t.txt", "v\n1.5\n\n 4 \n")
    frame = read_table(path, ["v"], tsv=True)
    values = to_float(frame, "v", path)
    assert values[0] == 1.5 and values[-1] == 4.0
    bad = _write(tmp_path / "b.txt", "v\n1\nseven\n")
    with pytest.raises(IngestError) as info:
        to_float(read_table(bad, ["v"], tsv=True), "v", bad)
    assert info.value.line == 3 and "'seven'" in str(info.value)


def test_to_float_can_refuse_empty_values(tmp_path):
    path = _write(tmp_path / "t.txt", "v\tw\n1\tx\n\tx\n")
    frame = read_table(path, ["v", "w"], tsv=True)
    assert np.isnan(to_float(frame, "v", path)[1])
    with pytest.raises(IngestError):
        to_float(frame, "v", path, allow_empty=False)


def test_source_files_are_found_by_name_anywhere_below_the_roots(tmp_path):
    (tmp_path / "a" / "nested").mkdir(parents=True)
    _write(tmp_path / "a" / "nested" / "Job Zones.txt", "x\n")
    _write(tmp_path / "a" / ".hidden.txt", "x\n")
    source = DataSource([tmp_path / "a"])
    assert source.find("job zones.TXT").name == "Job Zones.txt"  # case-insensitive
    assert source.find("missing.txt", "Job Zones.txt").name == "Job Zones.txt"  # first name found wins
    assert source.find("missing.txt", required=False) is None
    with pytest.raises(IngestError, match="'missing.txt' not found"):
        source.find("missing.txt")
    assert [p.name for p in source.files()] == ["Job Zones.txt"]  # dot files are ignored


def test_fingerprint_changes_with_content_and_name(tmp_path):
    one = _write(tmp_path / "one.txt", "same")
    two = _write(tmp_path / "two.txt", "same")
    source = DataSource([tmp_path])
    assert source.fingerprint([one]) != source.fingerprint([two])  # the name is part of it
    before = source.fingerprint([one])
    _write(one, "changed")
    assert source.fingerprint([one]) != before


def test_resolve_source_accepts_directories_zips_and_lists(tmp_path):
    folder = tmp_path / "onet"
    folder.mkdir()
    _write(folder / "Occupation Data.txt", "x\n")
    archive = tmp_path / "db_29_3_text.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("db_29_3_text/Job Zones.txt", "y\n")
    source = resolve_source(f"{folder},{archive}", tmp_path / "home")
    assert source.find("Occupation Data.txt").parent == folder
    assert source.find("Job Zones.txt").parent.name == "db_29_3_text"
    # extracted once, into the home's download folder
    assert (tmp_path / "home" / "downloads").is_dir()


def test_resolve_source_refuses_what_it_cannot_read(tmp_path):
    with pytest.raises(IngestError, match="no data directory"):
        resolve_source("", tmp_path)
    with pytest.raises(IngestError, match="does not exist"):
        resolve_source(str(tmp_path / "nope"), tmp_path)
    with pytest.raises(IngestError, match="directory or a zip"):
        resolve_source(str(_write(tmp_path / "plain.txt", "x")), tmp_path)
    fake = _write(tmp_path / "fake.zip", "PK not really")
    with pytest.raises(IngestError):
        resolve_source(str(fake), tmp_path)
