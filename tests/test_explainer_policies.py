"""Exploration between explainer policies, its logged rows, the admin reload endpoint and registry rollback.

Unit tier: the synthetic home, a real server on loopback (deterministic explanations: no LLM is needed to
check the logging policy, the rows and the endpoint's defences), real registry files.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import httpx
import pytest

from app.feedback.policies import (
    ExplainerPolicy,
    PolicyError,
    PolicyExplorer,
    activate,
    impression_fields,
    read_policies,
)
from retrieval.settings import Settings
from tests.server_helpers import running_server

KEY, ADMIN_KEY = "loop-user-key-0123456789", "loop-admin-key-0123456789"
NURSE = {"occupation": "Registered Nurses", "text": "I am a registered nurse who teaches patient education classes."}
ITEM = "21-1091.00"


def _settings(tmp_path: Path, **kw) -> Settings:
    return Settings(home=tmp_path, **kw)


def _fake_adapter(root: Path, name: str, version: int, method: str) -> dict:
    """A registry entry whose directory holds an adapter_config.json (what the policy reader checks)."""
    path = root / name
    path.mkdir(parents=True)
    (path / "adapter_config.json").write_text("{}")
    return {"name": name, "version": version, "method": method, "path": str(path), "metrics": {"ope_snips": 0.3}}


def _registry(tmp_path: Path, promoted: str | None, challengers: list[str], entries: list[dict]) -> None:
    root = tmp_path / "adapters"
    root.mkdir(exist_ok=True)
    (root / "registry.json").write_text(
        json.dumps({"adapters": entries, "promoted": promoted, "challengers": challengers})
    )


def test_epsilon_greedy_propensities_match_the_frequencies_of_the_choices(tmp_path):
    s = _settings(tmp_path, policy_exploration=True, policy_epsilon=0.3, policy_samples=2, policy_temperature=0.9)
    policies = [
        ExplainerPolicy(name="base"),
        ExplainerPolicy(name="explainer-dpo-v1", role="challenger"),
        ExplainerPolicy(name="explainer-kto-v1", role="challenger"),
    ]
    explorer = PolicyExplorer(s, policies, seed=7)
    expected = {
        "base-s0": 0.35,
        "base-s1": 0.35,
        "explainer-dpo-v1-s0": 0.075,
        "explainer-dpo-v1-s1": 0.075,
        "explainer-kto-v1-s0": 0.075,
        "explainer-kto-v1-s1": 0.075,
    }
    assert explorer.distribution() == pytest.approx(expected)
    n = 40_000
    choices = [explorer.choose() for _ in range(n)]
    counts = Counter(c.variant for c in choices)
    for arm, p in expected.items():
        se = (p * (1 - p) / n) ** 0.5
        assert abs(counts[arm] / n - p) < 4 * se, (arm, counts[arm] / n, p)
    for c in choices[:200]:  # the logged propensity is the probability of exactly the arm shown
        assert c.propensity == pytest.approx(expected[c.variant])
        assert c.policy_propensity == pytest.approx(0.7 if c.policy["name"] == "base" else 0.15)
        assert (c.temperature, c.seed) == ((0.0, None) if c.sample == 0 else (0.9, c.sample))
    assert not any(c.explored for c in choices if c.variant == "base-s0")
    # the same seed replays the same choices (a loop run is reproducible)
    again = PolicyExplorer(s, policies, seed=7)
    assert [again.choose().variant for _ in range(500)] == [c.variant for c in choices[:500]]


def test_softmax_and_fixed_choices(tmp_path):
    s = _settings(tmp_path, policy_exploration=True, policy_strategy="softmax", policy_softmax_temperature=0.05)
    policies = [
        ExplainerPolicy(name="base", score=0.30),
        ExplainerPolicy(name="explainer-dpo-v1", score=0.35, role="challenger"),
    ]
    explorer = PolicyExplorer(s, policies, seed=0)
    probs = explorer.policy_probabilities()
    assert probs["explainer-dpo-v1"] == pytest.approx(1 / (1 + pow(2.718281828, -1.0)), rel=1e-6)
    assert sum(probs.values()) == pytest.approx(1.0)
    fixed = explorer.fixed("explainer-dpo-v1")
    assert (fixed.variant, fixed.propensity, fixed.explored) == ("explainer-dpo-v1-s0", 1.0, False)
    other = explorer.fixed("alt")  # not a policy: a phrasing variant of the configured LLM, as before
    assert other.policy is None and other.propensity == 1.0


def test_policies_come_from_the_registry_and_never_from_outside_it(tmp_path):
    root = tmp_path / "adapters"
    good = _fake_adapter(root, "explainer-dpo-v1", 1, "dpo")
    champion = _fake_adapter(root, "explainer-sft-v1", 1, "sft")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "adapter_config.json").write_text("{}")
    escape = {"name": "explainer-kto-v1", "version": 1, "method": "kto", "path": str(root / ".." / "elsewhere")}
    _registry(tmp_path, "explainer-sft-v1", ["explainer-dpo-v1", "explainer-kto-v1"], [good, champion, escape])
    s = _settings(tmp_path)
    policies = read_policies(s)
    assert [(p.name, p.role) for p in policies] == [
        ("explainer-sft-v1", "champion"),
        ("explainer-dpo-v1", "challenger"),
    ]  # the escape is skipped
    assert policies[0].public() == {
        "name": "explainer-sft-v1",
        "adapter": "explainer-sft-v1",
        "version": 1,
        "method": "sft",
        "role": "champion",
    }
    with pytest.raises(PolicyError, match="inside"):
        read_policies(s, ["explainer-kto-v1"])
    for bad in ("../elsewhere", "explainer/../../x", "Explainer", "a" * 40, ""):
        with pytest.raises(PolicyError, match="invalid adapter name"):
            read_policies(s, [bad])
    with pytest.raises(PolicyError, match="unknown adapter"):
        read_policies(s, ["explainer-nope-v9"])
    _registry(tmp_path, None, [], [])
    assert [p.name for p in read_policies(s)] == ["base"]


def test_impression_fields_record_what_was_generated(tmp_path):
    s = _settings(tmp_path, policy_exploration=True, policy_samples=2)
    explorer = PolicyExplorer(s, [ExplainerPolicy(name="base")], seed=3)
    choice = next(c for c in iter(explorer.choose, None) if c.sample == 1)
    with activate(choice):
        choice.record.update(
            completion='{"fit": "strong"}',
            evidence_key="0123456789abcdef",
            grammar="closed",
            decoding={"temperature": 0.7, "seed": 1},
        )
    fields = impression_fields(choice, {"model": {"backend": "transformers"}})
    assert fields["completion"] == '{"fit": "strong"}' and fields["draft"] is None
    assert fields["evidence_key"] == "ev_0123456789abcdef" and fields["grammar"] == "closed"
    assert fields["policy"]["name"] == "base" and "adapter_path" not in fields["policy"]
    assert fields["sample"] == 1 and fields["policy_propensity"] == 1.0
    # replaced by the composer (unfaithful, timeout, ...): what the model wrote is kept, but not as shown
    fallback = impression_fields(choice, {"fallback_reason": "unfaithful: 1/3"})
    assert fallback["completion"] is None and fallback["draft"] == '{"fit": "strong"}'


# ------------------------------------------------------------------------------ the real server


@pytest.fixture(scope="module")
def keyed_server(synthetic_home, tmp_path_factory):
    with running_server(
        synthetic_home,
        tmp_path_factory.mktemp("policies"),
        ui=False,
        WAYPOINT_API_KEYS=f"{KEY},{ADMIN_KEY}",
        WAYPOINT_ADMIN_API_KEYS=ADMIN_KEY,
        WAYPOINT_POLICY_EXPLORATION="true",
        WAYPOINT_POLICY_SAMPLES="2",
        WAYPOINT_RATE_LIMIT_PER_MINUTE="100000",
        WAYPOINT_LLM_ADAPTER="",  # the base model is the champion (else the shipped adapter is)
    ) as server:
        yield server


def test_explain_logs_the_policy_choice_and_feedback_joins_it(keyed_server):
    from app.feedback.store import EventStore

    with httpx.Client(base_url=keyed_server.base, headers={"X-API-Key": KEY}, timeout=120) as c:
        out = c.post("/v1/explain", json={"profile": NURSE, "item_id": ITEM}).json()
        assert out["variant"] in ("base-s0", "base-s1") and out["propensity"] == pytest.approx(0.5)
        imp = out["impression_id"]
        for event in (
            {"type": "click"},
            {"type": "dwell", "dwell_ms": 4200},
            {"type": "thumbs", "up": False, "reason": "too_generic"},
        ):
            assert c.post("/v1/feedback", json={"impression_id": imp, "item_id": ITEM, **event}).status_code == 201
    store = EventStore(keyed_server.events, create=False)
    rows = store.query("SELECT * FROM events WHERE impression_id = :i ORDER BY id", {"i": imp})
    store.close()
    shown = rows[0]
    payload = json.loads(shown["payload"])
    assert (shown["type"], shown["variant"], shown["propensity"]) == ("impression", out["variant"], 0.5)
    assert payload["policy"]["name"] == "base" and payload["sample"] == int(out["variant"][-1])
    assert payload["policy_propensity"] == 1.0 and payload["prompt_version"]
    assert "registered nurse" in payload["profile"]["text"]
    assert [r["type"] for r in rows[1:]] == ["click", "dwell", "thumbs"]
    assert rows[3]["reason"] == "too_generic" and rows[2]["value"] == 4200


def test_admin_reload_needs_the_admin_key_and_refuses_path_traversal(keyed_server):
    url = keyed_server.base + "/v1/admin/policies/reload"
    assert httpx.post(url, json={}).status_code == 401  # no key
    assert httpx.post(url, json={}, headers={"X-API-Key": "wrong-key-000000000000"}).status_code == 403
    assert httpx.post(url, json={}, headers={"X-API-Key": KEY}).status_code == 403  # a key, but not an admin's
    assert httpx.get(keyed_server.base + "/v1/admin/policies", headers={"X-API-Key": KEY}).status_code == 403
    admin = {"X-API-Key": ADMIN_KEY}
    for name in ("../../etc", "..", "explainer-sft-v1/../../x", "/etc/passwd", "a" * 60, "Explainer"):
        r = httpx.post(url, json={"adapters": [name]}, headers=admin)
        assert r.status_code == 422, (name, r.status_code, r.text)
    assert httpx.post(url, json={"adapters": ["explainer-nope-v1"]}, headers=admin).status_code == 404
    assert httpx.post(url, json={"adapters": ["base"], "path": "/tmp"}, headers=admin).status_code == 422
    r = httpx.post(url, json={}, headers=admin)
    assert r.status_code == 200, r.text
    assert [p["name"] for p in r.json()["policies"]] == ["base"]
    assert sum(r.json()["arms"].values()) == pytest.approx(1.0)


def test_registry_bootstrap_challengers_and_one_command_rollback(tmp_path, monkeypatch):
    from retrieval.settings import get_settings
    from training.registry import AdapterRegistry, RegistryError, main as adapters_main

    src = tmp_path / "src"
    src.mkdir()
    (src / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "smollm2"}))
    registry = AdapterRegistry(_settings(tmp_path))
    a = registry.register(src, "sft")
    b = registry.register(src, "dpo")
    registry.bootstrap(a.name)
    with pytest.raises(RegistryError, match="already promoted"):
        registry.bootstrap(b.name)
    assert registry.set_challengers([b.name, a.name]) == [b.name]  # the champion is no challenger of itself
    with pytest.raises(RegistryError, match="unknown"):
        registry.set_challengers(["explainer-x-v1"])
    with registry._locked() as index:  # a promotion, as promote() records it
        index.history.append({"promoted": b.name, "previous": a.name, "at": "now"})
        index.promoted = b.name
    monkeypatch.setenv("WAYPOINT_HOME", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert adapters_main(["rollback"]) == {"rolled_back": b.name, "promoted": a.name}  # one command
    finally:
        get_settings.cache_clear()
    assert registry.promoted.name == a.name and registry._read().challengers == []
    assert registry.rollback() == {"rolled_back": a.name, "promoted": "base"}
    assert registry.promoted is None
    with pytest.raises(RegistryError, match="nothing is promoted"):
        registry.rollback()
    assert [h.get("rollback", False) for h in registry._read().history][-2:] == [True, True]
