"""Feedback events: impressions, clicks, dwell, thumbs and skill corrections, in SQLite or PostgreSQL.

One table, ``events``, one row per event; each ``log_*`` call is exactly one transaction, so a crash
never leaves half an event. An impression of a list (k items shown together) is one event written as
k rows — one per position — in one transaction. The store speaks SQLAlchemy Core
(:mod:`retrieval.sqldb`): an SQLite file in WAL mode on one machine, PostgreSQL
(``WAYPOINT_EVENTS_URL``) when several app replicas write the same log.

What is stored is safe to export for training: user ids are hashed (:func:`app.security.hash_user_id`),
free text is PII-redacted (:func:`app.security.redact_obj`), and nothing raw from the request is kept.

Columns: ``event_id`` (uuid), ``ts`` (unix seconds), ``type`` (impression | click | dwell | thumbs |
correction), ``session_id``, ``user_hash``, ``impression_id`` (the list or explanation shown),
``surface`` (list | explanation | chat | ui_list | ui_chat | ui_panel | ui_jobs), ``item_id``, ``item_kind``, ``position`` (0-based), ``shown``
(JSON list of the item ids shown together), ``variant`` and ``propensity`` (explanation variant and
the probability the logging policy showed it), ``model_backend`` / ``model_name`` / ``adapter``,
``faithfulness``, ``value`` (dwell ms; thumbs +1/-1; click 1), ``reason`` (thumbs reason),
``skill`` / ``action`` (corrections: the skill and wrong | missing), ``payload`` (redacted JSON).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    bindparam,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.security import hash_user_id, redact_obj, redact_pii
from retrieval.sqldb import database_url, make_engine

EVENT_TYPES = ("impression", "click", "dwell", "thumbs", "correction")
THUMBS_REASONS = ("wrong_skill", "missing_skill", "not_relevant", "too_generic", "other")
CORRECTION_ACTIONS = ("wrong", "missing")

METADATA = MetaData()
EVENTS = Table(
    "events",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Text, nullable=False),
    Column("ts", Float, nullable=False),
    Column("type", Text, nullable=False),
    *(Column(name, Text) for name in ("session_id", "user_hash", "impression_id", "surface", "item_id", "item_kind")),
    Column("position", Integer),
    Column("shown", Text),
    Column("variant", Text),
    Column("propensity", Float),
    *(Column(name, Text) for name in ("model_backend", "model_name", "adapter")),
    Column("faithfulness", Float),
    Column("value", Float),
    *(Column(name, Text) for name in ("reason", "skill", "action", "payload")),
    CheckConstraint("type IN ('impression','click','dwell','thumbs','correction')", name="events_type_check"),
    Index("events_type_ts", "type", "ts"),
    Index("events_impression", "impression_id"),
    Index("events_session", "session_id"),
    sqlite_autoincrement=True,
)
EVENTS_META = Table(
    "events_meta", METADATA, Column("key", Text, primary_key=True), Column("value", Text, nullable=False)
)
SCHEMA_VERSION = "1"
COLUMNS = (
    "event_id",
    "ts",
    "type",
    "session_id",
    "user_hash",
    "impression_id",
    "surface",
    "item_id",
    "item_kind",
    "position",
    "shown",
    "variant",
    "propensity",
    "model_backend",
    "model_name",
    "adapter",
    "faithfulness",
    "value",
    "reason",
    "skill",
    "action",
    "payload",
)

#: The surfaces whose impression rows show an explanation (what training learns from): the REST explain
#: endpoint ("explanation"), the REST chat ("chat"), and the UI's chat answer ("ui_chat") and explanation
#: panel ("ui_panel": "Why?" and "Explain differently").
EXPLANATION_SURFACES = ("explanation", "chat", "ui_chat", "ui_panel")


_CALLER_TEXT_COLUMNS = ("item_id", "impression_id", "variant", "reason", "skill")


def _redacted_payload(payload: Any) -> str:
    """The payload as stored: JSON with every string PII-redacted (a JSON string is parsed first, so a
    caller cannot slip raw text past the redactor by serialising it themselves)."""
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError:
            return redact_pii(payload) or ""
    return json.dumps(redact_obj(payload), ensure_ascii=False, default=str)


class FeedbackError(ValueError):
    """Bad feedback input (unknown type or reason, missing ids): answered with HTTP 4xx."""


def new_id(prefix: str = "") -> str:
    return prefix + uuid.uuid4().hex


class EventStore:
    """Thread-safe writer/reader over the events database (an SQLite path or a database URL).

    ``create=False`` opens an existing log read-side only (training, off-policy evaluation): a missing
    SQLite file raises :class:`FileNotFoundError` and nothing is created.
    """

    def __init__(self, target: str | Path, *, create: bool = True):
        self.target = str(target)
        self.engine = make_engine(target, must_exist=not create)
        if create:
            self._create_schema()

    def _create_schema(self) -> None:
        """Tables, indexes and the schema version; idempotent, and safe when two replicas start at once."""
        for attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    METADATA.create_all(conn, checkfirst=True)
                    if (
                        conn.execute(select(EVENTS_META.c.value).where(EVENTS_META.c.key == "schema_version")).first()
                        is None
                    ):
                        conn.execute(insert(EVENTS_META).values(key="schema_version", value=SCHEMA_VERSION))
                return
            except (IntegrityError, DBAPIError):  # another process created it between our check and our CREATE
                if attempt == 2:
                    raise
                time.sleep(0.2 * (attempt + 1))

    # ------------------------------------------------------------------------------ writing
    def _write(self, rows: Sequence[dict[str, Any]]) -> list[str]:
        """Insert ``rows`` in ONE transaction; returns their event ids."""
        now = time.time()
        values = []
        for row in rows:
            row = dict(row)
            row.setdefault("event_id", new_id())
            row.setdefault("ts", now)
            if row.get("type") not in EVENT_TYPES:
                raise FeedbackError(f"unknown event type {row.get('type')!r}; expected one of {', '.join(EVENT_TYPES)}")
            if isinstance(row.get("shown"), (list, tuple)):
                row["shown"] = json.dumps(list(row["shown"]))
            if row.get("payload") is not None:
                row["payload"] = _redacted_payload(row["payload"])
            for column in _CALLER_TEXT_COLUMNS:  # caller-chosen strings: no PII in them either
                if isinstance(row.get(column), str):
                    row[column] = redact_pii(row[column])
            values.append({c: row.get(c) for c in COLUMNS})
        with self.engine.begin() as conn:
            conn.execute(insert(EVENTS), values)
        return [str(v["event_id"]) for v in values]

    def log_impression(
        self,
        *,
        items: Sequence[str],
        session_id: str | None = None,
        user_id: str | None = None,
        impression_id: str | None = None,
        surface: str = "list",
        item_kind: str | None = None,
        positions: Sequence[int] | None = None,
        shown: Sequence[str] | None = None,
        variant: str | None = None,
        propensity: float | None = 1.0,
        model: dict | None = None,
        faithfulness: float | None = None,
        payload: dict | None = None,
    ) -> str:
        """Log that ``items`` were shown (at ``positions``, default 0..n-1) as one event; returns the impression id.

        ``shown`` is the whole set shown together (defaults to ``items``). ``propensity`` is the
        probability that the logging policy showed this variant; ``model`` is the explanation's
        ``{backend, name, adapter}`` block.
        """
        items = [str(i) for i in items]
        if not items:
            raise FeedbackError("an impression needs at least one item")
        impression_id = impression_id or new_id("imp_")
        positions = list(positions) if positions is not None else list(range(len(items)))
        if len(positions) != len(items):
            raise FeedbackError("positions and items differ in length")
        shown_ids = list(shown) if shown is not None else items
        model = model or {}
        event_id = new_id()
        base = dict(
            event_id=event_id,
            type="impression",
            session_id=session_id,
            user_hash=hash_user_id(user_id),
            impression_id=impression_id,
            surface=surface,
            item_kind=item_kind,
            shown=shown_ids,
            variant=variant,
            propensity=propensity,
            model_backend=model.get("backend"),
            model_name=model.get("name"),
            adapter=model.get("adapter"),
            faithfulness=faithfulness,
            payload=payload,
        )
        rows = [
            dict(base, item_id=item, position=int(pos), event_id=event_id if n == 0 else f"{event_id}:{n}")
            for n, (item, pos) in enumerate(zip(items, positions))
        ]
        self._write(rows)
        return impression_id

    def log_candidates(
        self,
        *,
        item_id: str,
        candidates: Sequence[dict],
        session_id: str | None = None,
        user_id: str | None = None,
        impression_id: str | None = None,
        surface: str = "explanation",
        item_kind: str | None = None,
    ) -> str:
        """Several candidate explanations of ONE item shown side by side, as one event (one transaction).

        Each candidate is ``{"variant", "propensity", "model": {backend, name, adapter}, "faithfulness",
        "payload"}`` and becomes one row at position 0, 1, ... with its own variant and propensity;
        ``shown`` is the list of variants shown together. A click names the chosen candidate by
        position. This is what makes preference pairs "within one impression" possible.
        """
        candidates = list(candidates)
        if len(candidates) < 1:
            raise FeedbackError("a candidate impression needs at least one candidate")
        variants = [str(c.get("variant") or "") for c in candidates]
        if any(not v for v in variants) or len(set(variants)) != len(variants):
            raise FeedbackError("candidates need distinct, non-empty variant names")
        impression_id = impression_id or new_id("imp_")
        event_id = new_id()
        rows = []
        for n, c in enumerate(candidates):
            model = c.get("model") or {}
            rows.append(
                dict(
                    event_id=event_id if n == 0 else f"{event_id}:{n}",
                    type="impression",
                    session_id=session_id,
                    user_hash=hash_user_id(user_id),
                    impression_id=impression_id,
                    surface=surface,
                    item_id=str(item_id),
                    item_kind=item_kind,
                    position=n,
                    shown=variants,
                    variant=variants[n],
                    propensity=c.get("propensity"),
                    model_backend=model.get("backend"),
                    model_name=model.get("name"),
                    adapter=model.get("adapter"),
                    faithfulness=c.get("faithfulness"),
                    payload=c.get("payload"),
                )
            )
        self._write(rows)
        return impression_id

    def log_click(
        self,
        *,
        impression_id: str | None,
        item_id: str,
        session_id: str | None = None,
        user_id: str | None = None,
        position: int | None = None,
        payload: dict | None = None,
    ) -> str:
        return self._write(
            [
                dict(
                    type="click",
                    impression_id=impression_id,
                    item_id=item_id,
                    session_id=session_id,
                    user_hash=hash_user_id(user_id),
                    position=position,
                    value=1.0,
                    payload=payload,
                )
            ]
        )[0]

    def log_dwell(
        self,
        *,
        impression_id: str | None,
        item_id: str,
        dwell_ms: float | None,
        session_id: str | None = None,
        user_id: str | None = None,
        position: int | None = None,
        payload: dict | None = None,
    ) -> str:
        if dwell_ms is None or dwell_ms < 0:
            raise FeedbackError("dwell_ms must be a non-negative number of milliseconds")
        return self._write(
            [
                dict(
                    type="dwell",
                    impression_id=impression_id,
                    item_id=item_id,
                    session_id=session_id,
                    user_hash=hash_user_id(user_id),
                    position=position,
                    value=float(dwell_ms),
                    payload=payload,
                )
            ]
        )[0]

    def log_thumbs(
        self,
        *,
        impression_id: str | None,
        item_id: str,
        up: bool,
        reason: str | None = None,
        comment: str | None = None,
        session_id: str | None = None,
        user_id: str | None = None,
        position: int | None = None,
        payload: dict | None = None,
    ) -> str:
        if reason is not None and reason not in THUMBS_REASONS:
            raise FeedbackError(f"unknown reason {reason!r}; expected one of {', '.join(THUMBS_REASONS)}")
        payload = dict(payload or {})
        if comment:
            payload["comment"] = redact_pii(comment[:2000])
        return self._write(
            [
                dict(
                    type="thumbs",
                    impression_id=impression_id,
                    item_id=item_id,
                    session_id=session_id,
                    user_hash=hash_user_id(user_id),
                    position=position,
                    value=1.0 if up else -1.0,
                    reason=reason,
                    payload=payload or None,
                )
            ]
        )[0]

    def log_corrections(
        self,
        corrections: Iterable[dict],
        *,
        impression_id: str | None = None,
        item_id: str | None = None,
        session_id: str | None = None,
        user_id: str | None = None,
    ) -> str:
        """Skill corrections (``{"skill": ..., "action": "wrong"|"missing"}``) as one event (one transaction)."""
        corrections = list(corrections)
        if not corrections:
            raise FeedbackError("no skill corrections given")
        event_id = new_id()
        rows = []
        for n, c in enumerate(corrections):
            skill, action = str(c.get("skill") or "").strip(), c.get("action")
            if not skill:
                raise FeedbackError("a skill correction needs a skill label or id")
            if action not in CORRECTION_ACTIONS:
                raise FeedbackError(
                    f"unknown correction action {action!r}; expected one of {', '.join(CORRECTION_ACTIONS)}"
                )
            rows.append(
                dict(
                    type="correction",
                    event_id=event_id if n == 0 else f"{event_id}:{n}",
                    impression_id=impression_id,
                    item_id=item_id,
                    session_id=session_id,
                    user_hash=hash_user_id(user_id),
                    skill=redact_pii(skill[:200]),
                    action=action,
                )
            )
        self._write(rows)
        return event_id

    # ------------------------------------------------------------------------------ reading
    def query(
        self,
        sql: str = "SELECT * FROM events ORDER BY id",
        params: Mapping[str, Any] | None = None,
        *,
        expanding: Sequence[str] = (),
    ) -> list[dict]:
        """Rows of ``sql`` (portable SQL with ``:name`` parameters) as dicts.

        ``expanding`` names list parameters used as ``IN :name``.
        """
        statement = text(sql)
        if expanding:
            statement = statement.bindparams(*(bindparam(name, expanding=True) for name in expanding))
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(statement, dict(params or {})).mappings()]

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(EVENTS.c.type, func.count()).group_by(EVENTS.c.type)).all()
        out = {t: 0 for t in EVENT_TYPES}
        out.update({t: int(n) for t, n in rows})
        out["total"] = sum(out[t] for t in EVENT_TYPES)
        return out

    def close(self) -> None:
        self.engine.dispose()


_stores: dict[str, EventStore] = {}
_stores_lock = threading.Lock()


def get_event_store(target: str | Path | None = None) -> EventStore:
    """The process-wide store for ``target`` (default ``settings.events_target``: path or URL)."""
    if target is None:
        from retrieval.settings import get_settings

        target = get_settings().events_target
    key = str(database_url(target))
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = EventStore(target)
        return store


def export_events(
    path: str | Path, *, events_path: str | Path | None = None, since: float | None = None
) -> dict[str, int]:
    """Write every event (optionally those at or after ``since``) to a Parquet file at ``path``.

    Returns counts per event type plus ``total``. ``shown`` becomes a list column and ``payload``
    stays a JSON string; the file is written to a temporary name and renamed, so a reader never
    sees half a file.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    store = get_event_store(events_path)
    sql, params = "SELECT * FROM events", {}
    if since is not None:
        sql, params = sql + " WHERE ts >= :since", {"since": float(since)}
    rows = store.query(sql + " ORDER BY id", params)
    for row in rows:
        row["shown"] = json.loads(row["shown"]) if row.get("shown") else None
    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("event_id", pa.string()),
            ("ts", pa.float64()),
            ("type", pa.string()),
            ("session_id", pa.string()),
            ("user_hash", pa.string()),
            ("impression_id", pa.string()),
            ("surface", pa.string()),
            ("item_id", pa.string()),
            ("item_kind", pa.string()),
            ("position", pa.int32()),
            ("shown", pa.list_(pa.string())),
            ("variant", pa.string()),
            ("propensity", pa.float64()),
            ("model_backend", pa.string()),
            ("model_name", pa.string()),
            ("adapter", pa.string()),
            ("faithfulness", pa.float64()),
            ("value", pa.float64()),
            ("reason", pa.string()),
            ("skill", pa.string()),
            ("action", pa.string()),
            ("payload", pa.string()),
        ]
    )
    table = pa.Table.from_pylist(rows, schema=schema)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    pq.write_table(table, tmp)
    tmp.replace(out)
    counts = {t: 0 for t in EVENT_TYPES}
    for row in rows:
        counts[row["type"]] += 1
    counts["total"] = len(rows)
    return counts
