"""Privacy: keyed hashes of ids and PII redaction of free text, for everything Waypoint stores or logs.

One module per job:

* :mod:`app.privacy.secret` -- the per-install hashing secret (``$WAYPOINT_HOME/secrets/user_hash_salt``)
  and the "explicit salt required" switch.
* :mod:`app.privacy.hashing` -- HMAC-SHA256 ids (``u_`` + 64 hex for users, ``p_`` + 64 hex for profiles).
* :mod:`app.privacy.redactor` -- :func:`redact_text` / :func:`find_pii`: the one redactor used for event
  payloads, log lines, the vector store and LLM prompts. It combines the rule modules
  :mod:`~app.privacy.contact` (emails, phones, links, handles), :mod:`~app.privacy.address` (street
  addresses, PO boxes, postcodes), :mod:`~app.privacy.dob` (dates of birth) and
  :mod:`~app.privacy.names` (person names, by context rules and a first-name gazetteer,
  :mod:`~app.privacy.gazetteer`), which never fire on the career words of :mod:`~app.privacy.vocab`.

Why a rule set and not Presidio: ``presidio-analyzer`` downloads from PyPI, but it requires spaCy and
its default configuration loads ``en_core_web_lg`` (``slim``: ``en_core_web_sm``); its name (PERSON)
and location recognizers are that model's NER. spaCy's English models are not published on PyPI by
their authors (only unofficial re-uploads, which we do not install), and nothing else can be fetched
here, so Presidio would be a regex library like this one plus a large spaCy install.

Measured (tests/test_privacy.py): 0 PII items of the listed kinds left in stored events, the vector
store's profile and turn collections and the logs after 50 synthetic profiles (460 items) went
through the service; false redaction on career text: 0 of 288,992 O*NET title/description/task
tokens, 0.046 % of 294k alternate-title tokens, 0.024 % of 714k skill tokens, 0.16 % of 70k
real-résumé tokens (an upper bound: those résumés hold some real names and links).
"""

from app.privacy.hashing import hash_profile_id, hash_user_id
from app.privacy.redactor import PiiSpan, find_pii, redact_text, redact_value

__all__ = ["PiiSpan", "find_pii", "hash_profile_id", "hash_user_id", "redact_text", "redact_value"]
