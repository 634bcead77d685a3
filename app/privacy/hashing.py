"""Keyed, full-length hashes of user and profile ids: what the events database and logs keep.

Why HMAC-SHA256 with a secret key and all 256 bits: a hash of an id is only as private as the key is
secret (with a known key, hashing "user1".."user10000" and the applicant ids reverses them), and a
64-bit prefix invites collisions and precomputation at scale. The key is
:func:`app.privacy.secret.hashing_key` (configured salt or per-install secret). User and profile
ids are hashed under different labels, so a profile id equal to some user id does not link the two.

Formats: ``u_`` + 64 hex (user ids, column ``user_hash``) and ``p_`` + 64 hex (profile ids in
payloads and vector-store owner keys). Training and evaluation only compare these values with each
other, never with raw ids, so the format change from 16 to 64 hex needs nothing from them.
"""

from __future__ import annotations

import hashlib
import hmac

from app.privacy.secret import hashing_key

USER_PREFIX = "u_"
PROFILE_PREFIX = "p_"


def _digest(label: bytes, value: str, settings=None) -> str:
    return hmac.new(hashing_key(settings), label + b"\x00" + value.encode("utf-8"), hashlib.sha256).hexdigest()


def hash_user_id(user_id: str | None, settings=None) -> str | None:
    """``u_`` + HMAC-SHA256 hex of a user id; ``None`` and ``""`` give ``None``."""
    if user_id is None or str(user_id) == "":
        return None
    return USER_PREFIX + _digest(b"user", str(user_id), settings)


def hash_profile_id(profile_id: str | None, settings=None) -> str | None:
    """``p_`` + HMAC-SHA256 hex of a caller's profile id; already-hashed ids pass unchanged.

    Idempotent on purpose: a payload stored with a hashed id and rebuilt into a profile (training's
    prompt rebuild) must keep the same id, not get a hash of the hash.
    """
    if profile_id is None or str(profile_id) == "":
        return None
    value = str(profile_id)
    if is_hashed(value, PROFILE_PREFIX):
        return value
    return PROFILE_PREFIX + _digest(b"profile", value, settings)


def is_hashed(value: str, prefix: str) -> bool:
    body = value[len(prefix) :]
    return value.startswith(prefix) and len(body) == 64 and all(c in "0123456789abcdef" for c in body)
