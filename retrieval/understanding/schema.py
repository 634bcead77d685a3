"""What Waypoint understood about a person from what they typed: the contract between the
understanding code (``retrieval/understanding``), the recommenders, the REST API, the UI's
"What Waypoint believes about you" panel and ``waypoint eval profiles``.

Every field carries its provenance: the span of the person's text that supports it, so the UI can
show it and the person can correct it, and so an explanation never says "you have X" for something
the person did not say.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from retrieval.understanding.limits import about_standing


class Span(BaseModel):
    """Where in the person's text a finding comes from (character offsets into the original text)."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str


class OccupationLink(BaseModel):
    """An occupation the person holds or held, linked to O*NET."""

    occupation_id: str = Field(description="O*NET-SOC code, e.g. 29-1141.00")
    title: str = Field(description="O*NET title of the occupation")
    confidence: float = Field(ge=0.0, le=1.0)
    span: Span | None = Field(
        default=None, description="the words that name it; None when inferred from the whole text"
    )
    tense: Literal["current", "past", "unknown"] = "unknown"
    method: str = Field(description="how it was linked: code, alias, title, abbreviation, semantic, ...")
    years: float | None = Field(default=None, description="years in this occupation, when stated")


class SkillMention(BaseModel):
    """A skill or credential the person says they have (never a wish, a goal or a negation)."""

    skill_id: str
    label: str
    kind: Literal["skill", "credential"] = "skill"
    confidence: float = Field(ge=0.0, le=1.0)
    span: Span


class Goal(BaseModel):
    """Where the person wants to go: a field ("finance"), an occupation ("lawyer") or a skill ("Python").

    ``soc_prefixes`` is what the recommenders use: an occupation is inside the goal when its O*NET-SOC
    code starts with one of them ("13-2" financial specialists, "23-1011" lawyers)."""

    text: str = Field(description="the target as the person wrote it, e.g. 'finance'")
    kind: Literal["field", "occupation", "skill"]
    field: str | None = Field(default=None, description="the named career field, when kind is field")
    occupation_ids: list[str] = Field(default_factory=list)
    soc_prefixes: list[str] = Field(default_factory=list)
    skill_ids: list[str] = Field(default_factory=list)
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    span: Span | None = None
    interest: bool = Field(
        default=False, description="what the person enjoys ('I like drawing and video games'), not a stated move"
    )
    studied: bool = Field(default=False, description="an interest that is what the person studied ('a biology degree')")


class Limit(BaseModel):
    """Something the person says limits the work they can do. ``physical`` ("my back is done", "I can't lift
    patients any more", "looking for a desk job"): the occupation lists leave out physically demanding work
    (:mod:`retrieval.occupations.physical`). ``training`` ("without going back to school for years", "no
    degree", "can't afford college"): they leave out work that needs more preparation than the person's own
    (O*NET job zones; :mod:`retrieval.understanding.schooling`). ``remote`` ("want something remote", "a
    work-from-home job"): they keep to work that can often be done from home (:mod:`retrieval.occupations.remote`)
    and put postings that say they are remote first (:mod:`retrieval.understanding.remote`). ``leaving`` ("I'm a
    teacher and I hate it", "burned out, need to get out of nursing", "a career change"): their own kind of work
    leaves the lists (:mod:`retrieval.understanding.leaving`). ``pay`` ("I want to make more money", "something that
    pays better"): work that needs less preparation than theirs moves down the lists (:mod:`retrieval.understanding.pay`). ``outdoor`` ("I want to work outdoors"): the lists keep to work done outdoors
    (:mod:`retrieval.understanding.outdoor`). ``desk`` ("I can't sit at a desk all day", "less screen time"): they keep to
    work done in person, away from a desk (:mod:`retrieval.understanding.desk`). ``hours`` ("a part-time job", "something that fits around my kids'
    school hours"): postings that say they are part time or flexible come first (:mod:`retrieval.understanding.hours`)."""

    kind: Literal["physical", "training", "remote", "leaving", "pay", "outdoor", "hours", "desk"] = "physical"
    span: Span


#: the O*NET interests a vague liking can lean to (:func:`retrieval.understanding.cues.leaning`)
Leaning = Literal["Realistic", "Social", "Artistic"]
Status = Literal["understood", "no_occupation", "empty", "not_english", "nonsense"]

#: an occupation link counts as said by the person when the text names a title for it (a span), or,
#: without one, from this confidence ("missing to be a pharmacist"; "I love working with data" links
#: Data Scientists at 0.35: not said)
NAMED = 0.5


class Understanding(BaseModel):
    """Everything understood from one text. ``occupations`` best first: ``occupations[0]`` is the
    person's (current) occupation when ``status == "understood"``; several candidates when ambiguous."""

    status: Status
    message: str | None = Field(default=None, description="for the person, when status is not 'understood'")
    occupations: list[OccupationLink] = Field(default_factory=list)
    skills: list[SkillMention] = Field(default_factory=list)
    goals: list[Goal] = Field(default_factory=list)
    limits: list[Limit] = Field(default_factory=list)
    ruled_out_goals: list[Goal] = Field(
        default_factory=list,
        description="occupations the person would like but rules out in the same breath by a training limit ('I'd "
        "like to become a pharmacist but I can't afford 6 more years of school'): not goals, the lists keep away",
    )
    work: list[Span] = Field(
        default_factory=list,
        description="sentences where the person says what they do ('I fix leaking pipes'): an occupation linked by "
        "their meaning alone is still the person's own account of their work",
    )
    years_experience: float | None = None
    #: where the person says they have been away from paid work ("a stay-at-home mom for 10 years")
    career_break: Span | None = None
    #: where the person says they have not worked yet ("I just finished high school and have no experience")
    first_work: Span | None = None
    #: the O*NET interest (RIASEC) a vague liking leans to ("I like working with my hands": Realistic), and its words
    leaning: Leaning | None = None
    leaning_span: Span | None = None
    seniority: Literal["entry", "mid", "senior", "lead"] | None = None

    @property
    def physical_limit(self) -> bool:
        """The person says their body limits them: leave physically demanding occupations out."""
        return any(limit.kind == "physical" for limit in self.limits)

    @property
    def standing_limit(self) -> bool:
        """One of the physical limits is about standing ("can't stand all day", "my feet"): work done on one's
        feet leaves the lists too, which the demand score cannot see."""
        return any(limit.kind == "physical" and about_standing(limit.span.text) for limit in self.limits)

    @property
    def training_limit(self) -> bool:
        """The person rules out going back to school: leave out work that needs more preparation than theirs."""
        return any(limit.kind == "training" for limit in self.limits)

    @property
    def leaving(self) -> bool:
        """The person wants out of their own kind of work: leave it out of the lists."""
        return any(limit.kind == "leaving" for limit in self.limits)

    @property
    def remote_wish(self) -> bool:
        """The person wants to work from home: keep to work that can often be done remotely."""
        return any(limit.kind == "remote" for limit in self.limits)

    @property
    def outdoor_wish(self) -> bool:
        """The person wants to work outdoors: keep to work done outdoors."""
        return any(limit.kind == "outdoor" for limit in self.limits)

    @property
    def desk_wish(self) -> bool:
        """The person wants work away from a desk and a screen: keep to work done in person."""
        return any(limit.kind == "desk" for limit in self.limits)

    @property
    def hours_wish(self) -> bool:
        """The person asks for part-time or flexible hours: such postings first."""
        return any(limit.kind == "hours" for limit in self.limits)

    @property
    def pay_wish(self) -> bool:
        """The person wants better pay: work that usually pays less than theirs moves down the lists."""
        return any(limit.kind == "pay" for limit in self.limits)

    @property
    def occupation(self) -> OccupationLink | None:
        return self.occupations[0] if self.occupations else None

    def said_occupation(self) -> OccupationLink | None:
        """The person's (current) occupation when the text says one (:data:`NAMED`), else None: what a
        text-only profile's skill gap and explanation take as "your current occupation", like the chat
        does when it notes it. A goal is never it ("I want to be a lawyer" links no occupation)."""
        top = self.occupation if self.status == "understood" else None
        return top if top is not None and (top.span is not None or top.confidence >= NAMED) else None

    def said_work(self) -> bool:
        """Whether the text says something of the person's work: an occupation named (a title, or linked at least
        :data:`NAMED` sure), or linked from sentences where they say what they do ("I fix leaking pipes and
        unblock drains": no title, and by meaning only 0.44 sure, yet plainly about their work)."""
        if self.status != "understood":
            return False
        return any(o.span is not None or o.confidence >= NAMED for o in self.occupations) or bool(
            self.occupations and self.work
        )
