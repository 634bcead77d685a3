"""Leaving one's own work: is "I'm a teacher and I hate it" understood, and does the list then look beyond it?

Two parts, on ``eval/data/leaving_messages.jsonl`` (written before the code, ``eval/data/README.md``):

* **detection** (:func:`retrieval.understanding.leaving.leaving_wishes`): 23 messages, 14 that want out of their
  work and 9 look-alikes ("customers who are sick of waiting", "people who are burned out", "I love teaching");
  and how often it fires on the catalogue's résumés and work histories, which ask for nothing;
* **the lists** for the 14 wishes: the top 5 occupations with the wish and with its words taken out (what
  Waypoint showed before), and the share of them that is the person's own kind of work (their occupation's SOC
  minor group, or a title naming the same work: "Teachers", "Nurses").

Run: ``waypoint eval leaving`` → ``eval/reports/leaving.{json,md,png}``. Needs a built home.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from eval.wishes import (
    detection_summary,
    eval_command,
    examples_line,
    plot_before_after,
    wish_report,
    without_found,
)
from retrieval.reports import REPORT_DIR, markdown_table, write_report

MESSAGES = Path(__file__).resolve().parent / "data" / "leaving_messages.jsonl"
TOP = 5


def lists(messages: list[dict], settings) -> dict:
    """Top-5 occupation lists with and without the wish's words, and the share of the person's own kind of work."""
    from retrieval.occupations.service import get_occupation_recommender
    from retrieval.profile import Profile
    from retrieval.recommend import Kind, recommend
    from retrieval.understanding.leaving import OwnWork, leaving_wishes

    corpus = get_occupation_recommender(settings).corpus
    rows = []
    for m in (m for m in messages if m["leaving"]):
        own = m["occupation"]
        work = OwnWork.of([own], lambda o: corpus.titles[corpus.index[o]])
        without = without_found(m["text"], leaving_wishes)
        row: dict = {"text": m["text"], "occupation": corpus.titles[corpus.index[own]]}
        for variant, text in (("with", m["text"]), ("without", without)):
            items = recommend([Profile(text=text)], Kind.occupation, TOP)[0].items
            row[variant] = {
                "occupations": [i.title for i in items],
                "own_kind": float(np.mean([work.covers(i.id, i.title) for i in items])) if items else 0.0,
            }
        rows.append(row)
    return {
        "summary": {
            "messages": len(rows),
            "own_kind_without": float(np.mean([r["without"]["own_kind"] for r in rows])),
            "own_kind_with": float(np.mean([r["with"]["own_kind"] for r in rows])),
        },
        "rows": rows,
    }


def run() -> dict:
    from retrieval.understanding.leaving import leaving_wishes

    report = wish_report(MESSAGES, leaving_wishes, "leaving", lists=lists)
    write(report)
    return report


def write(report: dict, out_dir: Path = REPORT_DIR) -> None:
    d, s = report["detection"], report["lists"]["summary"]
    table = [
        {
            f"top {TOP}": "occupations of the person's own kind of work",
            "wish not understood": s["own_kind_without"],
            "wish understood": s["own_kind_with"],
        }
    ]
    examples = [
        f"- “{r['text']}” ({r['occupation']})\n  - without: {', '.join(r['without']['occupations'])}\n"
        f"  - with: {', '.join(r['with']['occupations'])}"
        for r in report["lists"]["rows"]
    ]
    md = f"""# Leaving one's own work ("I'm a teacher and I hate it")

## Detection (`retrieval/understanding/leaving.py`)

{d["messages"]} messages (`eval/data/leaving_messages.jsonl`, {len(report["lists"]["rows"])} wishes, {d["messages"] - len(report["lists"]["rows"])} look-alikes): precision
**{d["precision"]:.3f}**, recall **{d["recall"]:.3f}**. Errors: {"; ".join(d["errors"]) or "none"}. The set and the
patterns were written by the same person, so these are an upper bound; text that asks for nothing -- the
catalogue's résumés and applicants' work histories, {d["unstated_texts"]} texts -- was read as wanting out
**{d["unstated_with_a_limit"]}** times{examples_line(d["unstated_examples"])}.

## The lists

The {s["messages"]} wishes, each ranked as typed and with the words of the wish taken out (what Waypoint showed
before it understood them):

{markdown_table(table, list(table[0]))}

{chr(10).join(examples)}
"""
    write_report("leaving", report, md, out_dir)
    plot_before_after(
        out_dir / "leaving.png",
        ["their own kind of work"],
        [s["own_kind_without"]],
        [s["own_kind_with"]],
        title=f"People who want out of their work ({s['messages']}): own kind in the top {TOP}",
        ylabel=f"share of the top {TOP}",
    )


cli, main = eval_command(
    "leaving",
    run,
    lambda r: {"detection": detection_summary(r), **r["lists"]["summary"]},
    "Leaving one's own work: detection, and the lists with and without the wish.",
)

if __name__ == "__main__":
    cli(prog_name="python -m eval.leaving")
