"""A private copy of a built WAYPOINT_HOME that costs nothing: folders are its own, files are symlinks.

Why: a test that deletes or rebuilds an artifact must not touch the session's home, and copying the
real one (~1 GB) per test is slow. Deleting a file here removes only the link; a build writes its new
file (temporary file, then rename) into the mirror's own folder, and replaces a linked manifest rather
than writing through it. The events database, the vector store, the secret and the build lock are the
home's runtime state, so the mirror starts with none of them.
"""

from __future__ import annotations

from pathlib import Path

OWN = {"events.sqlite", "events.sqlite-wal", "events.sqlite-shm", "qdrant-edge", "build.lock", "secrets"}


def mirror_home(src: Path, dst: Path) -> Path:
    """Mirror ``src`` into ``dst`` (see the module docstring); returns ``dst``. What ``dst`` already holds is
    kept, so mirroring again adds only what ``src`` gained since."""
    dst.mkdir(parents=True, exist_ok=True)
    for entry in Path(src).iterdir():
        if entry.name in OWN or ".tmp" in entry.name or entry.name.endswith(".lock"):
            continue
        if entry.is_dir() and not entry.is_symlink():
            mirror_home(entry, dst / entry.name)
        elif not (dst / entry.name).is_symlink() and not (dst / entry.name).exists():
            (dst / entry.name).symlink_to(entry.resolve())
    if Path(src).name == "indexes":
        (dst / "qdrant-edge").mkdir(exist_ok=True)
    return dst


def model_files(home: Path) -> set[str]:
    """Every model and index file of a home (the vector store is runtime state and not listed)."""
    out = set()
    for folder in (home / "models", home / "indexes"):
        for path in folder.rglob("*") if folder.is_dir() else []:
            if "qdrant-edge" not in path.parts and (path.is_file() or path.is_symlink()):
                out.add(str(path.relative_to(home)))
    return out
