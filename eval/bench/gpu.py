"""The same generation and training throughput on a CUDA GPU (the "same scripts on GPU" row).

Run on a GPU machine that may lack Waypoint's own dependencies, so this module imports only torch,
transformers, peft, trl, datasets and typer (a transformers requirement)::

    python -m eval.bench.gpu --model-dir DIR --examples bench_gpu_examples.json --out bench_gpu.json

``--model-dir`` needs SmolLM2's ``config.json`` and tokenizer; without ``model.safetensors`` the
weights are randomly initialised from the config (the 270 MB weights may not travel to the GPU
machine). Throughput does not depend on weight values: generation is then forced to exactly
``max_new_tokens`` tokens (``min_new_tokens``), the token count the CPU runs cap at, and training
does the same FLOPs. ``--examples`` holds real explanation prompts and composer completions
exported by :func:`export_examples` on the machine with the catalogue.

Measured: transformers batched greedy generation at batch 1/4/16/64 (tokens/s, time to first
token), and trl SFT / DPO / KTO with a LoRA on every linear layer, in bf16, samples/s over the
steps after the first. No JSON grammar here (xgrammar is not on the GPU image); vLLM is not
measured on GPU (its wheel cannot travel to that machine).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["export_examples", "main"]


def export_examples(settings, path: str | Path, n: int = 16) -> Path:
    """Write ``n`` real prompts (chat messages) with good/bad composer completions to ``path``."""
    from eval.bench.training import preference_examples

    rows = preference_examples(settings, n)
    Path(path).write_text(json.dumps(rows, ensure_ascii=False))
    return Path(path)


def _load(model_dir: Path, dtype):
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "left"
    if (model_dir / "model.safetensors").exists():
        model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=dtype)
        weights = "real"
    else:
        model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(str(model_dir)), dtype=dtype)
        weights = "random-init (architecture and tokenizer of SmolLM2-135M-Instruct)"
    return tok, model, weights


def generation(model_dir: Path, examples: list[dict], batches: list[int], max_new_tokens: int) -> list[dict]:
    import torch
    from transformers import LogitsProcessor, LogitsProcessorList

    tok, model, weights = _load(model_dir, torch.bfloat16)
    model = model.cuda().eval()
    prompts = [tok.apply_chat_template(e["prompt"], tokenize=False, add_generation_prompt=True) for e in examples]

    class FirstLogits(LogitsProcessor):
        at: float | None = None

        def __call__(self, input_ids, scores):
            if self.at is None:
                torch.cuda.synchronize()
                self.at = time.perf_counter()
            return scores

    rows = []
    for b in [1, *batches]:  # the first batch-1 run is the warm-up
        batch = (prompts * (b // len(prompts) + 1))[:b]
        enc = tok(batch, return_tensors="pt", padding=True, add_special_tokens=False).to("cuda")
        timer = FirstLogits()
        torch.cuda.synchronize()
        started = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(
                **enc,
                max_new_tokens=max_new_tokens,
                min_new_tokens=max_new_tokens,
                do_sample=False,
                temperature=None,
                top_k=None,
                top_p=None,
                pad_token_id=tok.pad_token_id,
                logits_processor=LogitsProcessorList([timer]),
            )
        torch.cuda.synchronize()
        wall = time.perf_counter() - started
        tokens = int((out.shape[1] - enc["input_ids"].shape[1]) * b)
        rows.append(
            {
                "backend": "transformers-cuda",
                "concurrency": b,
                "requests": b,
                "wall_s": round(wall, 3),
                "tokens": tokens,
                "tokens_per_s": round(tokens / wall, 1),
                "requests_per_s": round(b / wall, 3),
                "ttft_p50_ms": round((timer.at - started) * 1000.0, 1),
                "weights": weights,
                "prompt_tokens_max": int(enc["input_ids"].shape[1]),
            }
        )
    return rows[1:]


def training(
    model_dir: Path, examples: list[dict], methods: list[str], steps: int, batch: int, max_length: int
) -> list[dict]:
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import TrainerCallback

    rows = []
    for method in methods:
        tok, model, weights = _load(model_dir, torch.bfloat16)
        tok.padding_side = "right"
        lora = LoraConfig(
            r=16,
            lora_alpha=32,
            lora_dropout=0.05,
            task_type="CAUSAL_LM",
            target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        )

        class StepTimer(TrainerCallback):
            def __init__(self) -> None:
                self.times: list[float] = []

            def on_step_end(self, args, state, control, **kwargs):
                torch.cuda.synchronize()
                self.times.append(time.perf_counter())

        timer = StepTimer()
        common = dict(
            max_steps=steps,
            per_device_train_batch_size=batch,
            learning_rate=1e-4,
            logging_steps=1000,
            save_strategy="no",
            report_to="none",
            max_length=max_length,
            seed=0,
            bf16=True,
            disable_tqdm=True,
        )
        need = steps * batch
        data = (examples * (need // len(examples) + 1))[:need]
        with tempfile.TemporaryDirectory() as out:
            if method == "sft":
                from trl import SFTConfig, SFTTrainer

                ds = Dataset.from_list([{"prompt": r["prompt"], "completion": r["chosen"]} for r in data])
                trainer = SFTTrainer(
                    model=model,
                    args=SFTConfig(output_dir=out, **common),
                    train_dataset=ds,
                    processing_class=tok,
                    peft_config=lora,
                    callbacks=[timer],
                )
            elif method == "dpo":
                from trl import DPOConfig, DPOTrainer

                trainer = DPOTrainer(
                    model=model,
                    args=DPOConfig(output_dir=out, beta=0.1, **common),
                    train_dataset=Dataset.from_list(data),
                    processing_class=tok,
                    peft_config=lora,
                    callbacks=[timer],
                )
            else:
                from trl import KTOConfig, KTOTrainer

                rows_kto = [{"prompt": r["prompt"], "completion": r["chosen"], "label": True} for r in data[::2]]
                rows_kto += [{"prompt": r["prompt"], "completion": r["rejected"], "label": False} for r in data[1::2]]
                trainer = KTOTrainer(
                    model=model,
                    args=KTOConfig(output_dir=out, beta=0.1, **common),
                    train_dataset=Dataset.from_list(rows_kto),
                    processing_class=tok,
                    peft_config=lora,
                    callbacks=[timer],
                )
            started = time.perf_counter()
            trainer.train()
            total = time.perf_counter() - started
        t = timer.times
        steady = (len(t) - 1) * batch / (t[-1] - t[0]) if len(t) >= 2 and t[-1] > t[0] else None
        rows.append(
            {
                "method": method,
                "status": "ok",
                "steps": len(t),
                "batch": batch,
                "max_length": max_length,
                "train_s": round(total, 2),
                "samples_per_s": round(steady, 2) if steady else None,
                "weights": weights,
                "dtype": "bf16",
                "lora": {"r": 16, "targets": "all linear"},
            }
        )
        del trainer, model
        torch.cuda.empty_cache()
    return rows


cli = typer.Typer(add_completion=False)  # typer itself, not app.clikit: this module travels without Waypoint's deps


@cli.command("gpu")
def gpu_command(
    model_dir: Annotated[Path, typer.Option(help="SmolLM2's config.json and tokenizer (weights optional)")],
    examples: Annotated[Path, typer.Option(help="prompts and completions from export_examples (JSON)")],
    out: Annotated[Path, typer.Option(help="the JSON report to write")],
    batches: Annotated[str, typer.Option(help="generation batch sizes, comma-separated")] = "1,4,16,64",
    max_new_tokens: int = 320,
    methods: Annotated[str, typer.Option(help="trl trainers, comma-separated")] = "sft,dpo,kto",
    steps: int = 8,
    batch: int = 8,
    max_length: int = 2048,
) -> dict[str, Any]:
    """The same generation and training throughput on a CUDA GPU (the "same scripts on GPU" row)."""
    import torch

    rows = json.loads(examples.read_text())
    started = time.perf_counter()
    report: dict[str, Any] = {
        "device": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "cpus": os.cpu_count(),
        "examples": len(rows),
    }
    try:
        report["generation"] = generation(model_dir, rows, [int(x) for x in batches.split(",")], max_new_tokens)
    except Exception as exc:  # noqa: BLE001
        report["generation_error"] = f"{type(exc).__name__}: {exc}"
    try:
        report["training"] = training(model_dir, rows, methods.split(","), steps, batch, max_length)
    except Exception as exc:  # noqa: BLE001
        report["training_error"] = f"{type(exc).__name__}: {exc}"
    report["seconds"] = round(time.perf_counter() - started, 1)
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return report


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """``python -m eval.bench.gpu`` on ``argv`` (for scripts); returns the report."""
    return typer.main.get_command(cli).main(args=argv, prog_name="python -m eval.bench.gpu", standalone_mode=False)


if __name__ == "__main__":  # pragma: no cover
    cli(prog_name="python -m eval.bench.gpu")
