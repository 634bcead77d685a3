"""The real-data home the integration and e2e tiers share: built once, then a private view per test process.

Why: the real catalogue's models take ~5 minutes of CPU to build, and since ``make test`` runs the
integration and e2e tiers on two pytest-xdist workers, two processes need that home at once. So the
home is split in two:

* the **base** (:func:`ensure_base`): the catalogue, the models ``waypoint build`` makes and the
  converted SmolLM2, built under a file lock by whichever process comes first (``make test`` starts it in
  the background while the unit tier runs: ``python -m tests.session_home DIR``). Nothing runs on it.
  ``WAYPOINT_TEST_HOME`` names it for quick local runs; otherwise it lives in pytest's shared temp root.
* each process's **private home** (:func:`private_home`): links to the base's model and index files
  (``tests/home_mirror.py``), plus its own copies of what a process writes or locks while it runs: the
  embedding cache (SQLite) and the Qdrant Edge store, whose WAL one process locks exclusively. Its
  events database, secret and build lock are its own from the start.

The settings the base is built with are the session's (:data:`SESSION_FLAGS`): the embedding-based skill
gaps, the O*NET->ESCO map and the per-task alignment are off (minutes of CPU over the whole catalogue;
they have their own tests on real subsets), unless the caller's environment turns them on.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock

from tests.home_mirror import mirror_home

#: Settings of the session's real-data home, off unless the environment outside the tests says otherwise.
SESSION_FLAGS = ("WAYPOINT_GAP_EMBEDDINGS", "WAYPOINT_GAP_ESCO_MAP", "WAYPOINT_OCCUPATION_TASK_ALIGNMENT")
#: What a process writes or locks while it runs: copied into its private home, never linked.
PRIVATE = (Path("cache"), Path("indexes") / "qdrant-edge")
DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def session_flags(environ: dict[str, str] | os._Environ = os.environ) -> dict[str, str]:
    """The session flags: the caller's value where set, else ``"false"``."""
    return {flag: environ.get(flag) or "false" for flag in SESSION_FLAGS}


def ensure_base(base: Path, data: Path = DATA, *, catalogue: bool = True, quiet: bool = True) -> Path:
    """Build what ``base`` lacks (idempotent, under file locks): SmolLM2 converted from its GGUF, and with
    ``catalogue`` the ingested real catalogue plus ``waypoint build``'s required components. Returns ``base``.

    ``ingest``, ``build`` and the conversion check their own fingerprints, manifests and files, so on a current
    base this takes about two seconds, and a base left by an earlier run (``var/test-home``) is brought up to
    date by the same rules as a server's home: a builder whose version changed rebuilds its component."""
    from app.build import build
    from app.llm.model_files import ensure_smollm2
    from retrieval.catalogue.ingest import ingest
    from retrieval.settings import Settings

    base.mkdir(parents=True, exist_ok=True)
    flags = {k.removeprefix("WAYPOINT_").lower(): v == "true" for k, v in session_flags().items()}
    settings = Settings(home=base, data=str(data), llm_model_path="", llm_adapter="", **flags)
    # The LLM first and under its own lock (ensure_smollm2's): a process that needs only the model does not
    # wait for the catalogue's ~5 minutes of build.
    with _environment(base, data):
        ensure_smollm2(settings)
    if not catalogue:
        return base
    with FileLock(str(base) + ".lock"), _environment(base, data):
        ingest(str(data), settings, show_progress=not quiet)
        build(settings, include_optional=False, show_progress=not quiet, say=(lambda _line: None) if quiet else print)
    return base


@contextmanager
def _environment(base: Path, data: Path) -> Iterator[None]:
    """The process environment on ``base`` while it is built (a builder that reads ``get_settings()`` must see
    the base, not a private home a test process already points at), restored afterwards."""
    from retrieval.settings import get_settings

    env = {"WAYPOINT_HOME": str(base), "WAYPOINT_DATA": str(data), **session_flags()}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()


def private_home(base: Path, home: Path) -> Path:
    """``home`` as this process's view of ``base`` (see the module docstring); adds what ``base`` gained since
    an earlier call (a base that got its catalogue after its LLM), keeps what ``home`` already has."""
    home.mkdir(parents=True, exist_ok=True)
    for rel in PRIVATE:
        src, dst = base / rel, home / rel
        if src.is_dir() and not (dst.is_dir() and any(dst.iterdir())):
            if dst.is_dir():
                dst.rmdir()
            shutil.copytree(src, dst, symlinks=False, ignore=shutil.ignore_patterns("*.lock", "*.tmp*"))
    return mirror_home(base, home)


def main(argv: list[str] | None = None) -> int:
    """``python -m tests.session_home DIR``: build the base at ``DIR`` (``make test`` runs it in the background)."""
    from retrieval.settings import apply_process_environment

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tests.session_home DIR", file=sys.stderr)
        return 2
    apply_process_environment()
    ensure_base(Path(args[0]).resolve(), quiet=False)
    print(f"test home ready at {args[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
