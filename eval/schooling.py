"""No going back to school: is "without going back to school for years" understood, and does the list then stay
within the preparation the person has?

Two parts, on data written before the code (``eval/data/training_limits.jsonl``, ``eval/data/README.md``):

* **detection** (:func:`retrieval.understanding.schooling.training_limits`): 40 messages, 24 that rule out
  schooling and 16 look-alikes ("I want to go back to school", "high school teacher"); and how often it fires
  on text that states no such thing: the catalogue's résumés and applicants' work histories;
* **the lists** for the 24 messages: top 10 occupations as typed, and for the same text with the limit
  switched off (``Profile.avoid_schooling=False``: what Waypoint showed before): the share that needs more
  preparation than the person's reach (a job zone above both their own occupation's and zone 3: a degree
  they do not have), and how much of the list is still drawn from their ordinary list (top 50).

Run: ``waypoint eval schooling`` → ``eval/reports/schooling.{json,md,png}``. Needs a built home.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tqdm import tqdm

from eval.wishes import detection_summary, eval_command, plot_before_after, wish_report
from retrieval.reports import REPORT_DIR, markdown_table, write_report

MESSAGES = Path(__file__).resolve().parent / "data" / "training_limits.jsonl"
TOP = 10
ORDINARY = 50  # "still theirs": in the top this many of the list without the limit


def lists(messages: list[dict], settings) -> dict:
    """Occupation lists with the limit and with it switched off, for the messages that state one."""
    from retrieval.occupations.service import get_occupation_recommender
    from retrieval.profile import Profile, ProfileError
    from retrieval.recommend import Kind, recommend
    from retrieval.understanding.recommend import PersonalRanking
    from retrieval.understanding.service import get_linker

    recommender = get_occupation_recommender(settings)
    corpus = recommender.corpus
    ranking = PersonalRanking(recommender, get_linker(settings))

    def zone(oid: str) -> float:
        return float(corpus.job_zone[corpus.index[oid]]) if oid in corpus.index else float("nan")

    rows = []
    for m in tqdm([m for m in messages if m["limit"]], desc="lists", unit="message"):
        row: dict = {"text": m["text"]}
        understanding = get_linker(settings).understand(m["text"])
        ceiling = ranking.schooling_ceiling(ranking.sources(Profile(text=m["text"]), understanding))
        row["ceiling"] = ceiling
        row["linked"] = understanding.occupation.title if understanding.occupation else None
        for variant, flag in (("with", None), ("without", False)):
            try:
                items = recommend([Profile(text=m["text"], avoid_schooling=flag)], Kind.occupation, ORDINARY)[0].items
            except ProfileError as exc:
                row[variant] = {"error": str(exc)}
                continue
            top = items[:TOP]
            row[variant] = {
                "occupations": [(i.id, i.title, zone(i.id)) for i in top],
                "ordinary": [i.id for i in items],
                "beyond_reach": float(np.mean([zone(i.id) > ceiling for i in top])) if top else 0.0,
            }
        rows.append(row)
    ok = [r for r in rows if "occupations" in r.get("with", {}) and "occupations" in r.get("without", {})]

    def mean(fn) -> float:
        return float(np.mean([fn(r) for r in ok])) if ok else 0.0

    summary = {
        "messages": len(rows),
        "answered": len(ok),
        "beyond_reach_without": mean(lambda r: r["without"]["beyond_reach"]),
        "beyond_reach_with": mean(lambda r: r["with"]["beyond_reach"]),
        "lists_changed": mean(
            lambda r: [o[0] for o in r["with"]["occupations"]] != [o[0] for o in r["without"]["occupations"]]
        ),
        "still_from_their_list": mean(
            lambda r: (
                np.mean([o[0] in set(r["without"]["ordinary"]) for o in r["with"]["occupations"]])
                if r["with"]["occupations"]
                else 0.0
            )
        ),
    }
    for r in rows:  # the top-50 lists served the share above; the report keeps what a person would read
        for variant in ("with", "without"):
            r.get(variant, {}).pop("ordinary", None)
    return {"summary": summary, "rows": rows}


def run() -> dict:
    from retrieval.understanding.schooling import training_limits

    report = wish_report(MESSAGES, training_limits, "limit", lists=lists)
    write(report)
    return report


def write(report: dict) -> None:
    d, lst = report["detection"], report["lists"]
    s = lst["summary"]
    table = [
        {
            "list (top 10)": "needs more preparation than the person's reach",
            "limit switched off": s["beyond_reach_without"],
            "limit understood": s["beyond_reach_with"],
        }
    ]
    examples = []
    for r in lst["rows"]:
        w, wo = r.get("with", {}), r.get("without", {})
        if "occupations" not in w or "occupations" not in wo:
            examples.append(f"- “{r['text']}”: {w.get('error') or wo.get('error')}")
            continue
        if [o[0] for o in w["occupations"]] == [o[0] for o in wo["occupations"]]:
            continue
        examples.append(
            f"- “{r['text']}” (linked: {r['linked'] or 'nothing'}; reach: job zone {r['ceiling']})\n"
            f"  - switched off: {', '.join(f'{t} ({z:.0f})' for _i, t, z in wo['occupations'][:6])}\n"
            f"  - understood: {', '.join(f'{t} ({z:.0f})' for _i, t, z in w['occupations'][:6])}"
        )
    md = f"""# No going back to school ("without going back to school for years", "no degree")

## Detection (`retrieval/understanding/schooling.py`)

{d["messages"]} messages (`eval/data/training_limits.jsonl`, 24 that rule schooling out, 16 look-alikes):
precision **{d["precision"]:.3f}**, recall **{d["recall"]:.3f}**, accuracy {d["accuracy"]:.3f}. Errors:
{"; ".join(d["errors"]) or "none"}. The set and the patterns were written by the same person, so these figures
are an upper bound; the catalogue's résumés and applicants' work histories, {d["unstated_texts"]} texts that
rule nothing out, were read as ruling schooling out **{d["unstated_with_a_limit"]}** times
{("(" + "; ".join(f"“{t[:80]}…”" for t in d["unstated_examples"][:3]) + ")") if d["unstated_examples"] else ""}.

## The lists

The {s["messages"]} messages, each ranked as typed and with the limit switched off
(`Profile(avoid_schooling=False)`, what Waypoint showed before). *Beyond reach*: a job zone above both the
person's own occupation's and zone 3 (vocational training, not a degree). Share of the top {TOP}:

{markdown_table(table, list(table[0]))}

Lists that changed: {s["lists_changed"]:.3f} (most people who say this name work whose ordinary list is within
reach already). Still drawn from the person's ordinary list (top {ORDINARY}): **{s["still_from_their_list"]:.3f}**.

Lists that changed (job zone in brackets):

{chr(10).join(examples) or "none"}
"""
    write_report("schooling", report, md)
    plot_before_after(
        REPORT_DIR / "schooling.png",
        ["needing more preparation than their reach"],
        [s["beyond_reach_without"]],
        [s["beyond_reach_with"]],
        title=f"People who rule out going back to school ({s['messages']}): top {TOP}",
        ylabel="share of the top 10",
        legend=("limit switched off", "limit understood"),
        ylim=max(0.2, s["beyond_reach_without"] * 1.3),
    )


cli, main = eval_command(
    "schooling",
    run,
    lambda r: {"detection": detection_summary(r), "lists": r["lists"]["summary"]},
    "No going back to school: detection, and the lists with the limit and with it switched off.",
)

if __name__ == "__main__":
    cli(prog_name="python -m eval.schooling")
