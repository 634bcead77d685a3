"""What the explainer trainers (SFT, DPO, KTO) share: config, base model + LoRA, data hash, adapter dir.

* :class:`TrainConfig` -- one YAML/JSON file per method (``training/configs/<method>.yaml``), parsed by
  trl's own :class:`trl.TrlParser` into the dataclasses trl's scripts use, so there is no second loader and
  no hand-copied hyper-parameter:

  - ``args``: trl's :class:`~trl.SFTConfig` / :class:`~trl.DPOConfig` / :class:`~trl.KTOConfig` (learning
    rate, epochs/max_steps, batch size, max length, warm-up, scheduler, seed, beta, KTO's class weights,
    ...): the object the trainer gets, with the output directory set per run;
  - ``model``: trl's :class:`~trl.ModelConfig` (``model_name_or_path``, ``lora_r``, ``lora_alpha``,
    ``lora_dropout``, ``lora_target_modules``); :meth:`TrainConfig.lora_config` is trl's
    ``get_peft_config`` of it, the peft ``LoraConfig``;
  - ``run``: :class:`RunArguments`, the three fields that are Waypoint's (``method``, ``max_examples``,
    ``threads``).

  Every field name in the YAML is the dataclass field's name, so any trl field can be set there. Layers, each
  over the one before: :func:`trainer_defaults` (no checkpoints, no trackers, CPU or CUDA), the file, its
  ``tiny:`` block (``--tiny``: CI budget, a handful of examples, a few steps, < 2 min on CPU), the typed
  options of the command (``--max-steps``, ``--seed``, ...; the loop's sizes), then ``--set FIELD=VALUE``
  (repeatable, any field, as text converted by the trl parser exactly as its own ``--FIELD VALUE`` would be),
  then ``--batch-size``, which keeps the effective batch of everything above by scaling the accumulation.
  The front end stays typer (one CLI framework): the commands declare their options with typer and hand the
  overrides to :func:`load_config`; trl's parser only reads the config, it never sees ``sys.argv``. Each
  layer becomes the parser's defaults through ``TrlParser.set_defaults_with_config`` -- what trl's own
  ``parse_args_and_config`` does with a ``--config`` file -- and ``--set`` values are parsed as its arguments;
  the file itself is read by :func:`read_config_file` (the one reader of every config under ``training/``,
  the simulator's and the loop's too), because its ``tiny:`` block is not a trl field.
* :func:`load_model` -- the base LLM (the converted SmolLM2 unless ``model_name_or_path`` says otherwise)
  and its tokenizer. With CUDA it is loaded 4-bit (bitsandbytes NF4, double quantisation, bf16
  compute) and prepared with ``prepare_model_for_kbit_training`` -- QLoRA; on CPU it is plain
  float32 LoRA. bitsandbytes is only touched when CUDA is present, so this module imports anywhere.
  ``adapter=DIR`` loads an existing LoRA *trainable*, so DPO/KTO continue the SFT adapter.
* :func:`save_adapter` -- the peft adapter (``adapter_config.json`` + ``adapter_model.safetensors``,
  which both the transformers backend and vLLM multi-LoRA load) plus ``waypoint_adapter.json``:
  method, base model, parent adapter, data hash, config (:meth:`TrainConfig.record`), train seconds,
  samples/s, metrics.
* :func:`completion_loss` -- mean NLL per completion token of chat prompt-completion records, the
  same masking trl applies; used to show that an adapter moved the model towards held-out data.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import math
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from pydantic import BaseModel, Field

from retrieval.settings import Settings, get_settings
from retrieval.threads import set_process_threads

log = logging.getLogger(__name__)

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
ADAPTER_META = "waypoint_adapter.json"
# Every linear layer of a Llama block: attention (q, k, v, o) and MLP (gate, up, down).
LLAMA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]

Method = Literal["sft", "dpo", "kto"]
TRL_CONFIGS = {"sft": "SFTConfig", "dpo": "DPOConfig", "kto": "KTOConfig"}


class ConfigError(ValueError):
    """A training config that cannot be read or does not parse (a file, a field, a ``--set`` value)."""


@dataclass
class RunArguments:
    """The fields of a training config that are Waypoint's own; the rest are trl's (``args``, ``model``)."""

    method: str = field(default="", metadata={"help": "sft | dpo | kto: the command this config is for"})
    max_examples: int = field(default=0, metadata={"help": "use at most this many training examples (0 = all)"})
    threads: int = field(default=0, metadata={"help": "torch threads (0 = leave as is)"})


def trainer_defaults(method: str) -> dict[str, Any]:
    """What every run sets before its config file: no checkpoints, hub or trackers, LoRA, CPU or CUDA.

    The trainer writes nothing of its own (the adapter is saved by :func:`save_adapter`); the data is
    tokenised in-process; activation checkpointing is off (on CPU memory is not the limit). On CUDA the
    base is bf16 (QLoRA, :func:`load_model`), on CPU float32. SFT trains on completion tokens only and
    never packs (an example cut at a pack boundary would teach unterminated JSON).
    """
    cuda = cuda_available()
    defaults: dict[str, Any] = {
        "save_strategy": "no",
        "report_to": "none",
        "use_cpu": not cuda,
        "bf16": cuda,
        "activation_checkpointing": False,
        "dataloader_num_workers": 0,
        "dataset_num_proc": None,
        "model_name_or_path": "",
        "use_peft": True,
        "lora_target_modules": list(LLAMA_TARGETS),
    }
    if method == "sft":
        defaults.update(completion_only_loss=True, packing=False)
    return defaults


# What waypoint_adapter.json records of a config (:meth:`TrainConfig.record`), in this order; the first two
# are recorded under their pre-trl names, so every adapter's metadata keeps one schema.
RECORDED = {
    "method": ("run", "method"),
    "model_path": ("model", "model_name_or_path"),
    "lora_r": ("model", "lora_r"),
    "lora_alpha": ("model", "lora_alpha"),
    "lora_dropout": ("model", "lora_dropout"),
    "target_modules": ("model", "lora_target_modules"),
    **{
        name: ("args", name)
        for name in (
            "learning_rate",
            "num_train_epochs",
            "max_steps",
            "per_device_train_batch_size",
            "gradient_accumulation_steps",
            "max_length",
            "warmup_steps",
            "lr_scheduler_type",
            "logging_steps",
            "seed",
            "beta",
            "desirable_weight",
            "undesirable_weight",
            "gradient_checkpointing",
        )
    },
    "max_examples": ("run", "max_examples"),
    "threads": ("run", "threads"),
}


@dataclass(frozen=True)
class TrainConfig:
    """A parsed training config: trl's trainer config (``args``), trl's model/LoRA config (``model``) and
    Waypoint's own fields (``run``), with what it was parsed from (so an override re-parses, never patches)."""

    run: RunArguments
    args: Any  # trl.SFTConfig | trl.DPOConfig | trl.KTOConfig (trl is imported only when a config is parsed)
    model: Any  # trl.ModelConfig
    path: Path
    tiny: bool = False
    overrides: Mapping[str, Any] = field(default_factory=dict)
    sets: tuple[str, ...] = ()

    @property
    def method(self) -> Method:
        return self.run.method  # type: ignore[return-value]

    @property
    def max_examples(self) -> int:
        return self.run.max_examples

    @property
    def threads(self) -> int:
        return self.run.threads

    @property
    def seed(self) -> int:
        return self.args.seed

    @property
    def max_length(self) -> int:
        return self.args.max_length

    @property
    def max_steps(self) -> int:
        return self.args.max_steps

    @property
    def lora_r(self) -> int:
        return self.model.lora_r

    @property
    def lora_alpha(self) -> int:
        return self.model.lora_alpha

    @property
    def target_modules(self) -> list[str]:
        modules = self.model.lora_target_modules
        return [modules] if isinstance(modules, str) else list(modules or [])

    @property
    def model_path(self) -> str:
        return self.model.model_name_or_path or ""

    def with_overrides(self, **updates: Any) -> TrainConfig:
        """The same config re-parsed with ``updates`` (field name → value) over it; ``None`` values are ignored."""
        overrides = {**self.overrides, **{k: v for k, v in updates.items() if v is not None}}
        return load_config(self.path, self.method, tiny=self.tiny, overrides=overrides, sets=self.sets)

    def tiny_version(self) -> TrainConfig:
        """The same config with the file's ``tiny:`` block applied (under the overrides, as ``--tiny`` does)."""
        return load_config(self.path, self.method, tiny=True, overrides=self.overrides, sets=self.sets)

    def lora_config(self):
        """The peft ``LoraConfig`` of ``model`` (trl's ``get_peft_config``: r, alpha, dropout, targets, causal LM)."""
        from trl import get_peft_config

        return get_peft_config(self.model)

    def trainer_args(self, output_dir: Path, **updates: Any):
        """A copy of ``args`` for one run: written under ``output_dir``, with ``updates`` (e.g. KTO's class weights)."""
        args = copy.deepcopy(self.args)
        args.output_dir = str(output_dir)
        for name, value in updates.items():
            if not hasattr(args, name):
                raise AttributeError(f"{type(args).__name__} has no field {name!r}")
            setattr(args, name, value)
        return args

    def record(self) -> dict[str, Any]:
        """What ``waypoint_adapter.json`` and the registry keep of this config: the fields a YAML file sets
        (:data:`RECORDED`), those the trainer has (SFT has no ``beta``)."""
        parts = {"run": vars(self.run), "model": vars(self.model), "args": self.args.to_dict()}
        out: dict[str, Any] = {}
        for name, (part, attribute) in RECORDED.items():
            if attribute in parts[part]:
                out[name] = parts[part][attribute]
        out["model_path"] = out.get("model_path") or ""
        out["target_modules"] = self.target_modules
        return out


def read_config_file(path: str | Path) -> dict[str, Any]:
    """A YAML (or JSON) mapping from ``path``: the one reader of every config file under ``training/``."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not YAML or JSON: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config must be a mapping, got {type(data).__name__}")
    return data


def _parser(method: str):
    import trl

    if method not in TRL_CONFIGS:
        raise ConfigError(f"unknown training method {method!r}; expected one of {', '.join(TRL_CONFIGS)}")
    return trl.TrlParser((RunArguments, getattr(trl, TRL_CONFIGS[method]), trl.ModelConfig), exit_on_error=False)


def _set_args(parser, sets: Sequence[str]) -> list[str]:
    """``FIELD=VALUE`` overrides as the trl parser's own command-line arguments (``--FIELD VALUE``)."""
    actions = parser._option_string_actions  # the parser's options by flag (no public accessor)
    out: list[str] = []
    for item in sets:
        name, sep, value = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name:
            raise ConfigError(f"--set {item!r}: expected FIELD=VALUE, e.g. learning_rate=1e-4")
        action = actions.get(f"--{name}")
        if action is None or name == "help":
            raise ConfigError(f"--set {item!r}: the config has no field {name!r}")
        values = [v.strip() for v in value.split(",")] if action.nargs in ("+", "*") else [value]
        out += [f"--{name}", *values]
    return out


def load_config(
    path: str | Path | None,
    method: Method,
    *,
    tiny: bool = False,
    overrides: Mapping[str, Any] | None = None,
    sets: Sequence[str] = (),
) -> TrainConfig:
    """Parse the config at ``path`` (default ``training/configs/<method>.yaml``) with trl's parser.

    ``tiny`` applies the file's ``tiny:`` block; ``overrides`` (field → typed value, ``None`` ignored) go over
    the file; ``sets`` (``FIELD=VALUE`` texts) over everything. Unknown fields and bad values raise
    :class:`ConfigError` naming them.
    """
    path = Path(path) if path else CONFIG_DIR / f"{method}.yaml"
    data = read_config_file(path)
    tiny_block = data.pop("tiny", None) or {}
    if not isinstance(tiny_block, dict):
        raise ConfigError(f"{path}: 'tiny' must be a mapping of overrides")
    data.setdefault("method", method)
    if data["method"] != method:
        raise ConfigError(f"{path} is a {data['method']!r} config, not {method!r}")
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    parser = _parser(method)
    layers = [("defaults", trainer_defaults(method)), (str(path), data)]
    if tiny:
        layers.append((f"{path} (tiny)", tiny_block))
    layers.append(("overrides", overrides))
    for where, layer in layers:
        unknown = parser.set_defaults_with_config(**layer)
        if unknown:
            names = sorted(a[2:] for a in unknown[::2])
            raise ConfigError(f"{where}: no such {method} config field(s): {', '.join(names)}")
    set_args = _set_args(parser, sets)
    try:
        run, args, model = parser.parse_args_into_dataclasses(args=set_args, look_for_args_file=False)
    except Exception as exc:  # a --set value the parser refuses, or a value a config's __post_init__ refuses
        raise ConfigError(f"{path}: {exc}") from None
    if args.data_seed is None:  # the data order follows the seed unless the config says otherwise
        args.data_seed = args.seed
    args.per_device_eval_batch_size = args.per_device_train_batch_size
    return TrainConfig(run, args, model, path, tiny=tiny, overrides=overrides, sets=tuple(sets))


# ------------------------------------------------------------------------------------------------
# the options sft, dpo and kto share (typer), and the config they make

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="YAML/JSON config (default training/configs/<method>.yaml)")
]
MaxStepsOption = Annotated[int | None, typer.Option("--max-steps", help="override the config's max_steps")]
EpochsOption = Annotated[float | None, typer.Option("--epochs", help="override the config's num_train_epochs")]
MaxExamplesOption = Annotated[int | None, typer.Option("--max-examples", help="use at most N training examples")]
TinyOption = Annotated[bool, typer.Option("--tiny", help="CI budget: a handful of examples, a few steps")]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="adapter output dir (default WAYPOINT_HOME/adapters/<name>)")
]
ThreadsOption = Annotated[int | None, typer.Option("--threads", help="torch threads (default: config, else as is)")]
BatchSizeOption = Annotated[
    int | None,
    typer.Option(
        "--batch-size",
        min=1,
        help="per-device batch size; gradient accumulation is scaled to keep the effective batch "
        "(batch 1 keeps CPU memory low: DPO at batch 2 peaks above 20 GB)",
    ),
]
SeedOption = Annotated[int | None, typer.Option("--seed")]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        metavar="FIELD=VALUE",
        help="set any field of the trl config (SFTConfig/DPOConfig/KTOConfig, ModelConfig's lora_*) over the "
        "file, e.g. --set learning_rate=1e-4 --set lora_r=8 (repeatable; lists comma-separated)",
    ),
]
DryRunOption = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="build the training data from the chosen source and report it (rows, labels, source); "
        "load no model, train nothing",
    ),
]


def config_from_options(
    method: Method,
    *,
    config: Path | None,
    tiny: bool,
    max_steps: int | None = None,
    epochs: float | None = None,
    max_examples: int | None = None,
    threads: int | None = None,
    seed: int | None = None,
    batch_size: int | None = None,
    sets: Sequence[str] | None = None,
) -> TrainConfig:
    """The config a ``waypoint train sft|dpo|kto`` command's options ask for; a bad one exits 2 naming it."""
    try:
        parsed = load_config(
            config,
            method,
            tiny=tiny,
            overrides={
                "max_steps": max_steps,
                "num_train_epochs": epochs,
                "max_examples": max_examples,
                "threads": threads,
                "seed": seed,
            },
            sets=tuple(sets or ()),
        )
        if batch_size:  # keep the effective batch (after every other layer): accumulate what it no longer holds
            effective = parsed.args.per_device_train_batch_size * parsed.args.gradient_accumulation_steps
            accumulation = max(1, round(effective / batch_size))
            scaled = (f"per_device_train_batch_size={batch_size}", f"gradient_accumulation_steps={accumulation}")
            parsed = load_config(
                parsed.path, method, tiny=tiny, overrides=parsed.overrides, sets=(*parsed.sets, *scaled)
            )
    except ConfigError as exc:
        raise typer.BadParameter(str(exc)) from None
    return parsed


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
    ``PeftModel``; otherwise the plain base is returned and the trainer adds :meth:`TrainConfig.lora_config`.
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
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=config.args.gradient_checkpointing)
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
        config=config.record(),
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
