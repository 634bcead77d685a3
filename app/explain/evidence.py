"""Numbered evidence for one (profile, item) pair: the only facts an explanation may state.

Built from the skill gap (:func:`retrieval.skills.gap.skill_gap`: matched, partial and missing
requirements with the profile text that shows each one and the courses that close each gap) and from
passages retrieved from the RAG memory (the item's description and most relevant tasks, the most
relevant chunk of a long résumé, past turns of the conversation).

Every piece becomes a :class:`EvidenceCitation` with an id ``c1, c2, ...`` assigned in a fixed order
(profile first, then the item, then courses, then conversation), so the same profile, item and
catalogue always give the same ids: the verifier resolves them again, feedback refers to them, and
DPO pairs share a prompt. Each citation also records which skill ids it *states* (a requirement row,
the profile sentence a skill was found in); the verifier checks claims against that, not against
the model's word. Profile text is redacted (emails, phones, links) before anything is built from it.

Provenance: every matched and partial skill says where the person's side of it comes from.
``stated`` -- the person typed it or their text/résumé says it (the quote is cited); ``inferred`` --
only their current occupation's usual requirements give it (a firefighter's O*NET software list
holds Microsoft Excel). The composer says "you have" only for stated skills, the verifier flags a
draft that says it for an inferred one, and the occupation citation says in its own words that it is
inferred, so the LLM reads it too. The numbering here is the evidence's (prompt, trace, training
data); the explanation shown to the person is renumbered in order of appearance
(:class:`app.explain.schema.Explanation`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from app.explain import memory
from app.explain.redact import redact
from app.explain.schema import CourseInfo, Fit, ItemInfo
from retrieval.profile import Profile, ProfileError
from retrieval.settings import Settings, get_settings
from retrieval.skills.evidence import SkillGapEvidence, stable_hash

log = logging.getLogger(__name__)

MAX_MATCHED = 6
MAX_STATED_KEPT = 3  # of the MAX_MATCHED, at most this many are kept for skills the person stated
MAX_PARTIAL = 3
MAX_MISSING = 5
COURSES_PER_MISSING = 2
MAX_COURSES = 4
MAX_TASK_PASSAGES = 1
QUOTE_CHARS = 220
STRONG, POSSIBLE = 0.75, 0.45

Provenance = Literal["stated", "inferred"]

Role = Literal[
    "profile",
    "profile_skills",
    "profile_occupation",
    "profile_chunk",
    "turn",
    "description",
    "requirements",
    "missing",
    "partial",
    "tasks",
    "course",
]


class EvidenceCitation(BaseModel):
    """One numbered piece of evidence. ``skills``: the skill ids this text states (for the verifier)."""

    id: str
    source: str
    text: str
    role: Role
    skills: list[str] = Field(default_factory=list)
    courses: list[str] = Field(default_factory=list)


class EvidenceSkill(BaseModel):
    """A requirement of the item as the explainer sees it: ``name`` is the unique label shown to the LLM."""

    id: str
    label: str
    name: str
    importance: float
    salience: float = Field(
        0.0,
        description="how characteristic of the item: importance minus the skill's usual importance across "
        "occupations (retrieval.skills.graph.SkillsGraph.typical_importance); matched skills are named in "
        "this order",
    )
    status: Literal["matched", "partial", "missing"]
    citations: list[str] = Field(default_factory=list)
    courses: list[CourseInfo] = Field(default_factory=list)
    reason: str = ""
    via: dict = Field(default_factory=dict)
    unlocks: int = 0
    on_the_job: bool = Field(
        default=False,
        description="missing: a software tool its employers usually train on the job (a plain tool, "
        "retrieval/skills/priority.py)",
    )
    hands_on: bool = Field(
        default=False,
        description="missing: learned hands-on, on the job or in an apprenticeship or certification course "
        "(retrieval.skills.gap.learned_hands_on)",
    )
    kind: str = Field(
        default="", description="catalogue kind of the skill (technology, onet_knowledge, esco_skill, ...)"
    )
    provenance: Provenance | None = Field(
        default=None,
        description="matched/partial: stated (typed or in the person's text) or inferred (only from "
        "the current occupation); None for a missing skill",
    )
    quote: str = Field(default="", description="the person's words that state it (typed skill or text span)")


class Evidence(BaseModel):
    """Everything an explanation of ``item`` for this profile may draw on."""

    key: str = Field(description="stable hash of the evidence (prompt cache key, DPO grouping)")
    item: ItemInfo
    coverage: float
    fit: Fit
    requirements_total: int
    matched: list[EvidenceSkill]
    matched_total: int
    partial: list[EvidenceSkill]
    missing: list[EvidenceSkill]
    missing_total: int
    citations: list[EvidenceCitation]
    known_skill_ids: list[str] = Field(default_factory=list, description="every skill id the gap mentions")
    profile_owner: str = ""
    profile_text: str = Field(default="", description="redacted profile text (never the raw text)")
    occupation_title: str = Field(default="", description="the current occupation inferred skills come from")
    turns: list[tuple[str, str]] = Field(
        default_factory=list,
        description=(
            "the conversation turns recalled into it, (source, text): logged with the impression, so training "
            "rebuilds this very prompt although the session's memory has grown since"
        ),
    )

    def inferred(self) -> list[EvidenceSkill]:
        """Matched skills only the current occupation gives (never "you have" these)."""
        return [s for s in self.matched if s.provenance == "inferred"]

    def stated(self) -> list[EvidenceSkill]:
        """Matched skills the person stated (and those of evidence built before provenance, as it was then)."""
        return [s for s in self.matched if s.provenance != "inferred"]

    def citation(self, cid: str) -> EvidenceCitation | None:
        return next((c for c in self.citations if c.id == cid), None)

    def citation_ids(self) -> list[str]:
        return [c.id for c in self.citations]

    def skill_by_name(self, name: str, status: str | None = None) -> EvidenceSkill | None:
        for skill in (*self.matched, *self.partial, *self.missing):
            if skill.name == name and (status is None or skill.status == status):
                return skill
        return None


def fit_for(coverage: float) -> Fit:
    return Fit.strong if coverage >= STRONG else Fit.possible if coverage >= POSSIBLE else Fit.stretch


# ------------------------------------------------------------------------------------------------
# profile preparation


def applicant_text(user_id: str, settings: Settings) -> str:
    """An applicant's positions and descriptions from the job-view log (their stated experience)."""
    from retrieval.catalogue.db import connect

    conn = connect(settings.catalogue_path, readonly=True)
    try:
        rows = conn.execute(
            "SELECT position, employer, description FROM experience WHERE applicant_id = ? ORDER BY start_date DESC",
            (user_id,),
        ).fetchall()
    finally:
        conn.close()
    lines = []
    for position, employer, description in rows:
        head = " at ".join(p for p in (position, employer) if p)
        lines.append(f"{head}: {description}".strip(": ") if description else head)
    return "\n".join(line for line in lines if line)


def gap_profile(profile: Profile, settings: Settings):
    """The skills package's profile from ours, with redacted text (and an applicant's experience)."""
    from retrieval.skills.gap import Profile as GapProfile

    text = profile.text or ""
    if not text and profile.user_id:
        text = applicant_text(profile.user_id, settings)
    return GapProfile(occupation=profile.occupation, skills=list(profile.skills), text=redact(text) or None)


def profile_owner(profile: Profile, session_id: str | None, redacted_text: str) -> str:
    """Who the memory's profile chunks belong to: the session, the caller's (hashed) id, or a content hash.

    The caller's id is stored as :func:`app.privacy.hashing.hash_profile_id` (``p_`` + HMAC), the
    same value the events payload keeps: the vector store never holds a raw id (often an email).
    """
    from app.privacy.hashing import hash_profile_id

    if session_id:
        return f"session:{session_id}"
    if profile.id:
        return f"profile:{hash_profile_id(profile.id)}"
    return "anon:" + stable_hash({"o": profile.occupation, "s": profile.skills, "t": redacted_text})


def _quote_bounds(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """Where the sentence around ``span`` starts and ends in ``text`` (at most :data:`QUOTE_CHARS`)."""
    start, end = span
    left = max(text.rfind(ch, 0, start) for ch in ".!?\n;") + 1
    right_candidates = [i for i in (text.find(ch, end) for ch in ".!?\n;") if i != -1]
    right = min(right_candidates) + 1 if right_candidates else len(text)
    return max(left, start - QUOTE_CHARS // 2), min(right, end + QUOTE_CHARS // 2)


def _quote(text: str, span: tuple[int, int] | None) -> str:
    """The sentence around ``span`` (at most :data:`QUOTE_CHARS`), so the citation reads as context."""
    if not span:
        return text
    left, right = _quote_bounds(text, span)
    quote = re.sub(r"\s+", " ", text[left:right]).strip()
    return quote or text[span[0] : span[1]]


# ------------------------------------------------------------------------------------------------
# assembly


class _Builder:
    def __init__(self) -> None:
        self.items: list[EvidenceCitation] = []
        self.by_text: dict[tuple[str, str], EvidenceCitation] = {}

    def add(self, role: Role, source: str, text: str, skills: Sequence[str] = (), courses: Sequence[str] = ()) -> str:
        text = text.strip()
        key = (source, text)
        existing = self.by_text.get(key)
        if existing is not None:
            existing.skills.extend(s for s in skills if s not in existing.skills)
            return existing.id
        cite = EvidenceCitation(
            id=f"c{len(self.items) + 1}",
            source=source,
            text=text,
            role=role,
            skills=list(dict.fromkeys(skills)),
            courses=list(courses),
        )
        self.items.append(cite)
        self.by_text[key] = cite
        return cite.id

    def state(self, cid: str, skills: Sequence[str]) -> None:
        """Record that citation ``cid`` also states ``skills``."""
        cite = self.items[int(cid[1:]) - 1]
        cite.skills.extend(s for s in skills if s not in cite.skills)


def _unique_names(skills: list[EvidenceSkill]) -> None:
    seen: dict[str, int] = {}
    for s in skills:
        n = seen.get(s.label.lower(), 0) + 1
        seen[s.label.lower()] = n
        s.name = s.label if n == 1 else f"{s.label} ({n})"


def _fmt_importance(value: float) -> str:
    return f"{value:.2f}"


def assemble(
    gap: SkillGapEvidence,
    *,
    profile_text: str = "",
    owner: str = "",
    session_id: str | None = None,
    settings: Settings | None = None,
    use_memory: bool = True,
    turns: list[tuple[str, str]] | None = None,
) -> Evidence:
    """Numbered evidence from a skill gap plus retrieved passages (see the module docstring for order);
    ``turns`` given: those conversation turns, not the session memory's (see :func:`build_evidence`)."""
    settings = settings or get_settings()
    item = ItemInfo(id=gap.item.id, kind=gap.item.kind, title=gap.item.title)
    # most characteristic of the item first (salience: importance above the skill's usual importance), so
    # a truck driver's inferred skills start with Transportation, not the Microsoft Excel nearly every
    # occupation lists; software only inferred from an occupation's list of examples after rated skills
    matched_sorted = sorted(
        gap.matched_skills,
        key=lambda m: mention_order(
            m.requirement.kind, not _stated_evidence(m), _salience(m), m.importance, m.label, m.id
        ),
    )
    # what the person said they have keeps a place among the shown skills: an RN who "tracks outcomes in Excel"
    # was shown six skills nursing usually involves, all of higher O*NET importance, and not her Excel
    keep = {id(m) for m in [m for m in matched_sorted if _stated_evidence(m)][:MAX_STATED_KEPT]}
    rest = [m for m in matched_sorted if id(m) not in keep]
    keep |= {id(m) for m in rest[: MAX_MATCHED - len(keep)]}
    matched = [m for m in matched_sorted if id(m) in keep]
    partial = [p for p in gap.partial_skills if not _guessed_twice(p)][:MAX_PARTIAL]
    missing = gap.missing_skills[:MAX_MISSING]
    b = _Builder()
    cites: dict[str, list[str]] = {}

    # 1. the profile: quoted sentences, typed skills, current occupation
    typed: list[tuple[str, str]] = []
    occupational: list[tuple[str, str]] = []
    occupation_title = ""
    quoted: list[tuple[int, int, str]] = []  # where each profile quote sits in the text, and its id
    for m in matched:
        best_text = sorted((e for e in m.profile_evidence if e.source == "text"), key=lambda e: -e.confidence)
        if best_text and profile_text:
            span = best_text[0].span
            # skills found in one sentence share its quote ("Microsoft office, Autocad, Catia" once, not thrice)
            cid = next((c for lo, hi, c in quoted if span and lo <= span[0] and span[1] <= hi), None)
            if cid is None:
                cid = b.add("profile", "profile", f'"{_quote(profile_text, span)}"', [m.id])
                if span:
                    quoted.append((*_quote_bounds(profile_text, span), cid))
            else:
                b.state(cid, [m.id])
            cites.setdefault(m.id, []).append(cid)
        typed_ev = [e for e in m.profile_evidence if e.source == "skills"]
        if typed_ev:
            typed.append((m.id, typed_ev[0].text))
        occ_ev = [e for e in m.profile_evidence if e.source == "occupation"]
        if occ_ev:
            occupational.append((m.id, m.label))
            occupation_title = occupation_title or occ_ev[0].text.split(":")[0].strip()
    if typed:
        cid = b.add(
            "profile_skills",
            "profile",
            "Skills the person lists: " + ", ".join(dict.fromkeys(t for _, t in typed)),
            [sid for sid, _ in typed],
        )
        for sid, _ in typed:
            cites.setdefault(sid, []).append(cid)
    if occupational:
        # says it is inferred in its own words: the LLM reads it, and the person reads it in the evidence list
        text = (
            f"Usually part of the current occupation, {occupation_title} (inferred, not stated by the person): "
            + ", ".join(label for _, label in occupational)
        )
        cid = b.add("profile_occupation", "profile:occupation", text, [sid for sid, _ in occupational])
        for sid, _ in occupational:
            cites.setdefault(sid, []).append(cid)

    query_bits = [item.title] + [m.label for m in matched[:5]] + [m.label for m in missing[:3]]
    if use_memory and profile_text and len(profile_text) > memory.PROFILE_CHUNK_CHARS:
        memory.remember_profile(owner, profile_text, settings)
        for p in memory.profile_passages(owner, " ".join(query_bits), k=1, settings=settings):
            b.add("profile_chunk", "profile", f'"{p.text}"')
    if turns is None:
        # the person's own turns only: the assistant's earlier summaries are the LLM's words, and citing them
        # would let one unsupported sentence verify the next (and move the prompt within a session)
        turns = (
            [
                (p.source, p.text[:400])
                for p in memory.recall_turns(session_id, " ".join(query_bits), k=2, settings=settings, role="user")
            ]
            if use_memory and session_id
            else []
        )
    for source, turn_text in turns:
        b.add("turn", source, f'"{turn_text}"')

    # 2. the item: description, requirement rows (matched / missing / partial), relevant tasks
    passages = []
    if use_memory:
        passages = memory.item_passages(
            item.id,
            " ".join(filter(None, [profile_text[:600], *query_bits])),
            k=MAX_TASK_PASSAGES + 1,
            settings=settings,
        )
    if not passages:
        passages = _catalogue_passages(item.id, settings)
    description = [p for p in passages if p.source.endswith(":description")]
    tasks = [p for p in passages if not p.source.endswith(":description")][:MAX_TASK_PASSAGES]
    if not description:
        description = [p for p in _catalogue_passages(item.id, settings) if p.source.endswith(":description")]
    for p in description[:1]:
        b.add("description", p.source, _clip(f"{item.title}: {p.text}", 360))

    for source, group in _by_source(matched):
        cid = b.add(
            "requirements",
            f"{source}:skills",
            f"{_as_rated(item.title, source)} requires: "
            + "; ".join(f"{m.label} (importance {_fmt_importance(m.importance)})" for m in group),
            [m.id for m in group],
        )
        for m in group:
            cites.setdefault(m.id, []).append(cid)
    for deeper, opening in (
        (False, "also requires, not shown in the profile"),
        (True, "requires at a higher level than the current occupation gives"),
    ):
        for source, group in _by_source([m for m in missing if m.deeper == deeper]):
            cid = b.add(
                "missing",
                f"{source}:skills",
                f"{_as_rated(item.title, source)} {opening}: "
                + "; ".join(f"{m.label} (importance {_fmt_importance(m.importance)})" for m in group),
                [m.id for m in group],
            )
            for m in group:
                cites.setdefault(m.id, []).append(cid)
    if partial:
        parts = []
        for p in partial:
            via = p.via.get("label", "")
            inferred = p.via.get("stated") is False
            if p.reason == "lower_level":
                why = (
                    "the current occupation usually needs it at a lower level than required"
                    if inferred
                    else "the profile shows it at a lower level than required"
                )
            else:
                why = f"via the related skill {via} ({p.reason.replace('_', ' ')}" + (
                    ", usual in the current occupation)" if inferred else ")"
                )
            parts.append(f"{p.label}: {why}")
        cid = b.add("partial", "skills-graph", "Partly covered: " + "; ".join(parts), [p.id for p in partial])
        for p in partial:
            cites.setdefault(p.id, []).append(cid)
    for p in tasks:
        b.add("tasks", p.source, _clip(f"{item.title} tasks: {p.text}", 480))

    # 3. courses that close the most important gaps
    course_rows: dict[str, list[CourseInfo]] = {}
    n_courses = 0
    labels = {m.id: m.label for m in missing}
    # every gap's first course before any gap's second: a gap the relevance model gave a course never reads "no
    # course in the catalogue teaches X yet" because the gaps before it used up MAX_COURSES
    for rank in range(COURSES_PER_MISSING):
        for miss in missing:
            for c in miss.courses[rank : rank + 1]:
                if (
                    rank > 0
                    and n_courses >= MAX_COURSES
                    and c.id not in {x.id for v in course_rows.values() for x in v}
                ):
                    continue
                covers = [labels[s] for s in c.covers if s in labels] or [miss.label]
                level = f", {c.level}" if c.level else ""
                cid = b.add(
                    "course",
                    c.id,
                    f'Course "{c.title}" ({c.provider}{level}) teaches: ' + ", ".join(covers),
                    [s for s in c.covers if s in labels] or [miss.id],
                    [c.id],
                )
                if cid not in cites.get(miss.id, []):
                    cites.setdefault(miss.id, []).append(cid)
                    n_courses += 1
                course_rows.setdefault(miss.id, []).append(CourseInfo(id=c.id, title=c.title))

    def skill(obj, status) -> EvidenceSkill:
        provenance, quote = _provenance(obj, status, profile_text)
        return EvidenceSkill(
            id=obj.id,
            label=obj.label,
            name=obj.label,
            importance=round(obj.importance, 4),
            salience=round(_salience(obj), 4),
            status=status,
            citations=cites.get(obj.id, []),
            courses=course_rows.get(obj.id, []) if status == "missing" else [],
            reason="deeper" if getattr(obj, "deeper", False) else getattr(obj, "reason", ""),
            via=dict(getattr(obj, "via", {}) or {}),
            unlocks=int(getattr(obj, "unlocks_occupations", 0) or 0),
            on_the_job=status == "missing" and bool(getattr(getattr(obj, "rank", None), "plain_tool", False)),
            hands_on=status == "missing" and bool(getattr(obj, "hands_on", False)),
            kind=obj.requirement.kind,
            provenance=provenance,
            quote=quote,
        )

    ev_matched = [skill(m, "matched") for m in matched]
    ev_partial = [skill(p, "partial") for p in partial]
    held_ids = {s.id for s in ev_matched + ev_partial}
    # a skill the person has (or partly has) is never also a gap, whatever the gap analysis listed
    ev_missing = [skill(m, "missing") for m in missing if m.id not in held_ids]
    _unique_names(ev_matched + ev_partial + ev_missing)
    known = sorted(
        {m.id for m in gap.matched_skills}
        | {p.id for p in gap.partial_skills}
        | {m.id for m in gap.missing_skills}
        | {str(p.via.get("id")) for p in gap.partial_skills if p.via.get("id")}
    )
    citations = b.items
    key = stable_hash({"item": item.id, "c": [(c.id, c.source, c.text) for c in citations]}, 16)
    return Evidence(
        key=key,
        item=item,
        coverage=gap.coverage,
        fit=fit_for(gap.coverage),
        requirements_total=gap.requirements_total,
        matched=ev_matched,
        matched_total=len(gap.matched_skills),
        partial=ev_partial,
        missing=ev_missing,
        missing_total=len(gap.missing_skills),
        citations=citations,
        known_skill_ids=known,
        profile_owner=owner,
        profile_text=profile_text,
        occupation_title=occupation_title,
        turns=[(source, turn_text) for source, turn_text in turns],
    )


# Partial matches by likeness (a tool of the same category, a skill that co-occurs or shares a parent), not
# by hierarchy or level.
_LIKENESS = frozenset({"same_tool_category", "related", "sibling"})


def _guessed_twice(p) -> bool:
    """A partly covered skill guessed twice: like something the person never named, that only their
    occupation suggests ("Axure RP (through Facebook)", "Oracle Primavera (through Atlassian Confluence)" for
    a web developer asking about UX design). Counted in the coverage, not shown or explained: the person
    cannot recognise it, and it crowded out what they can."""
    return p.reason in _LIKENESS and not (p.via or {}).get("stated")


def mention_order(kind: str, inferred: bool, salience: float, importance: float, label: str, sid: str) -> tuple:
    """The order matched skills are named in, here (which ones the evidence keeps) and in the composer (the
    decisive ones): most characteristic of the item first (salience), then importance; software the person
    did not state, only listed among their occupation's tools, after everything else. O*NET's technology lists
    are examples of what some workers use, rated by no importance (they get 0.5 and more), so they would
    otherwise lead every inferred list ("a truck driver has likely used Microsoft Windows")."""
    return (kind == "technology" and inferred, -salience, -importance, label, sid)


def _salience(obj) -> float:
    """A gap row's salience (matched skills carry one), else its importance."""
    salience = getattr(obj, "salience", None)
    return float(obj.importance if salience is None else salience)


def _stated_evidence(obj) -> list:
    """The person's own evidence of a matched skill (typed or in their text), not their occupation's."""
    return [e for e in obj.profile_evidence if e.source != "occupation"]


def _provenance(obj, status: str, profile_text: str) -> tuple[Provenance | None, str]:
    """(provenance, the person's words) of a matched or partial skill (see the module docstring).

    A partial skill's provenance is its ``via`` skill's (the gap marks it ``stated``); a gap from before
    that mark says nothing, so it stays None rather than guessing."""
    if status == "matched":
        stated = _stated_evidence(obj)
        if not stated:
            return "inferred", ""
        spans = sorted((e for e in stated if e.source == "text" and e.span), key=lambda e: -e.confidence)
        if spans and profile_text:
            start, end = spans[0].span
            return "stated", profile_text[start:end]
        return "stated", stated[0].text
    if status == "partial" and isinstance(obj.via, dict) and "stated" in obj.via:
        return ("stated" if obj.via["stated"] else "inferred"), ""
    return None, ""


def _clip(text: str, limit: int) -> str:
    """Cut at the last sentence end before ``limit`` (a citation must read as whole sentences)."""
    if len(text) <= limit:
        return text
    cut = max(text.rfind(". ", 0, limit), text.rfind("; ", 0, limit))
    return text[: cut + 1] if cut > limit // 3 else text[:limit].rsplit(" ", 1)[0] + " ..."


def _as_rated(title: str, source: str) -> str:
    """The item's title, saying so where its ratings are its related occupations' (O*NET rates none)."""
    return f"{title} (rated like its closest occupations in O*NET)" if source.startswith("onet_related:") else title


def _by_source(skills) -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for s in skills:
        groups.setdefault(s.requirement.source, []).append(s)
    return list(groups.items())


def _catalogue_passages(item_id: str, settings: Settings) -> list[memory.Passage]:
    """Description and first task chunk straight from SQLite (memory not built, or an ESCO item)."""
    from retrieval.catalogue.db import connect

    conn = connect(settings.catalogue_path, readonly=True)
    try:
        docs = list(
            memory.posting_docs(conn, [item_id])
            if item_id.startswith("posting:")
            else memory.occupation_docs(conn, [item_id])
        )
    finally:
        conn.close()
    out = []
    prefix = "" if item_id.startswith("posting:") else memory._occ_prefix(item_id) + ":"
    for d in docs:
        section = d.payload.get("section", "")
        if section == "tasks" and d.payload.get("chunk", 0) > 0:
            continue
        out.append(memory.Passage(d.doc_id, f"{prefix}{item_id}:{section}", d.payload.get("text", "")))
    return out


def build_evidence(
    profile: Profile,
    item_id: str,
    settings: Settings | None = None,
    *,
    session_id: str | None = None,
    use_embeddings: bool | None = None,
    use_map: bool | None = None,
    use_memory: bool | None = None,
    turns: list[tuple[str, str]] | None = None,
) -> Evidence:
    """Skill gap + retrieval for (profile, item). Bad input raises :class:`ProfileError` with the reason.

    The ``use_*`` switches default to ``settings.gap_embeddings``, ``gap_esco_map`` and
    ``explain_use_memory``. ``turns`` replays the conversation turns an earlier build recalled
    (:attr:`Evidence.turns`, as logged) instead of recalling them from the session's memory now.
    """
    from retrieval.skills.base import SkillsInputError
    from retrieval.skills.gap import skill_gap

    settings = settings or get_settings()
    use_memory = settings.explain_use_memory if use_memory is None else use_memory
    item_id = (item_id or "").strip()
    if not item_id:
        raise ProfileError("missing item id")
    if len(item_id) > 200:
        raise ProfileError("item id too long")
    gp = gap_profile(profile, settings)
    if gp.is_empty():
        raise ProfileError("empty profile: give at least one of occupation, skills, text or a user_id with experience")
    try:
        gap = skill_gap(gp, item_id, settings, use_embeddings=use_embeddings, use_map=use_map)
    except SkillsInputError as exc:  # unknown ids, wrong kinds, empty values: the caller's input
        raise ProfileError(str(exc)) from None
    text = gp.text or ""
    owner = profile_owner(profile, session_id, text)
    return assemble(
        gap,
        profile_text=text,
        owner=owner,
        session_id=session_id,
        settings=settings,
        use_memory=use_memory,
        turns=turns,
    )
