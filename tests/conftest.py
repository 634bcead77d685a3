"""Shared fixtures: the real data directory and one real catalogue built once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent


def pytest_configure(config) -> None:
    """One torch thread count for the session (tests/llm_helpers.py: WAYPOINT_TEST_THREADS)."""
    import torch

    from tests.llm_helpers import TEST_THREADS

    torch.set_num_threads(TEST_THREADS)
DATA = Path(os.environ.get("WAYPOINT_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA / "onet" / "Occupation Data.txt").exists():
        pytest.fail(f"real data not found at {DATA}; CI expects ../shared/data beside the checkout")
    return DATA


@pytest.fixture(scope="session")
def waypoint_home(tmp_path_factory, data_dir) -> Path:
    """A WAYPOINT_HOME with the real catalogue, shared by every test in the session."""
    from retrieval.catalogue.ingest import ingest
    from retrieval.settings import Settings, get_settings
    from tests.llm_helpers import session_home

    home = session_home(tmp_path_factory)
    os.environ["WAYPOINT_HOME"] = str(home)
    os.environ["WAYPOINT_DATA"] = str(data_dir)
    # Skill gaps in the session (explanations, course recommendations) use the O*NET/ESCO rows and the
    # graph, not the two embedding-based extras (embedding tagger over every skill, O*NET->ESCO map
    # over 4,055 occupations): building those for the whole catalogue costs minutes of CPU and they
    # have their own tests on real subsets (tests/test_skills.py). Subprocesses (UI server, CLI)
    # inherit this.
    os.environ.setdefault("WAYPOINT_GAP_EMBEDDINGS", "false")
    os.environ.setdefault("WAYPOINT_GAP_ESCO_MAP", "false")
    # Likewise the occupation ranker's task-by-task alignment embeds ~17,500 task statements (about
    # three minutes of CI); the session uses the whole-field task similarity under the same feature
    # names, and the alignment itself is tested on real occupations (test_recommend_occupations.py).
    os.environ.setdefault("WAYPOINT_OCCUPATION_TASK_ALIGNMENT", "false")
    get_settings.cache_clear()
    ingest(str(data_dir), Settings(home=home, data=str(data_dir)), show_progress=False)
    return home


@pytest.fixture(scope="session")
def settings(waypoint_home):
    from retrieval.settings import get_settings

    get_settings.cache_clear()
    return get_settings()


@pytest.fixture(scope="session")
def catalogue(settings):
    """Read-only connection to the session catalogue."""
    from retrieval.catalogue.db import connect

    conn = connect(settings.catalogue_path, readonly=True)
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server for this session (see tests/postgres_server.py); fresh database per test below."""
    from tests.postgres_server import pg_bin_dir, postgres_server

    if pg_bin_dir() is None:
        pytest.skip("PostgreSQL server binaries missing: run scripts/install_postgres.sh (`make test` does)")
    with postgres_server() as url:
        yield url


@pytest.fixture()
def postgres_db(postgres_url, request):
    """An empty database on the session's PostgreSQL server, dropped after the test."""
    import re
    import uuid

    from sqlalchemy import create_engine, text

    name = "t_" + re.sub(r"\W", "_", request.node.name.lower())[:40] + "_" + uuid.uuid4().hex[:6]
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield postgres_url.rsplit("/", 1)[0] + "/" + name
    from app.feedback.store import _stores

    for key in [k for k in _stores if k.endswith("/" + name)]:
        _stores.pop(key).close()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
