"""Next-job-view recommendation, leave-last-out on the development job-view log.

Protocol: for every applicant with ≥ 3 views in our log, the last view (by ``view_start``) is held
out; the ranker is trained on inner leave-last-out folds of the remaining views only (nested, no
leakage); Recall@20 / NDCG@20 / MRR over the held-out views.

Main setting (``catalogue=viewed``): only jobs viewed at least once in the training views can be
recommended. Our catalogue's jobs *are* the jobs of the log, so a job never viewed in training can
only be some applicant's held-out view — allowing it leaks the answer, and the hidden test cannot
contain such jobs either (they are missing from the released log). Held-out views of such jobs count
as misses, so the ceiling is the share of held-out jobs viewed in training (reported). The
``catalogue=all`` row shows the leaky variant for reference only.

Run: ``python -m eval.jobs [--quick]`` → ``eval/reports/jobs.{json,md,png}``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from app.clikit import command_typer, run as run_command
from retrieval.threads import set_process_threads

REPORT_DIR = Path(__file__).resolve().parent / "reports"

LABELS = {
    "popularity": "Popularity (distinct viewers)",
    "bm25_titles": "BM25 over earlier view titles",
    "bm25_title_company_city": "BM25 title+company+city of earlier views",
    "zblend_bm25_coview": "z-blend BM25(t+c+c) + co-view",
    "als": "implicit ALS",
    "hand_blend": "hand-weighted blend of all features",
    "ltr": "**Waypoint: candidates + LambdaRank**",
    "ltr_cross_encoder": "LambdaRank + cross-encoder stage 2 (cross-fitted weight)",
}
ORDER = [
    "popularity",
    "bm25_titles",
    "bm25_title_company_city",
    "zblend_bm25_coview",
    "als",
    "hand_blend",
    "ltr",
    "ltr_cross_encoder",
]


def run(quick: bool = False, show_progress: bool = True, cross_encoder: bool | None = None) -> dict:
    """``cross_encoder``: rerank with the trained cross-encoder (None = when one is trained)."""

    set_process_threads(1)
    from retrieval.catalogue.db import connect
    from retrieval.jobs.data import leave_last_out, load_log
    from retrieval.jobs.model import JobContent, JobRecConfig
    from retrieval.jobs.pipeline import MIN_VIEWS, evaluate_leave_last_out
    from retrieval.settings import get_settings

    settings = get_settings()
    conn = connect(settings.catalogue_path, readonly=True)
    log = load_log(conn)
    conn.close()
    train, test = leave_last_out(log.views, MIN_VIEWS)
    seen = {v.job_id for v in train}
    ceiling = sum(v.job_id in seen for v in test.values()) / max(1, len(test))
    hist = {}
    for v in train:
        hist.setdefault(v.applicant_id, set()).add(v.job_id)
    review = sum(v.job_id in hist.get(a, ()) for a, v in test.items()) / max(1, len(test))

    config = JobRecConfig(dense=not quick, inner_folds=1 if quick else 3)
    t0 = time.perf_counter()
    content = JobContent(log, dense=config.dense)
    content_s = time.perf_counter() - t0
    from retrieval.rerankers.cross_encoder import cross_encoder_available, get_cross_encoder

    if cross_encoder is None:
        cross_encoder = cross_encoder_available(settings) and not quick
    ce = get_cross_encoder(settings) if cross_encoder else None
    main = evaluate_leave_last_out(
        log, config, content=content, show_progress=show_progress, cross_encoder=ce, rerank_top_k=settings.rerank_top_k
    )
    leaky_cfg = JobRecConfig(**{**config.to_dict(), "restrict_to_viewed": False})
    leaky = evaluate_leave_last_out(log, leaky_cfg, content=content, baselines=False, show_progress=show_progress)
    report = {
        "protocol": "leave-last-out (applicants with >= 3 views), nested inner folds for the ranker",
        "views": len(log.views),
        "jobs": len(log),
        "applicants": len({v.applicant_id for v in log.views}),
        "test_queries": main["test_queries"],
        "ceiling_recall_viewed_catalogue": round(ceiling, 4),
        "share_last_view_is_review": round(review, 4),
        "content_build_s": round(content_s, 2),
        "main": main,
        "leaky_all_jobs_catalogue": {"ltr": leaky["methods"]["ltr"], "candidate_recall": leaky["candidate_recall"]},
    }
    write(report)
    return report


def write(report: dict) -> None:
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    (REPORT_DIR / "jobs.json").write_text(json.dumps(report, indent=2))
    main = report["main"]
    k = main["k"]
    rows = [f"| method | Recall@{k} | NDCG@{k} | MRR |", "|---|---:|---:|---:|"]
    for name in ORDER:
        m = main["methods"].get(name)
        if m:
            rows.append(
                f"| {LABELS.get(name, name)} | {m[f'recall@{k}']:.4f} | {m[f'ndcg@{k}']:.4f} | {m['mrr']:.4f} |"
            )
    lk = report["leaky_all_jobs_catalogue"]["ltr"]
    imp = list(main["importance"].items())[:10]
    md = f"""# Job recommendations: next job view (leave-last-out)

{report["test_queries"]} held-out last views (applicants with ≥ 3 views) out of {report["views"]:,} views of
{report["jobs"]:,} jobs by {report["applicants"]:,} applicants. The ranker is trained on inner leave-last-out
folds of the training views only ({main["ranker"].get("with_positive", 0)} training queries with the
held-out job among the candidates, {main["ranker"].get("rows", 0):,} rows).

Catalogue = jobs viewed at least once in training (a never-viewed job can only be a held-out target in
this log, and cannot be in the hidden test either). Ceiling (held-out job viewed in training):
**{report["ceiling_recall_viewed_catalogue"]:.3f}**. Share of last views that re-view a job the applicant
already viewed: **{report["share_last_view_is_review"]:.3f}** — so viewed jobs stay candidates.

{chr(10).join(rows)}

Candidate recall (held-out job among the candidates): {main["candidate_recall"]:.4f};
serving cost {main["eval_ms_per_query"]} ms/query (features + ranking, 1 thread); ranker training
{main["ranker"].get("fit_s")} s.

Leaky variant for reference only (every catalogue job may be recommended, including jobs known only
from held-out views): LambdaRank Recall@{k} {lk[f"recall@{k}"]:.4f}, NDCG@{k} {lk[f"ndcg@{k}"]:.4f}.

{_stage2_text(main)}
Top features by gain: {", ".join(f"{n} {g:.3f}" for n, g in imp)}.

![recall and ndcg](jobs.png)
"""
    (REPORT_DIR / "jobs.md").write_text(md)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        names = [n for n in ORDER if n in main["methods"]]
        rec = [main["methods"][n][f"recall@{k}"] for n in names]
        ndcg = [main["methods"][n][f"ndcg@{k}"] for n in names]
        fig, ax = plt.subplots(figsize=(9, 4))
        x = range(len(names))
        ax.bar([i - 0.2 for i in x], rec, width=0.4, label=f"Recall@{k}")
        ax.bar([i + 0.2 for i in x], ndcg, width=0.4, label=f"NDCG@{k}")
        ax.axhline(0.35, color="grey", ls="--", lw=1, label="target Recall 0.35")
        ax.axhline(report["ceiling_recall_viewed_catalogue"], color="red", ls=":", lw=1, label="ceiling")
        ax.set_xticks(list(x))
        ax.set_xticklabels([n.replace("_", "\n") for n in names], fontsize=8)
        ax.set_title("Next job view, leave-last-out")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(REPORT_DIR / "jobs.png", dpi=110)
        plt.close(fig)
    except Exception as exc:  # pragma: no cover - plotting is optional
        print(f"plot skipped: {exc}")


def _stage2_text(main: dict) -> str:
    ce = main.get("cross_encoder")
    if not ce:
        return "Cross-encoder stage 2: not run (no trained cross-encoder; `waypoint train reranker`).\n"
    k = main["k"]
    rows = [f"| ranking of the top {ce['top_k']} | Recall@{k} | NDCG@{k} | MRR |", "|---|---:|---:|---:|"]
    for name, label in (
        ("stage1", "LambdaRank"),
        ("ce_only", "cross-encoder alone"),
        ("stage2_cross_fitted", "LambdaRank + cross-encoder (weight from the other half)"),
    ):
        m = ce[name]
        rows.append(f"| {label} | {m[f'recall@{k}']:.4f} | {m[f'ndcg@{k}']:.4f} | {m['mrr']:.4f} |")
    return f"""Cross-encoder stage 2 on the LambdaRank top {ce["top_k"]} ({ce["pairs_scored"]:,} pairs scored in
{ce["score_s"]} s): weights chosen per half {ce["half_weights"]}, on all queries {ce["weight"]}
(`WAYPOINT_RERANK_WEIGHT_JOB`).

{chr(10).join(rows)}
"""


cli = command_typer()


@cli.command("jobs")
def jobs_command(
    quick: Annotated[bool, typer.Option("--quick", help="no dense features, one inner fold")] = False,
    cross_encoder: Annotated[
        bool | None,
        typer.Option(
            "--cross-encoder/--no-cross-encoder",
            help="rerank with the trained cross-encoder (default: when one is trained, not with --quick)",
        ),
    ] = None,
    cold_start: Annotated[
        bool,
        typer.Option("--cold-start", help="evaluate cold-start postings instead (waypoint eval jobs-cold-start)"),
    ] = False,
    max_applicants: Annotated[
        int | None, typer.Option(help="with --cold-start: evaluate the first N applicants only")
    ] = None,
) -> dict:
    """Next job view, leave-last-out: Recall@20 / NDCG@20 against popularity and BM25.

    With --cold-start: postings for people with no views (as `waypoint eval jobs-cold-start`)."""
    if cold_start:
        from eval.jobs_cold import jobs_cold_command

        return jobs_cold_command(max_applicants=max_applicants)
    if max_applicants is not None:
        raise typer.BadParameter("only with --cold-start", param_hint="--max-applicants")
    report = run(quick=quick, cross_encoder=cross_encoder)
    m = report["main"]["methods"]
    for name, v in m.items():
        print(f"{name:28s} recall@20={v['recall@20']:.4f} ndcg@20={v['ndcg@20']:.4f}")
    return report


def main(argv: list[str] | None = None) -> dict:
    """``waypoint eval jobs`` on ``argv`` (for tests and scripts); returns the report."""
    return run_command(cli, argv, "waypoint eval jobs")


if __name__ == "__main__":
    cli(prog_name="python -m eval.jobs")
