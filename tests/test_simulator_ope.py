"""Click simulator → real EventStore → feedback datasets → off-policy evaluation, on real profiles.

The contexts (real résumé/applicant profiles × their recommended occupations × candidate
explanations through the real explain path and verifier) are built once per module; the cheap part
(drawing impressions and clicks) runs per test into a fresh events DB.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import numpy as np
import pytest
from scipy.stats import norm

from app.feedback.store import EventStore

pytestmark = pytest.mark.slow  # the explain path loads the MiniLM embedder

N_PEOPLE = 60
ARMS = {"default": 0.5, "alt": 0.1, "generic": 0.2, "unfaithful": 0.2}


@pytest.fixture(scope="module")
def sim_cfg():
    from training.simulator import SimConfig

    return SimConfig(people=N_PEOPLE, arms=ARMS, seed=7, pair_share=0.5)


@pytest.fixture(scope="module")
def sim_settings(settings):
    """Evidence without the Qdrant RAG memory: the memory grows as profiles are remembered, so the same
    (profile, item) can rebuild to different evidence later (those rows are skipped by feedback_data)."""
    return settings.model_copy(update={"explain_use_memory": False})


@pytest.fixture(scope="module")
def contexts(sim_settings, sim_cfg):
    from training.simulator import build_contexts

    ctxs = build_contexts(sim_cfg, sim_settings, progress=False)
    assert len(ctxs) >= 0.9 * N_PEOPLE
    return ctxs


def _run(contexts, tmp_path, weights, *, pair_share, repeats=1, seed=0, name="events.sqlite", target=None):
    """Simulate into ``target`` (default: a fresh SQLite file ``tmp_path / name``); return it and the stats."""
    from training.simulator import ClickModel, Simulator, WeightsPolicy

    path = target or tmp_path / name
    store = EventStore(path)
    sim = Simulator(ClickModel(), store, seed=seed, pair_share=pair_share)
    stats = Counter()
    for _ in range(repeats):
        stats.update(sim.run(contexts, WeightsPolicy(weights), progress=False))
    store.close()
    return path, stats


def test_profiles_avoid_the_eval_sample(settings):
    from retrieval.catalogue.db import connect
    from training.simulator import simulation_profiles

    conn = connect(settings.catalogue_path, readonly=True)
    first_resumes = {
        f"resume:{r[0]}" for r in conn.execute("SELECT id FROM resume WHERE length(text) > 200 ORDER BY id LIMIT 40")
    }
    conn.close()
    people = simulation_profiles(settings, 60)
    ids = [p.id for p in people]
    assert len(ids) == len(set(ids)) == 60
    assert not first_resumes & set(ids)
    assert any(i.startswith("resume:") for i in ids) and any(i.startswith("applicant:") for i in ids)
    # a second population for a fresh log: the next 20 of the same order, nobody from the first 60
    later = simulation_profiles(settings, 20, skip=60)
    assert [p.id for p in later] == [p.id for p in simulation_profiles(settings, 80)[60:]]
    assert len(later) == 20 and not {p.id for p in later} & set(ids)


def test_simulator_writes_valid_events(contexts, tmp_path):
    path, stats = _run(contexts, tmp_path, ARMS, pair_share=0.5, seed=1)
    store = EventStore(path)
    rows = store.query("SELECT * FROM events WHERE type='impression' ORDER BY id")
    clicks = store.query("SELECT * FROM events WHERE type='click'")
    dwells = store.query("SELECT * FROM events WHERE type='dwell'")
    store.close()
    by_imp = defaultdict(list)
    for r in rows:
        by_imp[r["impression_id"]].append(r)
    assert len(by_imp) == stats["impressions"] == len(contexts)
    assert stats["pair"] > 10 and stats["single"] > 10
    for group in by_imp.values():
        assert all(r["surface"] == "explanation" and r["item_kind"] == "occupation" for r in group)
        assert all(0 < r["propensity"] <= 1 for r in group)
        assert all(r["user_hash"].startswith("u_") and "resume" not in r["user_hash"] for r in group)
        payload = json.loads(group[0]["payload"])
        assert payload["evidence_key"] and payload["profile"]["text"] and payload["item_id"] == group[0]["item_id"]
        for r in group:
            draft = json.loads(json.loads(r["payload"])["completion"])
            assert set(draft) == {"fit", "matched_skills", "missing_skills", "next_steps", "summary"}
            assert r["model_name"] in ("composer-v1", "generic-v1", "unfaithful-v1")
        if len(group) == 1:
            r = group[0]
            assert json.loads(r["shown"]) == [r["item_id"]]
            assert r["propensity"] == pytest.approx(ARMS[r["variant"]] / sum(ARMS.values()), abs=1e-6)
        else:
            assert [r["position"] for r in group] == [0, 1]
            variants = [r["variant"] for r in group]
            assert len(set(variants)) == 2 and all(json.loads(r["shown"]) == variants for r in group)
            assert group[0]["item_id"] == group[1]["item_id"]
    # inclusion probabilities of a two-of-n draw sum to 2 over the arms
    pair_props = {r["variant"]: r["propensity"] for g in by_imp.values() if len(g) == 2 for r in g}
    if len(pair_props) == len(ARMS):
        assert sum(pair_props.values()) == pytest.approx(2.0, abs=1e-4)
    per_imp = Counter(c["impression_id"] for c in clicks)
    assert max(per_imp.values()) == 1, "at most one click per impression"
    for c in clicks:
        assert c["position"] in {r["position"] for r in by_imp[c["impression_id"]]}
    assert len(dwells) == len(clicks) == stats["clicks"] and all(d["value"] > 0 for d in dwells)


def test_specific_correct_explanations_get_more_clicks(contexts, tmp_path):
    from training.simulator import ClickModel, arm_click_rates

    weights = {"default": 1 / 3, "generic": 1 / 3, "unfaithful": 1 / 3}
    path, _ = _run(contexts, tmp_path, weights, pair_share=0.0, repeats=4, seed=2)
    store = EventStore(path)
    rows = store.query(
        "SELECT i.variant, EXISTS(SELECT 1 FROM events c WHERE c.type='click' "
        "AND c.impression_id=i.impression_id) AS clicked FROM events i WHERE i.type='impression'"
    )
    store.close()
    shown, clicked = Counter(), Counter()
    for r in rows:
        shown[r["variant"]] += 1
        clicked[r["variant"]] += r["clicked"]
    rate = {a: clicked[a] / shown[a] for a in shown}

    def z_test(a: str, b: str) -> float:
        pooled = (clicked[a] + clicked[b]) / (shown[a] + shown[b])
        se = np.sqrt(pooled * (1 - pooled) * (1 / shown[a] + 1 / shown[b]))
        return float(norm.sf((rate[a] - rate[b]) / se))

    assert rate["default"] > rate["generic"] and z_test("default", "generic") < 0.01, (rate, shown)
    assert rate["default"] > rate["unfaithful"] and z_test("default", "unfaithful") < 0.01, (rate, shown)
    # the explanations really differ in what the click model reads
    with_matches = [c for c in contexts if c.candidates["default"].generic == 0.0]
    assert len(with_matches) > 10
    spec = {a: np.mean([c.candidates[a].specificity for c in with_matches]) for a in weights}
    faith = {a: np.mean([c.candidates[a].faithfulness for c in contexts]) for a in weights}
    assert spec["default"] > 0.9 and spec["generic"] < 0.1 and spec["unfaithful"] < spec["default"]
    assert faith["default"] == 1.0 and faith["unfaithful"] < 0.8
    truth = arm_click_rates(contexts, ClickModel())
    assert truth["default"] > truth["generic"] and truth["default"] > truth["unfaithful"]


def test_feedback_pairs_only_within_one_impression(contexts, tmp_path, sim_settings):
    settings = sim_settings
    from app.explain.evidence import build_evidence
    from app.explain.prompt import build_messages
    from retrieval.profile import Profile
    from training.feedback_data import dpo_pairs_from_feedback, kto_examples

    sub = contexts[:30]
    path, stats = _run(sub, tmp_path, ARMS, pair_share=0.6, repeats=2, seed=3)
    store = EventStore(path)
    rows = store.query("SELECT * FROM events WHERE type='impression' ORDER BY id")
    clicks = {(c["impression_id"], c["position"]) for c in store.query("SELECT * FROM events WHERE type='click'")}
    # a thumbs, where one was given, is the label; the last one counts
    thumbs = {
        (t["impression_id"], t["position"]): t["value"] > 0
        for t in store.query("SELECT * FROM events WHERE type='thumbs' ORDER BY id")
    }
    store.close()
    groups = defaultdict(list)
    for r in rows:
        groups[r["impression_id"]].append(r)
    expected = Counter()
    for group in groups.values():
        hit = [r for r in group if (r["impression_id"], r["position"]) in clicks]
        if len(group) < 2 or len(hit) != 1:
            continue
        chosen = json.loads(hit[0]["payload"])
        for r in group:
            other = json.loads(r["payload"])
            if r is not hit[0] and other["completion"] != chosen["completion"]:
                expected[(chosen["completion"], other["completion"], min(10.0, 1 / chosen["pair_propensity"]))] += 1
    assert sum(expected.values()) > 5, "the run produced clicked side-by-side impressions"

    pairs = dpo_pairs_from_feedback(path, settings)
    got = Counter((p["chosen"][0]["content"], p["rejected"][0]["content"], p["weight"]) for p in pairs)
    # every pair is a (clicked, shown-not-clicked) pair of one impression with its clipped weight; a row
    # whose evidence no longer rebuilds to the logged key (RAG memory changed since) is skipped, not guessed
    assert not got - expected, got - expected
    assert sum(got.values()) >= 0.9 * sum(expected.values())
    for p in pairs:
        assert set(p) == {"prompt", "chosen", "rejected", "weight"}
        assert [m["role"] for m in p["prompt"]] == ["system", "user"]
        assert p["chosen"][0]["role"] == p["rejected"][0]["role"] == "assistant"
    # the prompt is the serving prompt of the logged (profile, item)
    rebuilt = []
    for r in rows[:5]:
        logged = json.loads(r["payload"])
        evidence = build_evidence(Profile.model_validate(logged["profile"]), r["item_id"], settings)
        if logged["evidence_key"] == "ev_" + evidence.key:
            rebuilt.append(evidence)
    assert len(rebuilt) >= 4, "the logged (profile, item) rebuilds the logged evidence"
    prompts = {json.dumps(p["prompt"]) for p in pairs}
    assert len(prompts) <= len({(json.loads(r["payload"])["profile_id"], r["item_id"]) for r in rows})

    clip = 3.0
    kto = kto_examples(path, settings, clip=clip)
    want = Counter(
        (
            json.loads(r["payload"])["completion"],
            thumbs.get((r["impression_id"], r["position"]), (r["impression_id"], r["position"]) in clicks),
            round(min(clip, 1 / r["propensity"]), 9),
        )
        for r in rows
    )
    got_kto = Counter((k["completion"][0]["content"], k["label"], round(k["weight"], 9)) for k in kto)
    assert not got_kto - want, got_kto - want
    liked = sum(thumbs.get(key, key in clicks) for key in {(r["impression_id"], r["position"]) for r in rows})
    assert len(kto) >= 0.9 * len(rows) and sum(k["label"] for k in kto) >= 0.9 * liked
    assert max(k["weight"] for k in kto) == clip, "rare arms are clipped"
    messages = build_messages(rebuilt[0])
    assert any(k["prompt"] == messages for k in kto)


def test_postgres_log_gives_the_same_training_data_and_estimates(contexts, tmp_path, sim_settings, postgres_db):
    """The same simulated traffic logged to SQLite and to a real PostgreSQL reads back identically."""
    from training.feedback_data import dpo_pairs_from_feedback, kto_examples
    from training.ope import FixedTarget, evaluate, load_decisions

    sub = contexts[:20]
    lite, _ = _run(sub, tmp_path, ARMS, pair_share=0.5, seed=21)
    pg, _ = _run(sub, tmp_path, ARMS, pair_share=0.5, seed=21, target=postgres_db)
    assert EventStore(pg, create=False).engine.dialect.name == "postgresql"

    def strip(decisions):
        return [(d.item_id, d.arm, d.propensity, d.reward, d.candidates) for d in decisions]

    lite_dec, pg_dec = load_decisions(lite), load_decisions(pg)
    assert lite_dec and strip(lite_dec) == strip(pg_dec)
    target = FixedTarget({"default": 1.0})
    assert (
        evaluate(lite_dec, target, n_boot=200, seed=0)["snips"] == evaluate(pg_dec, target, n_boot=200, seed=0)["snips"]
    )
    lite_pairs, pg_pairs = dpo_pairs_from_feedback(lite, sim_settings), dpo_pairs_from_feedback(pg, sim_settings)
    assert lite_pairs and lite_pairs == pg_pairs
    assert kto_examples(lite, sim_settings) == kto_examples(pg, sim_settings)
    with pytest.raises(FileNotFoundError):
        load_decisions(tmp_path / "never-written.sqlite")
    assert not (tmp_path / "never-written.sqlite").exists(), "readers never create an empty log"


def test_snips_interval_covers_the_online_click_rate(contexts, tmp_path):
    """A 95% interval misses the truth in 1 of 20 logs by design, so one seeded log proves little either
    way (and any change to the catalogue or the composer redraws it): five independent logs, at least four
    intervals covering the exact click rate of the target policy, and the online run agreeing with it."""
    from training.ope import FixedTarget, evaluate, load_decisions
    from training.simulator import ClickModel, WeightsPolicy, expected_click_rate

    logging = {"default": 0.6, "generic": 0.2, "unfaithful": 0.2}
    target = {"default": 0.15, "generic": 0.6, "unfaithful": 0.25}
    truth = expected_click_rate(contexts, WeightsPolicy(target), ClickModel())
    # the target policy run online: its click rate is the truth, up to its own sampling noise
    _online, online_stats = _run(contexts, tmp_path, target, pair_share=0.0, repeats=30, seed=12, name="online.sqlite")
    online_rate = online_stats["clicks"] / online_stats["impressions"]
    assert abs(online_rate - truth) < 3 * (truth * (1 - truth) / online_stats["impressions"]) ** 0.5 + 0.005

    covered, results = 0, []
    for seed in range(11, 16):
        logged, _ = _run(
            contexts, tmp_path, logging, pair_share=0.0, repeats=6, seed=seed, name=f"logged-{seed}.sqlite"
        )
        decisions = load_decisions(logged)
        assert len(decisions) == 6 * len(contexts)
        result = evaluate(decisions, FixedTarget(target), n_boot=1000, seed=0)
        lo, hi = result["snips_ci"]
        covered += lo <= truth <= hi
        results.append((result["snips"], lo, hi))
        assert 0 < result["ess"] < len(decisions)
        # the estimator matters: the naive logged click rate is further from the truth than the estimate
        naive = float(np.mean([d.reward for d in decisions]))
        assert abs(result["snips"] - truth) < abs(naive - truth), (naive, result, truth)
    assert covered >= 4, (truth, results)


def test_estimate_rejects_bad_input():
    from training.ope import estimate

    with pytest.raises(ValueError, match="propensities"):
        estimate([1, 0], [0.0, 0.5], [1, 1])
    with pytest.raises(ValueError, match="differ in length"):
        estimate([1, 0], [0.5], [1, 1])
    res = estimate([1, 0, 1], [0.5, 0.5, 0.5], [0, 0, 0])
    assert "no support" in res["note"]


def test_ope_main_writes_report(contexts, tmp_path):
    from training.ope import main

    logged, _ = _run(contexts[:40], tmp_path, {"default": 0.8, "generic": 0.2}, pair_share=0.0, repeats=2, seed=5)
    out = tmp_path / "reports"
    data = main(
        [
            "--events",
            str(logged),
            "--target",
            "default",
            "--target",
            "generic",
            "--baseline",
            "generic",
            "--out-dir",
            str(out),
            "--n-boot",
            "500",
        ]
    )
    assert (out / "ope.json").is_file() and (out / "ope.md").is_file() and (out / "ope.png").is_file()
    names = [r["policy"] for r in data["estimates"]]
    assert names == ["logging (on-policy)", "always default", "always generic"]
    up = data["uplifts"][0]
    assert up["policy"] == "always default" and up["uplift"] > 0


@pytest.mark.slow
def test_ope_of_an_adapter_against_an_adapter_baseline(contexts, tmp_path, settings, tmp_path_factory):
    """``--adapter A --baseline B`` with B a model: both score the logged candidates, the uplift is paired,
    and the scorer's shared-prompt KV cache gives the same log-likelihoods as one pass over prompt + answer."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from retrieval.settings import get_settings
    from tests.test_training_sft import env_settings, training_settings
    from training.feedback_data import LoggedCandidate
    from training.ope import LogprobScorer, load_decisions, main

    tsettings = training_settings(settings, tmp_path_factory)
    # a LoRA with random (non-identity) weights: this tests the evaluation, not a training run
    torch.manual_seed(0)
    adapter = tmp_path / "random-lora"
    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(tsettings.llm_model_path),
        LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False),
    )
    model.save_pretrained(str(adapter))
    del model
    logged, _ = _run(contexts[:2], tmp_path, {"default": 0.5, "generic": 0.5}, pair_share=0.0, seed=4)
    # the contexts were built without the RAG memory: rebuild the prompts the same way
    with env_settings(tsettings, WAYPOINT_EXPLAIN_USE_MEMORY="false"):
        data = main(
            [
                "--events",
                str(logged),
                "--adapter",
                str(adapter),
                "--adapter",
                "base",
                "--baseline",
                "base",
                "--out-dir",
                str(tmp_path / "reports"),
                "--n-boot",
                "200",
            ]
        )
        scorer = LogprobScorer(get_settings(), str(adapter))
        base_scorer = LogprobScorer(get_settings(), None)
    name = f"adapter:{adapter.name}"
    rows = {r["policy"]: r for r in data["estimates"]}
    assert set(rows) == {"logging (on-policy)", name, "base"}
    (up,) = data["uplifts"]  # the baseline is not compared with itself
    assert up["policy"] == name and up["baseline"] == "base"
    assert up["uplift"] == pytest.approx(rows[name]["snips"] - rows["base"]["snips"], abs=1e-9)
    assert 0 < rows[name]["ess"] <= data["decisions"] == 2
    assert data["unscored_contexts"] == {name: 0, "base": 0}  # every logged prompt was rebuilt

    decision = load_decisions(logged)[0]
    messages = scorer.prompts.messages(
        LoggedCandidate(
            impression_id=decision.impression_id, position=0, item_id=decision.item_id, payload=decision.payload
        )
    )
    assert messages is not None and scorer.prompts.mismatched == 0
    prompt_ids = list(
        scorer.tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=True, return_dict=True)[
            "input_ids"
        ]
    )[-scorer.max_prompt_tokens :]
    for arm, completion in sorted(decision.candidates.items()):
        ids = scorer.tokenizer(completion, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logits = scorer.model(torch.tensor([prompt_ids + ids])).logits[0, len(prompt_ids) - 1 : -1]
        whole = float(torch.log_softmax(logits.float(), -1).gather(1, torch.tensor(ids)[:, None]).mean())
        assert scorer(decision, arm, completion) == pytest.approx(whole, abs=1e-4), arm
        assert abs(whole - base_scorer(decision, arm, completion)) > 1e-3, arm  # the adapter is really applied
