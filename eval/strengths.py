"""Strengths: is "I'm really good with numbers" understood, and does the list then bring up work that uses it?

Two parts, on ``eval/data/strengths.jsonl`` (``eval/data/README.md``):

* **detection** (:func:`retrieval.understanding.strengths.strengths`): 20 messages, 12 that state strengths and 8
  look-alikes ("not good with numbers", "I dial numbers", "I'm a writer", "a math teacher"); the element each
  strength names must be the labelled one; and how often it fires on the catalogue's résumés and work histories;
* **the lists** for the 12 strengths: the top 5 occupations with the strength and with its words taken out (what
  Waypoint showed before): how many of the occupations a careers adviser would name for that person and strength
  (labelled with the messages, before the ranking code) are in it, and how important O*NET rates the strength for
  the five (the mean over strengths of the best element each names).

Run: ``waypoint eval strengths`` → ``eval/reports/strengths.{json,md,png}``. Needs a built home.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from eval.wishes import detection_summary, eval_command, examples_line, plot_before_after, wish_report
from retrieval.reports import REPORT_DIR, markdown_table, write_report

MESSAGES = Path(__file__).resolve().parent / "data" / "strengths.jsonl"
TOP = 5


def found_ids(text: str) -> list[str]:
    """The main element of each strength found (what the labels name)."""
    from retrieval.understanding.strengths import strengths

    return [s.skill_ids[0] for s in strengths(text)]


def without_strengths(text: str) -> str:
    from retrieval.understanding.strengths import strengths

    for s in reversed(strengths(text)):
        text = text[: s.start] + text[s.end :]
    return text


def lists(messages: list[dict], settings) -> dict:
    """Top-5 lists with and without the strengths' words: the adviser's occupations in them, and the strengths'
    importance for them."""
    from retrieval.profile import Profile
    from retrieval.recommend import Kind, recommend
    from retrieval.skills.graph import get_graph
    from retrieval.understanding.strengths import strengths

    graph = get_graph(settings)
    rows = []
    for m in (m for m in messages if m["expect"]):
        said = [s.skill_ids for s in strengths(m["text"])]
        expect = set(m["expect"])

        def importance(oid: str, said=said) -> float:
            return float(
                np.mean(
                    [
                        max(float((graph.graph.get_edge_data(oid, sid) or {}).get("importance") or 0.0) for sid in ids)
                        for ids in said
                    ]
                )
            )

        row: dict = {"text": m["text"]}
        for variant, text in (("with", m["text"]), ("without", without_strengths(m["text"]))):
            items = recommend([Profile(text=text)], Kind.occupation, TOP)[0].items
            row[variant] = {
                "occupations": [i.title for i in items],
                "expected": sum(i.id in expect for i in items),
                "importance": float(np.mean([importance(i.id) for i in items])) if items else 0.0,
            }
        rows.append(row)

    def mean(variant: str, key: str) -> float:
        return float(np.mean([r[variant][key] for r in rows])) if rows else 0.0

    return {
        "summary": {
            "messages": len(rows),
            **{f"{k}_{v}": mean(v, k) for k in ("expected", "importance") for v in ("without", "with")},
        },
        "rows": rows,
    }


def element_accuracy(messages: list[dict]) -> float:
    """Of the messages that state strengths, the share whose elements found are exactly the labelled ones."""
    stated = [m for m in messages if m["strength"]]
    return float(np.mean([sorted(found_ids(m["text"])) == sorted(m["strength"]) for m in stated])) if stated else 0.0


def run() -> dict:
    report = wish_report(
        MESSAGES, found_ids, "strength", element_accuracy=lambda messages, _s: element_accuracy(messages), lists=lists
    )
    write(report)
    return report


def write(report: dict, out_dir: Path = REPORT_DIR) -> None:
    d, s = report["detection"], report["lists"]["summary"]
    table = [
        {f"top {TOP}": label, "strength not understood": s[f"{key}_without"], "strength understood": s[f"{key}_with"]}
        for label, key in (
            ("occupations an adviser would name (of 5)", "expected"),
            ("importance O*NET rates the strength", "importance"),
        )
    ]
    examples = [
        f"- “{r['text']}”\n  - without: {', '.join(r['without']['occupations'])}\n"
        f"  - with: {', '.join(r['with']['occupations'])}"
        for r in report["lists"]["rows"]
    ]
    md = f"""# Strengths ("I'm really good with numbers")

## Detection (`retrieval/understanding/strengths.py`)

{d["messages"]} messages (`eval/data/strengths.jsonl`, {s["messages"]} with strengths, {d["messages"] - s["messages"]} look-alikes): precision
**{d["precision"]:.3f}**, recall **{d["recall"]:.3f}**, the labelled O*NET element found for
**{report["element_accuracy"]:.2f}** of the strengths. Errors: {"; ".join(d["errors"]) or "none"}. The patterns were
written first and the set after, by the same person, so these are an upper bound; text that states none -- the
catalogue's résumés and applicants' work histories, {d["unstated_texts"]} texts -- was read as stating a strength
**{d["unstated_with_a_limit"]}** times{examples_line(d["unstated_examples"])}.

## The lists

The {s["messages"]} messages with strengths, each ranked as typed and with the strength's words taken out (what
Waypoint showed before it understood them); the occupations an adviser would name were labelled with the messages,
before the ranking code:

{markdown_table(table, list(table[0]))}

{chr(10).join(examples)}
"""
    write_report("strengths", report, md, out_dir)
    plot_before_after(
        out_dir / "strengths.png",
        ["adviser's picks"],
        [s["expected_without"]],
        [s["expected_with"]],
        title=f"People who say what they are good at ({s['messages']}): adviser's picks in the top {TOP}",
        ylabel=f"of the top {TOP}",
        legend=("strength not understood", "strength understood"),
        ylim=TOP,
    )


cli, main = eval_command(
    "strengths",
    run,
    lambda r: {"detection": detection_summary(r), "element_accuracy": r["element_accuracy"], **r["lists"]["summary"]},
    "Strengths: detection, and the lists with and without them.",
)

if __name__ == "__main__":
    cli(prog_name="python -m eval.strengths")
