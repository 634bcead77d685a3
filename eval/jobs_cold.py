"""Cold-start job recommendation on the job-view log (issue 23, item 4): from an applicant's Experience and
Positions_Of_Interest rows alone (no views), Recall@20 / NDCG@10 of the postings they then viewed.

Protocol (``retrieval/jobs/cold_train.py``): every applicant with text and views is rendered as the text a
person would type, understood by ``understand()`` and ranked as a cold-start request is. Applicants are
split into 5 folds by a stable hash; a fold is scored with popularity computed WITHOUT its applicants'
views, by a LambdaRank model trained on the other folds' applicants only (nested: their popularity leaves
out their own fold and the evaluated one). Recommendable postings: those someone else viewed (a posting
only the evaluated applicant viewed exists in this log only because they viewed it). 95% bootstrap CIs
over applicants (1,000 resamples).

Run: ``waypoint eval jobs --cold-start`` (or ``python -m eval.jobs_cold``) →
``eval/reports/jobs_cold_start.{json,md,png}``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

REPORT_DIR = Path(__file__).resolve().parent / "reports"
NAME = "jobs_cold_start"
LABELS = {
    "bm25": "BM25: applicant text → posting title",
    "popularity": "Popularity (top 20 most viewed, leave-applicants-out)",
    "naive_blend": "Naive blend: z(BM25) + z(log popularity)",
    "popularity_place": "Popularity among people of the applicant's state/city",
    "hand_blend": "Hand-weighted blend (place + occupation + skills + popularity)",
    "hand_blend_fit": "**Waypoint as served: hand-weighted blend + experience fit filter**",
    "ltr": "LambdaRank over the same features (trained on the other folds)",
    "ltr_fit": "LambdaRank + experience fit filter",
}
ORDER = ["bm25", "popularity", "naive_blend", "popularity_place", "hand_blend", "hand_blend_fit", "ltr", "ltr_fit"]
TARGET_RATIO = 1.2


def _ci(values: np.ndarray, rng: np.random.Generator, n: int = 1000) -> tuple[float, float]:
    idx = rng.integers(0, len(values), size=(n, len(values)))
    means = values[idx].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def run(show_progress: bool = True, max_applicants: int | None = None, k: int = 20) -> dict:
    import torch

    torch.set_num_threads(1)
    from retrieval.catalogue.db import connect, get_meta
    from retrieval.jobs.cold_train import evaluate, load_cold_data, make_index, per_user_ndcg, per_user_recall
    from retrieval.jobs.data import load_log
    from retrieval.jobs.model import JobContent
    from retrieval.jobs.posting_links import build_links, load_links
    from retrieval.settings import get_settings

    settings = get_settings()
    conn = connect(settings.catalogue_path, readonly=True)
    t0 = time.perf_counter()
    log = load_log(conn)
    fingerprint = get_meta(conn, "fingerprint") or ""
    build_links(log, settings, fingerprint, show_progress=show_progress)  # loads the built file when present
    content = JobContent(log, dense=True)
    index = make_index(log, conn, load_links(settings, fingerprint), settings, content=content)
    data = load_cold_data(log, conn, index, settings, encode=content.encode, show_progress=show_progress,
                          max_applicants=max_applicants)
    conn.close()
    prep_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    out = evaluate(data, k=k, show_progress=show_progress)
    eval_s = time.perf_counter() - t1
    users = out["users"]
    rng = np.random.default_rng(0)
    methods = {}
    recalls = {}
    for name in ORDER:
        run_ = out["runs"].get(name)
        if not run_:
            continue
        r = per_user_recall(run_, data.relevant, users, k)
        n10 = per_user_ndcg(run_, data.relevant, users, 10)
        recalls[name] = r
        methods[name] = {f"recall@{k}": float(r.mean()), f"recall@{k}_ci95": _ci(r, rng),
                         "ndcg@10": float(n10.mean()), "ndcg@10_ci95": _ci(n10, rng)}
    # Served: the hand-weighted blend. The learned combination was preferred only if it measured better; on
    # this log it does not (the ltr rows), so the product serves the blend and the build trains no model.
    best = "hand_blend_fit"
    ratio = float(recalls[best].mean() / max(recalls["popularity"].mean(), 1e-9))
    idx = rng.integers(0, len(users), size=(1000, len(users)))
    ratios = recalls[best][idx].mean(axis=1) / np.maximum(recalls["popularity"][idx].mean(axis=1), 1e-9)
    linked = sum(1 for a in users if data.queries[a].occupations)
    placed = sum(1 for a in users if data.queries[a].place.known)
    seen_by_others = _ceiling(data, users)
    report = {
        "protocol": "leave-applicants-out, 5 folds by hash of applicant id; popularity and ranker without the "
                    "evaluated fold's applicants; recommendable = postings viewed by someone else",
        "applicants": len(users), "views_per_applicant": float(np.mean([len(data.relevant[a]) for a in users])),
        "postings": len(log), "k": k,
        "with_linked_occupation": linked, "with_place": placed, "ceiling_recall": seen_by_others,
        "candidate_recall": out["candidate_recall"], "hidden_by_fit_in_top_k": out["hidden_by_fit_in_top_k"],
        "methods": methods, "served": best,
        "ratio_to_popularity": ratio, "ratio_ci95": (float(np.percentile(ratios, 2.5)), float(np.percentile(ratios, 97.5))),
        "target_ratio": TARGET_RATIO, "target_met": ratio >= TARGET_RATIO,
        "importance": {n: round(g, 4) for n, g in list(out["importance"].items())[:12]},
        "prep_s": round(prep_s, 1), "eval_s": round(eval_s, 1),
        "examples": _examples(data, out, users[:200:40], k=5),
    }
    write(report)
    return report


def _ceiling(data, users) -> float:
    """Recall if every posting someone else viewed were found: the most any method can reach."""
    from retrieval.jobs.cold import popularity
    from retrieval.jobs.cold_train import fold_of

    vals = []
    by_fold: dict[int, list[str]] = {}
    for a in users:
        by_fold.setdefault(fold_of(a), []).append(a)
    for members in by_fold.values():
        pop = popularity(data.log, data.log.views, data.places, set(members))
        for a in members:
            rel = data.relevant[a]
            vals.append(sum(pop.users[data.log.job_index[j]] > 0 for j in rel) / len(rel))
    return float(np.mean(vals))


def _examples(data, out, users, k: int) -> list[dict]:
    lg = data.log
    rows = []
    for a in users:
        run_ = out["runs"]["hand_blend_fit"]
        rows.append({"applicant": a, "text": data.texts[a][:300],
                     "occupation": data.queries[a].occupations[:1], "place": data.queries[a].place.states[:1],
                     "viewed": [lg.titles[lg.job_index[j]] for j in sorted(data.relevant[a])][:5],
                     "recommended": [lg.titles[lg.job_index[j]] for j in run_.get(a, [])[:k]]})
    return rows


def write(report: dict) -> None:
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    (REPORT_DIR / f"{NAME}.json").write_text(json.dumps(report, indent=2))
    k = report["k"]
    rows = [f"| method | Recall@{k} [95% CI] | NDCG@10 [95% CI] |", "|---|---:|---:|"]
    for name in ORDER:
        m = report["methods"].get(name)
        if m:
            lo, hi = m[f"recall@{k}_ci95"]
            nlo, nhi = m["ndcg@10_ci95"]
            rows.append(f"| {LABELS[name]} | {m[f'recall@{k}']:.3f} [{lo:.3f}, {hi:.3f}] | "
                        f"{m['ndcg@10']:.3f} [{nlo:.3f}, {nhi:.3f}] |")
    lo, hi = report["ratio_ci95"]
    ex = "\n".join(f"* {e['text'].splitlines()[0][:90]} … → {'; '.join(e['recommended'][:3])[:160]} "
                   f"(viewed: {'; '.join(e['viewed'][:2])[:100]})" for e in report["examples"])
    md = f"""# Cold-start job recommendation (job-view log, leave-applicants-out)

{report['applicants']} applicants with Experience or Positions_Of_Interest rows and views
({report['views_per_applicant']:.2f} distinct viewed postings each) out of {report['postings']:,} postings.
Each applicant is rendered as the text a person would type, understood by `understand()` and ranked as a
cold-start request is (no views of theirs). {report['with_linked_occupation']} got a linked O*NET occupation,
{report['with_place']} a place (city/state).

Protocol: {report['protocol']}. Ceiling (share of viewed postings someone else also viewed):
**{report['ceiling_recall']:.3f}**; candidate recall {report['candidate_recall']:.3f}.

{chr(10).join(rows)}

Served method / popularity: **{report['ratio_to_popularity']:.2f}×** (95% CI {lo:.2f}–{hi:.2f}); target
≥ {report['target_ratio']}× — **{'met' if report['target_met'] else 'NOT met'}**. The fit filter hid
{report['hidden_by_fit_in_top_k']} postings from top-{k} lists (internships for experienced people, senior or
director roles for beginners).

Top features by gain (mean over folds): {', '.join(f'{n} {g:.3f}' for n, g in report['importance'].items())}.

Examples (served method):
{ex}

Prepared in {report['prep_s']} s (linking, understanding, features), evaluated in {report['eval_s']} s.

![recall and ndcg]({NAME}.png)
"""
    (REPORT_DIR / f"{NAME}.md").write_text(md)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        names = [n for n in ORDER if n in report["methods"]]
        fig, ax = plt.subplots(figsize=(10, 4.2))
        x = np.arange(len(names))
        for off, key, label in ((-0.2, f"recall@{k}", f"Recall@{k}"), (0.2, "ndcg@10", "NDCG@10")):
            vals = [report["methods"][n][key] for n in names]
            err = np.array([[v - report["methods"][n][f"{key}_ci95"][0], report["methods"][n][f"{key}_ci95"][1] - v]
                            for n, v in zip(names, vals)]).T
            ax.bar(x + off, vals, width=0.4, yerr=err, capsize=3, label=label)
        pop = report["methods"]["popularity"][f"recall@{k}"]
        ax.axhline(TARGET_RATIO * pop, color="grey", ls="--", lw=1, label=f"target {TARGET_RATIO}× popularity")
        ax.axhline(report["ceiling_recall"], color="red", ls=":", lw=1, label="ceiling")
        ax.set_xticks(x)
        ax.set_xticklabels([n.replace("_", "\n") for n in names], fontsize=8)
        ax.set_title("Cold-start postings: applicants' rows only, leave-applicants-out")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(REPORT_DIR / f"{NAME}.png", dpi=110)
        plt.close(fig)
    except Exception as exc:  # pragma: no cover - plotting is optional
        print(f"plot skipped: {exc}")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-applicants", type=int, default=None, help="evaluate the first N applicants only")
    args = parser.parse_args(argv)
    report = run(max_applicants=args.max_applicants)
    for name, m in report["methods"].items():
        recall = m[f"recall@{report['k']}"]
        print(f"{name:18s} recall@{report['k']}={recall:.4f} ndcg@10={m['ndcg@10']:.4f}")
    print(f"ratio to popularity {report['ratio_to_popularity']:.2f} (target {TARGET_RATIO})")
    return report


if __name__ == "__main__":
    main()
