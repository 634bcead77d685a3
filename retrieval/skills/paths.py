"""Career-transition paths: from a current occupation to a target in at most three steps that need
the least new learning.

The occupation graph has an edge u → v for every O*NET Related Occupations row (curated) and for
each occupation's nearest neighbours by skill-requirement vector (cosine of importance-weighted
requirement rows, same taxonomy). Steps follow those links only — a transition path should pass
through occupations that are known to be related — and the direct move source → target is used only
when no chain of at most three such links reaches the target. The
cost of a step is the importance-weighted share of v's requirements that u's requirements do not
cover, plus a small per-hop penalty (each move has its own cost: applications, probation). Paths are
found with :func:`networkx.shortest_simple_paths` on a graph layered by hop count, which enforces the
hop limit while keeping networkx's exact k-shortest-paths.
"""

from __future__ import annotations

from itertools import islice
from typing import Literal

import networkx as nx
import numpy as np

from retrieval.catalogue.db import related_occupations
from retrieval.settings import Settings, get_settings
from retrieval.skills import base
from retrieval.skills.evidence import ItemRef, PathEvidence, PathStep, SkillDelta, stable_hash, step_id
from retrieval.skills.graph import SkillsGraph, get_graph

MAX_HOPS = 3
NEIGHBOURS = 10
HOP_PENALTY = 0.1
NEW_SKILLS_PER_STEP = 8
PATHS_VERSION = "1"

#: How one step of a path is justified (PathStep.link).
Link = Literal["related_occupation", "skill_similarity", "direct"]


def neighbours(settings: Settings | None = None) -> dict[str, list[tuple[str, Link]]]:
    """occupation id → [(neighbour id, link)], cached per catalogue fingerprint."""
    settings = settings or get_settings()
    conn = base.catalogue(settings)
    fp = base.fingerprint(conn)

    def build() -> dict[str, list[tuple[str, Link]]]:
        graph = get_graph(settings)
        out: dict[str, list[tuple[str, Link]]] = {o: [] for o in graph.occupation_ids}
        for src, dsts in related_occupations(conn).items():
            if src in out:
                out[src].extend((dst, "related_occupation") for dst in dsts if graph.node_type(dst) == "occupation")
        R = graph.requirements
        norms = np.sqrt(np.asarray(R.multiply(R).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        unit = R.multiply(1.0 / norms[:, None]).tocsr()
        taxonomy = np.array([graph.kind(o) for o in graph.occupation_ids])
        for start in range(0, unit.shape[0], 512):
            sims = (unit[start : start + 512] @ unit.T).toarray()
            for r in range(sims.shape[0]):
                i = start + r
                row = sims[r]
                row[i] = -1.0
                row[taxonomy != taxonomy[i]] = -1.0
                top = np.argpartition(-row, NEIGHBOURS)[:NEIGHBOURS]
                have = {d for d, _l in out[graph.occupation_ids[i]]}
                for j in sorted(top, key=lambda j: (-row[j], j)):
                    dst = graph.occupation_ids[j]
                    if row[j] > 0 and dst not in have:
                        out[graph.occupation_ids[i]].append((dst, "skill_similarity"))
        return out

    path = base.artifact_dir(settings) / f"occupation-neighbours-v{PATHS_VERSION}-{fp[:16]}.pkl"
    return base.memoised(settings, f"neighbours:{fp}", lambda: base.cached_pickle(path, build))


def _held(graph: SkillsGraph, occupation_id: str) -> set[int]:
    row = graph.requirements[graph.occ_index[occupation_id]]
    return set(row.indices.tolist())


def step_delta(graph: SkillsGraph, source: str, target: str) -> tuple[float, list[SkillDelta]]:
    """(share of the target's requirement weight the source covers, missing skills by importance)."""
    have = _held(graph, source)
    row = graph.requirements[graph.occ_index[target]]
    total = float(row.data.sum()) or 1.0
    covered = sum(float(w) for j, w in zip(row.indices, row.data) if j in have)
    missing = sorted(
        ((float(w), graph.skill_ids[j]) for j, w in zip(row.indices, row.data) if j not in have),
        key=lambda x: (-x[0], x[1]),
    )
    deltas = [SkillDelta(id=sid, label=graph.label(sid), importance=round(w, 4)) for w, sid in missing]
    return covered / total, deltas


def _ref(graph: SkillsGraph, occupation_id: str) -> ItemRef:
    return ItemRef(id=occupation_id, kind="occupation", title=graph.label(occupation_id))


def career_paths(
    source: str, target: str, k: int = 3, settings: Settings | None = None, max_hops: int = MAX_HOPS
) -> list[PathEvidence]:
    """Up to ``k`` cheapest paths (≤ ``max_hops`` steps) from ``source`` to ``target``, best first."""
    from retrieval.skills.gap import resolve_occupation

    settings = settings or get_settings()
    graph = get_graph(settings)
    source = resolve_occupation(source, settings)
    target = resolve_occupation(target, settings)
    if source == target:
        raise base.SkillsInputError(f"source and target are the same occupation: {source!r}")
    near = neighbours(settings)
    cost_cache: dict[tuple[str, str], float] = {}

    def cost(u: str, v: str) -> float:
        if (u, v) not in cost_cache:
            coverage, _ = step_delta(graph, u, v)
            cost_cache[(u, v)] = round(1.0 - coverage + HOP_PENALTY, 6)
        return cost_cache[(u, v)]

    layered = nx.DiGraph()
    sink = ("__target__", -1)
    frontier = {source}
    links: dict[tuple[str, str], Link] = {}
    for hop in range(max_hops):
        nxt: set[str] = set()
        for u in sorted(frontier):
            for v, link in near.get(u, []):
                if v == source:
                    continue
                if hop == max_hops - 1 and v != target:
                    continue
                layered.add_edge((u, hop), (v, hop + 1), weight=cost(u, v))
                links.setdefault((u, v), link)
                if v != target:
                    nxt.add(v)
        frontier = nxt
    if not any(node[0] == target for node in layered.nodes):
        # No chain of related/similar occupations reaches the target: the direct move is the only path.
        layered.add_edge((source, 0), (target, 1), weight=cost(source, target))
        links[(source, target)] = "direct"
    for node in list(layered.nodes):
        if node[0] == target:
            layered.add_edge(node, sink, weight=0.0)

    out: list[PathEvidence] = []
    seen: set[tuple[str, ...]] = set()
    for nodes in islice(nx.shortest_simple_paths(layered, (source, 0), sink, weight="weight"), 50):
        occs = tuple(n[0] for n in nodes[:-1])
        if occs in seen or len(set(occs)) != len(occs):
            continue
        seen.add(occs)
        steps = []
        for u, v in zip(occs, occs[1:]):
            coverage, deltas = step_delta(graph, u, v)
            steps.append(
                PathStep(
                    evidence_id=step_id(u, v),
                    source=_ref(graph, u),
                    target=_ref(graph, v),
                    link=links.get((u, v), "skill_similarity"),
                    cost=cost(u, v),
                    coverage=round(coverage, 4),
                    new_skills=deltas[:NEW_SKILLS_PER_STEP],
                )
            )
        total = round(sum(s.cost for s in steps), 6)
        out.append(
            PathEvidence(
                id=f"path:{source}:{target}:{stable_hash(list(occs))}",
                source=_ref(graph, source),
                target=_ref(graph, target),
                total_cost=total,
                steps=steps,
            )
        )
        if len(out) >= k:
            break
    return out
