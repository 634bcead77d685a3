"""The skills graph: skills, occupations, courses and job postings with typed edges.

Node ids are the catalogue ids (``esco:skill:…``, ``tech:…``, ``onet:2.A.1.a``, ``15-1252.00``,
``esco:occupation:…``, ``course:…``, ``posting:…``); node attribute ``type`` is one of
``skill | occupation | course | posting``. Edge attribute ``type``:

* ``broader`` skill → broader skill (ESCO hierarchy, human-curated);
* ``essential`` / ``optional`` skill → skill (ESCO skill–skill relations, human-curated);
* ``requires`` occupation → skill with ``relation`` (rated | technology | essential | optional),
  ``importance`` (0..1), ``level``, ``hot``; a rated edge with ``imputed_from`` (the related occupations it
  is averaged over) stands in for O*NET's ratings where an occupation has none (:func:`impute_ratings`);
* ``teaches`` course → skill with ``source`` (catalogue | extracted) and ``confidence``;
* ``mentions`` posting → skill with ``confidence`` (extracted; model-predicted, kept apart from the
  curated edges by ``source``).

The graph is a :class:`networkx.DiGraph` pickled under ``index_dir/skills_graph`` with the catalogue
fingerprint in the file name, so it is rebuilt only after a new ingest and loaded once per process.

Relatedness is co-occurrence significance: for a foreground set of occupations (those requiring a
skill, or the occupations nearest a query) each skill's share p̂ of the foreground is compared with its
share p of all occupations, z = (p̂ − p) / √(p(1 − p)/n).
"""

from __future__ import annotations

import math
import os
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel

from retrieval.artifacts import require_build_allowed
from retrieval.catalogue.db import related_occupations
from retrieval.occupations.stand_ins import STAND_INS, catalogue_stand_ins
from retrieval.settings import Settings, get_settings
from retrieval.skills import base
from retrieval.skills.extract import EXTRACTOR_VERSION, SkillExtractor, get_extractor
from retrieval.skills.texts import occupations as occupation_texts
from retrieval.threads import torch_threads

# 3: edges from the precise extractor (v4); 4: ratings imputed for unrated O*NET occupations; 5: from the
# occupations nearest by meaning where O*NET names no rated related one; 6: its SOC broad group first; 7: a military
# occupation's civilian counterparts. The path also carries the extractor version
GRAPH_VERSION = "7"
#: A technology's importance without O*NET's Hot or In Demand flag (each adds to it, :func:`link_importance`).
TOOL_IMPORTANCE = 0.5
#: A rated O*NET element counts as a requirement from this importance (IM ≥ 3 of 5).
RATED_MIN_IMPORTANCE = 0.5
#: Extracted course/posting links below this confidence are not stored.
MIN_EXTRACTED_CONFIDENCE = 0.5
#: Foreground size for ``skills_for_query``.
QUERY_FOREGROUND = 40
#: A co-occurring skill needs at least this many foreground occurrences to be reported.
MIN_SUPPORT = 3
#: ... and at least this share of the foreground.
MIN_SHARE = 0.15
#: ESCO occupations the graph must hold for a skill's generality to mean anything (the real ESCO has ~3,000)
GENERIC_MIN_OCCUPATIONS = 200


def link_importance(relation: str, importance: float | None, hot: int = 0, in_demand: int = 0) -> float:
    """One 0..1 importance for every kind of occupation→skill link.

    O*NET rated elements carry their own importance; ESCO essential = 1, optional = 0.5; technology
    skills have no rating, so hot/in-demand technologies (O*NET's own flags) rank above the rest.
    """
    if relation == "rated":
        return float(importance or 0.0)
    if relation == "essential":
        return 1.0
    if relation == "optional":
        return 0.5
    return TOOL_IMPORTANCE + 0.15 * int(bool(hot)) + 0.1 * int(bool(in_demand))


def is_requirement(relation: str, importance: float | None, floor: float = RATED_MIN_IMPORTANCE) -> bool:
    """Rated elements below ``floor`` (:data:`RATED_MIN_IMPORTANCE`) are ratings, not requirements."""
    return relation != "rated" or (importance or 0.0) >= floor


class RelatedSkill(BaseModel):
    """A skill that co-occurs with a skill or a query more often than chance."""

    id: str
    label: str
    kind: str
    z: float
    foreground_count: int
    foreground_share: float
    background_share: float


@dataclass
class SkillsGraph:
    """The graph plus the occupation × skill requirement matrix derived from it."""

    graph: nx.DiGraph
    fingerprint: str
    occupation_ids: list[str]
    skill_ids: list[str]
    requirements: sp.csr_matrix  # occupations × skills, importance weights (0 = not required)
    stats: dict

    def __post_init__(self) -> None:
        self.occ_index = {o: i for i, o in enumerate(self.occupation_ids)}
        self.skill_index = {s: i for i, s in enumerate(self.skill_ids)}
        self._presence = (self.requirements > 0).astype(np.float32).tocsc()
        self._background = np.asarray(self._presence.sum(axis=0)).ravel() / max(1, len(self.occupation_ids))
        self._typical: dict[str, np.ndarray] | None = None  # per taxonomy, computed on first use
        self._esco_count: int | None = None  # ESCO occupations in the graph, counted on first use

    def typical_importance(self, skill_id: str, taxonomy: str = "onet") -> float:
        """The skill's mean requirement importance over the ``taxonomy``'s occupations (0 where not required).

        Why: O*NET lists Microsoft Excel for 859 of 923 occupations and rates every skill for every
        occupation, so "a truck driver has likely used Microsoft Excel" says nothing about truck driving. How
        much more an occupation needs a skill than occupations usually do (:func:`salience`) is what makes the
        skill characteristic of it."""
        if getattr(self, "_typical", None) is None:  # graphs pickled before this attribute have none
            kinds = np.array([self.graph.nodes[o].get("kind", "") for o in self.occupation_ids])
            per_taxonomy: dict[str, np.ndarray] = {}
            for name in ("onet", "esco"):
                rows = np.flatnonzero(kinds == name)
                per_taxonomy[name] = (
                    np.asarray(self.requirements[rows].sum(axis=0)).ravel() / len(rows)
                    if len(rows)
                    else np.zeros(len(self.skill_ids))
                )
            self._typical = per_taxonomy
        col = self.skill_index.get(skill_id)
        typical = self._typical or {}
        vector = typical.get(taxonomy, typical["onet"])
        return 0.0 if col is None else float(vector[col])

    def esco_generality(self, skill_id: str) -> float:
        """How generic an ESCO skill is: its mean importance over the ESCO occupations (:meth:`typical_importance`),
        or 0 when the graph holds fewer than :data:`GENERIC_MIN_OCCUPATIONS` of them (a test catalogue of a few
        occupations, where every skill one of them requires looks common)."""
        count = getattr(self, "_esco_count", None)  # graphs pickled before this attribute have none
        if count is None:
            count = self._esco_count = sum(self.graph.nodes[o].get("kind", "") == "esco" for o in self.occupation_ids)
        if count < GENERIC_MIN_OCCUPATIONS:
            return 0.0
        return self.typical_importance(skill_id, "esco")

    # ------------------------------------------------------------------ accessors
    def label(self, node: str) -> str:
        return self.graph.nodes[node].get("label", node) if node in self.graph else node

    def kind(self, node: str) -> str:
        return self.graph.nodes[node].get("kind", "") if node in self.graph else ""

    def node_type(self, node: str) -> str | None:
        return self.graph.nodes[node].get("type") if node in self.graph else None

    def broader(self, skill_id: str) -> list[str]:
        """Direct ESCO broader skills (parents) of a skill."""
        if skill_id not in self.graph:
            return []
        return [v for v, d in self.graph.succ[skill_id].items() if d.get("type") == "broader"]

    def narrower(self, skill_id: str) -> list[str]:
        if skill_id not in self.graph:
            return []
        return [u for u, d in self.graph.pred[skill_id].items() if d.get("type") == "broader"]

    def courses_for(self, skill_id: str) -> list[tuple[str, dict]]:
        """(course id, edge data) of every course linked to ``skill_id`` (catalogue or extracted)."""
        if skill_id not in self.graph:
            return []
        return [(u, d) for u, d in self.graph.pred[skill_id].items() if d.get("type") == "teaches"]

    def occupation_requirements(self, occupation_id: str) -> list[tuple[str, dict]]:
        if occupation_id not in self.graph:
            return []
        return [(v, d) for v, d in self.graph.succ[occupation_id].items() if d.get("type") == "requires"]

    # ------------------------------------------------------------------ relatedness
    def cooccurrence_z(
        self, foreground_rows: np.ndarray, *, min_support: int = MIN_SUPPORT
    ) -> tuple[np.ndarray, np.ndarray]:
        """(z, counts) over all skills for a foreground set of occupation rows."""
        n = len(foreground_rows)
        if n == 0:
            return np.zeros(len(self.skill_ids)), np.zeros(len(self.skill_ids))
        counts = np.asarray(self._presence[foreground_rows].sum(axis=0)).ravel()
        p = np.clip(self._background, 1e-9, 1 - 1e-9)
        z = (counts / n - p) / np.sqrt(p * (1 - p) / n)
        # A skill seen in a handful of foreground items but almost nowhere else gets a huge z from a
        # tiny count; ask for a minimum share of the foreground as well as a minimum count.
        z[counts < min(max(min_support, MIN_SHARE * n), n)] = -np.inf
        return z, counts

    def _ranked(self, z: np.ndarray, counts: np.ndarray, n: int, k: int, exclude: set[str]) -> list[RelatedSkill]:
        order = np.argsort(-z, kind="stable")
        out: list[RelatedSkill] = []
        for col in order:
            if not np.isfinite(z[col]) or len(out) >= k:
                break
            sid = self.skill_ids[col]
            if sid in exclude:
                continue
            out.append(
                RelatedSkill(
                    id=sid,
                    label=self.label(sid),
                    kind=self.kind(sid),
                    z=round(float(z[col]), 3),
                    foreground_count=int(counts[col]),
                    foreground_share=round(float(counts[col]) / n, 4),
                    background_share=round(float(self._background[col]), 4),
                )
            )
        return out

    def related_to_skill(self, skill_id: str, k: int = 10) -> list[RelatedSkill]:
        """Skills over-represented among the occupations that require ``skill_id``."""
        col = self.skill_index.get(skill_id)
        if col is None:
            return []
        rows = self._presence[:, col].nonzero()[0]
        z, counts = self.cooccurrence_z(rows)
        return self._ranked(z, counts, len(rows), k, {skill_id})

    def related_to_occupations(self, occupation_ids: list[str], k: int = 10) -> list[RelatedSkill]:
        rows = np.array([self.occ_index[o] for o in occupation_ids if o in self.occ_index], dtype=int)
        z, counts = self.cooccurrence_z(rows)
        return self._ranked(z, counts, len(rows), k, set())

    def pair_z(self, skill_a: str, skill_b: str) -> float:
        """z of ``skill_b`` in the foreground of occupations requiring ``skill_a`` (−inf if unsupported)."""
        a, b = self.skill_index.get(skill_a), self.skill_index.get(skill_b)
        if a is None or b is None:
            return float("-inf")
        rows = self._presence[:, a].nonzero()[0]
        n = len(rows)
        if n == 0:
            return float("-inf")
        count = float(self._presence[rows, b].sum())
        if count < min(MIN_SUPPORT, n):
            return float("-inf")
        p = min(max(float(self._background[b]), 1e-9), 1 - 1e-9)
        return (count / n - p) / math.sqrt(p * (1 - p) / n)


# ---------------------------------------------------------------------- building
def build_graph(
    conn: sqlite3.Connection, extractor: SkillExtractor, stand_ins: Mapping[str, Sequence[str]] | None = None
) -> SkillsGraph:
    """Build the graph from the catalogue (≈ half a minute: mostly alias extraction over courses/postings).
    ``stand_ins``: the rated occupations whose ratings an unrated one takes (default: O*NET's related ones)."""
    t0 = time.time()
    g = nx.DiGraph()
    for sid, label, kind, category, hot in conn.execute(
        "SELECT id, label, kind, category, hot FROM skill WHERE canonical_id = id"
    ):
        g.add_node(sid, type="skill", label=label, kind=kind, category=category, hot=int(hot))
    for oid, taxonomy, title in conn.execute("SELECT id, taxonomy, title FROM occupation"):
        g.add_node(oid, type="occupation", label=title, kind=taxonomy)
    canonical = dict(conn.execute("SELECT id, canonical_id FROM skill"))

    for child, parent, relation in conn.execute("SELECT skill_id, related_id, relation FROM skill_relation"):
        child, parent = canonical.get(child, child), canonical.get(parent, parent)
        if child in g and parent in g and child != parent:
            if relation == "broader" or not g.has_edge(child, parent):
                g.add_edge(child, parent, type=relation, source="esco")

    occ_ids = sorted(n for n, d in g.nodes(data=True) if d["type"] == "occupation")
    skill_ids = sorted(n for n, d in g.nodes(data=True) if d["type"] == "skill")
    occ_index = {o: i for i, o in enumerate(occ_ids)}
    skill_index = {s: i for i, s in enumerate(skill_ids)}
    rows, cols, vals = [], [], []
    for oid, sid, relation, importance, level, hot, in_demand in conn.execute(
        "SELECT occupation_id, skill_id, relation, importance, level, hot, in_demand FROM occupation_skill"
    ):
        sid = canonical.get(sid, sid)
        if oid not in g or sid not in g:
            continue
        weight = link_importance(relation, importance, hot, in_demand)
        old = g.get_edge_data(oid, sid)
        if old is None or weight > old["importance"]:
            g.add_edge(
                oid,
                sid,
                type="requires",
                relation=relation,
                importance=round(weight, 4),
                level=None if level is None else round(float(level), 4),
                hot=int(hot),
                in_demand=int(in_demand),
            )
        if is_requirement(relation, importance):
            rows.append(occ_index[oid])
            cols.append(skill_index[sid])
            vals.append(weight)
    impute_ratings(g, related_occupations(conn) if stand_ins is None else stand_ins)
    # the matrix (co-occurrence, typical importance, paths) stays on O*NET's own rows: the imputed ones are
    # averages of related occupations, and O*NET's related occupations are what the occupation benchmark scores
    req = sp.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)), shape=(len(occ_ids), len(skill_ids)))
    req.sum_duplicates()
    req.data = np.minimum(req.data, 1.0)  # duplicates (e.g. essential + optional) count once, capped

    for cid, provider, title, _description, level, rating, _skills in conn.execute(
        "SELECT id, provider, title, description, level, rating, skills FROM course"
    ):
        g.add_node(cid, type="course", label=title, kind=provider, level=level, rating=rating)
    for cid, sid, source, confidence in conn.execute(
        "SELECT course_id, skill_id, source, confidence FROM course_skill"
    ):
        sid = canonical.get(sid, sid)
        if cid in g and sid in g:
            g.add_edge(cid, sid, type="teaches", source=source, confidence=float(confidence))
    for cid, title, description in conn.execute("SELECT id, title, description FROM course"):
        text = f"{title}\n{description}" if description else title
        for hit in extractor.extract(text, use_embeddings=False, expand=False, min_confidence=MIN_EXTRACTED_CONFIDENCE):
            if hit.skill_id in g and not g.has_edge(cid, hit.skill_id):
                g.add_edge(cid, hit.skill_id, type="teaches", source="extracted", confidence=hit.confidence)

    for pid, title, company, description, qualifications in conn.execute(
        "SELECT id, title, company, description, qualifications FROM job_posting WHERE duplicate_of IS NULL"
    ):
        g.add_node(pid, type="posting", label=title, kind="posting", company=company)
        text = "\n".join(t for t in (title, description, qualifications) if t)
        for hit in extractor.extract(text, use_embeddings=False, expand=False, min_confidence=MIN_EXTRACTED_CONFIDENCE):
            if hit.skill_id in g:
                g.add_edge(pid, hit.skill_id, type="mentions", source="extracted", confidence=hit.confidence)

    stats = graph_stats(g)
    stats["build_seconds"] = round(time.time() - t0, 2)
    return SkillsGraph(g, base.fingerprint(conn), occ_ids, skill_ids, req, stats)


def impute_ratings(g: nx.DiGraph, sources_of: Mapping[str, Sequence[str]], k: int = STAND_INS) -> int:
    """Give each O*NET occupation without rated skills and knowledge the mean ratings of the first ``k``
    rated occupations that stand in for it (``sources_of``: :func:`retrieval.occupations.stand_ins.stand_ins`,
    O*NET's related occupations or else the nearest by meaning). Returns how many occupations got them.

    Why: 137 of O*NET's 1,016 occupations have no ratings -- Software Developers, Data Scientists, Financial
    and Investment Analysts, Project Management Specialists among them. A software developer then "held"
    only tools, so every target's Critical Thinking, Reading Comprehension and Computers and Electronics was a
    gap ("Computers and Electronics is what stands between you and the role", with "Introduction to
    Electronics" to take), and a move *to* such an occupation listed no skill or knowledge at all. The edges
    keep ``imputed_from`` so the evidence can say where the numbers come from. Only 21 of the 137 have related
    occupations in ``../shared/data`` (its Related Occupations file covers 446 source occupations) -- these
    four among them; the others take the rated occupations nearest by meaning where any is near enough."""

    def rated(oid: str) -> list[tuple[str, dict]]:
        return [
            (v, d)
            for v, d in g.succ[oid].items()
            if d.get("type") == "requires" and d["relation"] == "rated" and "imputed_from" not in d
        ]

    onet = [n for n, d in g.nodes(data=True) if d["type"] == "occupation" and d["kind"] == "onet"]
    unrated = {oid for oid in onet if not rated(oid)}
    done = 0
    for oid in sorted(unrated):
        sources = [rid for rid in sources_of.get(oid, []) if rid in g and rid not in unrated][:k]
        if not sources:
            continue
        sums: dict[str, list[float]] = {}
        for rid in sources:
            for sid, d in rated(rid):
                acc = sums.setdefault(sid, [0.0, 0.0, 0])
                acc[0] += d["importance"]
                acc[1] += d["level"] or 0.0
                acc[2] += 1
        for sid, (imp, lvl, n) in sums.items():
            if g.has_edge(oid, sid):
                continue  # a link of its own (a tool, a mapped skill) is kept as it is
            g.add_edge(
                oid,
                sid,
                type="requires",
                relation="rated",
                importance=round(imp / n, 4),
                level=round(lvl / n, 4),
                hot=0,
                in_demand=0,
                imputed_from=tuple(sources),
            )
        done += 1
    return done


def graph_stats(g: nx.DiGraph) -> dict:
    """Node counts by type and edge counts by type (and source for course links)."""
    nodes: dict[str, int] = {}
    for _n, d in g.nodes(data=True):
        nodes[d["type"]] = nodes.get(d["type"], 0) + 1
    edges: dict[str, int] = {}
    for _u, _v, d in g.edges(data=True):
        key = (
            d["type"]
            if d["type"] not in ("teaches", "requires")
            else f"{d['type']}:{d.get('source') or d.get('relation')}"
        )
        edges[key] = edges.get(key, 0) + 1
    return {
        "nodes": dict(sorted(nodes.items())),
        "edges": dict(sorted(edges.items())),
        "total_nodes": g.number_of_nodes(),
        "total_edges": g.number_of_edges(),
    }


def graph_path(settings: Settings, fingerprint: str) -> Path:
    """The pickled graph of the catalogue with ``fingerprint``."""
    # the graph's course and posting edges come from the extractor: a new extractor is a new graph
    return base.artifact_dir(settings) / f"graph-v{GRAPH_VERSION}-x{EXTRACTOR_VERSION}-{fingerprint[:16]}.pkl"


def get_graph(settings: Settings | None = None) -> SkillsGraph:
    """The process-wide skills graph; rebuilt only when the catalogue fingerprint changes."""
    settings = settings or get_settings()
    conn = base.catalogue(settings)
    fp = base.fingerprint(conn)

    def load() -> SkillsGraph:
        return base.cached_pickle(
            graph_path(settings, fp),
            lambda: build_graph(conn, get_extractor(settings), catalogue_stand_ins(conn, settings)),
        )

    return base.memoised(settings, f"graph:{fp}", load)


# ---------------------------------------------------------------------- queries
def _cached_matrix(settings: Settings, name: str, texts_fn) -> np.ndarray:
    """Unit vectors for ``texts_fn()`` saved as ``name`` (.npy) in the artifact dir."""
    from retrieval.embeddings import get_embedder

    embedder = get_embedder(settings)
    path = base.artifact_dir(settings) / f"{name}-{base.model_tag(embedder.model_key)}.npy"
    if path.exists():
        return np.load(path)
    require_build_allowed(f"the skills artifact {path.name}")
    with torch_threads(settings=settings):  # bulk: a whole catalogue field
        matrix = embedder.encode(texts_fn()).astype(np.float32)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp.npy")
    np.save(tmp, matrix)
    tmp.replace(path)
    return matrix


def occupation_vectors(settings: Settings | None = None) -> tuple[list[str], np.ndarray]:
    """(ids, unit vectors) of every occupation's ``title. description``, cached per fingerprint."""
    settings = settings or get_settings()
    conn = base.catalogue(settings)
    fp = base.fingerprint(conn)

    def load() -> tuple[list[str], np.ndarray]:
        items = occupation_texts(conn)
        matrix = _cached_matrix(settings, f"occupation-vectors-{fp[:16]}", lambda: [t for *_x, t in items])
        return [i[0] for i in items], matrix

    return base.memoised(settings, f"occupation-vectors:{fp}", load)


def occupation_title_vectors(settings: Settings | None = None) -> np.ndarray:
    """Unit vectors of occupation titles alone (rows as :func:`occupation_vectors`).

    A short query ("machine learning engineer") sits closer to a title than to a paragraph-long
    description, so queries are matched against both.
    """
    settings = settings or get_settings()
    conn = base.catalogue(settings)
    fp = base.fingerprint(conn)

    def load() -> np.ndarray:
        items = occupation_texts(conn)
        return _cached_matrix(
            settings, f"occupation-title-vectors-{fp[:16]}", lambda: [title for _i, _t, title, _x in items]
        )

    return base.memoised(settings, f"occupation-title-vectors:{fp}", load)


def nearest_occupations(
    text: str, k: int = QUERY_FOREGROUND, settings: Settings | None = None
) -> list[tuple[str, float]]:
    """Occupations closest to ``text``: mean of the cosine to the title and to title+description,
    plus a small bonus for requiring skills that the text names (alias matches)."""
    from retrieval.embeddings import get_embedder

    settings = settings or get_settings()
    ids, matrix = occupation_vectors(settings)
    titles = occupation_title_vectors(settings)
    with torch_threads(1):
        query = get_embedder(settings).encode_one(text)
    sims = 0.5 * (matrix @ query) + 0.5 * (titles @ query)
    named = [h.skill_id for h in get_extractor(settings).match_aliases(text).values()]
    graph = get_graph(settings)
    cols = [graph.skill_index[s] for s in named if s in graph.skill_index]
    if cols:
        share = np.asarray(graph._presence[:, cols].sum(axis=1)).ravel() / len(cols)
        order = [graph.occ_index[o] for o in ids]
        sims = sims + 0.1 * share[order]
    top = np.argsort(-sims, kind="stable")[:k]
    return [(ids[i], float(sims[i])) for i in top]


def skills_for_query(
    text: str, k: int = 10, settings: Settings | None = None, foreground: int = QUERY_FOREGROUND
) -> list[RelatedSkill]:
    """Skills over-represented among the ``foreground`` occupations nearest ``text`` (z-statistic)."""
    if not text or not text.strip():
        raise base.SkillsInputError("empty query")
    graph = get_graph(settings)
    occs = [o for o, _s in nearest_occupations(text, foreground, settings)]
    return graph.related_to_occupations(occs, k)


def related_skills(skill_or_query: str, k: int = 10, settings: Settings | None = None) -> list[RelatedSkill]:
    """Skills related to a skill (id or alias) by co-occurrence z; free text falls back to
    :func:`skills_for_query`."""
    if not skill_or_query or not skill_or_query.strip():
        raise base.SkillsInputError("empty skill or query")
    graph = get_graph(settings)
    if graph.node_type(skill_or_query) == "skill":
        return graph.related_to_skill(skill_or_query, k)
    hits = get_extractor(settings).match_aliases(skill_or_query)
    if len(hits) == 1:
        hit = next(iter(hits.values()))
        span = hit.spans[0]
        if span[1] - span[0] >= len(skill_or_query.strip()) - 1:
            return graph.related_to_skill(hit.skill_id, k)
    return skills_for_query(skill_or_query, k, settings)
