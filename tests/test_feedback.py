"""Feedback capture: events in SQLite (WAL) and in a real PostgreSQL through the same SQL layer.

One transaction per event, Parquet export, propensities, exploration. The store tests run on both
backends; the PostgreSQL server is real (tests/postgres_server.py).
"""

from __future__ import annotations

import json
import threading

import pyarrow.parquet as pq
import pytest
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from app.feedback import EventStore, Explorer, FeedbackError, export_events
from app.security import hash_user_id, redact_pii


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def events_target(request, tmp_path):
    """Where a test's events live: an SQLite file, or a fresh database on the real PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "events.sqlite")
    return request.getfixturevalue("postgres_db")


@pytest.fixture()
def store(events_target):
    s = EventStore(events_target)
    yield s
    s.close()


def _trace(store: EventStore) -> list[tuple[str, object]]:
    """(kind, detail) for every transaction begin/commit/rollback and statement on the store's engine."""
    seen: list[tuple[str, object]] = []
    event.listen(store.engine, "begin", lambda conn: seen.append(("begin", None)))
    event.listen(store.engine, "commit", lambda conn: seen.append(("commit", None)))
    event.listen(store.engine, "rollback", lambda conn: seen.append(("rollback", None)))
    event.listen(
        store.engine,
        "before_cursor_execute",
        lambda conn, cursor, statement, params, context, executemany: seen.append(
            ("execute", (statement.split("(")[0].strip(), executemany))
        ),
    )
    return seen


def test_schema_on_each_backend(store):
    if store.engine.dialect.name == "sqlite":
        assert store.query("PRAGMA journal_mode")[0]["journal_mode"] == "wal"
    else:
        assert store.engine.dialect.name == "postgresql"
        cols = {
            r["column_name"]
            for r in store.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'events'")
        }
        assert {"event_id", "impression_id", "propensity", "payload"} <= cols
    assert store.query("SELECT value FROM events_meta WHERE key = 'schema_version'") == [{"value": "1"}]
    assert store.counts()["total"] == 0
    EventStore(store.target).close()  # a second process opening the same store changes nothing
    assert len(store.query("SELECT * FROM events_meta")) == 1


def test_each_event_is_one_transaction(store):
    seen = _trace(store)
    store.log_impression(
        items=["a", "b", "c", "d"],
        session_id="s1",
        user_id="alice",
        variant="default",
        propensity=0.9,
        model={"backend": "deterministic", "name": "composer", "adapter": None},
    )
    store.log_click(impression_id="imp1", item_id="b", position=1, session_id="s1")
    store.log_dwell(impression_id="imp1", item_id="b", dwell_ms=1234.5, session_id="s1")
    store.log_thumbs(impression_id="imp1", item_id="b", up=False, reason="too_generic", session_id="s1")
    store.log_corrections(
        [{"skill": "Python", "action": "wrong"}, {"skill": "SQL", "action": "missing"}], session_id="s1"
    )
    kinds = [k for k, _ in seen]
    assert kinds.count("begin") == kinds.count("commit") == 5 and "rollback" not in kinds, seen
    # each transaction is begin, ONE insert statement (executemany for several rows), commit
    assert kinds == ["begin", "execute", "commit"] * 5, seen
    inserts = [d for k, d in seen if k == "execute"]
    assert all(stmt == "INSERT INTO events" for stmt, _ in inserts), inserts
    assert inserts[0][1] and inserts[-1][1], "multi-row events are one executemany"
    # an impression of four items is one event: one transaction, four rows (one per position)
    assert store.counts() == {"impression": 4, "click": 1, "dwell": 1, "thumbs": 1, "correction": 2, "total": 9}
    rows = store.query(
        "SELECT item_id, position, shown, propensity, variant, model_backend, user_hash "
        "FROM events WHERE type='impression' ORDER BY position"
    )
    assert [r["item_id"] for r in rows] == ["a", "b", "c", "d"]
    assert [r["position"] for r in rows] == [0, 1, 2, 3]
    assert all(json.loads(r["shown"]) == ["a", "b", "c", "d"] for r in rows)
    assert {r["propensity"] for r in rows} == {0.9}
    assert {r["model_backend"] for r in rows} == {"deterministic"}
    assert {r["user_hash"] for r in rows} == {hash_user_id("alice")} and "alice" not in rows[0]["user_hash"]


def test_bad_event_writes_nothing(store):
    with pytest.raises(FeedbackError):
        store.log_corrections([{"skill": "Python", "action": "wrong"}, {"skill": "SQL", "action": "bogus"}])
    with pytest.raises(FeedbackError):
        store.log_thumbs(impression_id=None, item_id="x", up=True, reason="because")
    with pytest.raises(FeedbackError):
        store.log_dwell(impression_id=None, item_id="x", dwell_ms=-5)
    with pytest.raises(FeedbackError):
        store.log_impression(items=[])
    assert store.counts()["total"] == 0


def test_a_failing_insert_rolls_back_the_whole_event(store, monkeypatch):
    """Nothing half-written: a list impression whose third row fails leaves no rows at all."""
    rows = [dict(type="impression", item_id=i, position=n) for n, i in enumerate("abc")]
    rows[2]["position"] = object()  # no driver can bind this: the insert fails mid-transaction
    with pytest.raises(SQLAlchemyError):
        store._write(rows)
    assert store.counts()["total"] == 0
    store.log_click(impression_id=None, item_id="a")  # the connection is usable afterwards
    assert store.counts()["click"] == 1


def test_pii_is_redacted_in_stored_payloads(store):
    store.log_thumbs(
        impression_id=None,
        item_id="x",
        up=False,
        reason="other",
        comment="write to jane.doe@example.com or call +1 415 555 0100",
    )
    store.log_impression(items=["x"], payload={"profile": {"text": "jane@example.org, 020 7946 0958"}})
    dump = json.dumps(store.query())
    assert "jane.doe@example.com" not in dump and "jane@example.org" not in dump
    assert "415 555 0100" not in dump and "7946 0958" not in dump
    assert "[email]" in dump and "[phone]" in dump


def test_concurrent_writers(store):
    def work(n):
        for i in range(50):
            store.log_click(impression_id=f"imp{n}", item_id=f"item{i}", session_id=f"s{n}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.counts()["click"] == 400


def test_parquet_export(tmp_path, events_target):
    path = events_target
    store = EventStore(path)
    imp = store.log_impression(
        items=["21-1091.00", "29-1141.00"],
        user_id="bob",
        session_id="s",
        variant="alt",
        propensity=0.1,
        surface="explanation",
        model={"backend": "openai", "name": "smollm2", "adapter": "explainer-sft"},
        faithfulness=0.75,
    )
    store.log_click(impression_id=imp, item_id="21-1091.00", position=0)
    store.log_thumbs(impression_id=imp, item_id="21-1091.00", up=True)
    out = tmp_path / "export" / "events.parquet"
    counts = export_events(out, events_path=path)
    assert counts == {"impression": 2, "click": 1, "dwell": 0, "thumbs": 1, "correction": 0, "total": 4}
    table = pq.read_table(out)
    assert table.num_rows == 4
    rows = table.to_pylist()
    first = rows[0]
    assert first["shown"] == ["21-1091.00", "29-1141.00"]
    assert first["variant"] == "alt" and first["propensity"] == pytest.approx(0.1)
    assert first["model_name"] == "smollm2" and first["adapter"] == "explainer-sft"
    assert first["faithfulness"] == pytest.approx(0.75)
    assert first["user_hash"] == hash_user_id("bob")
    assert {r["type"] for r in rows} == {"impression", "click", "thumbs"}
    assert not (out.parent / "events.parquet.tmp").exists()
    store.close()


@pytest.mark.parametrize("rate", [0.0, 0.1, 0.3, 1.0])
def test_exploration_share_matches_the_setting(rate):
    explorer = Explorer(rate, seed=1234)
    choices = [explorer.choose() for _ in range(20_000)]
    share = sum(c.variant == "alt" for c in choices) / len(choices)
    assert share == pytest.approx(rate, abs=0.01)
    for c in choices[:200]:
        assert c.propensity == pytest.approx(rate if c.variant == "alt" else 1 - rate)
        assert c.explored == (c.variant == "alt")
    again = Explorer(rate, seed=1234)
    assert [again.choose().variant for _ in range(200)] == [c.variant for c in choices[:200]]


def test_explorer_rejects_bad_rates():
    with pytest.raises(ValueError):
        Explorer(1.5)


def test_redaction_and_hashing():
    assert redact_pii("mail a.b+c@mail.example.com now") == "mail [email] now"
    assert redact_pii("tel (555) 123-4567") == "tel [phone]"
    assert redact_pii("O*NET 21-1091.00 since 2019-2023, 2024-01-31") == "O*NET 21-1091.00 since 2019-2023, 2024-01-31"
    assert hash_user_id("u1") == hash_user_id("u1") != hash_user_id("u2")
    assert hash_user_id(None) is None


# ------------------------------------------------------------------------------------------------
# the service logs impressions with variant, propensity and model for every explanation it serves


def test_service_logs_propensity_and_exploration(synthetic_settings, tmp_path):
    from app.api.metrics import Metrics
    from app.api.services import WaypointService
    from retrieval.profile import Profile

    seen_variants = []

    def explain_fn(profile, item_id, *, backend=None, session_id=None, variant=None):
        """A real-shaped explanation (the service's contract) that records the variant it was asked for."""
        seen_variants.append(variant)
        return {
            "item": {"id": item_id, "kind": "occupation", "title": "T"},
            "fit": "possible",
            "summary": "s",
            "matched_skills": [],
            "missing_skills": [],
            "next_steps": [],
            "citations": [],
            "faithfulness": 1.0,
            "model": {"backend": "deterministic", "name": "composer", "adapter": "v1"},
            "latency_ms": 1,
            "fallback_reason": None,
            "variant": variant or "default",
        }

    store = EventStore(tmp_path / "svc-events.sqlite")
    svc = WaypointService(
        synthetic_settings, metrics=Metrics(), store=store, explorer=Explorer(0.25, seed=7), explain_fn=explain_fn
    )
    profile = Profile(occupation="Registered Nurses", user_id="applicant-42")
    n = 400
    for i in range(n):
        out = svc.explain(
            profile,
            "21-1091.00",
            backend="deterministic",
            session_id="sess",
            position=i % 5,
            shown=["21-1091.00", "29-1141.00"],
        )
        assert out["propensity"] == pytest.approx(0.25 if out["variant"] == "alt" else 0.75)
    rows = store.query(
        "SELECT variant, propensity, adapter, model_backend, user_hash, session_id, shown "
        "FROM events WHERE type='impression'"
    )
    assert len(rows) == n
    alt = sum(r["variant"] == "alt" for r in rows)
    assert alt / n == pytest.approx(0.25, abs=0.06)
    assert sum(v == "alt" for v in seen_variants) == alt  # the alternative variant really was requested
    for r in rows:
        assert r["propensity"] == pytest.approx(0.25 if r["variant"] == "alt" else 0.75)
        assert r["adapter"] == "v1" and r["model_backend"] == "deterministic"
        assert r["user_hash"] == hash_user_id("applicant-42")
        assert json.loads(r["shown"]) == ["21-1091.00", "29-1141.00"]
    # a variant the caller forces is shown with certainty
    forced = svc.explain(profile, "21-1091.00", backend="deterministic", variant="alt")
    assert forced["propensity"] == 1.0 and seen_variants[-1] == "alt"
    store.close()
