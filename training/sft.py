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

Run: ``waypoint train sft [--config training/configs/sft.yaml] [--tiny] [--max-steps N] [--set FIELD=VALUE] [--out DIR]``
(or ``python -m training.sft`` with the same options); the config is trl's ``SFTConfig`` + ``ModelConfig``
(:mod:`training.lora`).
"""

from __future__ import annotations

import logging
import random
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from app.clikit import command_typer, print_json, run
from training.lora import (
    BatchSizeOption,
    ConfigOption,
    DryRunOption,
    EpochsOption,
    MaxExamplesOption,
    MaxStepsOption,
    OutOption,
    SeedOption,
    SetOption,
    ThreadsOption,
    TinyOption,
    TrainConfig,
    completion_loss,
    completion_token_ids,
    config_from_options,
    data_hash,
    default_out,
    finish_adapter,
    load_model,
    set_threads,
    to_dataset,
    train_stats,
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

    from retrieval.cpu import cpu_has_native_bf16
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


def plan_sft(config: TrainConfig, settings, golden_dir: Path, *, tiny: bool = False) -> dict[str, Any]:
    """What :func:`train_sft` would train on, without loading the model (``--dry-run``): the golden set's rows,
    how many fit ``max_length`` (the tokenizer only), how many a run takes, and the trl arguments it would run
    with (parsed into trl's config class when the config was loaded, so one the installed trl rejects fails
    before this, as it would before training)."""
    from training.golden import load_split, read_manifest
    from training.lora import base_model_path, load_tokenizer

    tokenizer = load_tokenizer(base_model_path(config, settings))
    train_rows, val_rows = load_split(golden_dir, "train"), load_split(golden_dir, "val")
    train_all, lengths = fit_length(train_rows, tokenizer, config.max_length)
    manifest = read_manifest(golden_dir)
    return {
        "method": "sft",
        "dry_run": True,
        "golden": str(golden_dir),
        "golden_data_hash": manifest.data_hash if manifest else None,
        "train_rows": len(train_rows),
        "fit_max_length": len(train_all),
        "would_train": len(select(train_all, lengths, config, tiny)),
        "val_rows": len(val_rows),
        "trainer": type(config.args).__name__,  # built by load_config: a field trl rejects fails there
        "config": config.record(),
    }


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
    from trl import SFTTrainer

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
        trainer = SFTTrainer(
            model=model,
            args=config.trainer_args(Path(tmp)),
            train_dataset=to_dataset(train, ["prompt", "completion"]),
            processing_class=tokenizer,
            peft_config=config.lora_config(),
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


cli = command_typer()


@cli.command("sft")
def sft_command(
    config: ConfigOption = None,
    golden: Annotated[
        Path | None,
        typer.Option("--golden", help="golden set dir (default WAYPOINT_HOME/training/golden; built if missing)"),
    ] = None,
    tiny: TinyOption = False,
    max_steps: MaxStepsOption = None,
    epochs: EpochsOption = None,
    max_examples: MaxExamplesOption = None,
    out: OutOption = None,
    threads: ThreadsOption = None,
    batch_size: BatchSizeOption = None,
    seed: SeedOption = None,
    sets: SetOption = None,
    no_eval: Annotated[bool, typer.Option("--no-eval", help="skip the validation-loss comparison")] = False,
    val_examples: Annotated[
        int,
        typer.Option(help="validation examples scored with and without the adapter (two forward passes each)"),
    ] = VAL_LOSS_EXAMPLES,
    save_dtype: Annotated[
        Literal["bfloat16", "float16", "float32"], typer.Option(help="dtype of the saved LoRA weights")
    ] = "bfloat16",
    dry_run: DryRunOption = False,
) -> dict:
    """LoRA SFT of the explainer on the golden set (trl SFTTrainer; QLoRA 4-bit on a GPU).

    Prints the adapter's metadata (waypoint_adapter.json) as JSON; with ``--dry-run`` what the run would
    train on (:func:`plan_sft`)."""
    from retrieval.settings import get_settings
    from training.golden import ensure_golden

    train_config = config_from_options(
        "sft",
        config=config,
        tiny=tiny,
        max_steps=max_steps,
        epochs=epochs,
        max_examples=max_examples,
        threads=threads,
        seed=seed,
        batch_size=batch_size,
        sets=sets,
    )
    settings = get_settings()
    golden_dir = ensure_golden(settings, golden, tiny=tiny)
    if dry_run:
        plan = plan_sft(train_config, settings, golden_dir, tiny=tiny)
        print_json(plan)
        return plan
    out_dir = out or default_out(settings, ADAPTER_NAME + ("-tiny" if tiny else ""))
    result = train_sft(
        train_config,
        settings,
        golden_dir,
        out_dir,
        tiny=tiny,
        evaluate=not no_eval,
        val_examples=val_examples,
        adapter_dtype=save_dtype,
    )
    print_json(result)
    return result


def main(argv: list[str] | None = None) -> dict:
    """``waypoint train sft`` on ``argv`` (for tests and scripts); returns the adapter's metadata."""
    return run(cli, argv, "waypoint train sft")


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig(level=logging.INFO)
    cli(prog_name="python -m training.sft")
