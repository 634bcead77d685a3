"""Transition lists: the occupations inside a person's goal, ranked by how reachable they are from
where the person stands.

"I'm a firefighter and I want to move into finance" should list finance occupations — not fire
service ones — in the order a careers adviser would suggest them: those whose skills and knowledge
the person's occupation already covers, that the occupation ranker (trained on O*NET's Related
Occupations) places near it, that need no large step up in preparation (O*NET job zone), and that
are central to the field as the person named it ("finance" → financial analysts before fraud
examiners), and that are not a step into managing others for someone who has never led anyone (see
:func:`leads_others`). The same features as ``waypoint path`` uses for one step (requirement coverage),
computed for every target at once.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

#: Weights of the reachability features (each scaled to about 0..1).
WEIGHTS = {
    "skills": 0.35,
    "meaning": 0.25,
    "ranker": 0.2,
    "related": 0.1,
    "goal": 0.3,
    "step_up": 0.08,
    "to_lead": 0.15,
    "catch_all": 0.3,  # 0.15 left "Computer Occupations, All Other" first for "in sales, interested in tech"
}


def leads_others(occupation_id: str, title: str) -> bool:
    """Whether the occupation leads people or an operation: SOC major group 11 (Management), the first-line
    supervisors (minor groups xx-1000 of the service, sales, office, trades and transport majors 33-53),
    and project managers (in the field's own major group: Information Technology Project Managers, 15-).

    Why: "I've worked in a warehouse for 3 years, I'd like something in IT" listed Computer and Information
    Systems Managers second -- its title is the closest to "IT", and O*NET's job zones (4 against the
    analysts' 3) barely tell it apart. Such roles are reached from work in the field, and from leading people
    in it, not as a first step into the field; a person who already leads others is not held back."""
    major = occupation_id[:2]
    if major == "11" or (major.isdigit() and int(major) >= 33 and occupation_id[3:4] == "1"):
        return True
    return "project managers" in title.lower()


def in_prefixes(occupation_id: str, prefixes: Iterable[str]) -> bool:
    return any(occupation_id.startswith(p) for p in prefixes)


def requirement_vectors(skills_im: np.ndarray, knowledge_im: np.ndarray) -> np.ndarray:
    """Each occupation's rated skills and knowledge as one L2-normalised vector (zeros where unrated)."""
    v = np.hstack([skills_im, knowledge_im]).astype(np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)


def impute_unrated(vectors: np.ndarray, related: dict[int, list[int]], k: int = 5) -> np.ndarray:
    """``vectors`` with each all-zero row (an occupation O*NET does not rate: Software Developers, Data
    Scientists, ...) replaced by the normalised mean of its ``k`` closest rated related occupations' rows
    stand-ins (``related``: row → rows, closest first, :func:`retrieval.occupations.stand_ins.stand_ins`), as
    the skills graph does for gaps.

    Why: an unrated target had no skills term at all, so "I'm a teacher and want to become a software
    developer" listed web developers, programmers and QA testers but not Software Developers."""
    out = vectors.copy()
    rated = np.linalg.norm(vectors, axis=1) > 0
    for row in np.flatnonzero(~rated):
        sources = [r for r in related.get(int(row), []) if rated[r]][:k]
        if sources:
            mean = vectors[sources].mean(axis=0)
            out[row] = mean / max(float(np.linalg.norm(mean)), 1e-9)
    return out


def reachability(
    *,
    targets: np.ndarray,
    sources: list[tuple[int, float]],
    requirements: np.ndarray,
    meaning: np.ndarray,
    job_zone: np.ndarray,
    ranked_from_source: dict[int, list[int]],
    related: dict[int, dict[int, int]],
    goal_similarity: np.ndarray | None,
    text_similarity: np.ndarray | None,
    leads: np.ndarray | None = None,
    catch_all: np.ndarray | None = None,
) -> np.ndarray:
    """Scores for ``targets`` (row indices): higher is easier to reach and more central to the goal.

    ``sources`` are the person's occupations as ``(row, weight)``; with none, what the person wrote
    (``text_similarity``) stands in for their occupation's meaning and nothing else is known. ``leads``
    (bool per row, :func:`leads_others`): targets that lead others lose ``to_lead`` times the share of the
    sources' weight that does not (a firefighter linked 0.23 to fire-service supervisors loses 0.77 of it), all of
    it for a person with no work named ("I want to work with computers but I have no experience" listed Computer
    and Information Systems Managers second). ``catch_all`` (bool per row): O*NET's "All Other" residual
    categories lose ``catch_all``: a title no posting uses and no one applies for ("Computer Occupations, All
    Other" led that list), still listed after the occupations it stands beside.
    """
    score = np.zeros(len(targets), np.float32)
    total = sum(w for _r, w in sources) or 1.0
    for row, weight in sources:
        w = weight / total
        part = WEIGHTS["skills"] * (requirements[targets] @ requirements[row])
        part += WEIGHTS["meaning"] * (meaning[targets] @ meaning[row])
        order = ranked_from_source.get(row, [])
        position = {j: p for p, j in enumerate(order)}
        part += WEIGHTS["ranker"] * np.array(
            [1.0 - position[t] / max(len(order), 1) if t in position else 0.0 for t in targets], np.float32
        )
        grades = related.get(row, {})
        part += WEIGHTS["related"] * np.array([grades.get(t, 0) / 3.0 for t in targets], np.float32)
        zone_src = job_zone[row]
        if not np.isnan(zone_src):
            step = np.nan_to_num(job_zone[targets] - zone_src, nan=0.0)
            part -= WEIGHTS["step_up"] * np.clip(step, 0, None)
        score += w * part
    if not sources and text_similarity is not None:
        score += (WEIGHTS["meaning"] + WEIGHTS["skills"]) * text_similarity[targets]
    if goal_similarity is not None:
        score += WEIGHTS["goal"] * goal_similarity[targets]
    if leads is not None:
        led = sum(w for r, w in sources if leads[r]) / total  # how surely the person already leads others
        score -= WEIGHTS["to_lead"] * (1.0 - led) * leads[targets].astype(np.float32)
    if catch_all is not None:
        score -= WEIGHTS["catch_all"] * catch_all[targets].astype(np.float32)
    return score
