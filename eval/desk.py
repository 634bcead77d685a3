"""Work away from a desk: is "I can't sit at a desk all day" understood, and do the lists then keep to work done in
person?

Three parts, on data written before the evaluation ran (``eval/data/README.md``):

* **detection** (:func:`retrieval.understanding.desk.desk_wishes`) on ``eval/data/desk_wishes.jsonl``: 24 messages, 14
  that ask for work away from a desk or a screen and 10 look-alikes ("looking for a desk job after my back surgery",
  "I work the front desk", "screen printing", "I'm a nurse and I'm on my feet 12 hours a shift"); and how often it fires
  on the catalogue's résumés and work histories, which ask for nothing;
* **which work is kept** (:attr:`retrieval.occupations.corpus.OccupationCorpus.away_from_desk`) on the occupations
  labelled by hand for remote work (``eval/data/remote_occupations.csv``): the share of the in-person ones kept and of
  the ones done at a desk (remote) left out;
* **the lists** for the 14 wishes: the top 10 occupations with the wish and with its words taken out (what Waypoint
  showed before): the share of work done away from a desk.

Run: ``waypoint eval desk`` → ``eval/reports/desk.{json,md,png}``. Needs a built home.
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
    plot_before_after,
    wish_report,
    without_found,
)
from retrieval.reports import REPORT_DIR, markdown_table, write_report

DATA = Path(__file__).resolve().parent / "data"
MESSAGES = DATA / "desk_wishes.jsonl"
REMOTE_LABELS = DATA / "remote_occupations.csv"
TOP = 10


def kept_by_label(corpus) -> dict:
    """What the served rule keeps of the occupations labelled remote (desk work) or in person by hand."""
    rows = [r for r in csv.DictReader(REMOTE_LABELS.open()) if r["occupation_id"] in corpus.index]
    kept = {r["occupation_id"]: bool(corpus.away_from_desk[corpus.index[r["occupation_id"]]]) for r in rows}
    in_person = [r for r in rows if r["remote"] == "0"]
    at_desk = [r for r in rows if r["remote"] == "1"]
    return {
        "labelled": len(rows),
        "in_person": len(in_person),
        "in_person_kept": float(np.mean([kept[r["occupation_id"]] for r in in_person])) if in_person else 0.0,
        "at_desk": len(at_desk),
        "at_desk_left_out": float(np.mean([not kept[r["occupation_id"]] for r in at_desk])) if at_desk else 0.0,
        "in_person_left_out_titles": [r["title"] for r in in_person if not kept[r["occupation_id"]]],
        "at_desk_kept_titles": [r["title"] for r in at_desk if kept[r["occupation_id"]]],
        "share_of_catalogue_kept": float(np.mean(corpus.away_from_desk)),
    }


def lists(messages: list[dict], settings) -> dict:
    """Top-10 occupation lists with and without the wish's words: the share done away from a desk."""
    from retrieval.occupations.service import get_occupation_recommender
    from retrieval.profile import Profile, ProfileError
    from retrieval.recommend import Kind, recommend
    from retrieval.understanding.desk import desk_wishes

    corpus = get_occupation_recommender(settings).corpus
    rows = []
    for m in (m for m in messages if m["desk"]):
        row: dict = {"text": m["text"]}
        for variant, text in (("with", m["text"]), ("without", without_found(m["text"], desk_wishes))):
            try:
                items = recommend([Profile(text=text)], Kind.occupation, TOP)[0].items
            except ProfileError as exc:  # the words left without the wish may say too little
                row[variant] = {"error": str(exc), "occupations": [], "away": None}
                continue
            known = [bool(corpus.away_from_desk[corpus.index[i.id]]) for i in items if i.id in corpus.index]
            row[variant] = {"occupations": [i.title for i in items], "away": float(np.mean(known)) if known else 0.0}
        rows.append(row)

    def mean(variant: str) -> float:
        values = [r[variant]["away"] for r in rows if r[variant]["away"] is not None and r["with"]["away"] is not None]
        return float(np.mean(values)) if values else 0.0

    return {
        "summary": {"messages": len(rows), "away_without": mean("without"), "away_with": mean("with")},
        "rows": rows,
    }


def run() -> dict:
    from retrieval.understanding.desk import desk_wishes

    report = wish_report(
        MESSAGES, desk_wishes, "desk", kept=lambda _m, settings: kept_by_label(corpus_of(settings)), lists=lists
    )
    write(report)
    return report


def write(report: dict, out_dir: Path = REPORT_DIR) -> None:
    d, v, s = report["detection"], report["kept"], report["lists"]["summary"]
    table = [
        {
            f"top {TOP}": "occupations done away from a desk",
            "wish not understood": s["away_without"],
            "wish understood": s["away_with"],
        }
    ]
    examples = [
        f"- “{r['text']}”\n  - without: {', '.join(r['without']['occupations'][:5]) or r['without'].get('error')}\n"
        f"  - with: {', '.join(r['with']['occupations'][:5])}"
        for r in report["lists"]["rows"]
    ]
    md = f"""# Work away from a desk ("I can't sit at a desk all day", "less screen time")

## Detection (`retrieval/understanding/desk.py`)

{d["messages"]} messages (`eval/data/desk_wishes.jsonl`, {s["messages"]} wishes, {d["messages"] - s["messages"]} look-alikes): precision
**{d["precision"]:.3f}**, recall **{d["recall"]:.3f}**. Errors: {"; ".join(d["errors"]) or "none"}. The patterns were
written first and the set after, by the same person, so these are an upper bound; text that asks for nothing -- the
catalogue's résumés and applicants' work histories, {d["unstated_texts"]} texts -- was read as asking for work away
from a desk **{d["unstated_with_a_limit"]}** times{examples_line(d["unstated_examples"])}.

## Which work is kept (`OccupationCorpus.away_from_desk`)

Work done in person: not work that can often be done from home (the remote score below its threshold), or work done
outdoors, or physically demanding work. On the {v["labelled"]} occupations labelled by hand for remote work
(`eval/data/remote_occupations.csv`): {v["in_person_kept"]:.0%} of the {v["in_person"]} in-person ones are kept and
{v["at_desk_left_out"]:.0%} of the {v["at_desk"]} done at a desk are left out ({v["share_of_catalogue_kept"]:.0%} of the
catalogue is kept). In-person work left out: {", ".join(v["in_person_left_out_titles"]) or "none"}. Desk work kept:
{", ".join(v["at_desk_kept_titles"]) or "none"}.

## The lists

The {s["messages"]} wishes, each ranked as typed and with the words of the wish taken out (what Waypoint showed before
it understood them); top {TOP}:

{markdown_table(table, list(table[0]))}

{chr(10).join(examples)}
"""
    write_report("desk", report, md, out_dir)
    plot_before_after(
        out_dir / "desk.png",
        ["away from a desk"],
        [s["away_without"]],
        [s["away_with"]],
        title=f"People who want work away from a desk ({s['messages']}): top {TOP}",
    )


cli, main = eval_command(
    "desk",
    run,
    lambda r: {"detection": detection_summary(r), "kept": r["kept"], "lists": r["lists"]["summary"]},
    "Work away from a desk: detection, what the rule keeps of hand-labelled occupations, the lists with and without "
    "the wish.",
)

if __name__ == "__main__":
    cli(prog_name="python -m eval.desk")
