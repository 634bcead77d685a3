"""The process-wide :class:`~retrieval.understanding.linker.Linker` of a catalogue, and
:func:`understand`, the one call the recommenders, the REST API, the UI and the evaluation use."""

from __future__ import annotations

import threading

import numpy as np

from retrieval.catalogue.vocabulary import AliasIndex
from retrieval.embeddings import get_embedder
from retrieval.occupations.service import OccupationRecommender, get_occupation_recommender
from retrieval.settings import Settings, get_settings
from retrieval.understanding.linker import ENGLISH, Linker
from retrieval.understanding.schema import Understanding
from retrieval.understanding.spelling import TitleSpelling
from retrieval.understanding.titles import TitleIndex

_LINKERS: dict[int, Linker] = {}
_LOCK = threading.Lock()


def build_linker(recommender: OccupationRecommender, settings: Settings) -> Linker:
    """A linker over the recommender's catalogue: its titles, and occupation vectors that mix what an
    occupation is called (alternate titles) with what it does (description and tasks)."""
    from retrieval.skills.extract import get_extractor

    conn = recommender.conn
    vectors = recommender.dense("alt_titles") + recommender.dense("full")
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    embedder = get_embedder(settings)
    aliases = AliasIndex.from_db(conn)
    extractor = get_extractor(settings)

    def embed(text: str) -> np.ndarray:
        # a person's words never reach the on-disk embedding cache (it keys vectors by a hash of the text)
        return embedder.encode_one(text, use_cache=False)

    def find_skills(text: str) -> list:
        return extractor.extract(text, use_embeddings=False, expand=False)

    titles = TitleIndex.from_db(conn)
    alias_words = {w for key in extractor.data.entries for part in key for w in part.split()}
    spelling = TitleSpelling(
        titles.main_title_words(), extractor.data.common_words | alias_words | titles.all_title_words() | ENGLISH
    )
    return Linker(
        titles,
        list(recommender.corpus.ids),
        vectors.astype(np.float32),
        embed,
        skill_finder=find_skills,
        skill_lookup=aliases.lookup,
        common_words=extractor.data.common_words,
        title_vectors=recommender.dense("title"),
        task_vectors=recommender.task_vectors(),
        spelling=spelling,
    )


def get_linker(settings: Settings | None = None) -> Linker:
    settings = settings or get_settings()
    recommender = get_occupation_recommender(settings)
    with _LOCK:
        linker = _LINKERS.get(id(recommender))
        if linker is None:
            linker = _LINKERS[id(recommender)] = build_linker(recommender, settings)
        return linker


def understand(text: str, settings: Settings | None = None) -> Understanding:
    """What ``text`` (a self-description or a résumé) says about the person; see :class:`Linker`."""
    return get_linker(settings).understand(text)
