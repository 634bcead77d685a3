"""Pool a new round of the course judgements: the fixed pairs' top-3 gaps that no earlier round judged.

Why: the gap order of issue 23 item 3 lists other skills first (essential ESCO skills the target's tasks
depend on, concrete skills instead of knowledge areas); the share of top-3 gaps that get a relevant
course can only be measured on judged skills. The pool is made as round 1's (:mod:`eval.course_pool`:
BM25, MiniLM label, MiniLM label + definition, the graph's old links, two English courses each,
near-duplicates collapsed) plus the courses the served relevance model shows for the gap (``waypoint``),
so that the first course a person sees is judged. The file carries no model score; the judge labels
each row by the rule in ``eval/data/README.md`` into ``eval/data/course_judgements_gaps.jsonl`` (with
the round's number: 2 for the new gap order, 3 for the free-text pairs' gaps once their occupation counted).

Run: ``python -m eval.course_pool_gaps --out /tmp/pool.jsonl`` (needs a built home).
"""

from __future__ import annotations

import numpy as np

from app.clikit import run
from eval.course_pairs import FIXED_PAIRS
from eval.course_pool import pool_for_skill, pool_rows, pool_typer, take
from eval.courses import JUDGEMENTS, JUDGEMENTS_GAPS, K, load_judgements


def unjudged_gap_skills(settings, k: int = K) -> list[tuple[str, str, str]]:
    """(skill id, catalogue label, description) of the fixed pairs' top-k gaps that no round judged yet.

    Round 2 was the new gap order's; round 3 the free-text pairs' gaps once a text's own occupation
    counted (``skill_gap``'s said occupation: a Python developer's gaps to data scientist are no longer
    Python and SQL)."""
    from retrieval.skills import base
    from retrieval.skills.gap import Profile, skill_gap

    judged = load_judgements(JUDGEMENTS, JUDGEMENTS_GAPS)
    seen: dict[str, None] = {}
    for pair in FIXED_PAIRS:
        p = Profile(occupation=pair.occupation) if pair.occupation else Profile(text=pair.text)
        for m in skill_gap(p, pair.target, settings, max_missing=k).missing_skills[:k]:
            if m.id not in judged:
                seen.setdefault(m.id)
    conn = base.catalogue(settings)
    out = []
    for sid in seen:
        row = conn.execute("SELECT label, description FROM skill WHERE id = ?", (sid,)).fetchone()
        if row:
            out.append((sid, row[0], row[1] or ""))
    return out


def build_pool(settings, per_retriever: int = 2) -> list[dict]:
    from retrieval.courses.relevance import SkillRef, get_relevance
    from retrieval.skills.graph import get_graph

    rel = get_relevance(settings)
    index = rel.index
    english = np.array([lang == "en" for lang in index.languages])
    graph = get_graph(settings)
    rows = []
    for sid, label, description in unjudged_gap_skills(settings):
        found = pool_for_skill(index, rel.embedder, graph, english, sid, label, description, per_retriever)
        shown = rel.courses_for_skill(SkillRef(sid, label), language="en", k=K).courses
        take(found, index, english, "waypoint", [c.id for c in shown], K)
        rows += pool_rows(index, sid, label, description, found)
    return rows


cli = pool_typer(build_pool, "course-pool-gaps")


def main(argv: list[str] | None = None) -> None:
    run(cli, argv, "python -m eval.course_pool_gaps")


if __name__ == "__main__":
    cli(prog_name="python -m eval.course_pool_gaps")
