"""Shared fixtures and the test tiers.

Tiers (pytest markers; ``tests/README.md`` has the commands):

* ``unit`` -- no real data and no external service: pure functions, real SQLite files in tmp, and the
  small synthetic catalogue (``synthetic_settings`` / ``synthetic_home``, written by
  ``tests/synthetic_catalogue.py`` and ingested and built once per session in 5-20 s) for
  anything that needs a catalogue, up to the REST API. ``make test-fast`` runs this tier.
* ``integration`` -- the real data (``waypoint_home``, ``settings``, ``catalogue``, ``data_dir``), a real
  PostgreSQL server (``postgres_url``), or real large models (tests marked ``slow``).
* ``e2e`` -- the vLLM server, the browser, trl training runs.

The tier is assigned at collection (:func:`pytest_collection_modifyitems`) by one rule, so a new test
lands in the right tier without anyone remembering a marker:

1. a tier marker written on the test (or its parameter, or module) wins;
2. else ``e2e`` when the test's fixture closure contains one of :data:`E2E_FIXTURES`;
3. else ``integration`` when it contains one of :data:`INTEGRATION_FIXTURES`, or the test is ``slow``;
4. else ``unit``.

Every test runs under its tier's ``WAYPOINT_*`` environment (:func:`_tier_environment`). A unit test
gets a sandbox: ``WAYPOINT_HOME`` is an empty folder of its own and ``WAYPOINT_DATA`` a path that does
not exist, so a test that silently needs the real catalogue fails instead of reading (or writing)
``var/`` -- ask for ``waypoint_home`` (or ``settings``) instead, and the test becomes an integration
test. A unit test that asks for ``synthetic_settings`` gets the synthetic home instead of the empty one,
and a real-data test gets the real session's home even in a module where a synthetic fixture is active.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from retrieval.settings import apply_process_environment
from tests.module_order import sort_items

apply_process_environment()  # before any test module imports a model library (the entry point's job)

REPO = Path(__file__).resolve().parent.parent


def pytest_configure(config) -> None:
    """One torch thread count for the session (tests/llm_helpers.py: WAYPOINT_TEST_THREADS)."""
    import torch

    from tests.llm_helpers import TEST_THREADS

    torch.set_num_threads(TEST_THREADS)


# ------------------------------------------------------------------------------------------- tiers
TIERS = ("unit", "integration", "e2e")
# Fixtures that start the vLLM server or train with trl (the browser and the one test that calls
# trl directly carry an explicit ``@pytest.mark.e2e``).
E2E_FIXTURES = frozenset({"vllm_server", "sft_adapter"})
# Fixtures that need the real data or a real external server.
INTEGRATION_FIXTURES = frozenset({"waypoint_home", "data_dir", "postgres_url"})
TIER = pytest.StashKey[str]()


def tier_of(item: pytest.Item) -> str:
    """The item's tier by the rule in the module docstring (explicit marker, e2e fixture, real data or slow, unit)."""
    explicit = [m.name for m in item.iter_markers() if m.name in TIERS]
    names = set(getattr(item, "fixturenames", ()))
    if {"synthetic_settings", "waypoint_home"} <= names:
        raise pytest.UsageError(f"{item.nodeid} asks for both the synthetic and the real catalogue; a test uses one")
    if explicit:
        if explicit[0] == "unit" and names & (E2E_FIXTURES | INTEGRATION_FIXTURES):
            raise pytest.UsageError(
                f"{item.nodeid} is marked unit but asks for {sorted(names & (E2E_FIXTURES | INTEGRATION_FIXTURES))}"
            )
        return explicit[0]
    if names & E2E_FIXTURES:
        return "e2e"
    if names & INTEGRATION_FIXTURES or item.get_closest_marker("slow") is not None:
        return "integration"
    return "unit"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Mark every test with its tier before ``-m`` selects (``tryfirst``: pytest's own deselection runs later)."""
    for item in items:
        tier = tier_of(item)
        item.stash[TIER] = tier
        if item.get_closest_marker(tier) is None:
            item.add_marker(getattr(pytest.mark, tier))
    # The order the two xdist workers take the modules in (tests/module_order.py says why): one worker runs
    # the modules that never touch the real catalogue's home while `make test` builds it in the background.
    needs_home = {item.path for item in items if "waypoint_home" in getattr(item, "fixturenames", ())}
    sort_items(items, lambda item: item.path, needs_home)


def _clear_process_caches() -> None:
    """Caches that remember a catalogue without naming it: the settings, and the verifier's alias hits."""
    import sys

    from retrieval.settings import get_settings

    get_settings.cache_clear()
    verify = sys.modules.get("app.explain.verify")
    if verify is not None:
        verify._alias_skills.cache_clear()


# The environment outside any active synthetic module (the values ``synthetic_settings`` replaced), and
# what ``waypoint_home`` set for the real-data session. Together they let every test run under the
# environment of its own tier, whatever a module-scoped fixture left active (see _tier_environment).
_OUTER_ENV: list[dict[str, str | None]] = []
_REAL_ENV: dict[str, str] = {}


def _outer(key: str) -> str | None:
    """``key``'s value outside any active synthetic module."""
    if _OUTER_ENV and key in _OUTER_ENV[0]:
        return _OUTER_ENV[0][key]
    return os.environ.get(key)


def _apply_env(patch: pytest.MonkeyPatch, env: dict[str, str | None]) -> None:
    for key, value in env.items():
        if value is None:
            patch.delenv(key, raising=False)
        else:
            patch.setenv(key, value)


@pytest.fixture(autouse=True)
def _tier_environment(request, tmp_path_factory):
    """Every test runs under its own tier's ``WAYPOINT_*`` environment, restored afterwards:

    * a test that asks for ``synthetic_settings``: the synthetic home (as the module fixture set it);
    * any other unit test: a sandbox -- an empty home of its own and no real data (module docstring);
    * a test of the real data (``waypoint_home``): the real session's home and flags, even inside a
      module where a synthetic fixture is active;
    * anything else: the environment outside any synthetic module.
    """
    from tests.synthetic_catalogue import sandbox_env, synthetic_env

    names = request.fixturenames
    if "synthetic_settings" in names:  # any tier: a slow test may run a real model on the synthetic catalogue
        env = synthetic_env(request.getfixturevalue("synthetic_home"), request.getfixturevalue("synthetic_data"))
    elif request.node.stash.get(TIER, "unit") == "unit":
        home = tmp_path_factory.mktemp("unit-home")
        env = sandbox_env(home, home / "no-real-data-in-unit-tests")
    else:
        env = dict(_OUTER_ENV[0]) if _OUTER_ENV else {}
        if "waypoint_home" in names:
            env.update(_REAL_ENV)
    with pytest.MonkeyPatch.context() as patch:
        _apply_env(patch, env)
        _clear_process_caches()
        yield
    _clear_process_caches()


# ------------------------------------------------------------------------------- memory per process
# Homes whose loaded models stay cached for the whole session: the real-data home and the synthetic one.
_SESSION_HOMES: set[str] = set()


@pytest.fixture(autouse=True, scope="module")
def _free_other_homes_models():
    """After each module, forget the models loaded for any other home (a test's mirror or copy of the session
    home, a home built in tmp): each is a second copy of the occupation features (~0.75 GB) or an LLM.

    Why: the process-wide caches keep one instance per home until the process ends, so a worker that ran
    several modules with private homes grew to 8 GB and, beside the other worker and its servers, was
    killed for memory on 24 GB. The session's own homes stay loaded (reloading costs seconds)."""
    yield
    import gc
    import sys

    def kept(path: str) -> bool:
        return any(path == home or path.startswith(home + os.sep) for home in _SESSION_HOMES)

    occupations = sys.modules.get("retrieval.occupations.service")
    if occupations is not None:
        with occupations._INSTANCE_LOCK:
            for key in [k for k in occupations._INSTANCES if not kept(k[0])]:
                del occupations._INSTANCES[key]
        understanding = sys.modules.get("retrieval.understanding.service")
        if understanding is not None:
            alive = {id(r) for r in occupations._INSTANCES.values()}
            for key in [k for k in understanding._LINKERS if k not in alive]:
                del understanding._LINKERS[key]
    factory = sys.modules.get("app.llm.factory")
    if factory is not None:
        from retrieval.settings import SHIPPED_ADAPTER

        # one in-process LLM stays: the session home's, base or with the shipped adapter (a test's own adapter,
        # or another home's model, is another copy of the weights)
        def keep_backend(key: tuple) -> bool:
            return len(key) == 4 and kept(str(key[2])) and key[3] in ("", str(SHIPPED_ADAPTER))

        with factory._lock:
            for key in [k for k in factory._cache if not keep_backend(k)]:
                backend = factory._cache.pop(key)
                try:
                    backend.close()
                except Exception:  # noqa: BLE001 - best effort: it is being dropped
                    pass
    gc.collect()
    _return_freed_memory()


def _return_freed_memory() -> None:
    """Hand freed heap memory back to the OS (glibc ``malloc_trim``): without it a worker's resident size stays
    at its high-water mark after the models above are dropped. A no-op where glibc is not the C library."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


# --------------------------------------------------------------------------- the synthetic catalogue
@pytest.fixture(scope="session")
def synthetic_data(tmp_path_factory) -> Path:
    """The synthetic source files in the ``../shared/data`` layout (tests/synthetic_catalogue.py)."""
    from tests.synthetic_catalogue import write_synthetic_data

    return write_synthetic_data(tmp_path_factory.mktemp("synthetic") / "data")


@pytest.fixture(scope="session")
def synthetic_home(tmp_path_factory, synthetic_data) -> Path:
    """A WAYPOINT_HOME with the synthetic catalogue ingested and built (``waypoint ingest`` + ``build``)."""
    from tests.synthetic_catalogue import build_synthetic_home, synthetic_env

    home = tmp_path_factory.mktemp("synthetic-home")
    with pytest.MonkeyPatch.context() as patch:
        for key, value in synthetic_env(home, synthetic_data).items():
            patch.setenv(key, value)
        _clear_process_caches()
        build_synthetic_home(home, synthetic_data)
    _clear_process_caches()
    _SESSION_HOMES.add(str(home))
    return home


@pytest.fixture(scope="module")
def synthetic_settings(synthetic_home, synthetic_data):
    """The settings of the synthetic home, active (environment and ``get_settings()``) for the whole module.

    Module scope so that module-scoped fixtures (an app, a client) can build on it; the environment is
    restored when the module ends, so the real-data tiers never see the synthetic home."""
    from retrieval.settings import get_settings
    from tests.synthetic_catalogue import synthetic_env

    env = synthetic_env(synthetic_home, synthetic_data)
    _OUTER_ENV.append({key: os.environ.get(key) for key in env})
    try:
        with pytest.MonkeyPatch.context() as patch:
            _apply_env(patch, env)
            _clear_process_caches()
            yield get_settings()
    finally:
        _OUTER_ENV.pop()
        os.environ.update(_REAL_ENV)  # the real session's environment, if it began while this module ran
        _clear_process_caches()


@pytest.fixture(scope="module")
def synthetic_catalogue(synthetic_settings):
    """Read-only connection to the synthetic catalogue (the unit tier's ``catalogue``)."""
    from retrieval.catalogue.db import connect

    conn = connect(synthetic_settings.catalogue_path, readonly=True)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def api_settings(synthetic_settings):
    """The synthetic home served openly (no API keys), the composer as LLM and a limit no test reaches,
    for the API tests that are about behaviour rather than authentication or throttling."""
    return synthetic_settings.model_copy(
        update={"llm_backend": "deterministic", "rate_limit_per_minute": 100_000, "api_keys": ""}
    )


@pytest.fixture(scope="module")
def client(api_settings):
    """An in-process client of the app on :func:`api_settings` (lifespan run, UI not mounted)."""
    from fastapi.testclient import TestClient

    from app.api.app import create_app

    with TestClient(create_app(api_settings, mount_ui=False)) as c:
        yield c


# ---------------------------------------------------------------------------------- the real data
DATA = Path(os.environ.get("WAYPOINT_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA / "onet" / "Occupation Data.txt").exists():
        pytest.fail(f"real data not found at {DATA}; CI expects ../shared/data beside the checkout")
    return DATA


@pytest.fixture(scope="session")
def waypoint_home(tmp_path_factory, data_dir) -> Path:
    """A WAYPOINT_HOME with the real catalogue, shared by every test in this process: a private view of the
    base every process shares (tests/session_home.py), built by the first that needs it."""
    from retrieval.settings import get_settings
    from tests.llm_helpers import session_home
    from tests.session_home import session_flags

    # Skill gaps in the session (explanations, course recommendations) use the O*NET/ESCO rows and the
    # graph, not the two embedding-based extras, and the occupation ranker uses the whole-field task
    # similarity instead of the task-by-task alignment (tests/session_home.py SESSION_FLAGS: minutes of CPU
    # over the whole catalogue; each has its own tests on real subsets). Subprocesses (UI server, CLI)
    # inherit these. What this session's real-data tests run under (_tier_environment) is decided from the
    # environment outside any synthetic module, which may be active while this fixture first runs.
    flags = {flag: _outer(flag) or "false" for flag in session_flags()}
    os.environ.update(flags)
    home = session_home(tmp_path_factory, catalogue=True, data=data_dir)
    _REAL_ENV.update({"WAYPOINT_HOME": str(home), "WAYPOINT_DATA": str(data_dir), **flags})
    _SESSION_HOMES.add(str(home))
    os.environ.update(_REAL_ENV)
    get_settings.cache_clear()
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
