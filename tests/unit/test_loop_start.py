"""Which explainer a learning loop starts from (issue 25): the promoted one, or the base model on purpose.

Why a base start exists: on the simulator the shipped SFT adapter already earns the click rate of the best
explanation its evidence allows (eval/reports/s7-serve.md: headroom 0), so a loop starting there can only
show that its guards refuse non-improvements; starting from the base model leaves a learner room to gain.
A loop never demotes what someone promoted, so a base start on such a home is refused, with the fix.
"""

from __future__ import annotations

import json

import pytest

from retrieval.settings import Settings
from training.loop import LoopConfig, start_champion
from training.registry import AdapterRegistry, RegistryError


def _adapter(path):
    path.mkdir(parents=True)
    (path / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "smollm2", "r": 8}))
    return path


def test_base_start_uses_the_base_model_and_refuses_to_demote_a_champion(tmp_path):
    settings = Settings(home=tmp_path / "home")
    assert start_champion(settings, "base") == "base"
    registry = AdapterRegistry(settings)
    entry = registry.register(_adapter(tmp_path / "sft"), "sft")
    registry.bootstrap(entry.name)
    assert start_champion(settings, "promoted") == entry.name
    with pytest.raises(RegistryError, match="rollback"):
        start_champion(settings, "base")
    assert registry.promoted.name == entry.name  # refused without touching the registry


def test_start_is_validated():
    assert LoopConfig().start == "promoted"
    assert LoopConfig(start="base").start == "base"
    with pytest.raises(ValueError):
        LoopConfig(start="shipped")
