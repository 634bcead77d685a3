"""Alternative CPU inference runtimes against the serving default, on the same real explanation requests.

    python -m eval.bench.runtimes --setup          # once: the runtimes' virtualenv (/tmp/rt-venv)
    python -m eval.bench.runtimes                  # exports (once), then 6 requests through every configuration
    python -m eval.bench.runtimes --n 4 --configs transformers-fast-bf16,ortgenai-int8-jf
    waypoint bench --only runtimes                 # the same, as a section of bench.json

Workload: :func:`eval.bench.llm_throughput.explanation_requests` (what :mod:`eval.bench.decode` runs:
real profiles, their top recommended occupation, the request's own closed JSON schema), greedy,
``settings.llm_max_new_tokens``. Every configuration gets the same prompt token ids (the serving
tokenizer's, with the serving default's static-prefix cut) and its answer is parsed and validated by the
project's own :func:`app.llm.base.parse_json_object`.

Weights: the serving default's, i.e. SmolLM2-135M-Instruct converted from the packaged GGUF
(:mod:`app.llm.model_files`) with the shipped LoRA adapter merged, saved once as an fp32 HF folder; every
runtime's model is exported from that folder with the runtime's own converter (commands in the report).

Configurations (the two in-process ones first; the rest run in :mod:`eval.bench.runtime_worker` processes
under the runtimes' interpreter, because optimum-intel pins a transformers the project's venv is past):

* ``transformers-fast-bf16``: the serving default (:class:`~app.llm.transformers_backend.TransformersBackend`,
  jump-forward with canonical tokens under xgrammar, prefix KV cache, bf16) -- the reference;
* ``transformers-fast-fp32``: the same loop in fp32 (in process too): the answers an fp32 runtime computing the
  same function must reproduce, and how far precision alone moves greedy answers;
* ``ortgenai-{int4,int8,fp32}-jf``: onnxruntime-genai (model builder, ``prune_lm_head=true``) driven by the
  same xgrammar jump-forward loop, static prefix reused with ``rewind_to``;
* ``ortgenai-int8-guidance``: onnxruntime-genai's own JSON-schema constraint (llguidance, fast-forward
  tokens), one ``generate_next_token`` per step;
* ``openvino-int8-jf``: optimum-intel ``OVModelForCausalLM`` (int8 weights, NNCF), the same jump-forward loop;
* ``openvino-int8-generate``: its ``generate()`` with xgrammar's HF logits processor (token by token);
* ``ctranslate2-int8-free``: CTranslate2 int8, greedy and unconstrained (4.x has no logits-processor hook).

Every runtime uses one intra-op thread, like the bench's torch threads. The CPUs are shared, so the
configurations run interleaved, request by request, after one untimed warm-up request each (16 tokens),
and every row records the load average. "Same answer" compares parsed JSON with the reference's.
Writes ``eval/reports/bench_runtimes.{json,md,png}``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from app.clikit import command_typer, run as run_command
from eval.bench.common import load_now, machine_info, percentiles
from retrieval.threads import set_process_threads

__all__ = [
    "CONFIGS",
    "FP32_TWIN",
    "REFERENCE",
    "RuntimeConfig",
    "compare",
    "main",
    "markdown",
    "reading",
    "summarise",
    "verdict",
]

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_VENV = Path(os.environ.get("WAYPOINT_RUNTIMES_VENV", "/tmp/rt-venv"))
DEFAULT_MODELS = Path(os.environ.get("WAYPOINT_RUNTIMES_MODELS", "/tmp/rt-models"))
REQUIREMENTS = Path(__file__).with_name("runtimes_requirements.txt")
MERGED = "merged-fp32"


@dataclass(frozen=True)
class RuntimeConfig:
    runtime: str  # transformers | ortgenai | openvino | ctranslate2
    mode: str  # fast | jf | guidance | generate | free
    export: str  # folder under the models dir ("" for the in-process reference)
    precision: str
    constrained: str  # how the closed grammar holds the answer, or why it does not


CONFIGS: dict[str, RuntimeConfig] = {
    "transformers-fast-bf16": RuntimeConfig(
        "transformers", "fast", "", "bf16", "xgrammar mask + jump-forward (serving default)"
    ),
    "transformers-fast-fp32": RuntimeConfig(
        "transformers", "fast", "", "fp32", "xgrammar mask + jump-forward (the serving default in fp32)"
    ),
    "ortgenai-int4-jf": RuntimeConfig("ortgenai", "jf", "ortgenai-int4", "int4 weights", "xgrammar + jump-forward"),
    "ortgenai-int8-jf": RuntimeConfig("ortgenai", "jf", "ortgenai-int8", "int8 weights", "xgrammar + jump-forward"),
    "ortgenai-fp32-jf": RuntimeConfig("ortgenai", "jf", "ortgenai-fp32", "fp32", "xgrammar + jump-forward"),
    "ortgenai-int8-guidance": RuntimeConfig(
        "ortgenai", "guidance", "ortgenai-int8", "int8 weights", "its own llguidance json_schema, ff tokens"
    ),
    "openvino-int8-jf": RuntimeConfig(
        "openvino", "jf", "ov-int8", "int8 weights, bf16 compute", "xgrammar + jump-forward"
    ),
    "openvino-int8-generate": RuntimeConfig(
        "openvino", "generate", "ov-int8", "int8 weights, bf16 compute", "xgrammar HF logits processor, per token"
    ),
    "ctranslate2-int8-free": RuntimeConfig(
        "ctranslate2", "free", "ct2-int8", "int8", "no: CTranslate2 4.x has no logits-processor hook"
    ),
}
REFERENCE = "transformers-fast-bf16"
#: The reference's own loop in fp32: what the fp32 runtimes must match token for token if they compute the
#: same function, and how far a precision change alone moves the greedy answers.
FP32_TWIN = "transformers-fast-fp32"


#: What installing and converting took beyond ``pip install`` and each converter's documented command, with
#: the exact errors (runtimes_requirements.txt's versions, this machine); rendered into the report.
SETUP_NOTES = (
    "optimum-intel 2.2.0 requires transformers<5.6,>=4.51 and huggingface-hub<1.22; the project's venv has "
    "transformers 5.25.0 and huggingface_hub 2.4.0, so the runtimes live in their own venv (transformers 5.5.4).",
    "torchvision 0.28.0, pulled in by optimum-intel, does not match torch 2.13.0: importing transformers' vision "
    "classes failed with `RuntimeError: operator torchvision::nms does not exist`, and so did the ORT GenAI model "
    "builder (`ModuleNotFoundError: Could not import module 'Gemma3ForConditionalGeneration'`); it is uninstalled.",
    "onnxruntime-genai 0.18.0's model builder imports `onnx_ir`, which the wheel does not declare: "
    "`ModuleNotFoundError: No module named 'onnx_ir'` until onnx_ir 1.1.0 was installed.",
    "`python -m onnxruntime_genai.models.builder --help` itself crashes (`ValueError: unsupported format character "
    "' ' (0x20) at index 11142`, a bare % in a help string); its options were read from builder.py.",
    "The ORT GenAI builder's graph computes logits for every prompt position by default (lm_head over ~1,300 "
    "positions of prefill); `--extra_options prune_lm_head=true` keeps the last position only. OpenVINO's "
    "exported IR does the same, and the worker inserts a Slice before the lm_head MatMul (what openvino.genai "
    "does). The serving default never computes them (FastDecoder projects the last row, allowed tokens only).",
    "OpenVINO 2026.4 (CPU plugin, 1 thread): 1,256 prompt tokens on top of a restored 219-token prefix state took "
    "11.6-13.3 s where all 1,475 from an empty state took 3.2-3.7 s, so openvino-int8-jf prefills the whole "
    "prompt and keeps no prefix cache.",
    "The ORT GenAI builder also runs in the project's own venv (torch 2.13, transformers 5.25) with onnxruntime-genai, "
    "onnxruntime, onnx, onnx_ir, ml_dtypes and flatbuffers added (pip --target): the int8 graph it wrote was "
    "byte-identical to the runtimes venv's, and onnxruntime-genai loads it there.",
    "ORT GenAI's own constraint (`set_guidance('json_schema', ...)`, llguidance inside onnxruntime-genai 0.18.0) "
    "did not hold the closed schema: it let enum sentences that contain an escaped quote end at that quote "
    "(answers 'Take the course \\\"The Manager's' and 'Take the course \\\"Operations Analytics' on 2 of 6 "
    "requests of the 2026-12-05 run; the first also without fast-forward tokens), and its JSON whitespace is flexible.",
    "CTranslate2 4.8.5 has no logits-processor hook in Python (`generate_batch`/`generate_tokens` take "
    "`callback`, which sees each step's token and can only stop, plus `suppress_sequences`/`end_token`): the grammar "
    "cannot constrain it, so it runs greedy and unconstrained; without the grammar the model never wrote a "
    "schema-valid answer (2026-12-05 run: 4 of 6 ran to 512 tokens, 2 stopped on JSON that breaks the schema).",
)


def export_commands(python: Path, models: Path) -> dict[str, list[str]]:
    """Each runtime's converter, from the merged fp32 HF folder."""
    merged = str(models / MERGED)
    out: dict[str, list[str]] = {}
    for precision in ("int4", "int8", "fp32"):
        out[f"ortgenai-{precision}"] = [
            str(python), "-m", "onnxruntime_genai.models.builder", "-i", merged,
            "-o", str(models / f"ortgenai-{precision}"), "-p", precision, "-e", "cpu",
            "-c", str(models / f"cache-ortgenai-{precision}"), "--extra_options", "prune_lm_head=true",
        ]  # fmt: skip
    out["ov-int8"] = [
        str(python.parent / "optimum-cli"), "export", "openvino", "--model", merged,
        "--task", "text-generation-with-past", "--weight-format", "int8", str(models / "ov-int8"),
    ]  # fmt: skip
    out["ct2-int8"] = [
        str(python.parent / "ct2-transformers-converter"), "--model", merged, "--quantization", "int8",
        "--output_dir", str(models / "ct2-int8"), "--force",
    ]  # fmt: skip
    return out


def setup_venv(venv: Path) -> None:
    """Create the runtimes' virtualenv with :data:`REQUIREMENTS` (torch from the local wheel cache)."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    subprocess.run([*pip, "install", "-r", str(REQUIREMENTS)], check=True)
    subprocess.run([*pip, "uninstall", "-y", "torchvision"], check=False)  # see REQUIREMENTS


def prepare(settings, models: Path, python: Path, needed: set[str], progress: bool = True) -> dict[str, Any]:
    """The merged HF folder and every export ``needed`` (each once; a failure is recorded, not raised)."""
    models.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {}
    merged = models / MERGED
    if not (merged / "model.safetensors").is_file():
        from app.llm.transformers_backend import TransformersBackend

        started = time.perf_counter()
        backend = TransformersBackend(settings=settings, dtype="float32")  # the adapter merged in fp32
        tmp = models / f".{MERGED}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        backend.model.save_pretrained(str(tmp), safe_serialization=True)
        backend.tokenizer.save_pretrained(str(tmp))
        (tmp / "waypoint_source.json").write_text(
            json.dumps({"model": str(backend.model_path), "adapter": str(backend.adapter_path or "")}) + "\n"
        )
        tmp.rename(merged)
        report[MERGED] = {"ok": True, "seconds": round(time.perf_counter() - started, 1)}
    source = merged / "waypoint_source.json"
    report.setdefault(MERGED, {"ok": True, "cached": True})
    if source.is_file():
        report[MERGED].update(json.loads(source.read_text()))
    for name, command in export_commands(python, models).items():
        if name not in needed:
            continue
        folder = models / name
        marker = folder / "waypoint_export.json"
        if marker.is_file():
            report[name] = {**json.loads(marker.read_text()), "cached": True}
            continue
        if progress:
            print(f"bench runtimes: exporting {name}", flush=True)
        started = time.perf_counter()
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=1800)
            ok, tail = proc.returncode == 0, (proc.stdout + proc.stderr)[-1500:]
        except (OSError, subprocess.TimeoutExpired) as exc:
            ok, tail = False, f"{type(exc).__name__}: {exc}"
        entry = {"ok": ok, "command": " ".join(command), "seconds": round(time.perf_counter() - started, 1)}
        if ok:
            entry["bytes"] = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
            marker.write_text(json.dumps(entry) + "\n")
        else:
            entry["error"] = tail
        report[name] = entry
    return report


class Worker:
    """One :mod:`eval.bench.runtime_worker` process (one runtime, one mode)."""

    def __init__(self, python: Path, config: RuntimeConfig, models: Path, threads: int, log_path: Path) -> None:
        self.log = open(log_path, "a", encoding="utf-8")
        command = [
            str(python), "-m", "eval.bench.runtime_worker", "--runtime", config.runtime, "--mode", config.mode,
            "--model", str(models / config.export), "--tokenizer", str(models / MERGED), "--threads", str(threads),
        ]  # fmt: skip
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "TOKENIZERS_PARALLELISM": "false",
            "OMP_NUM_THREADS": str(threads),
        }
        self.proc = subprocess.Popen(
            command, cwd=str(ROOT), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True, env=env
        )
        self.ready = self._read()

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            return {"ready": False, "error": f"worker exited with {self.proc.wait()} (see {self.log.name})"}
        return json.loads(line)

    def ask(self, prompt_ids: list[int], prefix_len: int, schema: dict, max_new_tokens: int) -> dict[str, Any]:
        assert self.proc.stdin is not None
        request = {
            "prompt_ids": prompt_ids,
            "prefix_len": prefix_len,
            "schema": schema,
            "max_new_tokens": max_new_tokens,
        }
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # our own child, by its handle
        self.log.close()


def _row(answer: dict[str, Any], schema: dict, wall_s: float) -> dict[str, Any]:
    """A worker's answer, parsed and validated as the serving path does."""
    from app.llm.base import parse_json_object

    if "error" in answer:
        return {"seconds": round(wall_s, 3), "error": answer["error"], "valid": False, "answer": None, "tokens": 0}
    parsed, valid, error = parse_json_object(answer["text"], schema)
    return {
        "seconds": round(wall_s, 3),
        "tokens": len(answer["tokens"]),
        "finish_reason": answer["finish_reason"],
        "prefill_s": round(answer["prefill_s"], 3),
        "total_s": round(answer["total_s"], 3),
        "forward_passes": answer.get("forward_passes"),
        "forced_tokens": answer.get("forced_tokens"),
        "sampled_tokens": answer.get("sampled_tokens"),
        "cached_tokens": answer.get("cached_tokens"),
        "valid": bool(parsed is not None and valid),
        "parse_error": error,
        "answer": parsed,
        "text": answer["text"],
    }


def compare(
    settings,
    *,
    n: int = 6,
    configs: list[str] | None = None,
    python: Path = DEFAULT_VENV / "bin" / "python",
    models: Path = DEFAULT_MODELS,
    threads: int = 1,
    progress: bool = True,
    partial: Path | None = None,
) -> dict[str, Any]:
    """Every configuration on the same ``n`` requests, interleaved; per-configuration summaries."""
    from eval.bench.decode import _backend, _one
    from eval.bench.llm_throughput import explanation_requests

    names = configs or list(CONFIGS)
    unknown = [c for c in names if c not in CONFIGS]
    if unknown:
        raise ValueError(f"unknown configurations {unknown}; known: {', '.join(CONFIGS)}")
    if REFERENCE not in names:
        names = [REFERENCE, *names]
    max_new = int(settings.llm_max_new_tokens)
    exports = prepare(settings, models, python, {CONFIGS[c].export for c in names if CONFIGS[c].export}, progress)
    in_process = {
        c: _backend(settings, c.removeprefix("transformers-"), threads)
        for c in names
        if CONFIGS[c].runtime == "transformers"
    }
    requests = explanation_requests(settings, n + 1)
    prompts = [in_process[REFERENCE]._prompt(m) for m, _ in requests]

    workers: dict[str, Worker] = {}
    failed: dict[str, str] = {}
    log_path = models / "workers.log"
    for name in names:
        config = CONFIGS[name]
        if config.runtime == "transformers":
            continue
        if not exports.get(config.export, {}).get("ok"):
            failed[name] = f"export {config.export} failed: {exports.get(config.export, {}).get('error', '')[-300:]}"
            continue
        worker = Worker(python, config, models, threads, log_path)
        if not worker.ready.get("ready"):
            failed[name] = f"{worker.ready.get('error')}"
            worker.close()
            continue
        workers[name] = worker
    active = [n_ for n_ in names if n_ not in failed]

    def answer(name: str, i: int, max_new_tokens: int) -> dict[str, Any]:
        messages, schema = requests[i]
        if name in in_process:
            from app.llm.base import LLMUnavailable

            try:
                return _one(in_process[name], messages, schema, max_new_tokens)
            except LLMUnavailable as exc:  # the 16-token warm-up is cut short
                return {"seconds": 0.0, "error": str(exc), "valid": False, "answer": None, "tokens": 0}
        ids, prefix = prompts[i]
        started = time.perf_counter()
        got = workers[name].ask(ids, prefix, schema, max_new_tokens)
        return {**load_now(), **_row(got, schema, time.perf_counter() - started)}

    for name in active:  # untimed and cut short: compiles kernels for new shapes, fills the prefix caches
        answer(name, 0, 16)
    rows: dict[str, list[dict]] = {name: [] for name in active}
    try:
        for i in range(1, len(requests)):
            for name in active:
                row = answer(name, i, max_new)
                rows[name].append(row)
                if partial is not None:
                    with open(partial, "a", encoding="utf-8") as fh:
                        fh.write(json.dumps({"request": i, "config": name, **row}, default=str) + "\n")
                if progress:
                    print(
                        f"bench runtimes {i}/{len(requests) - 1} {name}: {row['seconds']:.2f} s, "
                        f"{row.get('tokens')} tokens, prefill {row.get('prefill_s')}, valid {row['valid']}, "
                        f"load {row.get('load1')}",
                        flush=True,
                    )
    finally:
        for worker in workers.values():
            worker.close()
    summary = {name: summarise(rows[name], rows[REFERENCE], rows.get(FP32_TWIN)) for name in active}
    return {
        "requests": len(requests) - 1,
        "max_new_tokens": max_new,
        "threads": threads,
        "prompt_tokens": percentiles([len(ids) for ids, _ in prompts[1:]]),
        "static_prefix_tokens": prompts[1][1] if len(prompts) > 1 else None,
        "reference": REFERENCE,
        "configs": {name: vars(CONFIGS[name]) for name in names},
        "exports": exports,
        "worker_versions": {name: w.ready.get("versions") for name, w in workers.items()},
        "worker_notes": {
            name: {k: v for k, v in w.ready.items() if k not in ("ready", "versions")} for name, w in workers.items()
        },
        "failed": failed,
        "summary": summary,
        "rows": {name: [{k: v for k, v in r.items() if k != "text"} for r in rs] for name, rs in rows.items()},
    }


def summarise(rows: list[dict], reference: list[dict], fp32_twin: list[dict] | None = None) -> dict[str, Any]:
    """p50/p95 seconds per answer, prefill, decode speed, validity and agreement with the reference (and
    with the reference's fp32 twin, where it ran)."""
    secs = percentiles([r["seconds"] for r in rows])
    prefill = [r["prefill_s"] for r in rows if r.get("prefill_s")]
    decode_s = sum(
        max(0.0, float(r.get("total_s") or r["seconds"]) - float(r.get("prefill_s") or 0.0))
        for r in rows
        if r.get("prefill_s")
    )
    tokens = sum(int(r.get("tokens") or 0) for r in rows if r.get("prefill_s"))
    passes = sum(int(r.get("forward_passes") or 0) for r in rows if r.get("prefill_s"))
    n = len(rows)
    return {
        "n": n,
        "p50_s": _round(secs["p50_ms"]),
        "p95_s": _round(secs["p95_ms"]),
        "mean_s": _round(secs["mean_ms"]),
        "prefill_p50_s": _round(percentiles(prefill)["p50_ms"]) if prefill else None,
        "decode_tokens_per_s": round(tokens / decode_s, 1) if decode_s > 0 else None,
        "decode_passes_per_s": round(passes / decode_s, 1) if decode_s > 0 else None,
        "tokens_per_answer": round(sum(int(r.get("tokens") or 0) for r in rows) / max(1, n), 1),
        "forward_passes_per_answer": round(passes / max(1, len([r for r in rows if r.get("prefill_s")])), 1),
        "valid": sum(1 for r in rows if r.get("valid")),
        "same_answer_as_reference": _same(rows, reference),
        "same_answer_as_fp32_twin": _same(rows, fp32_twin) if fp32_twin else None,
        "first_invalid": next((r.get("parse_error") or r.get("error") for r in rows if not r.get("valid")), None),
        "errors": sum(1 for r in rows if r.get("error")),
        "load1_mean": round(sum(float(r.get("load1") or 0.0) for r in rows) / max(1, n), 2),
    }


def _same(rows: list[dict], other: list[dict]) -> int:
    return sum(1 for a, b in zip(rows, other) if a.get("answer") is not None and a.get("answer") == b.get("answer"))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def verdict(summary: dict[str, dict], reference: str = REFERENCE, margin: float = 0.8) -> dict[str, Any]:
    """Which configuration, if any, is clearly faster than ``reference`` at equal output: every answer
    schema-valid and identical to the reference's, and p50 *and* p95 at most ``margin`` x the reference's."""
    ref = summary.get(reference)
    if not ref or not ref.get("p50_s"):
        return {"winner": None, "why": "no reference figures"}
    equal = {
        name: s
        for name, s in summary.items()
        if name != reference and s["n"] and s["valid"] == s["n"] and s["same_answer_as_reference"] == s["n"]
    }
    faster = {
        name: s
        for name, s in equal.items()
        if s["p50_s"] is not None
        and s["p50_s"] <= margin * ref["p50_s"]
        and s["p95_s"] is not None
        and ref["p95_s"] is not None
        and s["p95_s"] <= margin * ref["p95_s"]
    }
    if faster:
        best = min(faster, key=lambda k: faster[k]["p50_s"])
        return {
            "winner": best,
            "equal_output": sorted(equal),
            "why": f"{best}: p50 {faster[best]['p50_s']} s vs {ref['p50_s']} s, same answers on all {faster[best]['n']}",
        }
    fastest = min(
        (k for k in summary if k != reference and summary[k]["p50_s"] is not None),
        key=lambda k: summary[k]["p50_s"],
        default=None,
    )
    return {
        "winner": None,
        "equal_output": sorted(equal),
        "fastest_other": fastest,
        "why": (
            f"no configuration is both {1 / margin:.2g}x faster (p50 and p95) and equal in output; reference p50 "
            f"{ref['p50_s']} s" + (f", fastest other {fastest} p50 {summary[fastest]['p50_s']} s" if fastest else "")
        ),
    }


def markdown(data: dict[str, Any]) -> str:
    s = data["summary"]
    m = data.get("machine", {})
    lines = [
        "# Inference runtimes vs the serving default (SmolLM2-135M + explainer-sft, closed explanation grammar)",
        "",
        f"{data['requests']} real explanation requests (prompt tokens p50 {data['prompt_tokens']['p50_ms']}, "
        f"static prefix {data['static_prefix_tokens']}), greedy, max {data['max_new_tokens']} new tokens, "
        f"configurations interleaved request by request after one warm-up each, {data['threads']} intra-op thread "
        f"per runtime, on a shared machine ({m.get('cpus')} CPUs, {m.get('cpu_model')}). "
        f"`python -m eval.bench.runtimes` ({data.get('measured_at')}).",
        "",
        "| configuration | precision | constrained by the grammar? | prefill p50 s | decode tok/s | passes/s "
        f"| p50 s | p95 s | valid | same answer as {REFERENCE} | same as {FP32_TWIN} | tokens/answer | passes/answer "
        "| load1 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in s.items():
        c = data["configs"][name]
        lines.append(
            f"| {name} | {c['precision']} | {c['constrained']} | {_cell(r['prefill_p50_s'])} | "
            f"{_cell(r['decode_tokens_per_s'])} | {_cell(r['decode_passes_per_s'])} | {_cell(r['p50_s'])} | "
            f"{_cell(r['p95_s'])} | {r['valid']}/{r['n']} | {r['same_answer_as_reference']}/{r['n']} | "
            f"{'' if r.get('same_answer_as_fp32_twin') is None else r['same_answer_as_fp32_twin']} | "
            f"{r['tokens_per_answer']} | {r['forward_passes_per_answer']} | {r['load1_mean']} |"
        )
    lines += [
        "",
        "Decode tok/s counts every answer token after the first chosen one, forced or chosen (jump-forward feeds "
        "most in one pass with the next choice); passes/s is forward passes per decode second.",
    ]
    invalid = {name: r["first_invalid"] for name, r in s.items() if r.get("first_invalid")}
    if invalid:
        lines += ["", "First invalid answer of each configuration that wrote one:", ""]
        lines += [f"* `{name}`: {str(why)[:300]}" for name, why in invalid.items()]
    if data.get("failed"):
        lines += ["", "## Configurations that did not run", ""]
        lines += [f"* `{name}`: {why}" for name, why in data["failed"].items()]
    failed_exports = {k: v for k, v in data.get("exports", {}).items() if not v.get("ok")}
    lines += ["", "## Exports", ""]
    for name, e in data.get("exports", {}).items():
        size = f", {e['bytes'] / 1e6:.0f} MB" if e.get("bytes") else ""
        how = f"`{e['command']}`" if e.get("command") else ", ".join(f"{k}: {v}" for k, v in e.items() if k != "ok")
        lines.append(f"* {name}: {'ok' if e.get('ok') else 'FAILED'}{size} -- {how}")
    for name, e in failed_exports.items():
        lines += ["", f"{name} error:", "", "```", str(e.get("error", ""))[-1200:], "```"]
    if data.get("worker_versions"):
        versions: dict[str, str] = {}
        for v in data["worker_versions"].values():
            versions.update(v or {})
        lines += ["", "Runtimes' venv: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) + "."]
    for name, note in data.get("worker_notes", {}).items():
        extra = {k: v for k, v in note.items() if k != "load_s"}
        if extra:
            lines.append(f"{name}: " + ", ".join(f"{k} {v}" for k, v in extra.items()) + ".")
    lines += ["", "## Install and conversion problems", ""]
    lines += [f"* {note}" for note in data.get("setup_notes", SETUP_NOTES)]
    v = data.get("verdict", {})
    lines += ["", "## Verdict", "", f"{v.get('why', '')}."]
    lines += [f"* {line}" for line in reading(s)]
    if data.get("notes"):
        lines += [""] + [f"* {n}" for n in data["notes"]]
    lines += ["", "![seconds per explanation](bench_runtimes.png)"]
    return "\n".join(lines)


def reading(summary: dict[str, dict]) -> list[str]:
    """Sentences that read the table: speed against the reference, and what "same answer" means per row."""
    ref, twin = summary.get(REFERENCE), summary.get(FP32_TWIN)
    if not ref or not ref.get("p50_s"):
        return []
    out = []
    if twin and twin.get("n"):
        out.append(
            f"Precision alone moves greedy answers: the serving loop in fp32 ({FP32_TWIN}) gave the bf16 "
            f"reference's answer on {twin['same_answer_as_reference']}/{twin['n']} requests."
        )
    for name, r in summary.items():
        if name in (REFERENCE, FP32_TWIN) or not r.get("p50_s") or not r.get("p95_s") or not ref.get("p95_s"):
            continue
        speed = f"p50 {ref['p50_s'] / r['p50_s']:.2f}x, p95 {ref['p95_s'] / r['p95_s']:.2f}x the reference's speed"
        same = f"{r['valid']}/{r['n']} valid, {r['same_answer_as_reference']}/{r['n']} the reference's answer"
        if r.get("same_answer_as_fp32_twin") is not None:
            same += f", {r['same_answer_as_fp32_twin']}/{r['n']} the fp32 serving loop's"
        out.append(f"`{name}`: {speed}; {same}.")
    return out


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def plot(data: dict[str, Any], path: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(data["summary"])
    fig, ax = plt.subplots(figsize=(9, 4.2))
    for x, name in enumerate(names):
        secs = [r["seconds"] for r in data["rows"][name]]
        ax.scatter([x] * len(secs), secs, s=12, color="grey", alpha=0.6, zorder=3)
    p50 = [data["summary"][n]["p50_s"] or 0 for n in names]
    p95 = [data["summary"][n]["p95_s"] or 0 for n in names]
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], p50, width=0.4, label="p50")
    ax.bar([x + 0.2 for x in xs], p95, width=0.4, label="p95")
    ax.axhline(2.0, color="red", lw=0.8, ls="--", label="target 2 s")
    labels = [
        f"{n}\n{data['summary'][n]['valid']}/{data['summary'][n]['n']} valid, "
        f"{data['summary'][n]['same_answer_as_reference']} same"
        for n in names
    ]
    ax.set_xticks(list(xs), labels, rotation=25, ha="right", fontsize=7)
    ax.set_ylabel("seconds per explanation")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    ax.set_title("runtimes: seconds per explanation (dots: each request)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)


def run(
    settings,
    *,
    n: int = 6,
    configs: list[str] | None = None,
    venv: Path = DEFAULT_VENV,
    models: Path = DEFAULT_MODELS,
    threads: int = 1,
    out_dir: Path | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Measure, write ``bench_runtimes.{json,md,png}``, return the data (``waypoint bench --only runtimes``)."""
    from retrieval.reports import REPORT_DIR, write_report

    python = venv / "bin" / "python"
    if not python.is_file():
        raise RuntimeError(f"no runtimes virtualenv at {venv}: run `python -m eval.bench.runtimes --setup` first")
    out = out_dir or REPORT_DIR
    out.mkdir(parents=True, exist_ok=True)
    partial = out / "bench_runtimes.partial.jsonl"
    partial.unlink(missing_ok=True)
    data = compare(
        settings,
        n=n,
        configs=configs,
        python=python,
        models=models,
        threads=threads,
        progress=progress,
        partial=partial,
    )
    data["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    data["machine"] = machine_info()
    data["verdict"] = verdict(data["summary"])
    data["setup_notes"] = list(SETUP_NOTES)
    data["plot"] = Path(plot(data, out / "bench_runtimes.png")).name
    json_path, md_path = write_report("bench_runtimes", data, markdown(data), out)
    partial.unlink(missing_ok=True)
    if progress:
        print(f"wrote {json_path} and {md_path}", flush=True)
    return data


def render(out_dir: Path | None = None) -> dict[str, Any]:
    """``bench_runtimes.md`` and ``.png`` again from ``bench_runtimes.json`` (after a change to the rendering)."""
    from retrieval.reports import REPORT_DIR

    out = out_dir or REPORT_DIR
    data = json.loads((out / "bench_runtimes.json").read_text())
    plot(data, out / "bench_runtimes.png")
    (out / "bench_runtimes.md").write_text(markdown(data).rstrip() + "\n")
    return data


cli = command_typer()


@cli.command("runtimes")
def runtimes_command(
    n: Annotated[int, typer.Option(help="timed requests (plus one warm-up)")] = 6,
    configs: Annotated[str, typer.Option(help=f"comma-separated, of {', '.join(CONFIGS)}")] = "",
    threads: Annotated[int, typer.Option(help="intra-op threads for every runtime (torch's too)")] = 1,
    venv: Annotated[str, typer.Option(help="the runtimes' virtualenv")] = str(DEFAULT_VENV),
    models: Annotated[str, typer.Option(help="where the merged weights and the exports go")] = str(DEFAULT_MODELS),
    setup: Annotated[bool, typer.Option("--setup", help="create the runtimes' virtualenv, then stop")] = False,
    render_only: Annotated[
        bool, typer.Option("--render-only", help="rewrite the markdown and plot from the JSON report; measure nothing")
    ] = False,
    out_dir: str = "",
) -> dict:
    """Alternative CPU inference runtimes against the serving default on the same real explanation requests
    (eval/reports/bench_runtimes)."""
    from retrieval.settings import get_settings

    if setup:
        setup_venv(Path(venv))
        return {}
    if render_only:
        return render(Path(out_dir) if out_dir else None)
    set_process_threads(max(1, threads))
    chosen = [c.strip() for c in configs.split(",") if c.strip()] or None
    data = run(
        get_settings(),
        n=n,
        configs=chosen,
        venv=Path(venv),
        models=Path(models),
        threads=threads,
        out_dir=Path(out_dir) if out_dir else None,
    )
    print(json.dumps({"summary": data["summary"], "verdict": data["verdict"]}, indent=1))
    return data


def main(argv: list[str] | None = None) -> dict:
    """``python -m eval.bench.runtimes`` on ``argv`` (for scripts); returns the report data."""
    return run_command(cli, argv, "python -m eval.bench.runtimes")


if __name__ == "__main__":
    cli(prog_name="python -m eval.bench.runtimes")
