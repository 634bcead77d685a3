"""The shipped explainer adapter loads onto the real SmolLM2 by default, merged, and decodes on the fast path.

Why a test of its own: ``make demo`` serves it without anyone naming it (retrieval/settings.py's
``llm_adapter`` default), so a base model, peft or transformers change that stops it loading -- or a
merge that leaves LoRA modules in the graph and breaks the prefix KV cache or jump-forward decoding --
must fail here, not in front of a person. Integration tier (slow): it converts SmolLM2 once per session.
"""

from __future__ import annotations

import pytest

from tests.llm_helpers import MESSAGES, SCHEMA, session_home

pytestmark = pytest.mark.slow


def test_default_settings_merge_the_shipped_adapter_and_decode_fast(tmp_path_factory):
    import torch
    from safetensors.torch import load_file

    from app.llm.model_files import ensure_smollm2
    from app.llm.transformers_backend import TransformersBackend
    from retrieval.settings import SHIPPED_ADAPTER, Settings

    settings = Settings(home=session_home(tmp_path_factory), llm_model_path="")  # llm_adapter left to its default
    assert settings.llm_adapter == str(SHIPPED_ADAPTER)
    ensure_smollm2(settings)
    backend = TransformersBackend(settings=settings, max_time_s=300)
    try:
        assert backend.adapter == "explainer-sft" and backend.info()["adapter"] == "explainer-sft"
        names = [n for n, _ in backend.model.named_modules()]
        assert not any("lora" in n for n in names)  # merged into the weights: the serving graph is the base's
        # the merge moved exactly the adapted weights: a targeted projection differs from the base's
        base = TransformersBackend(settings=settings.model_copy(update={"llm_adapter": ""}), max_time_s=300)
        weights = load_file(str(SHIPPED_ADAPTER / "adapter_model.safetensors"))
        adapted = sorted({k.split(".lora_")[0].split("model.layers.")[1] for k in weights})[
            0
        ]  # e.g. "20.mlp.down_proj"
        layer, rest = adapted.split(".", 1)
        get = lambda b: b.model.model.layers[int(layer)].get_submodule(rest).weight.float()  # noqa: E731
        assert not torch.allclose(get(backend), get(base))
        assert torch.equal(
            backend.model.model.layers[0].self_attn.q_proj.weight, base.model.model.layers[0].self_attn.q_proj.weight
        )
        base.close()

        first, run = backend.decode_one(MESSAGES, SCHEMA, 200)
        assert first.schema_valid is True and run.finish_reason == "stop"
        assert run.forced_tokens > 0  # jump-forward appended the grammar's forced spans
        again = backend.generate_json(MESSAGES, SCHEMA, max_new_tokens=200)[0]
        assert again.text == first.text  # greedy and cached: the same answer
        assert backend.health().extra["prefix_cache"]["hits"] >= 1  # the static prefix's KV was reused
    finally:
        backend.close()
