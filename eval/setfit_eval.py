"""SetFit few-shot classifiers vs a nearest-centroid MiniLM baseline.

* **Job family** (SOC major group, 23 classes), trained on 8 O*NET alternate titles per group:
  accuracy on held-out O*NET *reported* titles (30 per group, never training strings), and on the
  résumé file's distinct texts with their categories mapped to major groups by hand
  (:data:`retrieval.rerankers.setfit_models.RESUME_CATEGORY_TO_GROUP`; 20 of 25 categories are
  group 15, so the per-group macro accuracy is reported too).
* **Chat intent** (6 classes), trained on 15 hand-written messages per intent, tested on 6 other
  hand-written messages per intent.

Run: ``python -m eval.setfit_eval [--no-train] [--tiny]`` → ``eval/reports/setfit.{json,md}``.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Annotated

import typer

from app.clikit import command_typer, run as run_command
from retrieval.threads import set_process_threads

REPORT_DIR = Path(__file__).resolve().parent / "reports"


def _accuracy(pred: list[str], gold: list[str]) -> dict:
    n = len(gold)
    acc = sum(p == g for p, g in zip(pred, gold)) / max(1, n)
    per: dict[str, list[int]] = defaultdict(list)
    for p, g in zip(pred, gold):
        per[g].append(int(p == g))
    macro = sum(sum(v) / len(v) for v in per.values()) / max(1, len(per))
    return {"accuracy": round(acc, 4), "macro_accuracy": round(macro, 4), "n": n}


def _resumes(settings) -> tuple[list[str], list[str]]:
    from retrieval.catalogue.db import connect
    from retrieval.rerankers.setfit_models import RESUME_CATEGORY_TO_GROUP

    conn = connect(settings.catalogue_path, readonly=True)
    rows = conn.execute("SELECT category, text FROM resume ORDER BY id").fetchall()
    conn.close()
    x = [t for c, t in rows if c in RESUME_CATEGORY_TO_GROUP]
    y = [RESUME_CATEGORY_TO_GROUP[c] for c, t in rows if c in RESUME_CATEGORY_TO_GROUP]
    return x, y


def run(train: bool = True, tiny: bool = False) -> dict:

    set_process_threads(1)
    from retrieval.rerankers.setfit_models import (
        CentroidClassifier,
        TextClassifier,
        family_examples,
        intent_examples,
        model_dir,
        reset_cache,
    )
    from retrieval.settings import get_settings
    from training.setfit_models import SetFitConfig, train as train_setfit

    settings = get_settings()
    config = SetFitConfig.tiny() if tiny else SetFitConfig()
    training = {}
    if train or not (model_dir("family", settings) / "waypoint_labels.json").is_file():
        training = train_setfit(config)
    reset_cache()

    fx, fy, tx, ty = family_examples(settings, shots=config.shots_per_family, seed=config.seed, test_per_family=30)
    rx, ry = _resumes(settings)
    ix, iy, itx, ity = intent_examples()

    report: dict = {"config": config.__dict__, "training": training, "family": {}, "intent": {}}
    centroid_f = CentroidClassifier.fit(fx, fy)
    centroid_i = CentroidClassifier.fit(ix, iy)
    family = TextClassifier("family", settings)
    intent = TextClassifier("intent", settings)
    t0 = time.perf_counter()
    sf_titles = [p.label for p in family.predict(tx)]
    title_ms = 1000 * (time.perf_counter() - t0) / max(1, len(tx))
    sf_resumes = [p.label for p in family.predict(rx)]
    sf_intent = [p.label for p in intent.predict(itx)]
    report["family"] = {
        "train_examples": len(fx),
        "held_out_titles": {"setfit": _accuracy(sf_titles, ty), "centroid": _accuracy(centroid_f.predict(tx), ty)},
        "resumes": {"setfit": _accuracy(sf_resumes, ry), "centroid": _accuracy(centroid_f.predict(rx), ry)},
        "setfit_ms_per_title": round(title_ms, 2),
        "model": family.kind,
    }
    report["intent"] = {
        "train_examples": len(ix),
        "test": {"setfit": _accuracy(sf_intent, ity), "centroid": _accuracy(centroid_i.predict(itx), ity)},
        "errors": [{"text": t, "gold": g, "pred": p} for t, g, p in zip(itx, ity, sf_intent) if g != p],
        "model": intent.kind,
    }
    write(report)
    return report


def write(report: dict) -> None:
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    (REPORT_DIR / "setfit.json").write_text(json.dumps(report, indent=2, default=str))
    f, i = report["family"], report["intent"]
    tr = report.get("training") or {}
    rows = [
        "| task / test set | n | SetFit acc | SetFit macro | centroid acc | centroid macro |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, block in (
        ("family: held-out O*NET reported titles", f["held_out_titles"]),
        ("family: résumés (category → major group)", f["resumes"]),
        ("intent: held-out messages", i["test"]),
    ):
        s, c = block["setfit"], block["centroid"]
        rows.append(
            f"| {name} | {s['n']} | {s['accuracy']:.3f} | {s['macro_accuracy']:.3f} | "
            f"{c['accuracy']:.3f} | {c['macro_accuracy']:.3f} |"
        )
    times = ", ".join(f"{k}: {v.get('train_s')} s" for k, v in tr.items()) or "not retrained in this run"
    md = f"""# SetFit few-shot classifiers

Job family = SOC major group (23 classes), trained on {f["train_examples"]} O*NET alternate titles
(8 per group). Intent = 6 classes, trained on {i["train_examples"]} hand-written messages.
Baseline: nearest centroid of the packaged MiniLM embeddings of the same examples.

{chr(10).join(rows)}

Training time on 2 shared CPU cores (1 torch thread): {times}. SetFit inference
{f["setfit_ms_per_title"]} ms per title.

Résumé categories were mapped to major groups by hand (see
`retrieval/rerankers/setfit_models.py::RESUME_CATEGORY_TO_GROUP`); most are software roles (group 15).

Intent errors: {len(i["errors"])} — {"; ".join(f"“{e['text']}” {e['gold']}→{e['pred']}" for e in i["errors"][:8])}
"""
    (REPORT_DIR / "setfit.md").write_text(md)


cli = command_typer()


@cli.command("setfit")
def setfit_eval_command(
    no_train: Annotated[bool, typer.Option("--no-train", help="evaluate the saved models")] = False,
    tiny: Annotated[bool, typer.Option("--tiny", help="train on the CI budget first")] = False,
) -> dict:
    """SetFit job family and chat intent against a nearest-centroid embedding baseline."""
    report = run(train=not no_train, tiny=tiny)
    print(json.dumps({k: report[k] for k in ("family", "intent")}, indent=1, default=str)[:3000])
    return report


def main(argv: list[str] | None = None) -> dict:
    """``waypoint eval setfit`` on ``argv`` (for tests and scripts); returns the report."""
    return run_command(cli, argv, "waypoint eval setfit")


if __name__ == "__main__":
    cli(prog_name="python -m eval.setfit_eval")
