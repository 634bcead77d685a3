"""Label normalisation, alias derivation and the small parsers ingestion uses on source fields.

Alias matching only works if every stage normalises labels the same way (retrieval/text.py), so the
rules are pinned here one by one; the expected values follow from the rules, not from a run.
"""

from __future__ import annotations

import pytest

from retrieval.catalogue.courses import _rating, _unique, parse_coursera_skills
from retrieval.catalogue.errors import IngestError
from retrieval.catalogue.esco import _description_from_blob, _split_labels, esco_id
from retrieval.catalogue.jobs import _RATING_SUFFIX, _na
from retrieval.catalogue.vocabulary import _expands, derived_aliases
from retrieval.text import clean_text, normalize_label, slugify, tokens


# ------------------------------------------------------------------------------------ normalize_label
@pytest.mark.parametrize(
    "label, expected",
    [
        ("C++", "c++"),  # + kept (C++)
        ("C#", "c#"),  # # kept (C#)
        (".NET Framework", ".net framework"),  # a leading dot survives only in .net
        ("Node.js", "node.js"),  # a dot between word characters is kept
        ("ASP.NET", "asp.net"),
        ("Research & Development", "research and development"),
        ("Children’s Books", "childrens books"),  # curly and straight apostrophes vanish
        ("  Python   3 ", "python 3"),  # whitespace collapsed and stripped
        ("end.", "end"),  # a trailing dot is punctuation
        ("Dr. Who", "dr who"),
        ("x...y", "x y"),
        ("Ｐｙｔｈｏｎ", "python"),  # NFKC folds full-width letters
        ("client/server", "client / server"),  # slashes are spaced out as their own token
        ("front - end", "front end"),  # a spaced dash is dropped
        ("e-mail", "e-mail"),  # an inner hyphen is kept
        ("(hello)", "hello"),
        ("Python (computer programming)", "python computer programming"),
        ("", ""),
    ],
)
def test_normalize_label(label, expected):
    assert normalize_label(label) == expected


def test_normalize_label_is_idempotent():
    for label in ("C++ / C#", "Node.js & .NET", "Children’s  Books", "Research - Development"):
        once = normalize_label(label)
        assert normalize_label(once) == once


def test_normalize_label_treats_none_as_empty():
    assert normalize_label(None) == ""  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ clean_text
def test_clean_text_repairs_utf8_read_as_latin1_and_collapses_space():
    assert clean_text("cafÃ©  au\n lait ") == "café au lait"


def test_clean_text_repairs_the_mojibake_the_data_has():
    # UTF-8 read as cp1252 ("â€œ") and a résumé's bullets read as Latin-1 ("â\x80¢", 120 of 166 résumés)
    assert clean_text("â€œquotedâ€\x9d") == "\u201cquoted\u201d"
    assert clean_text("Skills â\x80¢ R â\x80¢ Python") == "Skills \u2022 R \u2022 Python"
    assert clean_text("Naïve Bayes, “quoted”") == "Naïve Bayes, “quoted”"  # correct text is left alone


def test_clean_text_applies_nfkc_and_handles_empty():
    assert clean_text("ﬁne") == "fine"
    assert clean_text("") == ""
    assert clean_text(None) == ""  # type: ignore[arg-type]


# -------------------------------------------------------------------------------------- slugify/tokens
@pytest.mark.parametrize(
    "text, expected",
    [
        ("C++ Builder", "cpp-builder"),
        ("C#", "csharp"),
        ("F# and c#", "fsharp-and-csharp"),
        (".NET Framework", "dotnet-framework"),
        ("Café Olé", "cafe-ole"),
        ("--x--", "x"),
    ],
)
def test_slugify(text, expected):
    assert slugify(text) == expected


def test_tokens_keep_programming_names_whole():
    assert tokens("Node.js and C++ developer, C# (3 yrs)") == ["node.js", "and", "c++", "developer", "c#", "3", "yrs"]
    assert tokens("") == []


# ------------------------------------------------------------------------------------ derived aliases
@pytest.mark.parametrize(
    "label, expected",
    [
        ("Structured query language SQL", [("SQL", "acronym"), ("Structured query language", "acronym")]),
        ("Hypertext markup language HTML", [("HTML", "acronym"), ("Hypertext markup language", "acronym")]),
        ("Quality Assurance QA", [("QA", "acronym"), ("Quality Assurance", "acronym")]),
        ("Python (computer programming)", [("Python", "qualifier")]),
        ("Oracle Java", [("Java", "vendor")]),
        ("Red Hat Linux", [("Linux", "vendor")]),  # two-word vendor
        ("Microsoft Office software", [("Office software", "vendor")]),
        ("Microsoft software", []),  # the rest is just "software": no alias
        ("SQL", []),  # a bare acronym implies nothing
        # the acronym must start where the phrase starts (X is inside "Extensible"): not taken as one
        ("Extensible markup language XML", []),
    ],
)
def test_derived_aliases(label, expected):
    assert derived_aliases(label) == expected


def test_acronym_expansion_needs_the_letters_in_order():
    assert _expands("SQL", ["Structured", "query", "language"])
    assert _expands("QA", ["Software", "Quality", "Assurance"])  # the last words suffice
    assert not _expands("LQS", ["Structured", "query", "language"])
    assert not _expands("SQLX", ["Structured", "query", "language"])


# ------------------------------------------------------------------------------------- source fields
@pytest.mark.parametrize(
    "text, expected",
    [
        ('{" Python Programming"," SQL"}', ["Python Programming", "SQL"]),
        ('{"Data Analysis"}', ["Data Analysis"]),
        ("{Python, SQL}", ["Python", "SQL"]),  # unquoted lists are split on commas
        ('{" "}', []),
        ("{}", []),
        ("", []),
    ],
)
def test_parse_coursera_skills(text, expected):
    assert parse_coursera_skills(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [("4.8", 4.8), ("0", 0.0), ("5", 5.0), ("5.1", None), ("-1", None), ("not rated", None), ("", None)],
)
def test_course_rating_is_a_number_on_the_five_point_scale(text, expected):
    assert _rating(text) == expected


def test_course_ids_are_unique_slugs():
    seen: set[str] = set()
    first = _unique("course:edx", "Intro to C++", seen)
    second = _unique("course:edx", "Intro to C++", seen)
    third = _unique("course:edx", "Intro to C++", seen)
    assert (first, second, third) == (
        "course:edx:intro-to-cpp",
        "course:edx:intro-to-cpp-2",
        "course:edx:intro-to-cpp-3",
    )
    assert _unique("course:edx", "!!!", seen) == "course:edx:course"  # nothing sluggable left


def test_esco_ids_are_readable_and_stable():
    assert esco_id("http://data.europa.eu/esco/skill/abc-123") == "esco:skill:abc-123"
    assert esco_id(" http://data.europa.eu/esco/isco/C22 ") == "esco:isco:C22"
    assert esco_id("other/thing") == "esco:other:thing"


def test_esco_alternative_labels_split_on_newlines_and_bars():
    assert _split_labels("a\nb | c\n\n  d  ") == ["a", "b", "c", "d"]
    assert _split_labels("") == []


def test_reconstructed_esco_description_loses_its_leading_labels():
    blob = "manage staff direct staff Assign and manage staff tasks."
    assert _description_from_blob(blob, "manage staff", ["direct staff"]) == "Assign and manage staff tasks."
    # unknown alternative labels stay in front of the description (still useful for retrieval)
    assert _description_from_blob(blob, "manage staff", []) == "direct staff Assign and manage staff tasks."


@pytest.mark.parametrize(
    "text, expected", [("NA", ""), ("N/A", ""), ("-1", ""), ("nan", ""), ("  Health  care ", "Health care"), ("", "")]
)
def test_not_available_markers_become_empty(text, expected):
    assert _na(text) == expected


def test_glassdoor_rating_suffix_is_removed_from_company_names():
    assert _RATING_SUFFIX.sub("", "Acme Analytics\n4.1") == "Acme Analytics"
    assert _RATING_SUFFIX.sub("", "Acme\n 3") == "Acme"
    assert _RATING_SUFFIX.sub("", "Route 66 Diner") == "Route 66 Diner"  # a number in the name stays


def test_ingest_errors_name_the_file_and_line(tmp_path):
    error = IngestError("row has 2 of 3 fields", tmp_path / "x.txt", line=7)
    assert str(error) == f"{tmp_path / 'x.txt'}, line 7: row has 2 of 3 fields"
    assert error.line == 7 and error.path == tmp_path / "x.txt"
    assert str(IngestError("no data")) == "no data"
