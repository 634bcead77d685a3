"""Veterans: does "I was an infantryman in the Army" lead to civilian work, and to what the person already knows?

O*NET's military occupations (SOC 55) have titles, descriptions and many alternate titles (MOS names: "Rifleman",
"Cannon Crewmember", "Helicopter Crew Chief"), but no tasks, ratings, related occupations or job zones. On
``eval/data/veterans.jsonl`` (``eval/data/README.md``: 20 messages as veterans type them, each labelled with the
military occupation it names and the civilian occupations a veterans' transition adviser would name, written
before the code that serves them) this measures:

* **linked**: the message's first occupation is the labelled military one;
* **the list**: of the top 5, how many the adviser named, whether any is, and military occupations in the top 10;
* **what they are told they have**: the skills and knowledge matched (fully or partly) toward the list's first
  occupation -- none means every move reads as a stretch "starting with Public Safety and Security" for an
  infantryman;
* **postings**: of the first 8, the share whose linked occupation the adviser named.

Run: ``waypoint eval veterans`` → ``eval/reports/veterans.{json,md,png}``. Needs a built home.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from app.clikit import command_typer, run as run_command
from retrieval.reports import REPORT_DIR, markdown_table, save_figure, write_report
from retrieval.threads import set_process_threads

MESSAGES = Path(__file__).resolve().parent / "data" / "veterans.jsonl"
TOP = 5
POSTINGS = 8


def load_messages() -> list[dict]:
    return [json.loads(line) for line in MESSAGES.read_text().splitlines() if line.strip()]


def evaluate(messages: list[dict], settings) -> list[dict]:
    """One row per message: what Waypoint understood, listed, said the person has, and which postings it showed."""
    from retrieval.catalogue.db import connect, get_meta
    from retrieval.jobs.posting_links import load_links
    from retrieval.profile import Profile
    from retrieval.recommend import Kind, recommend
    from retrieval.skills.gap import Profile as GapProfile, skill_gap
    from retrieval.understanding.service import understand

    conn = connect(settings.catalogue_path, readonly=True)
    try:
        links = load_links(settings, get_meta(conn, "fingerprint") or "")
    finally:
        conn.close()
    rows = []
    for m in messages:
        profile = Profile(text=m["text"])
        expect = set(m["expect"])
        u = understand(m["text"], settings)
        items = recommend([profile], Kind.occupation, 10)[0].items
        gap = skill_gap(GapProfile(text=m["text"]), items[0].id, settings) if items else None
        postings = recommend([profile], Kind.job, POSTINGS)[0].items
        first_links = [(links.get(p.id) or [("", 0.0)])[0][0] for p in postings]
        rows.append(
            {
                "text": m["text"],
                "linked": u.occupations[0].occupation_id if u.occupations else None,
                "linked_right": bool(u.occupations) and u.occupations[0].occupation_id == m["military"],
                "occupations": [i.title for i in items[:TOP]],
                "expected": sum(i.id in expect for i in items[:TOP]),
                "military_in_top10": sum(i.id.startswith("55-") for i in items),
                "has": [s.label for s in gap.matched_skills + gap.partial_skills] if gap else [],
                "postings": [p.title for p in postings],
                "postings_expected": float(np.mean([o in expect for o in first_links])) if postings else 0.0,
            }
        )
    return rows


def summary(rows: list[dict]) -> dict:
    def mean(key) -> float:
        return float(np.mean([key(r) for r in rows])) if rows else 0.0

    return {
        "messages": len(rows),
        "linked": mean(lambda r: r["linked_right"]),
        "expected_top5": mean(lambda r: r["expected"]),
        "any_expected_top5": mean(lambda r: r["expected"] > 0),
        "military_in_top10": mean(lambda r: r["military_in_top10"]),
        "told_they_have": mean(lambda r: len(r["has"])),
        "told_nothing": mean(lambda r: not r["has"]),
        "postings_expected": mean(lambda r: r["postings_expected"]),
    }


def run(out_dir: Path = REPORT_DIR, before: dict | None = None) -> dict:
    from retrieval.settings import get_settings

    set_process_threads(1)
    rows = evaluate(load_messages(), get_settings())
    report = {"summary": summary(rows), "rows": rows, "before": before}
    write(report, out_dir)
    return report


LABELS = {
    "linked": "military occupation linked",
    "expected_top5": f"adviser's occupations in the top {TOP} (of {TOP})",
    "any_expected_top5": f"lists with one of them in the top {TOP}",
    "military_in_top10": "military occupations in the top 10",
    "told_they_have": "skills matched toward the first occupation",
    "told_nothing": "told they have nothing toward it",
    "postings_expected": f"postings of the adviser's occupations (of the first {POSTINGS})",
}


def write(report: dict, out_dir: Path = REPORT_DIR) -> None:
    s, before = report["summary"], report.get("before") or {}
    table = [
        {"measure": LABELS[k], **({"before": before[k]} if k in before else {}), "now": float(s[k])} for k in LABELS
    ]
    examples = [
        f"- “{r['text']}”\n  - list: {', '.join(r['occupations'])}\n  - has toward the first: "
        f"{', '.join(r['has'][:6]) or 'nothing'}\n  - postings: {'; '.join(r['postings'][:4])}"
        for r in report["rows"]
    ]
    md = f"""# Veterans ("I was an infantryman in the Army")

{s["messages"]} messages (`eval/data/veterans.jsonl`), each labelled with the military occupation it names and the
civilian occupations a veterans' transition adviser would name, before the code that serves them (the table of
civilian counterparts, `retrieval/occupations/data/military_counterparts.tsv`, was then written by the same hand:
the list figures are an upper bound on held-out people, the "told they have" figures are not). "Before" is the
commit before military occupations had civilian counterparts.

{markdown_table(table, list(table[0]))}

{chr(10).join(examples)}
"""
    write_report("veterans", report, md, out_dir)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = ["any_expected_top5", "postings_expected", "told_nothing"]
    fig, ax = plt.subplots(figsize=(7, 3.8))
    x = np.arange(len(keys))
    if before:
        ax.bar(x - 0.2, [before.get(k, 0.0) for k in keys], 0.4, label="before")
    ax.bar(x + (0.2 if before else 0.0), [s[k] for k in keys], 0.4, label="now")
    ax.set_xticks(x, ["adviser's pick in top 5", "postings of their picks", "told they have nothing"])
    ax.set_ylim(0, 1)
    save_figure(
        fig, ax, out_dir / "veterans.png", title=f"Veterans ({s['messages']} messages)", xlabel="", ylabel="share"
    )


cli = command_typer()


@cli.command("veterans")
def veterans_command(before: Path | None = None) -> dict:
    """Veterans: linking, civilian lists, what they are told they have, postings. ``--before``: an earlier
    report's JSON to show beside this one."""
    prior = json.loads(before.read_text())["summary"] if before else None
    report = run(before=prior)
    print(json.dumps(report["summary"], indent=1))
    return report


def main(argv: list[str] | None = None) -> dict:
    """``waypoint eval veterans`` on ``argv`` (for tests and scripts); returns the report."""
    return run_command(cli, argv, "waypoint eval veterans")
