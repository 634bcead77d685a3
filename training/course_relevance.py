"""Fine-tune a course ↔ skill relevance cross-encoder from the packaged MiniLM (issue 23, item 1).

Pairs: :func:`retrieval.courses.training.training_pairs` -- Coursera tags and edX subjects as positives,
lexical look-alikes the catalogue does not tag as hard negatives, one random course of the same
provider. One epoch over a few thousand pairs (≈ 7 minutes on two shared cores).

Not part of ``waypoint build``: measured by ``waypoint eval courses`` (which scores a model saved in
``$WAYPOINT_HOME/models/course-relevance``), it ranks the judged courses worse than the dense stage
that serving uses; see eval/reports/courses.md. Kept so the comparison can be rerun when the training
data improves. (Queries written as served, passages with the other tags and dense look-alikes as further
hard negatives did not change that: top-1 relevant 0.22 on the round-1 judgements against the dense
stage's 0.69; see retrieval/courses/relevance.py.)

Run: ``python -m training.course_relevance [--max-queries 800] [--out DIR]``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from app.clikit import command_typer, print_json, run
from retrieval.settings import Settings, get_settings

log = logging.getLogger(__name__)

MODEL_VERSION = "2"
#: Fewer catalogue pairs than this (a test catalogue) teach a model nothing.
MIN_TRAINING_PAIRS = 200


def train_model(
    settings: Settings,
    *,
    max_queries: int = 800,
    max_seconds: float = 1800.0,
    max_length: int = 80,
    show_progress: bool = False,
    out_dir: Path | None = None,
):
    """Train on the catalogue's own pairs and save to ``out_dir`` (default :func:`model_dir`); None when the
    catalogue gives fewer than :data:`MIN_TRAINING_PAIRS` pairs."""
    from retrieval.catalogue.db import connect
    from retrieval.courses.index import get_index
    from retrieval.courses.relevance import THRESHOLD, model_dir
    from retrieval.courses.training import PairConfig, tag_definitions, training_pairs
    from retrieval.rerankers.cross_encoder import RerankerConfig, fit_cross_encoder

    index = get_index(settings)
    languages = {r.id: lang for r, lang in zip(index.records, index.languages)}
    conn = connect(settings.catalogue_path, readonly=True)
    try:
        definitions = tag_definitions(conn, {t for r in index.records for t in r.tags[:3]})
    finally:
        conn.close()
    pair_config = PairConfig(max_queries=max_queries)
    pairs = training_pairs(index.records, languages, index.bm25, pair_config, definitions)
    if len(pairs) < MIN_TRAINING_PAIRS:
        log.warning("%d course-skill pairs: too few to train a relevance model", len(pairs))
        return None
    config = RerankerConfig(
        max_pairs=len(pairs),
        epochs=1,
        batch_size=16,
        max_length=max_length,
        max_seconds=max_seconds,
        learning_rate=5e-5,
        show_progress=show_progress,
    )
    return fit_cross_encoder(
        pairs,
        config,
        out_dir if out_dir is not None else model_dir(settings),
        extra_meta={
            "data": "course-skill",
            "pair_config": pair_config.to_dict(),
            "version": MODEL_VERSION,
            "threshold": THRESHOLD,
        },
    )


cli = command_typer()


@cli.command("course-relevance")
def course_relevance_command(
    max_queries: Annotated[int, typer.Option(help="positive (query, course) pairs sampled")] = 800,
    max_seconds: float = 1800.0,
    out: Annotated[Path | None, typer.Option(help="model folder (default: the home's models/course-relevance)")] = None,
) -> dict:
    """Train the course-relevance cross-encoder on (query, course) pairs; prints its metadata as JSON."""
    model = train_model(
        get_settings(), max_queries=max_queries, max_seconds=max_seconds, out_dir=out, show_progress=True
    )
    meta = {k: v for k, v in (model.meta if model else {}).items() if k != "config"}
    print_json(meta)
    return meta


def main(argv: list[str] | None = None) -> dict:
    """``python -m training.course_relevance`` on ``argv`` (for tests and scripts); returns the model's metadata."""
    return run(cli, argv, "python -m training.course_relevance")


if __name__ == "__main__":
    cli(prog_name="python -m training.course_relevance")
