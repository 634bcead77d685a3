"""What the explainer trainers (SFT, DPO, KTO) share: config, base model + LoRA, data hash, adapter dir.

* :class:`TrainConfig` -- one YAML/JSON file per method (``training/configs/*.yaml``): model, LoRA
  r/alpha/dropout/targets, learning rate, epochs/max_steps, batch size, max length, seed, plus a
  ``tiny`` block of overrides for CI (a handful of examples, a few steps, < 2 min on CPU).
* :func:`load_model` -- the base LLM (the converted SmolLM2 unless ``model_path`` says otherwise)
  and its tokenizer. With CUDA it is loaded 4-bit (bitsandbytes NF4, double quantisation, bf16
  compute) and prepared with ``prepare_model_for_kbit_training`` -- QLoRA; on CPU it is plain
  float32 LoRA. bitsandbytes is only touched when CUDA is present, so this module imports anywhere.
  ``adapter=DIR`` loads an existing LoRA *trainable*, so DPO/KTO continue the SFT adapter.
* :func:`save_adapter` -- the peft adapter (``adapter_config.json`` + ``adapter_model.safetensors``,
  which both the transformers backend and vLLM multi-LoRA load) plus ``waypoint_adapter.json``:
  method, base model, parent adapter, data hash, config, train seconds, samples/s, metrics.
* :func:`completion_loss` -- mean NLL per completion token of chat prompt-completion records, the
  same masking trl applies; used to show that an adapter moved the model towards held-out data.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from retrieval.settings import Settings, get_settings
from retrieval.threads import set_process_threads

log = logging.getLogger(__name__)

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
ADAPTER_META = "waypoint_adapter.json"
# Every linear layer of a Llama block: attention (q, k, v, o) and MLP (gate, up, down).
LLAMA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

Method = Literal["sft", "dpo", "kto"]


class TrainConfig(BaseModel):
    """Hyper-parameters of one training method (a ``training/configs/<method>.yaml`` file)."""

    model_config = ConfigDict(extra="forbid")

    method: Method
    model_path: str = Field(default="", description="HF model dir; empty = settings' LLM (converted SmolLM2).")
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: list[str] = Field(default_factory=lambda: list(LLAMA_TARGETS))
    learning_rate: float = 2e-4
    num_train_epochs: float = 1.0
    max_steps: int = Field(default=-1, description="> 0 overrides epochs")
    per_device_train_batch_size: int = 4
    gradient_accumulation_steps: int = 1
    max_length: int = 1664
    warmup_steps: int = 0
    lr_scheduler_type: str = "linear"
    logging_steps: int = 5
    seed: int = 0
    beta: float = Field(default=0.1, description="DPO/KTO: strength of the pull towards the reference model")
    desirable_weight: float = 1.0
    undesirable_weight: float = 1.0
    gradient_checkpointing: bool = Field(default=False, description="off on CPU (memory is not the limit there)")
    max_examples: int = Field(default=0, description="use at most this many training examples (0 = all)")
    threads: int = Field(default=0, description="torch threads (0 = leave as is)")
    tiny: dict[str, Any] = Field(default_factory=dict, description="overrides applied by --tiny (CI budget)")

    def with_overrides(self, **updates: Any) -> TrainConfig:
        """A copy with ``updates`` applied (validated); ``None`` values are ignored."""
        data = self.model_dump()
        data.update({k: v for k, v in updates.items() if v is not None})
        return TrainConfig.model_validate(data)

    def tiny_version(self) -> TrainConfig:
        return self.with_overrides(**self.tiny)


def load_config(path: str | Path | None, method: Method) -> TrainConfig:
    """The config at ``path`` (YAML or JSON), default ``training/configs/<method>.yaml``."""
    path = Path(path) if path else CONFIG_DIR / f"{method}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"training config not found: {path}")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
    else:
        import yaml

        data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a training config must be a mapping, got {type(data).__name__}")
    data.setdefault("method", method)
    config = TrainConfig.model_validate(data)
    if config.method != method:
        raise ValueError(f"{path} is a {config.method!r} config, not {method!r}")
    return config


# ------------------------------------------------------------------------------------------------
# CLI pieces shared by sft/dpo/kto


def add_common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=None, help="YAML/JSON config (default training/configs/<method>.yaml)")
    parser.add_argument("--max-steps", type=int, default=None, help="override the config's max_steps")
    parser.add_argument("--epochs", type=float, default=None, help="override the config's num_train_epochs")
    parser.add_argument("--max-examples", type=int, default=None, help="use at most N training examples")
    parser.add_argument("--tiny", action="store_true", help="CI budget: a handful of examples, a few steps")
    parser.add_argument("--out", default=None, help="adapter output dir (default WAYPOINT_HOME/adapters/<name>)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: config, else as is)")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help="per-device batch size; gradient accumulation is scaled to keep the effective batch "
        "(batch 1 keeps CPU memory low: DPO at batch 2 peaks above 20 GB)",
    )
    parser.add_argument("--seed", type=int, default=None)


def add_dry_run(parser: argparse.ArgumentParser) -> None:
    """``--dry-run`` for the preference trainers: read the data as training would, report it, train nothing."""
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="build the training data from the chosen source and report it (rows, labels, source); "
        "load no model, train nothing",
    )


def config_from_args(args: argparse.Namespace, method: Method) -> TrainConfig:
    config = load_config(args.config, method)
    if args.tiny:
        config = config.tiny_version()
    config = config.with_overrides(
        max_steps=args.max_steps,
        num_train_epochs=args.epochs,
        max_examples=args.max_examples,
        threads=args.threads,
        seed=args.seed,
    )
    if getattr(args, "batch_size", None):
        effective = config.per_device_train_batch_size * config.gradient_accumulation_steps
        config = config.with_overrides(
            per_device_train_batch_size=args.batch_size,
            gradient_accumulation_steps=max(1, round(effective / args.batch_size)),
        )
    return config


def default_out(settings: Settings, name: str) -> Path:
    return Path(settings.home) / "adapters" / name


# ------------------------------------------------------------------------------------------------
# model


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def set_threads(config: TrainConfig) -> None:

    if config.threads and config.threads > 0:
        set_process_threads(config.threads)


def base_model_path(config: TrainConfig, settings: Settings | None = None) -> Path:
    """The base model folder: ``config.model_path``, else the settings' LLM (converting SmolLM2 once)."""
    from app.llm.model_files import resolve_model_path

    if config.model_path:
        path = Path(config.model_path).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(f"model_path {config.model_path!r} is not a directory")
        return path
    return resolve_model_path(settings or get_settings())


def load_tokenizer(path: Path):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(
    config: TrainConfig, settings: Settings | None = None, *, adapter: str | Path | None = None, trainable: bool = True
):
    """``(model, tokenizer, quantization)`` for training.

    CUDA: 4-bit NF4 base (QLoRA) prepared for k-bit training; CPU: float32. With ``adapter`` the
    LoRA at that directory is loaded on top (trainable unless ``trainable=False``) and returned as a
    ``PeftModel``; otherwise the plain base is returned and the trainer adds :func:`lora_config`.
    """
    import torch
    from transformers import AutoModelForCausalLM

    path = base_model_path(config, settings)
    tokenizer = load_tokenizer(path)
    quantization = "none"
    if cuda_available():
        from peft import prepare_model_for_kbit_training
        from transformers import BitsAndBytesConfig  # bitsandbytes itself is imported by transformers, on CUDA only

        bnb = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16,
        )
        model = AutoModelForCausalLM.from_pretrained(
            str(path), quantization_config=bnb, dtype=torch.bfloat16, device_map={"": torch.cuda.current_device()}
        )
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=config.gradient_checkpointing)
        quantization = "bnb-4bit-nf4"
    else:
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32)
    model.config.pad_token_id = tokenizer.pad_token_id
    if adapter:
        from peft import PeftModel

        adapter_dir = Path(adapter)
        if not (adapter_dir / "adapter_config.json").is_file():
            raise FileNotFoundError(f"not a LoRA adapter directory (no adapter_config.json): {adapter_dir}")
        model = PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=trainable)
    return model, tokenizer, quantization


def lora_config(config: TrainConfig):
    from peft import LoraConfig

    return LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=list(config.target_modules),
        bias="none",
        task_type="CAUSAL_LM",
    )


def trainer_kwargs(config: TrainConfig, output_dir: Path) -> dict[str, Any]:
    """The ``TrainingArguments`` fields every trl config here shares (checkpoints off, no hub, no trackers)."""
    cuda = cuda_available()
    return dict(
        output_dir=str(output_dir),
        learning_rate=config.learning_rate,
        num_train_epochs=config.num_train_epochs,
        max_steps=config.max_steps,
        per_device_train_batch_size=config.per_device_train_batch_size,
        per_device_eval_batch_size=config.per_device_train_batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        warmup_steps=config.warmup_steps,
        lr_scheduler_type=config.lr_scheduler_type,
        logging_steps=config.logging_steps,
        seed=config.seed,
        data_seed=config.seed,
        save_strategy="no",
        report_to="none",
        use_cpu=not cuda,
        bf16=cuda,
        gradient_checkpointing=config.gradient_checkpointing,
        dataloader_num_workers=0,
        max_length=config.max_length,
        dataset_num_proc=None,
    )


# ------------------------------------------------------------------------------------------------
# data


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def data_hash(records: Iterable[Any]) -> str:
    """sha256 over the records' canonical JSON, in order (16 hex digits)."""
    digest = hashlib.sha256()
    for record in records:
        digest.update(canonical_json(record).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()[:16]


def read_jsonl(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {path}")
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_jsonl(path: Path, records: Iterable[dict]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    os.replace(tmp, path)
    return n


def to_dataset(records: list[dict], columns: list[str]):
    """A ``datasets.Dataset`` with only ``columns`` (trl tokenises every column it is given)."""
    from datasets import Dataset

    if not records:
        raise ValueError("no training examples")
    return Dataset.from_list([{c: r[c] for c in columns} for r in records])


# ------------------------------------------------------------------------------------------------
# adapters


class AdapterMeta(BaseModel):
    """``waypoint_adapter.json``: what an adapter is and how it was made (the registry reads it)."""

    name: str
    method: Method
    base_model: str
    parent_adapter: str | None = None
    parent_data_hash: str | None = None
    data_hash: str
    data_path: str = ""
    examples: int
    config: dict[str, Any]
    quantization: str = "none"
    device: str = "cpu"
    train_seconds: float
    samples_per_second: float
    steps: int = 0
    train_loss: float | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)
    versions: dict[str, str] = Field(default_factory=dict)
    created_at: str = Field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


def library_versions() -> dict[str, str]:
    import peft
    import torch
    import transformers
    import trl

    return {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "trl": trl.__version__,
    }


def read_adapter_meta(adapter_dir: str | Path) -> AdapterMeta | None:
    path = Path(adapter_dir) / ADAPTER_META
    return AdapterMeta.model_validate_json(path.read_text()) if path.is_file() else None


def finish_adapter(
    model,
    out_dir: Path,
    *,
    method: Method,
    config: TrainConfig,
    settings,
    data_hash: str,
    data_path: str,
    examples: int,
    quantization: str,
    metrics: dict[str, Any],
    stats: dict[str, Any],
    parent_adapter: Path | None = None,
) -> dict[str, Any]:
    """Describe the run (:class:`AdapterMeta`), save the adapter beside it, return both as one dict.

    One place for what SFT, DPO and KTO record, so the registry can compare them field by field.
    """
    out_dir = Path(out_dir)
    parent = read_adapter_meta(parent_adapter) if parent_adapter else None
    meta = AdapterMeta(
        name=out_dir.name,
        method=method,
        base_model=str(base_model_path(config, settings)),
        parent_adapter=str(parent_adapter) if parent_adapter else None,
        parent_data_hash=parent.data_hash if parent else None,
        data_hash=data_hash,
        data_path=data_path,
        examples=examples,
        config=config.model_dump(exclude={"tiny"}),
        quantization=quantization,
        device="cuda" if cuda_available() else "cpu",
        metrics=metrics,
        versions=library_versions(),
        **stats,
    )
    save_adapter(model, out_dir, meta)
    return {"out": str(out_dir), **meta.model_dump()}


def save_adapter(model, out_dir: Path, meta: AdapterMeta) -> Path:
    """Save only the trained ("default") LoRA of ``model`` and its metadata into ``out_dir``.

    trl adds a frozen "ref" copy of a pretrained adapter as the DPO/KTO reference; it is not saved.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    adapters = list(getattr(model, "peft_config", {}) or {})
    if not adapters:
        raise ValueError("the trained model has no LoRA adapter to save")
    selected = ["default"] if "default" in adapters else adapters[:1]
    model.save_pretrained(str(out_dir), selected_adapters=selected)
    (out_dir / ADAPTER_META).write_text(meta.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return out_dir


def train_stats(train_output, n_examples: int, seconds: float) -> dict[str, Any]:
    """Train seconds, samples/s, steps and final loss from a ``Trainer.train()`` result."""
    metrics = dict(getattr(train_output, "metrics", {}) or {})
    runtime = float(metrics.get("train_runtime") or seconds)
    steps = int(getattr(train_output, "global_step", 0) or 0)
    sps = metrics.get("train_samples_per_second")
    loss = getattr(train_output, "training_loss", None)
    return {
        "train_seconds": round(runtime, 2),
        "samples_per_second": round(float(sps) if sps else (n_examples / runtime if runtime else 0.0), 3),
        "steps": steps,
        "train_loss": round(float(loss), 4) if loss is not None and math.isfinite(loss) else None,
    }


# ------------------------------------------------------------------------------------------------
# evaluation helper


def completion_token_ids(tokenizer, prompt: list[dict], completion: list[dict]) -> tuple[list[int], int]:
    """Token ids of prompt + completion through the chat template, and where the completion starts.

    Same split as trl's conversational prompt-completion tokenisation: the prompt is rendered with
    the generation prompt, the completion is the rest of the full conversation's rendering.
    """
    prompt_text = tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
    full_text = tokenizer.apply_chat_template(prompt + completion, tokenize=False)
    if not full_text.startswith(prompt_text):
        raise ValueError("the chat template does not render the prompt as a prefix of the conversation")
    prompt_ids = tokenizer(prompt_text, add_special_tokens=False)["input_ids"]
    completion_ids = tokenizer(full_text[len(prompt_text) :], add_special_tokens=False)["input_ids"]
    return prompt_ids + completion_ids, len(prompt_ids)


def completion_loss(model, tokenizer, records: list[dict], max_length: int = 2048) -> float:
    """Mean negative log-likelihood per completion token over ``records`` (``prompt``/``completion`` messages)."""
    import torch

    total, count = 0.0, 0
    device = next(model.parameters()).device
    model.eval()
    with torch.inference_mode():
        for record in records:
            ids, start = completion_token_ids(tokenizer, record["prompt"], record["completion"])
            ids = ids[:max_length]
            if start >= len(ids) - 1:
                continue
            input_ids = torch.tensor([ids], device=device)
            logits = model(input_ids=input_ids).logits[0, :-1].float()
            targets = input_ids[0, 1:]
            nll = torch.nn.functional.cross_entropy(logits, targets, reduction="none")
            total += float(nll[start - 1 :].sum())
            count += len(ids) - start
    if not count:
        raise ValueError("no completion tokens to score")
    return total / count
