"""Supervised fine-tuning of the explainer with LoRA: trl ``SFTTrainer`` on the golden set.

Data: :mod:`training.golden` (built first when missing), conversational prompt-completion records;
the loss is on completion tokens only (``completion_only_loss``), so the model learns to answer the
grounded prompt, not to reproduce it. Examples longer than ``max_length`` tokens are dropped rather
than truncated (a cut-off target would teach unterminated JSON). On CUDA the base is 4-bit (QLoRA,
see :mod:`training.lora`); on CPU plain LoRA.

On a CPU with native bf16 (AVX512-BF16/AMX) the frozen base is trained in bf16 -- the dtype the
transformers backend serves in, so the adapter learns on the numbers it will meet -- while peft keeps
the LoRA weights in fp32. Examples are taken one per (profile, item) pair before a pair's second
phrasing (:func:`select`): on two CPU cores a run affords tens of examples, and two phrasings of one
prompt teach less than two prompts. The adapter is saved in ``--save-dtype`` (bf16 by default: half
the bytes of fp32, so an adapter small enough to commit; the backend merges it in fp32 either way).

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

    Shuffled, then every pair's first phrasing before any pair's second (stable), so a capped run sees
    as many different prompts as it can. ``tiny`` takes the shortest ones, which keeps a CI run's few
    steps cheap."""
    order = list(range(len(records)))
    if tiny:
        order.sort(key=lambda i: (lengths[i], records[i].get("id", "")))
    else:
        random.Random(config.seed).shuffle(order)
        seen: dict[str, int] = {}
        rank = {}
        for i in order:
            key = (records[i].get("meta") or {}).get("evidence_key") or records[i].get("id", str(i))
            rank[i] = seen[key] = seen.get(key, -1) + 1
        order.sort(key=lambda i: rank[i])
    if config.max_examples and config.max_examples > 0:
        order = order[: config.max_examples]
    return [records[i] for i in order]


def validation_losses(
    model, tokenizer, val: list[dict], config: TrainConfig, limit: int = VAL_LOSS_EXAMPLES
) -> dict[str, Any]:
    """Completion loss on validation examples with the adapter and without it (the base model)."""
    if not val:
        return {}
    val = val[:limit]
    tuned = completion_loss(model, tokenizer, val, config.max_length)
    with model.disable_adapter():
        base = completion_loss(model, tokenizer, val, config.max_length)
    return {"val_examples": len(val), "val_loss": round(tuned, 4), "val_loss_base": round(base, 4)}


def cpu_bf16_base(model) -> tuple[Any, str]:
    """The frozen base in bf16 on a CPU with native bf16 (see the module doc), else unchanged."""
    import torch

    from app.llm.transformers_backend import cpu_has_native_bf16
    from training.lora import cuda_available

    if cuda_available() or not cpu_has_native_bf16():
        return model, "none"
    return model.to(torch.bfloat16), "bf16-base"


def save_dtype(out_dir: Path, dtype: str) -> None:
    """Rewrite the saved LoRA weights in ``dtype`` (``float32`` leaves them as trained)."""
    import torch
    from safetensors.torch import load_file, save_file

    if dtype == "float32":
        return
    path = Path(out_dir) / "adapter_model.safetensors"
    tensors = {k: v.to(getattr(torch, dtype)).contiguous() for k, v in load_file(str(path)).items()}
    save_file(tensors, str(path), metadata={"format": "pt"})


def train_sft(
    config: TrainConfig,
    settings,
    golden_dir: Path,
    out_dir: Path,
    *,
    tiny: bool = False,
    evaluate: bool = True,
    val_examples: int = VAL_LOSS_EXAMPLES,
    adapter_dtype: str = "bfloat16",
) -> dict[str, Any]:
    """Train one SFT adapter on ``golden_dir`` into ``out_dir``; returns its metadata as a dict."""
    from trl import SFTConfig, SFTTrainer

    from training.golden import load_split, read_manifest

    set_threads(config)
    model, tokenizer, quantization = load_model(config, settings)
    if quantization == "none":
        model, quantization = cpu_bf16_base(model)
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
        trainer = SFTTrainer(
            model=model,
            args=args,
            train_dataset=to_dataset(train, ["prompt", "completion"]),
            processing_class=tokenizer,
            peft_config=lora_config(config),
        )
        started = time.perf_counter()
        output = trainer.train()
        stats = train_stats(output, len(train), time.perf_counter() - started)
    metrics = validation_losses(trainer.model, tokenizer, val, config, val_examples) if evaluate else {}
    manifest = read_manifest(golden_dir)
    result = finish_adapter(
        trainer.model,
        out_dir,
        method="sft",
        config=config,
        settings=settings,
        data_hash=data_hash(r["id"] for r in train),
        data_path=str(golden_dir),
        examples=len(train),
        quantization=quantization,
        stats=stats,
        metrics={
            **metrics,
            "golden_data_hash": manifest.data_hash if manifest else None,
            "adapter_dtype": adapter_dtype,
        },
    )
    save_dtype(out_dir, adapter_dtype)
    return result


def main(argv: list[str] | None = None) -> dict:
    """``waypoint train sft [--config F] [--golden DIR] [--tiny] [--max-steps N] [--epochs E] [--max-examples N]
    [--out DIR] [--threads T] [--seed S] [--no-eval] [--val-examples N] [--save-dtype D]``."""
    from retrieval.settings import get_settings
    from training.golden import ensure_golden

    parser = argparse.ArgumentParser(prog="waypoint train sft", description=__doc__.split("\n")[0])
    add_common_args(parser)
    parser.add_argument(
        "--golden", default=None, help="golden set dir (default WAYPOINT_HOME/training/golden; built if missing)"
    )
    parser.add_argument("--no-eval", action="store_true", help="skip the validation-loss comparison")
    parser.add_argument(
        "--val-examples",
        type=int,
        default=VAL_LOSS_EXAMPLES,
        help="validation examples scored with and without the adapter (two forward passes each)",
    )
    parser.add_argument(
        "--save-dtype",
        choices=["bfloat16", "float16", "float32"],
        default="bfloat16",
        help="dtype of the saved LoRA weights",
    )
    args = parser.parse_args(argv)
    config = config_from_args(args, "sft")
    settings = get_settings()
    golden_dir = ensure_golden(settings, Path(args.golden) if args.golden else None, tiny=args.tiny)
    out_dir = Path(args.out) if args.out else default_out(settings, ADAPTER_NAME + ("-tiny" if args.tiny else ""))
    return train_sft(
        config,
        settings,
        golden_dir,
        out_dir,
        tiny=args.tiny,
        evaluate=not args.no_eval,
        val_examples=args.val_examples,
        adapter_dtype=args.save_dtype,
    )


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig(level=logging.INFO)
    print(json.dumps(main(), indent=2, default=str))
