"""Shared by the LLM test modules: one schema and prompt, one converted model per session, tiny LoRA."""

from __future__ import annotations

import os
from pathlib import Path

# Torch threads for the whole test session (set once in conftest.py). CI has its 2 cores to itself,
# so every core is used; on a shared development machine set WAYPOINT_TEST_THREADS=1.
TEST_THREADS = int(os.environ.get("WAYPOINT_TEST_THREADS") or 0) or (os.cpu_count() or 1)

SCHEMA = {
    "type": "object",
    "properties": {
        "fit": {"type": "string", "enum": ["strong", "possible", "stretch"]},
        "matched_skills": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 4},
        "summary": {"type": "string", "maxLength": 200},
    },
    "required": ["fit", "matched_skills", "summary"],
    "additionalProperties": False,
}

MESSAGES = [
    {"role": "system", "content": "You explain career recommendations. Reply with one JSON object only."},
    {
        "role": "user",
        "content": (
            "Person: registered nurse who runs patient-education classes.\n"
            "Recommendation: Health Education Specialists.\n"
            "Give fit (strong, possible or stretch), the matched skills, and a one-sentence summary."
        ),
    },
]


def base_home(tmp_path_factory) -> Path:
    """Where the session's built base lives (tests/session_home.py): ``WAYPOINT_TEST_HOME`` (a built home, for
    quick local runs; ``make test`` builds ``var/test-home`` while the unit tier runs), else pytest's temp
    root, which pytest-xdist's workers share."""
    if os.environ.get("WAYPOINT_TEST_HOME"):
        return Path(os.environ["WAYPOINT_TEST_HOME"]).resolve()
    return session_root(tmp_path_factory) / "waypoint-home-base"


def session_root(tmp_path_factory) -> Path:
    """This test session's temp root, shared by its pytest-xdist workers (each worker's own base temp is a
    folder in it): what is built here under a file lock is built once per session, not once per worker."""
    root = tmp_path_factory.getbasetemp()
    return root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root


def session_home(tmp_path_factory, *, catalogue: bool = False, data: Path | None = None) -> Path:
    """This process's WAYPOINT_HOME: a private view of the shared base, which is built first if it lacks the
    converted SmolLM2 (about a minute of CPU) or, with ``catalogue``, the real catalogue's models. Shared by
    conftest's ``waypoint_home`` and :func:`shared_llm_settings`, so each is built once per run."""
    from tests.session_home import DATA, ensure_base, private_home

    base = ensure_base(base_home(tmp_path_factory), data or DATA, catalogue=catalogue)
    return private_home(base, tmp_path_factory.getbasetemp() / "waypoint-home")


def shared_llm_settings(tmp_path_factory):
    """Settings on the session home with no model path or adapter: the converted SmolLM2 under its models_dir."""
    from retrieval.settings import Settings

    return Settings(home=session_home(tmp_path_factory), llm_model_path="", llm_adapter="")


def smollm2_tokenizer():
    """SmolLM2's real tokenizer, from the packaged GGUF file."""
    from transformers import AutoTokenizer

    from app.llm.model_files import smollm2_gguf_path

    gguf = smollm2_gguf_path()
    return AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)


def tiny_llama(tokenizer, max_positions: int = 2048):
    """A 2-layer Llama with SmolLM2's vocabulary and seeded random weights: a real causal LM whose choices
    mean nothing, for tests of decoding machinery (grammar, streaming) that need no trained model."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id,
    )
    return LlamaForCausalLM(config).eval()


def make_tiny_lora(model_dir: Path, out_dir: Path, seed: int = 0) -> Path:
    """A random rank-8 LoRA adapter (q_proj, v_proj) for SmolLM2, saved with peft."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(str(model_dir))
    config = LoraConfig(
        r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], lora_dropout=0.0, task_type="CAUSAL_LM"
    )
    peft_model = get_peft_model(model, config)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:  # peft initialises B to zero (a no-op adapter); make it a real one
                param.normal_(0.0, 0.01)
    peft_model.save_pretrained(str(out_dir))
    return out_dir
