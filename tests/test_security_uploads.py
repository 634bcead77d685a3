"""Résumé uploads cannot read server files or wedge the server (issue 27, item 1).

Two layers are attacked. Gradio's own check that an event's file path lies in its upload folder
(enabled in :func:`app.ui.chat.mount_ui`) is attacked over HTTP only, against a real
``python -m app.server`` on a free loopback port: a ``queue/join`` call to the résumé upload handler
names a secrets file, ``/etc/passwd``, the catalogue database, ``/dev/zero``, FIFOs and symlinks.
None may be read: the secret must not come back in the response stream, land in the events database,
in any file the server wrote, or in Gradio's folder; ``/healthz`` must keep answering within 1 s while
the ``/dev/zero`` and FIFO calls are in flight, and the server must still stop on SIGTERM. A real
upload through Gradio's upload route is the positive control: it is read and understood, and its
canary is found by the same scans that find no secret (so the scans can fail).

The reader's own checks (:func:`app.ui.files.read_resume`: inside the folder after symlinks, regular
file, size before reading, content type, parse timeout) are unit-tested on real files in ``tmp_path``.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import sqlite3
import stat
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.pdf_files import pdf_bytes
from tests.server_helpers import Server, running_server, stop

SECRET = f"DB_PASSWORD=hunter2-{uuid.uuid4().hex}"
HEALTH_LIMIT_S = 1.0
RESUME = "I'm a registered nurse. I teach patients about managing diabetes and I use Microsoft Excel to track outcomes."


# ------------------------------------------------------------------------------------------------ files
def _slow_pdf(size: int = 4_500_000, pages: int = 30, text: bytes = b"") -> bytes:
    """A valid PDF that takes pypdf minutes: ``pages`` pages sharing one ~4.5 MB stream of text
    operators, empty by default (no text comes out, so the reader's character cap never ends it early)."""
    op = b"BT /F1 12 Tf 72 720 Td (" + text + b") Tj ET\n"
    stream = op * (size // len(op))
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
        b"/Resources << /Font << /F1 4 0 R >> >> >>"
    )
    objects += [page] * pages
    return pdf_bytes(objects)


def _parser_children(parent: int) -> list[int]:
    """Live PIDs of résumé-parsing children (``files.py`` run as a script) of process ``parent``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[1]) == parent and b"app/ui/files.py" in cmdline:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


# ------------------------------------------------------------------------------------------------ server
@dataclass
class UploadServer:
    """The running server plus what these tests look at: Gradio's upload folder and the UI's config."""

    srv: Server
    gradio_dir: Path
    ui: dict

    def __getattr__(self, name):  # base, proc, home, started, log_path: the running server's
        return getattr(self.srv, name)


@pytest.fixture(scope="module")
def server(waypoint_home, data_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("upload-security")
    gradio_dir = root / "gradio"
    gradio_dir.mkdir()
    with running_server(
        waypoint_home, root, log_level="info", WAYPOINT_DATA=str(data_dir), GRADIO_TEMP_DIR=str(gradio_dir)
    ) as srv:
        yield UploadServer(srv, gradio_dir, httpx.get(f"{srv.base}/ui/config", timeout=30).raise_for_status().json())


@pytest.fixture(scope="module")
def secret_file(tmp_path_factory) -> Path:
    """A secrets file outside Gradio's upload folder, named like a résumé so only the path check stops it."""
    path = tmp_path_factory.mktemp("outside") / "secrets.txt"
    path.write_text(SECRET + "\n")
    return path


# ------------------------------------------------------------------------------------------------ gradio client
def upload_fn(server: Server) -> tuple[int, int]:
    """(fn_index, trigger_id) of the résumé upload handler, found in /ui/config as a browser does."""
    cfg = server.ui
    comp = next(c for c in cfg["components"] if (c.get("props") or {}).get("elem_id") == "resume-upload")
    dep = next(d for d in cfg["dependencies"] if any(list(t) == [comp["id"], "upload"] for t in d["targets"]))
    return dep["id"], comp["id"]


def file_data(path: str | Path, name: str | None = None) -> dict:
    return {"path": str(path), "orig_name": name or Path(path).name, "meta": {"_type": "gradio.FileData"}}


@dataclass
class Call:
    message: dict  # the process_completed message
    raw: str  # everything the stream sent

    @property
    def outputs(self) -> list:
        return (self.message.get("output") or {}).get("data") or []

    @property
    def reply(self) -> str:
        """The assistant's last chat message ('' when Gradio refused the call before the handler ran)."""
        if not self.message.get("success") or not self.outputs:
            return ""
        history = self.outputs[0] or []
        content = history[-1]["content"] if history else ""
        if isinstance(content, list):  # gradio 6 may send message content as a list of parts
            content = " ".join(str(p.get("text", "")) if isinstance(p, dict) else str(p) for p in content)
        return str(content)

    @property
    def refused(self) -> bool:
        return not self.message.get("success") or self.reply.startswith("Sorry")


def queue_call(server: Server, data: list, fn: tuple[int, int] | None = None, timeout: float = 120) -> Call:
    """POST queue/join then read queue/data's SSE stream to this event's process_completed."""
    fn_index, trigger_id = fn or upload_fn(server)
    session = uuid.uuid4().hex
    joined = httpx.post(
        f"{server.base}/ui/gradio_api/queue/join",
        timeout=30,
        json={
            "data": data,
            "fn_index": fn_index,
            "trigger_id": trigger_id,
            "session_hash": session,
            "event_data": None,
        },
    )
    joined.raise_for_status()
    event_id = joined.json()["event_id"]
    raw, deadline = [], time.monotonic() + timeout
    with httpx.stream(
        "GET",
        f"{server.base}/ui/gradio_api/queue/data",
        params={"session_hash": session},
        timeout=httpx.Timeout(30, read=timeout),
    ) as stream:
        for line in stream.iter_lines():
            raw.append(line)
            if line.startswith("data:"):
                msg = json.loads(line[5:])
                if msg.get("msg") == "process_completed" and msg.get("event_id") == event_id:
                    return Call(msg, "\n".join(raw))
                if msg.get("msg") == "close_stream":
                    break
            if time.monotonic() > deadline:
                break
    raise AssertionError(f"no process_completed for {event_id}:\n" + "\n".join(raw)[-2000:])


def upload(server: Server, name: str, content: bytes) -> httpx.Response:
    """Gradio's own upload route, as the browser uses it."""
    return httpx.post(f"{server.base}/ui/gradio_api/upload", files={"files": (name, content)}, timeout=60)


def health_times(server: Server, seconds: float) -> list[float]:
    """Seconds each /healthz took, polled for ``seconds`` (inf for one that failed or timed out)."""
    times, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.monotonic()
        try:
            ok = httpx.get(f"{server.base}/healthz", timeout=HEALTH_LIMIT_S + 1).status_code == 200
        except httpx.HTTPError:
            ok = False
        times.append(time.monotonic() - t0 if ok else float("inf"))
        time.sleep(0.2)
    return times


# ------------------------------------------------------------------------------------------------ scans
def _regular_files(root: Path, since: float):
    """Regular files under ``root`` written since ``since`` (ctime: a copy that kept its source's mtime
    is still a new inode)."""
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            try:
                st = path.lstat()
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and st.st_ctime >= since:
                yield path


def files_containing(roots: list[Path], needle: bytes, since: float = 0.0) -> list[Path]:
    """Regular files under ``roots`` written since ``since`` whose bytes contain ``needle``."""
    hits = []
    for root in roots:
        for path in _regular_files(root, since):
            with open(path, "rb") as f:
                tail = b""
                while chunk := f.read(1 << 20):
                    if needle in tail + chunk:
                        hits.append(path)
                        break
                    tail = chunk[-len(needle) :]
    return hits


def events_containing(home: Path, needle: str) -> int:
    """Rows of any table in the events database whose text contains ``needle``."""
    path = home / "events.sqlite"
    if not path.exists():
        return 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return sum(
            1
            for t in tables
            for row in conn.execute(f'SELECT * FROM "{t}"')  # names from sqlite_master
            if needle in " ".join(str(v) for v in row)
        )
    finally:
        conn.close()


def assert_secret_nowhere(server: Server, call: Call | None = None) -> None:
    if call is not None:
        assert SECRET not in call.raw
    assert events_containing(server.home, SECRET) == 0
    assert files_containing([server.home, server.gradio_dir], SECRET.encode(), since=server.started) == []


# ------------------------------------------------------------------------------------------------ attacks over HTTP
BLOCKING = {"/dev/zero", "fifo outside", "fifo inside", "symlink inside → /dev/zero"}


def _attack_paths(server: Server, secret_file: Path) -> dict[str, Path]:
    """Paths a client can name; the FIFO and symlinks are planted as a local attacker could."""
    planted = server.gradio_dir / f"planted-{uuid.uuid4().hex[:8]}"
    planted.mkdir()
    fifo_inside, fifo_outside = planted / "fifo.txt", secret_file.parent / f"fifo-{uuid.uuid4().hex[:8]}.txt"
    os.mkfifo(fifo_inside)
    os.mkfifo(fifo_outside)
    (planted / "link-secret.txt").symlink_to(secret_file)
    (planted / "link-zero.txt").symlink_to("/dev/zero")
    return {
        "secret file": secret_file,
        "/etc/passwd": Path("/etc/passwd"),
        "catalogue": server.home / "catalogue.sqlite",
        "/dev/zero": Path("/dev/zero"),
        "fifo outside": fifo_outside,
        "fifo inside": fifo_inside,
        "symlink inside → secret": planted / "link-secret.txt",
        "symlink inside → /dev/zero": planted / "link-zero.txt",
    }


def test_queue_join_with_server_paths_is_refused(server, secret_file):
    """Every server path named in a queue call is refused, none is read or copied, and health holds."""
    before = set(_regular_files(server.gradio_dir, 0))
    for label, path in _attack_paths(server, secret_file).items():
        endless = label in BLOCKING  # reading these never ends: watch health for longer while they are in flight
        pool = concurrent.futures.ThreadPoolExecutor(1)
        future = pool.submit(queue_call, server, [file_data(path), [], None], None, 60)
        health = health_times(server, 1.5 if endless else 0.3)  # while the call is queued and running
        call = future.result(timeout=90)
        pool.shutdown()
        health += health_times(server, 0.3)  # and after it
        assert call.refused, f"{label}: the handler read it: {call.reply!r}"
        assert "Uploaded" not in call.reply, label
        assert max(health) < HEALTH_LIMIT_S, f"{label}: /healthz took {max(health):.2f} s"
        assert_secret_nowhere(server, call)
        assert "root:x:0:0" not in call.raw, label
    gradio_files = [p for p in _regular_files(server.gradio_dir, 0) if p not in before]
    assert files_containing([server.gradio_dir], b"root:x:0:0:") == []
    assert not [p for p in gradio_files if p.open("rb").read(16) == b"SQLite format 3\x00"], "catalogue copied"
    assert sum(p.stat().st_size for p in gradio_files) < 1_000_000, "something was copied into Gradio's folder"


def test_server_file_in_chat_history_is_not_copied(server, secret_file):
    """A FileData path in another input (the chat history) meets the same check: nothing is copied."""
    history = [
        {"role": "user", "content": [{"type": "file", "file": file_data(secret_file)}]},
        {"role": "user", "content": file_data(secret_file)},
    ]
    call = queue_call(server, [None, history, None])
    assert not call.message.get("success")
    assert_secret_nowhere(server, call)


def test_uploaded_file_with_wrong_content_is_refused_by_the_handler(server):
    """Past Gradio's check (a real upload) the handler still refuses a database renamed to .pdf."""
    fake = b"SQLite format 3\x00" + os.urandom(4096)
    path = upload(server, "cv.pdf", fake).raise_for_status().json()[0]
    call = queue_call(server, [file_data(path, "cv.pdf"), [], None])
    assert call.message.get("success") and call.reply.startswith("Sorry"), call.reply
    assert "not a PDF file" in call.reply


def test_upload_route_caps_the_size_at_the_readers_limit(server):
    from app.ui.files import MAX_FILE_BYTES

    too_big = upload(server, "big.txt", b"a" * (MAX_FILE_BYTES + 1))
    assert too_big.status_code == 413, too_big.text
    assert upload(server, "max.txt", b"a" * MAX_FILE_BYTES).status_code == 200


@pytest.mark.slow
def test_real_upload_is_read_and_understood(server):
    """Positive control: the browser's path (upload route, then the handler) works and is what the
    scans above look at: the résumé's canary shows up in Gradio's folder and in the events database."""
    canary = f"canary{uuid.uuid4().hex}"
    path = upload(server, "cv.txt", f"{RESUME}\nReference {canary}.\n".encode()).raise_for_status().json()[0]
    assert Path(path).resolve().is_relative_to(server.gradio_dir.resolve())
    call = queue_call(server, [file_data(path, "cv.txt"), [], None], timeout=900)
    assert call.message.get("success"), call.raw[-2000:]
    history, _state, occupation, _skills = call.outputs[:4]
    assert any("Uploaded cv.txt" in str(m.get("content")) for m in history), history
    # the occupation field is a dropdown of the understood candidates, set to the best one
    assert (occupation.get("value") if isinstance(occupation, dict) else occupation) == "Registered Nurses"
    assert files_containing([server.gradio_dir], canary.encode(), since=server.started)
    assert events_containing(server.home, canary) > 0
    assert files_containing([server.home], canary.encode(), since=server.started)


def test_server_stops_on_sigterm_during_a_slow_parse(server):
    """Last: a crafted PDF is being parsed; SIGTERM still stops the server within seconds and the
    parsing child goes with it (uvicorn's graceful shutdown is 5 s)."""
    path = upload(server, "slow.pdf", _slow_pdf()).raise_for_status().json()[0]
    pool = concurrent.futures.ThreadPoolExecutor(1)
    pool.submit(lambda: queue_call(server, [file_data(path, "slow.pdf"), [], None], None, 60))
    deadline, children = time.monotonic() + 30, []
    while not children and time.monotonic() < deadline:
        children = _parser_children(server.proc.pid)
        time.sleep(0.1)
    assert children, "the slow PDF never reached the parser"
    assert max(health_times(server, 1.0)) < HEALTH_LIMIT_S
    took = stop(server.proc)
    pool.shutdown(wait=True, cancel_futures=True)
    assert took < 10, f"SIGTERM took {took:.1f} s"
    time.sleep(0.5)
    assert not any(_alive(pid) for pid in children), "the parsing child outlived the server"


# ------------------------------------------------------------------------------------------------ the reader's own checks
def _refused(path, match: str, **kw) -> str:
    from app.ui.files import FileError, read_resume

    with pytest.raises(FileError, match=match) as info:
        read_resume(path, **kw)
    return str(info.value)


def test_reader_refuses_devices_and_directories(tmp_path):
    assert "not a regular file" in _refused("/dev/zero", "not a regular file")
    _refused("/dev/null", "not a regular file")
    (tmp_path / "dir.txt").mkdir()
    _refused(tmp_path / "dir.txt", "not a regular file")
    _refused(tmp_path / "missing.txt", "missing")
    _refused("/dev/zero", "not uploaded", inside=tmp_path)


def test_reader_refuses_a_fifo_without_blocking(tmp_path):
    fifo = tmp_path / "cv.txt"
    os.mkfifo(fifo)
    outcome: list = []

    def read() -> None:
        from app.ui.files import FileError, read_resume

        try:
            outcome.append(read_resume(fifo, inside=tmp_path))
        except FileError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=read, daemon=True)  # daemon: a reader that blocks must not hang pytest
    worker.start()
    worker.join(timeout=5)
    if worker.is_alive():  # unblock it: open the FIFO for writing and close it
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("read_resume blocked on a FIFO")
    assert outcome and "not a regular file" in str(outcome[0])


def test_reader_refuses_symlinks_out_of_the_folder(tmp_path):
    from app.ui.files import read_resume

    uploads, outside = tmp_path / "uploads", tmp_path / "private"
    uploads.mkdir()
    outside.mkdir()
    (outside / "secrets.txt").write_text(SECRET)
    (uploads / "cv.txt").symlink_to(outside / "secrets.txt")
    (uploads / "up.txt").symlink_to("../private/secrets.txt")
    for link in ("cv.txt", "up.txt"):
        message = _refused(uploads / link, "not uploaded", inside=uploads)
        assert "private" not in message and "hunter2" not in message  # where it pointed stays unsaid
    _refused(outside / "secrets.txt", "not uploaded", inside=uploads)
    _refused(uploads / ".." / "private" / "secrets.txt", "not uploaded", inside=uploads)
    # control: a link that stays inside the folder, and the same file read without a folder rule
    (uploads / "real.txt").write_text("Welder and fabricator")
    (uploads / "alias.txt").symlink_to(uploads / "real.txt")
    assert read_resume(uploads / "alias.txt", inside=uploads) == "Welder and fabricator"
    assert read_resume(outside / "secrets.txt") == SECRET


def test_reader_checks_size_before_reading(tmp_path):
    from app.ui.files import MAX_FILE_BYTES, read_resume

    sparse = tmp_path / "huge.txt"
    with open(sparse, "wb") as f:
        f.truncate(8_000_000_000)  # 8 GB of holes: reading it would take many seconds and 8 GB of memory
    t0 = time.monotonic()
    _refused(sparse, "the limit is 5 MB")
    assert time.monotonic() - t0 < 1.0
    exact, over = tmp_path / "exact.txt", tmp_path / "over.txt"
    exact.write_bytes(b"a" * MAX_FILE_BYTES)
    over.write_bytes(b"a" * (MAX_FILE_BYTES + 1))
    assert len(read_resume(exact)) == 50_000  # at the limit it is read (and cut to MAX_CHARS)
    _refused(over, "limit")
    small = tmp_path / "small.txt"
    small.write_bytes(b"b" * 1001)
    _refused(small, "limit", max_bytes=1000)


def test_reader_checks_the_content_matches_the_type(tmp_path):
    from app.ui.files import read_resume

    cases = [
        ("db.pdf", b"SQLite format 3\x00" + b"\x01" * 100, "not a PDF file"),
        ("cv.docx", b"%PDF-1.4\n" + b"x" * 100, "not a DOCX file"),
        ("cv.txt", b"SQLite format 3\x00" + b"\x00" * 100, "not a TXT file"),
        ("cv.exe", b"MZ\x90\x00", "unsupported file type"),
        ("passwd", b"root:x:0:0:root:/root:/bin/bash\n", "unsupported file type"),
    ]
    for name, content, match in cases:
        (tmp_path / name).write_bytes(content)
        _refused(tmp_path / name, match)
    utf16 = tmp_path / "utf16.txt"  # NUL bytes are fine in UTF-16 text with its byte-order mark
    utf16.write_bytes("Pâtissière".encode("utf-16"))
    assert read_resume(utf16) == "Pâtissière"


def test_reader_gives_up_on_a_slow_pdf_and_kills_the_parser(tmp_path):
    from app.ui.files import read_resume

    slow = tmp_path / "slow.pdf"
    slow.write_bytes(_slow_pdf())  # minutes of pypdf without a timeout
    t0 = time.monotonic()
    message = _refused(slow, "took longer than 1 s", timeout_s=1.0)
    assert time.monotonic() - t0 < 5, message
    time.sleep(0.2)
    assert _parser_children(os.getpid()) == []
    ok = tmp_path / "ok.pdf"  # control: a small PDF of the same kind parses well within the limit
    ok.write_bytes(_slow_pdf(size=2_000, pages=2, text=b"Welder"))
    assert "Welder" in read_resume(ok, timeout_s=10.0)
