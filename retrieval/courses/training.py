"""Training pairs for the course ↔ skill relevance model, from what the catalogue itself says.

Positives (the catalogue's own statements about what a course teaches):

* a Coursera course and one of its first :data:`POSITIVE_TAGS` skill tags (later tags of a long list
  are mostly generic: "IBM IT Project Manager" lists "Computer Programming" third of twenty, but
  "Software Engineering" and "Agile" first). The model reads no tags at all (:meth:`CourseRecord.model_passage`), so it learns the tag from the
  title and description, not by copying it, and not from "this row has a tag list";
* an edX course and its subject ("Chemistry", "Law"), the passage without the subject.

Hard negatives are the lexical look-alikes the issue complains about: courses BM25 ranks high for the
query that the catalogue does *not* tag with it (for a tag, a Coursera course without that tag; for a
subject, an edX course of another subject) -- "Science" in "Circular Fashion: Design, Science and
Value". One random course of the positive's own provider per query is added so that the model also
sees easy negatives, and cannot learn relevance from the provider.

The model: a cross-encoder from the packaged all-MiniLM-L6-v2 (:func:`retrieval.rerankers.cross_encoder.
fit_cross_encoder`), one epoch over a few thousand pairs: minutes on two cores.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

from retrieval.courses.catalogue import CourseRecord, skill_query

#: Leading Coursera tags taken as positives.
POSITIVE_TAGS = 3
#: edX subjects too broad to be a skill ("Humanities" covers philosophy and film).
BROAD_SUBJECTS = frozenset(
    {
        "humanities",
        "social sciences",
        "business & management",
        "communication",
        "computer science",
        "engineering",
        "science",
        "art & culture",
        "education & teacher training",
        "data analysis & statistics",
        "biology & life sciences",
        "energy & earth sciences",
        "environmental studies",
        "language",
        "medicine",
    }
)


@dataclass
class PairConfig:
    """How many pairs, and how they are drawn (deterministic for a seed)."""

    max_queries: int = 900  # positive (query, course) pairs sampled
    hard_negatives: int = 2  # BM25 look-alikes per positive
    random_negatives: int = 1
    bm25_depth: int = 40
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def training_pairs(
    records: list[CourseRecord],
    languages: dict[str, str],
    bm25,
    config: PairConfig | None = None,
    definitions: dict[str, str] | None = None,
) -> list[tuple[str, str, float]]:
    """(query, passage, target) triples: tag and subject positives, look-alike and random negatives.

    ``definitions`` (normalised tag → the definition of the catalogue skill it resolves to): half of the
    queries whose tag has one are written as serving writes them, "label: definition" (:func:`skill_query`),
    the other half as the bare label. Only English courses take part."""
    config = config or PairConfig()
    definitions = definitions or {}
    rng = random.Random(config.seed)
    english = [r for r in records if languages.get(r.id) == "en"]
    by_id = {r.id: r for r in english}
    tags_of = {r.id: {_norm(t) for t in r.tags} for r in english}
    positives: list[tuple[str, CourseRecord, str]] = []  # (query, course, kind)
    for r in english:
        if r.provider == "coursera":
            for tag in r.tags[:POSITIVE_TAGS]:
                positives.append((tag, r, "tag"))
        elif r.provider == "edx" and r.subject and r.subject.lower() not in BROAD_SUBJECTS:
            positives.append((r.subject, r, "subject"))
    rng.shuffle(positives)
    positives = positives[: config.max_queries]
    out: list[tuple[str, str, float]] = []
    # random negatives come from the positive's own provider, so that the provider (Coursera rows have
    # tags, edX rows descriptions) says nothing about relevance
    pools: dict[str, list[str]] = {}
    for r in english:
        pools.setdefault(r.provider, []).append(r.id)
    for n, (label, course, kind) in enumerate(positives):
        query = skill_query(label, definitions[_norm(label)]) if n % 2 and _norm(label) in definitions else label
        passage = course.model_passage() if kind == "tag" else _without_subject(course)
        out.append((query, passage, 1.0))
        negatives: list[str] = []
        for cid, _score in bm25.search(label, k=config.bm25_depth):
            other = by_id.get(cid)
            if other is None or cid == course.id:
                continue
            if _teaches(other, label, kind, tags_of):
                continue
            if other.provider != _SAYS[kind]:  # only a course whose provider states this kind can lack it
                continue
            negatives.append(cid)
            if len(negatives) >= config.hard_negatives:
                break
        for cid in negatives:
            out.append((query, by_id[cid].model_passage() if kind == "tag" else _without_subject(by_id[cid]), 0.0))
        same_provider = pools[course.provider]
        for cid in rng.sample(same_provider, min(config.random_negatives, len(same_provider))):
            other = by_id[cid]
            if cid != course.id and not _teaches(other, label, kind, tags_of):
                out.append((query, other.model_passage() if kind == "tag" else _without_subject(other), 0.0))
    rng.shuffle(out)
    return out


def tag_definitions(conn, tags: set[str]) -> dict[str, str]:
    """Normalised tag → the definition of the catalogue skill the alias vocabulary resolves it to."""
    from retrieval.catalogue.vocabulary import AliasIndex

    aliases = AliasIndex.from_db(conn)
    out = {}
    for tag in tags:
        for sid in aliases.lookup(tag)[:1]:
            row = conn.execute("SELECT description FROM skill WHERE id = ?", (sid,)).fetchone()
            if row and row[0]:
                out[_norm(tag)] = row[0]
    return out


#: Which provider's rows say what a course does *not* teach, per kind of positive: a Coursera course
#: without a tag (it lists a dozen), an edX course of another subject. Udemy and edX say nothing about
#: skills, so an edX course cannot be a negative for a tag ("Introduction to Cloud Computing" is not
#: tagged "Cloud Computing" only because edX has no tags).
_SAYS = {"tag": "coursera", "subject": "edx"}


def _teaches(course: CourseRecord, query: str, kind: str, tags_of: dict[str, set[str]]) -> bool:
    """Whether the catalogue says ``course`` teaches ``query`` (any of its tags, or its subject)."""
    q = _norm(query)
    return q in tags_of.get(course.id, set()) or _norm(course.subject) == q


def _without_subject(course: CourseRecord) -> str:
    parts = [course.title]
    if course.description:
        parts.append(course.description[:400])
    return " | ".join(parts)
