"""The Explanation object (the public contract) and the small JSON schema the LLM is held to.

Two shapes on purpose:

* :class:`Explanation` is what every front end receives (CLI, REST, UI): items, skills with their
  catalogue ids and labels, resolved citations, the faithfulness score, the model that wrote it.
* :class:`LLMDraft` is what the LLM (or the deterministic composer) writes: only choices among the
  evidence (skill labels, citation ids) plus free text. :func:`llm_json_schema` builds its JSON
  schema *per request*, with ``enum`` lists of this request's skill labels and citation ids, so
  constrained decoding cannot emit an id that does not exist. Ids are never shown to the model as
  such (labels are text it can read); the server maps labels back to catalogue ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SUMMARY_MAX_CHARS = 300
STEP_MAX_CHARS = 180
MAX_LLM_MATCHED = 5
MAX_LLM_MISSING = 3
MAX_LLM_STEPS = 2
MAX_CITES_PER_CLAIM = 2


class Fit(str, Enum):
    """How well the person fits the item, from importance-weighted requirement coverage."""

    strong = "strong"  # coverage >= 0.75
    possible = "possible"  # 0.45 <= coverage < 0.75
    stretch = "stretch"  # coverage < 0.45


# ------------------------------------------------------------------------------------------------
# public contract


class ItemInfo(BaseModel):
    id: str
    kind: str
    title: str


class CourseInfo(BaseModel):
    id: str
    title: str


class MatchedSkillOut(BaseModel):
    id: str = Field(description="catalogue skill id")
    label: str = Field(description="the catalogue's own label")
    importance: float = 0.0
    evidence: list[str] = Field(description="citation ids that support the match")


class PartialSkillOut(BaseModel):
    id: str
    label: str
    importance: float
    reason: str = Field(description="narrower | broader | sibling | related | same_tool_category | lower_level")
    via: dict[str, Any] = Field(default_factory=dict, description="the profile skill that gives partial credit")
    evidence: list[str] = Field(default_factory=list)


class MissingSkillOut(BaseModel):
    id: str
    label: str
    importance: float
    courses: list[CourseInfo] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)


class CitationOut(BaseModel):
    id: str = Field(description="c1, c2, ... stable for the same profile, item and catalogue")
    source: str = Field(description="profile | profile:occupation | onet:<code>:skills | onet:<code>:tasks | course:<id> | ...")
    text: str


class ModelInfo(BaseModel):
    backend: str
    name: str
    adapter: str | None = None


class Verification(BaseModel):
    """What the verifier saw before it dropped anything (for audits, training data and eval)."""

    claims: int = 0
    supported: int = 0
    dropped: list[str] = Field(default_factory=list, description="one line per dropped or corrected claim")


class Explanation(BaseModel):
    """The explanation of one recommendation for one person (``waypoint explain``, ``POST /v1/explain``)."""

    model_config = ConfigDict(use_enum_values=True)

    item: ItemInfo
    fit: Fit
    summary: str
    matched_skills: list[MatchedSkillOut]
    partial_skills: list[PartialSkillOut] = Field(default_factory=list)
    missing_skills: list[MissingSkillOut]
    next_steps: list[str]
    next_step_evidence: list[list[str]] = Field(default_factory=list,
                                                description="citation ids of each next step, aligned with next_steps")
    citations: list[CitationOut]
    faithfulness: float = Field(description="supported claims / claims, before the verifier dropped any")
    model: ModelInfo
    latency_ms: int
    fallback_reason: str | None = Field(default=None, description="null, or why the deterministic composer answered")
    variant: str = Field(default="default", description="phrasing/arm variant that produced this text")
    coverage: float = Field(default=0.0, description="importance-weighted requirement coverage from the skill gap")
    verification: Verification = Field(default_factory=Verification)


# ------------------------------------------------------------------------------------------------
# what the LLM writes


class DraftMatched(BaseModel):
    evidence: list[str] = Field(default_factory=list)
    skill: str


class DraftStep(BaseModel):
    citations: list[str] = Field(default_factory=list)
    text: str


class LLMDraft(BaseModel):
    """The LLM's (or composer's) answer: choices among the evidence, and free text."""

    model_config = ConfigDict(extra="ignore")

    fit: str = "possible"
    matched_skills: list[DraftMatched] = Field(default_factory=list)
    missing_skills: list[str] = Field(default_factory=list)
    next_steps: list[DraftStep] = Field(default_factory=list)
    summary: str = ""


def _enum(values: list[str]) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def _closed_object(properties: dict[str, Any]) -> dict[str, Any]:
    """An object with exactly these properties, all required (every claim shape in the grammar)."""
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def llm_json_schema(matched: Mapping[str, Sequence[str]], missing_labels: list[str], citation_ids: list[str],
                    fit: str | None = None,
                    step_choices: Sequence[tuple[Sequence[str], Sequence[str]]] = (),
                    summary_choices: Sequence[str] = ()) -> dict[str, Any]:
    """The JSON schema for one request: only claims this evidence supports can be emitted.

    ``matched`` maps each matched skill's label to the citation ids that state it; ``fit`` is the fit
    the evidence computes. Grounding is enforced by the grammar, not hoped for from the model:

    * a matched-skill claim is an ``anyOf`` over groups of skills that share their supporting
      citations, so a claim can only cite citations that state its skill (the evidence is chosen
      first, and then only the skills those citations state remain open);
    * ``fit`` is fixed to the evidence's fit when given: it is arithmetic on coverage, not something
      for a 135M model to guess (the verifier still checks it, for servers that ignore grammars);
    * missing skills and citation ids are ``enum`` lists of this evidence's values.

    With no choices given (``WAYPOINT_EXPLAIN_GRAMMAR=claims``) the next steps and the summary are
    free text that the verifier checks. ``step_choices`` (``steps``) closes the steps: each step is
    one of the given (citations, phrasings), its citations exactly those ids and its text an ``enum``
    of sentences that name what they cite. ``summary_choices`` (``closed``, the default) does the same
    for the summary: an ``enum`` of the composer's summaries. Enums of literal strings compile as fast
    as the rest. On 24 pairs the SFT adapter's faithfulness before verification is 0.79 / 0.95 / 1.0
    under the three, unique sentences 0.94 / 0.75 / 0.74 (README). A regex on free step text was
    tried first and dropped: with ``.*`` around the phrase SmolLM2 ran on to the token cap inside the
    string, and bounded repeats (``.{0,120}``) took xgrammar seconds per request to compile.

    Properties are listed in alphabetical order on purpose: the in-process backend compiles the
    schema with sorted keys while vLLM follows the given order, so only an alphabetical schema makes
    both generate the same sequence (fit → matched skills → missing → next steps → summary; inside a
    claim the evidence is chosen before what it supports). Training targets use the same order.
    """
    cite_array = {"type": "array", "items": _enum(citation_ids), "minItems": 1, "maxItems": MAX_CITES_PER_CLAIM}
    groups: dict[tuple[str, ...], list[str]] = {}
    for label, cites in matched.items():
        key = tuple(dict.fromkeys(c for c in cites if c in citation_ids))
        if key:
            groups.setdefault(key, []).append(label)
    if groups:
        claim_shapes = [_closed_object({
            "evidence": {"type": "array", "items": _enum(list(cites)), "minItems": 1,
                         "maxItems": min(MAX_CITES_PER_CLAIM, len(cites))},
            "skill": _enum(labels),
        }) for cites, labels in groups.items()]
        matched_schema: dict[str, Any] = {
            "type": "array",
            "items": claim_shapes[0] if len(claim_shapes) == 1 else {"anyOf": claim_shapes},
            "minItems": 1,
            "maxItems": min(MAX_LLM_MATCHED, sum(len(labels) for labels in groups.values())),
        }
    else:
        matched_schema = {"type": "array", "maxItems": 0}
    step_item = _closed_object({
        "citations": cite_array,
        "text": {"type": "string", "minLength": 10, "maxLength": STEP_MAX_CHARS},
    })
    max_steps = MAX_LLM_STEPS
    if step_choices:
        step_shapes = [_closed_object({
            # exactly these ids in this order (an ``items`` enum would admit ["c12", "c12"], which SmolLM2 wrote)
            "citations": {"type": "array", "prefixItems": [{"const": c} for c in cites], "items": False,
                          "minItems": len(cites), "maxItems": len(cites)},
            "text": _enum(list(texts)),
        }) for cites, texts in step_choices]
        step_item = step_shapes[0] if len(step_shapes) == 1 else {"anyOf": step_shapes}
        max_steps = min(MAX_LLM_STEPS, len(step_shapes))
    if missing_labels:
        missing = {"type": "array", "items": _enum(missing_labels), "maxItems": min(MAX_LLM_MISSING, len(missing_labels))}
    else:
        missing = {"type": "array", "maxItems": 0}
    return {
        "title": "explanation",
        "type": "object",
        "properties": {
            "fit": _enum([fit] if fit else [f.value for f in Fit]),
            "matched_skills": matched_schema,
            "missing_skills": missing,
            "next_steps": {"type": "array", "items": step_item, "minItems": 1, "maxItems": max_steps},
            "summary": (_enum(list(summary_choices)) if summary_choices
                        else {"type": "string", "minLength": 20, "maxLength": SUMMARY_MAX_CHARS}),
        },
        "required": ["fit", "matched_skills", "missing_skills", "next_steps", "summary"],
        "additionalProperties": False,
    }
