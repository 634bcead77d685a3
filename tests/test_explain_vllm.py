"""A grounded explanation through a real vLLM server (SmolLM2 + a tiny LoRA adapter selected by name).

Reuses the server fixture of ``test_llm_openai.py`` (started from ``.venv-vllm`` by
``scripts/vllm_serve.sh``, stopped by PID); skipped when that virtualenv does not exist.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
import torch

from tests.test_llm_openai import vllm_server  # noqa: F401 - the module-scoped server fixture

torch.set_num_threads(1)
pytestmark = pytest.mark.slow

NURSE, HEALTH_ED = "29-1141.00", "21-1091.00"


@pytest.fixture(scope="module")
def served_settings(settings, vllm_server):  # noqa: F811
    base_url, adapter = vllm_server
    return settings.model_copy(update={
        "explain_gap_embeddings": False, "explain_gap_esco_map": False, "llm_base_url": base_url,
        "llm_model_name": "smollm2-135m-instruct", "llm_adapter": adapter, "llm_timeout_s": 300.0,
        "llm_max_retries": 0, "faithfulness_threshold": 0.0,
    })


def test_vllm_adapter_explanation_is_schema_valid_and_verified(served_settings, catalogue):
    from app.explain import explain_traced
    from app.llm import clear_backends
    from retrieval.profile import Profile

    profile = Profile(occupation=NURSE, text="Registered nurse; I run patient education classes and keep medical records.")
    try:
        e, trace = explain_traced(profile, HEALTH_ED, backend="vllm", settings=served_settings)
        assert trace.raw_text is not None, e.fallback_reason
        jsonschema.validate(json.loads(trace.raw_text), trace.schema)
        assert e.fallback_reason is None, e.fallback_reason
        assert e.model.model_dump() == {"backend": "openai", "name": "smollm2-135m-instruct", "adapter": "tiny-lora"}
        assert e.verification.claims >= 3 and 0.0 <= e.faithfulness <= 1.0
        cited = {c.id: c for c in e.citations}
        matched = {s.id for s in trace.evidence.matched}
        for m in e.matched_skills:
            assert m.id in matched and m.evidence and all(c in cited for c in m.evidence)
            assert catalogue.execute("SELECT 1 FROM skill WHERE id = ?", (m.id,)).fetchone()
        for c in e.citations:
            assert trace.evidence.citation(c.id).text == c.text

        # the base model on the same server, through the same client, by name
        base = served_settings.model_copy(update={"llm_adapter": ""})
        e2, trace2 = explain_traced(profile, HEALTH_ED, backend="openai", settings=base)
        assert e2.model.adapter is None or e2.fallback_reason is not None
        if trace2.raw_text:
            jsonschema.validate(json.loads(trace2.raw_text), trace2.schema)
    finally:
        clear_backends()
