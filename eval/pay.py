"""Better pay: is "I want to make more money" understood, and does the list then put better-paid work first?

Two parts, on ``eval/data/pay_wishes.jsonl`` (``eval/data/README.md``):

* **detection** (:func:`retrieval.understanding.pay.pay_wishes`): 40 messages, 24 that ask for better pay and 16
  look-alikes ("money management", "anti-money laundering", "payroll", "the pay is good but I'm burned out", "I'd
  take a pay cut"); and how often it fires on the catalogue's résumés and work histories, which ask for nothing;
* **the lists** for the wishes that name an occupation: the top 5 occupations with the wish and with its words taken out (what
  Waypoint showed before), by O*NET job zone against the person's own occupation (the labelled one): the share
  in a higher zone (more training or experience, which pay follows; the catalogue has no wage figures), in a
  lower one, the person's own occupation, and how far down the list without the wish the top 5 come from (what
  the wish costs in fit).

Run: ``waypoint eval pay`` → ``eval/reports/pay.{json,md,png}``. Needs a built home.
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

MESSAGES = Path(__file__).resolve().parent / "data" / "pay_wishes.jsonl"
TOP = 5
#: how deep the list without the wish is read to find where the top 5 with it came from
DEPTH = 100


def lists(messages: list[dict], settings) -> dict:
    """Top-5 occupation lists with and without the wish's words, by job zone against the person's own."""
    from retrieval.occupations.service import get_occupation_recommender
    from retrieval.profile import Profile
    from retrieval.recommend import Kind, recommend
    from retrieval.understanding.pay import pay_wishes

    corpus = get_occupation_recommender(settings).corpus

    def zone(oid: str) -> float:
        return float(corpus.job_zone[corpus.index[oid]]) if oid in corpus.index else float("nan")

    def leads(oid: str) -> bool:
        return oid in corpus.index and bool(corpus.leads[corpus.index[oid]])

    rows = []
    for m in (m for m in messages if m["pay"] and m.get("occupation") in corpus.index):
        own = m["occupation"]
        own_zone = zone(own)
        row: dict = {"text": m["text"], "occupation": corpus.titles[corpus.index[own]], "zone": own_zone}
        without = recommend([Profile(text=without_found(m["text"], pay_wishes))], Kind.occupation, DEPTH)[0].items
        depth = {i.id: n for n, i in enumerate(without)}
        for variant, items in (
            ("with", recommend([Profile(text=m["text"])], Kind.occupation, TOP)[0].items),
            ("without", without[:TOP]),
        ):
            zones = [zone(i.id) for i in items if not np.isnan(zone(i.id))]
            steps = [
                zone(i.id) > own_zone or (zone(i.id) == own_zone and leads(i.id) and not leads(own))
                for i in items
                if not np.isnan(zone(i.id))
            ]
            row[variant] = {
                "occupations": [f"{i.title} ({zone(i.id):.0f}{', leads' if leads(i.id) else ''})" for i in items],
                "higher": float(np.mean([z > own_zone for z in zones])) if zones else 0.0,
                "step_up": float(np.mean(steps)) if steps else 0.0,
                "lower": float(np.mean([z < own_zone for z in zones])) if zones else 0.0,
                "own": float(any(i.id == own for i in items)),
                "depth": float(np.mean([depth.get(i.id, DEPTH) for i in items])) if items else 0.0,
            }
        rows.append(row)

    def mean(variant: str, key: str) -> float:
        return float(np.mean([r[variant][key] for r in rows])) if rows else 0.0

    return {
        "summary": {
            "messages": len(rows),
            **{
                f"{k}_{v}": mean(v, k)
                for k in ("higher", "step_up", "lower", "own", "depth")
                for v in ("without", "with")
            },
        },
        "rows": rows,
    }


def run() -> dict:
    from retrieval.understanding.pay import pay_wishes

    report = wish_report(MESSAGES, pay_wishes, "pay", lists=lists)
    write(report)
    return report


def write(report: dict, out_dir: Path = REPORT_DIR) -> None:
    d, s = report["detection"], report["lists"]["summary"]
    wishes = len(report["lists"]["rows"])
    table = [
        {f"top {TOP}": label, "wish not understood": s[f"{key}_without"], "wish understood": s[f"{key}_with"]}
        for label, key in (
            ("share in a higher job zone than the person's own", "higher"),
            ("share a step up: a higher zone, or leading others in the person's own zone", "step_up"),
            ("share in a lower job zone", "lower"),
            ("the person's own occupation listed", "own"),
            (f"mean place in the list without the wish (of {DEPTH})", "depth"),
        )
    ]
    examples = [
        f"- “{r['text']}” ({r['occupation']}, zone {r['zone']:.0f})\n"
        f"  - without: {', '.join(r['without']['occupations'])}\n  - with: {', '.join(r['with']['occupations'])}"
        for r in report["lists"]["rows"]
    ]
    md = f"""# Better pay ("I want to make more money")

## Detection (`retrieval/understanding/pay.py`)

{d["messages"]} messages (`eval/data/pay_wishes.jsonl`, {d["positives"]} wishes, {d["messages"] - d["positives"]} look-alikes): precision
**{d["precision"]:.3f}**, recall **{d["recall"]:.3f}**. Errors: {"; ".join(d["errors"]) or "none"}. The set and the
patterns were written by the same person (three wishes the first patterns missed were added to them), so these are
an upper bound; text that asks for nothing -- the catalogue's résumés and applicants' work histories,
{d["unstated_texts"]} texts -- was read as wanting better pay **{d["unstated_with_a_limit"]}**
times{examples_line(d["unstated_examples"])}.

## The lists

The catalogue has no wage figures, so "better paid" is read as a higher O*NET job zone (more education, training
and experience), which pay follows across occupations, and leading others at the person's own zone (a line cook's
kitchen supervisors and food service managers, a cashier's retail supervisors: O*NET puts them in zone 2) as a step up
too. The {wishes} wishes, each ranked as typed and with the words of the wish taken out (what Waypoint showed before it
understood them); the zone of each occupation in brackets, with "leads" for work that leads others:

{markdown_table(table, list(table[0]))}

{chr(10).join(examples)}
"""
    write_report("pay", report, md, out_dir)
    keys = ("higher", "lower", "own")
    plot_before_after(
        out_dir / "pay.png",
        ["higher job zone", "lower job zone", "own occupation listed"],
        [s[f"{k}_without"] for k in keys],
        [s[f"{k}_with"] for k in keys],
        title=f"People who want better pay ({wishes}): top {TOP}",
        ylabel=f"share of the top {TOP}",
    )


cli, main = eval_command(
    "pay",
    run,
    lambda r: {"detection": detection_summary(r), **r["lists"]["summary"]},
    "Better pay: detection, and the lists with and without the wish.",
)

if __name__ == "__main__":
    cli(prog_name="python -m eval.pay")
