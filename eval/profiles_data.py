"""The committed data of ``waypoint eval profiles``: personas, activity sentences, goal statements and the résumé
category → O*NET family table (``eval/data``, documented in ``eval/data/README.md``), validated on
load so a malformed row fails with its file and line."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

DATA_DIR = Path(__file__).resolve().parent / "data"
PERSONAS = DATA_DIR / "personas.jsonl"
GOALS = DATA_DIR / "goals.jsonl"
RESUME_FAMILIES = DATA_DIR / "resume_families.csv"
SKILL_LINES = DATA_DIR / "skill_lines.jsonl"
ACTIVITIES = DATA_DIR / "activities.jsonl"
SOC_PREFIX = r"^\d{2}-(\d{1,3}|\d{4}(\.\d{2})?)?$"  # "13-", "13-2", "11-3031", "15-1299.08"
T = TypeVar("T")


class Persona(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str
    text: str = Field(min_length=3)
    onet: str = Field(pattern=r"^\d{2}-\d{4}\.\d{2}$")


class Activity(BaseModel):
    """A person who says what they do, not what they are called ("I cut hair"), with the occupations an
    adviser would accept; ``onet`` empty: a first-person sentence that names no work ("I live in Ohio")."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str
    text: str = Field(min_length=3)
    onet: list[str] = Field(description="accepted O*NET-SOC codes, most likely first; [] = nothing may be linked")

    @field_validator("onet")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if not re.match(r"^\d{2}-\d{4}\.\d{2}$", c)]
        if bad:
            raise ValueError(f"not O*NET-SOC codes: {bad}")
        return value


class GoalStatement(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str
    text: str = Field(min_length=3)
    onet: str | None = Field(
        default=None,
        pattern=r"^\d{2}-\d{4}\.\d{2}$",
        description="the person's current occupation when the text names one",
    )
    goal_family: str = Field(min_length=2, description="the target as a person would type it in the goal field")
    soc_prefixes: list[str] = Field(min_length=1)

    @field_validator("soc_prefixes")
    @classmethod
    def _prefixes(cls, value: list[str]) -> list[str]:
        return _check_prefixes(value)


class ResumeFamily(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    category: str
    soc_prefixes: list[str] = Field(min_length=1)
    rationale: str = Field(min_length=10)

    @field_validator("soc_prefixes", mode="before")
    @classmethod
    def _split(cls, value):
        if isinstance(value, str):
            value = [p.strip() for p in value.split(";") if p.strip()]
        return _check_prefixes(value)


def _check_prefixes(prefixes: list[str]) -> list[str]:
    bad = [p for p in prefixes if not re.match(SOC_PREFIX, p)]
    if bad:
        raise ValueError(f"not O*NET-SOC code prefixes: {bad}")
    return prefixes


def _jsonl(path: Path, model: type[T]) -> list[T]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(model.model_validate_json(line))
            except ValueError as exc:
                raise ValueError(f"{path.name} line {number}: {exc}") from exc
    return rows


def load_personas(path: Path = PERSONAS) -> list[Persona]:
    return _jsonl(path, Persona)


def load_activities(path: Path = ACTIVITIES) -> list[Activity]:
    return _jsonl(path, Activity)


def load_goals(path: Path = GOALS) -> list[GoalStatement]:
    return _jsonl(path, GoalStatement)


def load_resume_families(path: Path = RESUME_FAMILIES) -> dict[str, ResumeFamily]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [ResumeFamily.model_validate(r) for r in csv.DictReader(handle)]
    return {r.category: r for r in rows}
