"""The missing skills of a gap in order of what matters for the target (issue 23, item 3).

Puts together the three parts, each in its own module: the score (:mod:`retrieval.skills.priority`),
the task ↔ skill links it counts (:mod:`retrieval.skills.task_links`) and the resolution of broad
knowledge areas to concrete skills of the target (:mod:`retrieval.skills.areas`). Labels are made plain
afterwards, for the gaps that are shown only (:mod:`retrieval.skills.plain`).

A resolved area is shown as its concrete skill, with the area as context (``MissingSkill.area``); the
entry ranks by the better of the concrete skill's own score and the area's, so resolving never pushes
what the area stood for down the list. Nothing is dropped: every missing requirement is either listed
or folded into the concrete skill that stands for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from retrieval.settings import Settings
from retrieval.skills.areas import is_area, is_concrete, resolve_areas
from retrieval.skills.evidence import AreaContext, GapRank, ItemRef, Requirement
from retrieval.skills.graph import SkillsGraph
from retrieval.skills.priority import WEIGHTS, GapWeights, gap_priority, need, order_key, tier
from retrieval.skills.task_links import TaskSupport, skill_vectors, task_support

#: At most this many missing requirements (most needed first) are embedded for task links and area
#: resolution: a bound on the request's encoding work (vectors of ESCO skills and O*NET elements are read
#: from the tagger's matrix and cost nothing; ESCO knowledge and technologies are encoded once per process).
MAX_EMBEDDED = 80


@dataclass
class RankedGap:
    """One entry of the ordered gap list: the requirement shown, its rank and, if any, the area it resolves."""

    req: Requirement
    rank: GapRank
    area: AreaContext | None = None


def in_demand(req: Requirement, graph: SkillsGraph) -> bool:
    """O*NET's *In Demand* flag of a technology for the occupation the requirement row comes from."""
    if req.relation != "technology" or not req.source.startswith("onet:"):
        return False
    data = graph.graph.get_edge_data(req.source.split(":", 1)[1], req.skill_id) or {}
    return bool(data.get("in_demand"))


def rank_missing(
    item: ItemRef,
    missing: list[Requirement],
    graph: SkillsGraph,
    settings: Settings | None = None,
    *,
    use_embeddings: bool = True,
    weights: GapWeights = WEIGHTS,
) -> list[RankedGap]:
    """Every missing requirement, ordered by :func:`retrieval.skills.priority.gap_priority`, areas resolved."""
    if not missing:
        return []
    demand = {r.skill_id: in_demand(r, graph) for r in missing}
    by_need = sorted(
        missing,
        key=lambda r: (
            tier(r, in_demand=demand[r.skill_id], weights=weights) != "essential",
            -need(r, weights, in_demand=demand[r.skill_id]),
            r.label,
            r.skill_id,
        ),
    )
    areas = [r for r in missing if is_area(r)]
    vectors = {}
    if use_embeddings:
        embedded = {r.skill_id: r for r in by_need[:MAX_EMBEDDED] + areas}
        vectors = skill_vectors(list(embedded.values()), settings)
    occupation = item.id if item.kind == "occupation" else None
    support = (
        task_support(occupation, missing, settings, use_embeddings=use_embeddings, vectors=vectors)
        if occupation
        else TaskSupport(total=0)
    )
    resolved = resolve_areas(areas, [r for r in missing if is_concrete(r)], vectors) if vectors else {}
    area_of = {res.skill_id: res for res in resolved.values()}
    reqs = {r.skill_id: r for r in missing}

    def rank(r: Requirement, *, unresolved: bool = False) -> GapRank:
        return gap_priority(
            r,
            tasks=support.count(r.skill_id),
            task_total=support.total,
            unresolved_area=unresolved,
            in_demand=demand[r.skill_id],
            typical=graph.esco_generality(r.skill_id) if r.skill_id.startswith("esco:") else 0.0,
            weights=weights,
        )

    out: list[RankedGap] = []
    for r in missing:
        if r.skill_id in resolved:
            continue  # shown as its concrete skill
        if is_area(r):
            out.append(RankedGap(r, rank(r, unresolved=True)))
            continue
        own = rank(r)
        res = area_of.get(r.skill_id)
        if res is None:
            out.append(RankedGap(r, own))
            continue
        via_area = rank(reqs[res.area_id])
        out.append(
            RankedGap(
                r,
                max(own, via_area, key=lambda g: g.score),
                AreaContext(id=res.area_id, label=res.area_label, similarity=res.similarity),
            )
        )
    out.sort(key=lambda g: order_key(g.rank, g.req))
    return out
