"""One entry point for every kind of recommendation, shared by the CLI, REST API and UI."""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import Enum

from pydantic import BaseModel, Field, ValidationError

from retrieval.profile import Profile, ProfileError


class Kind(str, Enum):
    occupation = "occupation"
    job = "job"
    course = "course"
    skill = "skill"


class Item(BaseModel):
    id: str
    kind: Kind
    title: str
    score: float
    closes: list[str] = Field(
        default_factory=list, description="A course: the gaps (skill labels) it closes, most important first."
    )
    toward: str | None = Field(default=None, description="A course: the occupation whose gap it closes.")
    kind_of_work: bool | None = Field(
        default=None,
        description=(
            "A job posting for a person with no viewing history: whether it is their kind of work (their "
            "occupation's or their goal's); null when Waypoint did not understand them clearly enough to say."
        ),
    )
    city: str | None = Field(default=None, description="A job posting: its city, as the posting gives it.")
    state: str | None = Field(default=None, description="A job posting: its US state code.")


class Result(BaseModel):
    id: str | None
    items: list[Item]


def parse_profiles(lines: Iterable[str]) -> list[Profile]:
    """Validate every line before any work, so a bad batch fails whole with all its errors named."""
    profiles, errors = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("each line must be a JSON object")
            profiles.append(Profile.model_validate(data))
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: malformed JSON ({exc.msg} at column {exc.colno})")
        except ValidationError as exc:
            details = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'profile'}: {e['msg']}" for e in exc.errors())
            errors.append(f"line {number}: {details}")
        except ValueError as exc:
            errors.append(f"line {number}: {exc}")
    if errors:
        raise ProfileError("\n".join(errors))
    if not profiles:
        raise ProfileError("no profiles in input")
    return profiles


def _posting_title(job) -> str:
    """ "Financial Analyst — Acme Corp, Dallas": the cleaned title with the employer and city."""
    where = ", ".join(x for x in (job.company, job.city) if x and x.strip())
    return f"{job.title} — {where}" if where else job.title


def norm_state(state: str) -> str:
    from retrieval.jobs.location import norm_state as norm

    return norm(state)


def recommend(profiles: list[Profile], kind: Kind = Kind.occupation, k: int = 20) -> list[Result]:
    if not 1 <= k <= 200:
        raise ProfileError("k must be between 1 and 200")
    if kind == Kind.occupation:
        from retrieval.understanding.recommend import recommend_occupations

        recs = recommend_occupations(profiles, k=k)
        return [
            Result(id=p.id, items=[Item(id=r.id, kind=kind, title=r.title, score=r.score) for r in items])
            for p, items in zip(profiles, recs)
        ]
    if kind == Kind.job:
        from retrieval.jobs.service import recommend_jobs

        jobs = recommend_jobs(profiles, k=k)
        # "Financial Analyst" five times reads as a duplicate: the employer and place tell the postings apart
        return [
            Result(
                id=p.id,
                items=[
                    Item(
                        id=j.id,
                        kind=kind,
                        title=_posting_title(j),
                        score=j.score,
                        kind_of_work=j.kind_of_work,
                        city=j.city or None,
                        state=norm_state(j.state) or None,
                    )
                    for j in items
                ],
            )
            for p, items in zip(profiles, jobs)
        ]
    if kind == Kind.course:
        from retrieval.courses.service import recommend_courses

        courses = recommend_courses(profiles, k=k)
        return [
            Result(
                id=p.id,
                items=[
                    Item(
                        id=c.id,
                        kind=kind,
                        title=c.title,
                        score=c.score,
                        closes=[x.label for x in c.covers],
                        toward=c.target_title,
                    )
                    for c in items
                ],
            )
            for p, items in zip(profiles, courses)
        ]
    if kind == Kind.skill:
        from retrieval.courses.service import recommend_skills

        skills = recommend_skills(profiles, k=k)
        return [
            Result(id=p.id, items=[Item(id=s.id, kind=kind, title=s.title, score=s.score) for s in items])
            for p, items in zip(profiles, skills)
        ]
    raise ProfileError(f"recommendations of kind {kind.value!r} are not available in this build")
