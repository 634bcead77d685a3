"""Security and limits shared by the REST API, the UI and feedback capture.

* :func:`redact_pii` — names, addresses, postcodes, dates of birth, handles, emails and phone numbers
  out of anything that is logged or stored (:mod:`app.privacy.redactor`).
* :func:`hash_user_id` — HMAC-SHA256 of a user id (``u_`` + 64 hex) under a configured or per-install
  secret (:mod:`app.privacy.secret`); raw ids never reach logs or the events DB.

Authentication, rate limits and body limits live in :mod:`app.api.auth` and :mod:`app.api.limits`.
"""

from __future__ import annotations

import json
import logging

from app.privacy.hashing import hash_user_id as _hash_user_id
from app.privacy.redactor import redact_text, redact_value
from app.privacy.secret import hashing_key

# --------------------------------------------------------------------------------------------- PII
# One redactor and one keyed hash for the whole app: app.privacy (names, addresses, postcodes, dates
# of birth, handles, emails, phones, links; HMAC-SHA256 with a configured or per-install secret).
EMAIL_TOKEN = "[email]"
PHONE_TOKEN = "[phone]"


def redact_pii(text: str | None) -> str | None:
    """``text`` with PII replaced by placeholders (``[name]``, ``[email]``, ...): see :mod:`app.privacy.redactor`."""
    return redact_text(text)


def redact_obj(value):
    """Redact every string inside a JSON-like structure (dicts, lists, strings)."""
    return redact_value(value)


def _salt() -> bytes:
    """The HMAC key for user ids: ``WAYPOINT_USER_HASH_SALT`` or the per-install secret (never a public default)."""
    return hashing_key()


def hash_user_id(user_id: str | None) -> str | None:
    """``u_`` + 64 hex: HMAC-SHA256 of a user id under :func:`_salt`; ``None`` stays ``None``."""
    return _hash_user_id(user_id)


class RedactingFilter(logging.Filter):
    """Logging filter that redacts PII in every record's rendered message and its traceback text.

    The traceback matters: an exception message can quote the input (a validation error echoing a
    résumé line), and a handler formats ``exc_info`` after the filters ran unless ``exc_text`` is set.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001
            return True
        redacted = redact_pii(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        try:
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact_pii(record.exc_text)
        except Exception:  # noqa: BLE001, S110 - redaction must never break logging (and cannot log itself)
            pass
        return True


def _install_redacting_record_factory() -> None:
    """Wrap the log-record factory once so that every new record passes :class:`RedactingFilter`."""
    current = logging.getLogRecordFactory()
    if getattr(current, "_waypoint_redacting", False):
        return
    redactor = RedactingFilter()

    def factory(*args, **kwargs):
        record = current(*args, **kwargs)
        redactor.filter(record)
        return record

    factory._waypoint_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def install_log_redaction(*names: str) -> None:
    """Redact every log record of the process, idempotently.

    Why more than logger filters: a filter on the ``waypoint`` logger does not see records of its
    children (``waypoint.api``) or of other packages (``app.explain.memory``) -- those propagate
    straight to the root's handlers. So the record factory redacts every record when it is created
    (whatever logger, whatever handler is added later), and the filter is also attached to the named
    loggers and to every handler present now, root's included.
    """
    _install_redacting_record_factory()
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    for name in names or ("waypoint", "uvicorn", "uvicorn.access", "uvicorn.error", "fastapi"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
        for handler in logger.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())


def log_event(logger: logging.Logger, event: str, **fields) -> None:
    """One structured, redacted log line: ``event {json}``; a ``user_id`` field is hashed."""
    if "user_id" in fields:
        fields["user"] = hash_user_id(fields.pop("user_id"))
    logger.info("%s %s", event, json.dumps(redact_obj(fields), default=str, ensure_ascii=False))
