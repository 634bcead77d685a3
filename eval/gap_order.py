"""``waypoint eval gap-order``: is the first gap Waypoint names the one a career adviser would name first?

Issue 23 item 3 asks for "gaps in order of what matters". The course evaluation measured the order only
indirectly (share essential, mean need, task share); this one reads it as a person does: for the judged career moves
(``eval/data/first_gaps.jsonl``, labelling rule in ``eval/data/README.md``) whether the *first* missing skill
is an acceptable first thing to learn, and whether one of the first three is. The served order
(:mod:`retrieval.skills.priority`) is compared with the order before issue 23 (importance, then the alphabet)
on the same gaps; labels are matched on the catalogue label (the gap's own words before the plain rewording).

Needs a home built with the serving defaults (gap embeddings and the O*NET->ESCO map on): writes
``eval/reports/gap_order.{json,md,png}`` and prints the summary as JSON.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from app.clikit import command_typer, run
from retrieval.reports import REPORT_DIR, markdown_table, save_figure, write_report

NAME = "gap_order"
DATA = Path(__file__).resolve().parent / "data" / "first_gaps.jsonl"
ORDERINGS = ("priority", "importance")  # served, and the order before issue 23


def load_pairs(path: Path = DATA) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def first_gaps(pair: dict, settings, ordering: str, k: int = 3) -> list[str]:
    """The first ``k`` missing skills' catalogue labels, as the explanation lists them."""
    from retrieval.skills.gap import Profile, skill_gap

    profile = Profile(occupation=pair.get("occupation"), text=pair.get("text"))
    gap = skill_gap(profile, pair["target"], settings, ordering=ordering, max_missing=k)  # type: ignore[arg-type]
    return [m.catalogue_label or m.label for m in gap.missing_skills[:k]]


def splits(pairs: list[dict]) -> list[str]:
    """The data's splits in the order they first appear (course_pairs, new_pairs, walk_pairs)."""
    return list(dict.fromkeys(p["split"] for p in pairs))


def score(rows: list[dict]) -> dict:
    n = len(rows) or 1
    return {
        "pairs": len(rows),
        "first_acceptable": round(sum(r["first_ok"] for r in rows) / n, 3),
        "top3_acceptable": round(sum(r["top3_ok"] for r in rows) / n, 3),
    }


def evaluate(pairs: list[dict], settings) -> dict:
    records = []
    for pair in pairs:
        ok = set(pair["acceptable_first"])
        record = {"name": pair["name"], "split": pair["split"]}
        for ordering in ORDERINGS:
            labels = first_gaps(pair, settings, ordering)
            record[ordering] = {
                "gaps": labels,
                "first_ok": bool(labels) and labels[0] in ok,
                "top3_ok": any(label in ok for label in labels),
            }
        records.append(record)
    summary = {
        ordering: {
            split: score([r[ordering] for r in records if split == "all" or r["split"] == split])
            for split in (*splits(pairs), "all")
        }
        for ordering in ORDERINGS
    }
    return {"summary": summary, "records": records}


def plot(summary: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = list(next(iter(summary.values())))
    fig, ax = plt.subplots(figsize=(7, 3.8))
    x = np.arange(len(names))
    for n, (ordering, metric) in enumerate(
        [(o, m) for o in ORDERINGS for m in ("first_acceptable", "top3_acceptable")]
    ):
        ax.bar(x + (n - 1.5) * 0.2, [summary[ordering][s][metric] for s in names], 0.2, label=f"{ordering}: {metric}")
    ax.set_xticks(x, names)
    ax.set_ylim(0, 1)
    save_figure(
        fig,
        ax,
        path,
        title=f"Acceptable first gaps ({summary[ORDERINGS[0]]['all']['pairs']} judged career moves)",
        xlabel="",
        ylabel="share",
    )


cli = command_typer()


@cli.command("gap-order")
def gap_order_command(
    out_dir: Annotated[str | None, typer.Option(help="report folder (default eval/reports)")] = None,
    name: Annotated[str, typer.Option(help="report name (eval/reports/<name>.json|md|png)")] = NAME,
) -> dict:
    """Whether the first gap named is one a career adviser would name first (eval/data/first_gaps.jsonl)."""
    from retrieval.settings import get_settings

    settings = get_settings()
    started = time.perf_counter()
    pairs = load_pairs()
    result = evaluate(pairs, settings)
    out = Path(out_dir) if out_dir else REPORT_DIR
    out.mkdir(parents=True, exist_ok=True)
    plot(result["summary"], out / f"{name}.png")
    rows = [{"ordering": o, "split": s, **result["summary"][o][s]} for o in ORDERINGS for s in result["summary"][o]]
    switches = {k: getattr(settings, k) for k in ("gap_embeddings", "gap_esco_map")}
    md = [
        "# Gaps in order of what matters: the first gap named (issue 23 item 3)",
        "",
        f"{len(pairs)} judged career moves (`eval/data/first_gaps.jsonl`, rule in `eval/data/README.md`); settings {switches}.",
        "`priority` is the served order, `importance` the order before issue 23. first = the first missing skill "
        "is an acceptable first thing to learn; top3 = one of the first three is.",
        "",
        markdown_table(rows, ["ordering", "split", "pairs", "first_acceptable", "top3_acceptable"]),
        "",
        f"![acceptable first gaps]({name}.png)",
        "",
        "## Each move: the served order's first three gaps",
        "",
    ]
    for r in result["records"]:
        mark = "ok" if r["priority"]["first_ok"] else ("top 3" if r["priority"]["top3_ok"] else "no")
        md.append(f"- {r['name']} ({r['split']}): {'; '.join(r['priority']['gaps'])} -- **{mark}**")
    data = {"settings": switches, **result, "seconds": round(time.perf_counter() - started, 1)}
    write_report(name, data, "\n".join(md), out)
    print(json.dumps(result["summary"], indent=2))
    return data


def main(argv: list[str] | None = None) -> dict:
    """``waypoint eval gap-order`` on ``argv`` (for tests and scripts); returns the report data."""
    return run(cli, argv, "waypoint eval gap-order")


if __name__ == "__main__":  # pragma: no cover
    cli(prog_name="python -m eval.gap_order")
