"""Training data from logged explanation feedback: DPO pairs within one impression, KTO labels.

Read from the events DB (:mod:`app.feedback.store`): every explanation impression row that carries
the generator's completion in its payload (``payload.completion``: the draft as the exact assistant
JSON text, :func:`app.explain.prompt.completion_text`) and the profile and item needed to rebuild the
prompt (``payload.profile``, ``item_id``; the profile as the store keeps it: PII-redacted, user id
hashed). The click simulator (:mod:`training.simulator`) logs such rows; so can the app.

Prompts are rebuilt, never stored: :func:`app.explain.evidence.build_evidence` on the logged
(profile, item) and :func:`app.explain.prompt.build_messages`, so training and serving share one
prompt format. When the payload records ``evidence_key`` and the rebuilt evidence has another key
(the catalogue changed since logging), the row is skipped: its completion cites evidence the new
prompt may not have. (The simulator writes the key as ``ev_<key>``: the store's PII redactor would
read an all-digit key as a phone number.)

* :func:`dpo_pairs_from_feedback` -- **within the same impression**: in an impression that
  showed several candidate explanations of one item side by side and got exactly one click, the
  clicked candidate is ``chosen`` and each shown-but-not-clicked candidate ``rejected``; with
  ``scope="context"`` (what ``waypoint train dpo --source feedback`` and the loop use) also across
  impressions of one person and prompt (:func:`context_groups`: another visit, or the UI's "Explain
  differently"), the liked one over the other. ``weight = min(clip, 1 / p_pair)`` with ``p_pair`` the
  logged probability of showing that ordered pair (``payload.pair_propensity``; else the product of the
  two rows' propensities).
* :func:`kto_examples` -- unpaired: every shown candidate is one example, ``label`` =
  :meth:`LoggedCandidate.liked` (a thumbs when one was given, else it was clicked and, with
  ``min_dwell_ms``, read for at least that long), ``weight = min(clip, 1 / propensity)``.

The clip (default :data:`DEFAULT_CLIP` = 10) is clipped inverse-propensity weighting: arms explored
with probability below 1/clip would otherwise let a handful of rows dominate the loss; clipping
trades a little bias towards the logging policy for much lower variance.

Rows are trl's conversational formats: ``prompt`` is ``[system, user]`` messages; ``chosen``,
``rejected`` and ``completion`` are ``[{"role": "assistant", "content": <JSON text>}]``.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from app.feedback.store import EXPLANATION_SURFACES, EventStore
from retrieval.settings import Settings
from retrieval.sqldb import sqlite_file

log = logging.getLogger(__name__)

DEFAULT_CLIP = 10.0


class LoggedCandidate(BaseModel):
    """One shown explanation (an impression row) with what the person did with it."""

    impression_id: str
    position: int
    item_id: str
    variant: str | None = None
    propensity: float | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    user_hash: str | None = None
    session_id: str | None = None
    clicked: bool = False
    dwell_ms: float | None = None
    thumbs: float | None = None  # the last thumbs given to it: +1 helpful, -1 not

    def liked(self, min_dwell_ms: float = 0.0) -> bool:
        """The outcome training learns: a thumbs, when the person gave one, says it outright; else it was
        clicked (and, with ``min_dwell_ms``, read at least that long)."""
        if self.thumbs is not None and self.thumbs != 0:
            return self.thumbs > 0
        return bool(self.clicked and (self.dwell_ms or 0.0) >= min_dwell_ms)

    @property
    def completion(self) -> str | None:
        value = self.payload.get("completion")
        return value if isinstance(value, str) and value.strip() else None


def _window(since: float | None, until: float | None) -> tuple[str, dict[str, float]]:
    sql, params = "", {}
    if since is not None:
        sql, params["since"] = sql + " AND ts >= :since", float(since)
    if until is not None:
        sql, params["until"] = sql + " AND ts < :until", float(until)
    return sql, params


def load_impressions(
    events: str | Path,
    surfaces: tuple[str, ...] = EXPLANATION_SURFACES,
    *,
    since: float | None = None,
    until: float | None = None,
) -> dict[str, list[LoggedCandidate]]:
    """Explanation impressions by id, rows in position order, with clicks, dwell and thumbs joined in.

    ``events`` is an SQLite path or a database URL; ``since``/``until`` (unix seconds) keep the impressions
    logged in that window (a learning loop trains on one window and evaluates on the next). A click (dwell,
    thumbs) belongs to the row of its impression at its position (or, without a position, to the
    impression's only row, or the row whose variant the click's payload names).
    """
    store = EventStore(events, create=False)
    try:
        window, params = _window(since, until)
        rows = store.query(
            "SELECT impression_id, position, item_id, variant, propensity, payload, user_hash, session_id "
            "FROM events WHERE type='impression' AND surface IN :surfaces" + window + " ORDER BY id",
            {"surfaces": list(surfaces), **params},
            expanding=["surfaces"],
        )
        clicks = store.query(
            "SELECT impression_id, position, item_id, payload FROM events WHERE type='click' "
            "AND impression_id IS NOT NULL ORDER BY id"
        )
        dwells = store.query(
            "SELECT impression_id, position, value FROM events WHERE type='dwell' "
            "AND impression_id IS NOT NULL ORDER BY id"
        )
        thumbs = store.query(
            "SELECT impression_id, position, value FROM events WHERE type='thumbs' "
            "AND impression_id IS NOT NULL ORDER BY id"
        )
    finally:
        store.close()
    out: dict[str, list[LoggedCandidate]] = defaultdict(list)
    for row in rows:
        imp, pos, item, variant, prop, payload = (
            row[k] for k in ("impression_id", "position", "item_id", "variant", "propensity", "payload")
        )
        try:
            data = json.loads(payload) if payload else {}
        except json.JSONDecodeError:
            data = {}
        out[imp].append(
            LoggedCandidate(
                impression_id=imp,
                position=int(pos or 0),
                item_id=item,
                variant=variant,
                propensity=prop,
                payload=data if isinstance(data, dict) else {},
                user_hash=row.get("user_hash"),
                session_id=row.get("session_id"),
            )
        )
    for cands in out.values():
        cands.sort(key=lambda c: c.position)

    def find(imp: str, pos: int | None, payload: str | None) -> LoggedCandidate | None:
        cands = out.get(imp)
        if not cands:
            return None
        if pos is not None:
            return next((c for c in cands if c.position == pos), None)
        if len(cands) == 1:
            return cands[0]
        try:
            variant = (json.loads(payload) or {}).get("variant") if payload else None
        except json.JSONDecodeError:
            variant = None
        return next((c for c in cands if variant and c.variant == variant), None)

    for click in clicks:
        cand = find(click["impression_id"], click["position"], click["payload"])
        if cand is not None:
            cand.clicked = True
    for dwell in dwells:
        value = dwell["value"]
        cand = find(dwell["impression_id"], dwell["position"], None)
        if cand is not None and value is not None:
            cand.dwell_ms = max(cand.dwell_ms or 0.0, float(value))
    for row in thumbs:  # in order: a changed mind (down, then up) keeps the last
        cand = find(row["impression_id"], row["position"], None)
        if cand is not None and row["value"] is not None:
            cand.thumbs = float(row["value"])
    return dict(out)


class PromptBuilder:
    """Rebuilds (and caches) the prompt messages of a logged (profile, item)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._cache: dict[str, list[dict[str, str]] | None] = {}
        self._evidence: dict[str, Any] = {}
        self.mismatched = 0
        self.failed = 0

    @staticmethod
    def _key(cand: LoggedCandidate) -> str:
        return json.dumps(
            [
                cand.payload.get("profile") or {},
                cand.item_id,
                cand.payload.get("evidence_key"),
                cand.payload.get("session_turns"),
            ],
            sort_keys=True,
        )

    def evidence(self, cand: LoggedCandidate):
        """The logged (profile, item)'s evidence rebuilt -- with the conversation turns the prompt held,
        as logged (``payload.session_turns``), not what the session's memory recalls today -- or None when
        it cannot be, or its key differs from the logged ``evidence_key`` (the catalogue changed since)."""
        from app.explain.evidence import build_evidence
        from retrieval.profile import Profile

        key = self._key(cand)
        if key in self._evidence:
            return self._evidence[key]
        profile_data = dict(cand.payload.get("profile") or {})
        logged = cand.payload.get("session_turns")  # absent in rows logged before it was: recall nothing then
        turns = None if logged is None else [(str(t[0]), str(t[1])) for t in logged if len(t) == 2]
        evidence = None
        try:
            if profile_data.get("text") or profile_data.get("skills") or profile_data.get("occupation"):
                profile_data.pop("user_id", None)  # hashed in the store: it no longer resolves an applicant
            built = build_evidence(
                Profile.model_validate(profile_data),
                cand.item_id,
                self.settings,
                session_id=cand.session_id if turns is not None else None,  # the memory owner, as when served
                turns=turns if turns is not None else [],
            )
            want = str(cand.payload.get("evidence_key") or "").removeprefix("ev_")
            if want and built.key != want:
                self.mismatched += 1
                log.warning("evidence for %s changed since logging (%s != %s); skipped", cand.item_id, built.key, want)
            else:
                evidence = built
        except ValueError as exc:  # ProfileError and friends: a row we cannot rebuild
            self.failed += 1
            log.warning("cannot rebuild the prompt of impression %s: %s", cand.impression_id, exc)
        self._evidence[key] = evidence
        return evidence

    def messages(self, cand: LoggedCandidate) -> list[dict[str, str]] | None:
        from app.explain.prompt import build_messages

        key = self._key(cand)
        if key not in self._cache:
            evidence = self.evidence(cand)
            self._cache[key] = build_messages(evidence) if evidence is not None else None
        return self._cache[key]


def _assistant(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def _clipped_inverse(p: float | None, clip: float) -> float | None:
    if p is None or p <= 0:
        return None
    return float(min(clip, 1.0 / p))


def context_groups(impressions: dict[str, list[LoggedCandidate]]) -> list[list[LoggedCandidate]]:
    """Shown explanations grouped by context: the same person (hashed user id, else the session: the UI's
    visitors are anonymous), item and evidence key -- i.e. the same prompt -- in different impressions, each
    a logged sample. These are the on-policy pairs of an app that shows one explanation at a time: visits
    on different days, or "Explain differently" after the first one. Pairs inside one impression are
    :func:`dpo_pairs_from_feedback`'s own (side by side)."""
    groups: dict[tuple, list[LoggedCandidate]] = defaultdict(list)
    for cands in impressions.values():
        for c in cands:
            who = c.user_hash or c.session_id
            if c.completion and who:
                groups[(who, c.item_id, str(c.payload.get("evidence_key") or ""))].append(c)
    return [g for g in groups.values() if len({c.impression_id for c in g}) >= 2]


def dpo_pairs_from_feedback(
    events_db_path: str | Path,
    settings: Settings,
    *,
    clip: float = DEFAULT_CLIP,
    min_dwell_ms: float = 0.0,
    scope: str = "impression",
    since: float | None = None,
    until: float | None = None,
    max_pairs_per_context: int = 4,
) -> list[dict]:
    """``{"prompt", "chosen", "rejected", "weight"}`` rows (module doc).

    ``scope="impression"``: only from within one side-by-side impression. ``scope="context"`` adds pairs
    across impressions of the same person and prompt (:func:`context_groups`): a liked sample
    (:meth:`LoggedCandidate.liked`: thumbs up, else clicked) is ``chosen`` over a different one that was not;
    weight = clipped ``1 / (p_chosen * p_rejected)``.
    """
    if clip < 1:
        raise ValueError("clip must be at least 1")
    if scope not in ("impression", "context"):
        raise ValueError("scope must be 'impression' or 'context'")
    builder = PromptBuilder(settings)
    pairs: list[dict] = []
    impressions = load_impressions(events_db_path, since=since, until=until)
    if scope == "context":
        for group in context_groups(impressions):
            good = [c for c in group if c.liked(min_dwell_ms)]
            bad = [c for c in group if not c.liked(min_dwell_ms)]
            made = 0
            for chosen in good:
                for rejected in bad:
                    if (
                        made >= max_pairs_per_context
                        or rejected.completion == chosen.completion
                        or rejected.impression_id == chosen.impression_id  # side by side: the loop below
                    ):
                        continue
                    weight = _clipped_inverse((chosen.propensity or 0) * (rejected.propensity or 0), clip)
                    prompt = builder.messages(chosen)
                    if weight is None or prompt is None:
                        continue
                    pairs.append(
                        {
                            "prompt": prompt,
                            "chosen": _assistant(chosen.completion),
                            "rejected": _assistant(rejected.completion),
                            "weight": weight,
                            "meta": {"scope": "context"},
                        }
                    )
                    made += 1
    for cands in impressions.values():
        usable = [c for c in cands if c.completion]
        if len(usable) < 2 or len({c.item_id for c in usable}) != 1:
            continue
        clicked = [c for c in usable if c.clicked and (c.dwell_ms or 0.0) >= min_dwell_ms]
        if len([c for c in usable if c.clicked]) != 1 or len(clicked) != 1:
            continue
        chosen = clicked[0]
        prompt = builder.messages(chosen)
        if prompt is None:
            continue
        for rejected in usable:
            if rejected is chosen or rejected.completion == chosen.completion:
                continue
            p_pair = chosen.payload.get("pair_propensity")
            if not isinstance(p_pair, (int, float)) or p_pair <= 0:
                if chosen.propensity is None or rejected.propensity is None:
                    continue
                p_pair = chosen.propensity * rejected.propensity
            weight = _clipped_inverse(float(p_pair), clip)
            if weight is None:
                continue
            pairs.append(
                {
                    "prompt": prompt,
                    "chosen": _assistant(chosen.completion),
                    "rejected": _assistant(rejected.completion),
                    "weight": weight,
                }
            )
    log.info("dpo pairs: %d (prompt rebuild: %d mismatched, %d failed)", len(pairs), builder.mismatched, builder.failed)
    return pairs


def kto_examples(
    events_db_path: str | Path,
    settings: Settings,
    *,
    clip: float = DEFAULT_CLIP,
    min_dwell_ms: float = 0.0,
    since: float | None = None,
    until: float | None = None,
) -> list[dict]:
    """``{"prompt", "completion", "label", "weight"}`` rows: every shown candidate, liked or not (module doc)."""
    if clip < 1:
        raise ValueError("clip must be at least 1")
    builder = PromptBuilder(settings)
    rows: list[dict] = []
    skipped = 0
    for cands in load_impressions(events_db_path, since=since, until=until).values():
        for cand in cands:
            if not cand.completion:
                continue
            weight = _clipped_inverse(cand.propensity, clip)
            if weight is None:
                skipped += 1
                continue
            prompt = builder.messages(cand)
            if prompt is None:
                continue
            label = cand.liked(min_dwell_ms)
            rows.append({"prompt": prompt, "completion": _assistant(cand.completion), "label": label, "weight": weight})
    if skipped:
        log.warning("kto: %d rows without a usable propensity skipped", skipped)
    log.info(
        "kto examples: %d (prompt rebuild: %d mismatched, %d failed)", len(rows), builder.mismatched, builder.failed
    )
    return rows


__all__ = [
    "DEFAULT_CLIP",
    "LoggedCandidate",
    "PromptBuilder",
    "context_groups",
    "dpo_pairs_from_feedback",
    "kto_examples",
    "load_impressions",
]


def tagged_feedback(builder, settings) -> list[dict]:
    """``builder(events_db, settings)`` rows tagged ``meta.source = "feedback"``; [] before any event is logged.

    One place for what DPO (:func:`dpo_pairs_from_feedback`) and KTO (:func:`kto_examples`) both need
    from the app's events DB, so the trainers can tell feedback rows from verifier ones in their metrics.
    """
    lite = sqlite_file(settings.events_target)
    if lite is not None and not lite.is_file():  # an SQLite log that was never written: nothing to learn yet
        return []
    rows = builder(settings.events_target, settings)
    for row in rows:
        row.setdefault("meta", {}).setdefault("source", "feedback")
    return rows
