"""One SQL layer for SQLite (the embedded default) and PostgreSQL (the scaled deployment).

Why SQLAlchemy Core and not raw ``sqlite3``: the feedback events are the one piece of shared, mutable
state the app replicas write. On one machine a SQLite file in WAL mode is the right store; behind a
load balancer every replica must write to the same database, which is PostgreSQL. The same table
definition, the same INSERTs and the same SELECTs run on both through an :class:`~sqlalchemy.Engine`
built here; only the URL changes (``WAYPOINT_EVENTS_URL``).

A *target* is either a filesystem path (an SQLite file) or a database URL. ``postgresql://`` is
normalised to the psycopg 3 driver (``postgresql+psycopg://``).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=30000")


def database_url(target: str | Path) -> URL:
    """The SQLAlchemy URL of ``target`` (a path to an SQLite file, or a URL)."""
    text = str(target)
    if "://" not in text:
        return make_url(f"sqlite:///{Path(text).expanduser().resolve()}")
    url = make_url(text)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def sqlite_file(target: str | Path | URL) -> Path | None:
    """The SQLite file of ``target``, or None when it is a server database."""
    url = target if isinstance(target, URL) else database_url(target)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def display(target: str | Path) -> str:
    """``target`` for logs and the health endpoint: never shows a password."""
    return database_url(target).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def make_engine(target: str | Path, *, must_exist: bool = False) -> Engine:
    """An engine for ``target``; SQLite gets WAL, a 30 s busy timeout and its parent directory.

    ``must_exist`` is for readers (training, off-policy evaluation): a missing SQLite file raises
    :class:`FileNotFoundError` instead of being created empty.
    """
    url = database_url(target)
    path = sqlite_file(url)
    if url.get_backend_name() == "sqlite":
        if path is not None:
            if must_exist and not path.is_file():
                raise FileNotFoundError(f"events database not found: {path}")
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # server databases: a small pool per process, checked before use so a restarted server is survived
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
