"""Server-side verification of an explanation draft against its evidence.

The LLM is never trusted: each claim in its draft is checked here and dropped when the evidence does
not back it. Claims and their rules:

* **fit** -- must equal the fit the evidence states (coverage thresholds); otherwise corrected.
* **matched skill** -- must be one of the evidence's *matched* requirements, cite at least one
  citation, and every cited citation must exist and state that skill (the profile sentence or
  occupation it was found in, the item's requirement row, or a passage that names it). Citations
  that do not are stripped; a claim left with none is dropped.
* **missing skill** -- must be one of the evidence's missing requirements.
* **next step** -- must cite existing evidence, and its text must name something one of the cited
  citations states (a skill label or a course title).
* **summary** -- must not cite ids that do not exist, must not name a skill the evidence never
  mentions, must not overclaim ("perfect fit"), and must not call a possible or stretch move a
  "great fit"; otherwise it is replaced.

* **provenance** (summary and next steps) -- must not say the person has a skill that only their
  current occupation suggests ("you already show Microsoft Excel" to a firefighter who never said
  so): :func:`provenance_errors`. A summary with one is replaced, a step with one dropped, and each
  is logged as a ``provenance:`` line in ``dropped`` (``Verification.provenance_errors`` counts them).
  Listing an inferred skill among the matched claims is not one: the explanation marks its
  provenance and the UI shows it as likely, not as the person's.

``faithfulness`` = supported claims / claims, counted *before* anything is dropped, so it measures
the generator, not the verifier. Duplicate claims are ignored rather than counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from pydantic import ValidationError

from app.explain.evidence import Evidence, EvidenceSkill
from app.explain.phrasing import clean_title, role_phrase
from app.explain.redact import redact
from app.explain.schema import PROVENANCE_PREFIX, Fit, LLMDraft

CITE_TOKEN = re.compile(r"\[?\b[cC](\d{1,4})\b\]?")
OVERCLAIM = re.compile(r"\b(perfect|ideal|flawless|guarantee[ds]?|100 ?%|everything)\b", re.IGNORECASE)
# a summary that calls a possible or stretch move a great fit contradicts the evidence's own fit
STRONG_FIT_CLAIM = re.compile(
    r"\b(great|good|strong|excellent|natural|close)\s+(fit|match)\b|\bwell[- ]suited\b"
    r"|\bsuits\b[^.]{0,40}\bwell\b",
    re.IGNORECASE,
)
ALIAS_CONFIDENCE = 0.8
# A clause that gives the person a skill: "you (already) show/have/bring X", "your X", "with X in hand",
# "X from your experience carries over". "your profile/résumé" talks about the document, not a skill.
POSSESSION = re.compile(
    r"\byou(?:'ve|'re|\s+(?:already\s+|also\s+|clearly\s+|do\s+)?(?:have|has|show|bring|hold|know|possess|master"
    r"|use|carry|can|demonstrate|offer|are|cover))\b|\byour\b(?!\s+(?:profile|résumé|resume|cv|gaps?|next|applications?"
    r"|search)\b)|\bin hand\b|\bcarr(?:y|ies) over\b|\balready\b",
    re.IGNORECASE,
)
# What makes a clause about an inferred skill honest: it says likely, or only if.
HEDGE = re.compile(
    r"\b(?:likely|probably|may|might|perhaps|possibly|presumably|typically|usually|often|if|whether"
    r"|could)\b",
    re.IGNORECASE,
)
CLAUSE_BREAK = re.compile(
    r"[.;:!?](?:\s+|$)|,\s*(?=(?:and|but|while|whereas|so|although|though|yet)\b)"
    r"|\s(?=(?:while|whereas)\b)",
    re.IGNORECASE,
)


class DraftError(ValueError):
    """The generator's output is not a draft at all (wrong shape): the caller falls back."""


@dataclass
class VerifiedDraft:
    fit: Fit
    summary: str
    matched: list[tuple[EvidenceSkill, list[str]]]
    missing: list[EvidenceSkill]
    steps: list[tuple[str, list[str]]]
    claims: int = 0
    supported: int = 0
    dropped: list[str] = field(default_factory=list)
    summary_replaced: bool = False
    provenance: list[str] = field(default_factory=list, repr=False)

    @property
    def provenance_errors(self) -> int:
        """Claims (summary, next steps) that gave the person a skill only their occupation suggests."""
        return len(self.provenance)

    @property
    def faithfulness(self) -> float:
        return round(self.supported / self.claims, 4) if self.claims else 1.0


def parse_draft(obj: object) -> LLMDraft:
    """A draft from a generator's parsed JSON (or an :class:`LLMDraft`); :class:`DraftError` if malformed."""
    if isinstance(obj, LLMDraft):
        return obj
    if not isinstance(obj, dict):
        raise DraftError(f"draft is a {type(obj).__name__}, not a JSON object")
    try:
        return LLMDraft.model_validate(obj)
    except ValidationError as exc:
        raise DraftError(f"draft does not match the explanation shape: {exc.errors()[0]['msg']}") from None


def _mentions(text: str, phrase: str) -> bool:
    phrase = phrase.strip()
    if not phrase:
        return False
    return re.search(r"(?<!\w)" + re.escape(phrase.lower()) + r"(?!\w)", text.lower()) is not None


def supports(evidence: Evidence, cid: str, skill: EvidenceSkill) -> bool:
    """Whether citation ``cid`` exists and states ``skill`` (by id, or by naming its label)."""
    cite = evidence.citation(cid)
    if cite is None:
        return False
    return skill.id in cite.skills or _mentions(cite.text, skill.label)


@lru_cache(maxsize=4096)
def _alias_skills(text: str) -> frozenset[str]:
    """Skill ids named in ``text`` (exact alias matches with high confidence)."""
    try:
        from retrieval.skills.extract import get_extractor

        hits = get_extractor().match_aliases(text)
    except Exception:  # noqa: BLE001 - no vocabulary: skip this check rather than fail
        return frozenset()
    return frozenset(sid for sid, h in hits.items() if h.confidence >= ALIAS_CONFIDENCE)


def _allowed_skills(evidence: Evidence) -> set[str]:
    allowed = set(evidence.known_skill_ids)
    for c in evidence.citations:
        allowed.update(c.skills)
        allowed.update(_alias_skills(c.text))
    allowed.update(_alias_skills(evidence.item.title))
    if evidence.occupation_title:  # "as a registered nurse" names the occupation, not an RN licence the person claims
        allowed.update(_alias_skills(clean_title(evidence.occupation_title)))
        allowed.update(_alias_skills(role_phrase(evidence.occupation_title) or ""))
    return allowed


def _catalogue_phrases(evidence: Evidence) -> list[str]:
    """What the evidence names from the catalogue (item, occupation, skill labels, course titles): a draft
    quoting them is not leaking personal data, though a product or course may carry a person's name
    ("Armand Morin MultiTrack Generator"); everything else in the draft is still redacted."""
    skills = [*evidence.matched, *evidence.partial, *evidence.missing]
    return [
        evidence.item.title,
        evidence.occupation_title,
        *(name for s in skills for name in (s.label, s.name)),
        *(c.title for s in skills for c in s.courses),
    ]


def unknown_skill_mentions(evidence: Evidence, text: str, allowed: set[str] | None = None) -> list[str]:
    """Skill ids that ``text`` names although no evidence mentions them (invented skills)."""
    allowed = _allowed_skills(evidence) if allowed is None else allowed
    return sorted(_alias_skills(text) - allowed)


def _inferred_labels(evidence: Evidence) -> tuple[list[str], list[str]]:
    """(labels only the occupation gives, labels the person stated), longest first (for masking).

    Inferred: matched skills with ``provenance == "inferred"`` and the skills partial credit came
    through when the gap marks them unstated; a label also stated under another id is stated."""
    stated = {s.label for s in evidence.stated()}
    stated |= {s.via.get("label", "") for s in evidence.partial if s.via.get("stated")}
    inferred = {s.label for s in evidence.inferred()}
    inferred |= {s.via.get("label", "") for s in evidence.partial if s.via.get("stated") is False}
    stated.discard("")
    inferred = {label for label in inferred if label and label not in stated}
    by_length = lambda labels: sorted(labels, key=lambda x: (-len(x), x))  # noqa: E731
    return by_length(inferred), by_length(stated)


def provenance_errors(evidence: Evidence, text: str) -> list[str]:
    """Inferred skills that ``text`` says the person has (see the module docstring), in order of appearance.

    Clause by clause: a clause that names an inferred skill, gives the person something
    (:data:`POSSESSION`) and does not hedge (:data:`HEDGE`) is an error. Titles and the labels of other
    skills are masked first, so "Microsoft Office" inferred is not found inside "Microsoft Office
    software" stated, nor "Transportation" inside an item's title."""
    inferred, stated = _inferred_labels(evidence)
    if not inferred or not text:
        return []
    # titles name the role, not a skill ("Transportation" in "Reservation and Transportation Ticket Agents"), and a
    # longer label is another skill ("Monitoring" in the missing "Operations Monitoring")
    titles = [evidence.item.title, clean_title(evidence.occupation_title), role_phrase(evidence.occupation_title) or ""]
    others = {s.label for s in (*evidence.partial, *evidence.missing)} - set(inferred)
    for label in [
        *sorted(filter(None, titles), key=len, reverse=True),
        *sorted({*stated, *others}, key=len, reverse=True),
    ]:
        text = re.sub(
            r"(?<!\w)" + re.escape(label) + r"(?!\w)",
            " the role " if label in titles else " ",
            text,
            flags=re.IGNORECASE,
        )
    found: list[str] = []
    for masked in CLAUSE_BREAK.split(text):
        named = sorted(
            (label for label in inferred if _mentions(masked, label)),
            key=lambda label: masked.lower().find(label.lower()),
        )
        if named and POSSESSION.search(masked) and not HEDGE.search(masked):
            found += [label for label in named if label not in found]
    return found


def _provenance_line(where: str, labels: list[str]) -> str:
    names = ", ".join(repr(label) for label in labels)
    return f"{PROVENANCE_PREFIX} {where} says the person has {names}, which only their current occupation suggests"


def bad_citation_tokens(evidence: Evidence, text: str) -> list[str]:
    ids = set(evidence.citation_ids())
    return sorted({f"c{m.group(1)}" for m in CITE_TOKEN.finditer(text)} - ids)


def verify(draft: LLMDraft | dict, evidence: Evidence, *, fallback_summary: str = "") -> VerifiedDraft:
    """Check every claim of ``draft`` against ``evidence``; keep what is supported (see module doc)."""
    draft = parse_draft(draft)
    claims = supported = 0
    dropped: list[str] = []
    provenance: list[str] = []
    allowed = _allowed_skills(evidence)
    catalogue = _catalogue_phrases(evidence)

    # fit
    claims += 1
    try:
        fit = Fit(draft.fit)
    except ValueError:
        fit = None
    if fit == evidence.fit:
        supported += 1
    else:
        dropped.append(f"fit {draft.fit!r} corrected to {evidence.fit.value!r} (coverage {evidence.coverage:.2f})")
    fit = evidence.fit

    # matched skills
    matched: list[tuple[EvidenceSkill, list[str]]] = []
    seen: set[str] = set()
    for claim in draft.matched_skills:
        if claim.skill in seen:
            continue
        seen.add(claim.skill)
        claims += 1
        skill = evidence.skill_by_name(claim.skill, "matched")
        if skill is None:
            other = evidence.skill_by_name(claim.skill)
            why = f"it is {other.status} in the evidence" if other else "it is not in the evidence"
            dropped.append(f"matched skill {claim.skill!r} dropped: {why}")
            continue
        cites = list(dict.fromkeys(claim.evidence))
        good = [c for c in cites if supports(evidence, c, skill)]
        bad = [c for c in cites if c not in good]
        if good and not bad:
            supported += 1
        if bad:
            dropped.append(f"matched skill {claim.skill!r}: citation(s) {', '.join(bad)} do not state it")
        if good:
            matched.append((skill, _with_profile_citation(evidence, skill, good)))
        else:
            dropped.append(f"matched skill {claim.skill!r} dropped: no supporting citation")

    # missing skills
    missing: list[EvidenceSkill] = []
    seen = set()
    for name in draft.missing_skills:
        if name in seen:
            continue
        seen.add(name)
        claims += 1
        skill = evidence.skill_by_name(name, "missing")
        if skill is None:
            other = evidence.skill_by_name(name)
            why = f"it is {other.status} in the evidence" if other else "it is not in the evidence"
            dropped.append(f"missing skill {name!r} dropped: {why}")
            continue
        supported += 1
        missing.append(skill)

    # next steps
    steps: list[tuple[str, list[str]]] = []
    seen = set()
    for step in draft.next_steps:
        text = redact(step.text.strip(), catalogue)
        if not text or text.lower() in seen:
            continue
        seen.add(text.lower())
        claims += 1
        cites = list(dict.fromkeys(step.citations))
        existing = [c for c in cites if evidence.citation(c) is not None]
        grounded = [c for c in existing if _step_grounded(evidence, c, text)]
        invented = unknown_skill_mentions(evidence, text, allowed) or bad_citation_tokens(evidence, text)
        claimed = provenance_errors(evidence, text)
        if claimed:
            provenance.append(text)
            dropped.append(_provenance_line(f"next step {text[:60]!r}", claimed) + " (dropped)")
            continue
        if grounded and len(grounded) == len(cites) and not invented:
            supported += 1
            steps.append((text, grounded))
        elif grounded and not invented:
            dropped.append(
                f"next step {text[:60]!r}: citation(s) {', '.join(c for c in cites if c not in grounded)} stripped"
            )
            steps.append((text, grounded))
        else:
            why = "names skills the evidence does not" if invented else "no cited evidence states what it says"
            dropped.append(f"next step {text[:60]!r} dropped: {why}")

    # summary
    summary = redact((draft.summary or "").strip(), catalogue)
    claims += 1
    problems = []
    if len(summary) < 20:
        problems.append("too short")
    if bad_citation_tokens(evidence, summary):
        problems.append("cites ids that do not exist")
    if unknown_skill_mentions(evidence, summary, allowed):
        problems.append("names skills the evidence does not")
    if OVERCLAIM.search(summary):
        problems.append("overclaims")
    if fit != Fit.strong and STRONG_FIT_CLAIM.search(summary):
        problems.append(f"claims a stronger fit than {fit.value!r}")
    claimed = provenance_errors(evidence, summary)
    if claimed:
        problems.append("says the person has what only their occupation suggests")
        provenance.append(summary)
        dropped.append(_provenance_line("summary", claimed) + " (replaced)")
    replaced = False
    if problems:
        dropped.append(f"summary replaced: {', '.join(problems)}")
        if not fallback_summary:
            import random

            from app.explain.composer import compose_summary, seed_for

            fallback_summary = compose_summary(evidence, random.Random(seed_for(evidence, None)))
        summary = fallback_summary
        replaced = True
    else:
        supported += 1
    return VerifiedDraft(
        fit=fit,
        summary=summary,
        matched=matched,
        missing=missing,
        steps=steps,
        claims=claims,
        supported=supported,
        dropped=dropped,
        summary_replaced=replaced,
        provenance=provenance,
    )


PROFILE_ROLES = ("profile", "profile_skills", "profile_occupation")


def _with_profile_citation(evidence: Evidence, skill: EvidenceSkill, cites: list[str]) -> list[str]:
    """``cites`` plus the evidence's own citation of where the person shows ``skill`` (their words, their
    list, or their occupation) when the draft cited only the role's requirement row: a matched skill
    in the explanation always shows why the person has it, and so whether it is stated or inferred."""
    role = lambda c: getattr(evidence.citation(c), "role", None)  # noqa: E731
    if any(role(c) in PROFILE_ROLES for c in cites):
        return cites
    own = next((c for c in skill.citations if role(c) in PROFILE_ROLES), None)
    return cites + [own] if own else cites


def _step_grounded(evidence: Evidence, cid: str, text: str) -> bool:
    cite = evidence.citation(cid)
    if cite is None:
        return False
    labels = [s.label for s in (*evidence.matched, *evidence.partial, *evidence.missing) if s.id in cite.skills]
    titles = [c.title for s in evidence.missing for c in s.courses if c.id in cite.courses]
    return any(_mentions(text, p) for p in (*labels, *titles)) or any(
        _mentions(cite.text, w) for w in _key_phrases(text)
    )


def _key_phrases(text: str) -> list[str]:
    """Quoted titles in a step ("Take \"Intro to X\"") so a step may name a course by its quoted title."""
    return [m.group(1) for m in re.finditer(r"[\"“']([^\"”']{6,120})[\"”']", text)]
