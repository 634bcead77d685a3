"""OpenAI-compatible HTTP client for a vLLM server (httpx, no ``openai`` package).

* ``POST {base_url}/chat/completions`` with ``model`` = the base model's served name, or a LoRA
  adapter's name (vLLM multi-LoRA selects the adapter by model name).
* Structured output: by default the OpenAI-standard
  ``response_format={"type": "json_schema", "json_schema": {"name", "schema", "strict"}}``, which
  vLLM 0.32 turns into ``StructuredOutputsParams(json=schema)`` (xgrammar by default). vLLM's
  native ``structured_outputs={"json": schema}`` (vLLM >= 0.11) and the legacy ``guided_json``
  body field (vLLM < 0.11) are available with ``structured_mode``.
* Timeouts, a limited number of retries with exponential backoff (connection errors, timeouts,
  HTTP 429/5xx), ``n`` samples per request, concurrency for several prompts via a thread pool.
* Every failure after retries becomes :class:`LLMUnavailable` so callers can fall back.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import httpx

from app.llm.base import (
    BackendHealth,
    GenerationResult,
    LLMBackend,
    LLMUnavailable,
    Message,
    parse_json_object,
    raise_if_all_invalid,
    validate_messages,
)
from retrieval.settings import Settings, get_settings

log = logging.getLogger(__name__)

StructuredMode = Literal["response_format", "structured_outputs", "guided_json"]

_RETRY_STATUS = {408, 429, 500, 502, 503, 504}


class OpenAIBackend(LLMBackend):
    """Chat completions against an OpenAI-compatible server (vLLM), JSON-schema constrained."""

    name = "openai"

    def __init__(
        self,
        base_url: str | None = None,
        model: str | None = None,
        adapter: str | None = None,
        *,
        api_key: str | None = None,
        timeout_s: float | None = None,
        connect_timeout_s: float = 3.0,
        max_retries: int | None = None,
        backoff_s: float = 0.5,
        structured_mode: StructuredMode = "response_format",
        max_concurrency: int = 16,
        settings: Settings | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        s = self.settings
        self.base_url = (base_url or s.llm_base_url).rstrip("/")
        self.model_name = model or s.llm_model_name
        adapter = adapter if adapter is not None else (s.llm_adapter or None)
        self.adapter: str | None = adapter or None
        self.timeout_s = float(timeout_s if timeout_s is not None else s.llm_timeout_s)
        self.max_retries = max(0, int(max_retries if max_retries is not None else s.llm_max_retries))
        self.backoff_s = backoff_s
        self.structured_mode: StructuredMode = structured_mode
        self.max_concurrency = max(1, max_concurrency)
        key = api_key if api_key is not None else s.llm_api_key
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._client = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(self.timeout_s, connect=min(connect_timeout_s, self.timeout_s)),
            limits=httpx.Limits(
                max_connections=self.max_concurrency + 4, max_keepalive_connections=self.max_concurrency
            ),
            transport=transport,
        )
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    # ----------------------------------------------------------------------------------------
    # HTTP with retries

    @property
    def request_model(self) -> str:
        """The ``model`` field sent: the adapter's served name when one is selected."""
        return self.adapter or self.model_name

    def _request(
        self,
        method: str,
        path: str,
        json_body: dict | None = None,
        *,
        retries: int | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        attempts = 1 + (self.max_retries if retries is None else retries)
        last: Exception | None = None
        reason = "down"
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.backoff_s * (2 ** (attempt - 1)))
            try:
                kwargs: dict[str, Any] = {}
                if timeout is not None:
                    kwargs["timeout"] = httpx.Timeout(timeout, connect=min(3.0, timeout))
                response = self._client.request(method, path, json=json_body, **kwargs)
            except httpx.TimeoutException as exc:
                last, reason = exc, "timeout"
                continue
            except httpx.TransportError as exc:  # connection refused/reset, DNS, protocol errors
                last, reason = exc, "down"
                continue
            if response.status_code in _RETRY_STATUS:
                last, reason = _HTTPStatus(response), "error"
                continue
            if response.status_code >= 400:
                raise LLMUnavailable(
                    f"openai: HTTP {response.status_code} from {path}: {_error_text(response)}",
                    reason="error",
                    backend=self.name,
                )
            return response
        raise LLMUnavailable(
            f"openai: {method} {self.base_url}{path} failed after {attempts} attempt(s): {type(last).__name__}: {last}",
            reason=reason,  # type: ignore[arg-type]
            backend=self.name,
        )

    # ----------------------------------------------------------------------------------------

    def _body(
        self, messages: list[Message], schema: dict[str, Any], max_new_tokens: int, temperature: float, n: int
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.request_model,
            "messages": messages,
            "max_tokens": max_new_tokens,
            "temperature": max(0.0, float(temperature)),
            "n": n,
        }
        if self.structured_mode == "response_format":
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": str(schema.get("title") or "response"), "schema": schema, "strict": True},
            }
        elif self.structured_mode == "structured_outputs":
            body["structured_outputs"] = {"json": schema}
        else:
            body["guided_json"] = schema
        return body

    def generate_json(
        self,
        messages: list[Message],
        schema: dict[str, Any],
        max_new_tokens: int | None = None,
        temperature: float = 0.0,
        n: int = 1,
    ) -> list[GenerationResult]:
        validate_messages(messages)
        if n < 1:
            raise ValueError("n must be >= 1")
        max_new_tokens = int(max_new_tokens or self.settings.llm_max_new_tokens)
        started = time.perf_counter()
        response = self._request(
            "POST", "/chat/completions", self._body(messages, schema, max_new_tokens, temperature, n)
        )
        latency_ms = (time.perf_counter() - started) * 1000.0
        try:
            payload = response.json()
            choices = payload["choices"]
        except (ValueError, KeyError, TypeError) as exc:
            raise LLMUnavailable(f"openai: malformed response: {exc}", reason="error", backend=self.name) from exc
        usage = payload.get("usage") or {}
        completion_tokens = int(usage.get("completion_tokens") or 0)
        served_model = str(payload.get("model") or self.request_model)
        results: list[GenerationResult] = []
        for choice in sorted(choices, key=lambda c: c.get("index", 0)):
            text = ((choice.get("message") or {}).get("content")) or ""
            parsed, valid, error = parse_json_object(text, schema)
            results.append(
                GenerationResult(
                    text=text,
                    parsed=parsed,
                    latency_ms=latency_ms,
                    tokens_generated=0,
                    model=self.model_name,
                    adapter=self.adapter
                    if self.adapter
                    else (served_model if served_model != self.model_name else None),
                    backend=self.name,
                    finish_reason=choice.get("finish_reason"),
                    schema_valid=valid,
                    error=error,
                )
            )
        if not results:
            raise LLMUnavailable("openai: response has no choices", reason="error", backend=self.name)
        # usage is per request; split it across samples (exact for n=1)
        share, extra = divmod(completion_tokens, len(results))
        for i, r in enumerate(results):
            r.tokens_generated = share + (1 if i < extra else 0)
        return raise_if_all_invalid(results, self.name)

    def generate_json_many(
        self,
        conversations: list[list[Message]],
        schema: dict[str, Any],
        max_new_tokens: int | None = None,
        temperature: float = 0.0,
        n: int = 1,
    ) -> list[list[GenerationResult] | LLMUnavailable]:
        """Concurrent requests (the server batches them); order matches ``conversations``."""

        def one(messages: list[Message]) -> list[GenerationResult] | LLMUnavailable:
            try:
                return self.generate_json(messages, schema, max_new_tokens, temperature, n)
            except LLMUnavailable as exc:
                return exc

        if len(conversations) <= 1:
            return [one(m) for m in conversations]
        return list(self._executor().map(one, conversations))

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="llm-http")
            return self._pool

    # ----------------------------------------------------------------------------------------

    def list_models(self) -> list[dict[str, Any]]:
        """``GET /models``: the base model and every LoRA adapter (``parent`` = its base) served."""
        response = self._request("GET", "/models", timeout=min(self.timeout_s, 5.0))
        try:
            return list(response.json()["data"])
        except (ValueError, KeyError, TypeError) as exc:
            raise LLMUnavailable(
                f"openai: malformed /models response: {exc}", reason="error", backend=self.name
            ) from exc

    def health(self) -> BackendHealth:
        started = time.perf_counter()
        try:
            models = self.list_models()
        except LLMUnavailable as exc:
            return BackendHealth(
                ok=False,
                backend=self.name,
                model=self.model_name,
                adapter=self.adapter,
                detail=str(exc),
                latency_ms=(time.perf_counter() - started) * 1000.0,
                extra={"reason": exc.reason, "base_url": self.base_url},
            )
        ids = [m.get("id") for m in models]
        ok = self.request_model in ids
        detail = "ok" if ok else f"model {self.request_model!r} not served (served: {ids})"
        return BackendHealth(
            ok=ok,
            backend=self.name,
            model=self.model_name,
            adapter=self.adapter,
            detail=detail,
            latency_ms=(time.perf_counter() - started) * 1000.0,
            extra={"base_url": self.base_url, "served": ids},
        )

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False)
                self._pool = None
        self._client.close()


class _HTTPStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}: {_error_text(response)}")
        self.status_code = response.status_code


def _error_text(response: httpx.Response, limit: int = 300) -> str:
    try:
        text = response.text
    except Exception:  # noqa: BLE001
        return ""
    return text[:limit]
