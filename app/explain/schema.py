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

import re
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

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
    provenance: Literal["stated", "inferred"] | None = Field(
        default=None,
        description="stated: the person typed it or their text says it (a 'profile' citation quotes "
        "it); inferred: only their current occupation suggests it ('profile:occupation'). "
        "Filled from the cited sources when not given.",
    )


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
    deeper: bool = Field(
        default=False,
        description="the person's current work gives it at a lower level than the target needs: build it further",
    )
    on_the_job: bool = Field(
        default=False, description="a software tool its employers usually train on the job: no course needed"
    )
    hands_on: bool = Field(
        default=False,
        description="learned hands-on: on the job, in an apprenticeship or a certification course for the equipment",
    )


class CitationOut(BaseModel):
    id: str = Field(
        description="c1, c2, ... in order of first appearance in the explanation, no gaps; stable for "
        "the same profile, item and catalogue"
    )
    source: str = Field(
        description="profile | profile:occupation | onet:<code>:skills | onet:<code>:tasks | course:<id> | ..."
    )
    text: str
    # In process only (not serialised): clients see one numbering, the one they read; code that holds the
    # trace maps a citation back to the evidence (prompt, training data, the verifier's dropped lines) with it.
    ref: str = Field(default="", exclude=True, description="the id this citation has in the evidence (not serialised)")


class ModelInfo(BaseModel):
    backend: str
    name: str
    adapter: str | None = None


class Verification(BaseModel):
    """What the verifier saw before it dropped anything (for audits, training data and eval)."""

    claims: int = 0
    supported: int = 0
    dropped: list[str] = Field(default_factory=list, description="one line per dropped or corrected claim")

    # the ignore: mypy rejects any decorator over @property, and pydantic's documentation prescribes it
    @computed_field(  # type: ignore[prop-decorator]
        description="claims that gave the person a skill only their occupation suggests "
        "(the dropped lines that start with 'provenance:')"
    )
    @property
    def provenance_errors(self) -> int:
        return sum(1 for line in self.dropped if line.startswith(PROVENANCE_PREFIX))


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
    next_step_evidence: list[list[str]] = Field(
        default_factory=list, description="citation ids of each next step, aligned with next_steps"
    )
    citations: list[CitationOut]
    faithfulness: float = Field(description="supported claims / claims, before the verifier dropped any")
    model: ModelInfo
    latency_ms: int
    fallback_reason: str | None = Field(default=None, description="null, or why the deterministic composer answered")
    variant: str = Field(default="default", description="phrasing/arm variant that produced this text")
    coverage: float = Field(default=0.0, description="importance-weighted requirement coverage from the skill gap")
    verification: Verification = Field(default_factory=Verification)

    @model_validator(mode="after")
    def _display_order(self) -> Explanation:
        """Citations numbered c1, c2, ... in order of first appearance, with no gaps; see :func:`number_citations`."""
        return number_citations(self)


PROVENANCE_PREFIX = "provenance:"  # app.explain.verify writes these dropped lines
_CITE = re.compile(r"\b(c)(\d{1,4})\b")  # lower case: "C2" in "C2 English" is a level, not a citation
Provenance = Literal["stated", "inferred"]  # MatchedSkill.provenance
_PROFILE_SOURCES: dict[str, Provenance] = {"profile": "stated", "profile:occupation": "inferred"}


def provenance_from(sources: Sequence[str]) -> Provenance | None:
    """A matched skill's provenance from the sources of what it cites: a quote or the person's own
    list ("profile") makes it stated, else the occupation ("profile:occupation") inferred, else unknown."""
    found = [_PROFILE_SOURCES[s] for s in sources if s in _PROFILE_SOURCES]
    return "stated" if "stated" in found else (found[0] if found else None)


def number_citations(e: Explanation) -> Explanation:
    """Put ``e`` in display order and number its citations in order of first appearance (in place).

    Display order is what every front end shows, top to bottom: the summary, matched skills the
    person stated, then those only their occupation suggests, partly covered skills, missing skills,
    the next steps (the UI's ``render_explanation`` and the stream's ``stream_parts`` walk it in this
    order). The evidence numbers its citations by kind (profile, item, courses), and the verifier
    drops what it cannot back, so the ids an explanation kept ran c1, c3, c4, c6, c8; here they become
    c1, c2, c3 ... in the order a reader meets them, citation tokens in the text and
    ``next_step_evidence`` included. ``ref`` keeps the evidence's id. Idempotent: an explanation in
    display order maps onto itself."""
    by_id = {c.id: c for c in e.citations}
    for m in e.matched_skills:
        if m.provenance is None:
            m.provenance = provenance_from([by_id[c].source for c in m.evidence if c in by_id])
    e.matched_skills.sort(key=lambda m: m.provenance == "inferred")  # stable: importance order within each
    order: list[str] = []

    def see(ids) -> None:
        for c in ids:
            if c in by_id and c not in order:
                order.append(c)

    see(f"c{m.group(2)}" for m in _CITE.finditer(e.summary))
    for skills in (e.matched_skills, e.partial_skills, e.missing_skills):
        for skill in skills:
            see(skill.evidence)
    for n, step in enumerate(e.next_steps):
        see(f"c{m.group(2)}" for m in _CITE.finditer(step))
        see(e.next_step_evidence[n] if n < len(e.next_step_evidence) else [])
    see(c.id for c in e.citations)
    new = {old: f"c{n}" for n, old in enumerate(order, 1)}
    for c in e.citations:
        c.ref = c.ref or c.id
    if all(old == cid for old, cid in new.items()) and [c.id for c in e.citations] == order:
        return e

    def renumber(ids: list[str]) -> list[str]:
        return [new.get(c, c) for c in ids]

    def retext(text: str) -> str:
        return _CITE.sub(lambda m: new.get(f"c{m.group(2)}", m.group(0)), text)

    for skills in (e.matched_skills, e.partial_skills, e.missing_skills):
        for skill in skills:
            skill.evidence = renumber(skill.evidence)
    e.next_step_evidence = [renumber(ids) for ids in e.next_step_evidence]
    e.summary = retext(e.summary)
    e.next_steps = [retext(step) for step in e.next_steps]
    for c in e.citations:
        c.id = new[c.id]
    e.citations.sort(key=lambda c: int(c.id[1:]))
    return e


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


def _exactly(values: list[str]) -> dict[str, Any]:
    """An array of exactly ``values``, in this order."""
    return _exactly_items([{"const": v} for v in values])


def _exactly_items(items: list[dict[str, Any]]) -> dict[str, Any]:
    """An array of exactly ``len(items)`` elements, the i-th valid against ``items[i]``."""
    return {"type": "array", "prefixItems": items, "items": False, "minItems": len(items), "maxItems": len(items)}


def llm_json_schema(
    matched: Mapping[str, Sequence[str]],
    missing_labels: list[str],
    citation_ids: list[str],
    fit: str | None = None,
    step_choices: Sequence[tuple[Sequence[str], Sequence[str]]] | None = None,
    summary_choices: Sequence[str] = (),
) -> dict[str, Any]:
    """The JSON schema for one request: only claims this evidence supports can be emitted.

    ``matched`` maps each matched skill's label to the citation ids that state it, in the order an
    explanation lists them (:func:`app.explain.composer.claims`: the decisive and the stated skills);
    ``fit`` is the fit the evidence computes. Grounding is enforced by the grammar, not hoped for from
    the model, and every choice that is not the model's to make is forced, since on a CPU each choice
    point costs a forward pass (~50 ms) while forced text rides along in the next one:

    * the matched-skill claims are the first one to ``MAX_LLM_MATCHED`` of ``matched``, in its order, each
      with all of its citations (up to ``MAX_CITES_PER_CLAIM``): the model chooses how many skills to
      claim; it cannot claim a skill twice, with a citation that does not state it, or out of order
      (before, choosing each claim's group, skill and ids took ~3 passes a skill, and SmolLM2 claimed
      the same skill twice in a row);
    * ``fit`` is fixed to the evidence's fit when given: it is arithmetic on coverage, not something
      for a 135M model to guess (the verifier still checks it, for servers that ignore grammars);
    * missing skills are the evidence's first one to ``MAX_LLM_MISSING``, in its order (the gaps that matter
      first): the model chooses how many, and cannot repeat one; citation ids are ``enum`` lists of this
      evidence's values.

    With no choices given (``WAYPOINT_EXPLAIN_GRAMMAR=claims``: ``step_choices=None``) the next steps and
    the summary are free text that the verifier checks. ``step_choices`` (``steps``) closes the steps (an
    empty menu: no step at all): each step is
    one of the given (citations, phrasings), its citations exactly those ids and its text an ``enum``
    of sentences that name what they cite; the steps are the menu's first one or two, in its order.
    ``summary_choices`` (``closed``, the default) does the same for the summary: an ``enum`` of the
    composer's summaries. Enums of literal strings compile as fast as the rest. On 24 pairs the SFT
    adapter's faithfulness before verification is 0.79 / 0.95 / 1.0 under the three, unique sentences
    0.94 / 0.75 / 0.74 (README). A regex on free step text was tried first and dropped: with ``.*``
    around the phrase SmolLM2 ran on to the token cap inside the string, and bounded repeats
    (``.{0,120}``) took xgrammar seconds per request to compile.

    Properties are listed in alphabetical order on purpose: the in-process backend compiles the
    schema with sorted keys while vLLM follows the given order, so only an alphabetical schema makes
    both generate the same sequence (fit → matched skills → missing → next steps → summary; inside a
    claim the evidence comes before the skill). Training targets use the same order.
    """
    cite_array = {"type": "array", "items": _enum(citation_ids), "minItems": 1, "maxItems": MAX_CITES_PER_CLAIM}
    claims = [
        _closed_object({"evidence": _exactly(kept[:MAX_CITES_PER_CLAIM]), "skill": {"const": label}})
        for label, cites in matched.items()
        if (kept := list(dict.fromkeys(c for c in cites if c in citation_ids)))
    ][:MAX_LLM_MATCHED]
    matched_schema: dict[str, Any] = (
        {"anyOf": [_exactly_items(claims[:k]) for k in range(1, len(claims) + 1)]}
        if claims
        else {"type": "array", "maxItems": 0}
    )
    step_item = _closed_object(
        {
            "citations": cite_array,
            "text": {"type": "string", "minLength": 10, "maxLength": STEP_MAX_CHARS},
        }
    )
    if step_choices:
        step_shapes = [
            _closed_object(
                {
                    # exactly these ids in this order (an ``items`` enum would admit ["c12", "c12"], which SmolLM2 wrote)
                    "citations": _exactly(list(cites)),
                    "text": _enum(list(texts)),
                }
            )
            for cites, texts in step_choices
        ]
        # the first k steps of the menu (gap priority), as the missing skills are the first k gaps: never the same
        # step twice (SmolLM2 wrote one twice in a row), and never without the step for the gap that matters most
        # (the shipped adapter chose "no course teaches provide basic support to patients yet" and "... disability
        # care" for a waitress toward nursing assistants, and left out the course for her first gap, vital signs)
        steps_schema: dict[str, Any] = {
            "anyOf": [_exactly_items(step_shapes[:k]) for k in range(1, min(MAX_LLM_STEPS, len(step_shapes)) + 1)]
        }
    elif step_choices is not None:  # closed steps and none grounded (nothing matched, nothing missing)
        steps_schema = {"type": "array", "maxItems": 0}
    else:
        steps_schema = {"type": "array", "items": step_item, "minItems": 1, "maxItems": MAX_LLM_STEPS}
    if missing_labels:
        # the most important gaps first, as the evidence orders them: the model chooses how many (1 to
        # MAX_LLM_MISSING), not an order of its own, and cannot list one twice
        missing: dict[str, Any] = {
            "anyOf": [_exactly(missing_labels[:k]) for k in range(1, min(MAX_LLM_MISSING, len(missing_labels)) + 1)]
        }
    else:
        missing = {"type": "array", "maxItems": 0}
    return {
        "title": "explanation",
        "type": "object",
        "properties": {
            "fit": _enum([fit] if fit else [f.value for f in Fit]),
            "matched_skills": matched_schema,
            "missing_skills": missing,
            "next_steps": steps_schema,
            "summary": (
                _enum(list(summary_choices))
                if summary_choices
                else {"type": "string", "minLength": 20, "maxLength": SUMMARY_MAX_CHARS}
            ),
        },
        "required": ["fit", "matched_skills", "missing_skills", "next_steps", "summary"],
        "additionalProperties": False,
    }
