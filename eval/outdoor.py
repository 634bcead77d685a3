"""Outdoor work: is "I want to work outdoors" understood, and do the lists then keep to work done outdoors?

Three parts, on data written before the code ran on it (``eval/data/README.md``):

* **detection** (:func:`retrieval.understanding.outdoor.outdoor_wishes`) on ``eval/data/outdoor_wishes.jsonl``: 20
  messages, 12 that ask for outdoor work and 8 look-alikes ("outside sales", "outside the US", "I worked outdoors for
  20 years and my knees are done", "outdoor furniture"); and how often it fires on the catalogue's résumés and work
  histories, which ask for nothing;
* **the score** (:mod:`retrieval.occupations.outdoor`) against 58 occupations labelled outdoor or not by hand
  (``eval/data/outdoor_occupations.csv``): AUC, and what the served threshold keeps;
* **the lists** for the 12 wishes: the top 10 occupations with the wish and with its words taken out (what Waypoint
  showed before): the share the score and the hand labels call outdoor.

Run: ``waypoint eval outdoor`` → ``eval/reports/outdoor.{json,md,png}``. Needs a built home.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from eval.wishes import (
    corpus_of,
    detection_summary,
    eval_command,
    examples_line,
    label_validity,
    plot_before_after,
    wish_report,
    without_found,
)
from retrieval.reports import REPORT_DIR, markdown_table, write_report

DATA = Path(__file__).resolve().parent / "data"
MESSAGES = DATA / "outdoor_wishes.jsonl"
LABELS = DATA / "outdoor_occupations.csv"
TOP = 10


def score_validity(corpus) -> dict:
    """The outdoor score against the hand labels."""
    from retrieval.occupations.outdoor import OUTDOOR

    return label_validity(corpus.outdoor, corpus.index, LABELS, "outdoor", OUTDOOR)


def lists(messages: list[dict], settings) -> dict:
    """Top-10 occupation lists with and without the wish's words: the share called outdoor."""
    from retrieval.occupations.outdoor import OUTDOOR
    from retrieval.occupations.service import get_occupation_recommender
    from retrieval.profile import Profile, ProfileError
    from retrieval.recommend import Kind, recommend
    from retrieval.understanding.outdoor import outdoor_wishes

    corpus = get_occupation_recommender(settings).corpus
    labels = {r["occupation_id"]: int(r["outdoor"]) for r in csv.DictReader(LABELS.open())}
    rows = []
    for m in (m for m in messages if m["outdoor"]):
        row: dict = {"text": m["text"]}
        for variant, text in (("with", m["text"]), ("without", without_found(m["text"], outdoor_wishes))):
            try:
                items = recommend([Profile(text=text)], Kind.occupation, TOP)[0].items
            except ProfileError as exc:  # the words left without the wish may say too little
                row[variant] = {"error": str(exc), "occupations": [], "outdoor": None, "labelled_outdoor": None}
                continue
            judged = [labels[i.id] for i in items if i.id in labels]
            row[variant] = {
                "occupations": [i.title for i in items],
                "outdoor": float(
                    np.mean([corpus.outdoor[corpus.index[i.id]] >= OUTDOOR for i in items if i.id in corpus.index])
                )
                if items
                else 0.0,
                "labelled_outdoor": float(np.mean(judged)) if judged else None,
            }
        rows.append(row)

    def mean(variant: str, key: str) -> float:
        values = [r[variant][key] for r in rows if r[variant][key] is not None and r["with"]["outdoor"] is not None]
        return float(np.mean(values)) if values else 0.0

    return {
        "summary": {
            "messages": len(rows),
            **{f"{k}_{v}": mean(v, k) for k in ("outdoor", "labelled_outdoor") for v in ("without", "with")},
        },
        "rows": rows,
    }


def run() -> dict:
    from retrieval.understanding.outdoor import outdoor_wishes

    report = wish_report(
        MESSAGES, outdoor_wishes, "outdoor", score=lambda _m, settings: score_validity(corpus_of(settings)), lists=lists
    )
    write(report)
    return report


def write(report: dict, out_dir: Path = REPORT_DIR) -> None:
    d, v, s = report["detection"], report["score"], report["lists"]["summary"]
    table = [
        {f"top {TOP}": label, "wish not understood": s[f"{key}_without"], "wish understood": s[f"{key}_with"]}
        for label, key in (
            ("occupations: outdoor by the score", "outdoor"),
            ("occupations: outdoor by the hand labels (labelled ones only)", "labelled_outdoor"),
        )
    ]
    examples = [
        f"- “{r['text']}”\n  - without: {', '.join(r['without']['occupations'][:5]) or r['without'].get('error')}\n"
        f"  - with: {', '.join(r['with']['occupations'][:5])}"
        for r in report["lists"]["rows"]
    ]
    md = f"""# Outdoor work ("I want to work outdoors")

## Detection (`retrieval/understanding/outdoor.py`)

{d["messages"]} messages (`eval/data/outdoor_wishes.jsonl`, {s["messages"]} wishes, {d["messages"] - s["messages"]} look-alikes): precision
**{d["precision"]:.3f}**, recall **{d["recall"]:.3f}**. Errors: {"; ".join(d["errors"]) or "none"}. The patterns were
written first and the set after, by the same person, so these are an upper bound; text that asks for nothing -- the
catalogue's résumés and applicants' work histories, {d["unstated_texts"]} texts -- was read as asking for outdoor work
**{d["unstated_with_a_limit"]}** times{examples_line(d["unstated_examples"])}.

## Which work is done outdoors (`retrieval/occupations/outdoor.py`)

On {v["labelled"]} occupations labelled by hand ({v["positive_labelled"]} outdoor; `eval/data/outdoor_occupations.csv`):
AUC **{v["auc"]:.3f}**; at the served threshold {v["threshold"]} (chosen on these labels: an upper bound) the lists keep
{v["positive_kept"]} of the {v["positive_labelled"]} outdoor ones and {v["negative_kept"]} indoor ones
({v["share_of_catalogue_kept"]:.0%} of the catalogue is kept for a person who wants outdoor work).
Outdoor work left out: {", ".join(v["positive_left_out"]) or "none"}. Indoor work kept: {", ".join(v["negative_kept_titles"]) or "none"}.

## The lists

The {s["messages"]} wishes, each ranked as typed and with the words of the wish taken out (what Waypoint showed before
it understood them); top {TOP}:

{markdown_table(table, list(table[0]))}

{chr(10).join(examples)}
"""
    write_report("outdoor", report, md, out_dir)
    keys = ("outdoor", "labelled_outdoor")
    plot_before_after(
        out_dir / "outdoor.png",
        ["outdoor (score)", "outdoor (hand labels)"],
        [s[f"{k}_without"] for k in keys],
        [s[f"{k}_with"] for k in keys],
        title=f"People who want to work outdoors ({s['messages']}): top {TOP}",
    )


cli, main = eval_command(
    "outdoor",
    run,
    lambda r: {"detection": detection_summary(r), "score_auc": r["score"]["auc"], "lists": r["lists"]["summary"]},
    "Outdoor work: detection, the score against hand labels, the lists with and without the wish.",
)

if __name__ == "__main__":
    cli(prog_name="python -m eval.outdoor")
