"""Course (and skill) recommendations that close a profile's skill gap.

With a target occupation (or job posting): the colleague's :func:`retrieval.skills.gap.skill_gap` gives
the missing skills (importance-weighted, catalogue labels). For the :data:`GAP_SKILLS` most important,
:mod:`retrieval.courses.relevance` finds the courses that teach each one (candidates from tags, graph
links, BM25 and dense retrieval; a cross-encoder's relevance above a threshold; the person's language;
near-duplicates collapsed; no introductory course for what the person already has). They are listed gap by
gap in the gap's priority order, round robin (each gap's best course, then each gap's second, ...), with
``score`` = the course's relevance to the gap it is listed for, and ``covers`` every gap it passes the
threshold for (``gap_closed``: their share of the gaps' importance). Ranking by that share put catch-all
courses first ("The Data Science Method", just above the threshold for two data skills, ahead of "Introduction
to Data Engineering" for a person's first gap). Every recommended course teaches at least one missing skill;
when none passes the threshold the list is empty rather than padded with a course that only shares a word
with the gap.

Without a target: the profile's top recommended occupation (the occupation recommender) is the
target. If that is impossible (e.g. a bare ``user_id``), courses are ranked by BM25 relevance of their
title/description/skill tags to the profile's text (in the person's language, near-duplicates collapsed).

Skill recommendations (``kind=skill``): the same gap's missing skills ranked by importance and by how
many further occupations they unlock.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from retrieval.courses.dedup import collapse
from retrieval.profile import Profile, ProfileError
from retrieval.settings import Settings, get_settings

if TYPE_CHECKING:
    from retrieval.rerankers.cross_encoder import OccupationTexts

log = logging.getLogger(__name__)

#: Missing skills (most important first) whose courses a recommendation looks for.
GAP_SKILLS = 5
#: Courses for a skill the person's goal names ("I want to learn French"), listed before the gap's.
GOAL_COURSES = 3


@dataclass
class CourseCovers:
    id: str
    label: str
    importance: float


@dataclass
class ScoredCourse:
    id: str
    title: str
    score: float
    provider: str = ""
    level: str = ""
    rating: float | None = None
    covers: list[CourseCovers] = field(default_factory=list)
    gap_closed: float = 0.0
    target: str | None = None
    target_title: str | None = None  # the occupation whose gap it closes, as the person reads it
    reason: str = "skill_gap"  # skill_gap | goal | text
    relevance: float = 0.0  # P(course teaches the gap skill it covers first), skill_gap only
    language: str = ""


@dataclass
class ScoredSkill:
    id: str
    title: str
    score: float
    importance: float = 0.0
    unlocks_occupations: int = 0
    target: str | None = None


def _gap_profile(profile: Profile, extra_text: str = ""):
    from retrieval.skills.gap import Profile as GapProfile

    text = " ; ".join(t for t in (profile.text or "", extra_text) if t) or None
    return GapProfile(occupation=profile.occupation, skills=list(profile.skills), text=text)


class CourseRecommender:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self._lock = threading.Lock()
        self._bm25 = None
        self._courses: dict[str, tuple[str, str, str, float | None]] = {}
        self._occ: OccupationTexts | None = None

    # -- targets ------------------------------------------------------------------------------
    def _applicant_text(self, profile: Profile) -> str:
        if not profile.user_id:
            return ""
        try:
            from retrieval.jobs.service import get_job_recommender

            return get_job_recommender(self.settings).log.profile_text.get(profile.user_id, "")
        except Exception:  # noqa: BLE001 - the job log is optional for courses
            return ""

    def default_target(self, profile: Profile) -> str | None:
        """The profile's top recommended occupation that is not its current one (None if none): with a goal
        ("move into finance"), the most reachable occupation inside it, so the courses close that gap."""
        try:
            from retrieval.understanding.recommend import recommend_occupations

            extra = self._applicant_text(profile)
            p = (
                profile
                if (profile.occupation or profile.skills or profile.text or profile.goal)
                else Profile(text=extra)
                if extra
                else None
            )
            if p is None:
                return None
            recs = [r.id for r in recommend_occupations([p], k=3, settings=self.settings)[0]]
        except ProfileError:
            return None
        except Exception as exc:  # noqa: BLE001 - the occupation ranker is optional here: fall back to BM25
            log.warning("occupation recommender unavailable (%s); BM25 target instead", exc)
            recs = self._bm25_targets(profile)
        current = (profile.occupation or "").strip()
        for r in recs:
            if r != current:
                return r
        return recs[0] if recs else None

    def _bm25_targets(self, profile: Profile) -> list[str]:
        from retrieval.rerankers.cross_encoder import OccupationTexts

        if self._occ is None:
            self._occ = OccupationTexts(self.settings)
        text = " ; ".join(
            x
            for x in (
                profile.occupation or "",
                ", ".join(profile.skills),
                profile.text or "",
                self._applicant_text(profile),
            )
            if x
        )
        if not text.strip():
            return []
        return [i for i, _ in self._occ.bm25.search(text[:3000], k=3)]

    def gap(self, profile: Profile, target: str):
        from retrieval.skills.base import SkillsInputError
        from retrieval.skills.gap import skill_gap

        gp = _gap_profile(profile, self._applicant_text(profile))
        if gp.is_empty():
            gp.text = None
        try:
            return (
                skill_gap(gp, target, self.settings, max_missing=40)
                if not gp.is_empty()
                else skill_gap(
                    _gap_profile(Profile(text="-")), target, self.settings, max_missing=40, use_embeddings=False
                )
            )
        except SkillsInputError as exc:
            raise ProfileError(str(exc)) from exc

    # -- courses ------------------------------------------------------------------------------
    def recommend(self, profile: Profile, k: int = 10, target: str | None = None) -> list[ScoredCourse]:
        if not 1 <= k <= 200:
            raise ProfileError("k must be between 1 and 200")
        asked_for = target
        target = target or self.default_target(profile)
        out: list[ScoredCourse] = self._from_gap(profile, target, k) if target else self._from_text(profile, k)
        if asked_for is None:
            first = self._for_goal(profile)
            taken = {c.id for c in first}
            out = collapse(first + [c for c in out if c.id not in taken], lambda c: c.title)
        exclude = set(profile.exclude)
        return [c for c in out if c.id not in exclude][:k]

    def _for_goal(self, profile: Profile) -> list[ScoredCourse]:
        """Courses for the skill a person's goal names ("I want to learn French"), before the gap's: the gap toward
        the work built on it is a broader element ("Foreign Language"), whose courses taught Spanish to a person who
        asked for French. Empty when the goal names work (a field, an occupation) or no course teaches the skill."""
        if not profile.goal:
            return []
        from retrieval.courses.language import person_language
        from retrieval.courses.relevance import SkillRef, get_relevance
        from retrieval.understanding.service import get_linker

        goal = get_linker(self.settings).resolve_goal(profile.goal)
        if goal is None or goal.kind != "skill" or not goal.skill_ids:
            return []
        rel = get_relevance(self.settings)
        skill_id = goal.skill_ids[0]
        label = rel.skill_text(skill_id)[0]
        language = person_language(profile.text, getattr(profile, "language", None))
        found = rel.courses_for_skill(SkillRef(id=skill_id, label=label), language=language, k=GOAL_COURSES)
        return [
            ScoredCourse(
                id=c.id,
                title=c.title,
                provider=c.provider,
                level=c.level,
                rating=c.rating,
                covers=[CourseCovers(id=skill_id, label=label, importance=1.0)],
                reason="goal",
                relevance=c.score,
                language=c.language,
                score=c.score,
            )
            for c in found.courses
        ]

    def _from_gap(self, profile: Profile, target: str, k: int) -> list[ScoredCourse]:
        """Courses for the gap's :data:`GAP_SKILLS` first missing skills, taken from the same relevance decision
        the explanation shows (:func:`retrieval.courses.relevance.gap_courses`): a course listed here for a gap
        is the course the explanation names for it, and a gap the explanation says no course teaches gets none
        here either (before, this list re-ran the selection under the plainer display label and other held
        skills, and could show "C# Programming for Unity" while the explanation said no course teaches C#)."""
        from retrieval.courses.index import get_index
        from retrieval.courses.language import person_language
        from retrieval.courses.relevance import gap_courses

        gap = self.gap(profile, target)
        missing = {m.id: m for m in gap.missing_skills[:GAP_SKILLS]}
        total = sum(m.importance for m in missing.values()) or 1.0
        language = person_language(profile.text, getattr(profile, "language", None))
        per_skill = gap_courses(self.settings, gap, language)
        index = get_index(self.settings)
        # gap by gap in priority order, round robin: each gap's best course, then each gap's second, ... -- the
        # first courses are the ones the explanation names for the person's first gaps. Ranking by the share of the
        # gap a course covers put catch-alls first: a math teacher toward data scientists read "The Data Science
        # Method" (just above the threshold for two data skills) where "Introduction to Data Engineering" is the
        # course for her first gap
        found: dict[str, ScoredCourse] = {}
        lists = [per_skill.get(m.id, []) for m in missing.values()]
        for rank in range(max((len(x) for x in lists), default=0)):
            for m, courses in zip(missing.values(), lists):
                if rank >= len(courses) or courses[rank].id in found:
                    continue
                c = courses[rank]
                covers = [
                    CourseCovers(id=s, label=missing[s].label, importance=round(missing[s].importance, 4))
                    for s in dict.fromkeys([m.id, *c.covers])
                    if s in missing
                ]
                covers.sort(key=lambda x: (-x.importance, x.label))  # Item.closes: most important first
                found[c.id] = ScoredCourse(
                    id=c.id,
                    title=c.title,
                    provider=c.provider,
                    level=c.level,
                    rating=c.rating,
                    covers=covers,
                    gap_closed=round(sum(x.importance for x in covers) / total, 4),
                    target=target,
                    target_title=gap.item.title,
                    relevance=c.link_confidence,
                    language=index.language(c.id) if c.id in index.position else language,
                    score=round(c.link_confidence, 6),
                )
        ranked = list(found.values())
        # each gap's list is free of near-duplicates, but two gaps can each bring a course of the same name
        # ("Introduction to Marketing" from two providers, listed twice toward Marketing Managers)
        return collapse(ranked, lambda c: c.title)[: max(k, 1)]

    def _index(self):
        if self._bm25 is None:
            from retrieval.bm25 import BM25Index
            from retrieval.catalogue.db import connect

            conn = connect(self.settings.catalogue_path, readonly=True)
            try:
                rows = conn.execute(
                    "SELECT id, title, description, skills, subject, provider, level, rating FROM course ORDER BY id"
                ).fetchall()
            finally:
                conn.close()
            if not rows:
                raise ProfileError("the catalogue has no courses; run `waypoint ingest`")
            self._courses = {r[0]: (r[1], r[5], r[6], r[7]) for r in rows}
            self._bm25 = BM25Index.build((r[0], f"{r[1]} {r[1]} {r[3]} {r[4]} {(r[2] or '')[:1500]}") for r in rows)
        return self._bm25

    def _from_text(self, profile: Profile, k: int) -> list[ScoredCourse]:
        text = " ; ".join(
            x
            for x in (
                profile.occupation or "",
                ", ".join(profile.skills),
                profile.text or "",
                self._applicant_text(profile),
            )
            if x
        )
        if not text.strip():
            raise ProfileError("a course recommendation needs a target, occupation, skills, text or a known user_id")
        from retrieval.courses.index import get_index
        from retrieval.courses.language import person_language

        with self._lock:
            index = self._index()
            hits = index.search(text[:5000], k=k * 5)
        courses = get_index(self.settings)
        language = person_language(profile.text, getattr(profile, "language", None))
        out = []
        for cid, s in hits:
            if cid in courses.position and courses.language(cid) != language:
                continue
            title, provider, level, rating = self._courses[cid]
            out.append(
                ScoredCourse(
                    id=cid,
                    title=title,
                    score=round(float(s), 6),
                    provider=provider,
                    level=level,
                    rating=rating,
                    reason="text",
                    language=language,
                )
            )
        return collapse(out, lambda c: c.title)[:k]

    # -- skills -------------------------------------------------------------------------------
    def recommend_skills(self, profile: Profile, k: int = 10, target: str | None = None) -> list[ScoredSkill]:
        if not 1 <= k <= 200:
            raise ProfileError("k must be between 1 and 200")
        target = target or self.default_target(profile)
        if not target:
            raise ProfileError("skill recommendations need an occupation, skills or text to find a target occupation")
        gap = self.gap(profile, target)
        exclude = set(profile.exclude)
        out = [
            ScoredSkill(
                id=m.id,
                title=m.label,
                importance=m.importance,
                unlocks_occupations=m.unlocks_occupations,
                score=round(m.importance * (1.0 + 0.1 * math.log1p(m.unlocks_occupations)), 6),
                target=target,
            )
            for m in gap.missing_skills
            if m.id not in exclude
        ]
        out.sort(key=lambda s: (-s.score, s.title, s.id))
        return out[:k]


_INSTANCES: dict[str, CourseRecommender] = {}
_LOCK = threading.Lock()


def get_course_recommender(settings: Settings | None = None) -> CourseRecommender:
    settings = settings or get_settings()
    key = str(settings.catalogue_path.resolve())
    with _LOCK:
        if key not in _INSTANCES:
            _INSTANCES[key] = CourseRecommender(settings)
        return _INSTANCES[key]


def recommend_courses(
    profiles: list[Profile], k: int = 10, target: str | None = None, settings: Settings | None = None
) -> list[list[ScoredCourse]]:
    """Courses for each profile: closing the gap to ``target`` (or to its top recommended occupation)."""
    rec = get_course_recommender(settings)
    return [rec.recommend(p, k, target) for p in profiles]


def recommend_skills(
    profiles: list[Profile], k: int = 10, target: str | None = None, settings: Settings | None = None
) -> list[list[ScoredSkill]]:
    """Missing skills worth learning for each profile (gap to ``target`` or its top recommended occupation)."""
    rec = get_course_recommender(settings)
    return [rec.recommend_skills(p, k, target) for p in profiles]
