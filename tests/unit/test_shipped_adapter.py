"""The explainer adapter that ships under models/explainer-sft: small, described by its card, the default.

Cheap checks only (file reads and a safetensors header): the card names the data hash and the config
the trainer recorded, the committed trainer config is that config, the weights are the LoRA that config
describes, and the settings serve it by default exactly where it applies. Loading it onto SmolLM2 and
decoding with it is tests/test_shipped_adapter_loads.py (integration: it converts the real model).
"""

from __future__ import annotations

import json
import struct
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

from retrieval.settings import SHIPPED_ADAPTER, Settings

MAX_BYTES = 12 * 1024 * 1024
FILES = ("adapter_config.json", "adapter_model.safetensors", "waypoint_adapter.json", "README.md", "sft.yaml")


@pytest.fixture(scope="module")
def meta() -> dict:
    return json.loads((SHIPPED_ADAPTER / "waypoint_adapter.json").read_text())


def safetensors_header(path: Path) -> dict:
    with path.open("rb") as fh:
        (size,) = struct.unpack("<Q", fh.read(8))
        return json.loads(fh.read(size))


def test_the_adapter_is_committed_whole_and_small():
    assert SHIPPED_ADAPTER.name == "explainer-sft" and SHIPPED_ADAPTER.parent.name == "models"
    for name in FILES:
        assert (SHIPPED_ADAPTER / name).is_file(), name
    size = sum(p.stat().st_size for p in SHIPPED_ADAPTER.iterdir() if p.is_file())
    assert size <= MAX_BYTES, f"{size / 1e6:.1f} MB"


def test_card_states_the_data_hash_config_and_command(meta):
    card = (SHIPPED_ADAPTER / "README.md").read_text()
    golden = meta["metrics"]["golden_data_hash"]
    assert golden and f"`{golden}`" in card  # the golden set the examples came from
    assert f"`{meta['data_hash']}`" in card  # the examples it was trained on
    assert "python -m training.sft --config models/explainer-sft/sft.yaml" in card
    assert "python -m training.golden" in card
    assert "SmolLM2-135M-Instruct" in card and meta["method"] == "sft"
    assert f"train_seconds: {meta['train_seconds']}" in card or f"{round(meta['train_seconds'] / 60)} min" in card


def test_committed_config_is_the_one_the_trainer_recorded(meta):
    from training.lora import load_config

    config = load_config(SHIPPED_ADAPTER / "sft.yaml", "sft")
    recorded = config.record()
    assert recorded == {k: meta["config"][k] for k in recorded}
    # recorded before the configs were trl's SFTConfig: the preference-only fields every method then carried
    assert set(meta["config"]) - set(recorded) <= {"beta", "desirable_weight", "undesirable_weight"}
    peft_config = json.loads((SHIPPED_ADAPTER / "adapter_config.json").read_text())
    assert peft_config["r"] == config.lora_r and peft_config["lora_alpha"] == config.lora_alpha
    assert set(peft_config["target_modules"]) == set(config.target_modules)
    assert "SmolLM2" in peft_config.get("base_model_name_or_path", "") or "smollm2" in meta["base_model"].lower()


def test_weights_are_the_configured_lora_in_half_precision(meta):
    from training.lora import load_config

    config = load_config(SHIPPED_ADAPTER / "sft.yaml", "sft")
    header = safetensors_header(SHIPPED_ADAPTER / "adapter_model.safetensors")
    tensors = {k: v for k, v in header.items() if k != "__metadata__"}
    assert tensors and {v["dtype"] for v in tensors.values()} == {"BF16"}
    assert meta["metrics"]["adapter_dtype"] == "bfloat16"
    for name, info in tensors.items():
        assert any(f".{module}." in name for module in config.target_modules), name
        rank = info["shape"][0] if "lora_A" in name else info["shape"][1]
        assert rank == config.lora_r, (name, info["shape"])
    # one A and one B per targeted module
    assert len(tensors) == 2 * len(config.target_modules)


def test_settings_serve_it_by_default_where_it_applies(monkeypatch):
    for var in ("WAYPOINT_LLM_ADAPTER", "WAYPOINT_LLM_BACKEND", "WAYPOINT_LLM_MODEL_PATH"):
        monkeypatch.delenv(var, raising=False)
    assert Settings().llm_adapter == str(SHIPPED_ADAPTER)
    assert Settings(llm_backend="deterministic").llm_adapter == str(SHIPPED_ADAPTER)
    assert Settings(llm_adapter="").llm_adapter == ""  # the base model, asked for
    assert Settings(llm_backend="openai").llm_adapter == ""  # served adapters go by name
    assert Settings(llm_model_path="/some/other/model").llm_adapter == ""  # a LoRA of SmolLM2 only
    monkeypatch.setenv("WAYPOINT_LLM_ADAPTER", "")
    assert Settings().llm_adapter == ""


def test_wheel_and_image_carry_it():
    project = tomllib.loads((SHIPPED_ADAPTER.parents[1] / "pyproject.toml").read_text())
    setuptools = project["tool"]["setuptools"]
    assert "models" in setuptools["packages"]["find"]["include"]
    patterns = setuptools["package-data"]["models"]
    for path in SHIPPED_ADAPTER.iterdir():
        assert any(fnmatch(f"explainer-sft/{path.name}", p) for p in patterns), path.name
    dockerfile = (SHIPPED_ADAPTER.parents[1] / "Dockerfile").read_text()
    assert dockerfile.count("COPY models ./models") == 2  # the cpu and cuda images build the wheel from the tree
