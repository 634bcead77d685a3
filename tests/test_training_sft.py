"""Golden SFT data and SFT with real trl on the real SmolLM2 (CPU, tiny budgets).

The golden set is built from real (profile, item) pairs of the session catalogue; every target must
verify with faithfulness 1.0 and validate against its request's schema, and no profile may be both in
train and val, or in ``waypoint eval explain``'s sample. A ``--tiny`` SFT run must write an adapter
that the in-process transformers backend loads, and that lowers the completion loss on the held-out
validation profile compared with the base model (measured, not assumed).

The helpers at the top build the tiny golden set and SFT adapter once per test session, under a file lock in
the temp root the pytest-xdist workers share: ``test_training_prefs.py`` trains DPO/KTO on top of the same
adapter and ``test_llm_openai.py`` serves it, on whichever worker, without training it again (~90 s of CPU).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from filelock import FileLock

from retrieval.pairs import sample_profiles
from tests.llm_helpers import TEST_THREADS, session_root

GOLDEN_PAIRS, GOLDEN_VARIANTS = 6, 2


def training_settings(settings, tmp_path_factory):
    """The session settings with the shared converted SmolLM2 (converted once per test session)."""
    from app.llm.model_files import ensure_smollm2
    from tests.llm_helpers import shared_llm_settings

    model_dir = ensure_smollm2(shared_llm_settings(tmp_path_factory))
    return settings.model_copy(
        update={"llm_model_path": str(model_dir), "llm_adapter": "", "gap_embeddings": False, "gap_esco_map": False}
    )


def _shared(tmp_path_factory, name: str) -> Path:
    """``training/<name>`` in the session's shared temp root (its parent created, for the lock file)."""
    out = session_root(tmp_path_factory) / "training" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    return out


def tiny_golden(settings, tmp_path_factory) -> Path:
    from training.golden import build_golden, read_manifest

    out = _shared(tmp_path_factory, "golden")
    with FileLock(f"{out}.lock"):
        if read_manifest(out) is None:
            build_golden(
                training_settings(settings, tmp_path_factory),
                pairs=GOLDEN_PAIRS,
                variants=GOLDEN_VARIANTS,
                out_dir=out,
                item_source="bm25",
                progress=False,
            )
    return out


class env_settings:
    """Point ``get_settings()`` (what the ``main`` functions read) at these settings' home and model."""

    def __init__(self, settings, **extra: str) -> None:
        self.values = {
            "WAYPOINT_HOME": str(settings.home),
            "WAYPOINT_LLM_MODEL_PATH": settings.llm_model_path,
            "WAYPOINT_LLM_ADAPTER": "",
            "WAYPOINT_GAP_EMBEDDINGS": "false",
            "WAYPOINT_GAP_ESCO_MAP": "false",
            **extra,
        }

    def __enter__(self):
        from retrieval.settings import get_settings

        self.saved = {k: os.environ.get(k) for k in self.values}
        os.environ.update(self.values)
        get_settings.cache_clear()
        return self

    def __exit__(self, *exc):
        from retrieval.settings import get_settings

        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()


def tiny_sft(settings, tmp_path_factory) -> tuple[Path, dict]:
    """``python -m training.sft --tiny`` on the tiny golden set (once per session)."""
    from training import sft
    from training.lora import read_adapter_meta

    golden = tiny_golden(settings, tmp_path_factory)
    out = _shared(tmp_path_factory, "sft-tiny")
    with FileLock(f"{out}.lock"):
        meta = read_adapter_meta(out)
        if meta is None:
            with env_settings(training_settings(settings, tmp_path_factory)):
                sft.main(["--tiny", "--golden", str(golden), "--out", str(out), "--threads", str(TEST_THREADS)])
            meta = read_adapter_meta(out)
    return out, meta.model_dump()


@pytest.fixture(scope="module")
def tsettings(settings, tmp_path_factory):
    return training_settings(settings, tmp_path_factory)


@pytest.fixture(scope="module")
def golden_dir(settings, tmp_path_factory):
    return tiny_golden(settings, tmp_path_factory)


@pytest.mark.slow
def test_golden_set_verifies_and_is_split_by_profile(golden_dir, tsettings):
    import jsonschema

    from app.explain.prompt import build_messages, schema_for
    from app.explain.verify import parse_draft, verify
    from training.golden import load_evidence, load_split, read_manifest
    from training.lora import data_hash

    manifest = read_manifest(golden_dir)
    train, val = load_split(golden_dir, "train"), load_split(golden_dir, "val")
    evidence = load_evidence(golden_dir)
    assert train and val, manifest
    assert manifest.counts["train"] == len(train) and manifest.counts["val"] == len(val)
    assert manifest.data_hash == data_hash(r["id"] for r in train + val)
    assert len({r["id"] for r in train + val}) == len(train) + len(val)  # deduplicated

    for record in train + val:
        ev = evidence[record["meta"]["evidence_key"]]
        assert record["prompt"] == build_messages(ev)  # the serving prompt, byte for byte
        assert [m["role"] for m in record["completion"]] == ["assistant"]
        obj = json.loads(record["completion"][0]["content"])
        jsonschema.validate(obj, schema_for(ev, "closed"))  # so also under the more open grammars
        verified = verify(parse_draft(obj), ev)
        assert verified.faithfulness == 1.0 and not verified.dropped and not verified.summary_replaced, verified.dropped
        assert all(claim["evidence"] for claim in obj["matched_skills"])  # every claim cited
        assert all(step["citations"] for step in obj["next_steps"])

    train_profiles = {r["meta"]["profile_id"] for r in train}
    val_profiles = {r["meta"]["profile_id"] for r in val}
    assert train_profiles and val_profiles and not (train_profiles & val_profiles)
    eval_profiles = {p.id for p in sample_profiles(tsettings, 40, 40)}
    assert not ((train_profiles | val_profiles) & eval_profiles)
    # phrasing variety: more distinct summaries than (profile, item) pairs
    summaries = {json.loads(r["completion"][0]["content"])["summary"] for r in train + val}
    assert len(summaries) > len({r["meta"]["evidence_key"] for r in train + val})


@pytest.mark.slow
@pytest.mark.e2e
def test_tiny_sft_adapter_loads_and_lowers_val_loss(settings, tsettings, golden_dir, tmp_path_factory):
    from app.llm.transformers_backend import TransformersBackend
    from training.golden import load_split
    from training.lora import completion_loss, load_config

    adapter, meta = tiny_sft(settings, tmp_path_factory)
    assert (adapter / "adapter_config.json").is_file() and (adapter / "adapter_model.safetensors").is_file()
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["r"] == 16 and set(config["target_modules"]) >= {
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    }
    tiny = load_config(None, "sft").tiny_version()
    assert meta["method"] == "sft" and 0 < meta["examples"] <= tiny.max_examples and meta["steps"] == tiny.max_steps
    assert meta["train_seconds"] > 0 and meta["samples_per_second"] > 0 and len(meta["data_hash"]) == 16

    val = load_split(golden_dir, "val")[:2]
    # fp32 for a loss comparison: the serving default (bf16 where the CPU has it) rounds both losses
    tuned = TransformersBackend(adapter_path=adapter, settings=tsettings, dtype="float32")
    assert tuned.adapter == adapter.name
    tuned_loss = completion_loss(tuned.model, tuned.tokenizer, val)
    tuned.close()
    base = TransformersBackend(adapter_path="", settings=tsettings, dtype="float32")
    base_loss = completion_loss(base.model, base.tokenizer, val)
    base.close()
    assert tuned_loss < base_loss, (tuned_loss, base_loss)
    # the trainer's own measurement (adapter on/off in the same process) agrees
    assert meta["metrics"]["val_loss"] < meta["metrics"]["val_loss_base"]


def test_config_files_load_and_tiny_overrides_apply():
    from training.lora import load_config

    for method in ("sft", "dpo", "kto"):
        config = load_config(None, method)
        tiny = config.tiny_version()
        assert config.method == method and config.lora_r == 16 and config.max_steps == -1
        assert 0 < tiny.max_steps <= 3 and 0 < tiny.max_examples <= 3
    with pytest.raises(ValueError):
        load_config(Path(__file__).parent.parent / "training" / "configs" / "dpo.yaml", "sft")
