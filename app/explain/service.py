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

import contextvars
import dataclasses
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

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
from retrieval.settings import LLMBackendName, Settings, backend_name, get_settings

log = logging.getLogger(__name__)

DETERMINISTIC = LLMBackendName.DETERMINISTIC.value


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
    """The canonical name of the backend asked for (default: the configured one); ValueError if unknown."""
    return backend_name(name or settings.llm_backend or DETERMINISTIC).value


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


def to_explanation(
    evidence: Evidence,
    verified: VerifiedDraft,
    *,
    model: ModelInfo,
    latency_ms: float,
    fallback_reason: str | None,
    variant: str | None,
) -> Explanation:
    """The public object from verified claims; only citations something refers to are included."""
    used: list[str] = []

    def use(ids: list[str]) -> list[str]:
        for cid in ids:
            if cid not in used:
                used.append(cid)
        return ids

    matched = [
        MatchedSkillOut(id=s.id, label=s.label, importance=s.importance, evidence=use(c), provenance=s.provenance)
        for s, c in verified.matched
    ]
    missing = [
        MissingSkillOut(
            id=s.id,
            label=s.label,
            importance=s.importance,
            courses=s.courses,
            evidence=use(list(s.citations)),
            deeper=s.reason == "deeper",
            on_the_job=s.on_the_job,
            hands_on=s.hands_on,
        )
        for s in verified.missing
    ]
    partial = [
        PartialSkillOut(
            id=s.id,
            label=s.label,
            importance=s.importance,
            reason=s.reason,
            via={k: v for k, v in s.via.items() if k in ("id", "label")},
            evidence=use(list(s.citations)),
        )
        for s in evidence.partial
    ]
    steps = [t for t, _ in verified.steps]
    step_cites = [use(c) for _, c in verified.steps]
    order = {c.id: n for n, c in enumerate(evidence.citations)}
    citations = [CitationOut(id=c.id, source=c.source, text=c.text) for c in evidence.citations if c.id in used]
    citations.sort(key=lambda c: order[c.id])
    return Explanation(
        item=evidence.item,
        fit=verified.fit,
        summary=verified.summary,
        matched_skills=matched,
        partial_skills=partial,
        missing_skills=missing,
        next_steps=steps,
        next_step_evidence=step_cites,
        citations=citations,
        faithfulness=verified.faithfulness,
        model=model,
        latency_ms=int(round(latency_ms)),
        fallback_reason=fallback_reason,
        variant=variant or "default",
        coverage=evidence.coverage,
        verification=Verification(claims=verified.claims, supported=verified.supported, dropped=verified.dropped),
    )


def composer_model() -> ModelInfo:
    return ModelInfo(backend=DETERMINISTIC, name=COMPOSER_NAME, adapter=None)


def _compose(evidence: Evidence, variant: str | None) -> VerifiedDraft:
    return verify(compose(evidence, variant), evidence)


def _llm_attempt(
    evidence: Evidence,
    backend_name: str,
    settings: Settings,
    trace: ExplainTrace,
    variant: str | None,
    on_text: Callable[[str], None] | None = None,
) -> tuple[VerifiedDraft | None, ModelInfo | None, str | None]:
    """Ask the LLM; returns (verified draft, model info, None) or (None, None, fallback reason).

    ``on_text`` (streaming): gets the answer's text so far as the backend decodes it, where it can
    (:func:`_generate`); the result is the same as without it."""
    from app.llm import LLMUnavailable

    if not evidence.citations:
        return None, None, "no_evidence: nothing to cite for this pair"
    try:  # the explainer policy the logging policy chose for this request, recording what it writes
        from app.feedback.policies import active_backend

        llm = active_backend(backend_name, settings, evidence_key=evidence.key, turns=evidence.turns)
    except Exception as exc:  # noqa: BLE001 - weights missing, import errors: degrade
        return None, None, f"down: backend {backend_name} unavailable: {type(exc).__name__}: {exc}"[:300]
    trace.messages = build_messages(evidence)
    trace.schema = schema_for(evidence, settings.explain_grammar)
    try:
        results = _generate(llm, trace.messages, trace.schema, settings, on_text)
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
    model = ModelInfo(
        backend=info.get("backend") or backend_name, name=info.get("name") or "", adapter=info.get("adapter")
    )
    try:
        verified = verify(result.parsed, evidence, fallback_summary=compose_summary(evidence, _rng(evidence, variant)))
    except DraftError as exc:
        return None, None, f"invalid: {exc}"[:300]
    trace.llm_verified = verified
    if verified.faithfulness < settings.faithfulness_threshold:
        return (
            None,
            None,
            (
                f"unfaithful: {verified.supported}/{verified.claims} claims supported "
                f"({verified.faithfulness:.2f} < {settings.faithfulness_threshold:.2f})"
            ),
        )
    if evidence.matched and not verified.matched:
        return None, None, "incomplete: no matched skill survived verification"
    return verified, model, None


def grounded_lists(verified: VerifiedDraft, evidence: Evidence, variant: str | None) -> VerifiedDraft:
    """The LLM's verified text with the skill lists the skeleton showed: the matched and missing skills are
    facts of the evidence (stated before inferred, gaps in order of what matters), not the model's choice.

    The grammar lets the model pick which skills to list, and a small model sometimes lists none ("missing
    skills: []" for a teacher moving into programming, whose summary then names a gap the page never
    shows), or other ones than the skeleton a streaming reader has already seen. Its claims are still
    verified and counted (``claims``/``supported``); only what the page lists is the evidence's."""
    grounded = _compose(evidence, variant)
    return dataclasses.replace(verified, matched=grounded.matched, missing=grounded.missing)


def _rng(evidence: Evidence, variant: str | None):
    import random

    return random.Random(seed_for(evidence, variant))


class StreamCancelled(Exception):
    """The reader of a streamed explanation went away: raised from the token callback, it stops the decode
    at its next forward pass, so the backend (and the caller's LLM slot) is free for the next request."""


def _generate(
    llm: Any,
    messages: list[dict[str, str]],
    schema: dict[str, Any],
    settings: Settings,
    on_text: Callable[[str], None] | None,
) -> list[Any]:
    """``llm.generate_json``, or -- with ``on_text`` and a backend that decodes step by step in process
    (:meth:`app.llm.transformers_backend.TransformersBackend.decode_one`, every decoding but ``generate``)
    -- the same single answer, its text so far passed to ``on_text`` each time new tokens are final. Failures
    map to :class:`~app.llm.base.LLMUnavailable` exactly as ``generate_json`` maps them (error / invalid /
    timeout), so the explanation is the same either way. Other backends answer whole (two-phase stream)."""
    from app.llm import LLMUnavailable
    from app.llm.base import raise_if_all_invalid

    decode_one = getattr(llm, "decode_one", None)
    if on_text is None or decode_one is None or getattr(llm, "decoding", "generate") == "generate":
        return llm.generate_json(messages, schema, max_new_tokens=settings.llm_max_new_tokens)
    tokens: list[int] = []

    def on_tokens(ids: list[int]) -> None:
        tokens.extend(ids)  # decoded whole each time: a token may complete a character the last one began
        on_text(llm.tokenizer.decode(tokens, skip_special_tokens=True))

    try:
        sample, run = decode_one(messages, schema, settings.llm_max_new_tokens, on_tokens=on_tokens)
    except StreamCancelled:
        raise LLMUnavailable(f"{llm.name}: the reader went away", reason="error", backend=llm.name) from None
    except Exception as exc:  # noqa: BLE001 - any failure means "fall back", as in generate_json
        log.exception("%s generation failed", llm.name)
        raise LLMUnavailable(f"{llm.name}: generation failed: {exc}", reason="error", backend=llm.name) from None
    try:
        return raise_if_all_invalid([sample], llm.name)
    except LLMUnavailable as invalid:
        if run.finish_reason != "time":
            raise
        raise LLMUnavailable(
            f"{llm.name}: generation exceeded {llm.max_time_s:.0f}s",
            reason="timeout",
            backend=llm.name,
            results=invalid.results,
        ) from None


def explain_traced(
    profile: Profile | dict,
    item_id: str,
    *,
    backend: str | None = None,
    session_id: str | None = None,
    variant: str | None = None,
    settings: Settings | None = None,
) -> tuple[Explanation, ExplainTrace]:
    """:func:`explain` plus the trace of what happened (evaluation and training use this)."""
    started = time.perf_counter()
    settings, backend_name, evidence = _prepare(profile, item_id, backend, session_id, variant, settings)
    trace = ExplainTrace(evidence=evidence)
    attempt: tuple[VerifiedDraft | None, ModelInfo | None, str | None] = (None, None, None)
    if backend_name != DETERMINISTIC:
        attempt = _llm_attempt(evidence, backend_name, settings, trace, variant)
    explanation = _finish(evidence, attempt, started, variant)
    return explanation, trace


def _prepare(
    profile: Profile | dict,
    item_id: str,
    backend: str | None,
    session_id: str | None,
    variant: str | None,
    settings: Settings | None,
) -> tuple[Settings, str, Evidence]:
    """Check the request and build its evidence (what :func:`explain_traced` and :func:`explain_stream` share);
    bad input raises :class:`ProfileError` / ``ValueError`` here, before anything is written or streamed."""
    settings = settings or get_settings()
    profile = _coerce_profile(profile)
    if session_id is not None and (not str(session_id).strip() or len(str(session_id)) > 200):
        raise ProfileError("session_id must be a non-empty string of at most 200 characters")
    if variant is not None and len(str(variant)) > 100:
        raise ProfileError("variant must be at most 100 characters")
    backend_name = _normalise_backend(backend, settings)
    return settings, backend_name, build_evidence(profile, item_id, settings, session_id=session_id)


def _finish(
    evidence: Evidence,
    attempt: tuple[VerifiedDraft | None, ModelInfo | None, str | None],
    started: float,
    variant: str | None,
) -> Explanation:
    """The explanation from the LLM's attempt, or the composer's when it failed (``attempt[2]`` says why).
    One place, so a stream's ``done`` is what :func:`explain` returns.

    Nothing is written to the conversation memory: the explanation is the LLM's own words, and evidence
    quotes only what the person said (``memory.recall_turns(role="user")``); recording it cost an embedding
    and an upsert per explanation for text no prompt reads."""
    verified, model, fallback = attempt
    if fallback:
        log.warning("explain %s: falling back to the composer: %s", evidence.item.id, redact(fallback))
    if verified is None or model is None:
        verified, model = _compose(evidence, variant), composer_model()
    else:
        verified = grounded_lists(verified, evidence, variant)
    explanation = to_explanation(
        evidence,
        verified,
        model=model,
        latency_ms=(time.perf_counter() - started) * 1000.0,
        fallback_reason=fallback,
        variant=variant,
    )
    return explanation


def explain(
    profile: Profile | dict,
    item_id: str,
    *,
    backend: str | None = None,
    session_id: str | None = None,
    variant: str | None = None,
    settings: Settings | None = None,
) -> Explanation:
    """Explain why ``item_id`` (an occupation or job posting) suits ``profile``.

    ``backend``: ``deterministic`` (composer only), ``transformers`` (in-process SmolLM2) or
    ``openai``/``vllm`` (a vLLM server); default ``settings.llm_backend``. ``session_id`` keys the
    conversation memory (past turns become evidence; this explanation becomes a turn). ``variant``
    names a phrasing variant (e.g. a bandit arm) and seeds the composer's wording.
    """
    return explain_traced(profile, item_id, backend=backend, session_id=session_id, variant=variant, settings=settings)[
        0
    ]


# ------------------------------------------------------------------------------------------------ streaming
SKELETON_KEYS = {
    "item",
    "fit",
    "coverage",
    "matched_skills",
    "partial_skills",
    "missing_skills",
    "citations",
    "variant",
}
_JSON = json.JSONDecoder()


def skeleton(evidence: Evidence, variant: str | None = None) -> dict[str, Any]:
    """The grounded part of an explanation, known from the evidence before any text is written: the item,
    the fit, and the matched (with provenance), partly covered and missing skills with their citations --
    the claims the composer makes from this evidence (the fallback's own), numbered as a reader meets them.
    ``state`` is ``"writing"``; ``summary`` and ``next_steps`` stay empty until the text comes."""
    verified = dataclasses.replace(_compose(evidence, variant), summary="", steps=[])
    shell = to_explanation(
        evidence, verified, model=composer_model(), latency_ms=0.0, fallback_reason=None, variant=variant
    )
    out = shell.model_dump(mode="json", include=SKELETON_KEYS)
    out.update(state="writing", summary="", next_steps=[], next_step_evidence=[])
    return out


def _step_events(e: Explanation, start: int) -> list[tuple[str, dict[str, Any]]]:
    """``next_step`` events for ``e``'s steps from ``start`` on, each with its citations resolved."""
    by_id = {c.id: c.model_dump(mode="json") for c in e.citations}
    events = []
    for n in range(start, len(e.next_steps)):
        ids = e.next_step_evidence[n] if n < len(e.next_step_evidence) else []
        events.append(("next_step", {"text": e.next_steps[n], "citations": [by_id[i] for i in ids if i in by_id]}))
    return events


def partial_draft(text: str) -> dict[str, Any] | None:
    """What a partial answer of the grammar already holds for certain: every field before ``next_steps``
    (the grammar writes them in order: fit, matched skills, missing skills, next steps, summary) and the
    step objects already closed; ``summary`` empty. None before ``next_steps`` has begun."""
    key = text.find('"next_steps"')
    if key < 0:
        return None
    try:
        head = json.loads(text[:key].rstrip().rstrip(",") + "}")
    except json.JSONDecodeError:
        return None
    steps: list[Any] = []
    i = text.find("[", key)
    while 0 <= i < len(text):
        i += 1
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if i >= len(text) or text[i] == "]":
            break
        try:
            step, i = _JSON.raw_decode(text, i)
        except json.JSONDecodeError:
            break  # the next step is still being written
        steps.append(step)
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if i >= len(text) or text[i] != ",":
            break
    return {**head, "next_steps": steps, "summary": ""} if isinstance(head, dict) else None


def _verified_steps(evidence: Evidence, draft: dict[str, Any], variant: str | None) -> Explanation | None:
    """The explanation so far of a partial answer (:func:`partial_draft`): its steps verified as
    :func:`verify` verifies the whole answer (each step on its own), numbered as the finished explanation
    numbers them."""
    try:
        verified = verify(draft, evidence, fallback_summary="-")
    except DraftError:
        return None
    return to_explanation(
        evidence,
        dataclasses.replace(verified, summary=""),
        model=composer_model(),
        latency_ms=0.0,
        fallback_reason=None,
        variant=variant,
    )


def explain_stream(
    profile: Profile | dict,
    item_id: str,
    *,
    backend: str | None = None,
    session_id: str | None = None,
    variant: str | None = None,
    settings: Settings | None = None,
    cancel: threading.Event | None = None,
) -> Generator[tuple[str, Any], None, None]:
    """:func:`explain`, as events while it is written: ``(name, data)`` pairs.

    1. ``("skeleton", dict)`` at once, from the evidence (:func:`skeleton`), before the LLM starts;
    2. ``("next_step", {"text", "citations"})`` for each verified next step -- with the in-process backend
       as soon as the model has closed it (the grammar writes the steps before the summary), otherwise
       when the whole answer is in;
    3. ``("rewrite", {"reason"})`` only when text was already streamed and the answer as a whole is then
       rejected (unfaithful, incomplete): the composer's text follows instead, as in :func:`explain`;
    4. ``("summary", {"text", "citations"})`` once the whole answer is verified;
    5. ``("done", Explanation)``: exactly what :func:`explain` returns for the same request (same
       verification, same fallback to the composer on timeout or error, memory written once).

    Bad input raises on the first ``next()`` (before anything is yielded). ``cancel`` set (or the generator
    closed) stops the LLM at its next forward pass and ends the stream without ``done``."""
    started = time.perf_counter()
    settings, backend_name, evidence = _prepare(profile, item_id, backend, session_id, variant, settings)
    yield "skeleton", skeleton(evidence, variant)
    cancel = cancel if cancel is not None else threading.Event()
    stop = threading.Event()  # this generator is closed or done: the worker stops at its next token
    attempt: tuple[VerifiedDraft | None, ModelInfo | None, str | None] = (None, None, None)
    sent: list[str] = []  # the step texts streamed so far
    try:
        if backend_name != DETERMINISTIC:
            inbox: queue.Queue = queue.Queue()

            def on_text(text: str) -> None:
                if stop.is_set() or cancel.is_set():
                    raise StreamCancelled()
                inbox.put(("text", text))

            def work() -> None:
                try:
                    result = _llm_attempt(
                        evidence, backend_name, settings, ExplainTrace(evidence=evidence), variant, on_text
                    )
                except BaseException as exc:  # noqa: BLE001 - like every LLM failure: the composer answers
                    result = (None, None, f"error: {type(exc).__name__}: {exc}"[:300])
                inbox.put(("result", result))

            # the worker decodes; this generator turns its text into verified events (a generator cannot yield
            # from inside the backend's callback). copy_context: the request's load_only() and explainer policy
            # (app.feedback.policies.activate) hold in the worker too.
            threading.Thread(
                target=contextvars.copy_context().run, args=(work,), name="waypoint-explain-stream", daemon=True
            ).start()
            closed = 0  # step objects the answer has closed so far
            while True:
                try:
                    kind, payload = inbox.get(timeout=0.1)
                    while kind == "text" and not inbox.empty():  # behind: only the latest text matters
                        kind, payload = inbox.get_nowait()
                except queue.Empty:
                    kind, payload = None, None
                if cancel.is_set():
                    return
                if kind == "result":
                    attempt = payload
                    break
                if kind == "text":
                    draft = partial_draft(payload)
                    if draft is None or len(draft["next_steps"]) <= closed:
                        continue
                    closed = len(draft["next_steps"])
                    so_far = _verified_steps(evidence, draft, variant)
                    for name, data in _step_events(so_far, len(sent)) if so_far is not None else []:
                        sent.append(data["text"])
                        yield name, data
    finally:
        stop.set()  # closed early: the worker's next token raises StreamCancelled (a no-op once it has finished)
    explanation = _finish(evidence, attempt, started, variant)
    if sent and explanation.next_steps[: len(sent)] != sent:
        yield "rewrite", {"reason": explanation.fallback_reason or "the verified answer differs from the streamed text"}
        sent = []
    yield from _step_events(explanation, len(sent))
    yield "summary", {"text": explanation.summary, "citations": []}
    yield "done", explanation


def explain_command(
    profile_json_path: str | Path,
    item_id: str,
    backend: str | None = None,
    *,
    session_id: str | None = None,
    variant: str | None = None,
    settings: Settings | None = None,
) -> dict:
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
    result = explain(
        _coerce_profile(data),
        str(item_id).strip(),
        backend=backend,
        session_id=session_id,
        variant=variant,
        settings=settings,
    )
    return result.model_dump(mode="json")


def explain_many(
    pairs: list[tuple[Profile, str]], *, backend: str | None = None, settings: Settings | None = None
) -> list[Explanation]:
    """Several explanations, one by one through :func:`explain` (kept for batch front ends)."""
    return [explain(p, i, backend=backend, settings=settings) for p, i in pairs]


__all__ = [
    "DETERMINISTIC",
    "ExplainTrace",
    "StreamCancelled",
    "explain",
    "explain_command",
    "explain_many",
    "explain_stream",
    "explain_traced",
    "partial_draft",
    "skeleton",
    "to_explanation",
]
