"""Locate the source files, wherever they come from.

Ingestion accepts ``../shared/data`` (onet/, esco/, courses/, jobs/, interactions/, resumes/), the
official O*NET text release and the ESCO CSV download, each as a directory, a zip file or an
http(s) URL (downloaded once into ``WAYPOINT_HOME/downloads``). Files are found by their official
names anywhere below the root, so nested release folders (``db_29_3_text/``) need no configuration.
"""

from __future__ import annotations

import hashlib
import shutil
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, overload

from retrieval.catalogue.errors import IngestError


@dataclass
class DataSource:
    """A set of root directories searched for source files by name."""

    roots: list[Path]
    _index: dict[str, list[Path]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for root in self.roots:
            for path in sorted(root.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    self._index.setdefault(path.name.lower(), []).append(path)

    @overload
    def find(self, *names: str, required: Literal[True] = True) -> Path: ...

    @overload
    def find(self, *names: str, required: bool) -> Path | None: ...

    def find(self, *names: str, required: bool = True) -> Path | None:
        """First file with one of ``names`` (case-insensitive); ``IngestError`` if required and absent."""
        for name in names:
            hits = self._index.get(name.lower())
            if hits:
                return hits[0]
        if required:
            roots = ", ".join(str(r) for r in self.roots)
            raise IngestError(f"required source file {names[0]!r} not found under {roots}")
        return None

    def files(self) -> list[Path]:
        return sorted(p for paths in self._index.values() for p in paths)

    def fingerprint(self, names: list[Path] | None = None) -> str:
        """Content hash of the given files (default: all), so unchanged inputs are skipped."""
        digest = hashlib.sha256()
        for path in names if names is not None else self.files():
            digest.update(path.name.encode())
            with path.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
        return digest.hexdigest()


def _download(url: str, downloads: Path) -> Path:
    downloads.mkdir(parents=True, exist_ok=True)
    name = url.rstrip("/").rsplit("/", 1)[-1] or "download"
    target = downloads / f"{hashlib.sha1(url.encode()).hexdigest()[:10]}-{name}"
    if target.exists():
        return target
    partial = target.with_suffix(target.suffix + ".part")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, partial.open("wb") as out:
            shutil.copyfileobj(response, out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise IngestError(f"could not download {url}: {exc}") from exc
    partial.replace(target)
    return target


def _extract(zip_path: Path, cache: Path) -> Path:
    try:
        with zipfile.ZipFile(zip_path) as archive:
            stamp = hashlib.sha1(f"{zip_path.resolve()}:{zip_path.stat().st_size}".encode()).hexdigest()[:10]
            target = cache / f"{zip_path.stem}-{stamp}"
            if not (target / ".complete").exists():
                shutil.rmtree(target, ignore_errors=True)
                archive.extractall(target)
                (target / ".complete").touch()
            return target
    except zipfile.BadZipFile as exc:
        raise IngestError(f"not a valid zip file: {exc}", zip_path) from exc


def resolve_source(spec: str | Path | list[str | Path], home: Path) -> DataSource:
    """Turn directories, zip files and URLs (one or several) into a searchable :class:`DataSource`."""
    specs = spec if isinstance(spec, list) else [s for s in str(spec).split(",") if s.strip()]
    if not specs:
        raise IngestError(
            "no data directory configured: pass --data DIR or set WAYPOINT_DATA "
            "(a directory, zip file or URL of the O*NET text release / ESCO CSV download)"
        )
    roots: list[Path] = []
    for item in specs:
        text = str(item).strip()
        if text.startswith(("http://", "https://")):
            path = _download(text, home / "downloads")
        else:
            path = Path(text).expanduser()
        if not path.exists():
            raise IngestError("data path does not exist", path)
        if path.is_file():
            if not zipfile.is_zipfile(path):
                raise IngestError("expected a directory or a zip file", path)
            path = _extract(path, home / "downloads")
        roots.append(path)
    return DataSource(roots)
