"""``waypoint eval explain``: explanation quality per backend on a fixed sample of real pairs.

Pairs: profiles from the catalogue's ``resume`` table (résumé text) and ``experience`` table (an
applicant's positions and descriptions), each with its top-3 recommended occupations
(:func:`retrieval.recommend.recommend`). The sample is fixed (ordered by id) so runs are comparable
(:mod:`retrieval.pairs`, shared with the golden training set, which takes the profiles after these).

Metrics (per backend; the LLM is scored on its *own* draft, even when the service then fell back):

* ``faithfulness`` -- supported claims / claims before the verifier dropped anything (mean per
  explanation) and ``claim_support`` (pooled over all claims);
* ``FMR`` -- share of explanations that mention all decisive matched skills (top-3 by importance),
  ``fmr_partial`` the mean share mentioned; a skill counts when kept as a verified matched skill or
  named in an accepted summary;
* ``FCR`` -- distinct skills mentioned across explanations / distinct matched skills available;
* ``USR`` -- unique sentences / sentences (summary + next steps);
* ``DIV`` -- mean pairwise overlap of mentioned-skill sets (lower = more diverse);
* length in words, latency p50/p95 (whole ``explain`` call, and the LLM call alone), fallbacks;
* what was understood of the person: ``nothing_matched`` -- share of explanations that found none of
  the person's skills ("your profile covers 0%"), ``occupation_known`` -- share with a current occupation
  (given, or named by their text) whose usual skills count as inferred.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from app.clikit import command_line, command_typer, run
from eval.bench import serve_explain
from eval.slips import check_text
from retrieval.pairs import DEFAULT_PAIRS, ITEM_SOURCE, sample_pairs
from retrieval.reports import REPORT_DIR, markdown_table, write_report
from retrieval.threads import set_process_threads

log = logging.getLogger(__name__)

DEFAULT_LLM_PAIRS = 24


_SENT = re.compile(r"(?<=[.!?])\s+")


def sentences(texts: list[str]) -> list[str]:
    return [s.strip().lower() for t in texts for s in _SENT.split(t or "") if s.strip()]


def score_one(trace, explanation, backend: str) -> dict[str, Any] | None:
    """Per-pair record scored on the generator's own draft (None if the LLM produced no draft)."""
    from app.explain.composer import compose, decisive
    from app.explain.verify import parse_draft, verify

    evidence = trace.evidence
    if backend == "deterministic":
        draft = compose(evidence, None)
        verified = verify(draft, evidence)
    else:
        if trace.raw_text is None or trace.llm_verified is None:
            return None
        draft = parse_draft(json.loads(trace.raw_text))
        verified = trace.llm_verified
    kept = {s.id for s, _ in verified.matched}
    summary_ok = not verified.summary_replaced
    text_parts = [draft.summary] + [s.text for s in draft.next_steps]
    mentioned = set(kept)
    if summary_ok:
        mentioned |= {s.id for s in evidence.matched if s.label.lower() in draft.summary.lower()}
    top = decisive(evidence)
    return {
        "faithfulness": verified.faithfulness,
        "provenance_errors": verified.provenance_errors,
        "claims": verified.claims,
        "supported": verified.supported,
        "decisive": [s.id for s in top],
        "fmr_all": (all(s.id in mentioned for s in top) if top else None),
        "fmr_share": (sum(s.id in mentioned for s in top) / len(top) if top else None),
        "mentioned": sorted(mentioned),
        "available": [s.id for s in evidence.matched],
        "sentences": sentences(text_parts),
        "words": sum(len(t.split()) for t in text_parts),
        "slips": [s.rule for t in text_parts for s in check_text(t)],  # eval/slips.py, on the draft's own text
        # the same matched skill or next step written twice in one draft (base SmolLM2 lists "SQL" five times;
        # the verifier keeps one, so faithfulness and FMR do not see it)
        "repeats": (
            len(draft.matched_skills)
            - len({m.skill for m in draft.matched_skills})
            + len(draft.next_steps)
            - len({st.text for st in draft.next_steps})
        ),
        "missing_listed": bool(draft.missing_skills) if evidence.missing else None,
        # what was understood of the person: no skill of theirs found at all ("covers 0%"), and whether the
        # occupation their usual skills came from was read from their text (skill_gap's said_occupation)
        "nothing_matched": not evidence.matched,
        "occupation_known": bool(evidence.occupation_title),
    }


def aggregate(
    records: list[dict], latencies: list[float], llm_latencies: list[float], n_pairs: int, fallbacks: list[str]
) -> dict[str, Any]:
    scored = [r for r in records if r is not None]
    out: dict[str, Any] = {"pairs": n_pairs, "scored": len(scored)}
    if scored:
        fmr = [r["fmr_all"] for r in scored if r["fmr_all"] is not None]
        share = [r["fmr_share"] for r in scored if r["fmr_share"] is not None]
        sents = [s for r in scored for s in r["sentences"]]
        sets = [set(r["mentioned"]) for r in scored]
        available = {s for r in scored for s in r["available"]}
        mentioned = set().union(*sets) if sets else set()
        overlaps = [len(a & b) for a, b in itertools.combinations(sets, 2)]
        out.update(
            {
                "faithfulness": round(float(np.mean([r["faithfulness"] for r in scored])), 4),
                "claim_support": round(
                    sum(r["supported"] for r in scored) / max(1, sum(r["claims"] for r in scored)), 4
                ),
                # "you have X" where X is only inferred from the occupation (app/explain/verify.py)
                "provenance_errors": sum(r["provenance_errors"] for r in scored),
                "FMR": round(float(np.mean(fmr)), 4) if fmr else None,
                "fmr_partial": round(float(np.mean(share)), 4) if share else None,
                "FCR": round(len(mentioned) / len(available), 4) if available else None,
                "USR": round(len(set(sents)) / len(sents), 4) if sents else None,
                "DIV": round(float(np.mean(overlaps)), 4) if overlaps else None,
                "length_words": round(float(np.mean([r["words"] for r in scored])), 1),
                "slips": sum(len(r["slips"]) for r in scored),
                "repeats": sum(r["repeats"] for r in scored),
                "missing_listed": (
                    round(float(np.mean(listed)), 4)
                    if (listed := [r["missing_listed"] for r in scored if r["missing_listed"] is not None])
                    else None
                ),
                "nothing_matched": round(float(np.mean([r["nothing_matched"] for r in scored])), 4),
                "occupation_known": round(float(np.mean([r["occupation_known"] for r in scored])), 4),
            }
        )
    if latencies:
        out["latency_p50_ms"] = round(float(np.percentile(latencies, 50)), 1)
        out["latency_p95_ms"] = round(float(np.percentile(latencies, 95)), 1)
    if llm_latencies:
        out["llm_latency_p50_ms"] = round(float(np.percentile(llm_latencies, 50)), 1)
        out["llm_latency_p95_ms"] = round(float(np.percentile(llm_latencies, 95)), 1)
    if latencies:  # written by the LLM: explained without falling back to the composer
        out["llm_share"] = round(1 - len(fallbacks) / len(latencies), 4)
    out["fallbacks"] = len(fallbacks)
    out["fallback_reasons"] = sorted({f.split(":")[0] for f in fallbacks})
    return out


def run_backend(backend: str, pairs, settings, progress: bool = True) -> tuple[dict, list[dict]]:
    from tqdm.auto import tqdm

    from app.explain.service import explain_traced

    records, latencies, llm_latencies, fallbacks, samples = [], [], [], [], []
    for profile, item_id in tqdm(pairs, desc=f"explain:{backend}", disable=not progress):
        started = time.perf_counter()
        try:
            explanation, trace = explain_traced(profile, item_id, backend=backend, settings=settings)
        except ValueError as exc:  # a pair the gap cannot handle (should not happen for recommended items)
            log.warning("skipping %s / %s: %s", profile.id, item_id, exc)
            continue
        latencies.append((time.perf_counter() - started) * 1000.0)
        if trace.llm_latency_ms is not None:
            llm_latencies.append(trace.llm_latency_ms)
        if explanation.fallback_reason:
            fallbacks.append(explanation.fallback_reason)
        rec = score_one(trace, explanation, backend)
        records.append(rec)
        if len(samples) < 5:
            samples.append(
                {
                    "profile": profile.id,
                    "item": item_id,
                    "summary": explanation.summary,
                    "next_steps": explanation.next_steps,
                    "faithfulness": explanation.faithfulness,
                    "raw": trace.raw_text,
                    "fallback_reason": explanation.fallback_reason,
                    "dropped": explanation.verification.dropped,
                }
            )
    return aggregate(records, latencies, llm_latencies, len(pairs), fallbacks), samples


def plot(results: dict[str, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = ["faithfulness", "FMR", "FCR", "USR"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.8 / max(1, len(results))
    for i, (name, r) in enumerate(results.items()):
        xs = np.arange(len(metrics)) + i * width
        axes[0].bar(xs, [r.get(m) or 0 for m in metrics], width, label=f"{name} (n={r.get('scored')})")
    axes[0].set_xticks(np.arange(len(metrics)) + width * (len(results) - 1) / 2, metrics)
    axes[0].set_ylim(0, 1.05)
    axes[0].set_title("explanation quality (higher is better)")
    axes[0].legend(fontsize=8)
    names = list(results)
    axes[1].bar(names, [results[n].get("latency_p50_ms", 0) / 1000 for n in names], label="p50")
    axes[1].bar(
        names,
        [(results[n].get("latency_p95_ms", 0) - results[n].get("latency_p50_ms", 0)) / 1000 for n in names],
        bottom=[results[n].get("latency_p50_ms", 0) / 1000 for n in names],
        alpha=0.5,
        label="p95",
    )
    axes[1].set_yscale("log")
    axes[1].set_ylabel("seconds per explanation")
    axes[1].set_title("latency")
    axes[1].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


cli = command_typer()


@cli.command("explain")
def explain_command(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="pairs for the deterministic composer")] = DEFAULT_PAIRS,
    backends: Annotated[
        str, typer.Option(help="comma-separated: deterministic, transformers, openai")
    ] = "deterministic,transformers",
    llm_limit: Annotated[int, typer.Option(help="pairs for LLM backends (slow on CPU)")] = DEFAULT_LLM_PAIRS,
    adapter: Annotated[
        str | None, typer.Option(help="LoRA adapter (dir for transformers, served name for openai)")
    ] = None,
    adapters: Annotated[
        str | None,
        typer.Option(
            help="compare LLM explainers on the same pairs: comma-separated adapters, 'base' = none, "
            "'default' = the settings' llm_adapter (the shipped adapter unless configured)"
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(help="LLM timeout per explanation, seconds (default: the serving setting, llm_timeout_s)"),
    ] = None,
    out_dir: str | None = None,
    quiet: Annotated[bool, typer.Option("--quiet")] = False,
    http: Annotated[
        bool,
        typer.Option(
            "--http",
            help="measure through a real `waypoint serve` instead: first streamed event, full explanation at "
            "each concurrency level, LLM share, faithfulness, provenance errors, slips (--configs, --levels, --pairs)",
        ),
    ] = False,
    configs: serve_explain.ConfigsOption = ",".join(serve_explain.DEFAULT_CONFIGS),
    levels: serve_explain.LevelsOption = ",".join(map(str, serve_explain.DEFAULT_LEVELS)),
    pairs_http: Annotated[int, typer.Option("--pairs", help="with --http: pairs explained at each level")] = (
        serve_explain.DEFAULT_PAIRS
    ),
) -> dict:
    """Explanation quality per backend: faithfulness, FMR, FCR, USR, DIV, length, latency.

    With --http, measured through a real `waypoint serve` instead (eval.bench.serve_explain). Writes eval/reports/explain.{json,md,png} (--http: explain_http); prints the results as JSON."""
    set_process_threads(1)
    if http:
        from retrieval.settings import get_settings

        data = serve_explain.run_http(
            get_settings(),
            configs=configs,
            levels=levels,
            pairs=pairs_http,
            out_dir=out_dir,
            quiet=quiet,
            command=command_line(ctx),
        )
        print(json.dumps(data["configs"], indent=2, default=str))
        return data
    from retrieval.settings import get_settings

    base = get_settings()
    settings = base.model_copy(
        update={
            "llm_timeout_s": timeout or base.llm_timeout_s,
            **({"llm_adapter": adapter} if adapter is not None else {}),
        }
    )
    started = time.perf_counter()
    pairs = sample_pairs(settings, max(limit, llm_limit))
    results: dict[str, dict] = {}
    samples: dict[str, list] = {}
    adapter_list = [a.strip() for a in adapters.split(",") if a.strip()] if adapters else ["default"]
    for backend in [b.strip() for b in backends.split(",") if b.strip()]:
        subset = pairs[:limit] if backend == "deterministic" else pairs[:llm_limit]
        for run_adapter in ["default"] if backend == "deterministic" else adapter_list:
            run_settings = (
                settings
                if run_adapter == "default"
                else settings.model_copy(update={"llm_adapter": "" if run_adapter == "base" else run_adapter})
            )
            name = backend
            if backend != "deterministic":
                from app.llm import get_backend

                try:
                    info = get_backend(backend, run_settings).info()
                    name = f"{backend}:{info['name']}" + (f"+{info['adapter']}" if info.get("adapter") else "")
                except Exception as exc:  # noqa: BLE001
                    log.warning("backend %s unavailable: %s", backend, exc)
            results[name], samples[name] = run_backend(backend, subset, run_settings, progress=not quiet)
    folder = Path(out_dir) if out_dir else None
    rows = [{"backend": n, **{k: v for k, v in r.items() if not isinstance(v, list)}} for n, r in results.items()]
    columns = [
        "backend",
        "pairs",
        "scored",
        "llm_share",
        "faithfulness",
        "claim_support",
        "FMR",
        "fmr_partial",
        "FCR",
        "USR",
        "DIV",
        "length_words",
        "provenance_errors",
        "slips",
        "repeats",
        "missing_listed",
        "nothing_matched",
        "occupation_known",
        "latency_p50_ms",
        "latency_p95_ms",
        "llm_latency_p50_ms",
        "fallbacks",
    ]

    png = (folder or REPORT_DIR) / "explain.png"
    png.parent.mkdir(parents=True, exist_ok=True)
    plot(results, png)
    md = [
        "# Explanation quality",
        "",
        f"Pairs: profiles from `resume` and `experience` × top-3 recommended occupations; "
        f"composer on {min(limit, len(pairs))} pairs, LLM backends on the first {min(llm_limit, len(pairs))}.",
        "Faithfulness is measured on the generator's own draft before the verifier drops anything; "
        "DIV is overlap (lower = more diverse). nothing_matched: explanations that found none of the person's "
        "skills; occupation_known: with a current occupation (given, or named by their text).",
        "",
        markdown_table(rows, columns),
        "",
        "![explain](explain.png)",
        "",
        "## Samples",
        "",
    ]
    for name, items in samples.items():
        md.append(f"### {name}")
        for s in items[:3]:
            md.append(
                f"- `{s['profile']}` → `{s['item']}` (faithfulness {s['faithfulness']}, fallback {s['fallback_reason']}): "
                f"{s['summary']}"
            )
        md.append("")
    import os

    data = {
        "pairs": len(pairs),
        "item_source": ITEM_SOURCE[0],
        "results": results,
        "samples": samples,
        "seconds": round(time.perf_counter() - started, 1),
        "timeout_s": settings.llm_timeout_s,
        "command": command_line(ctx),
        "load": [round(x, 2) for x in os.getloadavg()],
    }
    write_report("explain", data, "\n".join(md), folder)
    print(json.dumps(results, indent=2, default=str))
    return data


def main(argv: list[str] | None = None) -> dict:
    """``waypoint eval explain`` on ``argv`` (for tests and scripts); returns the report data."""
    return run(cli, argv, "waypoint eval explain")


if __name__ == "__main__":  # pragma: no cover
    cli(prog_name="python -m eval.explain")
