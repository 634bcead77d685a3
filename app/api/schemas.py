"""Request and response schemas of the REST API (kept apart from the routes and the services)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from retrieval.profile import MAX_TEXT_CHARS, Profile
from retrieval.recommend import Item, Kind
from retrieval.settings import LLMBackendName, backend_name
from retrieval.understanding.schema import Understanding

# The backends (retrieval.settings.LLMBackendName) by their canonical names; an alias (vllm, hf, ...) is read
# as the backend it names, so the API accepts exactly what the settings accept.
BackendName = Annotated[LLMBackendName, BeforeValidator(lambda v: backend_name(v) if isinstance(v, str) else v)]
Reason = Literal["wrong_skill", "missing_skill", "not_relevant", "too_generic", "other"]
EventType = Literal["impression", "click", "dwell", "thumbs", "correction"]
# Constrained strings shared by several fields (typed, so a type checker sees each field's keywords).
ItemId = Annotated[str, Field(min_length=1, max_length=200)]
SessionId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RecommendRequest(_Strict):
    profile: Profile
    kind: Kind = Field(default=Kind.occupation, description="occupation | job | course | skill")
    k: int = Field(default=10, ge=1, le=200, description="How many items (1–200).")
    session_id: SessionId | None = Field(default=None, description="Client session, echoed into feedback events.")


class UnderstandingOut(Understanding):
    """What Waypoint understood from the text, with the words behind each finding.

    ``status``: ``understood`` (``occupations[0]`` is the person's current occupation; more entries are
    past occupations or other candidates when it is ambiguous), ``no_occupation`` (no occupation could be
    told; skills, goals and limits may still be there), ``empty``, ``not_english`` or ``nonsense`` (nothing Waypoint
    can use). Except for ``understood``, ``message`` says, for the person, what to write instead.
    ``limits``: what the person says limits the work they can do ("my back is done"); with a ``physical``
    one, the occupation and posting lists leave physically demanding work out.
    Each ``span`` gives character offsets into the text sent and the words found there.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "understood",
                    "message": None,
                    "occupations": [
                        {
                            "occupation_id": "33-2011.00",
                            "title": "Firefighters",
                            "confidence": 0.853,
                            "span": {"start": 6, "end": 17, "text": "firefighter"},
                            "tense": "current",
                            "method": "title+meaning",
                            "years": None,
                        }
                    ],
                    "skills": [],
                    "goals": [
                        {
                            "text": "finance",
                            "kind": "field",
                            "field": "finance",
                            "occupation_ids": [],
                            "soc_prefixes": ["13-2", "11-3031"],
                            "skill_ids": [],
                            "confidence": 1.0,
                            "span": {"start": 42, "end": 49, "text": "finance"},
                        }
                    ],
                    "limits": [],
                    "years_experience": None,
                    "seniority": None,
                },
                {
                    "status": "nonsense",
                    "message": "I could not tell what you do — tell me your job title (for example “I'm a registered nurse”).",
                    "occupations": [],
                    "skills": [],
                    "goals": [],
                    "limits": [],
                    "years_experience": None,
                    "seniority": None,
                },
            ]
        }
    )


class UnderstandRequest(_Strict):
    text: str = Field(
        description="A self-description or a résumé, in English, as the person wrote it "
        f"(at most the server's WAYPOINT_MAX_TEXT_CHARS, {MAX_TEXT_CHARS:,} by default).",
        examples=["I'm a firefighter and I want to move into finance"],
    )

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(
                "text is empty: describe what you do, your skills or where you want to go, or paste a résumé"
            )
        return value


class RecommendResponse(BaseModel):
    id: str | None = None
    kind: Kind
    items: list[Item]
    impression_id: str | None = Field(default=None, description="Send it back with feedback on these items.")
    understanding: UnderstandingOut | None = Field(
        default=None,
        description="What Waypoint understood from `profile.text` (only when the profile has text): "
        "the occupation the list starts from, the skills and the goal, with their spans.",
    )


class ExplainRequest(_Strict):
    profile: Profile
    item_id: ItemId = Field(description="O*NET-SOC code, job posting id, ...", examples=["21-1091.00"])
    backend: BackendName | None = Field(default=None, description="LLM backend; default: the server's setting.")
    stream: bool = Field(
        default=False,
        description="Stream the verified explanation's parts as SSE (or NDJSON with Accept: application/x-ndjson).",
    )
    variant: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9_-]{1,32}$",
        description="Force an explanation variant (no exploration; propensity 1).",
    )
    session_id: SessionId | None = Field(default=None)
    impression_id: SessionId | None = Field(
        default=None, description="The recommendation list this explanation belongs to."
    )
    position: int | None = Field(default=None, ge=0, le=1000, description="The item's position in that list.")
    shown: list[str] | None = Field(default=None, max_length=200, description="Item ids shown together.")


class SkillOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    label: str
    evidence: list[str] = Field(default_factory=list)


class CitationOut(BaseModel):
    id: str
    source: str
    text: str


class ExplainResponse(BaseModel):
    """The explanation plus the logged impression's id, variant and propensity."""

    model_config = ConfigDict(extra="allow")

    item: dict[str, Any]
    fit: str
    summary: str
    matched_skills: list[SkillOut]
    missing_skills: list[SkillOut]
    next_steps: list[str]
    citations: list[CitationOut]
    faithfulness: float
    model: dict[str, Any]
    latency_ms: float
    fallback_reason: str | None = None
    variant: str | None = None
    propensity: float | None = None
    impression_id: str | None = None


class SkillCorrection(_Strict):
    skill: str = Field(description="Skill label or id.", min_length=1, max_length=200)
    action: Literal["wrong", "missing"] = Field(
        description="wrong: I don't have it / it doesn't apply; missing: I have it but you left it out."
    )


class FeedbackRequest(_Strict):
    """One feedback event. Required fields depend on ``type``:

    * ``click`` — ``item_id`` (an explanation expanded, "why?" clicked, or a link followed)
    * ``dwell`` — ``item_id``, ``dwell_ms`` (how long the explanation stayed open)
    * ``thumbs`` — ``item_id``, ``up``; optional ``reason``, ``comment``, ``corrections``
    * ``correction`` — ``corrections`` (skills that are wrong or missing)
    * ``impression`` — ``items`` (client-side impressions; server-rendered ones are logged already)
    """

    type: EventType
    item_id: ItemId | None = Field(default=None)
    impression_id: SessionId | None = Field(default=None)
    session_id: SessionId | None = Field(default=None)
    user_id: str | None = Field(default=None, max_length=200, description="Stored hashed, never raw.")
    position: int | None = Field(default=None, ge=0, le=1000)
    dwell_ms: float | None = Field(default=None, ge=0, le=86_400_000)
    up: bool | None = None
    reason: Reason | None = None
    comment: str | None = Field(default=None, max_length=2000, description="Stored PII-redacted.")
    corrections: list[SkillCorrection] | None = Field(default=None, max_length=100)
    items: list[str] | None = Field(default=None, max_length=200)
    positions: list[int] | None = Field(default=None, max_length=200)
    shown: list[str] | None = Field(default=None, max_length=200)
    variant: str | None = Field(default=None, pattern=r"^[a-z0-9_-]{1,32}$")
    propensity: float | None = Field(default=None, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _required(self) -> FeedbackRequest:
        need = {
            "click": ["item_id"],
            "dwell": ["item_id", "dwell_ms"],
            "thumbs": ["item_id", "up"],
            "correction": ["corrections"],
            "impression": ["items"],
        }[self.type]
        missing = [f for f in need if getattr(self, f) in (None, [])]
        if missing:
            raise ValueError(f"{self.type} feedback needs {', '.join(missing)}")
        if self.positions is not None and (self.items is None or len(self.positions) != len(self.items)):
            raise ValueError("positions must align with items")
        if self.reason is not None and self.type != "thumbs":
            raise ValueError("reason applies to thumbs feedback only")
        return self


class FeedbackResponse(BaseModel):
    event_id: str
    type: EventType


class ErrorResponse(BaseModel):
    error: str
    message: str
    detail: list[dict[str, Any]] | None = None
