"""Broad knowledge areas as gaps, resolved to concrete skills of the target where the graph allows.

Why: O*NET rates 33 knowledge areas ("Sociology and Anthropology", "Medicine and Dentistry") and a few
subject skills ("Science", "Mathematics"); listed as a gap they tell a person neither what to learn nor
which course to take. The same target usually also requires concrete skills that fall under the area --
its ESCO essentials (directly, or through the O*NET → ESCO map) and its technologies. A missing area is
*resolved* to the missing concrete requirement of the target that is closest to it in meaning (MiniLM
cosine of ``label: definition`` ≥ :data:`AREA_COSINE`): on the nurse practitioner, *Science* → *implement
scientific decision making in healthcare* (0.45), *Sociology and Anthropology* → *impact of social
contexts on health* (0.41), *Law and Government* → *comply with legislation related to health care*
(0.48); on the electrical engineer, *Engineering and Technology* → *engineering principles* (0.53),
*Design* → *use technical drawing software* (0.61). Below the threshold (*Medicine and Dentistry* for
the nurse practitioner: 0.34 at best) nothing is invented: the area stays, ranked after concrete skills
of similar weight (:data:`retrieval.skills.priority.GapWeights.unresolved_area`).

The ESCO hierarchy alone does not make this link: O*NET areas are not in it, and ESCO's knowledge groups
(ISCED-F fields) hold few of an occupation's essentials (activities sit under skill groups instead).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retrieval.skills.evidence import Requirement

#: Cosine from which a concrete requirement falls under a knowledge area (see the module docstring).
AREA_COSINE = 0.45
#: O*NET skills that name a subject rather than an activity: Mathematics (2.A.1.e), Science (2.A.1.f).
SUBJECT_SKILLS = frozenset({"onet:2.A.1.e", "onet:2.A.1.f"})
#: Kinds that are concrete enough to learn and to find a course for.
CONCRETE_KINDS = frozenset({"esco_skill", "esco_knowledge", "technology"})


def is_area(req: Requirement) -> bool:
    """A broad O*NET knowledge area or subject skill (not teachable as phrased)."""
    return req.kind == "onet_knowledge" or req.skill_id in SUBJECT_SKILLS


def is_concrete(req: Requirement) -> bool:
    return req.kind in CONCRETE_KINDS


@dataclass(frozen=True)
class Resolution:
    """A concrete skill of the target that makes a knowledge area teachable."""

    area_id: str
    area_label: str
    skill_id: str
    similarity: float


def resolve_areas(
    areas: list[Requirement],
    concrete: list[Requirement],
    vectors: dict[str, np.ndarray],
    *,
    threshold: float = AREA_COSINE,
) -> dict[str, Resolution]:
    """``{area id: Resolution}`` for each area some concrete requirement falls under.

    Each area takes the concrete skill closest to it; a concrete skill resolves at most one area (the
    one it is closest to, most similar pairs first), so two areas never collapse onto one skill and the
    list keeps as many entries as it had.
    """
    cands = [c for c in concrete if c.skill_id in vectors and is_concrete(c)]
    pairs: list[tuple[float, str, str]] = []
    for a in areas:
        va = vectors.get(a.skill_id)
        if va is None or not cands:
            continue
        sims = np.stack([vectors[c.skill_id] for c in cands]) @ va
        for c, sim in zip(cands, sims):
            if sim >= threshold:
                pairs.append((float(sim), a.skill_id, c.skill_id))
    labels = {a.skill_id: a.label for a in areas}
    out: dict[str, Resolution] = {}
    used: set[str] = set()
    for sim, area_id, skill_id in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
        if area_id in out or skill_id in used:
            continue
        out[area_id] = Resolution(area_id, labels[area_id], skill_id, round(sim, 4))
        used.add(skill_id)
    return out
