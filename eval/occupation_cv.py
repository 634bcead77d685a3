"""``waypoint eval occupation-cv``: the occupation ranker's CV estimate, per query, for paired comparisons.

Every decision on the occupation ranker is about differences of a few thousandths of NDCG@10, while
the choice of fold partition alone moves the 5-fold estimate by ~0.005. So this evaluation:

* runs K-fold CV grouped by source occupation over several fold **partitions** (seeds), the full
  system only (LambdaRank on every training label; the floor check and the learning curve are
  ``waypoint eval recommend``'s job), and keeps **NDCG@10 per (partition, query)**;
* compares two runs **paired** over those queries (``--baseline`` = an earlier run's JSON, e.g.
  before a feature change), with a bootstrap CI of the mean difference; the label-free fusion is
  always the in-run reference row;
* with several ``--folds`` values, shows how the estimate grows with the number of training
  sources: 5-fold trains on 4/5 of the 446 development sources, the shipped ranker on all of them,
  so a rising curve means the 5-fold figure understates the shipped system.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from tqdm.auto import tqdm

from app.clikit import MultiValueCommand, command_typer, run
from retrieval.metrics import ndcg_at_k
from retrieval.occupations import ranker as R
from retrieval.reports import REPORT_DIR, markdown_table, save_figure, write_report

NAME = "occupation_cv"


def cross_validate(
    corpus, content, labels, folds: int, partitions: int, rounds: int = R.NUM_ROUNDS, progress: tqdm | None = None
) -> dict:
    """NDCG@10 of the full system and of the fusion for each held-out query, keyed ``"p<seed>:<id>"``."""
    queries = sorted(labels)
    full: dict[str, float] = {}
    fusion: dict[str, float] = {}
    fusion_ranker = R.OccupationRanker(mode="fusion")
    train_sizes = []
    for seed in range(partitions):
        for held in R.folds(queries, folds, seed=seed):
            held_out = set(held)
            train = {q: labels[q] for q in queries if q not in held_out}
            train_sizes.append(len(train))
            model = R.OccupationRanker.fit(corpus, content, train, floor_check=False, rounds=rounds)
            ranked = model.rank_many(corpus, content, held, k=10)
            base = fusion_ranker.rank_many(corpus, content, held, k=10)
            for q in held:
                full[f"p{seed}:{q}"] = ndcg_at_k(ranked[q], labels[q])
                fusion[f"p{seed}:{q}"] = ndcg_at_k(base[q], labels[q])
            if progress is not None:
                progress.update()
    by_partition = [float(np.mean([v for k, v in full.items() if k.startswith(f"p{s}:")])) for s in range(partitions)]
    return {
        "folds": folds,
        "partitions": partitions,
        "train_sources": float(np.mean(train_sizes)),
        "ndcg@10": float(np.mean(list(full.values()))),
        "by_partition": by_partition,
        "vs_fusion": paired_difference(fusion, full),
        "per_query": full,
    }


def paired_difference(base: dict[str, float], new: dict[str, float], *, n_resamples: int = 5000, seed: int = 0) -> dict:
    """Mean of ``new - base`` over the keys both have, with a 95 % percentile bootstrap CI.

    Paired: each query is compared with itself, so the between-query spread (most of the variance)
    cancels; that is what makes differences of ~0.002 measurable on ~900 query evaluations.
    """
    keys = sorted(set(base) & set(new))
    if not keys:
        raise ValueError("the two runs have no (partition, query) in common: different folds or partitions?")
    diff = np.array([new[k] - base[k] for k in keys])
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(n_resamples, len(diff)))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return {
        "n": len(keys),
        "base": float(np.mean([base[k] for k in keys])),
        "new": float(np.mean([new[k] for k in keys])),
        "diff": float(diff.mean()),
        "ci95": [float(lo), float(hi)],
        "significant": bool(lo > 0 or hi < 0),
    }


def evaluate(folds: list[int], partitions: int, rounds: int, baseline: dict | None = None) -> dict:
    from retrieval.occupations.service import ranker_inputs

    corpus, content, labels = ranker_inputs()
    runs = []
    with tqdm(total=sum(folds) * partitions, desc="eval occupation-cv (fits)") as progress:
        for k in folds:
            run = cross_validate(corpus, content, labels, k, partitions, rounds, progress)
            old = (baseline or {}).get("runs", {}).get(str(k))
            if old is not None:
                run["vs_baseline"] = paired_difference(old["per_query"], run["per_query"])
            if runs:  # the same (partition, query) keys: the effect of training on more sources
                run["vs_fewest_folds"] = paired_difference(runs[0]["per_query"], run["per_query"])
            runs.append(run)
    return {"queries": len(labels), "rounds": rounds, "runs": {str(r["folds"]): r for r in runs}}


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = list(result["runs"].values())
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    xs = [r["train_sources"] for r in runs]
    for i, r in enumerate(runs):
        ax.scatter(
            [r["train_sources"]] * len(r["by_partition"]),
            r["by_partition"],
            color="grey",
            s=14,
            zorder=2,
            label="one fold partition" if i == 0 else None,
        )
    ax.plot(xs, [r["ndcg@10"] for r in runs], marker="o", zorder=3, label="mean over partitions")
    for x, r in zip(xs, runs):
        ax.annotate(f"{r['folds']}-fold", (x, r["ndcg@10"]), textcoords="offset points", xytext=(4, -12), fontsize=8)
    ax.axhline(0.85, linestyle="--", color="tab:red", label="target 0.85")
    ax.axvline(
        result["queries"],
        linestyle=":",
        color="tab:green",
        label=f"shipped ranker ({result['queries']} training sources)",
    )
    save_figure(
        fig,
        ax,
        path,
        title="Occupation ranker: CV estimate vs training-set size",
        xlabel="training sources per fold (of the development labels)",
        ylabel="NDCG@10 (grouped CV)",
    )


def _diff_cell(d: dict | None) -> str:
    if not d:
        return "–"
    return f"{d['diff']:+.4f} [{d['ci95'][0]:+.4f}, {d['ci95'][1]:+.4f}]"


def render(result: dict) -> str:
    rows = [
        {
            "folds": r["folds"],
            "train sources": f"{r['train_sources']:.0f}",
            "query evaluations": len(r["per_query"]),
            "ndcg@10": f"{r['ndcg@10']:.4f}",
            "per partition": " / ".join(f"{v:.4f}" for v in r["by_partition"]),
            "vs fusion": _diff_cell(r["vs_fusion"]),
            "vs fewest folds": _diff_cell(r.get("vs_fewest_folds")),
            "vs baseline": _diff_cell(r.get("vs_baseline")),
        }
        for r in result["runs"].values()
    ]
    cols = [
        "folds",
        "train sources",
        "query evaluations",
        "ndcg@10",
        "per partition",
        "vs fusion",
        "vs fewest folds",
        "vs baseline",
    ]
    return "\n\n".join(
        [
            "# Occupation ranker: cross-validated NDCG@10 per query",
            f"{result['queries']} labelled sources; K-fold CV grouped by source occupation over "
            f"{next(iter(result['runs'].values()))['partitions']} fold partition(s); LambdaRank, "
            f"{result['rounds']} rounds, every training label, no floor check. Differences are paired over "
            "(partition, query) with a 95 % bootstrap CI.",
            markdown_table(rows, cols),
            f"![CV estimate vs training-set size]({NAME}.png)",
        ]
    )


def _load_baseline(path: Path, folds: list[int]) -> dict:
    """An earlier run's JSON, checked before any fitting: it must hold a per-query run for one of ``folds``."""
    try:
        baseline = json.loads(path.read_text())
        runs = baseline["runs"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise typer.BadParameter(f"{path}: not an occupation_cv.json ({exc})", param_hint="--baseline") from None
    usable = [k for k in folds if "per_query" in runs.get(str(k), {})]
    if not usable:
        raise typer.BadParameter(
            f"{path} has runs for --folds {', '.join(runs)} only, none of {folds}", param_hint="--baseline"
        )
    return baseline


cli = command_typer()


@cli.command("occupation-cv", cls=MultiValueCommand)
def occupation_cv_command(
    folds: Annotated[list[int] | None, typer.Option(min=2, help="one or more K (e.g. 5 10 20)")] = None,
    partitions: Annotated[int, typer.Option(min=1, help="fold partitions (seeds 0..P-1)")] = 2,
    rounds: int = R.NUM_ROUNDS,
    baseline: Annotated[Path | None, typer.Option(help="an earlier run's occupation_cv.json")] = None,
    out: Path | None = None,
) -> dict:
    """Occupation ranker CV per query over fold partitions; paired diff vs --baseline; --folds 5 10 20."""
    fold_counts = folds or [5]
    previous = _load_baseline(baseline, fold_counts) if baseline else None
    started = time.perf_counter()
    result = evaluate(sorted(set(fold_counts)), partitions, rounds, previous)
    result["seconds"] = round(time.perf_counter() - started, 1)

    folder = out or REPORT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    plot(result, folder / f"{NAME}.png")
    write_report(NAME, result, render(result), folder)
    shown = ("train_sources", "ndcg@10", "by_partition", "vs_fusion", "vs_fewest_folds", "vs_baseline")
    print(json.dumps({k: {m: r[m] for m in shown if m in r} for k, r in result["runs"].items()}, indent=2))
    return result


def main(argv: list[str] | None = None) -> dict:
    """``waypoint eval occupation-cv`` on ``argv`` (for tests and scripts); returns the report data."""
    return run(cli, argv, "waypoint eval occupation-cv")


if __name__ == "__main__":
    cli(prog_name="python -m eval.occupation_cv")
