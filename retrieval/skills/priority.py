"""How much a missing skill matters for the target: one scoring function, with its weights in one place.

Why: the gaps were listed by the requirement's importance alone, and for an O*NET occupation whose ESCO
essentials come through the map (:mod:`retrieval.skills.esco_map`) every one of them carries the same
importance (the map's confidence), so the tie was broken by the alphabet: "build recommender systems" came
first from software developer to data scientist. The score below puts what the target cannot do without
first and, within that, what its work leans on most:

* **tier** -- *essential* before *optional*. Essential: an ESCO essential skill (of an ESCO target, or of
  the ESCO occupation an O*NET target maps to), an O*NET rated element of high importance (IM ≥ 3.5 of 5),
  a technology O*NET flags *In Demand* for the occupation (frequent in its postings), a skill a posting
  names. Optional: ESCO optional skills, rated elements of importance 3-3.5, other technologies.
* **need** (0..1) -- the requirement's importance (``Requirement.importance``: O*NET IM scaled, ESCO
  essential 1 / optional 0.5, a mapped essential at the map's confidence, a technology 0.5 plus its hot /
  in-demand flags) and, for rated elements, the level the target requires (O*NET LV scaled):
  ``need = importance × (1 − level_weight + level_weight × level)`` -- importance *and* level, as O*NET
  publishes both: an element rated important but needed at a low level matters less than one needed at a
  high level.
* **task share** -- the share of the target's task statements that depend on the skill
  (:mod:`retrieval.skills.task_links`), saturating at ``task_share_full``: a skill a quarter of the
  tasks lean on is as central as a skill can be.
* **plain tool** -- a technology O*NET flags neither *Hot* (frequent in postings economy-wide) nor *In
  Demand* for the occupation is one product among the examples of its category (Hyland Software OnBase and
  Jack Henry Vertex for tellers): employers train it on the job, so its need is halved. Without this a
  cashier was told "focus next on Hyland Software OnBase" toward tellers, ahead of what the work rates.
  *Hot* is economy-wide, not the target's: a hot tool the target does not flag In Demand is a plain tool
  there too (an EMT toward paramedics was told "iOS is the main skill to build"; iOS is frequent in
  developers' postings). On the judged first gaps this changed nothing.
* **tool level** -- O*NET gives a technology no level, and any other technology's need was its whole
  importance while a rated element's was discounted by its level: an infantry veteran moving into
  information security was told "Amazon Web Services AWS software is the first skill to build" (0.75), ahead of
  Computers and Electronics (importance 0.84 at level 0.85, times the unresolved-area factor: 0.62). A hot or
  in-demand tool now takes the level factor of a middling level (0.5): 0.75 of its importance. On the judged first gaps
  (``eval/data/first_gaps.jsonl``, ``python -m eval.gap_order``) this changed only that kind of pair.
* **unresolved area** -- a broad knowledge area ("Sociology and Anthropology") that could not be turned
  into a concrete skill of the target (:mod:`retrieval.skills.areas`) is not teachable as phrased; it
  ranks after concrete skills of similar weight.

* **basic skill** -- O*NET's Basic Skills (Reading Comprehension, Writing, Mathematics, Critical Thinking, ...)
  are rated for every occupation and held by every adult at some level; as a first gap they read as a
  slight ("a waitress toward licensed practical nursing: focus next on Reading Comprehension", ahead of
  Medicine and Dentistry). Their need counts 0.8, like an unresolved area: after concrete skills of similar
  weight. On the judged first gaps the top 3 holding an acceptable first gap went 0.889 -> 0.911 (0.6 and
  0.7 change nothing more); the first gap named stayed 0.622.

* **generic skill** -- an ESCO skill a large share of ESCO occupations require ("speak different languages",
  "manage personal professional development", "perform project management") is no more characteristic of the
  target than a basic skill: a biology graduate toward biologists was told "the biggest gap is the ability to
  perform project management", then "speak different languages", ahead of Python, R and Mathematics. Its need
  counts ``generic_skill``, like a basic skill.

``score = tier + need × (1 − task_weight + task_weight × min(1, task_share / task_share_full)) × area``
with tier = 1 for essential and 0 for optional; the second term is below 1, so essential always precedes
optional and the rest orders within a tier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from retrieval.skills.evidence import GapRank, Requirement
from retrieval.skills.graph import TOOL_IMPORTANCE

Tier = Literal["essential", "optional"]


@dataclass(frozen=True)
class GapWeights:
    """Every weight of the gap ordering (see the module docstring for what each does)."""

    #: O*NET importance (scaled 0..1) from which a rated element is essential: IM ≥ 3.5 of 5.
    high_importance: float = 0.625
    #: How much the required level (O*NET LV scaled 0..1) moves a rated element's need.
    level_weight: float = 0.5
    #: How much the share of the target's tasks that depend on the skill moves the score.
    task_weight: float = 0.4
    #: Task share at which the task term is full.
    task_share_full: float = 0.5
    #: Factor for a knowledge area that no concrete skill of the target resolves.
    unresolved_area: float = 0.8
    #: Factor for an O*NET basic skill (2.A: reading, writing, speaking, listening, mathematics, science,
    #: critical thinking, learning, monitoring), which every occupation rates and every adult holds at some level.
    basic_skill: float = 0.8
    #: Factor for an ESCO skill that many ESCO occupations require (generic, see above).
    generic_skill: float = 0.5
    #: Mean importance over ESCO occupations from which an ESCO skill is generic (the top ~1% of ESCO skills:
    #: "manage staff" 0.099, "speak different languages" 0.073, "perform project management" 0.064, "manage
    #: personal professional development" 0.060; "apply scientific methods" 0.024, "collect biological data" 0.006).
    generic_min: float = 0.04
    #: Factor on the need of a technology that is neither hot nor in demand (a plain tool, see above).
    plain_tool: float = 0.5
    #: The level O*NET does not give a technology: its need takes a rated element's level factor at this level.
    tool_level: float = 0.5
    #: A Hot technology the target does not flag In Demand counts as a plain tool (see above).
    hot_elsewhere: bool = True


WEIGHTS = GapWeights()
#: O*NET's Basic Skills ("developed capacities that facilitate learning or the more rapid acquisition of knowledge").
BASIC_SKILLS = "onet:2.A."


def tier(req: Requirement, *, in_demand: bool = False, weights: GapWeights = WEIGHTS) -> Tier:
    """Essential or optional (see the module docstring)."""
    if req.relation in ("essential", "mentioned"):
        return "essential"
    if req.relation == "rated":
        return "essential" if req.importance >= weights.high_importance else "optional"
    if req.relation == "technology":
        return "essential" if in_demand else "optional"
    return "optional"


def level_factor(level: float, weights: GapWeights = WEIGHTS) -> float:
    """How much of its importance a requirement needed at ``level`` (0..1) keeps: 1 at the top level."""
    return 1.0 - weights.level_weight + weights.level_weight * min(1.0, max(0.0, float(level)))


def plain_tool(req: Requirement, *, in_demand: bool = False, weights: GapWeights = WEIGHTS) -> bool:
    """A technology the target's employers train on the job (see the module docstring): neither hot nor in
    demand, or hot only elsewhere. ``in_demand``: O*NET flags it In Demand for the target."""
    if req.relation != "technology":
        return False
    if req.hot:
        return not in_demand and weights.hot_elsewhere
    return float(req.importance) <= TOOL_IMPORTANCE


def takes_no_course(req: Requirement, rank: GapRank | None) -> bool:
    """A tool hot only elsewhere (a plain tool there that is Hot) is given no course: the catalogue's courses on
    it teach building with it, where the target only uses it (iOS toward paramedics: "Build your very first iOS
    app"). Other plain tools keep the courses the relevance threshold finds."""
    return bool(rank and rank.plain_tool and req.hot)


def need(req: Requirement, weights: GapWeights = WEIGHTS, *, in_demand: bool = False) -> float:
    """Importance, times the required level's factor for rated elements and technologies (0..1);
    ``in_demand``: O*NET flags the technology In Demand for the target."""
    importance = min(1.0, max(0.0, float(req.importance)))
    if req.relation == "technology":
        if plain_tool(req, in_demand=in_demand, weights=weights):
            return importance * weights.plain_tool
        return importance * level_factor(weights.tool_level, weights)
    if req.relation == "rated" and req.level is not None:
        return importance * level_factor(req.level, weights)
    return importance


def gap_priority(
    req: Requirement,
    *,
    tasks: int = 0,
    task_total: int = 0,
    unresolved_area: bool = False,
    in_demand: bool = False,
    typical: float = 0.0,
    weights: GapWeights = WEIGHTS,
) -> GapRank:
    """The one score missing skills are ordered by (higher first); see the module docstring. ``typical``: the
    skill's mean importance over ESCO occupations (:meth:`retrieval.skills.graph.SkillsGraph.typical_importance`)."""
    t = tier(req, in_demand=in_demand, weights=weights)
    n = need(req, weights, in_demand=in_demand)
    share = tasks / task_total if task_total else 0.0
    task_term = min(1.0, share / weights.task_share_full) if weights.task_share_full > 0 else 0.0
    within = n * (1.0 - weights.task_weight + weights.task_weight * task_term)
    if unresolved_area:
        within *= weights.unresolved_area
    if req.relation == "rated" and req.skill_id.startswith(BASIC_SKILLS):
        within *= weights.basic_skill
    elif req.skill_id.startswith("esco:") and typical >= weights.generic_min:
        within *= weights.generic_skill
    within = min(within, 0.9999)  # the tier always dominates
    score = (1.0 if t == "essential" else 0.0) + within
    return GapRank(
        tier=t,
        need=round(n, 4),
        tasks=tasks,
        task_total=task_total,
        unresolved_area=unresolved_area,
        plain_tool=plain_tool(req, in_demand=in_demand, weights=weights),
        score=round(score, 6),
    )


def order_key(priority: GapRank, req: Requirement) -> tuple:
    """Sort key: score first, then the old order (importance, hot, label, id) so ties stay deterministic."""
    return (-priority.score, -req.importance, not req.hot, req.label, req.skill_id)
