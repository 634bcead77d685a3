"""Train the cross-encoder reranker (``waypoint train reranker``).

Data (see :mod:`retrieval.rerankers.cross_encoder`): O*NET Related-Occupations pairs (graded, with
BM25 hard negatives) and job-view pairs (history/profile text vs next viewed job, BM25 hard
negatives), mixed by ``RerankerConfig.job_share`` and capped at ``max_pairs``. A validation share of
the occupation *sources* is held out (``val_share``): after training, the AUC of related vs
unrelated candidates on those sources is reported for the cross-encoder and, as a baseline, for the
MiniLM bi-encoder cosine. Saved to ``settings.models_dir / "cross-encoder"``.

Budget: ``max_pairs``, ``epochs``, ``max_steps`` and ``max_seconds`` (default 18 min cap; the default
3,000 pairs at 128 tokens take ~10 min on 2 cores, longer under contention). ``RerankerConfig.tiny()`` runs a few steps for CI.

Run: ``python -m training.reranker [--tiny] [--max-pairs N] [--max-seconds S]``.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Annotated

import typer

from app.clikit import command_typer, print_json, run
from retrieval.rerankers.cross_encoder import (
    CrossEncoderReranker,
    OccupationTexts,
    RerankerConfig,
    fit_cross_encoder,
    job_pairs,
    model_dir,
    occupation_pairs,
    reset_cache,
    train_occupation_cross_encoder,
)
from retrieval.threads import set_process_threads

__all__ = ["RerankerConfig", "main", "train", "train_occupation_cross_encoder", "validation_auc"]


def _auc(scores: list[float], labels: list[int]) -> float:
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def validation_auc(model: CrossEncoderReranker, pairs: list[tuple[str, str, float]]) -> dict:
    """AUC (related > unrelated) of the cross-encoder and of the MiniLM bi-encoder cosine on ``pairs``."""
    import numpy as np

    from retrieval.embeddings import get_embedder

    if not pairs:
        return {}
    labels = [int(p[2] > 0) for p in pairs]
    ce = model.score([(q, c) for q, c, _ in pairs]).tolist()
    emb = get_embedder()
    Q = emb.encode([p[0] for p in pairs])
    C = emb.encode([p[1] for p in pairs])
    cos = np.sum(Q * C, axis=1).tolist()
    return {
        "pairs": len(pairs),
        "cross_encoder_auc": round(_auc(ce, labels), 4),
        "bi_encoder_auc": round(_auc(cos, labels), 4),
    }


def train(config: RerankerConfig | None = None, val_share: float = 0.1) -> dict:
    """Build pairs, train, validate, save. Returns the training metadata."""

    from retrieval.catalogue.db import connect
    from retrieval.settings import get_settings

    set_process_threads(1)
    config = config or RerankerConfig()
    settings = get_settings()
    conn = connect(settings.catalogue_path, readonly=True)
    labels: dict[str, dict[str, int]] = {}
    grade = {"Primary-Short": 3, "Primary-Long": 2, "Supplemental": 1}
    for src, tgt, tier in conn.execute("SELECT occupation_id, related_id, tier FROM related_occupation ORDER BY 1, 2"):
        labels.setdefault(src, {})[tgt] = grade.get(tier, 1)
    conn.close()
    sources = sorted(labels)
    rng = random.Random(config.seed)
    rng.shuffle(sources)
    n_val = int(round(len(sources) * val_share)) if len(sources) >= 10 else 0
    val_src, train_src = set(sources[:n_val]), set(sources[n_val:])
    texts = OccupationTexts(settings)
    n_jobs = int(config.max_pairs * config.job_share)
    occ = occupation_pairs({s: labels[s] for s in train_src}, texts, config, max_pairs=config.max_pairs - n_jobs)
    jobs = job_pairs(config, n_jobs, settings)
    pairs = occ + jobs
    random.Random(config.seed + 1).shuffle(pairs)
    out_dir = Path(config.output_dir) if config.output_dir else model_dir(settings)
    model = fit_cross_encoder(
        pairs,
        config,
        out_dir=None,
        extra_meta={
            "occupation_pairs": len(occ),
            "job_pairs": len(jobs),
            "train_sources": len(train_src),
            "val_sources": sorted(val_src),
        },
    )
    if val_src:
        val_pairs = occupation_pairs({s: labels[s] for s in sorted(val_src)}, texts, config)
        if config.max_steps > 0:  # tiny CI runs: validate on a small sample only
            val_pairs = val_pairs[:64]
        model.meta["validation"] = validation_auc(model, val_pairs)
    from retrieval.rerankers.cross_encoder import save

    save(model, out_dir)
    reset_cache()
    return {k: v for k, v in model.meta.items() if k != "val_sources"} | {"path": str(out_dir)}


cli = command_typer()


@cli.command("reranker")
def reranker_command(
    tiny: Annotated[bool, typer.Option("--tiny", help="CI budget (a few steps)")] = False,
    max_pairs: int | None = None,
    max_steps: int | None = None,
    max_seconds: float | None = None,
    epochs: int | None = None,
    output_dir: str | None = None,
) -> dict:
    """Cross-encoder reranker from the packaged MiniLM (--tiny for a CI budget).

    Prints the trained model's metadata as JSON."""
    config = RerankerConfig.tiny() if tiny else RerankerConfig()
    overrides = {
        "max_pairs": max_pairs,
        "max_steps": max_steps,
        "max_seconds": max_seconds,
        "epochs": epochs,
        "output_dir": output_dir,
    }
    for name, value in overrides.items():
        if value is not None:
            setattr(config, name, value)
    stats = train(config)
    print_json(stats)
    return stats


def main(argv: list[str] | None = None) -> dict:
    """``waypoint train reranker`` on ``argv`` (for tests and scripts); returns the model's metadata."""
    return run(cli, argv, "waypoint train reranker")


if __name__ == "__main__":
    cli(prog_name="python -m training.reranker")
