"""Built artifacts: what `waypoint build` made, under which settings, and the rule that a server only loads.

Why this module exists: the models and indexes behind recommendations (the occupation feature cache
and ranker, the job ranker and its ALS factors, the skills graph, ...) used to be built by whichever
caller asked first -- often the first request to a server, which then took minutes, and two replicas
on one volume could train the same model at once. Now:

* ``waypoint build`` (which ``waypoint ingest`` ends with) builds every :class:`Component` under a file
  lock (:func:`build_lock`) and records each in a manifest (``$WAYPOINT_HOME/artifacts.json``): its
  code version, the settings that change what is built, the catalogue fingerprint and its files.
  Each builder writes to a temporary path and renames, so a crash mid-build leaves the previous
  artifact (and its manifest entry) usable; a second build with nothing changed only reads the manifest.
* A server checks the manifest (:func:`check`) and loads; it never builds. Every builder calls
  :func:`require_build_allowed` first, which raises :class:`NotBuilt` inside :func:`load_only` (the
  scope a server runs its work in) -- so even a code path the manifest does not cover cannot train
  behind a request.

An artifact built under other settings, or by older code, is :class:`StaleArtifact`: a clear error
naming the difference and the command that fixes it, never a silent reuse or a silent rebuild.
"""

from __future__ import annotations

import contextvars
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from retrieval.settings import Settings

__all__ = [
    "BUILD_COMMAND",
    "ArtifactError",
    "Component",
    "Manifest",
    "NotBuilt",
    "Readiness",
    "StaleArtifact",
    "build_lock",
    "building_allowed",
    "check",
    "load_only",
    "read_manifest",
    "require_build_allowed",
    "serve_load_only",
    "write_manifest",
]

BUILD_COMMAND = "waypoint build"
MANIFEST_NAME = "artifacts.json"
LOCK_NAME = "build.lock"
MANIFEST_FORMAT = 1


# ------------------------------------------------------------------------------------------------ errors
class ArtifactError(RuntimeError):
    """A model or index the caller needs is unusable. ``message`` says what and the command that fixes it;
    ``code`` is what an API answers (``not_built`` | ``stale_artifact``)."""

    code = "not_built"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotBuilt(ArtifactError):
    """Missing: never built on this home, deleted, or asked for inside :func:`load_only`."""

    code = "not_built"


class StaleArtifact(ArtifactError):
    """Built, but under other settings, by older code or for another catalogue."""

    code = "stale_artifact"


# ------------------------------------------------------------------------------------------------ load-only policy
_LOAD_ONLY: contextvars.ContextVar[bool] = contextvars.ContextVar("waypoint_load_only", default=False)
_PROCESS_LOAD_ONLY = False


@contextmanager
def load_only() -> Iterator[None]:
    """Run a block in which no artifact may be built (what a server request or warm-up runs under).

    A context variable, not a flag on each object: the builders sit many calls below the request
    (skills graph under the skill gap under the explainer), and threading a flag through every layer
    would leave some path unguarded. The block runs synchronously in one thread, so the variable is seen
    by every builder it reaches."""
    token = _LOAD_ONLY.set(True)
    try:
        yield
    finally:
        _LOAD_ONLY.reset(token)


def serve_load_only() -> None:
    """Make this whole process load-only (the server's entry point calls it): a background thread or a
    UI handler that reaches a builder outside :func:`load_only` is refused too."""
    global _PROCESS_LOAD_ONLY
    _PROCESS_LOAD_ONLY = True


def building_allowed() -> bool:
    return not (_PROCESS_LOAD_ONLY or _LOAD_ONLY.get())


def require_build_allowed(what: str) -> None:
    """Call before building ``what``: raises :class:`NotBuilt` in a load-only scope or process."""
    if not building_allowed():
        raise NotBuilt(
            f"not built: run `{BUILD_COMMAND}` ({what} is missing or unreadable, and a server "
            "only loads models and indexes, it never builds them)"
        )


# ------------------------------------------------------------------------------------------------ manifest
class ComponentRecord(BaseModel):
    """One built component as the manifest keeps it."""

    version: dict[str, Any] = Field(description="Code versions of what was built (bumped when its format changes).")
    settings: dict[str, Any] = Field(default_factory=dict, description="Settings that change what is built.")
    fingerprint: str = Field(description="Catalogue fingerprint it was built from.")
    files: list[str] = Field(default_factory=list, description="Its files and folders, relative to the home.")
    built_at: str = ""
    seconds: float = 0.0


class Manifest(BaseModel):
    """``$WAYPOINT_HOME/artifacts.json``: what the last builds made."""

    format: int = MANIFEST_FORMAT
    components: dict[str, ComponentRecord] = Field(default_factory=dict)


def manifest_path(home: Path) -> Path:
    return Path(home) / MANIFEST_NAME


def read_manifest(home: Path) -> Manifest | None:
    """The manifest, or None when there is none (or it is unreadable: then nothing counts as built)."""
    try:
        return Manifest.model_validate_json(manifest_path(home).read_text())
    except (OSError, ValueError):
        return None


def write_manifest(home: Path, manifest: Manifest) -> None:
    """Write atomically (temporary file, then rename): a reader sees the old manifest or the new one."""
    path = manifest_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(manifest.model_dump_json(indent=2))
    os.replace(tmp, path)


@contextmanager
def build_lock(home: Path, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold ``$WAYPOINT_HOME/build.lock`` (an exclusive ``flock``) while building.

    Why: two replicas (or a replica's init container and an operator) building on one volume would
    otherwise both spend minutes training the same model. The second waits, then finds everything in the
    manifest and only checks it. ``on_wait`` is told who holds the lock before waiting. The kernel
    releases the lock when its holder dies, so a crashed build never blocks the next one."""
    path = Path(home) / LOCK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                on_wait(f"another build ({holder}) holds {path}; waiting for it to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


# ------------------------------------------------------------------------------------------------ components
@dataclass(frozen=True)
class Component:
    """One buildable unit: how to name its version and settings, build it and list its files.

    ``build(settings, show_progress)`` builds what is missing (loading what exists) and returns the files
    and folders the component consists of. ``settings_key`` names the settings that change the result
    (field name -> value); ``applies`` says whether this home and these settings need it at all (a catalogue
    without job views has no job model; the embedding tagger's vectors only with ``gap_embeddings``).
    ``required=False``: a server works without it, degraded (the explanation memory)."""

    name: str
    title: str
    version: dict[str, Any]
    build: Callable[[Settings, bool], list[Path]]
    settings_key: Callable[[Settings], dict[str, Any]] = field(default=lambda _s: {})
    applies: Callable[[Settings], bool] = field(default=lambda _s: True)
    required: bool = True


def _env_name(setting: str) -> str:
    return f"WAYPOINT_{setting.upper()}"


def _show(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _relative(path: Path, home: Path) -> str:
    """``path`` relative to the home (so a copied or mounted home keeps its manifest valid), else absolute.
    Tried unresolved first: a home whose folders are symlinks keeps its own names."""
    for p, h in ((Path(path), Path(home)), (Path(path).resolve(), Path(home).resolve())):
        try:
            return str(p.relative_to(h))
        except ValueError:
            continue
    return str(Path(path).resolve())


def record_for(
    component: Component, settings: Settings, fingerprint: str, files: list[Path], seconds: float
) -> ComponentRecord:
    return ComponentRecord(
        version=dict(component.version),
        settings=component.settings_key(settings),
        fingerprint=fingerprint,
        files=[_relative(p, settings.home) for p in files],
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        seconds=round(seconds, 1),
    )


def problem(
    component: Component, record: ComponentRecord | None, settings: Settings, fingerprint: str
) -> ArtifactError | None:
    """Why ``record`` cannot serve ``component`` under ``settings`` (None: it can)."""
    fix = f"run `{BUILD_COMMAND}`"
    if record is None:
        return NotBuilt(f"not built: {fix} (the {component.title}: not built on this home yet)")
    if record.fingerprint != fingerprint:
        return StaleArtifact(
            f"stale: the {component.title} was built for another catalogue (the catalogue was re-ingested since); {fix}"
        )
    if record.version != component.version:
        built = ", ".join(f"{k} {record.version.get(k)}" for k in component.version)
        need = ", ".join(f"{k} {v}" for k, v in component.version.items())
        return StaleArtifact(
            f"stale: the {component.title} was built by another version of Waypoint ({built}; this "
            f"code needs {need}); {fix}"
        )
    wanted = component.settings_key(settings)
    differ = [k for k in wanted if record.settings.get(k) != wanted[k]]
    if differ:
        what = "; ".join(
            f"{_env_name(k)}={_show(record.settings.get(k))} when built, {_show(wanted[k])} here" for k in differ
        )
        return StaleArtifact(
            f"stale: the {component.title} was built under other settings ({what}); {fix} with "
            "this process's settings, or set them back"
        )
    missing = [f for f in record.files if not (Path(settings.home) / f).exists()]
    if missing:
        return NotBuilt(f"not built: {fix} (the {component.title}: {missing[0]} is missing)")
    return None


@dataclass
class Readiness:
    """The outcome of :func:`check`: which components are unusable and why."""

    problems: dict[str, ArtifactError] = field(default_factory=dict)
    checked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def state(self) -> str:
        """``ready`` | ``not_built`` | ``stale`` (stale wins: it needs a different fix than a first build)."""
        if self.ok:
            return "ready"
        return "stale" if any(isinstance(e, StaleArtifact) for e in self.problems.values()) else "not_built"

    def error(self) -> ArtifactError:
        """One error for all problems: the first one's message, plus how many more there are."""
        first = next(iter(self.problems.values()))
        more = len(self.problems) - 1
        message = first.message + (f" (and {more} more: {', '.join(list(self.problems)[1:])})" if more else "")
        return type(first)(message)


def check(settings: Settings, components: list[Component], fingerprint: str | None) -> Readiness:
    """Can these settings serve from this home? Required, applicable components only; reads the manifest
    and checks that each recorded file exists (no artifact is opened, so it is cheap enough per request)."""
    out = Readiness()
    if not fingerprint:
        out.problems["catalogue"] = NotBuilt(
            "not built: run `waypoint ingest` (there is no catalogue yet; it builds the models as well)"
        )
        return out
    manifest = read_manifest(settings.home)
    if manifest is None:
        out.problems["manifest"] = NotBuilt(
            f"not built: run `{BUILD_COMMAND}` (no build manifest, {MANIFEST_NAME}, in this home; on a home whose "
            "models were made before `waypoint build` existed, the build only checks and records them)"
        )
        return out
    for component in components:
        if not component.required or not component.applies(settings):
            continue
        out.checked.append(component.name)
        found = problem(component, manifest.components.get(component.name), settings, fingerprint)
        if found is not None:
            out.problems[component.name] = found
    return out


def build_components(
    settings: Settings,
    components: list[Component],
    fingerprint: str,
    *,
    force: bool = False,
    include_optional: bool = True,
    show_progress: bool = True,
    say: Callable[[str], None] = print,
) -> dict[str, dict[str, Any]]:
    """Build what is missing or stale, under :func:`build_lock`; record each in the manifest as it finishes.

    A component whose manifest entry is current and whose files exist is skipped without being opened,
    so a second build with nothing changed takes about a second. Returns ``{name: {status, seconds}}``
    with status ``built`` | ``up to date`` | ``not needed``."""
    require_build_allowed("the build")
    report: dict[str, dict[str, Any]] = {}
    wanted = [c for c in components if include_optional or c.required]
    with build_lock(settings.home, on_wait=say):
        manifest = read_manifest(settings.home) or Manifest()  # after the lock: another build may have finished
        for number, component in enumerate(wanted, start=1):
            step = f"[{number}/{len(wanted)}] {component.title}"
            if not component.applies(settings):
                report[component.name] = {"status": "not needed", "seconds": 0.0}
                say(f"{step}: not needed with this catalogue and these settings")
                continue
            current = manifest.components.get(component.name)
            if not force and problem(component, current, settings, fingerprint) is None:
                report[component.name] = {"status": "up to date", "seconds": 0.0}
                say(f"{step}: up to date")
                continue
            say(f"{step} …")
            started = time.perf_counter()
            files = component.build(settings, show_progress)
            seconds = time.perf_counter() - started
            manifest.components[component.name] = record_for(component, settings, fingerprint, files, seconds)
            write_manifest(settings.home, manifest)
            report[component.name] = {"status": "built", "seconds": round(seconds, 1)}
            say(f"{step}: done in {seconds:.1f}s")
    return report
