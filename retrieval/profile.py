"""The person a recommendation is for, validated at every boundary (CLI, REST, UI)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_TEXT_CHARS = 50_000


class ProfileError(ValueError):
    """Bad profile input: answered with HTTP 4xx or CLI exit code 2 and this message."""


class Profile(BaseModel):
    """What we know about a person. At least one of occupation, skills, text or user_id is required."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str | None = Field(default=None, description="Caller's id for this profile, echoed in results.")
    occupation: str | None = Field(default=None, description="O*NET-SOC code or a free job title.")
    skills: list[str] = Field(default_factory=list, description="Skill labels or ids.")
    text: str | None = Field(default=None, description="Résumé or self-description.")
    user_id: str | None = Field(default=None, description="Applicant id in the job-view log.")
    goal: str | None = Field(
        default=None,
        max_length=500,
        description="Where the person wants to go: a field ('finance', 'healthcare'), an occupation "
        "('lawyer', '23-1011.00') or a skill. Turns the occupation list into a transition "
        "list inside that target. A goal stated in `text` ('I want to move into finance') "
        "is found without this field; this field wins over it.",
    )
    exclude: list[str] = Field(default_factory=list, description="Item ids never to recommend.")
    avoid_physical: bool | None = Field(
        default=None,
        description="Leave physically demanding occupations and postings out of the lists (a bad back, worn "
        "knees). Unset: taken from `text` when it says so ('my back is done'); true or false: this field wins.",
    )

    avoid_schooling: bool | None = Field(
        default=None,
        description="Leave out occupations that need more preparation (O*NET job zone) than the person's own: no "
        "going back to school. Unset: taken from `text` when it says so ('without going back to school', 'no "
        "degree'); true or false: this field wins.",
    )

    remote: bool | None = Field(
        default=None,
        description="Keep to work that can often be done from home, and put postings that say they are remote "
        "first. Unset: taken from `text` when it says so ('want something remote', 'work from home'); true or "
        "false: this field wins.",
    )

    leave_own_work: bool | None = Field(
        default=None,
        description="Leave the person's own kind of work out of the lists (they want out of it). Unset: taken from "
        "`text` when it says so ('I'm a teacher and I hate it', 'burned out', 'sick of retail'); true or false: this "
        "field wins.",
    )

    better_pay: bool | None = Field(
        default=None,
        description="The person wants better pay: their own occupation leaves the occupation list and work that needs "
        "less preparation (O*NET job zone) than theirs moves down it (the catalogue has no wage figures). Unset: taken "
        "from `text` when it says so ('I want to make more money', 'something that pays better'); true or false: this "
        "field wins.",
    )

    outdoors: bool | None = Field(
        default=None,
        description="Keep to work done outdoors (a score from the task statements). Unset: taken from `text` when it "
        "says so ('I want to work outdoors', 'a job outside'); true or false: this field wins.",
    )

    away_from_desk: bool | None = Field(
        default=None,
        description="Keep to work done in person, away from a desk and a screen (not work that can often be done from "
        "home, or work done outdoors or on one's feet). Unset: taken from `text` when it says so ('I can't sit at a "
        "desk all day', 'less screen time', 'not stuck behind a desk'); true or false: this field wins.",
    )

    part_time: bool | None = Field(
        default=None,
        description="Put postings that say they are part time or have flexible hours first. Unset: taken from `text` "
        "when it asks for them ('a part-time job', 'something that fits around my kids' school hours'); true or false: "
        "this field wins.",
    )

    def physical_limit(self, stated: bool) -> bool:
        """Whether the lists leave physically demanding work out: this profile's ``avoid_physical`` when set,
        else what its text states (``stated``, from the understanding)."""
        return stated if self.avoid_physical is None else self.avoid_physical

    def schooling_limit(self, stated: bool) -> bool:
        """Whether the lists stay within the preparation the person has: ``avoid_schooling`` when set, else
        what the text states."""
        return stated if self.avoid_schooling is None else self.avoid_schooling

    def leaving(self, stated: bool) -> bool:
        """Whether the lists leave the person's own kind of work out: ``leave_own_work`` when set, else what the
        text states."""
        return stated if self.leave_own_work is None else self.leave_own_work

    def remote_work(self, stated: bool) -> bool:
        """Whether the lists keep to work that can be done from home: ``remote`` when set, else what the text
        states."""
        return stated if self.remote is None else self.remote

    def wants_part_time(self, stated: bool) -> bool:
        """Whether part-time and flexible postings come first: ``part_time`` when set, else what the text asks."""
        return stated if self.part_time is None else self.part_time

    def wants_outdoors(self, stated: bool) -> bool:
        """Whether the lists keep to work done outdoors: ``outdoors`` when set, else what the text states."""
        return stated if self.outdoors is None else self.outdoors

    def wants_away_from_desk(self, stated: bool) -> bool:
        """Whether the lists keep to work done away from a desk: ``away_from_desk`` when set, else what the text
        states."""
        return stated if self.away_from_desk is None else self.away_from_desk

    def wants_better_pay(self, stated: bool) -> bool:
        """Whether the lists look for better-paid work than the person's: ``better_pay`` when set, else what the
        text states."""
        return stated if self.better_pay is None else self.better_pay

    @field_validator("goal")
    @classmethod
    def _goal(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("id", "user_id", mode="before")
    @classmethod
    def _stringify(cls, value):
        return None if value is None else str(value)

    @field_validator("text")
    @classmethod
    def _text_size(cls, value: str | None) -> str | None:
        if value is not None and len(value) > MAX_TEXT_CHARS:
            raise ValueError(f"text is {len(value):,} characters; the limit is {MAX_TEXT_CHARS:,}")
        return value or None

    @field_validator("skills")
    @classmethod
    def _skills(cls, value: list[str]) -> list[str]:
        if len(value) > 500:
            raise ValueError("at most 500 skills")
        return [s.strip() for s in value if s and s.strip()]

    @model_validator(mode="after")
    def _not_empty(self) -> Profile:
        if not (self.occupation or self.skills or self.text or self.user_id):
            raise ValueError("empty profile: give at least one of occupation, skills, text or user_id")
        return self
