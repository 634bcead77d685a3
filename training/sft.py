"""Supervised fine-tuning of the explainer with LoRA: trl ``SFTTrainer`` on the golden set.

Data: :mod:`training.golden` (built first when missing), conversational prompt-completion records;
the loss is on completion tokens only (``completion_only_loss``), so the model learns to answer the
grounded prompt, not to reproduce it. Examples longer than ``max_length`` tokens are dropped rather
than truncated (a cut-off target would teach unterminated JSON). On CUDA the base is 4-bit (QLoRA,
see :mod:`training.lora`); on CPU plain LoRA.

After training, the mean completion-token loss on the golden *validation* profiles is measured with
the adapter on and off (the base model), so every run reports whether it moved the model towards
held-out golden answers. The adapter is saved with ``waypoint_adapter.json`` (config, data hash,
train seconds, samples/s, validation losses).

Run: ``python -m training.sft --config training/configs/sft.yaml [--tiny] [--max-steps N] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from training.lora import (
    TrainConfig,
    add_common_args,
    completion_loss,
    completion_token_ids,
    config_from_args,
    data_hash,
    default_out,
    finish_adapter,
    load_model,
    lora_config,
    set_threads,
    to_dataset,
    train_stats,
    trainer_kwargs,
)

log = logging.getLogger(__name__)

ADAPTER_NAME = "explainer-sft"
VAL_LOSS_EXAMPLES = 48  # cap on validation examples scored (two forward passes each)


def fit_length(records: list[dict], tokenizer, max_length: int) -> tuple[list[dict], list[int]]:
    """Records whose prompt + completion fit ``max_length`` tokens, and their lengths."""
    kept, lengths = [], []
    for record in records:
        ids, _ = completion_token_ids(tokenizer, record["prompt"], record["completion"])
        if len(ids) <= max_length:
            kept.append(record)
            lengths.append(len(ids))
    return kept, lengths


def select(records: list[dict], lengths: list[int], config: TrainConfig, tiny: bool) -> list[dict]:
    """The training examples: all (shuffled with the seed), or ``max_examples`` of them.

    ``tiny`` takes the shortest ones, which keeps a CI run's few steps cheap."""
    order = list(range(len(records)))
    if tiny:
        order.sort(key=lambda i: (lengths[i], records[i].get("id", "")))
    else:
        random.Random(config.seed).shuffle(order)
    if config.max_examples and config.max_examples > 0:
        order = order[:config.max_examples]
    return [records[i] for i in order]


def validation_losses(model, tokenizer, val: list[dict], config: TrainConfig) -> dict[str, Any]:
    """Completion loss on validation examples with the adapter and without it (the base model)."""
    if not val:
        return {}
    val = val[:VAL_LOSS_EXAMPLES]
    tuned = completion_loss(model, tokenizer, val, config.max_length)
    with model.disable_adapter():
        base = completion_loss(model, tokenizer, val, config.max_length)
    return {"val_examples": len(val), "val_loss": round(tuned, 4), "val_loss_base": round(base, 4)}


def train_sft(config: TrainConfig, settings, golden_dir: Path, out_dir: Path, *, tiny: bool = False,
              evaluate: bool = True) -> dict[str, Any]:
    """Train one SFT adapter on ``golden_dir`` into ``out_dir``; returns its metadata as a dict."""
    from trl import SFTConfig, SFTTrainer

    from training.golden import load_split, read_manifest

    set_threads(config)
    model, tokenizer, quantization = load_model(config, settings)
    train_all, lengths = fit_length(load_split(golden_dir, "train"), tokenizer, config.max_length)
    val, _ = fit_length(load_split(golden_dir, "val"), tokenizer, config.max_length)
    train = select(train_all, lengths, config, tiny)
    if not train:
        raise ValueError(f"no golden training example fits max_length={config.max_length} in {golden_dir}")
    if tiny:
        val = val[:2]
    log.info("SFT on %d examples (%d fit max_length), %d validation", len(train), len(train_all), len(val))

    with tempfile.TemporaryDirectory(prefix="waypoint-sft-") as tmp:
        args = SFTConfig(**trainer_kwargs(config, Path(tmp)), completion_only_loss=True, packing=False)
        trainer = SFTTrainer(model=model, args=args, train_dataset=to_dataset(train, ["prompt", "completion"]),
                             processing_class=tokenizer, peft_config=lora_config(config))
        started = time.perf_counter()
        output = trainer.train()
        stats = train_stats(output, len(train), time.perf_counter() - started)
    metrics = validation_losses(trainer.model, tokenizer, val, config) if evaluate else {}
    manifest = read_manifest(golden_dir)
    return finish_adapter(
        trainer.model, out_dir, method="sft", config=config, settings=settings,
        data_hash=data_hash(r["id"] for r in train), data_path=str(golden_dir), examples=len(train),
        quantization=quantization, stats=stats,
        metrics={**metrics, "golden_data_hash": manifest.data_hash if manifest else None})


def main(argv: list[str] | None = None) -> dict:
    """``waypoint train sft [--config F] [--golden DIR] [--tiny] [--max-steps N] [--epochs E] [--max-examples N]
    [--out DIR] [--threads T] [--seed S] [--no-eval]``."""
    from retrieval.settings import get_settings
    from training.golden import ensure_golden

    parser = argparse.ArgumentParser(prog="waypoint train sft", description=__doc__.split("\n")[0])
    add_common_args(parser)
    parser.add_argument("--golden", default=None, help="golden set dir (default WAYPOINT_HOME/training/golden; built if missing)")
    parser.add_argument("--no-eval", action="store_true", help="skip the validation-loss comparison")
    args = parser.parse_args(argv)
    config = config_from_args(args, "sft")
    settings = get_settings()
    golden_dir = ensure_golden(settings, Path(args.golden) if args.golden else None, tiny=args.tiny)
    out_dir = Path(args.out) if args.out else default_out(settings, ADAPTER_NAME + ("-tiny" if args.tiny else ""))
    return train_sft(config, settings, golden_dir, out_dir, tiny=args.tiny, evaluate=not args.no_eval)


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig(level=logging.INFO)
    print(json.dumps(main(), indent=2, default=str))
