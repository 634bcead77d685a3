"""Privacy (issue 27, item 4): no reversible user ids, no PII kept in events, logs or the vector store.

Real components throughout: the per-install secret on a real filesystem (and real concurrent
processes racing to create it), the real redactor on the real catalogue and résumés, and 50
synthetic people (tests/privacy_fixture.py, Faker) sent through ``WaypointService.recommend`` /
``explain`` / ``feedback`` with the deterministic backend on the session catalogue, read back from
the events SQLite and from the Qdrant Edge profile and turn collections.

Figures this module measures (printed with ``-s``; the bounds asserted are stated at each test):

* PII items of the listed kinds left in stored payloads and vector-store text after the round trip;
* user/profile hashes reversed by a dictionary attack that knows the old public salt but not the
  install secret;
* false redaction on career text: the share of whitespace tokens that fall inside a redacted span.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from app.privacy import redact_text
from app.privacy.hashing import hash_profile_id, hash_user_id
from app.privacy.redactor import find_pii
from app.privacy.secret import (
    SecretConfigError,
    check_secret_config,
    forget_cached_secrets,
    hashing_key,
    secret_path,
)
from retrieval.settings import Settings
from tests.privacy_fixture import KINDS, make_profiles, remaining_pii

REPO = Path(__file__).resolve().parent.parent
OLD_PUBLIC_SALT = b"waypoint-user-hash-v1"
HEX64 = re.compile(r"^[up]_[0-9a-f]{64}$")


def _settings(home: Path) -> Settings:
    return Settings(home=home, user_hash_salt="", require_user_hash_salt=False)


def _child_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("WAYPOINT_USER_HASH") and k != "WAYPOINT_REQUIRE_USER_HASH_SALT"
    }
    env["WAYPOINT_HOME"] = str(home)
    env["PYTHONPATH"] = str(REPO)
    return env


# ------------------------------------------------------------------------------------------------ redactor
@pytest.mark.parametrize(
    "text, kind, secret",
    [
        ("Name: Jane Doe", "name", "Doe"),
        ("My name is Pranav Kulkarni and I build dashboards.", "name", "Kulkarni"),
        ("I'm Anthony May, a translator.", "name", "May,"),
        ("Priya More\npriya.more@example.com\nData analyst", "name", "Priya"),
        ("Kind regards,\nTom Baker", "name", "Baker"),
        ("Worked under Dr. Satish Rao.", "name", "Satish"),
        ("Jane Doe here, looking for nursing jobs", "name", "Jane"),
        ("Doe, Jane\nRegistered nurse, 8 years on surgical wards", "name", "Jane"),
        ("1600 Pennsylvania Avenue NW, Washington, DC 20500", "address", "Pennsylvania"),
        ("Flat 2, 15 High Street, Oxford OX1 4AA", "address", "High Street"),
        ("PO Box 1234, Springfield, IL 62704", "address", "1234"),
        ("Address: Koramangala 5th Block, Bengaluru - 560095", "address", "Koramangala"),
        ("Send it to 566 Sutton Plains, Jessicaview, NY 10022. Thanks!", "address", "Sutton"),
        ("ZIP: 90210", "postcode", "90210"),
        ("zip 12345-6789", "postcode", "6789"),
        ("Postcode EH1 1YZ", "postcode", "EH1"),
        ("Ottawa, ON K1M 1M4", "address", "K1M"),
        ("Pune - 411038", "postcode", "411038"),
        ("Eircode D02 X285", "postcode", "X285"),
        ("DOB: 12/03/1990", "dob", "1990"),
        ("Date of birth - 3rd March 1990", "dob", "March"),
        ("born on 12 March 1990 in Leeds", "dob", "12 March"),
        ("I was born in 1985.", "dob", "1985"),
        ("Birthday: March 12", "dob", "12"),
        ("follow me @jane_doe", "handle", "jane_doe"),
        ("linkedin.com/in/jane-doe-123", "link", "jane-doe"),
        ("https://github.com/janedoe", "link", "janedoe"),
        ("twitter.com/janedoe and x.com/jdoe", "link", "jdoe"),
        ("mail jane.doe@example.com", "email", "jane.doe"),
        ("call +44 20 7946 0958 or (415) 555-0134", "phone", "7946"),
        ("Mobile: 30135850", "phone", "30135850"),
    ],
)
def test_redactor_removes_each_kind(text, kind, secret):
    out = redact_text(text)
    assert secret not in out, out
    assert f"[{kind}]" in out, out
    assert redact_text(out) == out  # idempotent: placeholders never match again


@pytest.mark.parametrize(
    "text",
    [
        "Registered Nurses (29-1141.00) with 5 years of experience, 2019-2023.",
        "O*NET 21-1091.00 since 2019-2023, 2024-01-31; worked 2015 2016 2017",
        "Python, SQL, Microsoft Excel, Crystal Reports, Ruby on Rails, Java @Override annotations",
        "Grant Writer; Loan Officer; Van Driver; Art Director; Chief Executives",
        "May 2019 to June 2021: Data Scientist at a hospital in Boston",
        "ISO 9001, Windows 10, salary 60000, sales of 450000 units, budget 25,000",
        "Company Name: Acme Corp. Project Name: Waypoint. References available upon request.",
        "Education Details\nMay 2013 to May 2017 B.E UIT-RGPV\nData Scientist\n",
        "I am Certified Scrum Master. I'm a nurse. Contact Lens Fitter. Regards,\nThe Hiring Team",
        "Ms Office 2010, MS Excel, IP address: 10.0.0.1, Revenue 500000",
    ],
)
def test_redactor_keeps_career_content(text):
    assert redact_text(text) == text, find_pii(text)


def test_redactor_cost_is_bounded():
    """Adversarial 50,000-character inputs (the REST text limit) redact in well under a second each."""
    for chunk in ("John Smith 12 Main St ", "1 ", "A ", "a@", "Name: ", "Aa-Bb "):
        text = (chunk * (50_000 // len(chunk) + 1))[:50_000]
        started = time.perf_counter()
        redact_text(text)
        assert time.perf_counter() - started < 2.0, chunk


def test_log_filter_redacts_every_logger_message_args_and_traceback():
    """The record factory redacts records of any logger (children of ``waypoint`` and others too),
    their ``%`` arguments and the text of an exception they carry."""
    import io

    from app.security import install_log_redaction

    install_log_redaction()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger(f"app.somewhere.{uuid.uuid4().hex[:6]}")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        logger.info("profile from %s: My name is %s, DOB: %s", "jane.doe@example.com", "Jane Doe", "12/03/1990")
        try:
            raise ValueError("bad line: Address: 12 Elm Street, Springfield, IL 62704")
        except ValueError:
            logger.exception("parse failed for @janedoe")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    for secret in ("jane.doe@example.com", "Jane Doe", "12/03/1990", "Elm Street", "62704", "@janedoe"):
        assert secret not in out, out
    assert "[email]" in out and "[name]" in out and "[dob]" in out and "[address]" in out and "ValueError" in out


# ------------------------------------------------------------------------------------------------ secret
def test_install_secret_is_created_0600_and_reused_across_settings_and_processes(tmp_path):
    home = tmp_path / "home"
    first = hash_user_id("alice", _settings(home))
    path = secret_path(home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert HEX64.match(first)
    assert hash_user_id("alice", _settings(home)) == first  # a second Settings object
    forget_cached_secrets()
    assert hash_user_id("alice", _settings(home)) == first  # read back from disk
    code = "from app.privacy.hashing import hash_user_id; print(hash_user_id('alice'))"
    child = subprocess.run(
        [sys.executable, "-c", code], env=_child_env(home), capture_output=True, text=True, timeout=120, check=True
    )
    assert child.stdout.strip() == first  # another process on the same home
    assert hash_user_id("alice", _settings(tmp_path / "other-home")) != first  # another install, another key


def test_install_secret_creation_is_race_free(tmp_path):
    """Four processes that start at the same instant agree on one secret, and leave no temp file."""
    home = tmp_path / "home"
    start_at = time.time() + 3.0
    code = (
        "import time, sys; from app.privacy.secret import install_secret; "
        f"time.sleep(max(0.0, {start_at} - time.time())); print(install_secret(sys.argv[1]).hex())"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(home)],
            env=_child_env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    keys = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        keys.append(out.strip())
    assert len(set(keys)) == 1 and len(keys[0]) == 64, keys
    assert sorted(p.name for p in secret_path(home).parent.iterdir()) == ["user_hash_salt"]
    assert secret_path(home).read_text().strip() == keys[0]


def test_exposed_secret_file_is_refused_not_silently_fixed(tmp_path):
    home = tmp_path / "home"
    hashing_key(_settings(home))
    path = secret_path(home)
    os.chmod(path, 0o644)
    forget_cached_secrets()
    with pytest.raises(SecretConfigError, match="chmod 600"):
        hashing_key(_settings(home))
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # left for the operator to judge
    os.chmod(path, 0o600)
    assert hashing_key(_settings(home))


def test_explicit_salt_can_be_required_and_then_no_file_is_used(tmp_path):
    home = tmp_path / "home"
    with pytest.raises(SecretConfigError, match="WAYPOINT_USER_HASH_SALT"):
        check_secret_config(Settings(home=home, user_hash_salt="", require_user_hash_salt=True))
    strict = Settings(home=home, user_hash_salt="a-long-random-shared-secret", require_user_hash_salt=True)
    assert check_secret_config(strict) == "configured"
    assert not secret_path(home).exists()
    assert hash_user_id("alice", strict) != hash_user_id("alice", _settings(tmp_path / "h2"))


def test_hashes_are_full_length_hmac_with_no_public_default(tmp_path):
    s = _settings(tmp_path / "home")
    h = hash_user_id("alice", s)
    assert HEX64.match(h) and hash_user_id(None, s) is None and hash_user_id("", s) is None
    old = hmac.new(OLD_PUBLIC_SALT, b"alice", hashlib.sha256).hexdigest()
    assert h[2:] != old and h[2:18] != old[:16]
    p = hash_profile_id("alice", s)
    assert HEX64.match(p) and p[2:] != h[2:]  # user and profile ids hashed under different labels
    assert hash_profile_id(p, s) == p  # a stored (hashed) profile id stays as it is when rebuilt


# ------------------------------------------------------------------------------------------------ precision
def _token_loss(texts: list[str]) -> tuple[int, int]:
    total = lost = 0
    for text in texts:
        tokens = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
        total += len(tokens)
        spans = find_pii(text)
        if spans:
            lost += sum(1 for a, b in tokens if any(a < s.end and s.start < b for s in spans))
    return lost, total


def test_false_redaction_rate_on_career_text(catalogue):
    """Career text is not PII, so every redacted token in it is a false redaction.

    Bounds (measured when written: O*NET 0 of 288,992 tokens, alternate titles 0.046 %, skills 0.024 %,
    résumés 0.16 %): O*NET titles, descriptions and tasks <= 0.05 %; the 102k alternate titles and
    the skill labels and descriptions <= 0.1 %; the real résumés (from shared/data/resumes, which
    hold some real names, emails and links, so this is an upper bound) <= 0.5 %.
    """
    onet = (
        [r[0] for r in catalogue.execute("SELECT title FROM occupation WHERE taxonomy = 'onet'")]
        + [r[0] for r in catalogue.execute("SELECT description FROM occupation WHERE taxonomy = 'onet'")]
        + [r[0] for r in catalogue.execute("SELECT text FROM task")]
    )
    corpora = {
        "onet": (onet, 0.0005),
        "alternate titles": ([r[0] for r in catalogue.execute("SELECT title FROM occupation_title")], 0.001),
        "skills": (
            [r[0] for r in catalogue.execute("SELECT label FROM skill")]
            + [r[0] for r in catalogue.execute("SELECT description FROM skill WHERE description != ''")],
            0.001,
        ),
        "resumes": ([r[0] for r in catalogue.execute("SELECT text FROM resume")], 0.005),
    }
    for name, (texts, bound) in corpora.items():
        assert len(texts) > 100, name
        lost, total = _token_loss(texts)
        print(f"false redaction, {name}: {lost} of {total:,} tokens = {lost / total:.4%} (bound {bound:.2%})")
        assert lost / total <= bound, name
    codes = " ".join(r[0] for r in catalogue.execute("SELECT id FROM occupation WHERE taxonomy = 'onet'"))
    assert redact_text(codes) == codes  # every O*NET-SOC code survives
    ids = [
        r[0]
        for table in ("occupation", "skill", "course", "job_posting", "job")
        for r in catalogue.execute(f"SELECT id FROM {table}")
    ]
    changed = [i for i in ids if redact_text(i) != i]
    assert not changed, changed[:5]  # item ids (ESCO UUIDs too) are stored in event columns as they are
    years = " ".join(f"since {y}, {y}-{y + 4}, {y % 30 + 1} years of experience" for y in range(1950, 2031))
    assert redact_text(years) == years


# ------------------------------------------------------------------------------------------------ round trip
def _strings(value) -> list[str]:
    """Every string in a stored row (the JSON payload parsed), to search for PII as written."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return _strings(parsed) if isinstance(parsed, (dict, list)) else [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.fixture(scope="module")
def round_trip(settings, catalogue):
    """50 synthetic people through recommend, explain and feedback; what the events DB and memory keep."""
    from app.api.services import WaypointService
    from app.explain import memory
    from app.explain.evidence import profile_owner
    from app.security import install_log_redaction
    from retrieval.profile import Profile

    s = settings.model_copy(update={"llm_backend": "deterministic", "explain_use_memory": True})
    service = WaypointService(s)
    install_log_redaction()  # what create_app does
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    keeper = Keep(level=logging.INFO)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(keeper)
    root.setLevel(logging.INFO)
    run = uuid.uuid4().hex[:8]
    people = make_profiles(catalogue, 50)
    out = []
    try:
        for p in people:
            session = None if p.n % 5 == 4 else f"privacy-{run}-{p.n}"  # some without a session: owner = profile id
            profile = Profile(id=p.profile_id, text=p.text, user_id=p.user_id)
            rec = service.recommend(profile, "occupation", 3, session_id=session)
            item = rec["items"][0]["id"]
            exp = service.explain(profile, item, backend="deterministic", session_id=session)
            service.feedback(
                {
                    "type": "thumbs",
                    "item_id": item,
                    "up": False,
                    "reason": "other",
                    "comment": p.text[:400],
                    "user_id": p.user_id,
                    "session_id": session,
                    "impression_id": exp["impression_id"],
                    "corrections": [{"skill": "Microsoft Excel", "action": "missing"}],
                }
            )
            turn_owner = session or f"privacy-{run}-anon-{p.n}"
            memory.remember_turn(turn_owner, "user", p.text, s)  # what the person typed, as a chat turn
            owner = profile_owner(profile, session, redact_text(p.text))
            out.append(
                {
                    "person": p,
                    "impressions": [rec["impression_id"], exp["impression_id"]],
                    "owner": owner,
                    "turn_owner": turn_owner,
                }
            )
    finally:
        root.removeHandler(keeper)
        root.setLevel(old_level)
    store = service.store
    profiles_store = memory._store(memory.PROFILE, s)
    turns_store = memory._store(memory.TURN, s)
    for entry in out:
        entry["rows"] = store.query(
            "SELECT * FROM events WHERE impression_id IN :ids", {"ids": entry["impressions"]}, expanding=["ids"]
        )
        n_chunks = profiles_store.count(kind=memory.PROFILE, where={"owner": entry["owner"]})
        chunks = memory.profile_passages(entry["owner"], "experience skills work", k=max(1, n_chunks) + 5, settings=s)
        n_turns = turns_store.count(kind=memory.TURN, where={"owner": entry["turn_owner"]})
        turns = memory.recall_turns(entry["turn_owner"], "experience", k=max(1, n_turns) + 5, settings=s)
        entry.update(n_chunks=n_chunks, chunks=[c.text for c in chunks], n_turns=n_turns, turns=[t.text for t in turns])
        raw = entry["person"].profile_id
        entry["raw_owner_chunks"] = profiles_store.count(kind=memory.PROFILE, where={"owner": f"profile:{raw}"})
    logs = []
    for record in records:
        logs.append(record.getMessage() + (record.exc_text or ""))
    return {"entries": out, "logs": "\n".join(logs), "store": store, "settings": s}


@pytest.mark.slow
def test_no_pii_left_in_stored_events_vector_store_or_logs(round_trip):
    """Target (issue 27): 0 PII items of the listed kinds in what is stored, on 50 synthetic profiles."""
    entries = round_trip["entries"]
    checked = {kind: 0 for kind in KINDS}
    left = {"events": [], "profile chunks": [], "turns": [], "logs": []}
    for entry in entries:
        p = entry["person"]
        assert entry["rows"], p.n
        stored = {
            "events": "\n".join(s for row in entry["rows"] for s in _strings(row)),
            "profile chunks": "\n".join(entry["chunks"]),
            "turns": "\n".join(entry["turns"]),
            "logs": round_trip["logs"],
        }
        for kind, items in p.pii.items():
            checked[kind] += len(items)
        for where, text in stored.items():
            left[where] += [(p.n, *item) for item in remaining_pii(p, text)]
        blob = stored["events"] + stored["profile chunks"] + stored["turns"]
        assert p.profile_id not in blob and p.profile_id not in round_trip["logs"]  # raw profile id (an email)
        for career in p.career:  # career content survives in the stored profile text
            assert career in stored["events"], (p.n, career)
    print(
        f"PII items checked per profile kind (x4 stores): {checked}; left: "
        + ", ".join(f"{where} {len(v)}" for where, v in left.items())
    )
    assert all(not v for v in left.values()), left


@pytest.mark.slow
def test_vector_store_holds_redacted_chunks_under_hashed_owners(round_trip):
    from app.explain.memory import PROFILE_CHUNK_CHARS

    entries = round_trip["entries"]
    long_ones = [e for e in entries if len(redact_text(e["person"].text)) > PROFILE_CHUNK_CHARS]
    assert len(long_ones) >= 40 and all(e["n_chunks"] for e in long_ones), (
        "every profile longer than a chunk is in the memory (not a vacuous pass)"
    )
    for e in entries:
        assert len(e["chunks"]) == e["n_chunks"], "every stored chunk was read back"
        assert len(e["turns"]) == e["n_turns"] >= 1
        assert e["raw_owner_chunks"] == 0  # nothing keyed by the raw profile id
        if e["owner"].startswith("profile:"):
            assert HEX64.match(e["owner"].removeprefix("profile:")), e["owner"]
    joined = "\n".join(c for e in entries for c in e["chunks"] + e["turns"])
    assert "[name]" in joined and "[email]" in joined and "[address]" in joined


@pytest.mark.slow
def test_dictionary_attack_reverses_no_stored_hash(round_trip, catalogue):
    """Hash likely ids under every key an attacker without the install secret could try.

    Dictionary: the applicant ids of the interaction log, user1..user10000 and the fixture's emails
    and ids. Keys and constructions: the old public salt (16-hex and full), an empty key, plain
    SHA-256 / SHA-1 / MD5, and the new label construction under the old and the empty key. Then the
    same dictionary under the real install key reverses every stored hash: the attack would have
    worked had the key been guessable, so 0 is a real result.
    """
    entries = round_trip["entries"]
    stored: set[str] = set()
    for e in entries:
        for row in e["rows"]:
            if row["user_hash"]:
                stored.add(row["user_hash"])
            payload = json.loads(row["payload"]) if row["payload"] else {}
            prof = payload.get("profile") or {}
            stored.update(v for v in (prof.get("user_id"), prof.get("id")) if v)
    assert len(stored) >= 60 and all(HEX64.match(h) for h in stored), list(stored)[:3]
    candidates = {str(r[0]) for r in catalogue.execute("SELECT id FROM applicant")}
    candidates |= {str(r[0]) for r in catalogue.execute("SELECT DISTINCT applicant_id FROM experience")}
    candidates |= {f"user{i}" for i in range(1, 10_001)}
    candidates |= {e["person"].profile_id for e in entries} | {e["person"].user_id for e in entries}
    started = time.perf_counter()
    table: set[str] = set()
    for cand in candidates:
        raw = cand.encode()
        for key in (OLD_PUBLIC_SALT, b""):
            old = hmac.new(key, raw, hashlib.sha256).hexdigest()
            table |= {old, old[:16]}
            for label in (b"user", b"profile"):
                table.add(hmac.new(key, label + b"\x00" + raw, hashlib.sha256).hexdigest())
        table |= {hashlib.sha256(raw).hexdigest(), hashlib.sha1(raw).hexdigest(), hashlib.md5(raw).hexdigest()}
    reversed_ = [h for h in stored if h[2:] in table or h[2:18] in table]
    print(
        f"dictionary attack: {len(candidates):,} ids x 11 keyed/unkeyed hashes in {time.perf_counter() - started:.1f} s; "
        f"{len(reversed_)} of {len(stored)} stored hashes reversed"
    )
    assert reversed_ == []
    s = round_trip["settings"]
    with_key = {hash_user_id(c, s) for c in candidates} | {hash_profile_id(c, s) for c in candidates}
    assert stored <= with_key  # with the install secret the same dictionary reverses them all
