"""Part-time or flexible hours: is "I need something that fits around my kids' school hours" heard, and do the postings
then answer it?

Two parts, on ``eval/data/hours_wishes.jsonl`` (``eval/data/README.md``):

* **detection** (:func:`retrieval.understanding.hours.hours_wishes`): 20 messages, 12 that ask for part-time or
  flexible hours and 8 look-alikes (the hours of work they do or did: "I worked part-time at Target", "part-time
  faculty"; "I'm flexible about where I live"); and how often it fires on the catalogue's résumés and work histories,
  which ask for nothing;
* **the postings** for the 12 wishes: the first 8 with the wish and with its words taken out (what Waypoint showed
  before it heard it): the share that say they are part time or flexible, and the share of the person's kind of work
  (the relevance the wish must not cost).

Run: ``waypoint eval hours`` → ``eval/reports/hours.{json,md,png}``. Needs a built home.
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

MESSAGES = Path(__file__).resolve().parent / "data" / "hours_wishes.jsonl"
POSTINGS = 8


def postings(messages: list[dict]) -> dict:
    """The first postings with and without the wish's words: how many say they are part time or flexible, and how
    many are the person's kind of work."""
    from retrieval.jobs.levels import FLEXIBLE_TITLE, parse_posting
    from retrieval.profile import Profile
    from retrieval.recommend import Kind, recommend
    from retrieval.understanding.hours import hours_wishes

    def fewer_hours(title: str) -> bool:
        return "part_time" in parse_posting(title).employment or bool(FLEXIBLE_TITLE.search(title))

    rows = []
    for m in (m for m in messages if m["hours"]):
        row: dict = {"text": m["text"]}
        for variant, text in (("with", m["text"]), ("without", without_found(m["text"], hours_wishes))):
            items = recommend([Profile(text=text)], Kind.job, POSTINGS)[0].items
            row[variant] = {
                "postings": [i.title for i in items],
                "fewer_hours": float(np.mean([fewer_hours(i.title) for i in items])) if items else 0.0,
                "kind_of_work": float(np.mean([bool(i.kind_of_work) for i in items])) if items else 0.0,
            }
        rows.append(row)

    def mean(variant: str, key: str) -> float:
        return float(np.mean([r[variant][key] for r in rows])) if rows else 0.0

    return {
        "summary": {
            "messages": len(rows),
            **{f"{k}_{v}": mean(v, k) for k in ("fewer_hours", "kind_of_work") for v in ("without", "with")},
        },
        "rows": rows,
    }


def run(out_dir: Path = REPORT_DIR) -> dict:
    from retrieval.understanding.hours import hours_wishes

    report = wish_report(MESSAGES, hours_wishes, "hours", postings=lambda messages, _s: postings(messages))
    write(report, out_dir)
    return report


def write(report: dict, out_dir: Path = REPORT_DIR) -> None:
    d, s = report["detection"], report["postings"]["summary"]
    table = [
        {f"first {POSTINGS} postings": label, "wish not heard": s[f"{key}_without"], "wish heard": s[f"{key}_with"]}
        for label, key in (
            ("say they are part time or flexible", "fewer_hours"),
            ("of the person's kind of work", "kind_of_work"),
        )
    ]
    examples = [
        f"- “{r['text']}”\n  - without: {'; '.join(r['without']['postings'][:4])}\n"
        f"  - with: {'; '.join(r['with']['postings'][:4])}"
        for r in report["postings"]["rows"]
    ]
    md = f"""# Part-time or flexible hours ("something that fits around my kids' school hours")

## Detection (`retrieval/understanding/hours.py`)

{d["messages"]} messages (`eval/data/hours_wishes.jsonl`, {s["messages"]} wishes, {d["messages"] - s["messages"]}
look-alikes): precision **{d["precision"]:.3f}**, recall **{d["recall"]:.3f}**. Errors: {"; ".join(d["errors"]) or "none"}.
The patterns were written first and the set after, by the same person, so these are an upper bound; text that asks
for nothing -- the catalogue's résumés and applicants' work histories, {d["unstated_texts"]} texts -- was read as
asking for part-time hours **{d["unstated_with_a_limit"]}** times{examples_line(d["unstated_examples"])}.

## The postings

The {s["messages"]} wishes, each as typed and with the wish's words taken out (what Waypoint showed before it heard
them); the occupation list does not change (the catalogue does not say which work is done part time):

{markdown_table(table, list(table[0]))}

{chr(10).join(examples)}
"""
    write_report("hours", report, md, out_dir)
    plot_before_after(
        out_dir / "hours.png",
        ["part time or flexible", "their kind of work"],
        [s["fewer_hours_without"], s["kind_of_work_without"]],
        [s["fewer_hours_with"], s["kind_of_work_with"]],
        title=f"People who ask for part-time or flexible hours ({s['messages']}): first {POSTINGS} postings",
        ylabel="share",
        legend=("wish not heard", "wish heard"),
    )


cli, main = eval_command(
    "hours",
    run,
    lambda r: {"detection": detection_summary(r), **r["postings"]["summary"]},
    "Part-time or flexible hours: detection, and the postings with and without the wish.",
)

if __name__ == "__main__":
    cli(prog_name="python -m eval.hours")
