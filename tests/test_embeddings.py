"""The real packaged all-MiniLM-L6-v2: semantic sanity, normalisation, and the on-disk cache."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from retrieval.embeddings import Embedder, get_embedder, packaged_model_path
from retrieval.settings import get_settings


def _descriptions(data_dir: Path) -> dict[str, str]:
    with (data_dir / "onet" / "Occupation Data.txt").open(encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return {r["Title"]: f"{r['Title']}. {r['Description']}" for r in rows}


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("WAYPOINT_HOME", str(tmp_path))
    monkeypatch.delenv("WAYPOINT_EMBEDDING_MODEL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_packaged_model_is_a_sentence_transformers_folder():
    path = packaged_model_path()
    assert (path / "modules.json").is_file() and (path / "model.safetensors").is_file()


@pytest.mark.slow
def test_nurse_query_is_closer_to_nurses_than_developers(home, data_dir):
    desc = _descriptions(data_dir)
    embedder = get_embedder()
    vecs = embedder.encode(["registered nurse", desc["Registered Nurses"], desc["Software Developers"]])
    assert vecs.shape == (3, embedder.dim) == (3, 384)
    assert vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    query, nurses, developers = vecs
    assert float(query @ nurses) > float(query @ developers) + 0.2


@pytest.mark.slow
def test_cache_returns_identical_vectors_without_recomputing(home, data_dir):
    texts = list(_descriptions(data_dir).values())[:40]
    settings = get_settings()
    first = Embedder.from_settings(settings)
    a = first.encode(texts + texts[:5])  # duplicates inside one call are encoded once
    assert first.encoded_texts == 40
    assert first.cache is not None and first.cache.path.parent == settings.cache_dir / "embeddings"
    assert first.cache.count(first.model_key) == 40

    second = Embedder.from_settings(settings)  # a fresh instance (think: next process) reads the cache
    b = second.encode(texts)
    assert second.encoded_texts == 0 and second.cache_hits == 40
    assert np.array_equal(a[:40], b) and np.array_equal(a[40:], a[:5])

    # a cache miss mixed with hits only computes the miss, and order is preserved
    c = second.encode([texts[3], "a brand new text about welding", texts[7]])
    assert second.encoded_texts == 1
    assert np.array_equal(c[0], b[3]) and np.array_equal(c[2], b[7])

    # bypassing the cache recomputes and agrees with the cached vectors
    fresh = second.encode(texts[:3], use_cache=False)
    assert np.allclose(fresh, b[:3], atol=1e-5)


@pytest.mark.slow
def test_process_wide_embedder_and_edge_cases(home):
    assert get_embedder() is get_embedder()
    embedder = get_embedder()
    assert embedder.encode([]).shape == (0, 384)
    one = embedder.encode_one("registered nurse")
    assert one.shape == (384,)
    assert np.array_equal(embedder.encode("registered nurse")[0], one)
