"""Training throughput (samples/s): the cross-encoder reranker and trl SFT / DPO / KTO with LoRA.

* cross-encoder: :func:`training.reranker.train` with :meth:`RerankerConfig.tiny` (real O*NET and
  job-view pairs, the packaged MiniLM); samples/s = steps × batch / the trainer's own seconds.
* SFT / DPO / KTO: trl's trainers on the converted SmolLM2 with a LoRA on every linear layer
  (r=16, the explainer trainers' default), on real examples: the prompt is the app's
  :func:`~app.explain.prompt.build_messages` over real evidence, the good completion the
  deterministic composer's draft as the exact JSON the grammar emits
  (:func:`~app.explain.prompt.completion_text`), the bad one the draft written for a *different*
  pair (claims its evidence does not support) -- DPO's rejected answer, KTO's undesirable label.
  A few steps each; samples/s is measured over the steps after the first (the first one pays for
  lazy initialisation), by a callback timing each optimizer step.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from eval.bench.common import load_now

__all__ = ["cross_encoder_throughput", "preference_examples", "trl_throughput"]


def cross_encoder_throughput(steps: int = 6, batch: int = 8) -> dict[str, Any]:
    from retrieval.rerankers.cross_encoder import RerankerConfig
    from training.reranker import train

    row: dict[str, Any] = {"method": "cross-encoder", **load_now()}
    with tempfile.TemporaryDirectory(prefix="bench-ce-") as out:
        config = RerankerConfig.tiny(
            max_steps=steps, batch_size=batch, max_pairs=max(48, steps * batch), output_dir=str(Path(out) / "ce")
        )
        meta = train(config)
    train_s = float(meta.get("train_s") or 0.0)
    done = int(meta.get("steps") or 0)
    row.update(
        status="ok",
        steps=done,
        batch=batch,
        max_length=config.max_length,
        train_s=train_s,
        samples_per_s=round(done * batch / train_s, 2) if train_s > 0 else None,
    )
    return row


def preference_examples(settings, n: int) -> list[dict[str, Any]]:
    """``n`` real (prompt, good completion, bad completion) triples built with the app's own code."""
    from app.explain.composer import compose
    from app.explain.evidence import build_evidence
    from app.explain.prompt import build_messages, completion_text
    from eval.bench.latency import _pairs

    built = []
    for profile, item in _pairs(settings, n + 4):
        evidence = build_evidence(profile, item, settings)
        if evidence.citations:
            built.append((build_messages(evidence), completion_text(compose(evidence))))
        if len(built) >= n:
            break
    if len(built) < 2:
        raise RuntimeError("need at least two explainable pairs for preference data")
    out = []
    for i, (messages, good) in enumerate(built):
        bad = built[(i + 1) % len(built)][1]  # another pair's draft: unsupported by this evidence
        out.append(
            {
                "prompt": messages,
                "chosen": [{"role": "assistant", "content": good}],
                "rejected": [{"role": "assistant", "content": bad}],
            }
        )
    return out


def _step_timer():
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        def __init__(self) -> None:
            self.times: list[float] = []

        def on_step_end(self, args, state, control, **kwargs):
            self.times.append(time.perf_counter())
            return control

    return StepTimer()


def trl_throughput(
    settings, method: str, examples: list[dict], *, steps: int, batch: int, max_length: int = 1024
) -> dict[str, Any]:
    """Train ``steps`` LoRA steps of ``method`` (sft | dpo | kto) and time them."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from app.llm.model_files import resolve_model_path

    row: dict[str, Any] = {"method": method, **load_now()}
    model_path = resolve_model_path(settings)
    tokenizer = AutoTokenizer.from_pretrained(str(model_path))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(str(model_path), dtype=torch.float32)
    lora = LoraConfig(
        r=16,
        lora_alpha=32,
        lora_dropout=0.05,
        task_type="CAUSAL_LM",
        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    )
    common = dict(
        max_steps=steps,
        per_device_train_batch_size=batch,
        learning_rate=1e-4,
        logging_steps=1000,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        max_length=max_length,
        seed=0,
        dataloader_pin_memory=False,
        disable_tqdm=True,
    )
    need = steps * batch
    rows = (examples * (need // len(examples) + 1))[:need]
    timer = _step_timer()
    with tempfile.TemporaryDirectory(prefix=f"bench-{method}-") as out:
        if method == "sft":
            from trl import SFTConfig, SFTTrainer

            ds = Dataset.from_list([{"prompt": r["prompt"], "completion": r["chosen"]} for r in rows])
            trainer = SFTTrainer(
                model=model,
                args=SFTConfig(output_dir=out, **common),
                train_dataset=ds,
                processing_class=tokenizer,
                peft_config=lora,
                callbacks=[timer],
            )
        elif method == "dpo":
            from trl import DPOConfig, DPOTrainer

            ds = Dataset.from_list(rows)
            trainer = DPOTrainer(
                model=model,
                args=DPOConfig(output_dir=out, beta=0.1, **common),
                train_dataset=ds,
                processing_class=tokenizer,
                peft_config=lora,
                callbacks=[timer],
            )
        elif method == "kto":
            from trl import KTOConfig, KTOTrainer

            half = [{"prompt": r["prompt"], "completion": r["chosen"], "label": True} for r in rows[::2]]
            half += [{"prompt": r["prompt"], "completion": r["rejected"], "label": False} for r in rows[1::2]]
            ds = Dataset.from_list(half)
            trainer = KTOTrainer(
                model=model,
                args=KTOConfig(output_dir=out, beta=0.1, **common),
                train_dataset=ds,
                processing_class=tokenizer,
                peft_config=lora,
                callbacks=[timer],
            )
        else:
            raise ValueError(f"unknown method {method!r}")
        started = time.perf_counter()
        trainer.train()
        total = time.perf_counter() - started
    times = timer.times
    steady = (len(times) - 1) * batch / (times[-1] - times[0]) if len(times) >= 2 and times[-1] > times[0] else None
    prompt_tokens = [
        len(
            tokenizer(
                tokenizer.apply_chat_template(r["prompt"], tokenize=False, add_generation_prompt=True),
                add_special_tokens=False,
            )["input_ids"]
        )
        for r in examples
    ]
    row.update(
        status="ok",
        steps=len(times),
        batch=batch,
        max_length=max_length,
        train_s=round(total, 2),
        samples_per_s=round(steady, 3) if steady else round(len(times) * batch / total, 3),
        samples_per_s_incl_first_step=round(len(times) * batch / total, 3),
        mean_prompt_tokens=round(sum(prompt_tokens) / len(prompt_tokens), 1),
        lora={"r": 16, "alpha": 32, "targets": "all linear"},
    )
    return row
