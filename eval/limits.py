"""Physical limits: is "my back is done" understood, and does the list then leave physically demanding work out?

Three parts, each on data written before the code (``eval/data/README.md``):

* **detection** (:func:`retrieval.understanding.limits.physical_limits`) on ``eval/data/physical_limits.jsonl``:
  40 messages, 24 that state a limit and 16 look-alikes ("back-end developer", "I treat back injuries");
  and how often it fires on text that states none: the catalogue's résumés and applicants' work histories;
* **the demand score** (:mod:`retrieval.occupations.physical`) against 57 occupations labelled physical or not
  by hand (``eval/data/physical_occupations.csv``): AUC, and recall and precision at the served threshold;
* **the lists** for the 24 messages with a limit: occupations and job postings, top 10, with the limit and
  with the limit's words taken out of the same text (what Waypoint showed before it understood limits):
  the share of physically demanding items, whether the person's own occupation is still linked, and how much
  of the list is still drawn from the person's ordinary list (top 50 without the limit).

Run: ``waypoint eval limits`` → ``eval/reports/limits.{json,md,png}``. Needs a built home.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from tqdm import tqdm

from eval.wishes import (
    corpus_of,
    detection_summary,
    eval_command,
    label_validity,
    plot_before_after,
    wish_report,
    without_found,
)
from retrieval.reports import REPORT_DIR, markdown_table, write_report

DATA = Path(__file__).resolve().parent / "data"
MESSAGES = DATA / "physical_limits.jsonl"
LABELS = DATA / "physical_occupations.csv"
TOP = 10
ORDINARY = 50  # "still theirs": in the top this many of the list without the limit


def demand_validity(corpus) -> dict:
    """The demand score against the hand labels."""
    from retrieval.occupations.physical import DEMANDING

    return label_validity(corpus.physical, corpus.index, LABELS, "physical", DEMANDING)


def lists(messages: list[dict], settings) -> dict:
    """Occupation and posting lists with and without the limit, for the messages that state one."""
    from retrieval.occupations.physical import DEMANDING, physical_title
    from retrieval.occupations.service import get_occupation_recommender
    from retrieval.profile import Profile, ProfileError
    from retrieval.recommend import Kind, recommend
    from retrieval.understanding.limits import physical_limits
    from retrieval.understanding.service import understand

    corpus = get_occupation_recommender(settings).corpus
    labelled = {r["occupation_id"] for r in csv.DictReader(LABELS.open()) if r["physical"] == "1"}

    def demanding(oid: str) -> bool:
        return oid in corpus.index and corpus.physical[corpus.index[oid]] >= DEMANDING

    rows = []
    for m in tqdm([m for m in messages if m["limit"]], desc="lists", unit="message"):
        row: dict = {"text": m["text"], "occupation": m.get("occupation")}
        for variant, text in (("with", m["text"]), ("without", without_found(m["text"], physical_limits))):
            try:
                occ = recommend([Profile(text=text)], Kind.occupation, ORDINARY)[0].items
                jobs = recommend([Profile(text=text)], Kind.job, TOP)[0].items
            except ProfileError as exc:
                row[variant] = {"error": str(exc)}
                continue
            u = understand(text, settings)
            row[variant] = {
                "occupations": [(i.id, i.title) for i in occ[:TOP]],
                "ordinary": [i.id for i in occ],
                "demanding": float(np.mean([demanding(i.id) for i in occ[:TOP]])) if occ else 0.0,
                # judged by hand, not by the score the filter uses
                "labelled_physical": sum(i.id in labelled for i in occ[:TOP]) / TOP,
                "jobs": [i.title for i in jobs],
                "jobs_physical": float(np.mean([physical_title(i.title) for i in jobs])) if jobs else 0.0,
                "linked": u.occupation.occupation_id if u.occupation else None,
            }
        rows.append(row)
    ok = [r for r in rows if "occupations" in r.get("with", {}) and "occupations" in r.get("without", {})]

    def mean(fn) -> float:
        return float(np.mean([fn(r) for r in ok])) if ok else 0.0

    summary = {
        "messages": len(rows),
        "answered": len(ok),
        "occupations_demanding_without": mean(lambda r: r["without"]["demanding"]),
        "occupations_demanding_with": mean(lambda r: r["with"]["demanding"]),
        "labelled_physical_without": mean(lambda r: r["without"]["labelled_physical"]),
        "labelled_physical_with": mean(lambda r: r["with"]["labelled_physical"]),
        "postings_physical_title_without": mean(lambda r: r["without"]["jobs_physical"]),
        "postings_physical_title_with": mean(lambda r: r["with"]["jobs_physical"]),
        "still_from_their_list": mean(
            lambda r: (
                np.mean([oid in set(r["without"]["ordinary"]) for oid, _t in r["with"]["occupations"]])
                if r["with"]["occupations"]
                else 0.0
            )
        ),
        "occupation_linked_right_with": float(
            np.mean([r["with"].get("linked") == r["occupation"] for r in rows if r.get("occupation")])
        ),
        "occupation_linked_right_without": float(
            np.mean([r["without"].get("linked") == r["occupation"] for r in rows if r.get("occupation")])
        ),
    }
    for r in rows:  # the top-50 lists served the share above; the report keeps what a person would read
        for variant in ("with", "without"):
            r.get(variant, {}).pop("ordinary", None)
    return {"summary": summary, "rows": rows}


def run() -> dict:
    from retrieval.understanding.limits import physical_limits

    report = wish_report(
        MESSAGES,
        physical_limits,
        "limit",
        demand=lambda _m, settings: demand_validity(corpus_of(settings)),
        lists=lists,
    )
    write(report)
    return report


def write(report: dict) -> None:
    d, v, lst = report["detection"], report["demand"], report["lists"]
    s = lst["summary"]
    table = [
        {
            "list (top 10)": "occupations: physically demanding",
            "without the limit": s["occupations_demanding_without"],
            "with the limit": s["occupations_demanding_with"],
        },
        {
            "list (top 10)": "occupations: labelled physical by hand (not the score)",
            "without the limit": s["labelled_physical_without"],
            "with the limit": s["labelled_physical_with"],
        },
        {
            "list (top 10)": "postings: title names physical work",
            "without the limit": s["postings_physical_title_without"],
            "with the limit": s["postings_physical_title_with"],
        },
        {
            "list (top 10)": "own occupation linked right",
            "without the limit": s["occupation_linked_right_without"],
            "with the limit": s["occupation_linked_right_with"],
        },
    ]
    examples = []
    for r in lst["rows"]:
        w, wo = r.get("with", {}), r.get("without", {})
        if "occupations" not in w or "occupations" not in wo:
            examples.append(f"- “{r['text']}”: {w.get('error') or wo.get('error')}")
            continue
        examples.append(
            f"- “{r['text']}”\n  - without: {', '.join(t for _i, t in wo['occupations'][:5])}\n"
            f"  - with: {', '.join(t for _i, t in w['occupations'][:5])}\n"
            f"  - postings with: {'; '.join(w['jobs'][:3])}"
        )
    md = f"""# Physical limits ("my back is done")

## Detection (`retrieval/understanding/limits.py`)

{d["messages"]} messages (`eval/data/physical_limits.jsonl`, 24 with a limit, 16 look-alikes): precision
**{d["precision"]:.3f}**, recall **{d["recall"]:.3f}**, accuracy {d["accuracy"]:.3f}. Errors: {"; ".join(d["errors"]) or "none"}.
The set and the patterns were written by the same person, so these figures are an upper bound; the check
that matters more is text that states no limit: the catalogue's résumés and applicants' work histories,
{d["unstated_texts"]} texts, of which **{d["unstated_with_a_limit"]}** were read as stating one.

## How physically demanding an occupation is (`retrieval/occupations/physical.py`)

On {v["labelled"]} occupations labelled by hand (`eval/data/physical_occupations.csv`): AUC **{v["auc"]:.3f}**;
at the served threshold {v["threshold"]}: recall {v["recall"]:.3f}, precision {v["precision"]:.3f}
({v["share_of_catalogue_kept"]:.0%} of the catalogue is left out for a person with a limit).
Physical work the score misses: {", ".join(v["positive_left_out"]) or "none"}. Wrongly flagged: {", ".join(v["negative_kept_titles"]) or "none"}.
O*NET's Work Context (standing, lifting) is not in our data; care, serving and stocking are hard on the body
in ways their task statements do not say.

## The lists

The {s["messages"]} messages with a limit, each ranked as typed and with the words of the limit taken out
(what Waypoint showed before it understood limits); share of the top {TOP}:

{markdown_table(table, list(table[0]))}

Still drawn from the person's ordinary list (the top {ORDINARY} without the limit): **{s["still_from_their_list"]:.3f}**
of the occupations shown with the limit.

{chr(10).join(examples)}
"""
    write_report("limits", report, md)
    keys = ("occupations_demanding", "postings_physical_title")
    plot_before_after(
        REPORT_DIR / "limits.png",
        ["occupations:\nphysically demanding", "postings:\nphysical title"],
        [s[f"{k}_without"] for k in keys],
        [s[f"{k}_with"] for k in keys],
        title=f"People who state a physical limit ({s['messages']}): top {TOP}",
        legend=("limit not understood", "limit understood"),
    )


cli, main = eval_command(
    "limits",
    run,
    lambda r: {"detection": detection_summary(r), "demand_auc": r["demand"]["auc"], "lists": r["lists"]["summary"]},
    "Physical limits: detection, the demand score against hand labels, and the lists with and without the limit.",
)

if __name__ == "__main__":
    cli(prog_name="python -m eval.limits")
