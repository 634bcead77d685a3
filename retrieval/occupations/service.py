"""Serve similar-occupation recommendations for profiles; loaded once per process.

A profile that names an occupation (code or title) is ranked by the trained occupation ranker.
Curated O*NET Related Occupations for that occupation, when the catalogue has them, lead the list
in their tier order; the model fills the rest. A profile with only text or skills is matched
directly: z-fused BM25 and dense similarity to each occupation's text plus the share of the
occupation's technology skills the person names.
"""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from retrieval.artifacts import building_allowed, require_build_allowed
from retrieval.bm25 import BM25Index
from retrieval.catalogue.db import connect, get_meta, related_occupations
from retrieval.catalogue.vocabulary import AliasIndex
from retrieval.embeddings import get_embedder
from retrieval.occupations.corpus import OccupationCorpus
from retrieval.occupations.features import Labels, content_features, embed_tasks, feature_cache_path, task_centroids
from retrieval.occupations.ranker import MODEL_VERSION, OccupationRanker, planned_rounds
from retrieval.occupations.resolve import OccupationResolver, Resolution
from retrieval.occupations.stand_ins import stand_ins
from retrieval.occupations.transitions import impute_unrated, requirement_vectors
from retrieval.profile import Profile, ProfileError
from retrieval.settings import Settings, get_settings
from retrieval.vectorstore import PointData, VectorStore, open_store

logger = logging.getLogger(__name__)
#: Format of the task-centroid file (:meth:`OccupationRecommender.task_vectors`).
TASK_CENTROIDS_VERSION = "v1"
COLLECTION = "occupations"
STORE_RETRY_S = 5.0  # after a failed open (say, another process holds the Edge lock), try again this much later
GRADE = {"Primary-Short": 3, "Primary-Long": 2, "Supplemental": 1}


def load_labels(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
    labels: dict[str, dict[str, int]] = {}
    for src, tgt, tier in conn.execute("SELECT occupation_id, related_id, tier FROM related_occupation"):
        labels.setdefault(src, {})[tgt] = GRADE.get(tier, 1)
    return labels


RankerInputs = tuple[OccupationCorpus, dict[str, np.ndarray], Labels]


def load_ranker_inputs(conn: sqlite3.Connection, settings: Settings) -> RankerInputs:
    """``(corpus, content features, labels)`` from an open catalogue: what fitting or evaluating a
    ranker needs. The content features come from the on-disk cache when the catalogue has one."""
    corpus = OccupationCorpus.load(conn)
    content = content_features(
        corpus,
        settings.index_dir,
        get_meta(conn, "fingerprint") or "",
        per_task_alignment=settings.occupation_task_alignment,
    )
    return corpus, content, load_labels(conn)


def ranker_inputs(settings: Settings | None = None) -> RankerInputs:
    """:func:`load_ranker_inputs` for the evaluations: unlike :class:`OccupationRecommender` it
    neither loads nor trains the serving ranker, and it closes the catalogue afterwards."""
    settings = settings or get_settings()
    conn = connect(settings.catalogue_path, readonly=True)
    try:
        return load_ranker_inputs(conn, settings)
    finally:
        conn.close()


@dataclass
class ScoredOccupation:
    id: str
    title: str
    score: float


class OccupationRecommender:
    def __init__(self, settings: Settings | None = None, *, show_progress: bool = False):
        self.settings = settings or get_settings()
        self.show_progress = show_progress  # a bar over the ranker's boosting rounds when it has to be trained
        self.conn = connect(self.settings.catalogue_path, readonly=True)
        self.fingerprint = get_meta(self.conn, "fingerprint") or ""
        self.corpus, self.content, self.labels = load_ranker_inputs(self.conn, self.settings)
        self.resolver = OccupationResolver(self.conn)
        self.aliases = AliasIndex.from_db(self.conn)
        self.ranker = self._load_or_train()
        self._text_index = BM25Index.build(zip(self.corpus.ids, self.corpus.texts["full"]))
        self._lock = threading.Lock()
        self._store: VectorStore | None = None
        self._store_error: str | None = None
        self._store_retry_at = 0.0  # monotonic time of the next attempt after a failed open
        self._texts = None

    @property
    def store(self) -> VectorStore | None:
        """The Qdrant collection, opened on first use. Qdrant Edge is single-process: when another
        process (say, the running server) holds it, text profiles fall back to exact in-memory scoring
        and the store is tried again after ``STORE_RETRY_S``, so a freed lock is picked up without a
        restart (``/healthz`` reports the store as degraded meanwhile)."""
        if self._store is None and time.monotonic() >= self._store_retry_at:
            try:
                self._store = self._occupation_store()
                self._store_error = None
            except Exception as exc:  # noqa: BLE001 - any store failure degrades, never breaks recommending
                self._store_error = str(exc)
                self._store_retry_at = time.monotonic() + STORE_RETRY_S
                logger.warning(
                    "occupation vector store unavailable, using in-memory scoring (retry in %.0f s): %s",
                    STORE_RETRY_S,
                    exc,
                )
        return self._store

    def _occupation_store(self) -> VectorStore:
        """O*NET occupations in Qdrant (dense + sparse) for hybrid candidate retrieval of free text."""
        vectors = self._dense("full")
        # Only a build may create the collection: a server opens what exists (no dim: nothing is created).
        store = open_store(COLLECTION, self.settings, dim=vectors.shape[1] if building_allowed() else None)
        if not store.exists() or store.count(kind="occupation", where={"fingerprint": self.fingerprint}) != len(
            self.corpus
        ):
            require_build_allowed(f"the {COLLECTION!r} vector collection")
            store.recreate(vectors.shape[1])
            store.upsert(
                PointData(
                    doc_id=oid,
                    kind="occupation",
                    vector=vec,
                    text=text,
                    payload={"title": title, "fingerprint": self.fingerprint},
                )
                for oid, vec, text, title in zip(
                    self.corpus.ids, vectors, self.corpus.texts["full"], self.corpus.titles
                )
            )
        return store

    def build_store(self) -> VectorStore:
        """Open the Qdrant collection, writing it first when it does not hold this catalogue (``waypoint
        build``). Unlike :attr:`store` a failure raises: a build must not record a collection it could not write."""
        self._store = self._occupation_store()
        self._store_error = None
        return self._store

    def close_store(self) -> None:
        """Release the collection (and, for Qdrant Edge, its lock) so a server can open it after a build."""
        if self._store is not None:
            self._store.close()
            self._store = None

    def model_dir(self) -> Path:
        variant = "" if self.settings.occupation_task_alignment else "-field-tasks"
        return self.settings.models_dir / "occupation-ranker" / f"{MODEL_VERSION}-{self.fingerprint[:16]}{variant}"

    def features_path(self) -> Path:
        """The content-feature cache this recommender loaded (see :func:`load_ranker_inputs`)."""
        return feature_cache_path(
            self.settings.index_dir,
            self.fingerprint,
            len(self.corpus),
            per_task_alignment=self.settings.occupation_task_alignment,
        )

    def _load_or_train(self) -> OccupationRanker:
        directory = self.model_dir()
        if (directory / "ranker.pkl").exists():
            ranker = OccupationRanker.load(directory)
            missing = ranker.missing_features(self.corpus, self.content)
            if not missing:
                return ranker
            logger.warning(
                "the occupation ranker in %s needs features this code does not compute (%s); retraining",
                directory,
                ", ".join(sorted(missing)[:5]),
            )
        require_build_allowed(f"the occupation ranker ({directory.name})")
        with tqdm(
            total=planned_rounds(),
            desc="occupation ranker: boosting rounds",
            unit="round",
            disable=not self.show_progress,
        ) as bar:
            ranker = OccupationRanker.fit(self.corpus, self.content, self.labels, on_round=lambda: bar.update(1))
        ranker.save(directory)
        return ranker

    # ---------------------------------------------------------------------------------------
    def resolve(self, profile: Profile) -> Resolution | None:
        if not profile.occupation:
            return None
        resolution = self.resolver.resolve(profile.occupation)
        if resolution is None:
            raise ProfileError(f"unknown occupation {profile.occupation!r}: not an O*NET-SOC code or a known title")
        return resolution

    def recommend_many(self, profiles: list[Profile], k: int = 20) -> list[list[ScoredOccupation]]:
        """Lists for profiles that name their occupation (code or title) or give only skills/text, matched
        as such. Free text about a person, and goals, go through ``retrieval.understanding.recommend``."""
        resolutions = [self.resolve(p) for p in profiles]
        lists = self.from_occupations(sorted({r.occupation_id for r in resolutions if r is not None}))
        out = []
        for profile, resolution in zip(profiles, resolutions):
            exclude = set(profile.exclude)
            if resolution is not None:
                exclude.add(resolution.occupation_id)
                items = lists[resolution.occupation_id]
                if profile.text or profile.skills:
                    items = self.blend([(items, 1.0), (self.from_text(profile), 0.5)])
            else:
                items = self.from_text(profile)
            out.append([i for i in items if i.id not in exclude][:k])
        return out

    def ranked_ids(self, occupation_ids: list[str], k: int = 150) -> dict[str, list[str]]:
        """The occupation ranker's order (the query itself excluded) for each occupation id."""
        if not occupation_ids:
            return {}
        return self.ranker.rank_many(self.corpus, self.content, occupation_ids, k=k, hold_out_queries=False)

    def from_occupations(self, occupation_ids: list[str]) -> dict[str, list[ScoredOccupation]]:
        """The code-query list of each occupation: curated related occupations first, then the ranker's
        order reranked by the cross-encoder (the path every benchmark measures)."""
        ranked = self.ranked_ids(occupation_ids)
        return {oid: self._from_occupation(oid, self._stage2(oid, ranked[oid])) for oid in occupation_ids}

    def _stage2(self, query: str, model_order: list[str]) -> list[str]:
        """The cross-encoder's rerank of the LambdaRank top (``WAYPOINT_RERANK_WEIGHT_OCCUPATION``; 0 = off)."""
        from retrieval.rerankers.stage2 import rerank_for_serving, stage2_enabled

        if not stage2_enabled("occupation", self.settings):
            return model_order
        texts = self._occupation_texts()
        return rerank_for_serving("occupation", texts.get(query), model_order, texts.get, settings=self.settings)

    def _occupation_texts(self):
        from retrieval.rerankers.cross_encoder import OccupationTexts

        with self._lock:
            if self._texts is None:
                self._texts = OccupationTexts(self.settings)
            return self._texts

    def _from_occupation(self, query: str, model_order: list[str]) -> list[ScoredOccupation]:
        curated = sorted(self.labels.get(query, {}).items(), key=lambda kv: -kv[1])
        order = [c for c, _g in curated] + [c for c in model_order if c not in self.labels.get(query, {})]
        n = len(order)
        return [
            ScoredOccupation(c, self.corpus.titles[self.corpus.index[c]], round(1.0 - i / max(n, 1), 4))
            for i, c in enumerate(order)
        ]

    def from_text(self, profile: Profile) -> list[ScoredOccupation]:
        """Occupations whose text is like the profile's words (its occupation, text and skills together)."""
        text = " ".join(filter(None, [profile.occupation, profile.text, " ".join(profile.skills)]))
        if not text.strip():
            raise ProfileError("profile has nothing to match: give an occupation, skills or text")
        with self._lock:
            vec = get_embedder().encode_one(text[:4000])
        bm25_all = self._text_index.score_all(text)
        store = self.store
        if store is not None:
            # Candidates: Qdrant hybrid search (dense + sparse, fused by Qdrant's RRF).
            hits = store.search_hybrid(vec, text[:4000], k=150, kind="occupation", exact=True)
            hits = [h for h in hits if h.doc_id in self.corpus.index]
            cand = np.array([self.corpus.index[h.doc_id] for h in hits], dtype=int)
            parts = [np.array([h.score for h in hits])]
        else:
            dense_all = self._dense("full") @ vec
            rank = np.argsort(np.argsort(-bm25_all)) + np.argsort(np.argsort(-dense_all))
            cand = np.argsort(rank, kind="stable")[:150]
            parts = []
        if cand.size == 0:
            return []
        parts += [bm25_all[cand], self._dense("full")[cand] @ vec, self._dense("alt_titles")[cand] @ vec]
        skill_ids = {sid for s in profile.skills for sid in self.aliases.lookup(s)[:1]}
        if skill_ids:
            tech = self.corpus.tech
            vocab = self._tech_vocab()
            cols = [vocab[s] for s in skill_ids if s in vocab]
            if cols:
                parts.append(np.asarray(tech[cand][:, cols].sum(axis=1)).ravel() / len(skill_ids))
        z = np.mean([(p - p.mean()) / max(p.std(), 1e-6) for p in parts], axis=0)
        order = np.argsort(-z, kind="stable")
        return [
            ScoredOccupation(self.corpus.ids[cand[j]], self.corpus.titles[cand[j]], round(float(z[j]), 4))
            for j in order
        ]

    @staticmethod
    def blend(weighted: list[tuple[list[ScoredOccupation], float]]) -> list[ScoredOccupation]:
        """Weighted reciprocal-rank fusion of ranked lists."""
        scores: dict[str, float] = {}
        titles = {}
        for items, weight in weighted:
            for rank, item in enumerate(items):
                scores[item.id] = scores.get(item.id, 0.0) + weight / (20 + rank)
                titles[item.id] = item.title
        return [
            ScoredOccupation(i, titles[i], round(s * 20, 4)) for i, s in sorted(scores.items(), key=lambda kv: -kv[1])
        ]

    def dense(self, field: str) -> np.ndarray:
        """L2-normalised embeddings of every occupation's ``field`` text (see ``OccupationCorpus``), cached."""
        return self._dense(field)

    def task_centroids_path(self) -> Path:
        return (
            self.settings.index_dir / f"occupation-task-centroids-{TASK_CENTROIDS_VERSION}-{self.fingerprint[:16]}.npy"
        )

    def task_vectors(self) -> np.ndarray | None:
        """Each occupation's task statements, embedded one by one, as one unit vector (the person-text linker
        ranks sentences of work with it, retrieval/understanding/linker.py); ``None`` when the home embeds no
        single tasks (``WAYPOINT_OCCUPATION_TASK_ALIGNMENT=false``) or, in a process that may not build, when
        ``waypoint build`` has not written them yet. Built from the embedding cache the task alignment filled."""
        return self._task_vectors

    @functools.cached_property
    def _task_vectors(self) -> np.ndarray | None:
        if not self.settings.occupation_task_alignment:
            return None
        path = self.task_centroids_path()
        vectors: np.ndarray | None = None
        if path.exists():
            vectors = np.load(path)
        elif building_allowed():
            owners, vecs = embed_tasks(self.corpus.task_lists, get_embedder(self.settings))
            cent = task_centroids(owners, vecs, len(self.corpus))
            vectors = (cent / np.maximum(np.linalg.norm(cent, axis=1, keepdims=True), 1e-9)).astype(np.float32)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npy")
            np.save(tmp, vectors)
            os.replace(tmp, path)
        else:
            logger.warning("%s is missing: run `waypoint build`; activities are linked without task statements", path)
        return vectors

    def requirements(self) -> np.ndarray:
        """Every occupation's rated skills and knowledge as one unit vector (reachability of a transition)."""
        if "_requirements" not in self.__dict__:
            index = self.corpus.index
            sources = stand_ins(self.corpus.ids, self.corpus.rated, related_occupations(self.conn), self._dense("full"))
            rows = {index[oid]: [index[r] for r in rids] for oid, rids in sources.items()}
            vectors = requirement_vectors(self.corpus.skills_im, self.corpus.knowledge_im)
            self._requirements = impute_unrated(vectors, rows)
        return self._requirements

    def _dense(self, field: str) -> np.ndarray:
        cache = self.__dict__.setdefault("_dense_cache", {})
        if field not in cache:
            cache[field] = get_embedder().encode(self.corpus.texts[field])
        return cache[field]

    def _tech_vocab(self) -> dict[str, int]:
        if "_vocab" not in self.__dict__:
            rows = self.conn.execute("SELECT DISTINCT skill_id FROM occupation_skill WHERE relation='technology'")
            self._vocab = {s: j for j, s in enumerate(sorted(r[0] for r in rows))}
        return self._vocab


_INSTANCES: dict[tuple[str, bool], OccupationRecommender] = {}
_INSTANCE_LOCK = threading.Lock()


def get_occupation_recommender(
    settings: Settings | None = None, *, show_progress: bool = False
) -> OccupationRecommender:
    """The process-wide recommender for this catalogue and feature variant (loaded once per process).

    Keyed by home and variant: a process that serves one home and builds another (a test session) must
    not answer from the other home's model, nor from the other task-alignment variant's. Not resolved: a
    home that links another's catalogue still has models of its own."""
    settings = settings or get_settings()
    key = (str(Path(settings.catalogue_path).absolute()), settings.occupation_task_alignment)
    with _INSTANCE_LOCK:
        if key not in _INSTANCES:
            _INSTANCES[key] = OccupationRecommender(settings, show_progress=show_progress)
        return _INSTANCES[key]
