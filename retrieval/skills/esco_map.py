"""O*NET → ESCO occupation map, so O*NET occupations also get ESCO's essential skills.

O*NET rates 68 broad elements and lists technologies; ESCO names the concrete essential skills
("educate patients on disease prevention"). No crosswalk ships with the data, so the map is learned
from two kinds of evidence:

* **meaning** — cosine of the MiniLM embeddings of ``title. description`` of both occupations;
* **titles** — normalised titles shared between the O*NET title set (primary, alternate, short,
  reported) and the ESCO one (preferred, alternative), each shared title weighted by 1/(number of
  ESCO occupations carrying it), so that "manager" says little and "registered nurse" a lot.

``score = cosine + TITLE_WEIGHT · title_evidence``; the confidence combines the score with the
margin over the runner-up (a near tie means the O*NET occupation spans several ESCO ones).
The map is cached per catalogue fingerprint as JSON under ``index_dir/skills_graph``.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from retrieval.artifacts import require_build_allowed
from retrieval.settings import Settings, get_settings
from retrieval.skills import base
from retrieval.skills.evidence import Requirement
from retrieval.skills.graph import RATED_MIN_IMPORTANCE, get_graph, is_requirement, occupation_vectors
from retrieval.threads import torch_threads

MAP_VERSION = "2"
TITLE_WEIGHT = 0.25
#: Map entries at or above this confidence contribute ESCO essentials to O*NET occupations.
CONFIDENCE_THRESHOLD = 0.6
ALTERNATIVES = 3


class EscoMatch(BaseModel):
    esco_id: str
    title: str
    cosine: float
    title_evidence: float
    score: float


class EscoMapping(BaseModel):
    onet_id: str
    onet_title: str
    best: EscoMatch
    confidence: float
    alternatives: list[EscoMatch]


#: Weight of a shared title by where it sits on each side (O*NET title kind, ESCO preferred or not).
ONET_TITLE_WEIGHT = {"primary": 1.0, "short": 0.9, "alternate": 0.7, "reported": 0.5}
ESCO_TITLE_WEIGHT = {"primary": 1.0, "esco_alt": 0.8}


def title_key(norm: str) -> str:
    """Normalised title with a naive singular last word: O*NET titles are plural ("Registered Nurses"),
    ESCO's singular ("data scientist")."""
    words = norm.split()
    if words:
        last = words[-1]
        if last.endswith("ies") and len(last) > 4:
            last = last[:-3] + "y"
        elif last.endswith("s") and not last.endswith(("ss", "us", "is")) and len(last) > 3:
            last = last[:-1]
        words[-1] = last
    return " ".join(words)


def _title_sets(conn) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """{occupation id: {title key: weight}} for O*NET and ESCO (best weight per key)."""
    onet: dict[str, dict[str, float]] = defaultdict(dict)
    esco: dict[str, dict[str, float]] = defaultdict(dict)
    for oid, taxonomy, norm, kind in conn.execute(
        "SELECT t.occupation_id, o.taxonomy, t.title_norm, t.kind FROM occupation_title t "
        "JOIN occupation o ON o.id = t.occupation_id"
    ):
        side, weights = (onet, ONET_TITLE_WEIGHT) if taxonomy == "onet" else (esco, ESCO_TITLE_WEIGHT)
        key, weight = title_key(norm), weights.get(kind, 0.5)
        side[oid][key] = max(side[oid].get(key, 0.0), weight)
    return onet, esco


def build_map(
    settings: Settings | None = None, *, onet_ids: list[str] | None = None, esco_ids: list[str] | None = None
) -> list[EscoMapping]:
    """Best ESCO occupation for every O*NET occupation, with confidence and alternatives.

    ``onet_ids`` / ``esco_ids`` restrict both sides (tests, quick looks); by default every occupation
    is mapped against every ESCO occupation using the cached occupation vectors.
    """
    settings = settings or get_settings()
    conn = base.catalogue(settings)
    titles = dict(conn.execute("SELECT id, title FROM occupation"))
    taxonomy = dict(conn.execute("SELECT id, taxonomy FROM occupation"))
    if onet_ids is None and esco_ids is None:
        ids, vectors = occupation_vectors(settings)
    else:
        from retrieval.embeddings import get_embedder
        from retrieval.skills.texts import occupation_text

        onet_ids = onet_ids if onet_ids is not None else sorted(o for o, t in taxonomy.items() if t == "onet")
        esco_ids = esco_ids if esco_ids is not None else sorted(o for o, t in taxonomy.items() if t == "esco")
        ids = [o for o in list(onet_ids) + list(esco_ids) if o in taxonomy]
        desc = dict(conn.execute("SELECT id, description FROM occupation"))
        with torch_threads(settings=settings):  # bulk: every occupation
            vectors = get_embedder(settings).encode([occupation_text(titles[o], desc[o]) for o in ids])
    onet_rows = [i for i, o in enumerate(ids) if taxonomy[o] == "onet"]
    esco_rows = [i for i, o in enumerate(ids) if taxonomy[o] == "esco"]
    esco_ids = [ids[i] for i in esco_rows]
    esco_pos = {e: j for j, e in enumerate(esco_ids)}
    sims = vectors[onet_rows] @ vectors[esco_rows].T

    onet_titles, esco_titles = _title_sets(conn)
    by_title: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for eid, names in esco_titles.items():
        for name, weight in names.items():
            by_title[name].append((eid, weight))
    out: list[EscoMapping] = []
    for r, row in enumerate(onet_rows):
        oid = ids[row]
        evidence = np.zeros(len(esco_ids), dtype=np.float32)
        for name, onet_weight in onet_titles.get(oid, {}).items():
            owners = by_title.get(name, ())
            for eid, esco_weight in owners:
                j = esco_pos.get(eid)
                if j is None:  # an ESCO occupation outside the requested subset
                    continue
                evidence[j] = max(evidence[j], onet_weight * esco_weight / len(owners))
        score = sims[r] + TITLE_WEIGHT * evidence
        top = np.argsort(-score, kind="stable")[: ALTERNATIVES + 1]
        matches = [
            EscoMatch(
                esco_id=esco_ids[j],
                title=titles[esco_ids[j]],
                cosine=round(float(sims[r, j]), 4),
                title_evidence=round(float(evidence[j]), 4),
                score=round(float(score[j]), 4),
            )
            for j in top
        ]
        best = matches[0]
        margin = best.score - matches[1].score if len(matches) > 1 else best.score
        # cosine 0.45 → 0, 0.85 → 1; title evidence and a clear margin add certainty.
        semantic = min(1.0, max(0.0, (best.cosine - 0.45) / 0.4))
        confidence = min(1.0, 0.6 * semantic + 0.3 * best.title_evidence + min(0.2, 2.0 * margin))
        out.append(
            EscoMapping(
                onet_id=oid,
                onet_title=titles[oid],
                best=best,
                confidence=round(confidence, 4),
                alternatives=matches[1:],
            )
        )
    return out


def map_path(settings: Settings, fingerprint: str) -> Path:
    """The O*NET -> ESCO map (JSON) of the catalogue with ``fingerprint``."""
    return base.artifact_dir(settings) / f"esco-map-v{MAP_VERSION}-{fingerprint[:16]}.json"


def get_map(settings: Settings | None = None) -> dict[str, EscoMapping]:
    """O*NET id → mapping, cached per catalogue fingerprint (JSON) and per process."""
    settings = settings or get_settings()
    fp = base.fingerprint(base.catalogue(settings))

    def load() -> dict[str, EscoMapping]:
        path = map_path(settings, fp)
        if path.exists():
            rows = json.loads(path.read_text())
        else:
            require_build_allowed(f"the skills artifact {path.name}")
            rows = [m.model_dump() for m in build_map(settings)]
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(rows, indent=0))
            os.replace(tmp, path)
        return {r["onet_id"]: EscoMapping.model_validate(r) for r in rows}

    return base.memoised(settings, f"esco-map:{fp}", load)


def coverage(threshold: float = CONFIDENCE_THRESHOLD, settings: Settings | None = None) -> dict:
    """How many O*NET occupations map at or above ``threshold`` (and at a few other cut-offs)."""
    mapping = get_map(settings)
    conf = np.array([m.confidence for m in mapping.values()])
    return {
        "onet_occupations": len(mapping),
        "threshold": threshold,
        "mapped": int((conf >= threshold).sum()),
        "share": round(float((conf >= threshold).mean()), 4) if len(conf) else 0.0,
        "by_threshold": {str(t): int((conf >= t).sum()) for t in (0.4, 0.5, 0.6, 0.7, 0.8)},
    }


def essential_skills(
    occupation_id: str,
    settings: Settings | None = None,
    *,
    use_map: bool = True,
    threshold: float = CONFIDENCE_THRESHOLD,
    rated_floor: float = RATED_MIN_IMPORTANCE,
) -> list[Requirement]:
    """What an occupation requires, best first.

    O*NET: rated skill/knowledge elements with importance ≥ ``rated_floor`` (0.5; what a profile's occupation
    *holds* is read a little lower, :data:`retrieval.skills.gap.HELD_CONFIDENCE`), technology skills, and — through the
    map, when its confidence ≥ ``threshold`` — the mapped ESCO occupation's essential skills (weighted
    by the map confidence). ESCO: essential (1.0) and optional (0.5) skills. One row per skill, the
    most important link wins.
    """
    graph = get_graph(settings)
    if graph.node_type(occupation_id) != "occupation":
        raise base.UnknownIdError(f"unknown occupation id: {occupation_id!r}")
    taxonomy = graph.kind(occupation_id)
    out: dict[str, Requirement] = {}

    def add(req: Requirement) -> None:
        have = out.get(req.skill_id)
        if have is None or req.importance > have.importance:
            out[req.skill_id] = req

    for sid, d in graph.occupation_requirements(occupation_id):
        relation = d["relation"]
        if not is_requirement(relation, d["importance"], rated_floor):
            continue
        add(
            Requirement(
                skill_id=sid,
                label=graph.label(sid),
                kind=graph.kind(sid),
                relation=relation,
                importance=d["importance"],
                level=d.get("level"),
                hot=bool(d.get("hot")),
                # ratings O*NET does not give this occupation, averaged over its closest related ones
                source=f"{'onet_related' if d.get('imputed_from') else taxonomy}:{occupation_id}",
            )
        )
    if taxonomy == "onet" and use_map:
        mapping = get_map(settings).get(occupation_id)
        if mapping is not None and mapping.confidence >= threshold:
            esco_id = mapping.best.esco_id
            for sid, d in graph.occupation_requirements(esco_id):
                if d["relation"] != "essential":
                    continue
                add(
                    Requirement(
                        skill_id=sid,
                        label=graph.label(sid),
                        kind=graph.kind(sid),
                        relation="essential",
                        importance=round(mapping.confidence, 4),
                        source=f"esco_map:{esco_id}",
                        map_confidence=mapping.confidence,
                    )
                )
    return sorted(out.values(), key=lambda r: (-r.importance, r.label, r.skill_id))
