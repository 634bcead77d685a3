"""Few-shot SetFit training: job family (SOC major group) and chat intent.

Lives in ``retrieval`` (not ``training``) because ``waypoint build`` trains the chat-intent model the
server loads (app/build.py, component ``intent``), and the build may not import the training layer;
``training/setfit_models.py`` is the command line (``waypoint train setfit``).

Both start from the packaged all-MiniLM-L6-v2 (``retrieval.embeddings.packaged_model_path()``; no hub),
fine-tune the body contrastively on pairs drawn from a handful of labelled examples, fit a logistic
regression head, and save to ``settings.models_dir / "setfit" / <task>`` where
:mod:`retrieval.rerankers.setfit_models` loads them once per process.

* family: ``shots`` O*NET alternate titles per major group (spread over the group's occupations).
* intent: the hand-written training messages in :mod:`retrieval.rerankers.intent_examples`.

Budget: ``num_iterations`` (pairs per example), ``epochs`` and ``max_steps`` (hard cap, -1 = none)
and ``max_seconds``; with the defaults both tasks finish in a few minutes on 2 cores.
``SetFitConfig.tiny()`` is the CI budget.

Run: ``python -m training.setfit_models [--task family|intent|both] [--tiny]``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retrieval.threads import set_process_threads

if TYPE_CHECKING:
    from transformers import TrainerCallback


@dataclass
class SetFitConfig:
    tasks: list[str] = field(default_factory=lambda: ["family", "intent"])
    shots_per_family: int = 8
    num_iterations: int = 5  # contrastive pairs generated per training example (SetFit)
    epochs: int = 1
    batch_size: int = 32
    max_steps: int = -1  # hard cap on body training steps (-1 = no cap)
    max_seconds: float = 600.0  # stop body training after this many seconds (per task)
    body_learning_rate: float = 2e-5
    max_length: int = 64
    seed: int = 0
    output_dir: str | None = None  # default: settings.models_dir / "setfit"
    show_progress: bool = True

    @classmethod
    def tiny(cls, **overrides: Any) -> SetFitConfig:
        """A CI budget: a few steps, small batches."""
        base: dict[str, Any] = dict(
            num_iterations=1, batch_size=8, max_steps=3, max_seconds=60.0, shots_per_family=2, show_progress=False
        )
        base.update(overrides)
        return cls(**base)


def _output_root(config: SetFitConfig) -> Path:
    if config.output_dir:
        return Path(config.output_dir)
    from retrieval.settings import get_settings

    return get_settings().models_dir / "setfit"


class _TimeBudget:
    """Stops training once ``seconds`` have passed (the clock starts here); ``stopped`` says whether it did.

    :meth:`callback` is the transformers ``TrainerCallback`` that enforces it, built on demand so that
    importing this module does not import transformers."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.t0 = time.perf_counter()
        self.stopped = False

    def callback(self) -> TrainerCallback:
        from transformers import TrainerCallback

        budget = self

        class _CB(TrainerCallback):
            def on_step_end(self, args, state, control, **kwargs):
                if time.perf_counter() - budget.t0 > budget.seconds:
                    control.should_training_stop = True
                    budget.stopped = True
                return control

        return _CB()


def train_setfit(texts: list[str], labels: list[str], out_dir: Path, config: SetFitConfig) -> dict:
    """Train one SetFit classifier and save it (atomically) to ``out_dir``. Returns training stats."""
    import torch
    from datasets import Dataset
    from setfit import SetFitModel, Trainer, TrainingArguments

    from retrieval.embeddings import packaged_model_path

    set_process_threads(1)
    torch.manual_seed(config.seed)
    names = sorted(set(labels))
    model = SetFitModel.from_pretrained(str(packaged_model_path()), labels=names, device="cpu")
    ds = Dataset.from_dict({"text": list(texts), "label": [names.index(y) for y in labels]})
    work = Path(tempfile.mkdtemp(prefix="setfit-"))
    try:
        args = TrainingArguments(
            output_dir=str(work / "checkpoints"),
            batch_size=config.batch_size,
            num_epochs=config.epochs,
            max_steps=config.max_steps,
            num_iterations=config.num_iterations,
            body_learning_rate=config.body_learning_rate,
            max_length=config.max_length,
            seed=config.seed,
            save_strategy="no",
            eval_strategy="no",
            report_to="none",
            show_progress_bar=config.show_progress,
            logging_strategy="no",
        )
        budget = _TimeBudget(config.max_seconds)
        trainer = Trainer(model=model, args=args, train_dataset=ds, callbacks=[budget.callback()])
        t0 = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - t0
        tmp = out_dir.parent / (out_dir.name + ".tmp")
        if tmp.exists():
            shutil.rmtree(tmp)
        model.save_pretrained(str(tmp))
        (tmp / "waypoint_labels.json").write_text(json.dumps({"labels": names, "config": asdict(config)}))
        if out_dir.exists():
            shutil.rmtree(out_dir)
        tmp.rename(out_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "examples": len(texts),
        "labels": len(names),
        "train_s": round(seconds, 1),
        "stopped_by_time_budget": bool(budget.stopped),
        "path": str(out_dir),
    }


def train_family(config: SetFitConfig | None = None) -> dict:
    from retrieval.rerankers.setfit_models import family_examples

    config = config or SetFitConfig()
    x, y, _, _ = family_examples(shots=config.shots_per_family, seed=config.seed)
    return train_setfit(x, y, _output_root(config) / "family", config)


def train_intent(config: SetFitConfig | None = None) -> dict:
    from retrieval.rerankers.setfit_models import intent_examples

    config = config or SetFitConfig()
    x, y, _, _ = intent_examples()
    return train_setfit(x, y, _output_root(config) / "intent", config)


def train(config: SetFitConfig | None = None) -> dict:
    """Train every task in ``config.tasks``; returns {task: stats}."""
    config = config or SetFitConfig()
    out = {}
    for task in config.tasks:
        if task == "family":
            out[task] = train_family(config)
        elif task == "intent":
            out[task] = train_intent(config)
        else:
            raise ValueError(f"unknown SetFit task {task!r} (family | intent)")
    from retrieval.rerankers.setfit_models import reset_cache

    reset_cache()
    return out
