"""One LLM backend per process: ``get_backend()`` picks it from ``settings.llm_backend``."""

from __future__ import annotations

import threading

from app.llm.base import LLMBackend
from retrieval.settings import Settings, get_settings

BACKENDS = ("transformers", "openai")
_ALIASES = {"vllm": "openai", "hf": "transformers", "local": "transformers"}

_cache: dict[tuple, LLMBackend] = {}
_lock = threading.Lock()


def _key(name: str, s: Settings) -> tuple:
    if name == "openai":
        return (name, s.llm_base_url, s.llm_model_name, s.llm_adapter, s.llm_timeout_s, s.llm_max_retries)
    return (name, s.llm_model_path, str(s.models_dir), s.llm_adapter)


def get_backend(name: str | None = None, settings: Settings | None = None) -> LLMBackend:
    """The process-wide backend ``name`` (``transformers`` | ``openai``; default ``settings.llm_backend``).

    Instances are cached per (backend, relevant settings), so the model loads once per process.
    ``deterministic`` is not an LLM backend: callers use the deterministic composer instead and
    get a ``ValueError`` here.
    """
    settings = settings or get_settings()
    name = (name or settings.llm_backend or "transformers").strip().lower()
    name = _ALIASES.get(name, name)
    if name not in BACKENDS:
        raise ValueError(f"unknown LLM backend {name!r}; expected one of {', '.join(BACKENDS)}")
    key = _key(name, settings)
    backend = _cache.get(key)
    if backend is not None:
        return backend
    with _lock:
        backend = _cache.get(key)
        if backend is None:
            if name == "openai":
                from app.llm.openai_backend import OpenAIBackend

                backend = OpenAIBackend(settings=settings)
            else:
                from app.llm.transformers_backend import TransformersBackend

                backend = TransformersBackend(settings=settings)
            _cache[key] = backend
    return backend


def clear_backends() -> None:
    """Close and forget every cached backend (tests, settings reloads)."""
    with _lock:
        for backend in _cache.values():
            try:
                backend.close()
            except Exception:  # noqa: BLE001
                pass
        _cache.clear()
