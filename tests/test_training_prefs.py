"""Preference data ranked by the verifier, and DPO / KTO with real trl on the tiny SFT adapter (CPU).

Samples come from the real SmolLM2 + SFT adapter; each DPO pair's chosen answer must re-score above
its rejected one, synthetic negatives must be labelled and really unfaithful; the tiny DPO and KTO
runs must write adapters that continue (and change) the SFT LoRA and load in the transformers backend.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest
import torch

from tests.llm_helpers import TEST_THREADS
from tests.test_training_sft import env_settings, tiny_golden, tiny_sft, training_settings


@pytest.fixture(scope="module")
def tsettings(settings, tmp_path_factory):
    return training_settings(settings, tmp_path_factory)


@pytest.fixture(scope="module")
def sft_adapter(settings, tmp_path_factory) -> Path:
    return tiny_sft(settings, tmp_path_factory)[0]


@pytest.fixture(scope="module")
def prefs(settings, tsettings, sft_adapter, tmp_path_factory):
    from training.preferences import build_preferences

    out = tmp_path_factory.mktemp("prefs")
    manifest = build_preferences(
        tsettings,
        tiny_golden(settings, tmp_path_factory),
        out,
        adapter=sft_adapter,
        prompts=1,
        samples=3,
        temperature=1.0,
        synthetic_per_prompt=4,
        progress=False,
        max_new_tokens=200,
    )  # a tiny-SFT model mostly runs to the cap anyway
    return out, manifest


def _lora_tensors(adapter: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(adapter / "adapter_model.safetensors"))


def _changed(a: dict, b: dict) -> bool:
    assert set(a) == set(b)
    return any(not torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_preference_pairs_are_ranked_by_the_verifier(prefs, settings, tmp_path_factory):
    from training.golden import load_evidence
    from training.lora import read_jsonl
    from training.preferences import CORRUPTIONS, score_text

    out, manifest = prefs
    evidence = load_evidence(tiny_golden(settings, tmp_path_factory))
    dpo, kto = read_jsonl(out / "dpo.jsonl"), read_jsonl(out / "kto.jsonl")
    assert manifest["counts"]["samples"] == 3 and dpo and kto
    synthetic = [p for p in dpo if p["meta"]["synthetic"]]
    assert len(synthetic) >= 2 and {p["meta"]["kind"] for p in synthetic} <= set(CORRUPTIONS)
    for pair in dpo:
        ev = evidence[pair["meta"]["evidence_key"]]
        chosen = score_text(pair["chosen"][0]["content"], ev)
        rejected = score_text(pair["rejected"][0]["content"], ev)
        assert chosen.total > rejected.total, pair["meta"]
        if pair["meta"]["synthetic"]:
            assert chosen.faithfulness == 1.0 and rejected.faithfulness < 1.0
    for example in kto:
        s = score_text(example["completion"][0]["content"], evidence[example["meta"]["evidence_key"]])
        assert (s.faithfulness == 1.0) if example["label"] else (s.faithfulness < 1.0), example["meta"]
    assert {True, False} <= {e["label"] for e in kto}


@pytest.mark.slow
def test_tiny_dpo_continues_the_sft_adapter(prefs, tsettings, sft_adapter, tmp_path):
    from app.llm.transformers_backend import TransformersBackend
    from training import dpo
    from training.lora import load_config, read_adapter_meta

    out_dir = tmp_path / "dpo"
    with env_settings(tsettings):
        result = dpo.main(
            [
                "--tiny",
                "--pairs",
                str(prefs[0] / "dpo.jsonl"),
                "--adapter",
                str(sft_adapter),
                "--out",
                str(out_dir),
                "--threads",
                str(TEST_THREADS),
            ]
        )
    meta = read_adapter_meta(out_dir)
    tiny = load_config(None, "dpo").tiny_version()
    assert meta.method == "dpo" and meta.parent_adapter == str(sft_adapter) and meta.steps == tiny.max_steps
    assert meta.parent_data_hash == read_adapter_meta(sft_adapter).data_hash
    assert 0 < meta.examples <= tiny.max_examples and meta.train_seconds > 0 and result["out"] == str(out_dir)
    assert not (out_dir / "ref").exists()  # trl's frozen reference copy is not saved
    assert _changed(_lora_tensors(sft_adapter), _lora_tensors(out_dir))
    backend = TransformersBackend(adapter_path=out_dir, settings=tsettings)
    assert backend.adapter == "dpo"
    backend.close()


@pytest.mark.slow
def test_kto_reads_the_verifier_labels(prefs, tsettings, sft_adapter):
    """``waypoint train kto --source verifier --dry-run``: the verifier's labelled completions are KTO's examples,
    both labels present (KTO needs both). The KTO step itself -- train_kto continuing a parent adapter, the
    same function -- runs in test_loop_e2e on the event log's labels: a second tiny KTO step here cost ~75 s
    of CI and tested no other code."""
    from training import kto

    with env_settings(tsettings):
        result = kto.main(
            [
                "--tiny",
                "--source",
                "verifier",
                "--examples",
                str(prefs[0] / "kto.jsonl"),
                "--adapter",
                str(sft_adapter),
                "--dry-run",
            ]
        )
    assert result["dry_run"] and result["source"] == "verifier", result
    rows = [json.loads(line) for line in (prefs[0] / "kto.jsonl").read_text().splitlines() if line.strip()]
    assert result["examples"] == len(rows) > 0
    assert result["desirable"] == sum(bool(r["label"]) for r in rows) >= 1
    assert result["undesirable"] >= 1


def test_resampling_by_weight_follows_the_weights():
    from training.preferences import resample_by_weight

    records = [{"i": i, "weight": w} for i, w in enumerate([1.0, 4.0, 0.0, 5.0, 0.5] * 200)]
    total = sum(r["weight"] for r in records)
    out = resample_by_weight(records, seed=3)
    counts = Counter(r["i"] for r in out)
    assert len(out) == len(records)
    for r in records:  # systematic resampling: floor or ceil of the expected count n · w / Σw
        expected = len(records) * r["weight"] / total
        assert math.floor(expected) <= counts[r["i"]] <= math.ceil(expected), (r, counts[r["i"]])
    by_weight = Counter(r["weight"] for r in out)
    assert by_weight[0.0] == 0 and by_weight[5.0] > by_weight[4.0] > by_weight[1.0] > by_weight[0.5] > 0
    same = [{"i": i, "weight": 2.0} for i in range(5)]
    assert resample_by_weight(same, seed=0) == same
    assert resample_by_weight([{"weight": 0.0}], seed=0) == []


def test_synthetic_corruptions_are_caught_by_the_verifier(settings):
    import random

    from app.explain.composer import compose
    from app.explain.evidence import build_evidence
    from app.explain.prompt import completion_text
    from retrieval.profile import Profile
    from training.preferences import CORRUPTIONS, corrupt, score_text

    fast = settings.model_copy(update={"gap_embeddings": False, "gap_esco_map": False})
    profile = Profile(
        occupation="29-1141.00",
        text="Registered nurse for eight years. I run patient education "
        "classes, teach diabetes self-management and keep medical records.",
    )
    evidence = build_evidence(profile, "21-1091.00", fast)
    golden = completion_text(compose(evidence, "golden-0"))
    assert score_text(golden, evidence).faithfulness == 1.0
    made = 0
    for kind in CORRUPTIONS:
        bad = corrupt(golden, evidence, kind, random.Random(0))
        if bad is None:
            continue
        made += 1
        assert bad != golden and score_text(bad, evidence).faithfulness < 1.0, kind
        json.loads(bad)
    assert made >= 3
