"""``waypoint eval recommend``: similar occupations vs O*NET Related Occupations.

Cross-validation grouped by source occupation (each source's 20 related rows stay together).
Systems side by side: BM25 over title+description+tasks, MiniLM dense, the label-free z-score
fusion, and the full system (LambdaRank with the BM25 floor check). The learning curve retrains
the full system on 0/10/25/50/100 % of each training fold's labelled sources and checks that it
never falls below BM25. Also reported: candidate recall@150 and catalogue coverage of the top 10.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Literal, get_args

import numpy as np
import typer
from tqdm.auto import tqdm

from app.clikit import command_typer, run
from retrieval.metrics import summarize
from retrieval.occupations import ranker as R
from retrieval.occupations.features import label_features
from retrieval.occupations.service import ranker_inputs
from retrieval.reports import REPORT_DIR, markdown_table, save_figure, write_report
from retrieval.settings import get_settings

FRACTIONS = (0.0, 0.1, 0.25, 0.5, 1.0)
CrossEncoderMode = Literal["auto", "per-fold", "saved", "off"]
CE_MODES = get_args(CrossEncoderMode)
BASELINES = {"bm25": "bm25_full", "dense": "dense_full", "fusion": "fusion"}


def _baseline_runs(corpus, content, queries, feature: str, k: int = 150) -> dict[str, list[str]]:
    rows = np.array([corpus.index[q] for q in queries])
    score = content[feature][rows].copy()
    score[np.arange(len(rows)), rows] = -np.inf
    order = np.argsort(-score, axis=1, kind="stable")[:, :k]
    return {q: [corpus.ids[j] for j in row] for q, row in zip(queries, order)}


def _coverage(runs: dict[str, list[str]], n: int, k: int = 10) -> float:
    return len({i for r in runs.values() for i in r[:k]}) / n


def evaluate(
    folds: int = 5,
    fractions=FRACTIONS,
    rounds: int = R.NUM_ROUNDS,
    seed: int = 0,
    floor_check: bool = True,
    cross_encoder: str = "auto",
    ce_pairs: int = 3000,
) -> dict:
    """``cross_encoder`` adds the stage-2 rerank row: ``per-fold`` trains a cross-encoder on each
    fold's training labels (``ce_pairs`` pairs; ~6 min a fold on 2 cores) and reranks every held-out
    query; ``saved`` uses the trained model on its own validation sources only; ``auto`` = ``saved``
    when one is trained; ``off``."""
    from retrieval.rerankers.cross_encoder import cross_encoder_available

    settings = get_settings()
    if cross_encoder not in CE_MODES:
        raise ValueError(f"cross_encoder must be one of {CE_MODES}")
    if cross_encoder == "auto":
        cross_encoder = "saved" if cross_encoder_available(settings) else "off"
    fold_groups: list = []
    ce_train_s: list[float] = []
    corpus, content, labels = ranker_inputs(settings)
    queries = sorted(labels)
    outer = R.folds(queries, folds, seed=seed)

    systems: dict[str, dict] = {}
    for name, feature in BASELINES.items():
        runs = _baseline_runs(corpus, content, queries, feature)
        systems[name] = {**summarize(runs, labels), "coverage@10": _coverage(runs, len(corpus))}

    curve: dict[float, dict[str, list[str]]] = {f: {} for f in fractions}
    selections: dict[float, list] = {f: [] for f in fractions}
    cand_recall = []
    rng = np.random.default_rng(seed)
    steps = [(i, f) for i in range(folds) for f in fractions]
    for fold_i, fraction in tqdm(steps, desc="eval recommend (folds × label fractions)"):
        held = outer[fold_i]
        train_sources = [q for q in queries if q not in set(held)]
        keep = sorted(rng.permutation(train_sources)[: int(round(fraction * len(train_sources)))].tolist())
        train = {q: labels[q] for q in keep}
        model = R.OccupationRanker.fit(corpus, content, train, floor_check=floor_check, rounds=rounds)
        selections[fraction].append({"mode": model.mode, **model.selection})
        curve[fraction].update(model.rank_many(corpus, content, held, k=150))
        if cross_encoder == "per-fold" and fraction == fractions[-1]:
            from retrieval.rerankers.cross_encoder import RerankerConfig, train_occupation_cross_encoder

            t0 = time.perf_counter()
            fold_ce = train_occupation_cross_encoder(train, RerankerConfig(max_pairs=ce_pairs), settings=settings)
            ce_train_s.append(round(time.perf_counter() - t0, 1))
            fold_groups += stage2_groups(fold_ce, curve[fraction], held, labels, settings.rerank_top_k)
        if fraction == 1.0:
            extra = label_features(corpus, train, content)
            rows = np.array([corpus.index[q] for q in held])
            cands = R.candidates(content, extra, rows)
            for q, row in zip(held, cands):
                cand_recall.append(len({corpus.ids[j] for j in row} & set(labels[q])) / len(labels[q]))

    learning_curve = []
    for fraction in fractions:
        metrics = summarize(curve[fraction], labels)
        learning_curve.append(
            {
                "fraction": fraction,
                **metrics,
                "coverage@10": _coverage(curve[fraction], len(corpus)),
                "modes": [s["mode"] for s in selections[fraction]],
            }
        )
    systems["full"] = {k: v for k, v in learning_curve[-1].items() if k not in ("fraction", "modes")}
    bm25 = systems["bm25"]["ndcg@10"]
    stage2 = None
    if cross_encoder == "saved":
        stage2 = cross_encoder_stage(curve[fractions[-1]], labels, settings)
    elif cross_encoder == "per-fold" and fold_groups:
        from retrieval.rerankers.stage2 import cross_fitted

        stage2 = {
            "mode": "per-fold",
            **cross_fitted(fold_groups, k=10),
            "train_s": ce_train_s,
            "pairs_per_fold": ce_pairs,
        }
    return {
        **({"cross_encoder": stage2} if stage2 else {}),
        "folds": folds,
        "queries": len(queries),
        "rounds": rounds,
        "candidates": R.CANDIDATES,
        "systems": systems,
        "learning_curve": learning_curve,
        "candidate_recall@150": float(np.mean(cand_recall)) if cand_recall else None,
        "never_below_bm25": all(p["ndcg@10"] >= bm25 for p in learning_curve),
        "selections": {str(f): s for f, s in selections.items()},
    }


def stage2_groups(model, runs: dict[str, list[str]], queries: list[str], labels: dict, top_k: int) -> list:
    """Cross-encoder scores of each query's top ``top_k`` (one batch), as stage-2 groups."""
    from retrieval.rerankers.stage2 import Group, position_score

    tops = {q: runs[q][:top_k] for q in queries}
    ce = model.score_occupation_pairs([q for q in queries for _ in tops[q]], [c for q in queries for c in tops[q]])
    groups, at = [], 0
    for q in queries:
        n = len(tops[q])
        groups.append(Group(q, list(runs[q]), position_score(n), ce[at : at + n], labels[q]))
        at += n
    return groups


def cross_encoder_stage(runs: dict[str, list[str]], labels: dict, settings) -> dict | None:
    """The saved cross-encoder reranking the full system's out-of-fold top ``rerank_top_k``.

    Only on the sources the cross-encoder never saw labels of (its validation sources, saved with it
    by ``waypoint train reranker``); the weight is cross-fitted over those sources."""
    from retrieval.rerankers.cross_encoder import get_cross_encoder
    from retrieval.rerankers.stage2 import cross_fitted

    model = get_cross_encoder(settings)
    held = [q for q in model.meta.get("val_sources", []) if q in runs and q in labels]
    if not held:
        return None
    t0 = time.perf_counter()
    out = {"mode": "saved", **cross_fitted(stage2_groups(model, runs, held, labels, settings.rerank_top_k), k=10)}
    out.update(
        score_s=round(time.perf_counter() - t0, 1),
        train_meta={k: model.meta.get(k) for k in ("pairs", "occupation_pairs", "job_pairs", "steps", "validation")},
    )
    return out


def plot_learning_curve(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [p["fraction"] * 100 for p in result["learning_curve"]]
    ys = [p["ndcg@10"] for p in result["learning_curve"]]
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    ax.plot(xs, ys, marker="o", label="full system (LambdaRank + floor)")
    for name, style in (("bm25", "--"), ("dense", ":"), ("fusion", "-.")):
        ax.axhline(
            result["systems"][name]["ndcg@10"],
            linestyle=style,
            color="grey" if name == "bm25" else None,
            label=f"{name} ({result['systems'][name]['ndcg@10']:.3f})",
        )
    save_figure(
        fig,
        ax,
        path,
        title="Similar occupations: learning curve",
        xlabel="% of training labels (Related Occupations sources)",
        ylabel="NDCG@10 (grouped CV)",
    )


def render(result: dict) -> str:
    cols = ["system", "ndcg@10", "recall@10", "mrr", "map@10", "coverage@10"]
    rows = [{"system": k, **v} for k, v in result["systems"].items()]
    curve_cols = ["fraction", "ndcg@10", "recall@10", "mrr", "map@10", "modes"]
    curve = [{**p, "modes": ",".join(p["modes"])} for p in result["learning_curve"]]
    return "\n\n".join(
        [
            "# Similar occupations vs O*NET Related Occupations",
            f"{result['folds']}-fold cross-validation grouped by source occupation, {result['queries']} labelled "
            f"sources (tiers graded 3/2/1, NDCG gain 2^rel−1). Candidates: top {result['candidates']} of the fusion "
            f"plus reverse links; candidate recall@150 = {result['candidate_recall@150']:.3f}.",
            markdown_table(rows, cols),
            "## Learning curve (the BM25 floor)",
            f"Never below BM25: **{result['never_below_bm25']}**. `modes` is the scorer each fold's floor check chose "
            "(inner 3-fold CV on that fold's training labels).",
            markdown_table(curve, curve_cols),
            "![learning curve](recommend_occupations.png)",
            render_stage2(result.get("cross_encoder")),
        ]
    )


def render_stage2(ce: dict | None) -> str:
    if not ce:
        return "## Cross-encoder stage 2\n\nNot run: no trained cross-encoder (`waypoint train reranker`)."
    cols = ["ranking", "ndcg@10", "recall@10", "mrr", "map@10"]
    rows = [
        {"ranking": label, **ce[name]}
        for name, label in (
            ("stage1", "full system (LambdaRank)"),
            ("ce_only", f"cross-encoder alone on the top {ce['top_k']}"),
            ("stage2_cross_fitted", "full + cross-encoder (weight from the other half)"),
        )
    ]
    if ce.get("mode") == "per-fold":
        where = (
            f"On all {ce['queries']} sources, each reranked by a cross-encoder trained on its fold's training "
            f"labels only ({ce['pairs_per_fold']} pairs, {sum(ce['train_s']):.0f} s of training in all), "
        )
    else:
        where = f"On the {ce['queries']} sources whose labels the cross-encoder never saw (its validation sources), "
    return "\n\n".join(
        [
            "## Cross-encoder stage 2",
            where + f"the full system's out-of-fold top {ce['top_k']} reranked by z(position) + w·z(cross-encoder). "
            f"w chosen per half: {ce['half_weights']}; on all: {ce['weight']} (`WAYPOINT_RERANK_WEIGHT_OCCUPATION`)."
            + (f" Scoring took {ce['score_s']} s." if "score_s" in ce else ""),
            markdown_table(rows, cols),
        ]
    )


cli = command_typer()


@cli.command("recommend")
def recommend_command(
    folds: int = 5,
    rounds: int = R.NUM_ROUNDS,
    quick: Annotated[bool, typer.Option("--quick", help="3 folds, 0/50/100 % labels, 150 rounds")] = False,
    out: Path | None = None,
    cross_encoder: Annotated[
        CrossEncoderMode,
        typer.Option(
            help="stage-2 row: per-fold = a cross-encoder trained on each fold's labels (~6 min a fold); "
            "saved = the trained one on its validation sources; auto = saved when trained"
        ),
    ] = "auto",
    ce_pairs: Annotated[int, typer.Option(help="training pairs per fold (per-fold mode)")] = 3000,
) -> dict:
    """Similar occupations vs O*NET Related Occupations: BM25, dense, fusion, full system, learning curve."""
    started = time.perf_counter()
    if quick:
        result = evaluate(
            folds=3, fractions=(0.0, 0.5, 1.0), rounds=150, cross_encoder=cross_encoder, ce_pairs=ce_pairs
        )
    else:
        result = evaluate(folds=folds, rounds=rounds, cross_encoder=cross_encoder, ce_pairs=ce_pairs)
    result["seconds"] = round(time.perf_counter() - started, 1)

    folder = out or REPORT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    plot_learning_curve(result, folder / "recommend_occupations.png")
    write_report("recommend_occupations", result, render(result), folder)
    print(json.dumps({k: result[k] for k in ("systems", "never_below_bm25", "candidate_recall@150")}, indent=2))
    return result


def main(argv: list[str] | None = None) -> dict:
    """``waypoint eval recommend`` on ``argv`` (for tests and scripts); returns the report data."""
    return run(cli, argv, "waypoint eval recommend")


if __name__ == "__main__":
    cli(prog_name="python -m eval.recommend_occupations")
