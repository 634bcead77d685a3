"""Everything ``waypoint build`` makes after the catalogue: occupation features and ranker, the job
model, the skills artifacts -- as :class:`retrieval.artifacts.Component` s.

Each builder is idempotent (it loads what exists, keyed by the catalogue fingerprint) and returns the
files it consists of, which the manifest records; :func:`retrieval.artifacts.build_components` runs them
under the build lock. The explanation memory lives in ``app`` (it is serving state), so the app adds its
own component (``app/build.py``) rather than this module importing it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from retrieval.artifacts import Component
from retrieval.catalogue.db import connect, get_meta
from retrieval.settings import Settings

__all__ = ["catalogue_fingerprint", "retrieval_components"]


def catalogue_fingerprint(settings: Settings) -> str | None:
    """The catalogue's fingerprint, or None when there is no catalogue yet."""
    if not settings.catalogue_path.exists():
        return None
    conn = connect(settings.catalogue_path, readonly=True)
    try:
        return get_meta(conn, "fingerprint")
    finally:
        conn.close()


def _has_job_views(settings: Settings) -> bool:
    """Whether the catalogue holds a job-view log (a catalogue without one has no job model to build)."""
    try:
        conn = connect(settings.catalogue_path, readonly=True)
    except FileNotFoundError:
        return False
    try:
        return conn.execute("SELECT 1 FROM job_view LIMIT 1").fetchone() is not None
    except sqlite3.Error:
        return False
    finally:
        conn.close()


# ------------------------------------------------------------------------------------------------ builders
def _build_occupations(settings: Settings, show_progress: bool) -> list[Path]:
    """Feature cache and ranker (loaded when present, else built and trained), then the Qdrant collection
    that text profiles search, closed again so that a server can open it."""
    from retrieval.occupations.service import get_occupation_recommender

    recommender = get_occupation_recommender(settings, show_progress=show_progress)
    recommender.build_store()
    recommender.close_store()
    # The collection is not a required file: without it a server scores text profiles in memory (degraded).
    files = [recommender.features_path(), recommender.model_dir() / "ranker.pkl"]
    if recommender.task_vectors() is not None:  # with the per-task alignment: the linker's task centroids
        files.append(recommender.task_centroids_path())
    return files


def _build_jobs(settings: Settings, show_progress: bool) -> list[Path]:
    from retrieval.jobs.service import get_job_recommender

    return get_job_recommender(settings, show_progress=show_progress).artifact_files()


def _build_skills(settings: Settings, show_progress: bool) -> list[Path]:
    from retrieval.skills.base import catalogue, fingerprint
    from retrieval.skills.extract import extractor_path, get_extractor
    from retrieval.skills.graph import get_graph, graph_path

    get_extractor(settings)
    get_graph(settings)
    fp = fingerprint(catalogue(settings))
    return [extractor_path(settings, fp), graph_path(settings, fp)]


def _build_skill_vectors(settings: Settings, show_progress: bool) -> list[Path]:
    from retrieval.skills.extract import get_extractor

    extractor = get_extractor(settings)
    extractor.skill_matrix()
    return [extractor.skill_matrix_path()]


def _build_esco_map(settings: Settings, show_progress: bool) -> list[Path]:
    from retrieval.skills.base import catalogue, fingerprint
    from retrieval.skills.esco_map import get_map, map_path

    get_map(settings)
    return [map_path(settings, fingerprint(catalogue(settings)))]


# ------------------------------------------------------------------------------------------------ components
def _job_version() -> dict[str, object]:
    """The job model's version: its own, plus a digest of the features and configuration it was trained
    with (they name its files too, so a change there is a rebuild, not a missing file at load)."""
    from retrieval.jobs.model import FEATURES, JobRecConfig
    from retrieval.jobs.service import MODEL_VERSION

    digest = hashlib.sha1(
        json.dumps({"features": list(FEATURES), "config": JobRecConfig().to_dict()}, sort_keys=True).encode()
    ).hexdigest()[:12]
    return {"job model": MODEL_VERSION, "features and config": digest}


def retrieval_components() -> list[Component]:
    """What serving recommendations and skill gaps needs, in build order."""
    from retrieval.occupations.features import FEATURES_VERSION
    from retrieval.occupations.ranker import MODEL_VERSION as OCCUPATION_MODEL
    from retrieval.occupations.service import TASK_CENTROIDS_VERSION
    from retrieval.skills.esco_map import MAP_VERSION
    from retrieval.skills.extract import EXTRACTOR_VERSION
    from retrieval.skills.graph import GRAPH_VERSION
    from retrieval.skills.texts import TEXTS_VERSION

    return [
        Component(
            "occupations",
            "occupation features, ranker and vector collection",
            {"features": FEATURES_VERSION, "ranker": OCCUPATION_MODEL, "task centroids": TASK_CENTROIDS_VERSION},
            _build_occupations,
            settings_key=lambda s: {"occupation_task_alignment": s.occupation_task_alignment},
        ),
        Component("jobs", "job ranker and ALS factors", _job_version(), _build_jobs, applies=_has_job_views),
        Component(
            "skills",
            "skill extractor and skills graph",
            {"extractor": EXTRACTOR_VERSION, "graph": GRAPH_VERSION},
            _build_skills,
        ),
        Component(
            "skill_vectors",
            "skill vectors of the embedding tagger (WAYPOINT_GAP_EMBEDDINGS)",
            {"texts": TEXTS_VERSION},
            _build_skill_vectors,
            applies=lambda s: s.gap_embeddings,
        ),
        Component(
            "esco_map",
            "O*NET to ESCO occupation map (WAYPOINT_GAP_ESCO_MAP)",
            {"map": MAP_VERSION},
            _build_esco_map,
            applies=lambda s: s.gap_esco_map,
        ),
    ]
