"""Errors raised by ingestion; each names the file (and line) at fault so a person can fix it."""

from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """Bad input data: missing directory or file, wrong columns, truncated or malformed rows."""

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        self.path = Path(path) if path else None
        self.line = line
        where = ""
        if path:
            where = f"{path}"
            if line is not None:
                where += f", line {line}"
            where += ": "
        super().__init__(f"{where}{message}")
