"""``explain()``: the one code path behind ``waypoint explain``, ``POST /v1/explain`` and the UI.

evidence (skill gap + RAG memory) → grounded prompt → LLM with a per-request JSON schema →
verification → :class:`Explanation`. Failure policy:

* bad input (empty/invalid profile, unknown or wrong-kind item id, unknown backend name) raises
  :class:`ProfileError` / ``ValueError`` with a message a person can act on (CLI exit 2, HTTP 4xx);
* anything wrong with the LLM -- not installed, down, slow, invalid JSON, or a verified faithfulness
  below ``settings.faithfulness_threshold`` -- never raises: the deterministic composer writes the
  explanation from the same evidence and ``fallback_reason`` says why.

Models (embedder, skills graph, LLM backend) are loaded once per process by their own factories.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.explain import memory
from app.explain.composer import COMPOSER_NAME, compose, compose_summary, seed_for
from app.explain.evidence import Evidence, build_evidence
from app.explain.prompt import build_messages, schema_for
from app.explain.redact import redact
from app.explain.schema import (
    CitationOut,
    Explanation,
    MatchedSkillOut,
    MissingSkillOut,
    ModelInfo,
    PartialSkillOut,
    Verification,
)
from app.explain.verify import DraftError, VerifiedDraft, verify
from retrieval.profile import Profile, ProfileError
from retrieval.settings import Settings, get_settings

log = logging.getLogger(__name__)

DETERMINISTIC = "deterministic"
_DETERMINISTIC_NAMES = {"deterministic", "composer", "none", "off"}
_LLM_NAMES = {"transformers", "hf", "local", "openai", "vllm"}


@dataclass
class ExplainTrace:
    """What happened inside one explanation (for evaluation, training data and logs)."""

    evidence: Evidence
    messages: list[dict[str, str]] = field(default_factory=list)
    schema: dict[str, Any] = field(default_factory=dict)
    raw_text: str | None = None
    llm_verified: VerifiedDraft | None = None
    llm_latency_ms: float | None = None
    llm_error: str | None = None
    tokens_generated: int = 0


def _normalise_backend(name: str | None, settings: Settings) -> str:
    name = (name or settings.llm_backend or DETERMINISTIC).strip().lower()
    if name in _DETERMINISTIC_NAMES:
        return DETERMINISTIC
    if name not in _LLM_NAMES:
        raise ValueError(f"unknown explanation backend {name!r}; expected deterministic, transformers or openai (vllm)")
    return name


def _coerce_profile(profile: Profile | dict) -> Profile:
    if isinstance(profile, Profile):
        return profile
    if not isinstance(profile, dict):
        raise ProfileError(f"a profile must be a JSON object, got {type(profile).__name__}")
    try:
        return Profile.model_validate(profile)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'profile'}: {e['msg']}" for e in exc.errors())
        raise ProfileError(f"invalid profile: {problems}") from None


def to_explanation(evidence: Evidence, verified: VerifiedDraft, *, model: ModelInfo, latency_ms: float,
                   fallback_reason: str | None, variant: str | None) -> Explanation:
    """The public object from verified claims; only citations something refers to are included."""
    used: list[str] = []

    def use(ids: list[str]) -> list[str]:
        for cid in ids:
            if cid not in used:
                used.append(cid)
        return ids

    matched = [MatchedSkillOut(id=s.id, label=s.label, importance=s.importance, evidence=use(c), provenance=s.provenance)
               for s, c in verified.matched]
    missing = [MissingSkillOut(id=s.id, label=s.label, importance=s.importance, courses=s.courses,
                               evidence=use(list(s.citations))) for s in verified.missing]
    partial = [PartialSkillOut(id=s.id, label=s.label, importance=s.importance, reason=s.reason,
                               via={k: v for k, v in s.via.items() if k in ("id", "label")}, evidence=use(list(s.citations)))
               for s in evidence.partial]
    steps = [t for t, _ in verified.steps]
    step_cites = [use(c) for _, c in verified.steps]
    order = {c.id: n for n, c in enumerate(evidence.citations)}
    citations = [CitationOut(id=c.id, source=c.source, text=c.text) for c in evidence.citations if c.id in used]
    citations.sort(key=lambda c: order[c.id])
    return Explanation(
        item=evidence.item, fit=verified.fit, summary=verified.summary, matched_skills=matched, partial_skills=partial,
        missing_skills=missing, next_steps=steps, next_step_evidence=step_cites, citations=citations,
        faithfulness=verified.faithfulness, model=model, latency_ms=int(round(latency_ms)),
        fallback_reason=fallback_reason, variant=variant or "default", coverage=evidence.coverage,
        verification=Verification(claims=verified.claims, supported=verified.supported, dropped=verified.dropped),
    )


def composer_model() -> ModelInfo:
    return ModelInfo(backend=DETERMINISTIC, name=COMPOSER_NAME, adapter=None)


def _compose(evidence: Evidence, variant: str | None) -> VerifiedDraft:
    return verify(compose(evidence, variant), evidence)


def _llm_attempt(evidence: Evidence, backend_name: str, settings: Settings, trace: ExplainTrace, variant: str | None
                 ) -> tuple[VerifiedDraft | None, ModelInfo | None, str | None]:
    """Ask the LLM; returns (verified draft, model info, None) or (None, None, fallback reason)."""
    from app.llm import LLMUnavailable, get_backend

    if not evidence.citations:
        return None, None, "no_evidence: nothing to cite for this pair"
    try:
        llm = get_backend(backend_name, settings)
    except Exception as exc:  # noqa: BLE001 - weights missing, import errors: degrade
        return None, None, f"down: backend {backend_name} unavailable: {type(exc).__name__}: {exc}"[:300]
    trace.messages = build_messages(evidence)
    trace.schema = schema_for(evidence, settings.explain_grammar)
    try:
        results = llm.generate_json(trace.messages, trace.schema, max_new_tokens=settings.llm_max_new_tokens)
    except LLMUnavailable as exc:
        trace.llm_error = str(exc)
        if exc.results:
            trace.raw_text = exc.results[0].text
        return None, None, f"{exc.reason}: {exc}"[:300]
    except Exception as exc:  # noqa: BLE001
        trace.llm_error = str(exc)
        return None, None, f"error: {type(exc).__name__}: {exc}"[:300]
    result = next((r for r in results if r.parsed is not None), results[0])
    trace.raw_text = result.text
    trace.llm_latency_ms = result.latency_ms
    trace.tokens_generated = result.tokens_generated
    info = llm.info()
    model = ModelInfo(backend=info.get("backend") or backend_name, name=info.get("name") or "", adapter=info.get("adapter"))
    try:
        verified = verify(result.parsed, evidence, fallback_summary=compose_summary(evidence, _rng(evidence, variant)))
    except DraftError as exc:
        return None, None, f"invalid: {exc}"[:300]
    trace.llm_verified = verified
    if verified.faithfulness < settings.faithfulness_threshold:
        return None, None, (f"unfaithful: {verified.supported}/{verified.claims} claims supported "
                            f"({verified.faithfulness:.2f} < {settings.faithfulness_threshold:.2f})")
    if evidence.matched and not verified.matched:
        return None, None, "incomplete: no matched skill survived verification"
    return verified, model, None


def _rng(evidence: Evidence, variant: str | None):
    import random

    return random.Random(seed_for(evidence, variant))


def explain_traced(profile: Profile | dict, item_id: str, *, backend: str | None = None, session_id: str | None = None,
                   variant: str | None = None, settings: Settings | None = None) -> tuple[Explanation, ExplainTrace]:
    """:func:`explain` plus the trace of what happened (evaluation and training use this)."""
    started = time.perf_counter()
    settings = settings or get_settings()
    profile = _coerce_profile(profile)
    if session_id is not None and (not str(session_id).strip() or len(str(session_id)) > 200):
        raise ProfileError("session_id must be a non-empty string of at most 200 characters")
    if variant is not None and len(str(variant)) > 100:
        raise ProfileError("variant must be at most 100 characters")
    backend_name = _normalise_backend(backend, settings)
    evidence = build_evidence(profile, item_id, settings, session_id=session_id)
    trace = ExplainTrace(evidence=evidence)
    fallback: str | None = None
    verified: VerifiedDraft | None = None
    model: ModelInfo | None = None
    if backend_name != DETERMINISTIC:
        verified, model, fallback = _llm_attempt(evidence, backend_name, settings, trace, variant)
        if fallback:
            log.warning("explain %s: falling back to the composer: %s", evidence.item.id, redact(fallback))
    if verified is None or model is None:
        verified, model = _compose(evidence, variant), composer_model()
    explanation = to_explanation(evidence, verified, model=model, latency_ms=(time.perf_counter() - started) * 1000.0,
                                 fallback_reason=fallback, variant=variant)
    if session_id and settings.explain_use_memory:
        memory.remember_turn(session_id, "assistant", f"{evidence.item.title}: {explanation.summary}", settings)
    return explanation, trace


def explain(profile: Profile | dict, item_id: str, *, backend: str | None = None, session_id: str | None = None,
            variant: str | None = None, settings: Settings | None = None) -> Explanation:
    """Explain why ``item_id`` (an occupation or job posting) suits ``profile``.

    ``backend``: ``deterministic`` (composer only), ``transformers`` (in-process SmolLM2) or
    ``openai``/``vllm`` (a vLLM server); default ``settings.llm_backend``. ``session_id`` keys the
    conversation memory (past turns become evidence; this explanation becomes a turn). ``variant``
    names a phrasing variant (e.g. a bandit arm) and seeds the composer's wording.
    """
    return explain_traced(profile, item_id, backend=backend, session_id=session_id, variant=variant, settings=settings)[0]


def explain_command(profile_json_path: str | Path, item_id: str, backend: str | None = None, *,
                    session_id: str | None = None, variant: str | None = None, settings: Settings | None = None) -> dict:
    """``waypoint explain --profile P.json --item ID [--backend B]``: the explanation as a JSON-ready dict.

    Raises :class:`ProfileError` (a ``ValueError``) for a missing, oversized or malformed file and
    for bad profiles or ids; the CLI turns it into exit code 2 with the message.
    """
    settings = settings or get_settings()
    path = Path(profile_json_path)
    if not path.is_file():
        raise ProfileError(f"profile file not found: {path}")
    size = path.stat().st_size
    if size > settings.max_request_bytes:
        raise ProfileError(f"profile file too large: {size} bytes > {settings.max_request_bytes}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"malformed profile JSON in {path}: {exc}") from None
    if not item_id or not str(item_id).strip():
        raise ProfileError("missing --item id")
    result = explain(_coerce_profile(data), str(item_id).strip(), backend=backend, session_id=session_id,
                     variant=variant, settings=settings)
    return result.model_dump(mode="json")


def explain_many(pairs: list[tuple[Profile, str]], *, backend: str | None = None,
                 settings: Settings | None = None) -> list[Explanation]:
    """Several explanations, one by one through :func:`explain` (kept for batch front ends)."""
    return [explain(p, i, backend=backend, settings=settings) for p, i in pairs]


__all__ = ["DETERMINISTIC", "ExplainTrace", "explain", "explain_command", "explain_many", "explain_traced",
           "to_explanation"]
