"""Pool (skill, course) candidates for relevance judgements, from simple retrievers only.

How ``eval/data/course_judgements.jsonl`` was made (the rule is in ``eval/data/README.md``): for the
top gaps of the fixed pairs (:mod:`eval.course_pairs`) and the extra skills, the union of

* ``bm25``: BM25 over the course's title, subject, tags and description, query = the skill label;
* ``dense``: MiniLM cosine between the skill label and the course passage;
* ``dense_def``: the same with the label and the first sentence of its definition;
* ``graph``: the courses the skills graph linked to the skill before issue 23 (catalogue tags and
  extracted mentions), the old explanation's choice;

``--per-retriever`` each, English courses only, near-duplicates collapsed, is written to a pool file
*without* any model score. The judge labels that file; the relevance model is never consulted, so
the labels cannot follow its ranking.

Run: ``python -m eval.course_pool --out /tmp/pool.jsonl`` (needs a built home).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from app.clikit import command_typer, run
from eval.course_pairs import EXTRA_SKILLS, FIXED_PAIRS
from retrieval.settings import get_settings

POOL_GAPS = 4


def pool_skills(settings, gaps_per_pair: int = POOL_GAPS) -> list[tuple[str, str, str]]:
    """(skill id, label, description) of the top gaps of the fixed pairs, then the extra skills."""
    from retrieval.catalogue.db import connect
    from retrieval.skills.gap import Profile, skill_gap

    seen: dict[str, None] = {}
    for pair in FIXED_PAIRS:
        p = Profile(occupation=pair.occupation) if pair.occupation else Profile(text=pair.text)
        gap = skill_gap(p, pair.target, settings, max_missing=gaps_per_pair)
        for m in gap.missing_skills[:gaps_per_pair]:
            seen.setdefault(m.id)
    for sid in EXTRA_SKILLS:
        seen.setdefault(sid)
    conn = connect(settings.catalogue_path, readonly=True)
    try:
        out = []
        for sid in seen:
            row = conn.execute("SELECT label, description FROM skill WHERE id = ?", (sid,)).fetchone()
            if row:
                out.append((sid, row[0], row[1] or ""))
    finally:
        conn.close()
    return out


def take(found: dict[str, list[str]], index, english: np.ndarray, name: str, ranked: list[str], n: int) -> None:
    """Pool the first ``n`` English courses of ``ranked`` (near-duplicates collapsed), noting who found them."""
    from retrieval.courses.dedup import collapse

    ranked = [c for c in ranked if english[index.position[c]]]
    ranked = collapse(ranked, lambda c: index.record(c).title)
    for cid in ranked[:n]:
        found.setdefault(cid, []).append(name)


def pool_for_skill(
    index, embedder, graph, english: np.ndarray, sid: str, label: str, description: str, per_retriever: int
) -> dict[str, list[str]]:
    """Round 1's retrievers for one skill: BM25, MiniLM on the label and on label + definition, the graph's
    links; ``{course id: [retrievers that found it]}``."""
    from retrieval.courses.catalogue import skill_query

    found: dict[str, list[str]] = {}
    take(found, index, english, "bm25", [c for c, _ in index.bm25.search(label, k=60)], per_retriever)
    for name, q in (("dense", label), ("dense_def", skill_query(label, description))):
        order = np.argsort(-(index.vectors @ embedder.encode_one(q)))[:60]
        take(found, index, english, name, [index.records[i].id for i in order], per_retriever)
    if sid in graph.graph:
        linked = sorted(graph.courses_for(sid), key=lambda x: (-float(x[1].get("confidence", 1.0)), x[0]))
        take(found, index, english, "graph", [c for c, _ in linked if c in index.position], per_retriever)
    return found


def pool_rows(index, sid: str, label: str, description: str, found: dict[str, list[str]]) -> list[dict]:
    """The rows a judge labels: the skill, and what a person would read of each pooled course (no score)."""
    rows = []
    for cid, by in found.items():
        r = index.record(cid)
        rows.append(
            {
                "skill_id": sid,
                "skill": label,
                "skill_description": description[:200],
                "course_id": cid,
                "title": r.title,
                "provider": r.provider,
                "subject": r.subject,
                "tags": list(r.tags[:8]),
                "description": r.description[:240],
                "pooled_by": by,
            }
        )
    return rows


def build_pool(settings, per_retriever: int = 2) -> list[dict]:
    from retrieval.courses.index import get_index
    from retrieval.embeddings import Embedder
    from retrieval.skills.graph import get_graph

    index = get_index(settings)
    english = np.array([lang == "en" for lang in index.languages])
    embedder = Embedder.from_settings(settings)
    graph = get_graph(settings)
    rows = []
    for sid, label, description in pool_skills(settings):
        found = pool_for_skill(index, embedder, graph, english, sid, label, description, per_retriever)
        rows += pool_rows(index, sid, label, description, found)
    return rows


def pool_typer(build, name: str) -> typer.Typer:
    """The command line of a pooling script: ``--out FILE [--per-retriever N]``, JSON lines."""
    cli = command_typer()
    summary = (sys.modules[build.__module__].__doc__ or "").split("\n")[0]

    @cli.command(name, help=summary)
    def pool_command(
        out: Annotated[Path, typer.Option(help="the pool file to write (JSON lines)")],
        per_retriever: Annotated[int, typer.Option(min=1, help="English courses taken from each retriever")] = 2,
    ) -> None:
        rows = build(get_settings(), per_retriever)
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        print(f"{len(rows)} (skill, course) candidates for {len({r['skill_id'] for r in rows})} skills → {out}")

    return cli


cli = pool_typer(build_pool, "course-pool")


def main(argv: list[str] | None = None) -> None:
    run(cli, argv, "python -m eval.course_pool")


if __name__ == "__main__":
    cli(prog_name="python -m eval.course_pool")
