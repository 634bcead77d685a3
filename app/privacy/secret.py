"""The key that user and profile ids are hashed with: configured, or a random per-install secret.

Why no default: a public default key makes every stored hash reversible by hashing likely ids
(issue 27: 676 of 677 stored user hashes reversed in 0.56 s). So the key is, in this order,

1. ``settings.user_hash_salt`` (``WAYPOINT_USER_HASH_SALT``), when set;
2. otherwise a 32-byte random secret created once at ``$WAYPOINT_HOME/secrets/user_hash_salt`` and
   read back on every later start, so hashes stay stable across restarts and across processes that
   share the home (server, CLI, training);
3. unless ``settings.require_user_hash_salt`` is on: then a missing salt is an error
   (:class:`SecretConfigError`), raised at start-up by :func:`check_secret_config`. Use it where
   several replicas share one events database: per-install files would give each replica its own key.

The file is created race-free: the secret is written and fsynced into a private temporary file made
with ``os.open(O_CREAT | O_EXCL, 0o600)`` and then hard-linked to its final name, which fails if
another process got there first; the loser reads the winner's complete file. So two processes
starting at once agree on one secret, and a crash never leaves a half-written one. Filesystems
without hard links fall back to ``O_CREAT | O_EXCL`` on the final name plus a short wait for its
content.

Permissions: the ``secrets`` directory is made (or tightened to) 0700 -- tightening a directory that
holds only our own files loses nothing. A secret *file* readable or writable by group or others is
**refused**, not fixed: it may already have been read, and silently narrowing the mode would hide
that. The error says how to recover (``chmod 600`` if you know it was not exposed, or delete the
file to rotate the key -- which makes old hashes unlinkable to new ones).
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import threading
import time
from pathlib import Path

SECRET_DIR = "secrets"
SECRET_FILE = "user_hash_salt"
SECRET_BYTES = 32
_cache: dict[str, bytes] = {}
_lock = threading.Lock()


class SecretConfigError(RuntimeError):
    """The hashing key is missing, unreadable or exposed: the app must not hash (or start) with it."""


def secret_path(home: str | os.PathLike) -> Path:
    return Path(home).expanduser().resolve() / SECRET_DIR / SECRET_FILE


def _ensure_dir(path: Path) -> None:
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            os.chmod(path, 0o700)
    except OSError as exc:
        raise SecretConfigError(
            f"cannot create the secrets directory {path} (0700): {exc}; set "
            "WAYPOINT_USER_HASH_SALT or make $WAYPOINT_HOME writable"
        ) from exc


def _check_mode(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SecretConfigError(
            f"{path} has permissions {mode:04o}; the hashing secret must be 0600 (owner only). If you are "
            f"sure nobody else read it, run `chmod 600 {path}`; otherwise delete it to rotate the key "
            "(hashes stored before then no longer match new ones)."
        )


def _parse(raw: bytes, path: Path) -> bytes:
    text = raw.decode("ascii", "replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise SecretConfigError(
            f"{path} does not hold a hex secret of at least 16 bytes; delete it to create "
            "a new one (hashes stored before then no longer match new ones)"
        )
    return key


def _read(path: Path, wait_s: float = 0.0) -> bytes:
    """The secret in ``path``; waits up to ``wait_s`` for a writer that created but has not filled it."""
    deadline = time.monotonic() + wait_s
    while True:
        _check_mode(path)
        raw = path.read_bytes()
        if raw.strip() or time.monotonic() >= deadline:
            return _parse(raw, path)
        time.sleep(0.02)


def _create_synced(path: Path, content: bytes) -> None:
    """Create ``path`` (0600; FileExistsError if it exists) holding ``content``, flushed to disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_new(path: Path) -> None:
    """Create ``path`` with a fresh secret unless it exists; never overwrites another process's secret."""
    content = (secrets.token_hex(SECRET_BYTES) + "\n").encode("ascii")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    _create_synced(tmp, content)
    try:
        os.link(tmp, path)  # atomic: EEXIST when another process won the race
    except FileExistsError:
        pass
    except OSError as exc:  # no hard links here (some network/FUSE filesystems): O_EXCL on the final name
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        try:
            _create_synced(path, content)
        except FileExistsError:
            return
    finally:
        tmp.unlink(missing_ok=True)


def install_secret(home: str | os.PathLike) -> bytes:
    """The per-install secret under ``home`` (created on first use, cached per home)."""
    path = secret_path(home)
    key = str(path)
    with _lock:
        if key in _cache:
            return _cache[key]
        _ensure_dir(path.parent)
        try:
            if not path.exists():
                _write_new(path)
            value = _read(path, wait_s=2.0)
        except OSError as exc:
            raise SecretConfigError(f"cannot create or read the hashing secret {path}: {exc}") from exc
        _cache[key] = value
        return value


def hashing_key(settings=None) -> bytes:
    """The HMAC key for ids: the configured salt, else the per-install secret (see the module doc)."""
    if settings is None:
        from retrieval.settings import get_settings

        env = os.environ.get("WAYPOINT_USER_HASH_SALT", "").strip()  # a change after get_settings() was cached
        if env:
            return env.encode("utf-8")
        settings = get_settings()
    salt = (getattr(settings, "user_hash_salt", "") or "").strip()
    if salt:
        return salt.encode("utf-8")
    if getattr(settings, "require_user_hash_salt", False):
        raise SecretConfigError(
            "require_user_hash_salt is on but WAYPOINT_USER_HASH_SALT is empty: set it to a "
            "long random secret shared by every replica (e.g. `openssl rand -hex 32`)"
        )
    return install_secret(settings.home)


def check_secret_config(settings=None) -> str:
    """Call at start-up: raises :class:`SecretConfigError` early; returns where the key comes from."""
    hashing_key(settings)
    if settings is None:
        from retrieval.settings import get_settings

        settings = get_settings()
    if (getattr(settings, "user_hash_salt", "") or "").strip():
        return "configured"
    return f"per-install secret {secret_path(settings.home)}"


def forget_cached_secrets() -> None:
    """Drop the per-process cache of secrets read from disk (tests; after rotating a secret file)."""
    with _lock:
        _cache.clear()
