"""Grounded explanations: RAG evidence → prompt → LLM (JSON-constrained) → verification → Explanation.

Public API: :func:`explain` / :func:`explain_command` (one code path for CLI, REST and UI),
:class:`Explanation`, :func:`build_memory` (the Qdrant RAG memory, called by ``waypoint ingest``).
"""

from app.explain.memory import build_memory, ingest_hook
from app.explain.schema import Explanation, Fit
from app.explain.service import explain, explain_command, explain_traced

__all__ = ["Explanation", "Fit", "build_memory", "explain", "explain_command", "explain_traced", "ingest_hook"]
