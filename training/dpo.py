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

Run: ``waypoint train dpo [--config training/configs/dpo.yaml] [--adapter DIR] [--tiny] [--set FIELD=VALUE] [--out DIR]``
(or ``python -m training.dpo``); the config is trl's ``DPOConfig`` + ``ModelConfig`` (:mod:`training.lora`).
"""

from __future__ import annotations

import logging
import random
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from app.clikit import command_typer, print_json, run
from retrieval.sqldb import display
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
    canonical_json,
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
    from trl import DPOTrainer

    set_threads(config)
    model, tokenizer, quantization = load_model(config, settings, adapter=adapter)
    train = select_pairs(pairs, tokenizer, config, tiny)
    if not train:
        raise ValueError(f"no DPO pair fits max_length={config.max_length}")
    log.info("DPO on %d pairs (%d synthetic)", len(train), sum(bool(p.get("meta", {}).get("synthetic")) for p in train))
    with tempfile.TemporaryDirectory(prefix="waypoint-dpo-") as tmp:
        trainer = DPOTrainer(
            model=model,
            args=config.trainer_args(Path(tmp)),
            train_dataset=to_dataset(train, ["prompt", "chosen", "rejected"]),
            processing_class=tokenizer,
            peft_config=None if adapter else config.lora_config(),
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


cli = command_typer()


@cli.command("dpo")
def dpo_command(
    config: ConfigOption = None,
    source: Annotated[
        Literal["verifier", "feedback", "both"],
        typer.Option(
            help="verifier-ranked samples (--pairs), clicked-vs-shown pairs from the feedback store "
            "(IPS-resampled), or both"
        ),
    ] = "verifier",
    feedback: Annotated[bool, typer.Option("--feedback", help="same as --source both")] = False,
    pairs_file: Annotated[
        Path | None,
        typer.Option(
            "--pairs", help="DPO pairs JSONL (default WAYPOINT_HOME/training/preferences/dpo.jsonl; built if missing)"
        ),
    ] = None,
    adapter: Annotated[
        Path | None,
        typer.Option(help="SFT adapter to continue (default WAYPOINT_HOME/adapters/explainer-sft)"),
    ] = None,
    no_adapter: Annotated[bool, typer.Option("--no-adapter", help="train a fresh LoRA on the base instead")] = False,
    dry_run: DryRunOption = False,
    tiny: TinyOption = False,
    max_steps: MaxStepsOption = None,
    epochs: EpochsOption = None,
    max_examples: MaxExamplesOption = None,
    out: OutOption = None,
    threads: ThreadsOption = None,
    batch_size: BatchSizeOption = None,
    seed: SeedOption = None,
    sets: SetOption = None,
) -> dict:
    """DPO on verifier-ranked samples and feedback pairs (trl DPOTrainer); --dry-run reports the data only.

    Prints the adapter's metadata (or, with --dry-run, the data it would train on) as JSON."""
    from retrieval.settings import get_settings
    from training.preferences import default_dir as prefs_dir, verifier_preferences

    train_config = config_from_options(
        "dpo",
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
    source = "both" if feedback else source
    adapter = None if no_adapter else (adapter or default_sft_adapter(settings))
    pairs: list[dict] = []
    data_paths: list[str] = []
    if source in ("verifier", "both"):
        pairs_path = pairs_file or prefs_dir(settings) / "dpo.jsonl"
        pairs += verifier_preferences(
            settings, pairs_path, adapter=adapter, tiny=tiny, threads=train_config.threads or None
        )
        data_paths.append(str(pairs_path))
    if source in ("feedback", "both"):
        logged = feedback_pairs(settings)
        if source == "feedback" and not logged:
            raise SystemExit(
                f"no preference pairs in {display(settings.events_target)}: it needs two explanations of one "
                "item that one person saw and treated differently (a thumbs on each after the UI's \"Explain "
                'differently", side-by-side explanations, or `waypoint loop`)'
            )
        pairs += logged
        data_paths.append(display(settings.events_target))
    if dry_run:
        result: dict[str, Any] = {
            "method": "dpo",
            "dry_run": True,
            "source": source,
            "data": " + ".join(data_paths),
            "pairs": len(pairs),
            "feedback_pairs": sum(p.get("meta", {}).get("source") == "feedback" for p in pairs),
        }
    else:
        out_dir = out or default_out(settings, ADAPTER_NAME + ("-tiny" if tiny else ""))
        result = train_dpo(
            train_config, settings, pairs, out_dir, adapter=adapter, data_path=" + ".join(data_paths), tiny=tiny
        )
    print_json(result)
    return result


def main(argv: list[str] | None = None) -> dict:
    """``waypoint train dpo`` on ``argv`` (for tests and scripts); returns the adapter's metadata."""
    return run(cli, argv, "waypoint train dpo")


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig(level=logging.INFO)
    cli(prog_name="python -m training.dpo")
