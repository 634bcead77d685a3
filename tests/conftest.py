"""Shared fixtures: the real data directory and one real catalogue built once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
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

    home = Path(os.environ.get("WAYPOINT_TEST_HOME") or tmp_path_factory.mktemp("waypoint-home"))
    os.environ["WAYPOINT_HOME"] = str(home)
    os.environ["WAYPOINT_DATA"] = str(data_dir)
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
