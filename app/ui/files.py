"""Résumé files → plain text: PDF (pypdf), DOCX (python-docx), TXT. Bounded in size and pages."""

from __future__ import annotations

from pathlib import Path

MAX_FILE_BYTES = 5_000_000
MAX_PDF_PAGES = 30
MAX_CHARS = 50_000


class FileError(ValueError):
    """A file that cannot be read as a résumé: the message says why."""


def read_resume(path: str | Path) -> str:
    """The text of a PDF, DOCX or TXT résumé (at most ``MAX_CHARS`` characters)."""
    path = Path(path)
    if not path.is_file():
        raise FileError("the uploaded file is missing")
    size = path.stat().st_size
    if size == 0:
        raise FileError("the uploaded file is empty")
    if size > MAX_FILE_BYTES:
        raise FileError(f"the file is {size / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB")
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            text = _pdf(path)
        elif suffix == ".docx":
            text = _docx(path)
        elif suffix in (".txt", ".text", ".md", ""):
            text = _txt(path)
        else:
            raise FileError(f"unsupported file type {suffix!r}; upload a PDF, DOCX or TXT file")
    except FileError:
        raise
    except Exception as exc:  # noqa: BLE001 - corrupt files of every kind end here
        raise FileError(f"could not read {path.name}: {type(exc).__name__}") from None
    text = "\n".join(line.rstrip() for line in text.replace("\x00", "").splitlines()).strip()
    if not text:
        raise FileError(f"no text found in {path.name} (a scanned PDF needs OCR first)")
    return text[:MAX_CHARS]


def _txt(path: Path) -> str:
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileError("the text file is not UTF-8 or Latin-1")


def _pdf(path: Path) -> str:
    try:
        from pypdf import PdfReader
    except ImportError:  # pragma: no cover - pypdf is a dependency
        raise FileError("PDF support is not installed (pip install pypdf); upload a TXT file") from None
    reader = PdfReader(str(path))
    if reader.is_encrypted:
        raise FileError("the PDF is password-protected")
    return "\n".join((page.extract_text() or "") for page in reader.pages[:MAX_PDF_PAGES])


def _docx(path: Path) -> str:
    try:
        import docx
    except ImportError:  # pragma: no cover - python-docx is a dependency
        raise FileError("DOCX support is not installed (pip install python-docx); upload a TXT file") from None
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)
