"""How the chat decides what a message is for: the regular expressions it used vs the SetFit intent
model, alone and as the chat uses it (:mod:`app.ui.routing`: the intent model for what is asked, the
understanding for what is said).

The chat does one of five things with a message, so routers are scored on those actions:

* ``fit``: a fit or skill-gap question ("Am I a good fit for X?", "what am I missing to become a pilot?");
* ``profile``: something about the person or a request for the occupation list (take it in, recommend);
* ``courses`` / ``jobs``: a request for courses or job postings (that list);
* ``other``: small talk (a greeting, thanks, an off-topic request);
* ``about``: a question about an occupation in general ("What does a data analyst do?");
* ``compare``: a choice between two kinds of work ("Should I go into nursing or teaching?", :mod:`app.ui.choices`).

The regular expressions of the chat before knew only ``fit`` and ``profile``.

Four test sets, none used to train anything: the intent model's held-out TEST messages
(:data:`retrieval.rerankers.intent_examples.TEST`, intents mapped to actions by :data:`ACTION`),
``eval/data/chat_messages.jsonl``, messages written the way people use this chat (self-descriptions,
goals, fit questions with known and unknown titles, small talk), with the target of each fit question,
``eval/data/chat_followups.jsonl``, the short follow-ups people type once a recommendation is on screen
("what am I missing?", "why?", "ok, and courses?": written from a walk through the UI, where the first of
them got the greeting, before any training example for them), and pasted résumés (:func:`pasted_texts`:
the catalogue's own résumés and work histories, each sent as one message; all should be taken in).

Run: ``python -m eval.chat_routing [--train]`` (trains the intent model when it is missing, or always
with ``--train``) → ``eval/reports/chat_routing.{json,md,png}``. Needs a built home (the understanding).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from app.clikit import command_typer, run as run_command
from retrieval.reports import REPORT_DIR, markdown_table, save_figure, write_report
from retrieval.threads import set_process_threads

DATA = Path(__file__).resolve().parent / "data" / "chat_messages.jsonl"
# typed after a recommendation is on screen ("what am I missing?"): a fit question about it, or its lists
FOLLOWUPS = Path(__file__).resolve().parent / "data" / "chat_followups.jsonl"
ACTION = {
    "explain_fit": "fit",
    "skill_gap": "fit",
    "other": "other",
    "recommend_occupations": "profile",
    "find_jobs": "jobs",
    "courses": "courses",
    "describe": "profile",
    "recommend": "profile",
    "fit": "fit",
    # a question about an occupation in general ("What does a data analyst do?"): what the work is
    "about": "about",
    # a choice between two kinds of work ("Should I go into nursing or teaching?"): both weighed for the person
    "compare": "compare",
}


PASTED = 40  # résumés and applicants' work histories of the catalogue, each pasted into the chat


def pasted_texts(settings, n: int = PASTED) -> list[tuple[str, str]]:
    """What people paste into the chat: the profiles ``waypoint eval explain`` samples
    (:func:`retrieval.pairs.sample_profiles`: the first ``n`` résumés and ``n`` applicants' work histories by
    id), read from the built catalogue at run time, cut to the chat's text limit: ``(profile id, text)``, the
    id standing for the text in reports (the data is never copied into the repository)."""
    from retrieval.pairs import sample_profiles

    return [
        (str(p.id), p.text[: settings.max_text_chars])
        for p in sample_profiles(settings, n_resumes=n, n_applicants=n)
        if p.text and p.text.strip()
    ]


def load_sets(settings=None) -> dict[str, list[dict]]:
    """``{set name: [{"text", "action", "target"?}]}``; with ``settings``, also the pasted résumés."""
    from retrieval.rerankers.intent_examples import TEST

    def read(path: Path) -> list[dict]:
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return [
            {"text": r["text"], "action": ACTION[r["intent"]], "gold": r["intent"], "target": r.get("target")}
            for r in rows
        ]

    sets = {
        "intent TEST": [
            {"text": t, "action": ACTION[intent], "gold": intent} for intent, ts in TEST.items() for t in ts
        ],
        "chat messages": read(DATA),
        "follow-ups": read(FOLLOWUPS),
    }
    if settings is not None:
        sets["pasted résumés"] = [
            {"text": t, "name": name, "action": "profile", "gold": "describe"} for name, t in pasted_texts(settings)
        ]
    return sets


def routers(settings) -> tuple[dict[str, Callable[[str], tuple[str, str | None]]], dict[str, str]]:
    """Each router: message → (action, fit target). Also which intent model served."""
    from app.api.services import asks_about_shown, parse_fit_question
    from app.ui.routing import route
    from retrieval.rerankers.setfit_models import (
        CentroidClassifier,
        TextClassifier,
        intent_examples,
    )
    from retrieval.understanding.service import understand

    setfit = TextClassifier("intent", settings)
    tx, ty, _ex, _ey = intent_examples()
    centroid = CentroidClassifier.fit(tx, ty)
    understood: dict[str, object] = {}

    def u(text: str):
        if text not in understood:
            understood[text] = understand(text, settings)
        return understood[text]

    def regex(text: str):
        target = parse_fit_question(text)
        return ("fit", target) if target or asks_about_shown(text) else ("profile", None)

    def alone(label_of):
        return lambda text: (ACTION[label_of(text)], parse_fit_question(text))

    def chat(label_of):
        def run(text: str):
            r = route(text, label_of(text), u(text))
            return r.action, r.target

        return run

    sf = lambda text: setfit.predict([text])[0].label  # noqa: E731
    ce = lambda text: centroid.predict([text])[0]  # noqa: E731
    out = {
        "regex (the chat before)": regex,
        "SetFit alone": alone(sf),
        "centroid alone": alone(ce),
        "chat: SetFit + understanding": chat(sf),
        "chat: centroid + understanding": chat(ce),
    }
    return out, {"setfit": setfit.kind}


def score(
    rows: list[dict], router: Callable[[str], tuple[str, str | None]], same_occupation: Callable[[str, str], bool]
) -> dict:
    predicted = [router(r["text"]) for r in rows]
    right = [p[0] == r["action"] for p, r in zip(predicted, rows)]
    fits = [(p, r) for p, r in zip(predicted, rows) if r.get("target")]
    # the worst mistake: a person telling us about themselves and getting small talk back
    ignored = sum(
        p[0] == "other" and r["gold"] in ("describe", "recommend", "recommend_occupations")
        for p, r in zip(predicted, rows)
    )
    out = {
        "n": len(rows),
        "accuracy": round(sum(right) / max(1, len(rows)), 4),
        "self_descriptions_answered_as_small_talk": ignored,
        "errors": [
            {"text": r.get("name", r["text"]), "gold": r["action"], "routed": p[0]}
            for p, r, ok in zip(predicted, rows, right)
            if not ok
        ],
    }
    if fits:
        out["fit_targets_right"] = sum(
            p[0] == "fit" and p[1] is not None and same_occupation(p[1], r["target"]) for p, r in fits
        )
        out["fit_questions"] = len(fits)
    return out


def run(train: bool = False) -> dict:

    from retrieval.rerankers.setfit_models import model_dir, reset_cache
    from retrieval.settings import get_settings

    set_process_threads(1)
    settings = get_settings()
    training = None
    if train or not (model_dir("intent", settings) / "waypoint_labels.json").is_file():
        from training.setfit_models import SetFitConfig, train_intent

        training = train_intent(SetFitConfig(tasks=["intent"], show_progress=False))
        reset_cache()
    sets = load_sets(settings)
    table, served = routers(settings)
    from app.api.services import WaypointService

    service = WaypointService(settings)

    def same_occupation(named: str, gold: str) -> bool:
        """Both name the same occupation, or neither names one ("astronaut wizard")."""
        return service.match_occupation(named).occupation == service.match_occupation(gold).occupation

    results = {
        name: {router: score(rows, fn, same_occupation) for router, fn in table.items()} for name, rows in sets.items()
    }
    report = {"models": served, "training": training, "sets": {k: len(v) for k, v in sets.items()}, "results": results}
    write(report)
    return report


def write(report: dict) -> None:
    results = report["results"]
    rows = []
    for router in next(iter(results.values())):
        row = {"router": router}
        for name, by_router in results.items():
            r = by_router[router]
            row[f"{name} accuracy"] = r["accuracy"]
            row[f"{name}: self-descriptions → small talk"] = r["self_descriptions_answered_as_small_talk"]
        chat = results["chat messages"][router]
        row["fit targets right"] = f"{chat.get('fit_targets_right', 0)}/{chat.get('fit_questions', 0)}"
        rows.append(row)
    best = "chat: SetFit + understanding"
    errors = "\n".join(
        f"- “{e['text']}”: {e['gold']} → {e['routed']}" for name in results for e in results[name][best]["errors"]
    )
    pasted = report["sets"].get("pasted résumés", 0)
    md = f"""# Chat routing: regular expressions vs the SetFit intent model

What the chat does with a message (`fit` question, `profile`: take it in and recommend, `courses` /
`jobs`: that list, `other`: small talk), on the intent model's held-out TEST messages ({report["sets"]["intent TEST"]}), on
{report["sets"]["chat messages"]} chat messages written the way people use Waypoint
(`eval/data/chat_messages.jsonl`), on {report["sets"]["follow-ups"]} follow-ups typed once a recommendation is on
screen ("what am I missing?", `eval/data/chat_followups.jsonl`: a fit question about it, or its lists) and on {pasted} pasted résumés: the catalogue's first {PASTED} résumés
and {PASTED} applicants' work histories, each sent as one chat message (all should be taken in as a
description of the person; read from the built catalogue, not stored here). Intent model served:
**{report["models"]["setfit"]}**.

{markdown_table(rows, list(rows[0]), floatfmt="{:.3f}")}

"chat: … + understanding" is `app/ui/routing.py`: the intent model for what is asked, the understanding
for what is said (a message naming an occupation, skill or goal is taken in even when the model, trained
without self-descriptions, calls it small talk); a fit question's target comes from "Am I a good fit
for X" or from the understanding. "Fit targets right": the fit questions of the chat set routed to
`fit` with a target that names the same occupation as the one written (or, like "astronaut wizard",
names none either).

Errors of the chat's router:
{errors or "- none"}
"""
    write_report("chat_routing", report, md)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np

        names = list(results)
        routers_ = list(results[names[0]])
        fig, ax = plt.subplots(figsize=(8, 4))
        x = np.arange(len(routers_))
        width = 0.8 / len(names)
        for i, name in enumerate(names):
            offset = (i - (len(names) - 1) / 2) * width
            ax.bar(x + offset, [results[name][r]["accuracy"] for r in routers_], width, label=name)
        ax.set_xticks(x, [r.replace(" + ", "\n+ ").replace(": ", ":\n") for r in routers_], fontsize=7)
        ax.set_ylim(0, 1)
        save_figure(
            fig,
            ax,
            REPORT_DIR / "chat_routing.png",
            title="Chat routing accuracy (5 actions)",
            xlabel="router",
            ylabel="accuracy",
        )
    except ImportError:  # the plot is a convenience; the numbers are in the JSON and markdown
        pass


cli = command_typer()


@cli.command("chat-routing")
def chat_routing_command(
    train: Annotated[bool, typer.Option("--train", help="retrain the SetFit intent model first")] = False,
) -> dict:
    """The chat's routing (fit question / profile / small talk): regexes vs SetFit intent vs SetFit + understanding."""
    report = run(train=train)
    print(
        json.dumps(
            {name: {r: v["accuracy"] for r, v in by.items()} for name, by in report["results"].items()}, indent=1
        )
    )
    return report


def main(argv: list[str] | None = None) -> dict:
    """``waypoint eval chat-routing`` on ``argv`` (for tests and scripts); returns the report."""
    return run_command(cli, argv, "waypoint eval chat-routing")


if __name__ == "__main__":
    cli(prog_name="python -m eval.chat_routing")
