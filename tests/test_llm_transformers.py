"""Real SmolLM2 in-process: GGUF → safetensors conversion and xgrammar-constrained JSON generation."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import jsonschema
import pytest

from tests.llm_helpers import MESSAGES, SCHEMA, make_tiny_lora, shared_llm_settings  # noqa: F401

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def llm_settings(tmp_path_factory):
    return shared_llm_settings(tmp_path_factory)


@pytest.fixture(scope="module")
def model_dir(llm_settings) -> Path:
    from app.llm.model_files import ensure_smollm2

    return ensure_smollm2(llm_settings)


@pytest.fixture(scope="module")
def backend(model_dir, llm_settings):
    from app.llm.transformers_backend import TransformersBackend

    # generous time limit: tests measure correctness, not speed, on shared CPUs
    return TransformersBackend(model_path=model_dir, settings=llm_settings, max_time_s=600)


def test_conversion_produces_loadable_model(model_dir, llm_settings):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from app.llm.model_files import check_chat_template, ensure_smollm2, resolve_model_path

    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        assert (model_dir / name).is_file(), name
    config = json.loads((model_dir / "config.json").read_text())
    assert config["model_type"] == "llama" and "quantization_config" not in config
    assert not list(model_dir.parent.glob(".smollm2-135m-instruct.tmp-*")), "temporary conversion dir left behind"

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    rendered = check_chat_template(tokenizer)
    assert rendered.startswith("<|im_start|>system\nAnswer in JSON.<|im_end|>")
    assert rendered.endswith("<|im_start|>assistant\n")
    assert tokenizer.eos_token == "<|im_end|>"

    model = AutoModelForCausalLM.from_pretrained(str(model_dir))
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(134_515_008, rel=0.01)
    ids = tokenizer("The capital of France is", return_tensors="pt")
    with torch.inference_mode():
        logits = model(**ids).logits
    assert torch.isfinite(logits).all()

    # idempotent: a second call reuses the folder untouched
    mtime = (model_dir / "model.safetensors").stat().st_mtime_ns
    started = time.perf_counter()
    assert ensure_smollm2(llm_settings) == model_dir
    assert time.perf_counter() - started < 1.0
    assert (model_dir / "model.safetensors").stat().st_mtime_ns == mtime
    assert resolve_model_path(llm_settings) == model_dir
    assert resolve_model_path(llm_settings.model_copy(update={"llm_model_path": str(model_dir)})) == model_dir


def test_constrained_generation_is_schema_valid(backend):
    results = backend.generate_json(MESSAGES, SCHEMA, max_new_tokens=160, temperature=0.0)
    assert len(results) == 1
    result = results[0]
    assert result.finish_reason == "stop", result.text
    value = json.loads(result.text)
    jsonschema.validate(value, SCHEMA)
    assert result.parsed == value and result.schema_valid is True and result.error is None
    assert value["fit"] in ("strong", "possible", "stretch")
    assert all(isinstance(s, str) for s in value["matched_skills"])
    assert result.tokens_generated > 5 and result.latency_ms > 0
    assert result.model == "smollm2-135m-instruct" and result.adapter is None and result.backend == "transformers"
    assert backend.health().ok


def test_sampling_and_batched_prompts(backend):
    samples = backend.generate_json(MESSAGES, SCHEMA, max_new_tokens=120, temperature=0.7, n=2)
    assert len(samples) == 2
    valid = [s for s in samples if s.finish_reason == "stop"]
    assert valid, [s.text for s in samples]
    for sample in valid:
        jsonschema.validate(json.loads(sample.text), SCHEMA)

    other = [MESSAGES[0], {"role": "user", "content": "Person: truck driver. Recommendation: Software Developers."}]
    batched = backend.generate_json_many([MESSAGES, other], SCHEMA, max_new_tokens=160)
    assert len(batched) == 2
    for item in batched:
        assert isinstance(item, list), item
        jsonschema.validate(json.loads(item[0].text), SCHEMA)
    # left padding must not change the greedy answer of the longer prompt
    single = backend.generate_json(MESSAGES, SCHEMA, max_new_tokens=160)
    assert batched[0][0].parsed["fit"] == single[0].parsed["fit"]


def test_truncated_output_raises_llm_unavailable(backend):
    from app.llm.base import LLMUnavailable

    with pytest.raises(LLMUnavailable) as info:
        backend.generate_json(MESSAGES, SCHEMA, max_new_tokens=3)
    assert info.value.reason == "invalid"
    assert info.value.results and info.value.results[0].finish_reason == "length"


def test_lora_adapter_and_factory(model_dir, llm_settings, tmp_path, monkeypatch):
    from app.llm.factory import clear_backends, get_backend
    from app.llm.transformers_backend import TransformersBackend

    adapter_dir = make_tiny_lora(model_dir, tmp_path / "tiny-lora")
    with_adapter = TransformersBackend(
        model_path=model_dir, adapter_path=adapter_dir, settings=llm_settings, max_time_s=600
    )
    assert with_adapter.adapter == "tiny-lora"
    result = with_adapter.generate_json(MESSAGES, SCHEMA, max_new_tokens=160)[0]
    assert result.adapter == "tiny-lora"
    if result.finish_reason == "stop":
        jsonschema.validate(json.loads(result.text), SCHEMA)
    assert with_adapter.info() == {"backend": "transformers", "name": "smollm2-135m-instruct", "adapter": "tiny-lora"}

    settings = llm_settings.model_copy(update={"llm_backend": "transformers", "llm_model_path": str(model_dir)})
    clear_backends()
    try:
        first = get_backend(settings=settings)
        assert get_backend("transformers", settings=settings) is first
        assert first.name == "transformers"
        with pytest.raises(ValueError):
            get_backend("nonsense", settings=settings)
    finally:
        clear_backends()
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
