"""Skill gap between a profile and an occupation or job posting, with courses that close it.

The profile's skills come from three places, each kept with its evidence so the explainer can cite
it: skills the person typed (resolved through the alias vocabulary), skills extracted from their text
(with the character span), and the requirements of their current occupation (importance-weighted:
a nurse "has" what nursing requires, as much as nursing requires it).

Each requirement of the target is then *matched* (same canonical skill), *partial* (the profile has
a narrower/broader/sibling skill in the ESCO hierarchy, a tool of the same O*NET commodity category,
a strongly co-occurring skill, or a rated element at a lower level) or *missing*. Missing skills are
ranked by what matters for the target (:mod:`retrieval.skills.gap_order`: essential first, importance
and level, the target's tasks that depend on them, knowledge areas resolved to concrete skills), shown
in the catalogue's plainest label, and come with the courses that teach them and the number of further
occupations that the skill would bring within reach.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, field_validator

from retrieval.artifacts import NotBuilt
from retrieval.courses.relevance import SkillRef, course_refs
from retrieval.settings import Settings, get_settings
from retrieval.skills import base
from retrieval.skills.esco_map import essential_skills
from retrieval.skills.evidence import (
    CourseRef,
    CurrentOccupation,
    ItemRef,
    MatchedSkill,
    MissingSkill,
    PartialReason,
    PartialSkill,
    ProfileEvidence,
    Requirement,
    SkillGapEvidence,
    matched_id,
    missing_id,
    partial_id,
    stable_hash,
)
from retrieval.skills.extract import get_extractor, tokenize
from retrieval.skills.gap_order import RankedGap, in_demand, rank_missing
from retrieval.skills.graph import SkillsGraph, get_graph
from retrieval.skills.plain import plain_label
from retrieval.skills.priority import BASIC_SKILLS, gap_priority, takes_no_course
from retrieval.text import normalize_label
from retrieval.understanding.schema import OccupationLink
from retrieval.understanding.service import understand

log = logging.getLogger(__name__)

#: A tool an occupation lists but does not flag In Demand is named as held through it only when O*NET
#: occupations list it this much on average (typical importance: Microsoft Excel 0.58, Outlook 0.43; web
#: browsers 0.21, SAP 0.18, Hadoop 0.03).
UBIQUITOUS_TOOL = 0.25
#: Profile skills below this confidence are not treated as held.
HELD_CONFIDENCE = 0.45
#: An element rated for the person's occupation is named as something their work "has likely involved" only
#: from this importance: O*NET's IM 3 of 5, "important" (scaled (IM - 1) / 4). Below it, it still counts.
SAY_IMPORTANCE = 0.5
#: Occupation coverage (importance-weighted share of requirements held) that counts as "reachable".
UNLOCK_THRESHOLD = 0.5
#: A rated element held this far below the required level is only a partial match.
LEVEL_SLACK = 0.15
#: Skill-group parents with more children than this are too broad to make siblings meaningful.
MAX_SIBLING_GROUP = 40
#: Co-occurrence z from which a held skill gives partial credit for a required one.
RELATED_Z = 8.0
PARTIAL_CREDIT = {
    "lower_level": 0.6,
    "narrower": 0.7,
    "same_tool_category": 0.5,
    "broader": 0.4,
    "sibling": 0.3,
    "related": 0.3,
}
#: A requirement the person's current occupation gives at a lower level than the target needs is a gap to
#: build -- listed and ordered with the missing ones, with courses -- when it matters this much to the target
#: and the person did not state it (a nurse becoming a nurse practitioner needs Medicine and Dentistry at a
#: far higher level: that, not "Sociology and Anthropology", is the gap). Below it, it stays "partly covered".
DEEPEN_IMPORTANCE = 0.75
#: ... and when it is a body of knowledge (O*NET Knowledge, 2.C: "organized sets of principles and facts"), which
#: a person takes further by study -- not a skill (2.A, 2.B: "developed capacities") every job practises: a
#: waitress moving into practical nursing was told to build Service Orientation, Social Perceptiveness and
#: Coordination first (her occupation rates them 0.39-0.41 where LPNs need 0.57-0.61), ahead of Medicine and
#: Dentistry, which she does not have at all, and told to take them "further, from advanced study or a mentor".
#: Such skills stay "partly covered". Knowledge passes: Medicine and Dentistry for a nurse becoming a nurse
#: practitioner, Education and Training for a teaching assistant becoming a teacher, Administration and
#: Management for an accountant becoming a financial manager. The two knowledge areas nearly every occupation
#: rates (typical importance at least :data:`DEEPEN_GENERIC`: English Language 0.52, Customer and Personal Service
#: 0.43) are generic like the skills: a nurse was told to take English Language "further, from advanced study".
DEEPEN_KNOWLEDGE = "onet:2.C."
DEEPEN_GENERIC = 0.4
COURSES_PER_SKILL = 3
#: Missing skills (most important first) that get courses: explanations show at most five gaps.
COURSE_GAPS = 8
_LEVEL_RANK = {
    "beginner": 0,
    "introductory": 0,
    "beginner level": 0,
    "all levels": 0,
    "intermediate": 1,
    "intermediate level": 1,
    "mixed": 1,
    "advanced": 2,
    "expert level": 2,
}


class Profile(BaseModel):
    """What a person tells Waypoint: current occupation (O*NET code or title), skills, free text."""

    model_config = {"extra": "ignore"}

    occupation: str | None = None
    skills: list[str] = Field(default_factory=list)
    text: str | None = None

    @field_validator("skills", mode="before")
    @classmethod
    def _split(cls, value):
        if isinstance(value, str):
            return [s.strip() for s in value.replace(";", ",").split(",") if s.strip()]
        return value

    def is_empty(self) -> bool:
        return not ((self.occupation or "").strip() or any(s.strip() for s in self.skills) or (self.text or "").strip())


@dataclass
class HeldSkill:
    """A skill the profile shows, with every piece of evidence for it."""

    id: str
    label: str
    confidence: float
    evidence: list[ProfileEvidence] = field(default_factory=list)
    level: float | None = None

    def add(self, confidence: float, evidence: ProfileEvidence, level: float | None = None) -> None:
        self.confidence = max(self.confidence, confidence)
        self.evidence.append(evidence)
        if level is not None:
            self.level = max(self.level or 0.0, level)


@dataclass
class ProfileSkills:
    held: dict[str, HeldSkill]
    unresolved: list[str]
    occupation_id: str | None


def resolve_occupation(value: str, settings: Settings | None = None) -> str:
    """An occupation id from an id or a title (primary titles first, O*NET before ESCO)."""
    value = (value or "").strip()
    if not value:
        raise base.SkillsInputError("empty occupation")
    graph = get_graph(settings)
    if graph.node_type(value) == "occupation":
        return value
    conn = base.catalogue(settings)
    rows = conn.execute(
        """
        SELECT t.occupation_id, t.kind, o.taxonomy FROM occupation_title t JOIN occupation o ON o.id = t.occupation_id
        WHERE t.title_norm = ?
        """,
        (normalize_label(value),),
    ).fetchall()
    if not rows:
        raise base.UnknownIdError(f"unknown occupation: {value!r} (give an O*NET-SOC code, an ESCO id or a title)")
    order = {"primary": 0, "short": 1, "alternate": 2, "esco_alt": 3, "reported": 4}
    rows.sort(key=lambda r: (order.get(r[1], 9), r[2] != "onet", r[0]))
    return rows[0][0]


def resolve_skill(value: str, settings: Settings | None = None) -> list[str]:
    """Canonical skill ids for a typed skill: an id, an alias, or aliases found inside it."""
    graph = get_graph(settings)
    value = value.strip()
    if graph.node_type(value) == "skill":
        return [value]
    conn = base.catalogue(settings)
    row = conn.execute("SELECT canonical_id FROM skill WHERE id = ?", (value,)).fetchone()
    if row:
        return [row[0]]
    extractor = get_extractor(settings)
    senses = extractor.data.entries.get(tuple(t.norm for t in tokenize(value)))
    if senses:
        return [senses[0].skill_id]
    return list(extractor.match_aliases(value))


def profile_skills(
    profile: Profile,
    settings: Settings | None = None,
    *,
    use_embeddings: bool | None = None,
    use_map: bool | None = None,
) -> ProfileSkills:
    """Every skill the profile shows, with its evidence (typed skill, text span, current occupation).

    ``use_embeddings`` / ``use_map``: ``None`` takes the settings' (as :func:`skill_gap`): a default of "on"
    made a caller on a home built without the ESCO map embed the whole ESCO occupation list (80 s) on first use."""
    settings = settings or get_settings()
    use_embeddings = settings.gap_embeddings if use_embeddings is None else use_embeddings
    use_map = settings.gap_esco_map if use_map is None else use_map
    graph = get_graph(settings)
    held: dict[str, HeldSkill] = {}
    unresolved: list[str] = []

    def add(
        sid: str, confidence: float, evidence: ProfileEvidence, level: float | None = None, label: str | None = None
    ) -> None:
        if sid not in held:
            # a credential the graph does not hold ("cred:emt") keeps the extractor's label ("EMT certification")
            known = graph.label(sid)
            held[sid] = HeldSkill(sid, label if label and known == sid else known, 0.0)
        held[sid].add(confidence, evidence, level)

    for raw in profile.skills:
        if not raw.strip():
            continue
        ids = resolve_skill(raw, settings)
        if not ids:
            unresolved.append(raw)
        for sid in ids:
            add(sid, 1.0, ProfileEvidence(source="skills", text=raw))
    if profile.text and profile.text.strip():
        if len(profile.text) > settings.max_text_chars:
            raise base.SkillsInputError(f"profile text too long: {len(profile.text)} > {settings.max_text_chars} chars")
        for hit in get_extractor(settings).extract(
            profile.text, use_embeddings=use_embeddings, expand=False, min_confidence=HELD_CONFIDENCE
        ):
            for start, end in hit.spans[:3]:
                add(
                    hit.skill_id,
                    hit.confidence,
                    ProfileEvidence(
                        source="text", text=profile.text[start:end], span=(start, end), confidence=hit.confidence
                    ),
                    label=hit.label,
                )
    occupation_id = None
    if profile.occupation and profile.occupation.strip():
        occupation_id = resolve_occupation(profile.occupation, settings)
        title = graph.label(occupation_id)
        # held from what the occupation rates at HELD_CONFIDENCE, a little below what a target "asks for"
        # (RATED_MIN_IMPORTANCE): a software developer's Operations Monitoring rated 0.46 was no part of them,
        # so a systems architect's 0.50 was a gap; the level comparison below decides how far it goes
        for req in essential_skills(occupation_id, settings, use_map=use_map, rated_floor=HELD_CONFIDENCE):
            add(
                req.skill_id,
                req.importance,
                ProfileEvidence(
                    source="occupation", text=f"{title} ({occupation_id}): {req.label}", confidence=req.importance
                ),
                req.level,
            )
    return ProfileSkills(held, unresolved, occupation_id)


def item_requirements(
    item_id: str, settings: Settings | None = None, *, use_map: bool = True
) -> tuple[ItemRef, list[Requirement]]:
    """The item (occupation or job posting) and what it requires."""
    item_id = (item_id or "").strip()
    if not item_id:
        raise base.SkillsInputError("empty item id")
    graph = get_graph(settings)
    kind = graph.node_type(item_id)
    if kind == "occupation":
        return ItemRef(id=item_id, kind="occupation", title=graph.label(item_id)), essential_skills(
            item_id, settings, use_map=use_map
        )
    if item_id.startswith("posting:"):
        conn = base.catalogue(settings)
        row = conn.execute(
            "SELECT title, description, qualifications, duplicate_of FROM job_posting WHERE id = ?", (item_id,)
        ).fetchone()
        if row is None:
            raise base.UnknownIdError(f"unknown job posting id: {item_id!r}")
        title = row[0] or "(untitled posting)"
        source = row[3] if row[3] and graph.node_type(row[3]) == "posting" else item_id
        if graph.node_type(source) == "posting":
            links = [(v, d["confidence"]) for v, d in graph.graph.succ[source].items() if d.get("type") == "mentions"]
        else:
            text = "\n".join(t for t in row[:3] if t)
            links = [
                (h.skill_id, h.confidence)
                for h in get_extractor(settings).extract(text, use_embeddings=False, expand=False)
            ]
        reqs = [
            Requirement(
                skill_id=sid,
                label=graph.label(sid),
                kind=graph.kind(sid),
                relation="mentioned",
                importance=round(conf, 4),
                source=f"posting:{item_id}",
            )
            for sid, conf in links
        ]
        reqs.sort(key=lambda r: (-r.importance, r.label, r.skill_id))
        return ItemRef(id=item_id, kind="posting", title=title), reqs
    if kind is not None:
        raise base.SkillsInputError(f"{item_id!r} is a {kind}; a gap needs an occupation or a job posting")
    raise base.UnknownIdError(f"unknown item id: {item_id!r} (expected an occupation or posting id)")


RATED_KINDS = ("onet_skill", "onet_knowledge")


def element_names(label: str) -> frozenset[str]:
    """Normalised names a rated O*NET element goes by: its label and, when the label joins two areas,
    each of them ("Sales and Marketing" → sales, marketing), with a shared head distributed over a
    one-word first part ("Customer and Personal Service" → customer service, personal service)."""
    norm = normalize_label(label)
    names = {norm}
    parts = norm.split(" and ")
    if len(parts) == 2 and all(parts):
        left, right = parts
        names |= {left, right}
        if " " not in left and " " in right:
            names.add(f"{left} {right.rsplit(' ', 1)[1]}")
    return frozenset(names)


def _stated(held: HeldSkill) -> list[ProfileEvidence]:
    return [e for e in held.evidence if e.source != "occupation"]


def _stated_names(held: dict[str, HeldSkill]) -> dict[str, HeldSkill]:
    """Held skills the person stated (typed, or found in their text) by normalised name: their label and
    the words they were stated with; the most confident skill wins a shared name."""
    names: dict[str, HeldSkill] = {}
    for h in sorted(held.values(), key=lambda h: (-h.confidence, h.id)):
        stated = _stated(h)
        if stated:
            for name in (h.label, *(e.text for e in stated)):
                names.setdefault(normalize_label(name), h)
    return names


def _stated_equivalent(req: Requirement, stated_names: dict[str, HeldSkill]) -> HeldSkill | None:
    """A skill the person stated that names the same thing as ``req`` under another vocabulary's id, as
    the requirement's stated evidence; None if there is none.

    Why: O*NET's rated elements are never merged with ESCO skills (retrieval/catalogue/vocabulary.py), so
    "customer service" in a store manager's text is ESCO's *customer service* while the role requires
    O*NET's *Customer and Personal Service*; matched by id alone, what the person said became their
    biggest gap. Same for "mathematics", "psychology", "accounting" and the rest. Only equal names
    count (the element's label or one of its parts, :func:`element_names`; the exact label for any other
    kind), never similarity, and only stated evidence: an occupation's rows never stand in for a
    requirement they do not list. Negations and wishes never reach here (the extractor does not hold them)."""
    names = element_names(req.label) if req.kind in RATED_KINDS else (normalize_label(req.label),)
    for name in sorted(names):
        h = stated_names.get(name)
        if h is not None and h.id != req.skill_id:
            return HeldSkill(req.skill_id, req.label, h.confidence, _stated(h))
    return None


def _with_stated(req: Requirement, held: dict[str, HeldSkill], stated_names: dict[str, HeldSkill]) -> HeldSkill | None:
    """The held skill for ``req``: by id, with the stated evidence of a same-named skill added when the id
    is held only through the occupation (so the person's own words are cited and it is never a gap)."""
    have = held.get(req.skill_id)
    if have is not None and _stated(have):
        return have
    same = _stated_equivalent(req, stated_names)
    if same is None:
        return have
    if have is None:
        return same
    return HeldSkill(
        have.id, have.label, max(have.confidence, same.confidence), same.evidence + have.evidence, have.level
    )


def _partial(
    req: Requirement, held: dict[str, HeldSkill], graph: SkillsGraph
) -> tuple[PartialReason, HeldSkill, float] | None:
    """Best partial credit the held skills give for ``req`` (reason, via skill, credit), or None."""
    candidates: list[tuple[float, PartialReason, str]] = []
    for child in graph.narrower(req.skill_id):
        if child in held:
            candidates.append((PARTIAL_CREDIT["narrower"], "narrower", child))
    parents = graph.broader(req.skill_id)
    for parent in parents:
        if parent in held:
            candidates.append((PARTIAL_CREDIT["broader"], "broader", parent))
        siblings = graph.narrower(parent)
        if graph.kind(parent) != "esco_group" and len(siblings) <= MAX_SIBLING_GROUP:
            for sib in siblings:
                if sib != req.skill_id and sib in held:
                    candidates.append((PARTIAL_CREDIT["sibling"], "sibling", sib))
    if req.kind == "technology":
        category = graph.graph.nodes[req.skill_id].get("category") if req.skill_id in graph.graph else ""
        if category:
            for sid in held:
                if (
                    sid != req.skill_id
                    and graph.kind(sid) == "technology"
                    and graph.graph.nodes[sid].get("category") == category
                ):
                    candidates.append((PARTIAL_CREDIT["same_tool_category"], "same_tool_category", sid))
                    break
    if not candidates and req.kind not in ("onet_skill", "onet_knowledge"):
        col = graph.skill_index.get(req.skill_id)
        if col is not None:
            rows = graph._presence[:, col].nonzero()[0]
            if len(rows) >= 3:
                z, _counts = graph.cooccurrence_z(rows)
                best = None
                for sid in held:
                    j = graph.skill_index.get(sid)
                    if (
                        j is not None
                        and j != col
                        and graph.kind(sid) not in ("onet_skill", "onet_knowledge")
                        and z[j] >= RELATED_Z
                    ):
                        if best is None or z[j] > best[0]:
                            best = (float(z[j]), sid)
                if best:
                    candidates.append((PARTIAL_CREDIT["related"], "related", best[1]))
    candidates = [c for c in candidates if held[c[2]].confidence >= HELD_CONFIDENCE]
    if not candidates:
        return None
    credit, reason, via = max(candidates, key=lambda c: (c[0], held[c[2]].confidence, c[2]))
    return reason, held[via], credit * held[via].confidence


def _courses(skill_id: str, missing: set[str], graph: SkillsGraph, k: int = COURSES_PER_SKILL) -> list[CourseRef]:
    """Courses the skills graph links to ``skill_id`` (tags and word matches), ranked by how many of the gap's
    missing skills they cover, the link's confidence, an accessible level and rating. Not what a gap shows
    (that is :func:`retrieval.courses.relevance.course_refs`): kept as the baseline ``waypoint eval courses``
    compares the relevance model with."""
    out = []
    for cid, d in graph.courses_for(skill_id):
        node = graph.graph.nodes[cid]
        covers = sorted(v for v, e in graph.graph.succ[cid].items() if e.get("type") == "teaches" and v in missing)
        out.append(
            CourseRef(
                id=cid,
                title=node["label"],
                provider=node["kind"],
                level=node.get("level") or "",
                rating=node.get("rating"),
                link=d.get("source", "catalogue"),
                link_confidence=round(float(d.get("confidence", 1.0)), 4),
                covers=covers,
            )
        )
    out.sort(
        key=lambda c: (
            -len(c.covers),
            -c.link_confidence,
            _LEVEL_RANK.get(c.level.lower(), 1),
            -(c.rating or 0.0),
            c.id,
        )
    )
    return out[:k]


def _unlocks(
    held_ids: set[str], missing_ids: list[str], graph: SkillsGraph, threshold: float = UNLOCK_THRESHOLD
) -> dict[str, int]:
    """For each missing skill: occupations whose requirement coverage crosses ``threshold`` once it is held."""
    R = graph.requirements
    x = np.zeros(R.shape[1], dtype=np.float32)
    for sid in held_ids:
        j = graph.skill_index.get(sid)
        if j is not None:
            x[j] = 1.0
    totals = np.asarray(R.sum(axis=1)).ravel()
    totals[totals == 0] = np.inf
    cov = (R @ x) / totals
    below = cov < threshold
    out = {}
    Rc = R.tocsc()
    for sid in missing_ids:
        j = graph.skill_index.get(sid)
        if j is None:
            out[sid] = 0
            continue
        column = Rc[:, j]
        rows = column.nonzero()[0]
        gain = np.asarray(column[rows].todense()).ravel() / totals[rows]
        out[sid] = int(np.sum(below[rows] & (cov[rows] + gain >= threshold)))
    return out


def _worth_saying(have: HeldSkill, occupation_id: str | None, graph: SkillsGraph) -> bool:
    """Whether a held skill is listed among what the person has. A tool held only because O*NET lists it for
    their occupation is listed when O*NET flags it In Demand there or nearly every occupation lists it (Microsoft
    Office, Excel, Outlook): O*NET lists 132 tools for administrative assistants, and one read "your current
    occupation has likely involved Apache Tomcat, Drupal and Hadoop". It still counts toward the coverage, as
    the occupation's other rows do (holding only those tools turned 'strong' into 'stretch' for half of O*NET's
    closest related pairs: 49 -> 24 strong of 200). A rated element (a skill or knowledge area) held only through
    the occupation is listed from :data:`SAY_IMPORTANCE`."""
    if _stated(have) or occupation_id is None:
        return True
    edge = graph.graph.get_edge_data(occupation_id, have.id) or {}
    if edge.get("relation") == "rated":
        # a waitress read "your work has likely involved Administration and Management" (IM 2.9 of 5 for waiters,
        # at level 2 of 7): what the work rates below "important" is not something to tell a person they have
        return have.confidence >= SAY_IMPORTANCE
    if edge.get("relation") != "technology":  # by the occupation's link: a tool's id may be an ESCO skill's
        return True
    return bool(edge.get("in_demand")) or graph.typical_importance(have.id) >= UBIQUITOUS_TOOL


def _one_per_label(items: list, label: Callable[[Any], str]) -> list:
    """The first of the items that read the same: O*NET rates a skill *and* a knowledge area "Mathematics",
    and "Mathematics, Mathematics" as a financial analyst's two biggest gaps reads as a slip. The coverage
    still counts both."""
    seen: set[str] = set()
    out = []
    for item in items:
        key = label(item).casefold()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def said_occupation(text: str, settings: Settings) -> OccupationLink | None:
    """The occupation ``text`` says is the person's (None for vague text, an over-long one, or before the
    occupation models are built: the gap is then computed from the written skills alone, as before)."""
    if not text.strip() or len(text) > settings.max_text_chars:
        return None
    try:
        return understand(text, settings).said_occupation()
    except NotBuilt as exc:
        log.warning("occupation understanding not built (%s): gap from the written skills only", exc)
        return None


def course_context(req: Requirement, item: ItemRef) -> str:
    """The work a gap's courses must fit (:data:`retrieval.courses.relevance.CONTEXT_MIN`): the target occupation,
    for every gap toward an occupation but O*NET's basic skills. A broad knowledge area means what the work does
    with it; a tool's name or an ESCO phrase alone matches courses that use the words otherwise ("Flow chart
    software" toward sales supervisors: "Create an Accelerated Learning Flowchart with Watercolors", 0.41 in
    context; "type on electronic devices" toward medical secretaries: "Semiconductor Devices"); Excel, Tableau and
    Power BI courses stay at 0.54-0.85. A basic skill (Science, Mathematics, Reading Comprehension) is general by
    nature: in context it lost "Question Everything: Scientific Thinking in Real Life", judged relevant for Science
    toward statisticians, so it has none."""
    if item.kind != "occupation" or req.skill_id.startswith(BASIC_SKILLS):
        return ""
    return item.title


#: O*NET's "Computers and Electronics" joins two bodies of knowledge (its description: "circuit boards, processors,
#: chips, electronic equipment, and computer hardware and software, including applications and programming"). Work
#: outside engineering, building, repair and production (SOC 17, 47, 49, 51) that rates Physics below
#: :data:`HARDWARE_PHYSICS` uses the computing half only: a barista moving into UX design read "Introduction to
#: Electronics; Circuits and Electronics 1: Basic Circuit Analysis", a bank teller toward new accounts clerks
#: "Introduction to Electronics". Electrical engineers (Physics 0.65), avionics technicians (0.45), computer and ATM
#: repairers (SOC 49) keep the electronics courses; web designers (0.16), software developers (0.26) and network
#: administrators (0.15) do not, though they rate Engineering and Technology important (0.58-0.65).
COMPUTERS_AND_ELECTRONICS = "onet:2.C.3.a"
PHYSICS = "onet:2.C.4.b"
HARDWARE_PHYSICS = 0.4
HARDWARE_GROUPS = ("17-", "47-", "49-", "51-")
COMPUTING_FACET = "Computers: computer hardware and software, including applications and programming"
ELECTRONICS_FACET = "Electronics: circuit boards, processors, chips and electronic equipment"


def course_facets(req: Requirement, item: ItemRef, graph: SkillsGraph) -> tuple[str, str] | None:
    """(the facet a gap's courses must be nearer, the one they must not be nearer) where the gap's area joins two
    and the target's work uses one of them (:data:`COMPUTERS_AND_ELECTRONICS`); None for every other gap."""
    if req.skill_id != COMPUTERS_AND_ELECTRONICS or item.kind != "occupation" or item.id.startswith(HARDWARE_GROUPS):
        return None
    physics = graph.graph.get_edge_data(item.id, PHYSICS) or {}
    if float(physics.get("importance") or 0.0) >= HARDWARE_PHYSICS:
        return None
    return COMPUTING_FACET, ELECTRONICS_FACET


#: Skills learned hands-on -- on the job, in an apprenticeship, or a certification course for the equipment -- whose
#: next step is not "a project or volunteer work that uses it": a warehouse worker toward crane operators read that
#: for "operate tower crane". ESCO's top skill groups of handling and moving, constructing, and working with
#: machinery and specialised equipment; O*NET's skills of working with machines (Installation, Operations Monitoring,
#: Operation and Control, Equipment Maintenance, Troubleshooting, Repairing) and the trades' knowledge (Building and
#: Construction, Mechanical), which vocational training teaches.
HANDS_ON_GROUPS = frozenset({"handling and moving", "constructing", "working with machinery and specialised equipment"})
HANDS_ON_ONET = frozenset(
    {"onet:2.B.3.d", "onet:2.B.3.g", "onet:2.B.3.h", "onet:2.B.3.j", "onet:2.B.3.k", "onet:2.B.3.l"}
    | {"onet:2.C.3.d", "onet:2.C.3.e"}
)


def learned_hands_on(skill_id: str, graph: SkillsGraph, depth: int = 6) -> bool:
    """Whether a skill is learned hands-on (:data:`HANDS_ON_GROUPS`, :data:`HANDS_ON_ONET`): an ESCO skill under one
    of those groups (its broader skills, up to ``depth`` levels), or one of those O*NET skills."""
    if skill_id in HANDS_ON_ONET:
        return True
    level, seen = [skill_id], {skill_id}
    for _ in range(depth):
        level = [b for s in level for b in graph.broader(s) if b not in seen]
        if not level:
            return False
        if any(graph.label(b) in HANDS_ON_GROUPS for b in level):
            return True
        seen.update(level)
    return False


def course_ref(
    req: Requirement, item: ItemRef, graph: SkillsGraph, *, label: str | None = None, partial: bool = False
) -> SkillRef:
    """How a gap asks for its courses: the skill, the work they must fit (:func:`course_context`) and the half of a
    joined area the work uses (:func:`course_facets`). One place for the gap's own choice and the choice in
    another language (:func:`retrieval.courses.relevance.gap_courses`)."""
    return SkillRef(
        req.skill_id,
        label or req.label,
        partial=partial,
        context=course_context(req, item),
        facets=course_facets(req, item, graph),
    )


def skill_gap(
    profile: Profile,
    item_id: str,
    settings: Settings | None = None,
    *,
    use_embeddings: bool | None = None,
    use_map: bool | None = None,
    max_missing: int = 15,
    max_partial: int = 15,
    ordering: Literal["priority", "importance"] = "priority",
    understand_text: bool = True,
) -> SkillGapEvidence:
    """Matched, partial and missing skills of ``profile`` for an occupation or job posting.

    ``use_embeddings`` turns the embedding model on for the profile text (the embedding tagger) and for
    the gap order (task ↔ skill links by meaning, knowledge areas resolved to concrete skills); ``use_map``
    adds the ESCO essentials of O*NET occupations through :mod:`retrieval.skills.esco_map`. Both need the
    embedding model over a whole catalogue field on first use; ``None`` takes ``settings.gap_embeddings`` /
    ``settings.gap_esco_map`` (both on by default). ``ordering="importance"`` is the order before issue 23
    (no area resolution, catalogue labels), kept as the evaluation's baseline.

    A profile with text and no occupation takes the occupation its text names (``understand_text``,
    :meth:`Understanding.said_occupation`), as the chat does and as its recommendations were ranked: a
    pasted résumé of a branch manager who "hired personnel and directed branch sales" matched 0% of Sales
    Managers when only the skills written out word for word counted.
    """
    if profile.is_empty():
        raise base.SkillsInputError("empty profile: give an occupation, skills or text")
    settings = settings or get_settings()
    said = None
    if understand_text and not (profile.occupation or "").strip():
        said = said_occupation(profile.text or "", settings)
        if said is not None:
            profile = profile.model_copy(update={"occupation": said.occupation_id})
    use_embeddings = settings.gap_embeddings if use_embeddings is None else use_embeddings
    use_map = settings.gap_esco_map if use_map is None else use_map
    graph = get_graph(settings)
    item, requirements = item_requirements(item_id, settings, use_map=use_map)
    taxonomy = "esco" if item.id.startswith("esco:") else "onet"  # what a skill is typically compared with
    mine = profile_skills(profile, settings, use_embeddings=use_embeddings, use_map=use_map)
    held = {sid: h for sid, h in mine.held.items() if h.confidence >= HELD_CONFIDENCE}
    stated_names = _stated_names(held)

    matched: list[MatchedSkill] = []
    partial: list[PartialSkill] = []
    missing_reqs: list[Requirement] = []
    deeper: set[str] = set()  # held below the required level, but important enough to be a gap to build
    weight_total = sum(r.importance for r in requirements) or 1.0
    covered = 0.0
    for req in requirements:
        have = _with_stated(req, held, stated_names)
        if have is not None:
            if req.level is not None and have.level is not None and have.level < req.level - LEVEL_SLACK:
                credit = PARTIAL_CREDIT["lower_level"]
                covered += credit * req.importance
                if (
                    req.importance >= DEEPEN_IMPORTANCE
                    and req.skill_id.startswith(DEEPEN_KNOWLEDGE)
                    and graph.typical_importance(req.skill_id, taxonomy) < DEEPEN_GENERIC
                    and not _stated(have)
                ):
                    missing_reqs.append(req)
                    deeper.add(req.skill_id)
                    continue
                partial.append(
                    PartialSkill(
                        evidence_id=partial_id(req.skill_id),
                        id=req.skill_id,
                        label=req.label,
                        importance=req.importance,
                        reason="lower_level",
                        via={"id": have.id, "label": have.label, "level": have.level, "stated": bool(_stated(have))},
                        score=credit,
                        requirement=req,
                    )
                )
                continue
            covered += req.importance
            if not _worth_saying(have, mine.occupation_id, graph):
                continue  # counted, not said
            matched.append(
                MatchedSkill(
                    evidence_id=matched_id(req.skill_id),
                    id=req.skill_id,
                    label=req.label,
                    importance=req.importance,
                    profile_evidence=have.evidence,
                    requirement=req,
                    salience=round(req.importance - graph.typical_importance(req.skill_id, taxonomy), 4),
                )
            )
            continue
        found = _partial(req, held, graph)
        if found is not None:
            reason, via, credit = found
            partial.append(
                PartialSkill(
                    evidence_id=partial_id(req.skill_id),
                    id=req.skill_id,
                    label=req.label,
                    importance=req.importance,
                    reason=reason,
                    via={"id": via.id, "label": via.label, "stated": bool(_stated(via))},
                    score=round(credit, 4),
                    requirement=req,
                )
            )
            covered += credit * req.importance
        else:
            missing_reqs.append(req)

    if ordering == "priority":
        # what matters for the target first: essential before optional, importance and level, the target's
        # tasks that depend on it; knowledge areas resolved to concrete skills (retrieval/skills/gap_order.py)
        ranked = rank_missing(item, missing_reqs, graph, settings, use_embeddings=use_embeddings)[:max_missing]
    else:  # the order before issue 23 (importance, hot, alphabet), kept as the baseline `waypoint eval courses` reports
        missing_reqs.sort(key=lambda r: (-r.importance, not r.hot, r.label, r.skill_id))
        ranked = [RankedGap(r, gap_priority(r, in_demand=in_demand(r, graph))) for r in missing_reqs[:max_missing]]
    # one gap per label, and none that reads like a skill already listed as held or partly held (Mathematics
    # the knowledge area "at a lower level than required" beside Mathematics the skill "to build")
    listed = {m.label.casefold() for m in matched} | {p.label.casefold() for p in partial}
    ranked = _one_per_label([g for g in ranked if g.req.label.casefold() not in listed], lambda g: g.req.label)
    top_missing = [g.req for g in ranked]
    unlocks = _unlocks(set(held), [r.skill_id for r in top_missing], graph)
    # Courses from the relevance model (retrieval/courses/relevance.py), not the graph's word links, for the gaps
    # that are shown; a gap no course teaches well enough gets none ("no course in the catalogue teaches this yet").
    # A tool hot only elsewhere gets none either (retrieval/skills/priority.py, takes_no_course): an EMT toward
    # paramedics was offered "Build your very first iOS app". Other plain tools keep theirs: "Life cycle assessment
    # LCA software" toward sustainability specialists has a life cycle assessment course.
    courses = course_refs(
        settings,
        # a gap held at a lower level gets no introductory course (a nurse is not sent to "Beginning Grammar")
        [
            course_ref(g.req, item, graph, partial=g.req.skill_id in deeper)
            for g in ranked[:COURSE_GAPS]
            if not takes_no_course(g.req, g.rank)
        ],
        held_labels=[m.label for m in matched],
    )
    missing = [
        MissingSkill(
            evidence_id=missing_id(g.req.skill_id),
            id=g.req.skill_id,
            label=plain_label(g.req.skill_id, g.req.label, settings) if ordering == "priority" else g.req.label,
            importance=g.req.importance,
            courses=courses.get(g.req.skill_id, []),
            unlocks_occupations=unlocks[g.req.skill_id],
            requirement=g.req,
            catalogue_label=g.req.label,
            area=g.area,
            rank=g.rank,
            deeper=g.req.skill_id in deeper,
            hands_on=learned_hands_on(g.req.skill_id, graph),
        )
        for g in ranked
    ]
    partial.sort(key=lambda p: (-p.importance * p.score, p.label, p.id))
    gap_id = "gap:{}:{}".format(item.id, stable_hash(profile.model_dump(mode="json")))
    return SkillGapEvidence(
        id=gap_id,
        item=item,
        coverage=round(covered / weight_total, 4),
        matched_skills=_one_per_label(matched, lambda m: m.label),
        partial_skills=partial[:max_partial],
        missing_skills=missing,
        requirements_total=len(requirements),
        unresolved_skills=mine.unresolved,
        profile_skill_count=len(held),
        current_occupation=CurrentOccupation(
            id=mine.occupation_id,
            title=graph.label(mine.occupation_id),
            source="text" if said is not None else "given",
            quote=said.span.text if said is not None and said.span is not None else None,
        )
        if mine.occupation_id
        else None,
    )
