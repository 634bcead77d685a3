"""Which rated occupations stand in for an O*NET occupation that O*NET does not rate.

Why: 137 of O*NET's 1,016 occupations have no skill or knowledge ratings. Their ratings were the mean of
their closest *related* occupations (O*NET's Related Occupations list), but that list, as ``../shared/data``
holds it, names related occupations for only 21 of them. The other 116 -- Emergency Medical Technicians,
Cardiologists, Medical Records Specialists, Legislators, Taxi Drivers' neighbours among them -- held nothing
but their software list, so "I'm an EMT, been on the ambulance for 5 years" was told "as an emergency medical
technician you have likely used Microsoft PowerPoint, Microsoft Word and Microsoft Office software" and that
every move, Paramedics included, was a stretch, with Social Perceptiveness as the main skill to build.

Where O*NET names rated related occupations, they stand in (closest first). Where it names none, the rated
occupations of the same SOC broad group do (Cardiologists: the other physicians); where there are none, the rated
occupations nearest by meaning (title, description and tasks, MiniLM cosine) do, when they are near enough:
at :data:`MIN_MEANING` an EMT gets ambulance attendants, critical care nurses and hospitalists. O*NET's military
occupations (neither ratings nor tasks) take the civilian work they carry over to
(:mod:`retrieval.occupations.military`): by meaning, infantry got airfield operations specialists and agricultural
equipment operators at 0.5-0.57.
O*NET's "All Other" occupations (a description, no tasks) take their SOC group's rated occupations.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence

import numpy as np

from retrieval.occupations.military import civilian
from retrieval.settings import Settings

#: Rated occupations an unrated one's ratings are averaged over.
STAND_INS = 5
#: Least cosine (title, description and tasks) of a stand-in found by meaning.
MIN_MEANING = 0.6


def stand_ins(
    ids: Sequence[str],
    rated: np.ndarray,
    related: Mapping[str, Sequence[str]],
    meaning: np.ndarray | None,
    *,
    k: int = STAND_INS,
    min_similarity: float = MIN_MEANING,
) -> dict[str, list[str]]:
    """Unrated occupation id -> up to ``k`` rated occupation ids that stand in for it, closest first.

    ``rated``: (n,) bool aligned with ``ids``; ``related``: O*NET's related occupations, closest first;
    ``meaning``: (n, d) unit vectors aligned with ``ids``, or None to use O*NET's list alone. Without a rated
    relative, the rated occupations of its SOC broad group stand in (nearest by meaning first: a cardiologist's
    are other physicians, where meaning alone found cardiovascular technologists and exercise physiologists, and
    "Cooks, All Other" is by definition the rest of its group); else its rated neighbours at ``min_similarity``;
    else its SOC minor group's. An occupation with none of these is left out."""
    index = {oid: i for i, oid in enumerate(ids)}
    out: dict[str, list[str]] = {}
    for i in map(int, np.flatnonzero(~rated)):
        oid = ids[i]
        # a military occupation: the civilian work it carries over to (by meaning, infantry's nearest rated
        # occupations were airfield operations specialists and agricultural equipment operators)
        sources = [r for r in (*civilian(oid), *related.get(oid, [])) if r in index and rated[index[r]]][:k]
        if not sources and meaning is not None:
            sims = meaning @ meaning[i]
            sims[~rated] = -1.0
            nearest = [int(j) for j in np.argsort(-sims, kind="stable") if sims[j] > -1.0]
            broad, minor = oid[:6], oid[:4]  # SOC broad group ("29-121", physicians), minor group ("29-1")
            # O*NET's own occupations under an "All Other" code (15-1299.04 Penetration Testers) share a catch-all
            # group with unlike work (Document Management Specialists): meaning decides for them
            catch_all = oid[6:7] == "9" and not oid.endswith(".00")
            sources = (
                ([] if catch_all else [ids[j] for j in nearest if ids[j].startswith(broad)][:k])
                or [ids[j] for j in nearest[:k] if sims[j] >= min_similarity]
                or [ids[j] for j in nearest if ids[j].startswith(minor)][:k]
            )
        if sources:
            out[oid] = sources
    return out


def catalogue_stand_ins(conn: sqlite3.Connection, settings: Settings) -> dict[str, list[str]]:
    """:func:`stand_ins` for the catalogue's O*NET occupations (embeddings come from the on-disk cache the
    occupation features already filled)."""
    from retrieval.catalogue.db import related_occupations
    from retrieval.embeddings import get_embedder
    from retrieval.occupations.corpus import OccupationCorpus

    corpus = OccupationCorpus.load(conn)
    meaning = get_embedder(settings).encode(corpus.texts["full"])
    return stand_ins(corpus.ids, corpus.rated, related_occupations(conn), meaning)
