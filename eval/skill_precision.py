"""``python -m eval.skill_precision``: how precise the skills and credentials extracted from what
people write are, on labelled lines of real résumés and of self-descriptions.

Why lines, labelled by hand: the existing skills evaluation (``eval/skills_extraction.py``) scores
course titles against catalogue tags and ESCO descriptions against essential skills, neither of
which is what a person types. A profile that says "you know blockchain consensus mechanisms"
because the résumé said "POS" is worse than one that misses a skill, so the figure that matters
is precision on what people actually write, with recall beside it so that precision is not bought
by saying nothing.

Data: ``eval/data/skill_lines.jsonl`` (the labelling rule and the sampling are in
``eval/data/README.md``):

* ``source = "resume"``: lines of ``resumes/UpdatedResumeDataSet.csv`` sampled by
  :func:`sample_resume_lines` (fixed seed, 9 per category, all 25 categories);
* ``source = "written"``: self-descriptions written the way people type, with credentials,
  retail "POS", wishes ("want to learn Python") and negations ("I don't know SQL yet").

Each line has ``gold``: groups of catalogue labels/ids (or ``cred:`` ids); a group is one skill the
line says the person has, and any member found satisfies it; and ``acceptable``: further readings
that are correct but not required. Scored on the alias mode that serving uses
(``extract(text, use_embeddings=False, expand=False)``):

* precision = predicted skills inside gold ∪ acceptable / predicted skills (micro, over lines);
* recall = gold groups with a member predicted / gold groups.
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Literal

import typer
from pydantic import BaseModel, Field

from app.clikit import command_typer, run
from retrieval.reports import REPORT_DIR, markdown_table, write_report
from retrieval.settings import Settings, get_settings

NAME = "skill_precision"
DATA = Path(__file__).resolve().parent / "data" / "skill_lines.jsonl"
RESUMES = Path("resumes") / "UpdatedResumeDataSet.csv"
#: Sampling: this many lines per résumé category, seeded per category with ``f"{SEED}:{category}"``.
PER_CATEGORY = 9
SEED = "skill-lines-22"
MIN_WORDS, MAX_WORDS = 3, 40
#: Résumé text is split into lines at line breaks and bullet characters.
_LINE_BREAK = re.compile(r"\r?\n|\s*[•❖➢▪●◦·]\s*|\s\*\s")
TARGET_PRECISION = 0.9


class LabelledLine(BaseModel):
    """One labelled line of ``skill_lines.jsonl``."""

    id: str
    source: Literal["resume", "written"]
    category: str = ""
    row: int | None = Field(
        default=None, description="résumé: row of the CSV (0-based, header excluded) it was taken from"
    )
    text: str
    gold: list[list[str]] = Field(default_factory=list, description="groups: one skill held, any member satisfies it")
    acceptable: list[str] = Field(default_factory=list)


def _repair(text: str) -> str:
    """The CSV's UTF-8 read as Latin-1 ("â\\x80¢" for "•"), repaired where it round-trips."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return text


def sample_resume_lines(path: Path, per_category: int = PER_CATEGORY, seed: str = SEED) -> list[tuple[str, int, str]]:
    """(category, row, line) sampled deterministically: duplicate résumés dropped (first row kept), each
    résumé split into lines, lines of :data:`MIN_WORDS`..:data:`MAX_WORDS` words with ≥ 10 letters kept and
    de-duplicated within a category, then ``per_category`` drawn per category with ``random.Random(f"{seed}:{category}")``
    from the sorted lines."""
    seen: set[str] = set()
    lines: dict[str, dict[str, int]] = defaultdict(dict)
    with open(path, encoding="utf-8", newline="") as fh:
        for row, rec in enumerate(csv.DictReader(fh)):
            text = rec["Resume"]
            if text in seen:
                continue
            seen.add(text)
            for piece in _LINE_BREAK.split(_repair(text)):
                line = " ".join(piece.split())
                if MIN_WORDS <= len(line.split()) <= MAX_WORDS and sum(c.isalpha() for c in line) >= 10:
                    lines[rec["Category"]].setdefault(line, row)
    out = []
    for category in sorted(lines):
        pool = sorted(lines[category])
        for line in random.Random(f"{seed}:{category}").sample(pool, min(per_category, len(pool))):
            out.append((category, lines[category][line], line))
    return out


def load_lines(path: Path = DATA) -> list[LabelledLine]:
    return [
        LabelledLine.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


class Resolver:
    """Gold names (catalogue labels, skill ids, ``cred:`` ids) → canonical ids; unknown names are an error."""

    def __init__(self, conn):
        from retrieval.skills.credentials import BY_ID

        self.conn = conn
        self.credentials = BY_ID

    def __call__(self, name: str) -> set[str]:
        if name.startswith("cred:"):
            if name not in self.credentials:
                raise KeyError(f"unknown credential id {name!r}")
            return {name}
        row = self.conn.execute("SELECT canonical_id FROM skill WHERE id = ?", (name,)).fetchone()
        if row:
            return {row[0]}
        ids = {
            r[0]
            for r in self.conn.execute(
                "SELECT DISTINCT canonical_id FROM skill WHERE label = ? AND kind != 'esco_group'", (name,)
            )
        }
        if not ids:
            raise KeyError(f"no catalogue skill labelled {name!r}")
        return ids


def score(lines: list[LabelledLine], predict, resolve: Resolver) -> dict:
    """Micro precision/recall of ``predict(text) -> [(skill_id, label, span_text)]`` over ``lines``, per source
    and per category, with every false positive and miss listed."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    false_positives, misses = [], []
    for line in lines:
        groups = [set().union(*(resolve(n) for n in group)) for group in line.gold]
        allowed = set().union(*groups, *(resolve(n) for n in line.acceptable))
        predicted = predict(line.text)
        pred_ids = {sid for sid, _label, _span in predicted}
        found = sum(1 for g in groups if g & pred_ids)
        correct = len(pred_ids & allowed)
        for key in {"all", line.source, f"{line.source}:{line.category}" if line.category else line.source}:
            t = totals[key]
            t["lines"] += 1
            t["predicted"] += len(pred_ids)
            t["correct"] += correct
            t["gold"] += len(groups)
            t["found"] += found
        for sid, label, span in predicted:
            if sid not in allowed:
                false_positives.append(
                    {"id": line.id, "text": line.text, "skill_id": sid, "label": label, "span": span}
                )
        for group, names in zip(groups, line.gold):
            if not group & pred_ids:
                misses.append({"id": line.id, "text": line.text, "gold": names[0]})
    metrics = {}
    for key, t in sorted(totals.items()):
        metrics[key] = {
            **t,
            "precision": round(t["correct"] / t["predicted"], 4) if t["predicted"] else 1.0,
            "recall": round(t["found"] / t["gold"], 4) if t["gold"] else 1.0,
        }
    return {"metrics": metrics, "false_positives": false_positives, "misses": misses}


def _alias_predict(extractor):
    def predict(text: str) -> list[tuple[str, str, str]]:
        hits = extractor.extract(text, use_embeddings=False, expand=False)
        return [(h.skill_id, h.label, text[h.spans[0][0] : h.spans[0][1]] if h.spans else "") for h in hits]

    return predict


def evaluate(settings: Settings | None = None, *, path: Path = DATA) -> dict:
    """Precision and recall of the serving alias mode on the labelled lines: overall, per source, per
    category, and the false positives and misses listed."""
    from retrieval.skills import base
    from retrieval.skills.extract import EXTRACTOR_VERSION, get_extractor

    settings = settings or get_settings()
    conn = base.catalogue(settings)
    lines = load_lines(path)
    result = score(lines, _alias_predict(get_extractor(settings)), Resolver(conn))
    overall = result["metrics"]["all"]
    return {
        "catalogue_fingerprint": base.fingerprint(conn)[:16],
        "extractor_version": EXTRACTOR_VERSION,
        "mode": "alias (use_embeddings=False, expand=False)",
        "lines": len(lines),
        "precision": overall["precision"],
        "recall": overall["recall"],
        "overall": overall,
        "target_precision": TARGET_PRECISION,
        "meets_target": overall["precision"] >= TARGET_PRECISION,
        "by_source": {k: v for k, v in result["metrics"].items() if k in ("resume", "written")},
        "by_category": {k.split(":", 1)[1]: v for k, v in result["metrics"].items() if k.startswith("resume:")},
        "false_positives": result["false_positives"],
        "misses": result["misses"],
    }


def markdown(report: dict, baseline: dict | None = None) -> str:
    rows = [{"source": k, **v} for k, v in [("all", report["overall"]), *report["by_source"].items()]]
    md = [
        "# Skill-extraction precision on what people write",
        "",
        f"Catalogue `{report['catalogue_fingerprint']}`, extractor v{report['extractor_version']}, "
        f"mode: {report['mode']}, {report['lines']} labelled lines "
        f"(`eval/data/skill_lines.jsonl`; the labelling rule is in `eval/data/README.md`).",
        "",
        f"Target: precision ≥ {report['target_precision']} — {'met' if report['meets_target'] else 'NOT met'}.",
        "",
        markdown_table(
            rows, ["source", "lines", "predicted", "correct", "precision", "gold", "found", "recall"], floatfmt="{:.3f}"
        ),
        "",
    ]
    if baseline:
        before = [
            {"run": f"before (extractor v{baseline['extractor_version']})", "source": k, **v}
            for k, v in [("all", baseline["overall"]), *baseline["by_source"].items()]
        ]
        after = [
            {"run": f"after (extractor v{report['extractor_version']})", "source": k, **v}
            for k, v in [("all", report["overall"]), *report["by_source"].items()]
        ]
        md += [
            "## Before and after",
            "",
            f"The same lines scored by an earlier extractor ({baseline.get('note') or 'baseline report'}).",
            "",
            markdown_table(before + after, ["run", "source", "predicted", "correct", "precision", "found", "recall"]),
            "",
        ]
    md += [
        "## By résumé category",
        "",
        markdown_table(
            [{"category": k, **v} for k, v in report["by_category"].items()],
            ["category", "lines", "predicted", "correct", "precision", "gold", "found", "recall"],
        ),
        "",
        f"## False positives ({len(report['false_positives'])})",
        "",
    ]
    md += [
        f"- `{fp['id']}` {fp['label']!r} from {fp['span']!r} — {fp['text'][:110]!r}" for fp in report["false_positives"]
    ]
    md += ["", f"## Misses ({len(report['misses'])})", ""]
    md += [f"- `{m['id']}` {m['gold']!r} — {m['text'][:110]!r}" for m in report["misses"]]
    return "\n".join(md) + "\n"


cli = command_typer()


@cli.command("skill-precision")
def skill_precision_command(
    out_dir: Annotated[Path | None, typer.Option(help=f"report folder (default {REPORT_DIR})")] = None,
    name: Annotated[str, typer.Option(help="report name (e.g. skill_precision_before)")] = NAME,
    baseline: Annotated[
        Path | None,
        typer.Option(help="an earlier run's JSON report, shown beside this one (before/after a change)"),
    ] = None,
    print_sample: Annotated[
        bool,
        typer.Option(
            "--print-sample",
            help="print the résumé lines the sampler draws (to check the committed data against the CSV)",
        ),
    ] = False,
) -> dict:
    """How precise the skills and credentials extracted from what people write are: labelled résumé and
    self-description lines (eval/data/skill_lines.jsonl)."""
    settings = get_settings()
    if print_sample:
        for category, row, line in sample_resume_lines(Path(settings.data) / RESUMES):
            print(f"{category}\t{row}\t{line}")
        return {}
    report = evaluate(settings)
    previous = json.loads(baseline.read_text()) if baseline else None
    if previous:
        report["baseline"] = {
            k: previous.get(k) for k in ("note", "extractor_version", "precision", "recall", "overall", "by_source")
        }
    write_report(name, report, markdown(report, previous), out_dir)
    print(
        f"precision {report['precision']:.3f}  recall {report['recall']:.3f}  "
        f"({report['lines']} lines; {len(report['false_positives'])} false positives)",
        file=sys.stderr,
    )
    return report


def main(argv: list[str] | None = None) -> dict:
    """``python -m eval.skill_precision`` on ``argv`` (for tests and scripts); returns the report."""
    return run(cli, argv, "python -m eval.skill_precision")


if __name__ == "__main__":
    cli(prog_name="python -m eval.skill_precision")
