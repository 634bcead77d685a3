"""DPO of the explainer: trl ``DPOTrainer`` on preference pairs, continuing the SFT LoRA.

Pairs: :mod:`training.preferences` (verifier-ranked samples of the current model + labelled
synthetic negatives; built first when missing) and, with ``--feedback``, pairs from the feedback
store (clicked vs not-clicked variant *within one impression*, from
``training.feedback_data.dpo_pairs_from_feedback``) whose inverse-propensity weights are applied by
importance resampling (:func:`training.preferences.resample_by_weight`: trl's DPO loss has no
per-example weight).

Model: with ``--adapter`` (default: ``WAYPOINT_HOME/adapters/explainer-sft`` when it exists) the SFT
LoRA is loaded trainable and trained further; trl keeps a frozen copy of it as the reference
policy (its "ref" adapter), so DPO pulls away from SFT, not from the base. Without an SFT adapter a
fresh LoRA is trained against the base. Pairs whose longer side exceeds ``max_length`` are dropped.

Run: ``python -m training.dpo --config training/configs/dpo.yaml [--adapter DIR] [--tiny] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from retrieval.sqldb import display
from training.lora import (
    TrainConfig,
    add_common_args,
    add_dry_run,
    canonical_json,
    completion_token_ids,
    config_from_args,
    data_hash,
    default_out,
    finish_adapter,
    load_model,
    lora_config,
    read_jsonl,
    set_threads,
    to_dataset,
    train_stats,
    trainer_kwargs,
)

log = logging.getLogger(__name__)

ADAPTER_NAME = "explainer-sft-dpo"


def fits(tokenizer, record: dict, max_length: int, sides: tuple[str, ...]) -> bool:
    return all(len(completion_token_ids(tokenizer, record["prompt"], record[s])[0]) <= max_length for s in sides)


def feedback_pairs(settings) -> list[dict]:
    """DPO pairs from the feedback store (side by side, and across impressions of one person and prompt),
    [] when nothing is logged yet."""
    from training.feedback_data import dpo_pairs_from_feedback, tagged_feedback

    return tagged_feedback(partial(dpo_pairs_from_feedback, scope="context"), settings)


def default_sft_adapter(settings) -> Path | None:
    path = default_out(settings, "explainer-sft")
    return path if (path / "adapter_config.json").is_file() else None


def select_pairs(pairs: list[dict], tokenizer, config: TrainConfig, tiny: bool) -> list[dict]:
    """Pairs that fit, importance-resampled by weight, shuffled (tiny: the shortest, sampled and synthetic)."""
    from training.preferences import resample_by_weight

    kept = [p for p in pairs if fits(tokenizer, p, config.max_length, ("chosen", "rejected"))]
    if tiny:
        kept.sort(key=lambda p: len(canonical_json(p["prompt"])) + len(p["chosen"][0]["content"]))
    kept = resample_by_weight(kept, config.seed) if not tiny else kept
    if not tiny:
        random.Random(config.seed).shuffle(kept)
    if config.max_examples and config.max_examples > 0:
        kept = kept[: config.max_examples]
    return kept


def train_dpo(
    config: TrainConfig,
    settings,
    pairs: list[dict],
    out_dir: Path,
    *,
    adapter: Path | None,
    data_path: str = "",
    tiny: bool = False,
) -> dict[str, Any]:
    """Train DPO on ``pairs`` (on top of ``adapter`` when given) into ``out_dir``; returns the metadata."""
    from trl import DPOConfig, DPOTrainer

    set_threads(config)
    model, tokenizer, quantization = load_model(config, settings, adapter=adapter)
    train = select_pairs(pairs, tokenizer, config, tiny)
    if not train:
        raise ValueError(f"no DPO pair fits max_length={config.max_length}")
    log.info("DPO on %d pairs (%d synthetic)", len(train), sum(bool(p.get("meta", {}).get("synthetic")) for p in train))
    with tempfile.TemporaryDirectory(prefix="waypoint-dpo-") as tmp:
        args = DPOConfig(**trainer_kwargs(config, Path(tmp)), beta=config.beta)
        trainer = DPOTrainer(
            model=model,
            args=args,
            train_dataset=to_dataset(train, ["prompt", "chosen", "rejected"]),
            processing_class=tokenizer,
            peft_config=None if adapter else lora_config(config),
        )
        started = time.perf_counter()
        output = trainer.train()
        stats = train_stats(output, len(train), time.perf_counter() - started)
    logged = [h for h in trainer.state.log_history if "rewards/accuracies" in h]
    return finish_adapter(
        trainer.model,
        out_dir,
        method="dpo",
        config=config,
        settings=settings,
        parent_adapter=adapter,
        data_hash=data_hash(canonical_json([p["prompt"], p["chosen"], p["rejected"]]) for p in train),
        data_path=data_path,
        examples=len(train),
        quantization=quantization,
        stats=stats,
        metrics={
            "synthetic_pairs": sum(bool(p.get("meta", {}).get("synthetic")) for p in train),
            "feedback_pairs": sum(p.get("meta", {}).get("source") == "feedback" for p in train),
            "last_rewards_accuracy": logged[-1].get("rewards/accuracies") if logged else None,
            "last_rewards_margin": logged[-1].get("rewards/margins") if logged else None,
        },
    )


def main(argv: list[str] | None = None) -> dict:
    """``waypoint train dpo [--config F] [--source verifier|feedback|both] [--pairs FILE] [--adapter SFT_DIR |
    --no-adapter] [--tiny] [--max-steps N] [--epochs E] [--max-examples N] [--out DIR] [--threads T] [--seed S]``."""
    from retrieval.settings import get_settings
    from training.golden import ensure_golden
    from training.preferences import build_preferences, default_dir as prefs_dir

    parser = argparse.ArgumentParser(prog="waypoint train dpo", description=__doc__.split("\n")[0])
    add_common_args(parser)
    add_dry_run(parser)
    parser.add_argument(
        "--pairs",
        default=None,
        help="DPO pairs JSONL (default WAYPOINT_HOME/training/preferences/dpo.jsonl; built if missing)",
    )
    parser.add_argument(
        "--adapter", default=None, help="SFT adapter to continue (default WAYPOINT_HOME/adapters/explainer-sft)"
    )
    parser.add_argument("--no-adapter", action="store_true", help="train a fresh LoRA on the base instead")
    parser.add_argument(
        "--source",
        choices=["verifier", "feedback", "both"],
        default="verifier",
        help="verifier-ranked samples (--pairs), clicked-vs-shown pairs from the feedback store "
        "(IPS-resampled), or both",
    )
    parser.add_argument("--feedback", action="store_true", help="same as --source both")
    args = parser.parse_args(argv)
    config = config_from_args(args, "dpo")
    settings = get_settings()
    source = "both" if args.feedback else args.source
    adapter = None if args.no_adapter else (Path(args.adapter) if args.adapter else default_sft_adapter(settings))
    pairs: list[dict] = []
    data_paths: list[str] = []
    if source in ("verifier", "both"):
        pairs_path = Path(args.pairs) if args.pairs else prefs_dir(settings) / "dpo.jsonl"
        if not pairs_path.is_file():
            golden_dir = ensure_golden(settings, tiny=args.tiny)
            build_preferences(
                settings,
                golden_dir,
                pairs_path.parent,
                adapter=adapter,
                prompts=2 if args.tiny else 40,
                samples=2 if args.tiny else 4,
                threads=config.threads or None,
            )
        pairs += read_jsonl(pairs_path)
        data_paths.append(str(pairs_path))
    if source in ("feedback", "both"):
        feedback = feedback_pairs(settings)
        if source == "feedback" and not feedback:
            raise SystemExit(
                f"no preference pairs in {display(settings.events_target)}: it needs two explanations of one "
                "item that one person saw and treated differently (a thumbs on each after the UI's \"Explain "
                'differently", side-by-side explanations, or `waypoint loop`)'
            )
        pairs += feedback
        data_paths.append(display(settings.events_target))
    if args.dry_run:
        return {
            "method": "dpo",
            "dry_run": True,
            "source": source,
            "data": " + ".join(data_paths),
            "pairs": len(pairs),
            "feedback_pairs": sum(p.get("meta", {}).get("source") == "feedback" for p in pairs),
        }
    out_dir = Path(args.out) if args.out else default_out(settings, ADAPTER_NAME + ("-tiny" if args.tiny else ""))
    return train_dpo(
        config, settings, pairs, out_dir, adapter=adapter, data_path=" + ".join(data_paths), tiny=args.tiny
    )


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig(level=logging.INFO)
    print(json.dumps(main(), indent=2, default=str))
