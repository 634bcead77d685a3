"""The course catalogue as the relevance model sees it: one record per course, and its texts.

Why a module of its own: candidate retrieval (BM25, dense), the relevance model's training pairs and
its inference must all read a course through the *same* texts, or a model trained on one rendering
is scored on another. The catalogue's three providers differ (Coursera: title + skill tags, no
description; edX: title + description + subject; Udemy: title + one of four subjects), so each text
says only what the course's own row says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from retrieval.settings import Settings

#: Characters of description that go into a course's texts (a title and a few sentences decide).
DESCRIPTION_CHARS = 400
#: Coursera skill tags that go into the scored text; long tag lists are mostly generic ("Communication").
TEXT_TAGS = 8


@dataclass(frozen=True)
class CourseRecord:
    """One course row, with its Coursera tags split and its skill links from ``course_skill``."""

    id: str
    provider: str
    title: str
    description: str = ""
    level: str = ""
    subject: str = ""
    declared_language: str = ""
    partner: str = ""
    rating: float | None = None
    url: str = ""
    tags: tuple[str, ...] = ()
    skill_ids: tuple[str, ...] = field(default=())

    def passage(self, drop_tag: str | None = None) -> str:
        """What the relevance model reads: title, subject or certificate type, tags, description.

        ``drop_tag`` leaves one tag out: a training pair whose query is that tag must be learnt from the
        rest of the course, not by copying the tag (see :mod:`retrieval.courses.training`)."""
        tags = [t for t in self.tags if drop_tag is None or t.lower() != drop_tag.lower()][:TEXT_TAGS]
        parts = [self.title]
        if self.subject:
            parts.append(self.subject)
        if tags:
            parts.append("Skills: " + ", ".join(tags))
        if self.description:
            parts.append(self.description[:DESCRIPTION_CHARS])
        return " | ".join(parts)

    def model_passage(self) -> str:
        """What the relevance cross-encoder reads: the same fields for every provider -- title, subject
        (edX, Udemy; Coursera's column holds a certificate type) and description, never the Coursera tags.

        Why no tags: they are the training positives; a model that sees them learns "has a tag list"
        (i.e. "is a Coursera course") instead of what the course teaches."""
        parts = [self.title]
        if self.subject and self.provider != "coursera":
            parts.append(self.subject)
        if self.description:
            parts.append(self.description[:DESCRIPTION_CHARS])
        return " | ".join(parts)

    def search_text(self) -> str:
        """What BM25 and the dense index search: the title twice (titles decide), subject, tags, description."""
        return " ".join(
            x
            for x in (self.title, self.title, self.subject, " ".join(self.tags), self.description[:DESCRIPTION_CHARS])
            if x
        )


_TAG_SPLIT = re.compile(r"\s*;\s*")


def load_courses(settings: Settings) -> list[CourseRecord]:
    """Every course of the catalogue, ordered by id, with its ``course_skill`` links (catalogue tags)."""
    from retrieval.catalogue.db import connect

    conn = connect(settings.catalogue_path, readonly=True)
    try:
        links: dict[str, list[str]] = {}
        for cid, sid in conn.execute(
            "SELECT course_id, skill_id FROM course_skill WHERE source = 'catalogue' ORDER BY course_id, skill_id"
        ):
            links.setdefault(cid, []).append(sid)
        rows = conn.execute(
            "SELECT id, provider, title, description, level, skills, subject, language, partner, "
            "rating, url FROM course ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    out = []
    for cid, provider, title, desc, level, skills, subject, language, partner, rating, url in rows:
        tags = tuple(t for t in _TAG_SPLIT.split(skills or "") if t)
        out.append(
            CourseRecord(
                id=cid,
                provider=provider,
                title=title or cid,
                description=desc or "",
                level=level or "",
                subject=subject or "",
                declared_language=language or "",
                partner=partner or "",
                rating=rating,
                url=url or "",
                tags=tags,
                skill_ids=tuple(links.get(cid, ())),
            )
        )
    return out


def skill_query(label: str, description: str = "") -> str:
    """The query side of a (skill, course) pair: the label, and the first sentence of its definition when
    the label alone is ambiguous ("Science" is O*NET's "using scientific rules and methods").

    Reconstructed ESCO descriptions start with the alternative labels in lower case ("investigate
    economic trends investigate economic movements ... Analyse developments in ..."): the definition is
    the first sentence that starts with a capitalised word."""
    m = _DEFINITION.search(description or "")
    first = m.group(1).strip() if m else ""
    return f"{label}: {first[:200]}" if first else label


_DEFINITION = re.compile(r"(?:^|\s)([A-Z][a-z][^.;]*[.;]?)")
