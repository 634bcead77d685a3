"""Both Qdrant backends on real occupation text and the real embedding model.

Qdrant Edge (in-process, tmp dir) and qdrant-client local mode (tmp dir) get the same points, and
must agree: same exact top-10 for the same dense queries, working sparse/hybrid search, filters,
deletes, and idempotent (re)creation.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from retrieval.embeddings import get_embedder
from retrieval.settings import get_settings
from retrieval.vectorstore import (
    ClientStore,
    EdgeStore,
    Hit,
    PointData,
    VectorStore,
    close_clients,
    open_store,
    point_id,
)

pytestmark = pytest.mark.slow  # loads the real embedding model (~10 s on 2 cores)

RN, SOFTWARE_DEV, HEAVY_TRUCK = "29-1141.00", "15-1252.00", "53-3032.00"
KINDS = ("occupation", "skill", "course")
QUERIES = [
    "registered nurse",
    "software developer",
    "drive heavy trucks long distance",
    "audit financial records",
    "teach children in elementary school",
]


def _sample(data_dir: Path) -> list[dict[str, str]]:
    """~130 real O*NET occupations: every 8th row plus the ones the assertions name."""
    with (data_dir / "onet" / "Occupation Data.txt").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    wanted = {RN, SOFTWARE_DEV, HEAVY_TRUCK}
    return [r for i, r in enumerate(rows) if i % 8 == 0 or r["O*NET-SOC Code"] in wanted]


@pytest.fixture(scope="module")
def corpus(data_dir, tmp_path_factory) -> tuple[list[PointData], np.ndarray]:
    """Points (with real embeddings) and the embedded QUERIES, computed once for the module."""
    home = tmp_path_factory.mktemp("emb-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAYPOINT_HOME", str(home))
        get_settings.cache_clear()
        embedder = get_embedder()
        rows = _sample(data_dir)
        texts = [f"{r['Title']}. {r['Description']}" for r in rows]
        vectors = embedder.encode(texts)
        queries = embedder.encode(QUERIES)
    get_settings.cache_clear()
    points = [
        PointData(
            doc_id=r["O*NET-SOC Code"],
            kind=KINDS[i % 3],
            vector=vectors[i],
            text=texts[i],
            payload={"title": r["Title"], "major_group": r["O*NET-SOC Code"][:2]},
        )
        for i, r in enumerate(rows)
    ]
    return points, queries


@pytest.fixture
def home(tmp_path, monkeypatch) -> Iterator[Path]:
    monkeypatch.setenv("WAYPOINT_HOME", str(tmp_path))
    for var in ("WAYPOINT_QDRANT_URL", "WAYPOINT_QDRANT_LOCAL_PATH"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def edge(home) -> Iterator[VectorStore]:
    store = open_store("catalogue")
    assert isinstance(store, EdgeStore)
    assert store.path == home / "indexes" / "qdrant-edge" / "catalogue"
    yield store
    store.close()


@pytest.fixture
def local(home, monkeypatch) -> Iterator[VectorStore]:
    monkeypatch.setenv("WAYPOINT_QDRANT_LOCAL_PATH", str(home / "qdrant-local"))
    get_settings.cache_clear()
    store = open_store("catalogue")
    assert isinstance(store, ClientStore) and store.is_local
    yield store
    close_clients()  # releases the local-mode folder lock


@pytest.fixture(params=["edge", "local"])
def store(request, corpus) -> VectorStore:
    """Each backend, loaded with the corpus."""
    store: VectorStore = request.getfixturevalue(request.param)
    points, _ = corpus
    store.recreate(len(points[0].vector))
    assert store.upsert(points, batch_size=50) == len(points)
    return store


def _ids(hits: list[Hit]) -> list[str]:
    return [h.doc_id for h in hits]


def test_backends_return_the_same_dense_top10(edge, local, corpus):
    points, queries = corpus
    for s in (edge, local):
        s.recreate(queries.shape[1])
        s.upsert(points, batch_size=64)
    for q in queries:
        edge_hits, local_hits = edge.search(q, 10, exact=True), local.search(q, 10, exact=True)
        assert _ids(edge_hits) == _ids(local_hits)
        assert np.allclose([h.score for h in edge_hits], [h.score for h in local_hits], atol=1e-4)
    # the batch API agrees with single queries in both backends
    assert [_ids(r) for r in edge.search_batch(queries, 10, exact=True)] == [
        _ids(r) for r in local.search_batch(queries, 10, exact=True)
    ]
    # approximate (default) search is exact at this size too
    assert _ids(edge.search(queries[0], 10)) == _ids(local.search(queries[0], 10))
    # filtered dense search agrees as well
    assert _ids(edge.search(queries[1], 10, kind="skill", exact=True)) == _ids(
        local.search(queries[1], 10, kind="skill", exact=True)
    )


def test_dense_search_finds_the_right_occupation(store, corpus):
    _, queries = corpus
    hits = store.search(queries[0], 5, exact=True)
    assert hits[0].doc_id == RN and hits[0].payload["title"] == "Registered Nurses"
    assert hits[0].payload["doc_id"] == RN and hits[0].kind in KINDS
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert SOFTWARE_DEV in _ids(store.search(queries[1], 3, exact=True))
    assert all(h.score >= 0.5 for h in store.search(queries[0], 10, score_threshold=0.5))


def test_sparse_and_hybrid_search(store, corpus):
    _, queries = corpus
    sparse = store.search_sparse("registered nurses", 5)
    assert RN in _ids(sparse)[:3] and all("nurs" in h.payload["title"].lower() for h in sparse[:3])
    assert [h.score for h in sparse] == sorted((h.score for h in sparse), reverse=True)
    assert store.search_sparse("the of and", 5) == []  # only stopwords: nothing to match
    hybrid = store.search_hybrid(queries[0], "registered nurse", 10, prefetch_k=40, rrf_k=60, exact=True)
    assert len(hybrid) == 10 and len(set(_ids(hybrid))) == 10
    assert RN in _ids(hybrid)[:2]
    # Qdrant fused the two prefetches with RRF: score = sum of 1/(k + 0-based rank) over both lists
    expected: dict[str, float] = {}
    for ranked in (store.search(queries[0], 40, exact=True), store.search_sparse("registered nurse", 40)):
        for rank, h in enumerate(ranked):
            expected[h.doc_id] = expected.get(h.doc_id, 0.0) + 1.0 / (60 + rank)
    for h in hybrid:
        assert h.score == pytest.approx(expected[h.doc_id], rel=1e-4)
    assert [h.score for h in hybrid] == pytest.approx(sorted(expected.values(), reverse=True)[:10], rel=1e-4)
    # hybrid still works when the text has no lexical tokens (dense prefetch only)
    assert _ids(store.search_hybrid(queries[0], "the", 5))[0] == RN


def test_kind_and_payload_filters(store, corpus):
    points, queries = corpus
    by_kind = {k: sum(p.kind == k for p in points) for k in KINDS}
    assert store.count() == len(points)
    for kind, n in by_kind.items():
        assert store.count(kind=kind) == n
        hits = store.search(queries[0], 20, kind=kind, exact=True)
        assert hits and {h.kind for h in hits} == {kind}
        assert {h.kind for h in store.search_hybrid(queries[0], "nurse", 20, kind=kind)} == {kind}
        assert {h.kind for h in store.search_sparse("manage", 20, kind=kind)} == {kind}
    assert store.count(kind=["skill", "course"]) == by_kind["skill"] + by_kind["course"]
    health = sum(p.payload["major_group"] == "29" for p in points)
    assert store.count(where={"major_group": "29"}) == health
    hits = store.search(queries[0], 50, where={"major_group": "29"}, exact=True)
    assert len(hits) == health and all(h.payload["major_group"] == "29" for h in hits)
    assert store.count(kind="skill", where={"major_group": "29"}) == sum(
        p.kind == "skill" and p.payload["major_group"] == "29" for p in points
    )


def test_get_and_delete(store, corpus):
    points, _ = corpus
    assert store.get([RN, "no-such-doc"]) == {RN: {**next(p for p in points if p.doc_id == RN).full_payload()}}
    n_course = store.count(kind="course")
    store.delete(kind="course")
    assert store.count(kind="course") == 0 and store.count() == len(points) - n_course
    with pytest.raises(ValueError):
        store.delete()  # an unfiltered delete must be explicit (recreate)
    survivor = next(p.doc_id for p in points if p.kind != "course")
    store.delete_ids([survivor])
    assert store.get([survivor]) == {}
    assert store.count() == len(points) - n_course - 1


def test_recreate_and_upsert_are_idempotent(store, corpus):
    points, _ = corpus
    dim = len(points[0].vector)
    store.upsert(points[:20])  # same doc ids -> same point ids -> overwritten, not duplicated
    assert store.count() == len(points)
    store.ensure(dim)  # existing, compatible: a no-op
    assert store.count() == len(points)
    with pytest.raises(ValueError):
        store.ensure(dim + 1)
    store.recreate(dim)
    store.recreate(dim)
    assert store.exists() and store.count() == 0
    store.upsert(points)
    assert store.count() == len(points)
    store.drop()
    assert not store.exists()
    store.drop()  # dropping a missing collection is fine


def test_edge_data_survives_reopen(edge, corpus, home):
    points, queries = corpus
    edge.recreate(len(points[0].vector))
    edge.upsert(points)
    before = _ids(edge.search(queries[2], 10, exact=True))
    edge.optimize()
    edge.close()
    reopened = open_store("catalogue", dim=len(points[0].vector))
    assert reopened.count() == len(points)
    assert _ids(reopened.search(queries[2], 10, exact=True)) == before
    assert HEAVY_TRUCK in before[:3]


def test_point_ids_are_deterministic():
    assert point_id("occupation:29-1141.00") == point_id("occupation:29-1141.00")
    assert point_id("a") != point_id("b")
