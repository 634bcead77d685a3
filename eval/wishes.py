"""What the evaluations of one thing a person says (a physical limit, a wish for remote, outdoor or part-time work,
a pay wish, leaving their work, their strengths, schooling) share: the labelled messages, detection measured on them
and on text that says nothing of the kind, the same text with the finding taken out (what Waypoint showed before it
understood it), a catalogue score against occupations labelled by hand, the before/after bar plot, and the one
command that runs the evaluation and prints its summary.

Why one module: eight evaluations had copied these pieces from each other, and a fix to one (the résumé-newline
bug in the examples line) reached only some.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from app.clikit import command_typer, run as run_command
from retrieval.metrics import roc_auc
from retrieval.reports import save_figure
from retrieval.threads import set_process_threads


def load_jsonl(path: Path) -> list[dict]:
    """The labelled messages of ``path``, one JSON object per non-empty line."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def detection(messages: list[dict], catalogue: Path, find: Callable[[str], list], label: str = "limit") -> dict:
    """Precision and recall of ``find`` on the messages (gold: each message's ``label``); how often it fires on
    the catalogue's résumés and applicants' work histories, which ask for nothing."""
    found = [bool(find(m["text"])) for m in messages]
    gold = [bool(m[label]) for m in messages]
    tp = sum(f and g for f, g in zip(found, gold))
    errors = [m["text"] for m, f, g in zip(messages, found, gold) if f != g]
    conn = sqlite3.connect(f"file:{catalogue}?mode=ro", uri=True)
    try:
        resumes = [r[0] for r in conn.execute("SELECT text FROM resume")]
        histories: dict[str, list[str]] = defaultdict(list)
        for applicant, position, description in conn.execute(
            "SELECT applicant_id, position, description FROM experience"
        ):
            histories[applicant].append(f"{position}. {description}")
    finally:
        conn.close()
    unstated = resumes + ["\n".join(rows) for rows in histories.values()]
    fired = [t for t in unstated if find(t)]
    return {
        "messages": len(messages),
        "precision": tp / max(1, sum(found)),
        "recall": tp / max(1, sum(gold)),
        "accuracy": sum(f == g for f, g in zip(found, gold)) / len(messages),
        "errors": errors,
        "unstated_texts": len(unstated),
        "unstated_with_a_limit": len(fired),
        "unstated_examples": [t[:200] for t in fired[:5]],
    }


def wish_report(messages_path: Path, find: Callable[[str], list], label: str, **parts: Callable[..., dict]) -> dict:
    """What each evaluation of one thing a person says runs first: one thread, its labelled messages, detection on them
    and on the catalogue's résumés (:func:`detection`, with ``positives``: how many messages say it), then each named
    part called with ``(messages, settings)``, in order. The caller writes the report."""
    from retrieval.settings import get_settings

    set_process_threads(1)
    settings = get_settings()
    messages = load_jsonl(messages_path)
    report: dict = {
        "detection": {
            **detection(messages, settings.catalogue_path, find, label),
            "positives": sum(bool(m[label]) for m in messages),
        }
    }
    report.update({name: part(messages, settings) for name, part in parts.items()})
    return report


def corpus_of(settings):
    """The served occupation corpus (its scores are what the wishes keep to)."""
    from retrieval.occupations.service import get_occupation_recommender

    return get_occupation_recommender(settings).corpus


def without_found(text: str, find: Callable[[str], list[tuple[int, int]]]) -> str:
    """``text`` with the spans ``find`` reads (a limit, a wish) taken out: what the person would have got before
    Waypoint understood them."""
    for start, end in reversed(find(text)):
        text = text[:start] + text[end:]
    return text


def examples_line(texts: list[str]) -> str:
    """ ": “...”; “...”" -- up to three texts on one Markdown line (a résumé's newlines would end the paragraph)."""
    return (": " + "; ".join(f"“{' '.join(t.split())[:120]}…”" for t in texts[:3])) if texts else ""


def label_validity(scores: np.ndarray, index: dict[str, int], labels: Path, column: str, threshold: float) -> dict:
    """A catalogue score (physical demand, remote feasibility, outdoor work) against occupations labelled by hand
    in ``labels`` (``occupation_id``, ``title``, 0/1 ``column``): AUC, and what the served ``threshold`` keeps."""
    rows = [r for r in csv.DictReader(labels.open()) if r["occupation_id"] in index]
    y = np.array([int(r[column]) for r in rows])
    s = np.array([scores[index[r["occupation_id"]]] for r in rows])
    kept = s >= threshold
    return {
        "labelled": len(rows),
        "positive_labelled": int(y.sum()),
        "auc": roc_auc(y, s),
        "threshold": threshold,
        "positive_kept": int((kept & (y == 1)).sum()),
        "negative_kept": int((kept & (y == 0)).sum()),
        "recall": float((kept & (y == 1)).sum() / max(1, (y == 1).sum())),
        "precision": float((kept & (y == 1)).sum() / max(1, kept.sum())),
        "positive_left_out": [r["title"] for r, k, t in zip(rows, kept, y) if t == 1 and not k],
        "negative_kept_titles": [r["title"] for r, k, t in zip(rows, kept, y) if t == 0 and k],
        "share_of_catalogue_kept": float((scores >= threshold).mean()),
    }


def plot_before_after(
    path: Path,
    names: Sequence[str],
    before: Sequence[float],
    after: Sequence[float],
    *,
    title: str,
    ylabel: str = "share of the top 10",
    legend: tuple[str, str] = ("wish not understood", "wish understood"),
    ylim: float = 1.0,
) -> None:
    """Bars of each measure before (the finding's words taken out) and after (understood), side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(7.5, 2.2 * len(names)), 3.8))
    x = np.arange(len(names))
    ax.bar(x - 0.2, before, 0.4, label=legend[0])
    ax.bar(x + 0.2, after, 0.4, label=legend[1])
    ax.set_xticks(x, names)
    ax.set_xlim(-0.8, len(names) - 0.2)  # one measure alone is not two bars the width of the plot
    ax.set_ylim(0, ylim)
    save_figure(fig, ax, path, title=title, xlabel="", ylabel=ylabel)


def eval_command(name: str, run: Callable[[], dict], summary: Callable[[dict], dict], help: str):
    """The ``cli`` (``waypoint eval NAME``: run, print the summary as JSON, return the report) and the ``main(argv)``
    tests and scripts call."""
    cli = command_typer()

    def command() -> dict:
        report = run()
        print(json.dumps(summary(report), indent=1))
        return report

    cli.command(name, help=help)(command)

    def main(argv: list[str] | None = None) -> dict:
        return run_command(cli, argv, f"waypoint eval {name}")

    return cli, main


def detection_summary(report: dict) -> dict:
    """The detection figures every command prints."""
    return {k: report["detection"][k] for k in ("precision", "recall", "unstated_with_a_limit")}
