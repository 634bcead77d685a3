"""Strict table readers: every malformed row is reported with its file and line.

Truncated rows (fields missing), extra fields, wrong headers and unparseable numbers all raise
:class:`IngestError` before anything is written, so a corrupt file never half-updates the catalogue.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from retrieval.catalogue.errors import IngestError


def read_table(path: Path, columns: list[str], *, sep: str = ",", tsv: bool = False) -> pd.DataFrame:
    """Read a CSV/TSV as strings, demanding ``columns`` and complete rows.

    O*NET text files are tab-separated with no quoting (``tsv=True``); the other sources are
    ordinary quoted CSV whose fields may span lines, so their "line" is a record number.
    """
    if not path.is_file():
        raise IngestError("file not found", path)
    try:
        frame = pd.read_csv(
            path,
            sep="\t" if tsv else sep,
            dtype=str,
            keep_default_na=False,
            quoting=csv.QUOTE_NONE if tsv else csv.QUOTE_MINIMAL,
            encoding="utf-8",
            encoding_errors="strict",
        )
    except pd.errors.ParserError as exc:
        raise IngestError(f"malformed table: {exc}", path) from exc
    except UnicodeDecodeError as exc:
        raise IngestError(f"not UTF-8 text at byte {exc.start}", path) from exc
    except pd.errors.EmptyDataError as exc:
        raise IngestError("file is empty", path) from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise IngestError(f"missing columns {missing}; found {list(frame.columns)}", path)
    _check_field_counts(path, len(frame.columns), tsv=tsv)
    return frame[columns]


def _check_field_counts(path: Path, width: int, *, tsv: bool) -> None:
    """pandas pads short rows silently, so count each record's fields with the csv module."""
    with path.open(encoding="utf-8", newline="") as handle:
        if tsv:
            for number, line in enumerate(handle, start=1):
                fields = line.rstrip("\r\n").count("\t") + 1
                if fields != width and line.strip():
                    raise IngestError(f"row has {fields} of {width} fields (truncated or malformed)", path, line=number)
            return
        reader = csv.reader(handle)
        for record in reader:
            if len(record) != width and any(field.strip() for field in record):
                raise IngestError(
                    f"record has {len(record)} of {width} fields (truncated or malformed)", path, line=reader.line_num
                )


def to_float(frame: pd.DataFrame, column: str, path: Path, *, allow_empty: bool = True) -> np.ndarray:
    """Parse a numeric column; the first bad value is reported with its line."""
    values = frame[column].str.strip()
    parsed = pd.to_numeric(values.replace("", np.nan), errors="coerce")
    bad = parsed.isna() & ~(values.eq("") if allow_empty else False)
    if bool(np.any(bad)):
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise IngestError(f"column {column!r}: {values.iloc[row]!r} is not a number", path, line=row + 2)
    return parsed.to_numpy(dtype="float64")
