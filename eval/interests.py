"""What a person enjoys, when they have no job to name: "I'm 17 and I like drawing and video games".

On ``eval/data/interests.jsonl`` (28 statements of what someone likes, is good at or studied, each with the SOC groups a
careers adviser would suggest, written before the code; rule in ``eval/data/README.md``): whether Waypoint answers
at all (before, it asked such a person for their job title), what it read (the interest as a goal: a field, or
the groups of the occupations nearest it by meaning), and the share of the top 5 occupations inside the
statement's groups.

Run: ``waypoint eval interests`` → ``eval/reports/interests.{json,md,png}``. Needs a built home.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from app.clikit import command_typer, run as run_command
from retrieval.occupations.transitions import in_prefixes
from retrieval.reports import REPORT_DIR, markdown_table, save_figure, write_report
from retrieval.threads import set_process_threads

STATEMENTS = Path(__file__).resolve().parent / "data" / "interests.jsonl"
TOP = 5


def load_statements() -> list[dict]:
    return [json.loads(line) for line in STATEMENTS.read_text().splitlines() if line.strip()]


def score(statements: list[dict]) -> dict:
    """Per statement: answered, the goal read, the top 5 and their share inside the statement's groups."""
    from retrieval.profile import Profile, ProfileError
    from retrieval.recommend import Kind, recommend
    from retrieval.understanding.service import understand

    rows = []
    for s in statements:
        goals = understand(s["text"]).goals
        read = (
            f"{goals[0].field or goals[0].text} ({'interest' if goals[0].interest else goals[0].kind})"
            if goals
            else "-"
        )
        try:
            items = recommend([Profile(text=s["text"])], Kind.occupation, TOP)[0].items
            refusal = None
        except ProfileError as exc:
            items, refusal = [], str(exc)
        inside = [in_prefixes(i.id, s["soc_prefixes"]) for i in items]
        rows.append(
            {
                "id": s["id"],
                "text": s["text"],
                "answered": refusal is None,
                "refusal": refusal,
                "read": read,
                "top": [i.title for i in items],
                "inside": sum(inside) / TOP,
            }
        )
    return {
        "summary": {
            "statements": len(rows),
            "answered": float(np.mean([r["answered"] for r in rows])),
            "top5_inside": float(np.mean([r["inside"] for r in rows])),
        },
        "rows": rows,
    }


def run() -> dict:
    set_process_threads(1)
    report = score(load_statements())
    write(report)
    return report


def write(report: dict, out_dir: Path = REPORT_DIR) -> None:
    s, rows = report["summary"], report["rows"]
    table = [
        {
            "statement": r["text"],
            "read as": r["read"],
            f"top {TOP} inside": r["inside"] if r["answered"] else "refused",
            f"top {TOP}": "; ".join(r["top"]) or r["refusal"],
        }
        for r in rows
    ]
    md = f"""# What a person enjoys ("I'm 17 and I like drawing and video games")

{s["statements"]} statements (`eval/data/interests.jsonl`, groups written before the code): answered
**{s["answered"]:.2f}**; share of the top {TOP} occupations inside the statement's SOC groups **{s["top5_inside"]:.2f}**
(a refusal counts 0).

{markdown_table(table, list(table[0]))}
"""
    write_report("interests", report, md, out_dir)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar(range(len(rows)), [r["inside"] for r in rows], 0.7)
    ax.set_xticks(range(len(rows)), [r["id"] for r in rows], rotation=90)
    ax.set_ylim(0, 1)
    save_figure(
        fig,
        ax,
        out_dir / "interests.png",
        title=f"What people enjoy: share of the top {TOP} inside the statement's groups (mean {s['top5_inside']:.2f})",
        xlabel="statement",
        ylabel=f"share of the top {TOP}",
    )


cli = command_typer()


@cli.command("interests")
def interests_command() -> dict:
    """What a person enjoys: answered, and the top 5 inside the statement's groups."""
    report = run()
    print(json.dumps(report["summary"], indent=1))
    return report


def main(argv: list[str] | None = None) -> dict:
    """``waypoint eval interests`` on ``argv`` (for tests and scripts); returns the report."""
    return run_command(cli, argv, "waypoint eval interests")


if __name__ == "__main__":
    cli(prog_name="python -m eval.interests")
