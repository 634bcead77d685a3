"""Adapter registry with real LoRA adapters on the packaged SmolLM2: versions, gated promotion, export."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow  # loads SmolLM2-135M

TEXTS_N, MAX_TOKENS = 4, 64


@pytest.fixture(scope="module")
def base_dir(settings):
    from app.llm.model_files import resolve_model_path

    return resolve_model_path(settings)


def _make_adapter(base_dir, out, *, steps: int = 0, alpha: int = 8, random_init: bool = False, seed: int = 0):
    """A real PEFT LoRA adapter on SmolLM2: a few optimizer steps, or a large random one (harmful)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(seed)
    tok = AutoTokenizer.from_pretrained(str(base_dir))
    model = AutoModelForCausalLM.from_pretrained(str(base_dir), dtype=torch.float32)
    cfg = LoraConfig(
        r=4,
        lora_alpha=alpha,
        target_modules=["q_proj", "v_proj"],
        lora_dropout=0.0,
        init_lora_weights=not random_init,
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, cfg)
    if steps:
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
        text = (
            '{"fit": "possible", "matched_skills": [{"evidence": ["c1"], "skill": "Instructing"}], '
            '"missing_skills": [], "next_steps": [], "summary": "You already show instructing."}'
        )
        batch = tok([text], return_tensors="pt")
        model.train()
        for _ in range(steps):
            loss = model(**batch, labels=batch["input_ids"]).loss
            loss.backward()
            opt.step()
            opt.zero_grad()
    model.save_pretrained(str(out))
    return out


@pytest.fixture(scope="module")
def adapters(base_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("adapters-src")
    good = _make_adapter(base_dir, root / "good", steps=2, seed=1)
    harmful = _make_adapter(base_dir, root / "harmful", alpha=512, random_init=True, seed=2)
    return {"good": good, "harmful": harmful}


@pytest.fixture()
def registry(settings, tmp_path):
    from training.registry import AdapterRegistry

    return AdapterRegistry(settings, root=tmp_path / "adapters")


@pytest.fixture(scope="module")
def texts(settings):
    from training.registry import general_texts

    return general_texts(settings, TEXTS_N)


def test_general_texts_are_held_out_catalogue_text(settings, texts):
    from retrieval.catalogue.db import connect

    assert len(texts) == TEXTS_N and all(len(t) > 150 for t in texts)
    conn = connect(settings.catalogue_path, readonly=True)
    onet = {r[0] for r in conn.execute("SELECT description FROM occupation WHERE taxonomy='onet'")}
    conn.close()
    assert not onet & set(texts), "O*NET descriptions appear in explanation prompts, so they are not held out"


def test_register_versions_list_and_vllm_modules(registry, adapters, tmp_path):
    from training.registry import RegistryError, hash_data

    a = registry.register(adapters["good"], "sft", {"lr": 1e-3, "steps": 2}, hash_data([{"x": 1}]), {"FMR": 0.9})
    b = registry.register(adapters["good"], "sft", {"lr": 1e-3}, "sha256:x", {})
    c = registry.register(adapters["harmful"], "dpo")
    assert (a.name, b.name, c.name) == ("explainer-sft-v1", "explainer-sft-v2", "explainer-dpo-v1")
    assert (registry.root / a.name / "adapter_config.json").is_file()
    assert a.base_model and a.data_hash.startswith("sha256:")
    index = json.loads(registry.index_path.read_text())
    assert [e["name"] for e in index["adapters"]] == [a.name, b.name, c.name]
    assert [e.name for e in registry.list()] == [a.name, b.name, c.name]
    assert registry.vllm_lora_modules() == [f"{e.name}={e.path}" for e in (a, b, c)]
    assert not list(registry.root.glob(".registry.*.json")), "no temporary index files left behind"
    with pytest.raises(RegistryError, match="not a PEFT adapter"):
        registry.register(tmp_path, "sft")
    with pytest.raises(RegistryError, match="already registered"):
        registry.register(adapters["good"], "sft", name=a.name)
    with pytest.raises(RegistryError, match="unknown adapter"):
        registry.get("nope")


def test_promotion_gates(registry, adapters, texts):
    registry.set_base_metrics({"faithfulness": 0.80, "FMR": 0.60, "ope_snips": 0.30})
    worse_fmr = registry.register(
        adapters["good"],
        "sft",
        metrics={"faithfulness": 0.95, "FMR": 0.55, "ope_snips": 0.40, "ope_uplift_ci": [0.01, 0.2]},
    )
    decision = registry.promote(worse_fmr.name, texts=texts, max_tokens=MAX_TOKENS)
    assert not decision.promoted and decision.reference == "base"
    assert len(decision.reasons) == 1 and "FMR regresses" in decision.reasons[0] and "0.5500" in decision.reasons[0]
    assert registry.promoted is None

    good = registry.register(
        adapters["good"],
        "dpo",
        metrics={"faithfulness": 0.99, "FMR": 0.90, "ope_snips": 0.45, "ope_uplift_ci": [0.01, 0.2]},
    )
    decision = registry.promote(good.name, texts=texts, max_tokens=MAX_TOKENS)
    assert decision.promoted, decision.reasons
    guard = decision.checks["general_perplexity"]
    assert guard["ok"] and guard["ratio"] <= 1.10 and guard["base_ppl"] > 1
    assert registry.promoted.name == good.name
    assert f"explainer={good.path}" in registry.vllm_lora_modules()

    # better metrics, but it wrecks general language ability: the guardrail refuses it
    harmful = registry.register(
        adapters["harmful"], "kto", metrics={"faithfulness": 1.0, "FMR": 0.95, "ope_snips": 0.5}
    )
    decision = registry.promote(harmful.name, texts=texts, max_tokens=MAX_TOKENS)
    assert not decision.promoted and decision.reference == good.name
    assert any("guardrail" in r and "perplexity" in r for r in decision.reasons), decision.reasons
    assert decision.checks["general_perplexity"]["ratio"] > 1.10

    # now the reference is the promoted adapter: a lower off-policy estimate is a regression
    lower_ope = registry.register(
        adapters["good"], "kto", metrics={"faithfulness": 0.99, "FMR": 0.90, "ope_snips": 0.40}
    )
    no_fmr = registry.register(adapters["good"], "kto", metrics={"faithfulness": 0.99, "ope_snips": 0.50})
    d1 = registry.promote(lower_ope.name, texts=texts, max_tokens=MAX_TOKENS)
    d2 = registry.promote(no_fmr.name, texts=texts, max_tokens=MAX_TOKENS)
    assert not d1.promoted and any("ope_snips regresses" in r for r in d1.reasons)
    assert not d2.promoted and any("FMR is not recorded" in r for r in d2.reasons)
    assert registry.promoted.name == good.name
    index = json.loads(registry.index_path.read_text())
    assert [h["promoted"] for h in index["history"]] == [good.name]


def test_export_is_base_plus_adapter(registry, adapters, settings, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from app.llm.model_files import resolve_model_path

    entry = registry.register(adapters["good"], "sft")
    out = registry.export(entry.name, tmp_path / "merged")
    assert (out / "config.json").is_file() and (out / "model.safetensors").is_file()
    assert not (out / "adapter_config.json").exists()
    assert json.loads((out / "waypoint_export.json").read_text())["adapter"] == entry.name
    base_path = resolve_model_path(settings)
    tok = AutoTokenizer.from_pretrained(str(out))
    ids = tok(["Registered nurses assess patient health problems and needs."], return_tensors="pt")["input_ids"]
    merged = AutoModelForCausalLM.from_pretrained(str(out), dtype=torch.float32).eval()
    base = AutoModelForCausalLM.from_pretrained(str(base_path), dtype=torch.float32).eval()
    with torch.no_grad():
        plain = base(ids).logits
        peft_model = PeftModel.from_pretrained(base, entry.path).eval()
        with_adapter = peft_model(ids).logits
        exported = merged(ids).logits
    assert torch.allclose(exported, with_adapter, atol=1e-4)
    assert not torch.allclose(plain, with_adapter, atol=1e-4), "the adapter changes the model"
    from training.registry import RegistryError

    with pytest.raises(RegistryError, match="not empty"):
        registry.export(entry.name, out)


def test_main_list_and_modules(settings, adapters, tmp_path, monkeypatch):
    from retrieval.settings import get_settings
    from training.registry import main

    monkeypatch.setenv("WAYPOINT_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    try:
        out = main(["register", str(adapters["good"]), "--method", "sft", "--metrics", '{"FMR": 0.9}'])
        assert out["name"] == "explainer-sft-v1"
        listed = main(["list"])
        assert listed["promoted"] is None and [a["name"] for a in listed["adapters"]] == ["explainer-sft-v1"]
        mods = main(["vllm-modules"])["lora_modules"]
        assert mods == [f"explainer-sft-v1={tmp_path / 'home' / 'adapters' / 'explainer-sft-v1'}"]
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
