"""Which courses teach a skill: candidates, a relevance score, a threshold, and an honest "none".

Why: the old choice was lexical -- a course was linked to a skill because a word of the label occurred
in it ("Science" → "Circular Fashion: Design, Science and Value ...", Python/SQL/AWS → "The DIY
Musician" through a long tag list). Now, for one skill:

1. **candidates** (cheap, recall-oriented): courses the catalogue tags with the skill (``course_skill``),
   courses the skills graph links to it, BM25 over title/subject/tags/description, and dense (MiniLM)
   neighbours of the skill's label and of its label + definition -- in the person's language only;
2. **relevance**: the best of the two cosines (query with and without the definition) to the course's
   passage, +0.05 when the catalogue tags the course with the skill;
3. **threshold**: below :data:`DENSE_THRESHOLD` a course is never shown; a skill with no course above it
   gets ``courses=[]`` and :data:`NO_COURSE` ("no course in the catalogue teaches this yet");
4. **fit to the person**: near-duplicates collapsed (:mod:`retrieval.courses.dedup`), introductory
   courses dropped for a skill the person already has in part or whose tool the title names
   (a Python developer is not sent to "Python for Beginners"), and no degree programme (:func:`is_degree`).

Why not a learned cross-encoder: one fine-tuned from the packaged MiniLM on the pairs the catalogue gives
(Coursera tags and edX subjects as positives, lexical look-alikes as negatives;
``training/course_relevance.py``) was measured on the judgements and ranks worse than the dense stage
(precision@1 0.28 against 0.69 before any threshold, eval/reports/courses.md): the catalogue's tags say
what a Coursera row is *listed* under, and a course missing a tag is often still about it. A model
passed in (``CourseRelevance(..., model=...)``) rescores the candidates instead, which is how the
evaluation compares them.

Tried again for the gaps of the new gap order (issue 23, round-1 judgements for development, round 2 held
out), none measured better than this dense stage on round 1, so none is served: a cross-encoder whose
queries are written as served ("label: definition"), whose passages keep the course's other tags, with
BM25 *and* dense look-alikes as hard negatives (2,628 pairs): top-1 relevant 0.22 against 0.69; MiniLM
fine-tuned as a bi-encoder on the same pairs (MultipleNegativesRankingLoss, 1,600 triplets): 0.56, and
blended with the dense stage no better on round 1; more query views (the plain label, the target
occupation as context), a hubness penalty (the course's rank among all catalogue skills, CSLS-style), a
bonus for a course tag close to the skill, reciprocal-rank fusion with BM25: all within ±1-2 of 81
skills. `waypoint eval courses` lists, per gap of the 20 pairs, where the best judged-relevant course
sits in the candidate pool: candidate generation never misses it; it is ranked below a look-alike
("The Data Science Method" for "statistical modeling techniques") or ranked first below the threshold.

Tried in session 24 on every judged skill and the 60 top-3 gaps of the 20 pairs (the same candidate pools), none
better, so none served: all-mpnet-base-v2 (a larger sentence encoder the package index holds, as a 400 MB split
archive) as the dense stage: first candidate relevant for 20 of the 60 gaps against MiniLM's 32, round-1 precision@1
0.76 at coverage 0.20 against 0.87 at 0.51; their mean, 30 of 60; a logistic regression and a LightGBM classifier over
cheap features (both cosines, title-only cosines, the tag link, BM25, the margin to the pool's best, provider and
description length) trained on the judgements with 2-fold cross-validation by skill: 27 and 23 of 60, precision@1
0.69 and 0.50 on all rounds. Part of that is pool bias (the judgements were pooled by MiniLM and BM25, and a course
no round judged counts as not relevant), which is also why a better scorer cannot be shown on this set without
judging what it proposes.

Scores of (skill, language) are cached per process: gaps repeat (every nurse → nurse practitioner
explanation asks for "Science").
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from retrieval.courses.catalogue import skill_query
from retrieval.courses.dedup import near_duplicates
from retrieval.courses.language import for_learners_of
from retrieval.settings import Settings

if TYPE_CHECKING:
    from retrieval.skills.graph import SkillsGraph

log = logging.getLogger(__name__)

#: Shown to the person when no course passes the threshold.
NO_COURSE = "no course in the catalogue teaches this yet"
#: Relevance below which a course is never shown: the dense stage's score (cosine of the skill query and
#: the course passage, +0.05 for a catalogue tag). 0.55 is what `waypoint eval courses` picks on either
#: half of the judgements for precision@1 >= 0.85 and measures on the other half (eval/reports/courses.md).
DENSE_THRESHOLD = 0.55
#: The same for a cross-encoder's probability (training/course_relevance.py), when one is passed in.
THRESHOLD = 0.5
#: Candidates per retriever, and how many go to the cross-encoder.
CANDIDATES_PER_SOURCE = 25
RERANK_TOP = 10
#: A course for a broad O*NET knowledge area must also be this near the area *for the target's work*
#: ("Computers and Electronics for Health Informatics Specialists"): the area alone passed "Introduction to
#: Electronics" (0.61; 0.43 in that context) for a nurse leaving the ER toward health informatics, and "Play It
#: Safe: Manage Security Risks" (0.56; 0.44) for Public Safety and Security toward physicians. It only removes.
CONTEXT_MIN = 0.45
#: Cached (skill, language) results per process.
CACHE_SIZE = 4096
_INTRO_LEVELS = frozenset({"beginner", "beginner level", "introductory"})
_DEGREE = re.compile(
    r"\b(?:master|bachelor|doctor)(?:'s)?\s+(?:of|in)\s+(?:science|arts|business|engineering|public|computer|"
    r"information|applied|data|education|fine|social|laws?|technology|management|accounting|analytics)\b"
    r"|^(?:i?MBA|MSc|BSc)\b|\bdegree\b",
    re.I,
)
_INTRO_TITLE = re.compile(
    r"\b(beginners?|introduct\w*|intro|101|basics|from scratch|getting started|for dummies)\b", re.I
)


@dataclass
class CourseMatch:
    """One course for one or more gaps: ``score`` is the relevance to the best skill it covers."""

    id: str
    title: str
    provider: str
    level: str = ""
    language: str = "en"
    rating: float | None = None
    url: str = ""
    score: float = 0.0
    covers: list[str] = field(default_factory=list)


@dataclass
class SkillCourses:
    """The courses for one skill (best first), or none with :data:`NO_COURSE` as the reason."""

    skill_id: str
    label: str
    courses: list[CourseMatch] = field(default_factory=list)
    none_reason: str | None = None


@dataclass(frozen=True)
class SkillRef:
    """A gap skill as the caller knows it; ``partial``: the person holds it in part (level or a related skill)."""

    id: str
    label: str
    partial: bool = False
    #: the work the gap is toward ("Health Informatics Specialists"), for a broad knowledge area (see
    #: :data:`CONTEXT_MIN`); empty for every other gap
    context: str = ""
    #: (kept, left out): an area joining two bodies of knowledge, of which the work uses the first -- a course must be
    #: nearer it than the second (:func:`retrieval.skills.gap.course_facets`); None for every other gap
    facets: tuple[str, str] | None = None


def model_dir(settings: Settings) -> Path:
    return settings.models_dir / "course-relevance"


class CourseRelevance:
    """Relevance of catalogue courses to skills, for one home (thread-safe; one per process)."""

    def __init__(self, settings: Settings, index, model=None, threshold: float | None = None):
        self.settings = settings
        self.index = index
        self.model = model
        self.threshold = threshold if threshold is not None else (THRESHOLD if model is not None else DENSE_THRESHOLD)
        self._embedder = None
        self._skills: dict[str, tuple[str, str]] = {}
        self._links: dict[str, list[str]] | None = None
        self._graph: SkillsGraph | None = None
        self._cache: OrderedDict[tuple[str, str, str], list[tuple[str, float]]] = OrderedDict()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    # -- inputs --------------------------------------------------------------------------------
    @property
    def embedder(self):
        if self._embedder is None:
            from retrieval.embeddings import Embedder

            self._embedder = Embedder.from_settings(self.settings)
        return self._embedder

    def skill_text(self, skill_id: str, label: str | None = None) -> tuple[str, str]:
        """(label, definition) of a catalogue skill (the given label when the id is unknown)."""
        if skill_id not in self._skills:
            from retrieval.catalogue.db import connect

            conn = connect(self.settings.catalogue_path, readonly=True)
            try:
                row = conn.execute("SELECT label, description FROM skill WHERE id = ?", (skill_id,)).fetchone()
            finally:
                conn.close()
            self._skills[skill_id] = (row[0], row[1] or "") if row else (label or skill_id, "")
        found_label, description = self._skills[skill_id]
        return (label or found_label), description

    def _linked(self, skill_id: str) -> list[str]:
        """Courses the catalogue tags with the skill or the skills graph links to it."""
        if self._links is None:
            links: dict[str, list[str]] = {}
            for r in self.index.records:
                for sid in r.skill_ids:
                    links.setdefault(sid, []).append(r.id)
            try:
                from retrieval.skills.graph import get_graph

                self._graph = get_graph(self.settings)
            except Exception as exc:  # noqa: BLE001 - the graph only adds candidates
                log.info("skills graph unavailable for course candidates (%s)", exc)
                self._graph = None
            self._links = links
        out = list(self._links.get(skill_id, []))
        graph = self._graph
        if graph is not None and skill_id in graph.graph:
            out += [cid for cid, _ in graph.courses_for(skill_id)]
        return list(dict.fromkeys(c for c in out if c in self.index.position))

    # -- scoring -------------------------------------------------------------------------------
    def candidates(
        self,
        skill_id: str,
        label: str,
        description: str,
        language: str,
        vectors: np.ndarray | None = None,
        top: int | None = RERANK_TOP,
    ) -> tuple[list[str], np.ndarray]:
        """Candidate course ids in ``language`` and their first-stage scores (best first, ``top`` of them;
        None = the whole pool, which `waypoint eval courses` reads to tell a candidate-generation miss from a
        scoring one).

        ``vectors``: the embeddings of (skill query, label) when the caller embedded many skills at once."""
        idx = self.index
        qv = vectors if vectors is not None else self.embedder.encode([skill_query(label, description), label])
        lang_ok = np.array([lang == language for lang in idx.languages], dtype=bool)
        cos = idx.vectors @ qv[0]
        cos_label = idx.vectors @ qv[1]
        pool: set[int] = set()
        for order in (
            np.argsort(-np.where(lang_ok, cos, -2.0))[:CANDIDATES_PER_SOURCE],
            np.argsort(-np.where(lang_ok, cos_label, -2.0))[:CANDIDATES_PER_SOURCE],
        ):
            pool.update(int(i) for i in order if lang_ok[i])
        if idx.bm25 is not None:
            taken = 0
            for cid, _s in idx.bm25.search(label, k=CANDIDATES_PER_SOURCE * 3):
                i = idx.position[cid]
                if lang_ok[i]:
                    pool.add(i)
                    taken += 1
                    if taken >= CANDIDATES_PER_SOURCE:
                        break
        linked = {idx.position[c] for c in self._linked(skill_id)}
        pool.update(i for i in linked if lang_ok[i])
        if not pool:
            return [], np.zeros(0, dtype=np.float32)
        ids = np.array(sorted(pool))
        first = np.maximum(cos[ids], cos_label[ids]) + 0.05 * np.isin(ids, list(linked))
        order = np.argsort(-first, kind="stable")[:top]
        return [idx.records[i].id for i in ids[order]], first[order].astype(np.float32)

    def score_skill(self, skill_id: str, label: str | None = None, language: str = "en") -> list[tuple[str, float]]:
        """(course id, relevance) for every candidate of the skill in ``language``, best first (cached)."""
        return self.score_skills([SkillRef(skill_id, label or "")], language)[skill_id]

    def score_skills(self, skills: Sequence[SkillRef], language: str = "en") -> dict[str, list[tuple[str, float]]]:
        """:meth:`score_skill` for many skills at once: one embedding call and one cross-encoder call for
        all the skills not cached yet (a gap's skills are scored together, not one model call each)."""
        out: dict[str, list[tuple[str, float]]] = {}
        todo: list[tuple[tuple[str, str, str], str, str]] = []
        for ref in skills:
            label, description = self.skill_text(ref.id, ref.label or None)
            key = (ref.id, label, language)
            with self._lock:
                hit = self._cache.get(key)
                if hit is not None:
                    self._cache.move_to_end(key)
                    out[ref.id] = hit
                    continue
            if all(k != key for k, _l, _d in todo):
                todo.append((key, label, description))
        if not todo:
            return out
        queries = [skill_query(label, description) for _k, label, description in todo]
        vectors = self.embedder.encode([t for q, (_k, label, _d) in zip(queries, todo) for t in (q, label)])
        found = [
            self.candidates(key[0], label, description, language, vectors[2 * n : 2 * n + 2])
            for n, (key, label, description) in enumerate(todo)
        ]
        if self.model is not None:
            pairs = [(q, self.index.record(c).model_passage()) for q, (ids, _f) in zip(queries, found) for c in ids]
            probs = iter(float(p) for p in self.model.score(pairs)) if pairs else iter(())
            scores = [[next(probs) for _c in ids] for ids, _f in found]
        else:
            scores = [[float(x) for x in first] for _ids, first in found]
        for (key, _label, _d), (ids, _f), sc in zip(todo, found, scores):
            ranked = sorted(zip(ids, sc), key=lambda x: (-x[1], x[0]))
            with self._lock:
                self._cache[key] = ranked
                if len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
            out[key[0]] = ranked
        return out

    # -- what a person sees --------------------------------------------------------------------
    def courses_for_skill(
        self, skill: SkillRef | str, *, language: str = "en", k: int = 3, held_labels: Iterable[str] = ()
    ) -> SkillCourses:
        """Up to ``k`` courses above the threshold for one skill, fit to the person (see the module docstring)."""
        ref = skill if isinstance(skill, SkillRef) else SkillRef(id=skill, label=self.skill_text(skill)[0])
        held = [h.lower() for h in held_labels if h and len(h) >= 2]
        out: list[CourseMatch] = []
        ranked = self.score_skill(ref.id, ref.label, language)
        in_context = self._in_context(ref, [cid for cid, score in ranked if score >= self.threshold])
        for cid, score in ranked:
            if score < self.threshold:
                break
            r = self.index.record(cid)
            if (
                cid not in in_context
                or too_basic(r.level, r.title, held, ref.partial)
                or for_learners_of(language, r.title)
                or is_degree(r.title)
            ):
                continue
            if any(near_duplicates(r.title, c.title) for c in out):
                continue
            out.append(
                CourseMatch(
                    id=cid,
                    title=r.title,
                    provider=r.provider,
                    level=r.level,
                    language=self.index.language(cid),
                    rating=r.rating,
                    url=r.url,
                    score=round(score, 4),
                    covers=[ref.id],
                )
            )
            if len(out) >= k:
                break
        return SkillCourses(skill_id=ref.id, label=ref.label, courses=out, none_reason=None if out else NO_COURSE)

    def _in_context(self, ref: SkillRef, ids: list[str]) -> set[str]:
        """Of ``ids`` (courses above the threshold for ``ref``), those near enough the skill for the work it is
        needed in (:data:`CONTEXT_MIN`) and nearer the facet of the area the work uses than the other one
        (``ref.facets``); all of them when ``ref`` has neither."""
        if not ids or not (ref.context or ref.facets):
            return set(ids)
        rows = self.index.vectors[[self.index.position[c] for c in ids]]
        keep = np.ones(len(ids), dtype=bool)
        if ref.context:
            label, description = self.skill_text(ref.id, ref.label or None)
            keep &= rows @ self._query(skill_query(f"{label} for {ref.context}", description)) >= CONTEXT_MIN
        if ref.facets:
            kept, left_out = ref.facets
            keep &= rows @ self._query(kept) > rows @ self._query(left_out)
        return {c for c, k in zip(ids, keep) if k}

    def _query(self, text: str) -> np.ndarray:
        """The embedding of a context or facet query, cached per process: gaps repeat (every nurse toward health
        informatics asks for Computers and Electronics in the same context), and each was one model call."""
        with self._lock:
            hit = self._queries.get(text)
        if hit is None:
            hit = self.embedder.encode([text])[0]
            with self._lock:
                self._queries[text] = hit
                if len(self._queries) > CACHE_SIZE:
                    self._queries.popitem(last=False)
        return hit

    def courses_for_gaps(
        self, skills: Sequence[SkillRef], *, language: str = "en", k: int = 3, held_labels: Iterable[str] = ()
    ) -> list[SkillCourses]:
        """Courses per gap skill; a course that passes the threshold for several gaps lists them all in
        ``covers`` (the first gap it closes keeps it first)."""
        held = list(held_labels)
        self.score_skills(skills, language)  # one batched model call; the per-skill calls below hit the cache
        per_skill = [self.courses_for_skill(s, language=language, k=k, held_labels=held) for s in skills]
        passed: dict[str, list[str]] = {}
        for s in skills:
            for cid, score in self.score_skill(s.id, s.label, language):
                if score < self.threshold:
                    break
                passed.setdefault(cid, []).append(s.id)
        for sc in per_skill:
            for c in sc.courses:
                c.covers = list(dict.fromkeys([sc.skill_id, *passed.get(c.id, [])]))
        return per_skill


def course_refs(
    settings: Settings, skills: Sequence[SkillRef], *, language: str = "en", held_labels: Iterable[str] = (), k: int = 3
) -> dict[str, list]:
    """What :func:`retrieval.skills.gap.skill_gap` puts in ``MissingSkill.courses``: for each gap skill, the
    relevant courses as :class:`retrieval.skills.evidence.CourseRef` (``link_confidence`` = relevance;
    ``link`` = "catalogue" when the catalogue tags the course with the skill, else "extracted"), in place
    of the graph's lexical links. A skill with no course above the threshold maps to ``[]``."""
    from retrieval.skills.evidence import CourseRef

    rel = get_relevance(settings)
    out: dict[str, list] = {}
    for sc in rel.courses_for_gaps(skills, language=language, k=k, held_labels=held_labels):
        out[sc.skill_id] = [
            CourseRef(
                id=c.id,
                title=c.title,
                provider=c.provider,
                level=c.level,
                rating=c.rating,
                link="catalogue" if sc.skill_id in rel.index.record(c.id).skill_ids else "extracted",
                link_confidence=c.score,
                covers=c.covers,
            )
            for c in sc.courses
        ]
    return out


def gap_courses(settings: Settings, gap, language: str = "en") -> dict[str, list]:
    """The courses of a skill gap's missing skills (``{skill id: [CourseRef]}``): ONE relevance decision for
    every surface that shows a gap's courses -- the explanation and the course recommendation.

    Why: :func:`retrieval.skills.gap.skill_gap` already chose them (:func:`course_refs` on the catalogue
    labels, held = the matched skills' labels, English) and keeps them in ``MissingSkill.courses``, which the
    explanation shows. The course recommendation re-ran the selection under the plainer display label and
    other held skills, so the chat's "Courses:" line could name a course for a gap the explanation said no
    course teaches. For an English reader the gap's own choice is returned as is; for another language the
    same call is made in that language (skill_gap does not know the reader's language)."""
    if language == "en":
        return {m.id: list(m.courses) for m in gap.missing_skills}
    from retrieval.skills.gap import COURSE_GAPS, course_ref
    from retrieval.skills.graph import get_graph
    from retrieval.skills.priority import takes_no_course

    graph = get_graph(settings)
    refs = [
        course_ref(m.requirement, gap.item, graph, label=m.catalogue_label or m.requirement.label, partial=m.deeper)
        for m in gap.missing_skills[:COURSE_GAPS]
        if not takes_no_course(m.requirement, m.rank)  # in no language
    ]
    return course_refs(settings, refs, language=language, held_labels=[m.label for m in gap.matched_skills])


def is_degree(title: str) -> bool:
    """A degree programme the catalogue lists among its courses ("Master of Science in Electrical Engineering",
    "Bachelor of Science in Computer Science", "MBA Business Analytics"): years of study, not a course that closes
    a gap -- a security guard toward information security was offered the electrical engineering master's for
    Computers and Electronics. 46 of the catalogue's 5,766 rows."""
    return bool(_DEGREE.search(title or ""))


def too_basic(level: str, title: str, held_labels: Sequence[str], partial: bool) -> bool:
    """An introductory course (by its level, or a title that says "for beginners", "introduction", "101",
    "basics", "from scratch") for a skill the person has in part, or whose title names a skill they hold."""
    if (level or "").strip().lower() not in _INTRO_LEVELS and not _INTRO_TITLE.search(title or ""):
        return False
    if partial:
        return True
    words = set(re.findall(r"[\w+#.]+", title.lower()))
    return any(h in words or (" " in h and h in title.lower()) for h in held_labels)


# ------------------------------------------------------------------------------------------------ loading
_INSTANCES: dict[str, CourseRelevance] = {}
_LOCK = threading.Lock()


def load_model(path: Path):
    """A course-relevance cross-encoder trained by ``training/course_relevance.py`` (None when absent).

    Serving does not use one: measured on the judgements it ranks worse than the dense stage (see
    eval/reports/courses.md); `waypoint eval courses` scores it when one exists at :func:`model_dir`."""
    from retrieval.rerankers.cross_encoder import CrossEncoderReranker

    if not (Path(path) / "waypoint_reranker.json").is_file():
        return None
    return CrossEncoderReranker.load(path)


def get_relevance(settings: Settings) -> CourseRelevance:
    """One :class:`CourseRelevance` per home and process (the index loaded once): dense-stage scores and
    :data:`DENSE_THRESHOLD`, the measured-better scorer."""
    from retrieval.courses.index import get_index

    key = str(Path(settings.home).resolve())
    with _LOCK:
        if key not in _INSTANCES:
            _INSTANCES[key] = CourseRelevance(settings, get_index(settings))
        return _INSTANCES[key]


def reset_cache() -> None:
    with _LOCK:
        _INSTANCES.clear()


def build(settings: Settings, show_progress: bool = False) -> list[Path]:
    """``waypoint build``'s course step: the course index (languages and vectors)."""
    from retrieval.courses.index import build_index

    files = [build_index(settings, show_progress=show_progress)]
    reset_cache()
    return files
