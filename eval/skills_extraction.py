"""Skill-extraction precision/recall on real labelled text from the catalogue.

Two labelled sources, both real:

* **Coursera** — each course title is the text; the gold skills are the course's own catalogue tags
  mapped to vocabulary ids (``course_skill`` rows with ``source='catalogue'``). Titles are short and
  the tags are broad, so recall is bounded by what a title can say.
* **ESCO occupations** — each occupation description is the text; the gold skills are its essential
  skills (``occupation_skill`` relation ``essential``). Descriptions paraphrase rather than name
  skills, which is what the embedding tagger is for.

Scores are micro-averaged over (document, skill) pairs, strict (same canonical id) and lenient
(a prediction one ESCO broader/narrower hop from a gold skill also counts). Configurations:
``alias``, ``alias+graph``, ``alias+embedding`` and ``all``; plus extraction latency on résumés.

Run: ``python -m eval.skills_extraction`` → ``eval/reports/skills_extraction.{json,md}``.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections import defaultdict
from pathlib import Path

from app.clikit import command_typer, run
from retrieval.settings import Settings, get_settings
from retrieval.skills import base
from retrieval.skills.extract import EMBED_THRESHOLD, SkillExtractor, get_extractor

REPORT_DIR = Path(__file__).resolve().parent / "reports"
CONFIGS = {
    "alias": {"use_embeddings": False, "expand": False},
    "alias+graph": {"use_embeddings": False, "expand": True},
    "alias+embedding": {"use_embeddings": True, "expand": False},
    "all": {"use_embeddings": True, "expand": True},
}


def _coursera(conn) -> list[tuple[str, set[str]]]:
    gold: dict[str, set[str]] = defaultdict(set)
    titles = {}
    for cid, title, sid in conn.execute(
        "SELECT c.id, c.title, s.canonical_id FROM course c JOIN course_skill cs ON cs.course_id = c.id "
        "JOIN skill s ON s.id = cs.skill_id WHERE c.provider = 'coursera' AND cs.source = 'catalogue' ORDER BY c.id"
    ):
        gold[cid].add(sid)
        titles[cid] = title
    return [(titles[c], gold[c]) for c in sorted(gold)]


def _esco(conn, n: int, seed: int) -> list[tuple[str, set[str]]]:
    gold: dict[str, set[str]] = defaultdict(set)
    desc = {}
    for oid, description, sid in conn.execute(
        "SELECT o.id, o.description, s.canonical_id FROM occupation o JOIN occupation_skill os ON os.occupation_id = o.id "
        "JOIN skill s ON s.id = os.skill_id WHERE o.taxonomy = 'esco' AND os.relation = 'essential' AND o.description != ''"
    ):
        gold[oid].add(sid)
        desc[oid] = description
    ids = sorted(gold)
    random.Random(seed).shuffle(ids)
    return [(desc[o], gold[o]) for o in ids[:n]]


def _neighbours(ex: SkillExtractor, sid: str) -> set[str]:
    out = set(ex.data.broader.get(sid, []))
    out.update(child for child, parents in _children_index(ex).get(sid, []))
    return out


_CHILDREN: dict[int, dict[str, list[tuple[str, list[str]]]]] = {}


def _children_index(ex: SkillExtractor) -> dict[str, list[tuple[str, list[str]]]]:
    key = id(ex)
    if key not in _CHILDREN:
        index: dict[str, list[tuple[str, list[str]]]] = defaultdict(list)
        for child, parents in ex.data.broader.items():
            for p in parents:
                index[p].append((child, parents))
        _CHILDREN[key] = index
    return _CHILDREN[key]


def score(
    ex: SkillExtractor,
    docs: list[tuple[str, set[str]]],
    threshold: float = EMBED_THRESHOLD,
    min_confidence: float = 0.0,
    **opts,
) -> dict:
    """Micro precision/recall/F1 (strict and lenient) of ``ex.extract`` over ``docs``."""
    tp = fp = fn = 0
    ltp_pred = lfn = 0
    n_pred = 0
    t0 = time.time()
    for text, gold in docs:
        pred = {h.skill_id for h in ex.extract(text, threshold=threshold, min_confidence=min_confidence, **opts)}
        n_pred += len(pred)
        tp += len(pred & gold)
        fp += len(pred - gold)
        fn += len(gold - pred)
        near_gold = set(gold)
        for g in gold:
            near_gold |= _neighbours(ex, g)
        ltp_pred += len(pred & near_gold)
        for g in gold:
            if g not in pred and not (_neighbours(ex, g) & pred):
                lfn += 1
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    lp = ltp_pred / n_pred if n_pred else 0.0
    lr = 1 - lfn / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f, 4),
        "lenient_precision": round(lp, 4),
        "lenient_recall": round(lr, 4),
        "docs": len(docs),
        "gold": tp + fn,
        "predicted": n_pred,
        "seconds": round(time.time() - t0, 2),
    }


def latency(ex: SkillExtractor, conn, n: int = 20) -> dict:
    """Per-résumé extraction time (s) after warm-up, for résumés of ≥ 3,000 characters.

    ``all (uncached)`` bypasses the embedding cache, so it measures what a never-seen résumé costs.
    """
    texts = [t for (t,) in conn.execute("SELECT text FROM resume WHERE length(text) >= 3000 ORDER BY id LIMIT ?", (n,))]
    ex.extract(texts[0])  # warm-up: model load, skill matrix
    out = {
        "resumes": len(texts),
        "mean_chars": round(statistics.mean(len(t) for t in texts)),
        "segments_per_resume": round(statistics.mean(len(ex.segments(t)) for t in texts), 1),
    }
    for name, opts in (
        ("alias+graph", {"use_embeddings": False}),
        ("all (uncached)", {"use_cache": False}),
        ("all (cached)", {"use_embeddings": True}),
    ):
        times = []
        for t in texts:
            start = time.perf_counter()
            ex.extract(t, **opts)
            times.append(time.perf_counter() - start)
        times.sort()
        out[name] = {
            "median_s": round(statistics.median(times), 4),
            "p95_s": round(times[int(0.95 * (len(times) - 1))], 4),
        }
    return out


def evaluate(
    settings: Settings | None = None,
    *,
    esco_docs: int = 300,
    seed: int = 13,
    thresholds: tuple[float, ...] = (0.45, 0.5, 0.55, 0.6),
    with_embeddings: bool = True,
) -> dict:
    """All metrics as one dict: {dataset: {config: metrics}}, a threshold sweep and latency."""
    settings = settings or get_settings()
    conn = base.catalogue(settings)
    ex = get_extractor(settings)
    datasets = {"coursera_titles": _coursera(conn), "esco_descriptions": _esco(conn, esco_docs, seed)}
    configs = CONFIGS if with_embeddings else {k: v for k, v in CONFIGS.items() if not v["use_embeddings"]}
    out: dict = {"catalogue_fingerprint": base.fingerprint(conn)[:16], "embed_threshold": EMBED_THRESHOLD}
    for name, docs in datasets.items():
        out[name] = {cfg: score(ex, docs, **opts) for cfg, opts in configs.items()}
        if with_embeddings:
            out[name]["embedding_threshold_sweep"] = {
                str(t): score(ex, docs, threshold=t, use_embeddings=True, expand=False) for t in thresholds
            }
    if with_embeddings:
        out["latency"] = latency(ex, conn)
    return out


def _markdown(metrics: dict) -> str:
    lines = [
        "# Skill extraction",
        "",
        f"Catalogue `{metrics['catalogue_fingerprint']}`, embedding threshold {metrics['embed_threshold']}.",
        "",
    ]
    for name in ("coursera_titles", "esco_descriptions"):
        lines += [
            f"## {name}",
            "",
            "| config | P | R | F1 | lenient P | lenient R | docs | gold | predicted |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for cfg, m in metrics[name].items():
            if cfg == "embedding_threshold_sweep":
                continue
            lines.append(
                f"| {cfg} | {m['precision']} | {m['recall']} | {m['f1']} | {m['lenient_precision']} | "
                f"{m['lenient_recall']} | {m['docs']} | {m['gold']} | {m['predicted']} |"
            )
        sweep = metrics[name].get("embedding_threshold_sweep")
        if sweep:
            lines += [
                "",
                "Embedding threshold sweep (alias+embedding):",
                "",
                "| threshold | P | R | F1 |",
                "|---|---|---|---|",
            ]
            lines += [f"| {t} | {m['precision']} | {m['recall']} | {m['f1']} |" for t, m in sweep.items()]
        lines.append("")
    if "latency" in metrics:
        lat = metrics["latency"]
        lines += [
            "## Latency per résumé (after warm-up)",
            "",
            f"{lat['resumes']} résumés, mean {lat['mean_chars']} chars.",
            "",
            "| config | median s | p95 s |",
            "|---|---|---|",
        ]
        lines += [f"| {k} | {v['median_s']} | {v['p95_s']} |" for k, v in lat.items() if isinstance(v, dict)]
    return "\n".join(lines) + "\n"


cli = command_typer()


@cli.command("skills")
def skills_command() -> dict:
    """Skill-extraction precision/recall on Coursera tags and ESCO essential skills."""
    metrics = evaluate()
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    (REPORT_DIR / "skills_extraction.json").write_text(json.dumps(metrics, indent=2))
    (REPORT_DIR / "skills_extraction.md").write_text(_markdown(metrics))
    print(_markdown(metrics))
    return metrics


def main(argv: list[str] | None = None) -> dict:
    """``waypoint eval skills`` on ``argv`` (for tests and scripts); returns the metrics."""
    return run(cli, argv, "waypoint eval skills")


if __name__ == "__main__":
    cli(prog_name="python -m eval.skills_extraction")
