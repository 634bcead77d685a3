"""BM25 (bm25s wrapper) on O*NET-shaped occupation text (the synthetic catalogue's source file, same codes as
the real one): ranking, full score vectors, persistence."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from retrieval.bm25 import BM25Index, LightStemmer

RN, SOFTWARE_DEV, HEAVY_TRUCK = "29-1141.00", "15-1252.00", "53-3032.00"


def _occupations(data_dir: Path) -> list[tuple[str, str]]:
    with (data_dir / "onet" / "Occupation Data.txt").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [(r["O*NET-SOC Code"], f"{r['Title']}. {r['Description']}") for r in rows]


@pytest.fixture(scope="module")
def docs(synthetic_data) -> list[tuple[str, str]]:
    return _occupations(synthetic_data)


@pytest.fixture(scope="module")
def index(docs) -> BM25Index:
    return BM25Index.build(docs)


def test_ranks_the_obvious_occupation_first(index):
    assert RN in [d for d, _ in index.search("registered nurse", k=3)]
    assert SOFTWARE_DEV in [d for d, _ in index.search("software developer", k=3)]
    assert index.search("heavy truck driver", k=1)[0][0] == HEAVY_TRUCK
    hits = index.search("nurse", k=10)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_stemming_matches_inflections(index):
    # "nursing" and "nurse" share a stem with "Nurses", so both reach the registered nurse entry
    assert RN in [d for d, _ in index.search("nursing", k=10)]
    assert LightStemmer().stemWords(["nurses", "nursing", "developers", "studies"]) == [
        "nurs",
        "nurs",
        "developer",
        "study",
    ]


def test_score_all_is_aligned_with_doc_ids(index, docs):
    scores = index.score_all("registered nurse")
    assert scores.shape == (len(docs),) and scores.dtype == np.float32
    assert index.doc_ids == [d for d, _ in docs]
    top_doc, top_score = index.search("registered nurse", k=1)[0]
    assert scores[index.doc_ids.index(top_doc)] == pytest.approx(top_score)
    assert scores.max() == pytest.approx(top_score)
    # no shared term -> score 0 everywhere and no results
    assert not index.score_all("zyxwvut qqqq").any()
    assert index.search("the of and", k=5) == []


def test_batch_search_matches_single_queries(index):
    queries = ["registered nurse", "software developer", "zyxwvut", "accountant auditor"]
    batch = index.search_many(queries, k=5)
    assert batch == [index.search(q, k=5) for q in queries]
    many = index.score_all_many(queries)
    assert many.shape == (len(queries), len(index))
    for row, q in zip(many, queries):
        assert np.array_equal(row, index.score_all(q))


def test_save_load_round_trip_gives_identical_scores(index, tmp_path):
    path = index.save(tmp_path / "bm25")
    assert BM25Index.exists(path)
    loaded = BM25Index.load(path)
    assert loaded.doc_ids == index.doc_ids
    for q in ["registered nurse", "software developer", "truck", "manage budgets and staff"]:
        assert np.array_equal(loaded.score_all(q), index.score_all(q))
        assert loaded.search(q, k=10) == index.search(q, k=10)
    mapped = BM25Index.load(path, mmap=True)
    assert np.array_equal(mapped.score_all("registered nurse"), index.score_all("registered nurse"))


def test_rejects_bad_input():
    with pytest.raises(ValueError):
        BM25Index.build([("a", "one text"), ("a", "another text")])
    with pytest.raises(ValueError):
        BM25Index.build([])
