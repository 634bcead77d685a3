"""Remote work: is "want something remote" understood, and do the lists then keep to work done from home?

Three parts, on data written before the code (``eval/data/README.md``):

* **detection** (:func:`retrieval.understanding.remote.remote_wishes`) on ``eval/data/remote_wishes.jsonl``:
  34 messages, 20 that ask for remote work and 14 look-alikes ("remote sensing", "remote patient monitoring",
  "a remote village"); and how often it fires on the catalogue's résumés and work histories, which ask for
  nothing;
* **the feasibility score** (:mod:`retrieval.occupations.remote`) against 96 occupations labelled remote or
  not by hand (``eval/data/remote_occupations.csv``): AUC, and what the served threshold keeps;
* **the lists** for the 20 messages with a wish: top 10 occupations and postings, with the wish and with its
  words taken out of the same text (what Waypoint showed before): the share of occupations the hand labels or
  the score call remote, and of postings whose title says they are remote.

Run: ``waypoint eval remote`` → ``eval/reports/remote.{json,md,png}``. Needs a built home.
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
    examples_line,
    label_validity,
    plot_before_after,
    wish_report,
    without_found,
)
from retrieval.reports import REPORT_DIR, markdown_table, write_report

DATA = Path(__file__).resolve().parent / "data"
MESSAGES = DATA / "remote_wishes.jsonl"
LABELS = DATA / "remote_occupations.csv"
TOP = 10


def feasibility_validity(corpus) -> dict:
    """The feasibility score against the hand labels."""
    from retrieval.occupations.remote import FEASIBLE

    return label_validity(corpus.remote, corpus.index, LABELS, "remote", FEASIBLE)


def lists(messages: list[dict], settings) -> dict:
    """Occupation and posting lists with and without the wish, for the messages that state one."""
    from retrieval.occupations.remote import FEASIBLE, remote_title
    from retrieval.occupations.service import get_occupation_recommender
    from retrieval.profile import Profile, ProfileError
    from retrieval.recommend import Kind, recommend
    from retrieval.understanding.remote import remote_wishes

    corpus = get_occupation_recommender(settings).corpus
    labels = {r["occupation_id"]: int(r["remote"]) for r in csv.DictReader(LABELS.open())}

    def feasible(oid: str) -> bool:
        return oid in corpus.index and corpus.remote[corpus.index[oid]] >= FEASIBLE

    rows = []
    for m in tqdm([m for m in messages if m["remote"]], desc="lists", unit="message"):
        row: dict = {"text": m["text"]}
        for variant, text in (("with", m["text"]), ("without", without_found(m["text"], remote_wishes))):
            try:
                occ = recommend([Profile(text=text)], Kind.occupation, TOP)[0].items
                jobs = recommend([Profile(text=text)], Kind.job, TOP)[0].items
            except ProfileError as exc:
                row[variant] = {"error": str(exc)}
                continue
            judged = [labels[i.id] for i in occ if i.id in labels]
            row[variant] = {
                "occupations": [(i.id, i.title) for i in occ],
                "feasible": float(np.mean([feasible(i.id) for i in occ])) if occ else 0.0,
                # judged by hand, not by the score the filter uses (only the labelled occupations count)
                "labelled_remote": float(np.mean(judged)) if judged else None,
                "labelled_in_person": sum(1 - j for j in judged),
                "jobs": [i.title for i in jobs],
                "jobs_remote_title": float(np.mean([remote_title(i.title) for i in jobs])) if jobs else 0.0,
            }
        rows.append(row)
    ok = [r for r in rows if "occupations" in r.get("with", {}) and "occupations" in r.get("without", {})]

    def mean(fn) -> float:
        values = [v for v in (fn(r) for r in ok) if v is not None]
        return float(np.mean(values)) if values else 0.0

    summary = {
        "messages": len(rows),
        "answered": len(ok),
        **{
            f"{name}_{variant}": mean(lambda r, name=name, variant=variant: r[variant][name])
            for name in ("feasible", "labelled_remote", "labelled_in_person", "jobs_remote_title")
            for variant in ("without", "with")
        },
    }
    return {"summary": summary, "rows": rows}


def run() -> dict:
    from retrieval.understanding.remote import remote_wishes

    report = wish_report(
        MESSAGES,
        remote_wishes,
        "remote",
        feasibility=lambda _m, settings: feasibility_validity(corpus_of(settings)),
        lists=lists,
    )
    write(report)
    return report


def write(report: dict, out_dir: Path = REPORT_DIR) -> None:
    d, v, s = report["detection"], report["feasibility"], report["lists"]["summary"]
    table = [
        {"top 10": label, "wish not understood": s[f"{key}_without"], "wish understood": s[f"{key}_with"]}
        for label, key in (
            ("occupations: remote by the score", "feasible"),
            ("occupations: remote by the hand labels (labelled ones only)", "labelled_remote"),
            ("occupations: labelled in-person, count", "labelled_in_person"),
            ("postings: title says remote", "jobs_remote_title"),
        )
    ]
    examples = []
    for r in report["lists"]["rows"]:
        w, wo = r.get("with", {}), r.get("without", {})
        if "occupations" not in w or "occupations" not in wo:
            examples.append(f"- “{r['text']}”: {w.get('error') or wo.get('error')}")
            continue
        examples.append(
            f"- “{r['text']}”\n  - without: {', '.join(t for _i, t in wo['occupations'][:5])}\n"
            f"  - with: {', '.join(t for _i, t in w['occupations'][:5])}\n"
            f"  - postings with: {'; '.join(w['jobs'][:3])}"
        )
    md = f"""# Remote work ("want something remote")

## Detection (`retrieval/understanding/remote.py`)

{d["messages"]} messages (`eval/data/remote_wishes.jsonl`, 20 wishes, 14 look-alikes): precision
**{d["precision"]:.3f}**, recall **{d["recall"]:.3f}**. Errors: {"; ".join(d["errors"]) or "none"}. The set and
the patterns were written by the same person, so these are an upper bound; text that asks for nothing -- the
catalogue's résumés and applicants' work histories, {d["unstated_texts"]} texts -- was read as asking for remote
work **{d["unstated_with_a_limit"]}** times{examples_line(d["unstated_examples"])}.

## Which work can be done from home (`retrieval/occupations/remote.py`)

On {v["labelled"]} occupations labelled by hand ({v["positive_labelled"]} remote; `eval/data/remote_occupations.csv`):
AUC **{v["auc"]:.3f}**; at the served threshold {v["threshold"]} the lists keep {v["positive_kept"]} of the
{v["positive_labelled"]} remote ones and {v["negative_kept"]} in-person ones
({v["share_of_catalogue_kept"]:.0%} of the catalogue is kept for a person who wants remote work).
Remote work left out: {", ".join(v["positive_left_out"]) or "none"}. In-person work kept: {", ".join(v["negative_kept_titles"]) or "none"}.

## The lists

The {s["messages"]} messages with a wish, each ranked as typed and with the words of the wish taken out (what
Waypoint showed before it understood them); top {TOP}:

{markdown_table(table, list(table[0]))}

{chr(10).join(examples)}
"""
    write_report("remote", report, md, out_dir)
    keys = ("feasible", "labelled_remote", "jobs_remote_title")
    plot_before_after(
        out_dir / "remote.png",
        ["occupations:\nremote (score)", "occupations:\nremote (hand labels)", "postings:\nremote title"],
        [s[f"{k}_without"] for k in keys],
        [s[f"{k}_with"] for k in keys],
        title=f"People who ask for remote work ({s['messages']}): top {TOP}",
    )


cli, main = eval_command(
    "remote",
    run,
    lambda r: {
        "detection": detection_summary(r),
        "feasibility_auc": r["feasibility"]["auc"],
        "lists": r["lists"]["summary"],
    },
    "Remote work: detection, the feasibility score against hand labels, the lists with and without the wish.",
)

if __name__ == "__main__":
    cli(prog_name="python -m eval.remote")
