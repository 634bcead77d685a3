"""KTO of the explainer: trl ``KTOTrainer`` on unpaired desirable/undesirable answers, continuing SFT.

Examples (``prompt``/``completion`` messages, ``label``, ``weight``) come from one of two sources:

* ``feedback`` -- the feedback store through ``training.feedback_data.kto_examples`` (every shown
  explanation; label = clicked; weight = clipped inverse propensity of showing it);
* ``verifier`` -- :mod:`training.preferences` (``kto.jsonl``: golden answers and good samples
  desirable, unfaithful samples and synthetic negatives undesirable; weight 1).

``--source auto`` (default) uses the feedback store when it yields both labels, else the verifier.

Per-example weights: trl's KTO loss has only class weights (``desirable_weight`` /
``undesirable_weight``), no per-example weight, so inverse-propensity weights are applied by
importance resampling *within each label* (:func:`training.preferences.resample_by_weight`): each
example appears in proportion to its weight, so the expected loss is the IPS-weighted loss, and the
class sizes stay as logged. The class weights are then scaled so that desirable × n_desirable and
undesirable × n_undesirable balance (the KTO paper's recommended ratio range starts at 1).

The SFT adapter (``--adapter``, default ``WAYPOINT_HOME/adapters/explainer-sft`` when present) is
trained further with a frozen copy of it as KTO's reference; without one a fresh LoRA is trained.

Run: ``waypoint train kto [--config training/configs/kto.yaml] [--adapter DIR] [--source auto] [--tiny]
[--set FIELD=VALUE]`` (or ``python -m training.kto``); the config is trl's ``KTOConfig`` + ``ModelConfig``
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

ADAPTER_NAME = "explainer-sft-kto"


def feedback_examples(settings) -> list[dict]:
    """KTO examples from the feedback store (IPS-weighted clicks), [] when nothing is logged yet."""
    from training.feedback_data import kto_examples, tagged_feedback

    return tagged_feedback(kto_examples, settings)


def has_both_labels(examples: list[dict]) -> bool:
    return any(e["label"] for e in examples) and any(not e["label"] for e in examples)


def select_examples(examples: list[dict], tokenizer, config: TrainConfig, tiny: bool) -> list[dict]:
    """Examples that fit, IPS-resampled within each label, interleaved so every batch mixes labels."""
    from training.preferences import resample_by_weight

    kept = [
        e
        for e in examples
        if len(completion_token_ids(tokenizer, e["prompt"], e["completion"])[0]) <= config.max_length
    ]
    by_label = {True: [e for e in kept if e["label"]], False: [e for e in kept if not e["label"]]}
    if tiny:
        for label in by_label:
            by_label[label].sort(key=lambda e: len(canonical_json(e["prompt"])) + len(e["completion"][0]["content"]))
    else:
        for label in by_label:
            by_label[label] = resample_by_weight(by_label[label], config.seed + int(label))
            random.Random(config.seed).shuffle(by_label[label])
    limit = config.max_examples if config.max_examples and config.max_examples > 0 else len(kept)
    # keep the label proportions, with at least one of each when both exist
    n_true = len(by_label[True])
    share = n_true / max(1, len(kept))
    take_true = min(n_true, max(1 if n_true else 0, round(limit * share)))
    take_false = min(len(by_label[False]), limit - take_true)
    pos, neg = by_label[True][:take_true], by_label[False][:take_false]
    out: list[dict] = []
    for i in range(max(len(pos), len(neg))):  # alternate: KTO's KL term is estimated within a batch
        out += ([pos[i]] if i < len(pos) else []) + ([neg[i]] if i < len(neg) else [])
    return out


def class_weights(config: TrainConfig, examples: list[dict]) -> tuple[float, float]:
    """(desirable, undesirable) weights scaled so the minority class carries as much loss as the majority."""
    n_d = sum(bool(e["label"]) for e in examples)
    n_u = len(examples) - n_d
    d, u = config.args.desirable_weight, config.args.undesirable_weight
    if n_d and n_u:
        if n_d < n_u:
            d = round(d * n_u / n_d, 3)
        elif n_u < n_d:
            u = round(u * n_d / n_u, 3)
    return d, u


def train_kto(
    config: TrainConfig,
    settings,
    examples: list[dict],
    out_dir: Path,
    *,
    adapter: Path | None,
    source: str,
    data_path: str = "",
    tiny: bool = False,
) -> dict[str, Any]:
    """Train KTO on ``examples`` (on top of ``adapter`` when given) into ``out_dir``; returns the metadata."""
    from trl import KTOTrainer

    set_threads(config)
    model, tokenizer, quantization = load_model(config, settings, adapter=adapter)
    train = select_examples(examples, tokenizer, config, tiny)
    if not has_both_labels(train):
        raise ValueError("KTO needs desirable and undesirable examples that fit max_length")
    desirable, undesirable = class_weights(config, train)
    log.info(
        "KTO on %d examples (%d desirable), weights %.2f/%.2f",
        len(train),
        sum(e["label"] for e in train),
        desirable,
        undesirable,
    )
    with tempfile.TemporaryDirectory(prefix="waypoint-kto-") as tmp:
        trainer = KTOTrainer(
            model=model,
            args=config.trainer_args(Path(tmp), desirable_weight=desirable, undesirable_weight=undesirable),
            train_dataset=to_dataset(train, ["prompt", "completion", "label"]),
            processing_class=tokenizer,
            peft_config=None if adapter else config.lora_config(),
        )
        started = time.perf_counter()
        output = trainer.train()
        stats = train_stats(output, len(train), time.perf_counter() - started)
    logged = [h for h in trainer.state.log_history if "kl" in h]
    return finish_adapter(
        trainer.model,
        out_dir,
        method="kto",
        config=config,
        settings=settings,
        parent_adapter=adapter,
        data_hash=data_hash(canonical_json([e["prompt"], e["completion"], e["label"]]) for e in train),
        data_path=data_path,
        examples=len(train),
        quantization=quantization,
        stats=stats,
        metrics={
            "source": source,
            "desirable": sum(bool(e["label"]) for e in train),
            "undesirable": sum(not e["label"] for e in train),
            "desirable_weight": desirable,
            "undesirable_weight": undesirable,
            "weighting": "importance resampling by weight within label",
            "last_kl": logged[-1].get("kl") if logged else None,
        },
    )


cli = command_typer()


@cli.command("kto")
def kto_command(
    config: ConfigOption = None,
    source: Annotated[
        Literal["auto", "feedback", "verifier"],
        typer.Option(help="the feedback store's clicks, verifier labels, or auto: feedback when it has both labels"),
    ] = "auto",
    examples_file: Annotated[
        Path | None,
        typer.Option(
            "--examples",
            help="verifier KTO JSONL (default WAYPOINT_HOME/training/preferences/kto.jsonl; built if missing)",
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
    """KTO on unpaired liked / not-liked labels with inverse-propensity weights (trl KTOTrainer); --dry-run
    reports the data only.

    Prints the adapter's metadata (or, with --dry-run, the data it would train on) as JSON."""
    from retrieval.settings import get_settings
    from training.dpo import default_sft_adapter
    from training.preferences import default_dir as prefs_dir, verifier_preferences

    train_config = config_from_options(
        "kto",
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
    adapter = None if no_adapter else (adapter or default_sft_adapter(settings))

    examples: list[dict] = []
    chosen, data_path = source, ""
    if source in ("auto", "feedback"):
        examples = feedback_examples(settings)
        data_path = display(settings.events_target)
        if not has_both_labels(examples):
            if source == "feedback":
                raise SystemExit(f"no clicked and unclicked explanations in {data_path}")
            examples = []
        else:
            chosen = "feedback"
    if not examples:
        chosen = "verifier"
        path = examples_file or prefs_dir(settings) / "kto.jsonl"
        examples = verifier_preferences(
            settings, path, adapter=adapter, tiny=tiny, threads=train_config.threads or None
        )
        data_path = str(path)
    if dry_run:
        result: dict[str, Any] = {
            "method": "kto",
            "dry_run": True,
            "source": chosen,
            "data": data_path,
            "examples": len(examples),
            "desirable": sum(bool(e["label"]) for e in examples),
            "undesirable": sum(not e["label"] for e in examples),
        }
    else:
        out_dir = out or default_out(settings, ADAPTER_NAME + ("-tiny" if tiny else ""))
        result = train_kto(
            train_config, settings, examples, out_dir, adapter=adapter, source=chosen, data_path=data_path, tiny=tiny
        )
    print_json(result)
    return result


def main(argv: list[str] | None = None) -> dict:
    """``waypoint train kto`` on ``argv`` (for tests and scripts); returns the adapter's metadata."""
    return run(cli, argv, "waypoint train kto")


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig(level=logging.INFO)
    cli(prog_name="python -m training.kto")
