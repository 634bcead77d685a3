"""Markdown and plots for ``waypoint bench`` (JSON is written by :func:`retrieval.reports.write_report`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from retrieval.reports import markdown_table

__all__ = ["markdown", "plots"]


def _fmt_load(row: dict) -> str:
    return f"{row.get('load1', '?')}/{row.get('load5', '?')}"


def _retrieval_md(sec: dict) -> list[str]:
    corpus = sec.get("corpus", {})
    kinds = ", ".join(f"{k} {v['used']}/{v['available']}" for k, v in corpus.get("per_kind", {}).items())
    lines = [
        "## Vector search",
        "",
        f"Real-text vectors: {corpus.get('real')} MiniLM embeddings of catalogue texts ({kinds}; "
        f"{corpus.get('from_cache')} from the ingest cache, {corpus.get('encoded')} encoded in "
        f"{corpus.get('encode_s')} s). Larger sizes are padded with {sec.get('padding')}. "
        f"Queries: {sec.get('queries', {}).get('n')} ({sec.get('queries', {}).get('held_out_catalogue')} held-out "
        f"catalogue texts, {sec.get('queries', {}).get('resume_texts')} résumés). Each (backend, size) ran in its "
        f"own process under a {sec.get('case_timeout_s')} s time box. `gt_real_share`: share of the exact top-10 "
        "that are real vectors.",
        "",
    ]
    rows = []
    for r in sec.get("results", []):
        rows.append(
            {
                "size": f"{r['size']:,}",
                "backend": r["backend"],
                "status": r.get("status"),
                "recall@10": r.get("recall@10", ""),
                "p50 ms": r.get("query_p50_ms", ""),
                "p95 ms": r.get("query_p95_ms", ""),
                "build s": r.get("build_s", ""),
                "indexed": r.get("indexed_vectors", ""),
                "queries": r.get("queries", ""),
                "gt_real_share": r.get("gt_real_share", ""),
                "load 1/5": _fmt_load(r),
                "note": r.get("reason", ""),
            }
        )
    lines += [markdown_table(rows, list(rows[0]) if rows else ["size"]), ""]
    return lines


def _recommend_md(sec: dict) -> list[str]:
    rows = [
        {
            "kind": k,
            "status": r.get("status"),
            "cold ms": r.get("cold_ms", ""),
            "n": r.get("n", ""),
            "p50 ms": r.get("p50_ms", ""),
            "p95 ms": r.get("p95_ms", ""),
            "load 1/5": _fmt_load(r),
            "note": r.get("reason", ""),
        }
        for k, r in sec.get("kinds", {}).items()
    ]
    lines = [
        f"## Recommendation latency (warm, one profile per call, k={sec.get('k')})",
        "",
        markdown_table(rows, list(rows[0]) if rows else ["kind"]),
        "",
    ]
    server = sec.get("server_start")
    if server:
        lines += [
            f"## Server start: first request after /healthz says ok (target {server.get('target_ms', '')} ms)",
            "",
            markdown_table(
                [
                    {
                        "status": server.get("status"),
                        "ready s": server.get("ready_s", ""),
                        "warm-up s": server.get("warmup_s", ""),
                        "first recommend ms": server.get("first_recommend_ms", ""),
                        "first explain ms": server.get("first_explain_ms", ""),
                        "meets target": server.get("meets_target", ""),
                        "load 1/5": _fmt_load(server),
                        "note": server.get("reason", ""),
                    }
                ],
                [
                    "status",
                    "ready s",
                    "warm-up s",
                    "first recommend ms",
                    "first explain ms",
                    "meets target",
                    "load 1/5",
                    "note",
                ],
            ),
            "",
        ]
    return lines


def _explain_md(sec: dict) -> list[str]:
    rows = [
        {
            "backend": b,
            "status": r.get("status"),
            "cold ms": r.get("cold_ms", ""),
            "n": r.get("n", ""),
            "p50 ms": r.get("p50_ms", ""),
            "p95 ms": r.get("p95_ms", ""),
            "LLM p50 ms": r.get("llm_p50_ms", ""),
            "fallbacks": r.get("fallbacks", ""),
            "load 1/5": _fmt_load(r),
            "note": r.get("reason", ""),
        }
        for b, r in sec.get("backends", {}).items()
    ]
    return [
        "## Explanation latency (whole `explain` call, warm)",
        "",
        markdown_table(rows, list(rows[0]) if rows else ["backend"]),
        "",
    ]


def _llm_md(sec: dict) -> list[str]:
    rows = [
        {
            "backend": r["backend"],
            "concurrency": r["concurrency"],
            "requests": r.get("requests", ""),
            "tokens": r.get("tokens", ""),
            "tokens/s": r.get("tokens_per_s", ""),
            "requests/s": r.get("requests_per_s", ""),
            "TTFT p50 ms": r.get("ttft_p50_ms", ""),
            "TTFT p95 ms": r.get("ttft_p95_ms", ""),
            "latency p50 ms": r.get("latency_p50_ms", ""),
            "valid JSON": r.get("valid_json", ""),
            "load 1/5": _fmt_load(r),
            "note": r.get("reason", ""),
        }
        for r in sec.get("rows", [])
    ]
    lines = [
        "## LLM throughput: vLLM vs in-process transformers",
        "",
        f"Same {sec.get('prompts')} real explanation prompts (mean {sec.get('mean_prompt_tokens')} prompt tokens), "
        f"each with its own JSON schema, greedy, max_tokens={sec.get('max_tokens')}; transformers concurrency = "
        "batch size, sequential transformers = its concurrency-1 rate. "
        f"vLLM: {sec.get('vllm', {}).get('how', 'not run')}.",
        "",
        markdown_table(rows, list(rows[0]) if rows else ["backend"]),
        "",
    ]
    ratios = sec.get("ratios") or {}
    if ratios:
        lines += ["Ratios (tokens/s): " + ", ".join(f"{k} = {v}" for k, v in ratios.items()), ""]
    for note in sec.get("notes", []):
        lines.append(f"- {note}")
    return lines + [""]


def _training_md(sec: dict) -> list[str]:
    rows = [
        {
            "method": r.get("method"),
            "status": r.get("status"),
            "samples/s": r.get("samples_per_s", ""),
            "steps": r.get("steps", ""),
            "batch": r.get("batch", ""),
            "max_length": r.get("max_length", ""),
            "mean prompt tokens": r.get("mean_prompt_tokens", ""),
            "train s": r.get("train_s", ""),
            "load 1/5": _fmt_load(r),
            "note": r.get("reason", ""),
        }
        for r in sec.get("rows", [])
    ]
    return ["## Training throughput (CPU)", "", markdown_table(rows, list(rows[0]) if rows else ["method"]), ""]


def gpu_md(gpu: dict[str, Any]) -> list[str]:
    """The GPU reference run (``python -m eval.bench.gpu``), when its JSON sits beside the report."""
    gen = [
        {
            "batch": r["concurrency"],
            "tokens/s": r["tokens_per_s"],
            "requests/s": r["requests_per_s"],
            "TTFT ms": r["ttft_p50_ms"],
            "wall s": r["wall_s"],
        }
        for r in gpu.get("generation", [])
    ]
    train = [
        {
            "method": r["method"],
            "samples/s": r.get("samples_per_s"),
            "steps": r.get("steps"),
            "batch": r.get("batch"),
            "max_length": r.get("max_length"),
        }
        for r in gpu.get("training", [])
    ]
    weights = (gpu.get("generation") or gpu.get("training") or [{}])[0].get("weights", "?")
    lines = [
        "## GPU reference (`bench_gpu.json`, `python -m eval.bench.gpu`)",
        "",
        f"{gpu.get('device')}, torch {gpu.get('torch')}; weights: {weights}; bf16; the same real prompts; "
        "generation forced to 320 new tokens, no JSON grammar; LoRA r=16 on all linear layers.",
        "",
    ]
    if gen:
        lines += ["In-process transformers generation:", "", markdown_table(gen, list(gen[0])), ""]
    if train:
        lines += ["trl training:", "", markdown_table(train, list(train[0])), ""]
    return lines


def markdown(data: dict[str, Any], title: str, plot_files: list[str], gpu: dict[str, Any] | None = None) -> str:
    m = data.get("machine", {})
    lines = [
        f"# {title}",
        "",
        f"Machine: {m.get('cpus')} CPUs ({m.get('cpu_model')}), {m.get('memory_gb')} GB RAM, "
        f"torch threads {m.get('torch_threads')}; load average at start {m.get('load1')}/{m.get('load5')}/"
        f"{m.get('load15')} (1/5/15 min) -- a shared machine: compare rows measured side by side, not runs.",
        f"Command: `{data.get('command')}`; {data.get('seconds')} s in all.",
        "",
    ]
    sections = data.get("sections", {})
    for name, render in (
        ("retrieval", _retrieval_md),
        ("recommend", _recommend_md),
        ("explain", _explain_md),
        ("llm", _llm_md),
        ("training", _training_md),
    ):
        sec = sections.get(name)
        if sec is None:
            continue
        if sec.get("status") in ("error", "skipped") and len(sec) <= 4:
            lines += [f"## {name}", "", f"{sec.get('status')}: {sec.get('reason')}", ""]
            continue
        lines += render(sec)
        if sec.get("measured_at"):
            lines += [f"_{name} measured at {sec['measured_at']}_", ""]
    if gpu:
        lines += gpu_md(gpu)
    for f in plot_files:
        lines.append(f"![{Path(f).stem}]({Path(f).name})")
    return "\n".join(lines)


def plots(data: dict[str, Any], out_dir: Path, prefix: str) -> list[str]:
    """One PNG per section that has numbers; returns the file paths written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: list[str] = []
    sections = data.get("sections", {})
    ret = sections.get("retrieval", {})
    ok = [r for r in ret.get("results", []) if r.get("status") == "ok"]
    if ok:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        for backend in sorted({r["backend"] for r in ok}):
            rs = sorted((r for r in ok if r["backend"] == backend), key=lambda r: r["size"])
            (line,) = axes[0].plot(
                [r["size"] for r in rs], [r["query_p50_ms"] for r in rs], "o-", label=f"{backend} p50"
            )
            axes[0].plot(
                [r["size"] for r in rs],
                [r["query_p95_ms"] for r in rs],
                "x--",
                alpha=0.6,
                color=line.get_color(),
                label=f"{backend} p95",
            )
            axes[1].plot(
                [r["size"] for r in rs], [r["recall@10"] for r in rs], "o-", color=line.get_color(), label=backend
            )
        for ax in axes:
            ax.set_xscale("log")
            ax.set_xlabel("vectors")
            ax.legend(fontsize=8)
        axes[0].set_yscale("log")
        axes[0].set_ylabel("query latency (ms)")
        axes[1].set_ylabel("recall@10 vs exact")
        axes[1].set_ylim(min(0.9, min(r["recall@10"] for r in ok) - 0.02), 1.005)
        axes[1].axhline(0.98, color="grey", lw=0.8, ls=":")
        fig.suptitle("vector search")
        fig.tight_layout()
        path = out_dir / f"{prefix}_retrieval.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(str(path))
    llm = sections.get("llm", {})
    rows = [r for r in llm.get("rows", []) if r.get("tokens_per_s")]
    if rows:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        for backend in sorted({r["backend"] for r in rows}):
            rs = sorted((r for r in rows if r["backend"] == backend), key=lambda r: r["concurrency"])
            axes[0].plot([r["concurrency"] for r in rs], [r["tokens_per_s"] for r in rs], "o-", label=backend)
            axes[1].plot([r["concurrency"] for r in rs], [r["ttft_p50_ms"] / 1000.0 for r in rs], "o-", label=backend)
        for ax in axes:
            ax.set_xscale("log", base=2)
            ax.set_xticks([1, 4, 16], ["1", "4", "16"])
            ax.set_xlabel("concurrent requests")
            ax.legend()
        axes[0].set_ylabel("generated tokens / s")
        axes[1].set_ylabel("time to first token p50 (s)")
        fig.suptitle("LLM throughput (same prompts, same max tokens)")
        fig.tight_layout()
        path = out_dir / f"{prefix}_llm.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(str(path))
    lat = []
    for kind, r in sections.get("recommend", {}).get("kinds", {}).items():
        if r.get("p50_ms") is not None:
            lat.append((f"recommend {kind}", r["p50_ms"], r["p95_ms"]))
    for backend, r in sections.get("explain", {}).get("backends", {}).items():
        if r.get("p50_ms") is not None:
            lat.append((f"explain {backend}", r["p50_ms"], r["p95_ms"]))
    if lat:
        fig, ax = plt.subplots(figsize=(9, 0.45 * len(lat) + 1.5))
        names = [n for n, _, _ in lat]
        ax.barh(names, [p50 for _, p50, _ in lat], label="p50")
        ax.barh(
            names, [max(0.0, p95 - p50) for _, p50, p95 in lat], left=[p50 for _, p50, _ in lat], alpha=0.5, label="p95"
        )
        ax.set_xscale("log")
        ax.set_xlabel("ms (log)")
        ax.legend()
        ax.set_title("serving latency (warm)")
        fig.tight_layout()
        path = out_dir / f"{prefix}_latency.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(str(path))
    return written
