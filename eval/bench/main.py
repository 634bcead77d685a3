"""``waypoint bench``: run the benchmark sections and write ``eval/reports/bench{,_quick}.*``.

    waypoint bench --quick                      # CI: retrieval at 10k, recommend + composer latency (< 2 min)
    waypoint bench                              # everything the machine allows (LLM needs a server, see below)
    waypoint bench --only llm --start-vllm      # vLLM vs transformers at 1/4/16 (starts vLLM on a free port)
    waypoint bench --only llm --vllm-url http://127.0.0.1:8001/v1
    waypoint bench --only runtimes              # ONNX Runtime GenAI / OpenVINO / CTranslate2 vs the serving default

With ``--only``, the sections not run are carried over from the existing report (each keeps its
``measured_at``), so one report can be filled section by section; ``--no-merge`` starts afresh.
A section that fails is recorded with its error instead of stopping the others.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, Field

from app.clikit import command_line, command_typer, run as run_command
from eval.bench.common import load_now, machine_info
from retrieval.reports import REPORT_DIR, write_report
from retrieval.threads import set_process_threads

log = logging.getLogger(__name__)

SECTIONS = ("retrieval", "recommend", "explain", "llm", "training", "runtimes")
QUICK_SECTIONS = ("retrieval", "recommend", "explain")
#: What a plain ``waypoint bench`` runs: ``runtimes`` only when asked (``--only runtimes``), since it needs the
#: runtimes' own virtualenv (``python -m eval.bench.runtimes --setup``) and writes its own report,
#: ``bench_runtimes.{json,md,png}`` (eval/bench/runtimes.py).
DEFAULT_SECTIONS = SECTIONS[:-1]


class BenchConfig(BaseModel):
    """Everything a run is parameterised by (quick and full defaults differ; flags override)."""

    quick: bool = False
    only: list[str] = Field(default_factory=lambda: list(DEFAULT_SECTIONS))
    sizes: list[int] = Field(default_factory=lambda: [10_000, 100_000, 1_000_000])
    queries: int = 200
    max_real: int = 100_000
    embed_budget_s: float = 420.0
    case_timeout_s: float = 900.0
    query_budget_s: float = 60.0
    retrieval_backends: list[str] = Field(default_factory=lambda: ["edge", "client_local"])
    recommend_n: int = 30
    recommend_budget_s: float = 120.0
    explain_backends: list[str] = Field(default_factory=lambda: ["deterministic", "transformers", "openai"])
    explain_n: int = 20
    explain_llm_n: int = 3
    llm_backends: list[str] = Field(default_factory=lambda: ["transformers", "vllm"])
    levels: list[int] = Field(default_factory=lambda: [1, 4, 16])
    max_tokens: int | None = None
    start_vllm: bool = False
    vllm_url: str = ""
    vllm_model: str = "smollm2-135m-instruct"
    train_methods: list[str] = Field(default_factory=lambda: ["cross-encoder", "sft", "dpo", "kto"])
    train_steps: int = 4
    train_batch: int = 4
    runtimes_n: int = 6
    out_dir: str = ""
    merge: bool = True
    torch_threads: int = 1
    render_only: bool = False
    seed: int = 0
    progress: bool = True

    @property
    def report_name(self) -> str:
        return "bench_quick" if self.quick else "bench"


def _csv(text: str, cast: Callable = str) -> list:
    return [cast(x.strip()) for x in text.split(",") if x.strip()]


cli = command_typer()


@cli.command("bench", epilog=__doc__.split("\n\n")[1] if __doc__ else None)
def bench_command(
    ctx: typer.Context,
    quick: Annotated[
        bool, typer.Option("--quick", help="CI budget: retrieval at 10k, recommend, composer (< 2 min)")
    ] = False,
    only: Annotated[str | None, typer.Option(help=f"comma-separated sections: {','.join(SECTIONS)}")] = None,
    sizes: Annotated[str | None, typer.Option(help="vector counts, e.g. 10000,100000,1000000")] = None,
    queries: int | None = None,
    max_real: Annotated[int | None, typer.Option(help="cap on real-text vectors")] = None,
    embed_budget: Annotated[float | None, typer.Option(help="seconds for embedding uncached real texts")] = None,
    case_timeout: Annotated[float | None, typer.Option(help="time box per (backend, size), seconds")] = None,
    query_budget: Annotated[float | None, typer.Option(help="seconds of queries per case")] = None,
    retrieval_backends: Annotated[str | None, typer.Option(help="edge,client_local")] = None,
    recommend_n: int | None = None,
    explain_backends: Annotated[str | None, typer.Option(help="deterministic,transformers,openai")] = None,
    explain_n: int | None = None,
    explain_llm_n: int | None = None,
    llm_backends: Annotated[str | None, typer.Option(help="transformers,vllm")] = None,
    levels: Annotated[str | None, typer.Option(help="concurrency levels, e.g. 1,4,16")] = None,
    max_tokens: Annotated[int | None, typer.Option(help="max generated tokens (default: settings)")] = None,
    start_vllm: Annotated[
        bool, typer.Option("--start-vllm", help="start a vLLM server (.venv-vllm) on a free port")
    ] = False,
    vllm_url: Annotated[str, typer.Option(help="an already running vLLM server's /v1 URL")] = "",
    vllm_model: str = "smollm2-135m-instruct",
    train_methods: Annotated[str | None, typer.Option(help="cross-encoder,sft,dpo,kto")] = None,
    train_steps: int | None = None,
    train_batch: int | None = None,
    runtimes_n: Annotated[int | None, typer.Option(help="runtimes section: timed requests per runtime")] = None,
    out_dir: Annotated[str, typer.Option(help="report folder (default eval/reports)")] = "",
    no_merge: Annotated[
        bool, typer.Option("--no-merge", help="do not carry over sections from the existing report")
    ] = False,
    torch_threads: Annotated[
        int,
        typer.Option(help="torch threads in this process (1: on a shared 2-core machine, 2 threads ran 8x slower)"),
    ] = 1,
    seed: int = 0,
    quiet: Annotated[bool, typer.Option("--quiet")] = False,
    render_only: Annotated[
        bool,
        typer.Option(
            "--render-only", help="rewrite the markdown and plots from the existing JSON report; measure nothing"
        ),
    ] = False,
) -> dict | BenchConfig:
    """Benchmarks (retrieval, recommendation, explanation, LLM throughput, training); --quick for CI.

    Writes eval/reports/bench{,_quick}.{json,md,png}."""
    cfg: dict[str, Any] = {
        "quick": quick,
        "start_vllm": start_vllm,
        "vllm_url": vllm_url,
        "vllm_model": vllm_model,
        "out_dir": out_dir,
        "merge": not no_merge,
        "seed": seed,
        "progress": not quiet,
        "torch_threads": torch_threads,
        "render_only": render_only,
    }
    if quick:
        cfg.update(
            only=list(QUICK_SECTIONS),
            sizes=[10_000],
            queries=30,
            max_real=3_000,
            embed_budget_s=20.0,
            case_timeout_s=180.0,
            query_budget_s=10.0,
            recommend_n=5,
            recommend_budget_s=20.0,
            explain_backends=["deterministic"],
            explain_n=5,
            explain_llm_n=1,
            train_steps=2,
            train_batch=2,
            levels=[1, 4],
        )
    try:
        overrides = {
            "only": _csv(only) if only else None,
            "sizes": _csv(sizes, int) if sizes else None,
            "queries": queries,
            "max_real": max_real,
            "embed_budget_s": embed_budget,
            "case_timeout_s": case_timeout,
            "query_budget_s": query_budget,
            "retrieval_backends": _csv(retrieval_backends) if retrieval_backends else None,
            "recommend_n": recommend_n,
            "explain_n": explain_n,
            "explain_llm_n": explain_llm_n,
            "explain_backends": _csv(explain_backends) if explain_backends else None,
            "llm_backends": _csv(llm_backends) if llm_backends else None,
            "levels": _csv(levels, int) if levels else None,
            "max_tokens": max_tokens,
            "train_methods": _csv(train_methods) if train_methods else None,
            "train_steps": train_steps,
            "train_batch": train_batch,
            "runtimes_n": runtimes_n,
        }
    except ValueError as exc:  # --sizes or --levels that are not integers
        raise typer.BadParameter(str(exc)) from None
    cfg.update({k: v for k, v in overrides.items() if v is not None})
    config = BenchConfig(**cfg)
    unknown = [s for s in config.only if s not in SECTIONS]
    if unknown:
        raise typer.BadParameter(
            f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}", param_hint="--only"
        )
    bad = [b for b in config.retrieval_backends if b not in ("edge", "client_local")]
    if bad:
        raise typer.BadParameter(f"unknown retrieval backend(s) {', '.join(bad)}", param_hint="--retrieval-backends")
    if any(n < 100 for n in config.sizes):
        raise typer.BadParameter("each must be at least 100", param_hint="--sizes")
    if (ctx.obj or {}).get("parse_only"):
        return config
    return run_bench(config, command_line(ctx))


def parse_args(argv: list[str] | None) -> BenchConfig:
    """The :class:`BenchConfig` that ``waypoint bench ARGV`` would run (bad arguments exit 2, as there)."""
    return run_command(cli, argv, "waypoint bench", obj={"parse_only": True})


def _guard(name: str, fn: Callable[[], dict], progress: bool) -> dict:
    """Run one section; an exception becomes ``{"status": "error", ...}`` so the others still run."""
    started = time.perf_counter()
    if progress:
        print(f"== bench: {name} (load {load_now()['load1']})", file=sys.stderr, flush=True)
    try:
        out = fn()
        out.setdefault("status", "ok")
    except Exception as exc:  # noqa: BLE001
        log.error("bench section %s failed: %s", name, exc)
        out = {
            "status": "error",
            "reason": f"{type(exc).__name__}: {exc}"[:500],
            "traceback": traceback.format_exc()[-2000:],
        }
    out["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    out["section_s"] = round(time.perf_counter() - started, 1)
    return out


def _vllm_server(config: BenchConfig, settings, notes: list[str]):
    """(base_url, server or None, how) for the LLM sections; raises when neither flag gives one."""
    from eval.bench.vllm_server import VLLMServer, reachable

    if config.vllm_url:
        if not reachable(config.vllm_url, config.vllm_model):
            raise RuntimeError(f"--vllm-url {config.vllm_url} does not serve {config.vllm_model!r}")
        return config.vllm_url, None, f"existing server at {config.vllm_url}"
    if config.start_vllm:
        from app.llm.model_files import ensure_smollm2

        server = VLLMServer(model_dir=ensure_smollm2(settings), served_name=config.vllm_model).__enter__()
        notes.append(f"vLLM (CPU, .venv-vllm, scripts/vllm_serve.sh defaults) started in {server.startup_s} s")
        return server.base_url, server, f"started by the bench on port {server.port} (scripts/vllm_serve.sh)"
    raise RuntimeError("no vLLM server: pass --start-vllm or --vllm-url")


def run(config: BenchConfig) -> dict[str, Any]:

    from retrieval.settings import get_settings

    set_process_threads(max(1, config.torch_threads))
    base = get_settings()
    max_tokens = config.max_tokens or base.llm_max_new_tokens
    settings = base.model_copy(update={"llm_timeout_s": 900.0, "llm_max_retries": 0})
    sections: dict[str, dict] = {}
    P = config.progress

    if "retrieval" in config.only:
        from eval.bench import retrieval

        sections["retrieval"] = _guard(
            "retrieval",
            lambda: retrieval.run(
                settings,
                sizes=config.sizes,
                n_queries=config.queries,
                max_real=config.max_real,
                embed_budget_s=config.embed_budget_s,
                case_timeout_s=config.case_timeout_s,
                query_budget_s=config.query_budget_s,
                backends=config.retrieval_backends,
                seed=config.seed,
                progress=P,
            ),
            P,
        )

    if "recommend" in config.only:
        from eval.bench.latency import recommend_latency, server_first_request

        def recommend_section() -> dict:
            # the server first: this process must not hold the embedded vector store when it starts
            try:
                server = server_first_request(settings)
            except Exception as exc:  # noqa: BLE001 - reported in the section, the rest still runs
                server = {"status": "error", "reason": f"{type(exc).__name__}: {exc}"[:300]}
            if P:
                print(
                    f"bench server start: {server.get('status')} ready {server.get('ready_s')} s, first recommend "
                    f"{server.get('first_recommend_ms')} ms, first explain {server.get('first_explain_ms')} ms",
                    flush=True,
                )
            return {
                **recommend_latency(settings, n=config.recommend_n, budget_s=config.recommend_budget_s, progress=P),
                "server_start": server,
            }

        sections["recommend"] = _guard("recommend", recommend_section, P)

    local_explain = [b for b in config.explain_backends if b not in ("openai", "vllm")]
    if "explain" in config.only and local_explain:
        from eval.bench.latency import explain_latency

        sections["explain"] = _guard(
            "explain",
            lambda: explain_latency(
                settings, backends=local_explain, n_fast=config.explain_n, n_llm=config.explain_llm_n, progress=P
            ),
            P,
        )

    llm_requests: list | None = None
    if "llm" in config.only:

        def llm_local() -> dict:
            nonlocal llm_requests
            from eval.bench.llm_throughput import TransformersRunner, explanation_requests, run_levels

            llm_requests = explanation_requests(settings, max(max(config.levels), 2))
            out: dict[str, Any] = {
                "prompts": len(llm_requests),
                "max_tokens": max_tokens,
                "levels": config.levels,
                "rows": [],
                "notes": [],
            }
            if "transformers" in config.llm_backends:
                runner = TransformersRunner(settings)
                tok = runner.backend.tokenizer
                lengths = [
                    len(tok(runner.backend._render(m), add_special_tokens=False)["input_ids"]) for m, _ in llm_requests
                ]
                out["mean_prompt_tokens"] = round(sum(lengths) / len(lengths), 1)
                out["rows"] += run_levels(runner, llm_requests, config.levels, max_tokens, P)
            return out

        sections["llm"] = _guard("llm (transformers)", llm_local, P)

    want_vllm_llm = "llm" in config.only and "vllm" in config.llm_backends and sections["llm"].get("status") == "ok"
    want_vllm_explain = "explain" in config.only and any(b in ("openai", "vllm") for b in config.explain_backends)
    if want_vllm_llm or want_vllm_explain:
        notes: list[str] = []
        server = None
        try:
            base_url, server, how = _vllm_server(config, settings, notes)
        except Exception as exc:  # noqa: BLE001
            base_url, how = None, f"skipped: {exc}"[:400]
        try:
            if want_vllm_llm:
                sec = sections["llm"]
                sec.setdefault("vllm", {})["how"] = how
                sec["notes"] += notes
                if base_url:

                    def llm_vllm() -> dict:
                        from eval.bench.llm_throughput import VLLMRunner, run_levels

                        runner = VLLMRunner(settings, base_url, config.vllm_model)
                        try:
                            return {"rows": run_levels(runner, llm_requests, config.levels, max_tokens, P)}
                        finally:
                            runner.close()

                    res = _guard("llm (vllm)", llm_vllm, P)
                    if res.get("status") == "ok":
                        sec["rows"] += res["rows"]
                    else:
                        sec["notes"].append(f"vLLM run failed: {res.get('reason')}")
            if want_vllm_explain:
                sec = sections.setdefault("explain", {"status": "ok", "backends": {}})
                if base_url:
                    from eval.bench.latency import explain_latency

                    served = settings.model_copy(
                        update={"llm_base_url": base_url, "llm_model_name": config.vllm_model, "llm_adapter": ""}
                    )
                    res = _guard(
                        "explain (openai/vLLM)",
                        lambda: explain_latency(
                            served, backends=["openai"], n_fast=config.explain_n, n_llm=config.explain_llm_n, progress=P
                        ),
                        P,
                    )
                    sec.setdefault("backends", {}).update(
                        res.get("backends")
                        or {"openai": {"status": "error", "reason": res.get("reason"), **load_now()}}
                    )
                else:
                    sec.setdefault("backends", {})["openai"] = {"status": "skipped", "reason": how, **load_now()}
        finally:
            if server is not None:
                server.stop()
    if "llm" in config.only and sections["llm"].get("status") == "ok":
        from eval.bench.llm_throughput import summarise

        sections["llm"]["ratios"] = summarise(sections["llm"]["rows"])

    if "training" in config.only:

        def training_section() -> dict:
            from eval.bench.training import cross_encoder_throughput, preference_examples, trl_throughput

            rows = []
            examples = None
            for method in config.train_methods:
                try:
                    if method == "cross-encoder":
                        rows.append(cross_encoder_throughput(steps=max(3, config.train_steps), batch=8))
                    else:
                        if examples is None:
                            examples = preference_examples(settings, 8)
                        rows.append(
                            trl_throughput(
                                settings, method, examples, steps=config.train_steps, batch=config.train_batch
                            )
                        )
                except Exception as exc:  # noqa: BLE001
                    rows.append(
                        {
                            "method": method,
                            "status": "error",
                            "reason": f"{type(exc).__name__}: {exc}"[:300],
                            **load_now(),
                        }
                    )
                if P:
                    r = rows[-1]
                    print(
                        f"bench training {method}: {r.get('status')} {r.get('samples_per_s')} samples/s "
                        f"{r.get('reason', '')}",
                        flush=True,
                    )
            return {"rows": rows}

        sections["training"] = _guard("training", training_section, P)

    if "runtimes" in config.only:

        def runtimes_section() -> dict:
            from eval.bench import runtimes

            data = runtimes.run(
                settings,
                n=config.runtimes_n,
                threads=max(1, config.torch_threads),
                out_dir=Path(config.out_dir) if config.out_dir else None,
                progress=P,
            )
            keep = ("requests", "max_new_tokens", "threads", "reference", "configs", "failed", "summary", "verdict")
            return {"report": "bench_runtimes.md", **{k: data[k] for k in keep}}

        sections["runtimes"] = _guard("runtimes", runtimes_section, P)
    return sections


def main(argv: list[str] | None = None) -> dict:
    """``waypoint bench [--quick] [--only ...]`` on ``argv``; returns the report data (also written to disk)."""
    return run_command(cli, argv, "waypoint bench")


def run_bench(config: BenchConfig, command: str) -> dict:
    """Run the configured sections and write the report; ``command`` is how the run was asked for."""
    from eval.bench.report import markdown, plots

    if config.render_only:
        return render(Path(config.out_dir) if config.out_dir else REPORT_DIR, config.report_name)
    set_process_threads(max(1, config.torch_threads))  # before machine_info() records it
    started = time.perf_counter()
    machine = machine_info()
    sections = run(config)
    out_dir = Path(config.out_dir) if config.out_dir else REPORT_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = out_dir / f"{config.report_name}.json"
    carried: list[str] = []
    if config.merge and set(config.only) != set(SECTIONS) and previous.is_file():
        try:
            old = json.loads(previous.read_text()).get("sections", {})
        except (OSError, ValueError):
            old = {}
        for name, sec in old.items():
            if name not in sections and name in SECTIONS:
                sections[name] = sec
                carried.append(name)
    sections = {name: sections[name] for name in SECTIONS if name in sections}
    data: dict[str, Any] = {
        "command": command,
        "config": config.model_dump(),
        "machine": machine,
        "load_at_end": load_now(),
        "seconds": round(time.perf_counter() - started, 1),
        "carried_over": carried,
        "sections": sections,
    }
    title = "Waypoint benchmarks" + (" (quick)" if config.quick else "")
    pngs = plots(data, out_dir, config.report_name)
    data["plots"] = [Path(p).name for p in pngs]
    gpu_path = out_dir / "bench_gpu.json"
    gpu = json.loads(gpu_path.read_text()) if gpu_path.is_file() and not config.quick else None
    md = markdown(data, title, pngs, gpu)
    if carried:
        md += f"\n\nSections carried over from the previous report: {', '.join(carried)}.\n"
    json_path, md_path = write_report(config.report_name, data, md, out_dir)
    if config.progress:
        print(f"bench: wrote {json_path} and {md_path} in {data['seconds']} s", file=sys.stderr)
    return data


def render(out_dir: Path, name: str) -> dict:
    """Markdown and plots again from ``<name>.json`` (e.g. after adding ``bench_gpu.json`` beside it)."""
    from eval.bench.report import markdown, plots

    path = out_dir / f"{name}.json"
    if not path.is_file():
        raise SystemExit(f"error: no report to render at {path}")
    data = json.loads(path.read_text())
    gpu_path = out_dir / "bench_gpu.json"
    gpu = json.loads(gpu_path.read_text()) if gpu_path.is_file() and name == "bench" else None
    pngs = plots(data, out_dir, name)
    md = markdown(data, "Waypoint benchmarks" + (" (quick)" if name.endswith("quick") else ""), pngs, gpu)
    if data.get("carried_over"):
        md += f"\n\nSections carried over from the previous report: {', '.join(data['carried_over'])}.\n"
    (out_dir / f"{name}.md").write_text(md.rstrip() + "\n")
    return data


if __name__ == "__main__":  # pragma: no cover
    cli(prog_name="python -m eval.bench.main")
