"""LLM backends behind one interface (:class:`LLMBackend`): in-process transformers or a vLLM server."""

from app.llm.base import BackendHealth, GenerationResult, LLMBackend, LLMUnavailable
from app.llm.factory import clear_backends, get_backend

__all__ = ["BackendHealth", "GenerationResult", "LLMBackend", "LLMUnavailable", "clear_backends", "get_backend"]
