"""A fixed, deterministic sample of ``(profile, occupation id)`` pairs from the catalogue.

Two consumers need the *same* sampling rule: ``waypoint eval explain`` scores explanations on the
first profiles of each source, and ``waypoint train golden`` builds the explainer's training set from
profiles *after* those (``offset``), so the evaluation stays held out. It lives here, in the bottom
layer, so that ``training`` does not import ``eval`` (the layers contract in pyproject.toml).

Profiles come from the catalogue's ``resume`` table (résumé text) and ``experience`` table (an
applicant's positions and descriptions), each paired with its top-k recommended occupations
(:func:`retrieval.recommend.recommend`), ordered by id so runs are comparable.
"""

from __future__ import annotations

import itertools
import logging

from retrieval.bm25 import BM25Index
from retrieval.catalogue.db import connect
from retrieval.profile import Profile
from retrieval.recommend import Kind, recommend

log = logging.getLogger(__name__)

DEFAULT_PAIRS = 240
# Where the last sample's items came from; "bm25-fallback" when the recommender failed. A one-element
# list mutated in place so a report can say which items it was scored on (eval/explain.py reads it).
ITEM_SOURCE = ["recommend"]
MAX_TEXT = 6000


def sample_profiles(settings, n_resumes: int = 40, n_applicants: int = 40, offset: int = 0) -> list[Profile]:
    """Deterministic profiles: the first résumés and applicants (with described experience) by id.

    ``offset`` skips that many of each source first (training data takes profiles after the eval's)."""
    conn = connect(settings.catalogue_path, readonly=True)
    try:
        profiles = [
            Profile(id=rid, text=text[:MAX_TEXT])
            for rid, text in conn.execute(
                "SELECT id, text FROM resume WHERE length(text) > 200 ORDER BY id LIMIT ? OFFSET ?", (n_resumes, offset)
            )
        ]
        applicants = [
            r[0]
            for r in conn.execute(
                "SELECT applicant_id FROM experience WHERE description != '' GROUP BY applicant_id "
                "HAVING sum(length(description)) > 150 ORDER BY applicant_id LIMIT ? OFFSET ?",
                (n_applicants, offset),
            )
        ]
        for aid in applicants:
            rows = conn.execute(
                "SELECT position, description FROM experience WHERE applicant_id = ? ORDER BY start_date DESC", (aid,)
            ).fetchall()
            text = "\n".join(f"{p}: {d}".strip(": ") for p, d in rows if p or d)
            profiles.append(Profile(id=f"applicant:{aid}", text=text[:MAX_TEXT]))
    finally:
        conn.close()
    return profiles


def sample_pairs(
    settings, limit: int = DEFAULT_PAIRS, k: int = 3, offset: int = 0, item_source: str = "recommend"
) -> list[tuple[Profile, str]]:
    """``(profile, item id)`` pairs; ``item_source="bm25"`` skips the recommender (cheap, for tests)."""
    per_source = max(1, (limit + 2 * k - 1) // (2 * k))
    profiles = sample_profiles(settings, per_source, per_source, offset)
    if item_source == "bm25":
        items = bm25_items(settings, profiles, k)
    else:
        try:
            results = recommend(profiles, Kind.occupation, k=k)
            items = [[i.id for i in r.items[:k]] for r in results]
        except Exception as exc:  # noqa: BLE001 - the recommender is another team's moving part
            log.warning(
                "recommend() failed (%s: %s); using BM25 over O*NET occupation text for the sample",
                type(exc).__name__,
                exc,
            )
            items = bm25_items(settings, profiles, k)
            ITEM_SOURCE[0] = "bm25-fallback"
    pairs = [(p, item_id) for p, ids in zip(profiles, items) for item_id in ids]
    # interleave the two sources so any --limit keeps both
    resumes = [x for x in pairs if not (x[0].id or "").startswith("applicant:")]
    applicants = [x for x in pairs if (x[0].id or "").startswith("applicant:")]
    mixed = [x for pair in itertools.zip_longest(resumes, applicants) for x in pair if x is not None]
    return mixed[:limit]


def bm25_items(settings, profiles, k: int) -> list[list[str]]:
    """Fallback item choice: BM25 of the profile text over O*NET title + description + tasks."""
    conn = connect(settings.catalogue_path, readonly=True)
    try:
        docs = [
            (
                oid,
                f"{title} {title} {desc} "
                + " ".join(r[0] for r in conn.execute("SELECT text FROM task WHERE occupation_id = ?", (oid,))),
            )
            for oid, title, desc in conn.execute("SELECT id, title, description FROM occupation WHERE taxonomy='onet'")
        ]
    finally:
        conn.close()
    index = BM25Index.build(docs)
    return [[d for d, _ in index.search((p.text or "")[:3000], k)] for p in profiles]
