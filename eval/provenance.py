"""``python -m eval.provenance``: are explanations true about the person? (issue 24, item 3)

The slips this measures, all seen in the app: a firefighter told "you already show Microsoft Excel"
(a row of the firefighter occupation's software list, not something they said); a store manager
whose words say "customer service" told Customer and Personal Service is their biggest gap;
"your Microsoft Excel already count"; "to build lead a team"; citation ids that skip (c1, c3, c4).

Pairs, real data, fixed and cheap (no recommender, no LLM):

* every persona of ``eval/data/personas.jsonl`` (a self-description and its labelled O*NET
  occupation, as the understanding links it) × its first :data:`RELATED` O*NET related occupations;
* every goal statement of ``eval/data/goals.jsonl`` (its occupation and text) × the first
  occupation inside the goal (``soc_prefixes``, by code);
* the first :data:`RESUMES` résumés of the catalogue (text only, where skills are written out) × their
  two best BM25 occupations (:func:`retrieval.pairs.bm25_items`).

The profile is what the UI sends: ``Profile(occupation=<linked code>, text=<their words>)`` (a résumé: its text). Each pair
is explained by the deterministic composer (``explain(..., backend="deterministic")``, memory off) and
scored on (``--backend transformers`` scores the LLM's own drafts instead):

* ``provenance_errors`` -- claims that give the person a skill only their occupation suggests
  (:func:`app.explain.verify.provenance_errors` on the composed summary and next steps, before the
  verifier replaces anything), and ``menu_provenance_errors`` -- summaries of the closed grammar's
  menu (:func:`app.explain.composer.summary_options`, what the LLM chooses from) with one;
* ``stated_gaps`` -- missing skills the person stated: a missing requirement whose name
  (:func:`retrieval.skills.gap.element_names`) equals the label or the words of a skill the person
  typed or wrote (the profile's held skills from :func:`retrieval.skills.gap.profile_skills`);
* ``citation_gaps`` -- explanations whose citation ids are not c1..cn in order of first appearance
  (``before`` numbering is the evidence's, kept in ``CitationOut.ref``);
* ``slips`` -- sentences with a bare verb-phrase skill label ("to build lead a team") or "your <one
  skill> already count".

``--name`` names the report. ``provenance_before`` measured the code before issue 24's item 3 (commit
542a5de's composer, and the gap matching requirements by id only) with this module's counts, by
swapping those two in for one run (``--note`` says so in the report).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Annotated

import typer

from app.clikit import command_typer, run
from retrieval.reports import REPORT_DIR, markdown_table, write_report

NAME = "provenance"
DATA = Path(__file__).resolve().parent / "data"
RELATED = 2
RESUMES = 30  # résumés of the catalogue (text only: skills stated in their own words) × 2 occupations each
MAX_RECORDS = 40  # flagged pairs kept in the JSON report, in full


def sample_pairs(settings, related: int = RELATED, resumes: int = RESUMES) -> list[tuple[str, object, str]]:
    """(pair id, profile, item id): personas × related occupations, goals × an occupation inside the goal,
    résumés × their two best BM25 occupations."""
    from retrieval.catalogue.db import connect
    from retrieval.profile import Profile

    conn = connect(settings.catalogue_path, readonly=True)
    try:
        known = {r[0] for r in conn.execute("SELECT id FROM occupation WHERE taxonomy = 'onet'")}
        pairs = []
        for line in (DATA / "personas.jsonl").read_text().splitlines():
            p = json.loads(line)
            if p["onet"] not in known:
                continue
            items = [
                r[0]
                for r in conn.execute(
                    "SELECT related_id FROM related_occupation WHERE occupation_id = ? ORDER BY rank LIMIT ?",
                    (p["onet"], related),
                )
            ]
            pairs += [(f"{p['id']}>{i}", Profile(occupation=p["onet"], text=p["text"]), i) for i in items]
        for line in (DATA / "goals.jsonl").read_text().splitlines():
            g = json.loads(line)
            if g["onet"] not in known:
                continue
            inside = sorted(c for c in known if any(c.startswith(s) for s in g["soc_prefixes"]) and c != g["onet"])
            if inside:
                pairs.append((f"{g['id']}>{inside[0]}", Profile(occupation=g["onet"], text=g["text"]), inside[0]))
    finally:
        conn.close()
    if resumes:
        from retrieval.pairs import bm25_items, sample_profiles

        profiles = sample_profiles(settings, resumes, 0)
        for profile, items in zip(profiles, bm25_items(settings, profiles, 2)):
            pairs += [(f"{profile.id}>{i}", profile, i) for i in items]
    return pairs


def stated_names(profile, settings) -> set[str]:
    """Normalised labels and words of the skills the person typed or wrote (never their occupation's)."""
    from app.explain.evidence import gap_profile
    from retrieval.skills.gap import profile_skills
    from retrieval.text import normalize_label

    gp = gap_profile(profile, settings)
    held = profile_skills(gp.model_copy(update={"occupation": None}), settings, use_embeddings=False, use_map=False)
    names = set()
    for h in held.held.values():
        if h.confidence >= 0.45 and any(e.source != "occupation" for e in h.evidence):
            names.add(normalize_label(h.label))
            names.update(normalize_label(e.text) for e in h.evidence if e.source != "occupation")
    return names


_ALREADY_COUNT = re.compile(r"\byour ([^,;.]+?) already count\b", re.IGNORECASE)


def slips(texts: list[str], evidence) -> list[str]:
    """Known grammar slips in the composed sentences (see the module docstring)."""
    from app.explain.phrasing import is_verb_phrase

    verbs = [s.label for s in (*evidence.matched, *evidence.partial, *evidence.missing) if is_verb_phrase(s.label)]
    found = []
    for text in texts:
        for label in verbs:
            for m in re.finditer(r"(?<!\w)" + re.escape(label) + r"(?!\w)", text):
                if not text[: m.start()].endswith(("the ability to ", "to ")):
                    found.append(f"bare verb phrase {label!r}: {text}")
        for m in _ALREADY_COUNT.finditer(text):
            if " and " not in m.group(1):
                found.append(f"'your {m.group(1)} already count': {text}")
    return found


def citation_gap(ids: list[str]) -> bool:
    return ids != [f"c{n}" for n in range(1, len(ids) + 1)]


def score_pair(profile, item_id: str, settings, backend: str = "deterministic") -> dict:
    from app.explain.composer import compose, summary_options
    from app.explain.service import explain_traced
    from app.explain.verify import DraftError, parse_draft, provenance_errors
    from retrieval.skills.gap import element_names

    explanation, trace = explain_traced(profile, item_id, backend=backend, settings=settings)
    evidence = trace.evidence
    draft, llm = compose(evidence, None), None
    if backend != "deterministic":  # the LLM's own draft, before the verifier replaced anything
        try:
            draft = llm = parse_draft(json.loads(trace.raw_text or ""))
        except (ValueError, DraftError):
            pass
    texts = [draft.summary] + [s.text for s in draft.next_steps]
    errors = [label for t in texts for label in provenance_errors(evidence, t)]
    menu = [t for t in summary_options(evidence) if provenance_errors(evidence, t)]
    names = stated_names(profile, settings)
    stated_gaps = [s.label for s in evidence.missing if element_names(s.label) & names]
    refs = [c.ref or c.id for c in explanation.citations]
    return {
        "item": item_id,
        "item_title": evidence.item.title,
        "summary": draft.summary,
        "llm_draft": llm is not None,
        "fallback": explanation.fallback_reason,
        "provenance_errors": errors,
        "menu_provenance_errors": len(menu),
        "menu": len(summary_options(evidence)),
        "stated_gaps": stated_gaps,
        "citation_gap_before": citation_gap(refs),
        "citation_gap": citation_gap([c.id for c in explanation.citations]),
        "slips": slips(texts + summary_options(evidence), evidence),
        "inferred": len(evidence.inferred()),
        "stated": len(evidence.stated()),
    }


def aggregate(records: list[dict]) -> dict:
    n = len(records) or 1
    return {
        "pairs": len(records),
        "pairs_with_inferred_skills": sum(r["inferred"] > 0 for r in records),
        "provenance_errors": sum(len(r["provenance_errors"]) for r in records),
        "pairs_with_provenance_error": sum(bool(r["provenance_errors"]) for r in records),
        "menu_provenance_errors": sum(r["menu_provenance_errors"] for r in records),
        "menu_summaries": sum(r["menu"] for r in records),
        "stated_gaps": sum(len(r["stated_gaps"]) for r in records),
        "pairs_with_stated_gap": sum(bool(r["stated_gaps"]) for r in records),
        "citation_gaps_evidence_ids": sum(r["citation_gap_before"] for r in records),
        "citation_gaps": sum(r["citation_gap"] for r in records),
        "slips": sum(len(r["slips"]) for r in records),
        "llm_drafts": sum(r.get("llm_draft", False) for r in records),
        "provenance_error_rate": round(sum(bool(r["provenance_errors"]) for r in records) / n, 4),
    }


cli = command_typer()


@cli.command("provenance")
def provenance_command(
    limit: Annotated[int, typer.Option(help="score only the first N pairs (0: all)")] = 0,
    name: Annotated[str, typer.Option(help="report name (eval/reports/<name>.json|md)")] = NAME,
    out_dir: str | None = None,
    note: Annotated[str, typer.Option(help="a line for the report (what code was measured)")] = "",
    backend: Annotated[
        str,
        typer.Option(
            help="deterministic (the composer), or transformers/openai: score the LLM's own drafts "
            "(pairs where it wrote none count the composer's; llm_drafts says how many it wrote)"
        ),
    ] = "deterministic",
) -> dict:
    """Explanations true about the person: provenance errors, stated skills listed as gaps, citation order, slips.

    Writes eval/reports/<name>.{json,md}; prints the summary as JSON."""
    from retrieval.settings import get_settings

    settings = get_settings().model_copy(update={"explain_use_memory": False})
    started = time.perf_counter()
    pairs = sample_pairs(settings)
    if limit:
        pairs = pairs[:limit]
    records, skipped = [], []
    for pid, profile, item_id in pairs:
        try:
            records.append({"pair": pid, **score_pair(profile, item_id, settings, backend)})
        except ValueError as exc:  # an item the gap cannot explain (no requirements in this build)
            skipped.append(f"{pid}: {exc}")
    summary = aggregate(records)
    examples = {
        "provenance": [f"{r['pair']} ({r['item_title']}): {r['summary']}" for r in records if r["provenance_errors"]][
            :8
        ],
        "stated_gaps": [
            f"{r['pair']} ({r['item_title']}): {', '.join(r['stated_gaps'])}" for r in records if r["stated_gaps"]
        ][:8],
        "slips": [s for r in records for s in r["slips"]][:8],
    }
    switches = {
        "backend": backend,
        **{k: getattr(settings, k) for k in ("gap_embeddings", "gap_esco_map", "explain_grammar")},
    }
    md = [
        f"# Explanations true about the person ({name})",
        "",
        "Explanations on real data: personas × related occupations, goal statements × an occupation "
        "inside the goal (profile = linked occupation + the person's words, as the UI sends it) and résumés × "
        "their two best BM25 occupations. "
        f"Settings: {switches}. See eval/provenance.py for each count.",
        "",
        *([note, ""] if note else []),
        markdown_table([summary], list(summary)),
        "",
    ]
    for key, rows in examples.items():
        if rows:
            md += [f"## Examples: {key}", ""] + [f"- {r}" for r in rows] + [""]
    flagged = [r for r in records if r["provenance_errors"] or r["stated_gaps"] or r["slips"] or r["citation_gap"]]
    data = {
        "settings": switches,
        "summary": summary,
        "skipped": skipped,
        "examples": examples,
        "flagged_records": flagged[:MAX_RECORDS],
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_report(name, data, "\n".join(md), Path(out_dir) if out_dir else REPORT_DIR)
    print(json.dumps(summary, indent=2))
    return data


def main(argv: list[str] | None = None) -> dict:
    """``waypoint eval provenance`` on ``argv`` (for tests and scripts); returns the report data."""
    return run(cli, argv, "waypoint eval provenance")


if __name__ == "__main__":  # pragma: no cover
    cli(prog_name="python -m eval.provenance")
