"""The one interface every LLM backend implements.

A backend turns chat messages plus a JSON schema into JSON text that follows the schema
(constrained decoding, in-process or on a vLLM server). Callers (the explanation pipeline,
evaluation, benchmarks) only see :class:`LLMBackend`, :class:`GenerationResult` and
:class:`LLMUnavailable`; the latter means "fall back to the deterministic composer".
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}

UnavailableReason = Literal["down", "timeout", "invalid", "error"]


class LLMUnavailable(RuntimeError):
    """The LLM cannot give a usable answer now: server down, too slow, or invalid output.

    ``reason`` is one of ``down`` (connection refused, not loaded), ``timeout`` (slow),
    ``invalid`` (no sample parsed as JSON) or ``error`` (anything else, e.g. HTTP 4xx/5xx).
    ``results`` holds whatever was generated (for ``invalid``), for logging and evaluation.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: UnavailableReason = "error",
        backend: str = "",
        results: list[GenerationResult] | None = None,
    ) -> None:
        super().__init__(message)
        self.reason: UnavailableReason = reason
        self.backend = backend
        self.results = results or []


@dataclass
class GenerationResult:
    """One generated sample."""

    text: str
    parsed: dict[str, Any] | None  # the JSON object, or None when the text is not a JSON object
    latency_ms: float  # wall time of the request/batch that produced this sample
    tokens_generated: int
    model: str  # base model name
    adapter: str | None  # LoRA adapter name, None for the base model
    backend: str = ""
    finish_reason: str | None = None  # "stop" | "length" | ...
    schema_valid: bool | None = None  # jsonschema verdict; None when jsonschema is unavailable
    error: str | None = None  # why parsing/validation failed

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class BackendHealth:
    ok: bool
    backend: str
    model: str
    adapter: str | None
    detail: str = ""
    latency_ms: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class LLMBackend(ABC):
    """Chat messages + JSON schema → schema-constrained JSON samples."""

    name: str = "base"  # "transformers" | "openai"
    model_name: str = ""
    adapter: str | None = None

    @abstractmethod
    def generate_json(
        self,
        messages: list[Message],
        schema: dict[str, Any],
        max_new_tokens: int | None = None,
        temperature: float = 0.0,
        n: int = 1,
    ) -> list[GenerationResult]:
        """Return ``n`` samples constrained to ``schema``.

        Raises :class:`LLMUnavailable` when the backend is down or slow, or when no sample
        is a JSON object. Individual samples may still have ``parsed=None`` (e.g. truncated
        at ``max_new_tokens``) when at least one other sample parsed.
        """

    def generate_json_many(
        self,
        conversations: list[list[Message]],
        schema: dict[str, Any],
        max_new_tokens: int | None = None,
        temperature: float = 0.0,
        n: int = 1,
    ) -> list[list[GenerationResult] | LLMUnavailable]:
        """Several prompts at once (batched or concurrent where the backend can).

        One entry per conversation: its samples, or the :class:`LLMUnavailable` it raised.
        """
        out: list[list[GenerationResult] | LLMUnavailable] = []
        for messages in conversations:
            try:
                out.append(self.generate_json(messages, schema, max_new_tokens, temperature, n))
            except LLMUnavailable as exc:
                out.append(exc)
        return out

    @abstractmethod
    def health(self) -> BackendHealth:
        """Cheap liveness check; never raises."""

    def info(self) -> dict[str, Any]:
        """The ``model`` block of an explanation."""
        return {"backend": self.name, "name": self.model_name, "adapter": self.adapter}

    def close(self) -> None:  # pragma: no cover - default no-op
        """Release resources (HTTP connections, model memory)."""


# --------------------------------------------------------------------------------------------
# helpers shared by backends


def parse_json_object(text: str, schema: dict[str, Any] | None = None) -> tuple[dict | None, bool | None, str | None]:
    """Parse ``text`` as one JSON object; validate against ``schema`` when jsonschema is installed.

    Returns ``(parsed, schema_valid, error)``. ``parsed`` is the object even when it fails
    validation (the caller decides); it is None only when the text is not a JSON object.
    """
    stripped = text.strip()
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError as exc:
        return None, False, f"not JSON: {exc.msg} at {exc.pos}"
    if not isinstance(value, dict):
        return None, False, f"JSON is a {type(value).__name__}, not an object"
    if not schema:
        return value, None, None
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema ships with outlines/xgrammar deps
        return value, None, None
    try:
        jsonschema.validate(value, schema)
    except jsonschema.ValidationError as exc:
        return value, False, f"schema: {exc.message}"
    except jsonschema.SchemaError as exc:  # a bad schema is the caller's bug, not the model's
        return value, None, f"bad schema: {exc.message}"
    return value, True, None


def raise_if_all_invalid(results: list[GenerationResult], backend: str) -> list[GenerationResult]:
    if results and all(r.parsed is None for r in results):
        reasons = "; ".join(sorted({r.error or "unparsed" for r in results}))
        raise LLMUnavailable(
            f"{backend}: no sample was a JSON object ({reasons})", reason="invalid", backend=backend, results=results
        )
    return results


def validate_messages(messages: list[Message]) -> None:
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages must be a non-empty list of {'role', 'content'} dicts")
    for message in messages:
        if not isinstance(message, dict) or "role" not in message or "content" not in message:
            raise ValueError(f"bad message: {message!r}")
        if message["role"] not in ("system", "user", "assistant"):
            raise ValueError(f"bad role: {message['role']!r}")
