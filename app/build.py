"""``waypoint build``: every model and index the server loads, and the list the server checks.

One list serves both sides on purpose: what the build makes (:func:`build`) and what a server refuses
to start serving without (``app/api/readiness.py``) cannot drift apart. It is retrieval's components
(:func:`retrieval.indexing.retrieval_components`) plus the explanation memory, which lives in ``app``.
The memory is optional for serving: explanations fall back to catalogue passages without it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from retrieval.artifacts import Component, NotBuilt, build_components
from retrieval.indexing import catalogue_fingerprint, retrieval_components
from retrieval.settings import LLMBackendName, Settings

__all__ = ["build", "components"]

INTENT_STAMP = "waypoint_intent_version"  # in the intent model's folder: the examples' version it learnt


def _build_memory(settings: Settings, show_progress: bool) -> list[Path]:
    """The ``explain_*`` collections (skipped when they hold this catalogue), closed again afterwards so
    that a server can open them."""
    from app.explain import memory

    memory.build_memory(settings, show_progress=show_progress)
    files: list[Path] = []
    for kind in memory.CATALOGUE_COLLECTIONS:
        store = memory._store(kind, settings)
        location = getattr(store, "path", None)
        if isinstance(location, Path) and store.exists():
            files.append(location)
        store.close()
    return files


def _build_llm(settings: Settings, show_progress: bool) -> list[Path]:
    from app.llm.model_files import ensure_smollm2

    return [ensure_smollm2(settings)]


def _build_courses(settings: Settings, show_progress: bool) -> list[Path]:
    from retrieval.courses.relevance import build

    return build(settings, show_progress=show_progress)


def _build_intent(settings: Settings, show_progress: bool) -> list[Path]:
    """The chat's SetFit intent model (app/ui/routing.py), trained on the hand-written intent examples.

    The model's folder has no version in its name, so the examples' version it was trained on is stamped in
    it: a model trained on older examples is retrained, not re-recorded as current (it was, until the
    follow-up examples of INTENT_VERSION 2)."""
    from retrieval.rerankers.intent_examples import INTENT_VERSION
    from retrieval.rerankers.setfit_models import model_dir, reset_cache
    from retrieval.rerankers.setfit_training import SetFitConfig, train_intent

    out = model_dir("intent", settings)
    stamp = out / INTENT_STAMP
    current = stamp.is_file() and stamp.read_text().strip() == INTENT_VERSION
    if not current or not (out / "waypoint_labels.json").exists():
        train_intent(SetFitConfig(tasks=["intent"], output_dir=str(out.parent), show_progress=show_progress))
        stamp.write_text(INTENT_VERSION + "\n")
        reset_cache()
    return [out]


def _build_jobs_cold(settings: Settings, show_progress: bool) -> list[Path]:
    """The cold-start job ranking's postings, each linked to O*NET (retrieval/jobs/cold_service.py;
    eval/reports/jobs_cold_start.md)."""
    from retrieval.jobs.cold_service import build as build_cold

    return build_cold(settings, show_progress=show_progress)


def _has_job_views(settings: Settings) -> bool:
    from retrieval.jobs.cold_service import has_job_views

    return has_job_views(settings)


def components() -> list[Component]:
    """What ``waypoint build`` builds, in order; the required ones are what a server needs to serve."""
    from app.explain.memory import MEMORY_VERSION
    from retrieval.courses.index import INDEX_VERSION
    from retrieval.jobs.cold_train import COLD_VERSION
    from retrieval.jobs.posting_links import LINKS_VERSION
    from retrieval.rerankers.intent_examples import INTENT_VERSION

    return [
        *retrieval_components(),
        Component(
            "jobs_cold",
            "postings linked to O*NET occupations (cold-start job ranking)",
            {"cold": COLD_VERSION, "links": LINKS_VERSION},
            _build_jobs_cold,
            applies=_has_job_views,
        ),
        Component("courses", "course index (languages and vectors)", {"index": INDEX_VERSION}, _build_courses),
        # Optional: without it the chat routes with the nearest-centroid intent classifier (measured in
        # eval/reports/chat_routing.md: 0.853 against 0.941 with it).
        Component(
            "intent",
            "SetFit chat-intent model",
            {"intent": INTENT_VERSION},
            _build_intent,
            applies=lambda s: s.chat_intent_model,
            required=False,
        ),
        Component(
            "explain_memory",
            "explanation memory (Qdrant passages)",
            {"memory": MEMORY_VERSION},
            _build_memory,
            applies=lambda s: s.explain_use_memory,
            required=False,
        ),
        # Optional for serving: without it, explanations fall back to the deterministic composer.
        Component(
            "llm",
            "SmolLM2 model folder for WAYPOINT_LLM_BACKEND=transformers",
            {"smollm2": "1"},
            _build_llm,
            applies=lambda s: s.llm_backend == LLMBackendName.TRANSFORMERS and not s.llm_model_path,
            required=False,
        ),
    ]


def build(
    settings: Settings,
    *,
    include_optional: bool = True,
    recheck: bool = False,
    show_progress: bool = True,
    say: Callable[[str], None] = print,
) -> dict[str, dict[str, Any]]:
    """Build what is missing or stale on ``settings.home`` (see :func:`retrieval.artifacts.build_components`).

    ``include_optional=False`` skips what a server can do without (the explanation memory: minutes of
    embedding). ``recheck`` runs every builder even when the manifest says it is current (each still reuses
    the files that exist), to re-record a home whose files were replaced by hand."""
    fingerprint = catalogue_fingerprint(settings)
    if not fingerprint:
        raise NotBuilt(
            f"there is no catalogue at {settings.catalogue_path}: run `waypoint ingest` (it builds the "
            "catalogue, then the models)"
        )
    return build_components(
        settings,
        components(),
        fingerprint,
        force=recheck,
        include_optional=include_optional,
        show_progress=show_progress,
        say=say,
    )
