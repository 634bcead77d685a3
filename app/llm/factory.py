"""One LLM backend per process: ``get_backend()`` picks it from ``settings.llm_backend``."""

from __future__ import annotations

import threading

from app.llm.base import LLMBackend
from retrieval.settings import LLMBackendName, Settings, backend_name, get_settings

_cache: dict[tuple, LLMBackend] = {}
_lock = threading.Lock()


def _key(name: str, s: Settings) -> tuple:
    if name == LLMBackendName.OPENAI:
        return (name, s.llm_base_url, s.llm_model_name, s.llm_adapter, s.llm_timeout_s, s.llm_max_retries)
    return (name, s.llm_model_path, str(s.models_dir), s.llm_adapter)


def get_backend(name: str | None = None, settings: Settings | None = None) -> LLMBackend:
    """The process-wide backend ``name`` (``transformers`` | ``openai``; default ``settings.llm_backend``).

    Instances are cached per (backend, relevant settings), so the model loads once per process.
    ``deterministic`` is not an LLM backend: callers use the deterministic composer instead and
    get a ``ValueError`` here.
    """
    settings = settings or get_settings()
    name = backend_name(name or settings.llm_backend or LLMBackendName.TRANSFORMERS).value
    if name == LLMBackendName.DETERMINISTIC:
        raise ValueError("'deterministic' is the composer, not an LLM backend; expected transformers or openai")
    key = _key(name, settings)
    backend = _cache.get(key)
    if backend is not None:
        return backend
    with _lock:
        backend = _cache.get(key)
        if backend is None:
            if name == LLMBackendName.OPENAI:
                from app.llm.openai_backend import OpenAIBackend

                backend = OpenAIBackend(settings=settings)
            else:
                from app.llm.transformers_backend import TransformersBackend

                backend = TransformersBackend(settings=settings)
            _cache[key] = backend
    return backend


def loaded_backend(name: str | None = None, settings: Settings | None = None) -> LLMBackend | None:
    """The backend :func:`get_backend` would return, if it is already loaded; None instead of loading it.

    Why: a health probe must not load a model itself. Loading one in the probe's thread while the server's
    warm-up loads the same libraries in another raced transformers' lazy imports ("cannot import name
    'PreTrainedTokenizerBase'"), and the probe then reported the LLM down after the warm-up had loaded it."""
    settings = settings or get_settings()
    name = backend_name(name or settings.llm_backend or LLMBackendName.TRANSFORMERS).value
    if name == LLMBackendName.DETERMINISTIC:
        return None
    return _cache.get(_key(name, settings))


def clear_backends() -> None:
    """Close and forget every cached backend (tests, settings reloads)."""
    with _lock:
        for backend in _cache.values():
            try:
                backend.close()
            except Exception:  # noqa: BLE001
                pass
        _cache.clear()


def policy_backend(name: str | None, settings: Settings, adapter: str | None) -> LLMBackend:
    """The backend of one explainer policy: ``adapter`` (a PEFT directory for transformers, a served adapter
    name for vLLM) on top of the base model, or the base model itself (None).

    Each policy gets its own cached instance (the cache key holds the adapter), so a transformers policy
    has its own merged weights and its own prefix KV cache (:class:`app.llm.prefix_cache.PrefixCache` lives
    in the backend's decoder): a prefix computed under one adapter is never reused under another.
    """
    return get_backend(name, settings.model_copy(update={"llm_adapter": adapter or ""}))


def release_backends(keep_adapters: set[str]) -> list[str]:
    """Close the cached backends whose adapter is not in ``keep_adapters`` ("" = the base); returns them.

    Called after a policy set is swapped in (hot reload), so a retired adapter's weights are freed."""
    dropped = []
    with _lock:
        for key in [k for k in _cache if (k[-1] or "") not in keep_adapters]:
            backend = _cache.pop(key)
            dropped.append(str(key[-1]))
            try:
                backend.close()
            except Exception:  # noqa: BLE001
                pass
    return dropped


def load_runtime_adapter(settings: Settings, name: str, path: str, *, timeout_s: float = 60.0) -> dict:
    """Ask a vLLM server to load a LoRA adapter at run time (``POST /v1/load_lora_adapter``; the server runs
    with ``VLLM_ALLOW_RUNTIME_LORA_UPDATING=True``). Requests then select it by ``model=name``.

    An adapter the server already has under that name is not an error (vLLM answers 400 "already
    loaded"): reloading the same registry twice is idempotent. Raises ``RuntimeError`` otherwise."""
    import httpx

    url = settings.llm_base_url.rstrip("/") + "/load_lora_adapter"
    headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
    response = httpx.post(url, json={"lora_name": name, "lora_path": path}, headers=headers, timeout=timeout_s)
    if response.status_code == 200:
        return {"adapter": name, "loaded": True}
    text = response.text[:300]
    if response.status_code == 400 and "already" in text.lower():
        return {"adapter": name, "loaded": True, "note": "already loaded"}
    raise RuntimeError(f"vLLM refused to load adapter {name!r}: HTTP {response.status_code}: {text}")
