"""In-process constrained decoding, change by change: seconds per explanation answer and what it cost.

    python -m eval.bench.decode                  # 8 real explanation requests, every configuration
    python -m eval.bench.decode --n 4 --configs generate-fp32,fast-bf16

Workload: the same real explanation requests as :mod:`eval.bench.llm_throughput` (real profiles, their
top recommended occupation, :func:`app.explain.prompt.build_messages` and the request's own closed
JSON schema), greedy, ``settings.llm_max_new_tokens``. Configurations, each a
:class:`~app.llm.transformers_backend.TransformersBackend`:

* ``generate-fp32`` -- before: transformers ``generate()`` with the xgrammar logits processor, fp32;
* ``generate-bf16`` -- the same in bf16 (the dtype change alone);
* ``stepwise-bf16`` -- the fast loop one token per forward pass, no prefix cache (its reference);
* ``stepwise-prefix-bf16`` -- plus the static prompt prefix's KV cache;
* ``verified-bf16`` -- jump-forward spans as drafts the model checks (same greedy output as stepwise);
* ``fast-bf16`` -- jump-forward with canonical tokens: the serving default;
* ``fast-fp32`` -- the serving default in fp32 (for CPUs without native bf16);
* ``fast-int8`` -- the serving default with int8 weights (torch dynamic quantization; opt-in).

The CPUs are shared, so the configurations run interleaved, request by request (every configuration
answers request 1, then every configuration answers request 2, ...), after one untimed warm-up request
each (which also fills the prefix cache, as a warmed-up server has). Every row records the load average.

"Same output" compares the parsed JSON answers: ``stepwise-*`` and ``generate-*`` of one dtype must
agree exactly (same greedy tokens); jump-forward feeds the grammar's forced text as canonical tokens
where step-by-step decoding lets the model spell it, so ``fast`` may choose differently after such a
span: the report counts how often the answers are identical and how often they are schema-valid.
Writes ``eval/reports/bench_decode.{json,md,png}``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from app.clikit import command_typer, run
from eval.bench.common import load_now, machine_info, percentiles
from retrieval.threads import set_process_threads

__all__ = ["CONFIGS", "compare", "main", "markdown"]

#: name → (decoding, dtype, prefix cache)
CONFIGS: dict[str, tuple[str, str, bool]] = {
    "generate-fp32": ("generate", "float32", False),
    "generate-bf16": ("generate", "bfloat16", False),
    "stepwise-bf16": ("stepwise", "bfloat16", False),
    "stepwise-prefix-bf16": ("stepwise", "bfloat16", True),
    "verified-bf16": ("verified", "bfloat16", True),
    "fast-bf16": ("fast", "bfloat16", True),
    "fast-fp32": ("fast", "float32", True),
    "fast-int8": ("fast", "int8", True),
}
REFERENCE = "generate-fp32"


def _backend(settings, name: str, threads: int | None = None):
    from app.llm.transformers_backend import TransformersBackend

    decoding, dtype, prefix = CONFIGS[name]
    backend = TransformersBackend(
        settings=settings, dtype=dtype, decoding=decoding, max_time_s=900.0, num_threads=threads
    )
    backend.use_prefix_cache = prefix
    return backend


def _one(backend, messages: list[dict], schema: dict, max_new_tokens: int) -> dict[str, Any]:
    """One answer; decoding statistics where the fast loop ran."""
    from app.llm.base import LLMUnavailable

    row: dict[str, Any] = {**load_now()}
    started = time.perf_counter()
    if backend.decoding == "generate":
        try:
            result = backend.generate_json(messages, schema, max_new_tokens=max_new_tokens)[0]
        except LLMUnavailable as exc:  # e.g. cut at max_new_tokens: still a timed answer, an invalid one
            if not exc.results:
                raise
            result = exc.results[0]
        row.update(forward_passes=result.tokens_generated, sampled_tokens=result.tokens_generated, forced_tokens=0)
    else:
        result, run = backend.decode_one(messages, schema, max_new_tokens)
        row.update(run.stats())
    row.update(
        seconds=round(time.perf_counter() - started, 3),
        tokens=result.tokens_generated,
        finish_reason=result.finish_reason,
        valid=bool(result.parsed is not None and result.schema_valid),
        answer=result.parsed,
        text=result.text,
    )
    return row


def compare(
    settings,
    *,
    n: int = 8,
    configs: list[str] | None = None,
    progress: bool = True,
    partial: Path | None = None,
    threads: int | None = None,
) -> dict[str, Any]:
    """Every configuration on the same ``n`` requests, interleaved; per-configuration summaries.
    ``partial``: a JSON-lines file that gets every row as it is measured (a long run that dies keeps them)."""
    from app.llm.base import LLMUnavailable
    from eval.bench.llm_throughput import explanation_requests

    names = configs or list(CONFIGS)
    unknown = [c for c in names if c not in CONFIGS]
    if unknown:
        raise ValueError(f"unknown configurations {unknown}; known: {', '.join(CONFIGS)}")
    max_new = int(settings.llm_max_new_tokens)
    requests = explanation_requests(settings, n + 1)
    warm, timed = requests[0], requests[1 : n + 1]
    backends = {}
    for name in names:
        backends[name] = _backend(settings, name, threads)
        try:  # untimed and cut short: builds lazily built state, fills the prefix cache
            _one(backends[name], warm[0], warm[1], 16)
        except LLMUnavailable:
            pass  # 16 tokens are not a whole answer
    prompt_tokens = [len(backends[names[0]]._prompt(m)[0]) for m, _ in timed]
    rows: dict[str, list[dict]] = {name: [] for name in names}
    for i, (messages, schema) in enumerate(timed):
        for name in names:
            row = _one(backends[name], messages, schema, max_new)
            rows[name].append(row)
            if partial is not None:
                with open(partial, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps({"request": i, "config": name, **row}, default=str) + "\n")
            if progress:
                print(
                    f"bench decode {i + 1}/{len(timed)} {name}: {row['seconds']:.2f} s, {row['tokens']} tokens, "
                    f"{row.get('forward_passes')} passes, load {row['load1']}",
                    flush=True,
                )
    summary = {name: _summarise(rows[name], rows.get(REFERENCE), rows.get(_stepwise_twin(name))) for name in names}
    return {
        "requests": len(timed),
        "max_new_tokens": max_new,
        "prompt_tokens": percentiles(prompt_tokens),
        "reference": REFERENCE,
        "configs": {
            name: dict(zip(("decoding", "dtype", "prefix_cache"), CONFIGS[name], strict=True)) for name in names
        },
        "summary": summary,
        "rows": {name: [{k: v for k, v in r.items() if k != "text"} for r in rs] for name, rs in rows.items()},
    }


def _stepwise_twin(name: str) -> str:
    """The step-by-step configuration a fast one must match token for token where no span was forced."""
    return "stepwise-prefix-bf16" if name in ("fast-bf16", "verified-bf16") else ""


def _same(rows: list[dict], other: list[dict] | None) -> int | None:
    if not other:
        return None
    return sum(1 for a, b in zip(rows, other) if a["answer"] is not None and a["answer"] == b["answer"])


def _summarise(rows: list[dict], reference: list[dict] | None, twin: list[dict] | None) -> dict[str, Any]:
    secs = percentiles([r["seconds"] * 1000.0 for r in rows])
    total = lambda key: sum(int(r.get(key) or 0) for r in rows)  # noqa: E731
    return {
        "p50_s": round(secs["p50_ms"] / 1000.0, 2) if secs["p50_ms"] is not None else None,
        "p95_s": round(secs["p95_ms"] / 1000.0, 2) if secs["p95_ms"] is not None else None,
        "mean_s": round(secs["mean_ms"] / 1000.0, 2) if secs["mean_ms"] is not None else None,
        "valid": sum(1 for r in rows if r["valid"]),
        "n": len(rows),
        "tokens_per_answer": round(total("tokens") / max(1, len(rows)), 1),
        "forced_tokens": total("forced_tokens"),
        "sampled_tokens": total("sampled_tokens"),
        "forward_passes_per_answer": round(total("forward_passes") / max(1, len(rows)), 1),
        "prefill_p50_s": (
            round(percentiles([r["prefill_s"] * 1000 for r in rows if r.get("prefill_s")])["p50_ms"] / 1000.0, 2)
            if any(r.get("prefill_s") for r in rows)
            else None
        ),
        "cached_prompt_tokens": total("cached_tokens"),
        "same_answer_as_reference": _same(rows, reference),
        "same_answer_as_stepwise": _same(rows, twin),
        "load1_mean": round(sum(r["load1"] for r in rows) / max(1, len(rows)), 2),
    }


def markdown(data: dict[str, Any]) -> str:
    s = data["summary"]
    lines = [
        "# Constrained decoding, in process (SmolLM2-135M, closed explanation grammar)",
        "",
        f"{data['requests']} real explanation requests (prompt tokens p50 {data['prompt_tokens']['p50_ms']}), "
        f"greedy, max {data['max_new_tokens']} new tokens, configurations interleaved request by request on a "
        f"shared machine ({data['machine'].get('cpus')} CPUs, torch threads {data['machine'].get('torch_threads')}). "
        f"`python -m eval.bench.decode` ({data['measured_at']}).",
        "",
        "| configuration | p50 s | p95 s | valid | tokens/answer | forward passes/answer | forced | sampled "
        "| prefill p50 s | same answer as generate-fp32 | load1 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in s.items():
        lines.append(
            f"| {name} | {r['p50_s']} | {r['p95_s']} | {r['valid']}/{r['n']} | {r['tokens_per_answer']} | "
            f"{r['forward_passes_per_answer']} | {r['forced_tokens']} | {r['sampled_tokens']} | "
            f"{r['prefill_p50_s'] if r['prefill_p50_s'] is not None else ''} | "
            f"{'' if r['same_answer_as_reference'] is None else r['same_answer_as_reference']} | "
            f"{r['load1_mean']} |"
        )
    fast = s.get("fast-bf16")
    if fast and fast.get("same_answer_as_stepwise") is not None:
        lines += [
            "",
            f"fast-bf16 gave the same answer as stepwise-prefix-bf16 on {fast['same_answer_as_stepwise']} of "
            f"{fast['n']} requests (jump-forward writes forced text in canonical tokens; see the module doc).",
        ]
    return "\n".join(lines)


def plot(data: dict[str, Any], path: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(data["summary"])
    fig, ax = plt.subplots(figsize=(8, 3.8))
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], [data["summary"][n]["p50_s"] or 0 for n in names], width=0.4, label="p50")
    ax.bar([x + 0.2 for x in xs], [data["summary"][n]["p95_s"] or 0 for n in names], width=0.4, label="p95")
    ax.set_xticks(list(xs), names, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("seconds per answer")
    ax.set_yscale("log")
    ax.legend()
    ax.grid(alpha=0.3, axis="y")
    ax.set_title("constrained decoding: seconds per explanation answer")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)


cli = command_typer()


@cli.command("decode")
def decode_command(
    n: Annotated[int, typer.Option(help="timed requests (plus one warm-up)")] = 8,
    configs: Annotated[str, typer.Option(help=f"comma-separated, of {', '.join(CONFIGS)}")] = "",
    threads: Annotated[int, typer.Option(help="torch threads (the bench's default: 1, shared CPUs)")] = 1,
    out_dir: str = "",
) -> dict:
    """In-process constrained decoding, change by change: seconds per explanation answer and what it cost
    (eval/reports/bench_decode)."""
    from retrieval.reports import REPORT_DIR, write_report
    from retrieval.settings import get_settings

    set_process_threads(max(1, threads))
    chosen = [c.strip() for c in configs.split(",") if c.strip()] or None
    out = Path(out_dir) if out_dir else REPORT_DIR
    out.mkdir(parents=True, exist_ok=True)
    partial = out / "bench_decode.partial.jsonl"
    partial.unlink(missing_ok=True)
    data = compare(get_settings(), n=n, configs=chosen, partial=partial, threads=max(1, threads))
    data["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    data["machine"] = machine_info()
    data["plot"] = plot(data, out / "bench_decode.png")
    json_path, md_path = write_report("bench_decode", data, markdown(data), out)
    partial.unlink(missing_ok=True)  # the report has every row now
    print(json.dumps(data["summary"], indent=1))
    print(f"wrote {json_path} and {md_path}")
    return data


def main(argv: list[str] | None = None) -> dict:
    """``python -m eval.bench.decode`` on ``argv`` (for scripts); returns the report data."""
    return run(cli, argv, "python -m eval.bench.decode")


if __name__ == "__main__":
    cli(prog_name="python -m eval.bench.decode")
