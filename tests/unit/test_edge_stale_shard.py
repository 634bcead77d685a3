"""A Qdrant Edge shard whose files changed under it is reopened, not left refusing every write.

Seen in ``make test``: one process's open ``explain_profile`` shard failed every flush with "Tracker journal
... is shorter than expected" (its in-memory view of the sparse storage no longer matched the files), so all
42 profiles' memory writes of tests/test_privacy.py were lost, while the same files loaded by a new process
took the write. Here the journal is cut short on disk under an open shard, which gives that same error.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import qdrant_edge as qe

from retrieval.vectorstore import EdgeStore, PointData


def _points(prefix: str, n: int, rng: np.random.Generator) -> list[PointData]:
    return [
        PointData(f"{prefix}{i}", "profile", rng.random(8).astype(np.float32), f"{prefix} chunk {i} of text", {"n": i})
        for i in range(n)
    ]


def test_a_write_on_a_stale_shard_reopens_it_and_lands(tmp_path):
    rng = np.random.default_rng(0)
    store = EdgeStore("memory", tmp_path)
    store.ensure(8)
    store.upsert(_points("a", 5, rng))
    shard = store._shard()
    shard.update(qe.UpdateOperation.upsert_points([qe.Point(10_000, {"dense": rng.random(8).tolist()}, {})]))
    (journal,) = tmp_path.glob("memory/segments/*/vector_storage-sparse/store/tracker_journal.dat")
    assert journal.stat().st_size > 0
    os.truncate(journal, 0)
    with pytest.raises(Exception, match="shorter than expected"):  # the stale handle, as seen in make test
        shard.flush()

    assert store.upsert(_points("b", 3, rng)) == 3
    assert set(store.get([f"b{i}" for i in range(3)])) == {"b0", "b1", "b2"}
    assert set(store.get([f"a{i}" for i in range(5)])) == {f"a{i}" for i in range(5)}  # nothing lost
    store.delete_ids(["a0"])
    assert "a0" not in store.get(["a0"])
    store.close()
