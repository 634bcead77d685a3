"""One round of ``waypoint loop`` on the tiny configuration, end to end: a real ``waypoint serve`` with policy
exploration, simulated people over HTTP, DPO and KTO from the event log (one trl step each), off-policy
evaluation on the next window, the registry's gates, and the hot reload of the challengers.

e2e (trl runs) and slow: a few minutes on 2 cores on a built home.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.home_mirror import mirror_home
from tests.llm_helpers import TEST_THREADS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_one_tiny_round_trains_from_the_log_and_hot_loads_the_challengers(waypoint_home, tmp_path, monkeypatch):
    from retrieval.settings import get_settings
    from training.loop import TINY, LoopConfig, run_loop
    from training.registry import AdapterRegistry

    # The loop registers, promotes and hot-loads adapters in the home's registry and serves from it: on a
    # private view of the session home, so no later test sees that state (and its server has its own store).
    home = mirror_home(Path(waypoint_home), tmp_path / "home")
    monkeypatch.setenv("WAYPOINT_HOME", str(home))
    get_settings.cache_clear()
    settings = get_settings()
    assert Path(settings.home) == home
    # one torch thread per process, as every test in `make test` (two OpenMP threads on two busy cores spin)
    cfg = LoopConfig.model_validate({**TINY, "name": "loop-test", "people": 4, "threads": TEST_THREADS})
    out = run_loop(cfg, settings, run_dir=tmp_path / "run", report_dir=tmp_path / "reports")
    state0 = json.loads((tmp_path / "run" / "round-0" / "state.json").read_text())
    assert state0["serve"]["impressions"] > 0
    # each person's visits share a session, as a real client's do: the log groups them by prompt (DPO's
    # on-policy pairs come from these groups; without a session there were none at any size), and every
    # logged explanation's prompt is rebuilt exactly
    from training.feedback_data import PromptBuilder, context_groups, load_impressions

    window = state0["serve"]
    groups = context_groups(load_impressions(settings.events_target, since=window["t0"], until=window["t1"]))
    assert groups, "no two explanations of one person and prompt in the log"
    assert all(len({c.session_id for c in g}) == 1 and len(g) == cfg.visits for g in groups)
    builder = PromptBuilder(settings.model_copy(update={"explain_use_memory": False}))  # as the loop serves
    assert all(builder.messages(c) is not None for g in groups for c in g) and builder.mismatched == 0
    train = state0["train"]
    assert train["challengers"] or all("skipped" in train.get(m, {}) for m in cfg.methods), train
    # KTO needs one clicked and one unclicked explanation in the window (4 people, 2 visits each): its step is
    # the suite's only KTO training run (test_training_prefs reads the verifier's labels without training)
    assert "adapter" in train["kto"], train
    _assert_continues(AdapterRegistry(settings), train["kto"]["adapter"], train["parent"], "kto", settings)
    if train["challengers"]:  # served after the reload, evaluated on the next window
        assert [p["name"] for p in train["reload"]["policies"]][1:] == train["challengers"]
        state1 = json.loads((tmp_path / "run" / "round-1" / "state.json").read_text())
        assert set(train["challengers"]) <= set(state1["evaluate"]["policies"])
        registry = AdapterRegistry(settings)
        for name in train["challengers"]:
            assert "ope_snips" in registry.get(name).metrics or registry.get(name).metrics.get("round") == 0
    for ext in ("json", "md", "png"):
        assert (tmp_path / "reports" / f"loop-test.{ext}").is_file()
    assert out["table"] and all(r["true_click_rate"] is None or 0 <= r["true_click_rate"] <= 1 for r in out["table"])
    # the ceiling is the best explanation of the same evidence: no policy shows better than it
    assert all(
        r["ceiling_click_rate"] >= r["true_click_rate"] - 1e-9 for r in out["table"] if r["true_click_rate"] is not None
    )
    assert out["headroom"] is not None and out["headroom"] >= 0
    # idempotent: a second invocation finds every stage done and serves nothing new
    again = run_loop(cfg, settings, run_dir=tmp_path / "run", report_dir=tmp_path / "reports")
    assert again["rounds"][0]["serve"]["t0"] == state0["serve"]["t0"]


def _assert_continues(registry, name: str, parent: str, method: str, settings) -> None:
    """The challenger ``name`` was trained by ``method`` on top of the champion ``parent`` (its LoRA changed
    from the parent's, trl's frozen reference copy not saved) and loads in the transformers backend."""
    import torch
    from safetensors.torch import load_file

    from app.llm.transformers_backend import TransformersBackend
    from training.lora import read_adapter_meta

    path = Path(registry.get(name).path)
    meta = read_adapter_meta(path)
    assert meta.method == method and meta.steps >= 1 and meta.examples >= 1 and meta.train_seconds > 0, meta
    parent_path = Path(registry.get(parent).path)
    assert meta.parent_adapter == str(parent_path), (meta.parent_adapter, parent_path)
    assert not (path / "ref").exists()
    mine, theirs = (load_file(str(p / "adapter_model.safetensors")) for p in (path, parent_path))
    assert set(mine) == set(theirs) and any(not torch.equal(mine[k].float(), theirs[k].float()) for k in mine)
    backend = TransformersBackend(adapter_path=path, settings=settings)
    try:
        assert backend.adapter
    finally:
        backend.close()
