"""Typed evidence objects with stable ids, consumed by the recommender and the explainer.

Why stable ids: the explainer cites evidence by id and the verifier resolves those ids again on the
server, feedback ("this skill is wrong") refers to them, and DPO pairs must share a prompt — so the
same profile and item must always yield the same ids. Ids are built from catalogue ids
(``skill:<skill_id>:matched``) or, for whole objects, from a SHA-1 of their canonical JSON
(``gap:<item_id>:<12 hex>``); nothing depends on time, order of dict iteration or process.
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import BaseModel, Field


def stable_hash(payload: object, n: int = 12) -> str:
    """Hex SHA-1 prefix of ``payload``'s canonical JSON (sorted keys, no whitespace)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:n]


class ItemRef(BaseModel):
    id: str
    kind: Literal["occupation", "posting", "course", "skill", "job"]
    title: str


class CurrentOccupation(BaseModel):
    """The occupation whose usual skills count as the person's (cited as inferred, never "you have")."""

    id: str
    title: str
    source: Literal["given", "text"] = Field(
        description="given: the profile's occupation field; text: the occupation the person's text names"
    )
    quote: str | None = Field(None, description="the words of the text that name it (source text)")


class ProfileEvidence(BaseModel):
    """Where the profile shows a skill: the text and span it came from, or the field that gave it."""

    source: Literal["skills", "text", "occupation"]
    text: str
    span: tuple[int, int] | None = Field(default=None, description="(start, end) in profile.text for source=text")
    confidence: float = 1.0


class Requirement(BaseModel):
    """One skill an occupation or posting asks for, with the catalogue row it stands on."""

    skill_id: str
    label: str
    kind: str = ""
    relation: str = Field(description="rated | technology | essential | optional | mentioned")
    importance: float
    level: float | None = None
    hot: bool = False
    source: str = Field(
        description="catalogue source: 'onet:<occ>', 'onet_related:<occ>' (ratings of its closest related occupations, "
        "where O*NET rates none), 'esco:<occ>', 'esco_map:<esco occ>' or 'posting:<id>'"
    )
    map_confidence: float | None = None


class MatchedSkill(BaseModel):
    evidence_id: str
    id: str
    label: str
    importance: float
    profile_evidence: list[ProfileEvidence]
    requirement: Requirement
    salience: float | None = Field(
        None,
        description="importance minus the skill's typical importance across occupations: how characteristic "
        "of the item it is (the order explanations name matched skills in); None = importance",
    )


PartialReason = Literal["narrower", "broader", "sibling", "related", "same_tool_category", "lower_level"]


class PartialSkill(BaseModel):
    """A requirement the profile covers only indirectly (hierarchy, co-occurrence, tool family, level)."""

    evidence_id: str
    id: str
    label: str
    importance: float
    reason: PartialReason
    via: dict = Field(description="{id, label} of the profile skill that gives partial credit")
    score: float = Field(description="partial credit 0..1")
    requirement: Requirement


class CourseRef(BaseModel):
    id: str
    title: str
    provider: str
    level: str = ""
    rating: float | None = None
    link: Literal["catalogue", "extracted"] = "catalogue"
    link_confidence: float = 1.0
    covers: list[str] = Field(default_factory=list, description="ids of this gap's missing skills the course teaches")


class AreaContext(BaseModel):
    """The broad knowledge area a concrete missing skill stands for (retrieval/skills/areas.py)."""

    id: str
    label: str
    similarity: float = Field(description="cosine of the area and the concrete skill (label: definition)")


class GapRank(BaseModel):
    """Why a missing skill sits where it does (retrieval/skills/priority.py: one score, weights in one place)."""

    tier: Literal["essential", "optional"]
    need: float = Field(description="importance, and for rated elements the required level, 0..1")
    tasks: int = Field(0, description="task statements of the target that depend on the skill")
    task_total: int = Field(0, description="task statements of the target (0: none, e.g. a posting)")
    unresolved_area: bool = Field(False, description="a broad knowledge area no concrete skill of the target resolves")
    plain_tool: bool = Field(
        False,
        description="a technology the target's employers train on the job (neither hot nor in demand, or hot "
        "only elsewhere): half its need; one hot only elsewhere gets no course",
    )
    score: float


class MissingSkill(BaseModel):
    evidence_id: str
    id: str
    label: str = Field(
        description="what the person reads: the catalogue label, or a shorter one the catalogue has "
        "for it (retrieval/skills/plain.py)"
    )
    importance: float
    courses: list[CourseRef]
    unlocks_occupations: int = Field(
        description="occupations whose requirement coverage crosses the threshold once learned"
    )
    requirement: Requirement
    catalogue_label: str = Field(
        default="",
        description="the catalogue's own label (= requirement.label), kept for verification when ``label`` is plainer",
    )
    area: AreaContext | None = Field(default=None, description="the knowledge area this concrete skill makes teachable")
    rank: GapRank | None = Field(default=None, description="the gap-ordering score and its parts")
    hands_on: bool = Field(
        default=False,
        description="learned hands-on -- on the job, in an apprenticeship or a certification course for the equipment "
        "(ESCO's handling and moving, constructing, working with machinery; O*NET's installation, operation, "
        "maintenance and repair skills) -- not from a side project (retrieval.skills.gap.learned_hands_on)",
    )
    deeper: bool = Field(
        default=False,
        description="held at a lower level than required (from the current occupation), and important enough "
        "to the target to build further (retrieval/skills/gap.py DEEPEN_IMPORTANCE)",
    )


class SkillGapEvidence(BaseModel):
    """``waypoint gap`` output: what matches, what partly matches, what is missing and how to close it."""

    id: str
    item: ItemRef
    coverage: float = Field(description="importance-weighted share of requirements matched (partials at their credit)")
    matched_skills: list[MatchedSkill]
    partial_skills: list[PartialSkill]
    missing_skills: list[MissingSkill]
    requirements_total: int
    unresolved_skills: list[str] = Field(
        default_factory=list, description="profile skill strings not in the vocabulary"
    )
    profile_skill_count: int = 0
    current_occupation: CurrentOccupation | None = None


class SkillDelta(BaseModel):
    id: str
    label: str
    importance: float


class PathStep(BaseModel):
    evidence_id: str
    source: ItemRef
    target: ItemRef
    link: Literal["related_occupation", "skill_similarity", "direct"]
    cost: float
    coverage: float = Field(description="share of the target's requirement weight the source already covers")
    new_skills: list[SkillDelta]


class PathEvidence(BaseModel):
    id: str
    source: ItemRef
    target: ItemRef
    total_cost: float
    steps: list[PathStep]


def matched_id(skill_id: str) -> str:
    return f"skill:{skill_id}:matched"


def partial_id(skill_id: str) -> str:
    return f"skill:{skill_id}:partial"


def missing_id(skill_id: str) -> str:
    return f"skill:{skill_id}:missing"


def step_id(source_id: str, target_id: str) -> str:
    return f"step:{source_id}->{target_id}"
