"""Résumé files → plain text: PDF (pypdf), DOCX (python-docx), TXT. Bounded in size, type, pages and time.

The UI hands this module a path that a client named over HTTP, so nothing about it is trusted (issue
27: a queue call naming ``/dev/zero`` wedged the server, one naming a secrets file leaked it). Before
a byte is read the path must resolve inside the upload folder (``inside``; symlinks cannot escape),
name a regular file (never a device, FIFO, socket or directory: checked with ``stat`` before opening,
so a FIFO cannot block the open, and again on the open descriptor, so a swap in between is caught),
be at most :data:`MAX_FILE_BYTES` (and no more than that is ever read), and have an allowed suffix whose
content looks like it (PDF header, DOCX zip signature, text without NUL bytes). PDF and DOCX are parsed
in a child process with CPU-time and memory caps that is killed after ``timeout_s``: a crafted file can
cost seconds, never a pinned core or a wedged server (a thread that overruns cannot be stopped; a
process can). The child gets the bytes on stdin, never the path.

Run as a script (``python -I files.py pdf|docx CPU_SECONDS PARENT_PID``) this module is that child.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

MAX_FILE_BYTES = 5_000_000
MAX_PDF_PAGES = 30
MAX_CHARS = 50_000
PARSE_TIMEOUT_S = 15.0  # a 30-page résumé parses in about a second; the rest is headroom on a busy host
PARSE_MEMORY_BYTES = 1 << 30  # address-space cap of the parsing child (zip or stream bombs stop here)
# suffix → the kind of file it must be; TXT takes any bytes without NULs (UTF-16 with a BOM aside)
ALLOWED_SUFFIXES = {".pdf": "pdf", ".docx": "docx", ".txt": "txt"}
_POLL_S = 0.1


class FileError(ValueError):
    """A file that cannot be read as a résumé: the message says why."""


def upload_folder() -> Path:
    """Gradio's upload folder (``GRADIO_TEMP_DIR`` or ``<tmp>/gradio``): the only place the UI reads from."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder())


def read_resume(
    path: str | Path,
    *,
    inside: str | Path | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    timeout_s: float = PARSE_TIMEOUT_S,
) -> str:
    """The text of a PDF, DOCX or TXT résumé (at most ``MAX_CHARS`` characters).

    ``inside``: the folder the file must resolve into (the UI passes :func:`upload_folder`; a local
    caller reading its own file may leave it out). Every refusal is a :class:`FileError` whose message
    names only the file's own name, never where a link pointed.
    """
    path = Path(path)
    kind, data = _read_checked(path, inside, max_bytes)
    try:
        text = _txt(data) if kind == "txt" else _parse_in_child(kind, data, path.name, timeout_s)
    except FileError:
        raise
    except Exception as exc:  # noqa: BLE001 - corrupt files of every kind end here
        raise FileError(f"could not read {path.name}: {type(exc).__name__}") from None
    text = "\n".join(line.rstrip() for line in text.replace("\x00", "").splitlines()).strip()
    if not text:
        raise FileError(f"no text found in {path.name} (a scanned PDF needs OCR first)")
    return text[:MAX_CHARS]


def _read_checked(path: Path, inside: str | Path | None, max_bytes: int) -> tuple[str, bytes]:
    """(kind, bytes) of ``path`` after every check that can be made without trusting it."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a symlink loop
        raise FileError("the uploaded file is missing") from None
    if inside is not None and not real.is_relative_to(Path(inside).resolve()):
        raise FileError(f"{path.name} was not uploaded through this page")
    try:
        st = os.stat(real)  # ``real`` has no links left: this is the file itself, and nothing is opened yet
    except OSError:
        raise FileError(f"could not open {path.name}") from None
    _check_stat(st, path.name, max_bytes)
    kind = ALLOWED_SUFFIXES.get(real.suffix.lower())
    if kind is None:
        raise FileError(f"unsupported file type {real.suffix.lower()!r}; upload a PDF, DOCX or TXT file")
    try:
        # O_NONBLOCK: should a FIFO be swapped in after the stat, opening it cannot block;
        # O_NOFOLLOW: nor can a symlink swapped in for the last component be followed.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(real, flags)
    except OSError:
        raise FileError(f"could not open {path.name}") from None
    try:
        _check_stat(os.fstat(fd), path.name, max_bytes)  # the descriptor is what will be read
        chunks, remaining = [], max_bytes + 1  # one byte more than allowed tells a file that grew
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    except OSError:
        raise FileError(f"could not read {path.name}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise FileError(_too_big(len(data), max_bytes))
    if not data:
        raise FileError("the uploaded file is empty")
    _check_content(kind, data, path.name)
    return kind, data


def _check_stat(st: os.stat_result, name: str, max_bytes: int) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise FileError(f"{name} is not a regular file")
    if st.st_size == 0:
        raise FileError("the uploaded file is empty")
    if st.st_size > max_bytes:
        raise FileError(_too_big(st.st_size, max_bytes))


def _too_big(size: int, max_bytes: int) -> str:
    return f"the file is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:g} MB"


def _check_content(kind: str, data: bytes, name: str) -> None:
    """The first bytes must look like the suffix says: a renamed database or binary is not a résumé."""
    if kind == "pdf":
        ok = b"%PDF-" in data[:1024]  # the PDF spec lets the header sit anywhere in the first 1 KB
    elif kind == "docx":
        ok = data.startswith(b"PK\x03\x04")  # a DOCX is a zip archive
    else:
        ok = data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" not in data
    if not ok:
        raise FileError(f"could not read {name}: its content is not a {kind.upper()} file")


def _parse_in_child(kind: str, data: bytes, name: str, timeout_s: float) -> str:
    """Parse ``data`` in a capped child process; kill it at ``timeout_s`` or when the server shuts down.

    The wait polls, so a server stopping (its main thread gone) does not sit out the timeout: the
    child is killed and the worker thread returns at once, and SIGTERM stays prompt. A server that dies
    without unwinding (uvicorn re-raises SIGTERM after its shutdown) cannot kill it: the child watches
    for that itself (:func:`_exit_with_parent`), and its CPU cap ends it in any case.
    """
    cpu_s = max(1, int(timeout_s) + 1)  # the child's own cap, should this process die without killing it
    proc = subprocess.Popen(
        [sys.executable, "-I", str(Path(__file__).resolve()), kind, str(cpu_s), str(os.getpid())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout_s
    pending: bytes | None = data  # communicate() takes the input once; later calls resume writing it
    try:
        while True:
            try:
                out, _ = proc.communicate(input=pending, timeout=min(_POLL_S, max(deadline - time.monotonic(), 0.001)))
                break
            except subprocess.TimeoutExpired:
                pending = None
                if time.monotonic() >= deadline:
                    raise FileError(
                        f"reading {name} took longer than {timeout_s:g} s; "
                        "upload a smaller or simpler file (or paste the text)"
                    ) from None
                if not threading.main_thread().is_alive():
                    raise FileError("the server is shutting down") from None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    try:
        result = json.loads(out)
    except ValueError:  # killed by its CPU or memory cap, or crashed: no JSON
        raise FileError(f"could not read {name}: it needs more time or memory than a résumé should") from None
    if result.get("encrypted"):
        raise FileError(f"{name} is password-protected")
    if "error" in result:
        raise FileError(f"could not read {name}: {result['error']}")
    return str(result.get("text") or "")


def _txt(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileError("the text file is not UTF-8 or Latin-1")


class _Encrypted(Exception):
    """The PDF needs a password (the child reports it apart from a corrupt file)."""


def _pdf(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        raise _Encrypted
    parts, chars = [], 0
    for page in reader.pages[:MAX_PDF_PAGES]:
        parts.append(page.extract_text() or "")
        chars += len(parts[-1])
        if chars >= MAX_CHARS:  # enough text: the rest of the pages would only cost time
            break
    return "\n".join(parts)


def _docx(data: bytes) -> str:
    import io

    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def _exit_with_parent(parent: int) -> None:
    """End this process within a fraction of a second of ``parent`` going away (a daemon thread polls)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


def _child_main(argv: list[str]) -> int:
    """The parsing child: caps its own CPU time and memory, reads the file's bytes on stdin, prints JSON."""
    import logging
    import resource

    kind, cpu_s, parent = argv[0], int(argv[1]), int(argv[2])
    _exit_with_parent(parent)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))  # SIGXCPU ends it should the parent not
    resource.setrlimit(resource.RLIMIT_AS, (PARSE_MEMORY_BYTES, PARSE_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    logging.disable(logging.CRITICAL)  # pypdf's warnings about a malformed file are noise here
    data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    try:
        result: dict = {"text": {"pdf": _pdf, "docx": _docx}[kind](data)[:MAX_CHARS]}
    except _Encrypted:
        result = {"encrypted": True}
    except ImportError:  # pragma: no cover - pypdf and python-docx are dependencies
        result = {"error": f"{kind.upper()} support is not installed; upload a TXT file"}
    except Exception as exc:  # noqa: BLE001 - corrupt files of every kind end here
        result = {"error": type(exc).__name__}
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
