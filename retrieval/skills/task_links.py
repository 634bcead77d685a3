"""Which of an occupation's task statements depend on a skill (task ↔ skill links), and skill vectors.

Why: "how many of the target's tasks depend on the skill" is what tells a nurse practitioner's
*specialist nursing care* (half of the tasks) from *perform vascular surgery therapeutic procedures*
(none), where the requirement rows give both the same weight. The catalogue has O*NET's task statements
(``task`` table) but not O*NET's Tasks-to-DWAs crosswalk, so the links are made here, two ways:

* **named** -- the alias matcher (:class:`retrieval.skills.extract.SkillExtractor`, no embeddings) finds
  the skill, or a narrower skill of it, named in the task ("Negotiate settlements" → *Negotiation*,
  "using statistical software" → *statistics*);
* **meaning** -- the task's MiniLM vector and the skill's (``label: first sentence of its definition``,
  the embedding tagger's text) have cosine ≥ :data:`TASK_COSINE`. Measured on the evaluation pairs'
  targets (nurse practitioner, data scientist, lawyer, electrical engineer): at 0.40 a task is linked
  to the skills it reads as ("Create graphs, charts, or other visualizations" → *deliver visual
  presentation of data*, 0.80; "Negotiate settlements of civil disputes" → *Negotiation*, 0.61), while
  broad elements stay below it (*Sociology and Anthropology*: 0.20 at best).

Meaning links need the embedding model; without it (``use_embeddings=False``) only named links count.
Task and skill vectors are catalogue text: they go through the embedding cache and are kept per process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from retrieval.artifacts import NotBuilt
from retrieval.settings import Settings
from retrieval.skills import base
from retrieval.skills.evidence import Requirement
from retrieval.skills.extract import get_extractor
from retrieval.skills.texts import skill_text

#: Task–skill cosine from which a task depends on a skill (see the module docstring).
TASK_COSINE = 0.40
#: Named links below this extraction confidence are not links.
NAMED_CONFIDENCE = 0.5
#: Skill vectors kept per process (by skill id).
MAX_CACHED_VECTORS = 20_000

_LOCK = threading.Lock()
_VECTORS: dict[tuple[str, str], np.ndarray] = {}


@dataclass
class TaskSupport:
    """For one occupation: its number of tasks and, per skill id, how many of them depend on the skill."""

    total: int
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, skill_id: str) -> int:
        return self.counts.get(skill_id, 0)


def occupation_tasks(occupation_id: str, settings: Settings | None = None) -> list[str]:
    """The occupation's task statements (O*NET only; ESCO occupations and postings have none)."""
    conn = base.catalogue(settings)
    return [
        r[0] for r in conn.execute("SELECT text FROM task WHERE occupation_id = ? ORDER BY task_id", (occupation_id,))
    ]


def _named_links(occupation_id: str, tasks: list[str], settings: Settings | None) -> list[frozenset[str]]:
    """Per task, the skills it names and their broader skills (memoised per occupation)."""

    def build() -> list[frozenset[str]]:
        extractor = get_extractor(settings)
        out = []
        for text in tasks:
            hits = extractor.extract(text, use_embeddings=False, expand=True, min_confidence=NAMED_CONFIDENCE)
            out.append(frozenset(h.skill_id for h in hits))
        return out

    fp = base.fingerprint(base.catalogue(settings))
    return base.memoised(settings, f"task-named-links:{fp}:{occupation_id}", build)


def task_vectors(occupation_id: str, tasks: list[str], settings: Settings | None) -> np.ndarray:
    """Unit vectors of the occupation's tasks (memoised per occupation; catalogue text, so disk-cached)."""
    from retrieval.embeddings import get_embedder

    def build() -> np.ndarray:
        return get_embedder(settings).encode(tasks, show_progress=False)

    fp = base.fingerprint(base.catalogue(settings))
    return base.memoised(settings, f"task-vectors:{fp}:{occupation_id}", build)


def _vector_text(conn, skill_id: str, label: str) -> str:
    row = conn.execute("SELECT description, kind, category FROM skill WHERE id = ?", (skill_id,)).fetchone()
    if row is None:
        return label
    description, kind, category = row
    if kind == "technology":  # a product name says little: its O*NET commodity category says what it is for
        return f"{label}: {category}" if category else label
    return skill_text(label, description or "")


def skill_vectors(reqs: list[Requirement], settings: Settings | None) -> dict[str, np.ndarray]:
    """Unit vectors of the requirements' skills: the embedding tagger's matrix where it has the skill (ESCO
    skills, O*NET elements), else the same text encoded once (ESCO knowledge, technologies)."""
    from retrieval.embeddings import get_embedder

    extractor = get_extractor(settings)
    embedder = get_embedder(settings)
    out: dict[str, np.ndarray] = {}
    todo: list[Requirement] = []
    try:
        matrix = extractor.skill_matrix()
        rows = base.memoised(
            settings,
            f"embedded-skill-rows:{extractor.data.fingerprint}",
            lambda: {s: i for i, s in enumerate(extractor.data.embedded_ids)},
        )
    except (NotBuilt, OSError):  # a home without the tagger's vectors: encode what is asked for instead
        matrix, rows = None, {}
    for r in reqs:
        key = (embedder.model_key, r.skill_id)
        if matrix is not None and r.skill_id in rows:
            out[r.skill_id] = matrix[rows[r.skill_id]]
        elif key in _VECTORS:
            out[r.skill_id] = _VECTORS[key]
        else:
            todo.append(r)
    if todo:
        conn = base.catalogue(settings)
        encoded = embedder.encode([_vector_text(conn, r.skill_id, r.label) for r in todo], show_progress=False)
        with _LOCK:
            if len(_VECTORS) > MAX_CACHED_VECTORS:
                _VECTORS.clear()
            for r, v in zip(todo, encoded):
                _VECTORS[(embedder.model_key, r.skill_id)] = v
                out[r.skill_id] = v
    return out


def task_support(
    occupation_id: str,
    reqs: list[Requirement],
    settings: Settings | None = None,
    *,
    use_embeddings: bool = True,
    vectors: dict[str, np.ndarray] | None = None,
) -> TaskSupport:
    """How many of the occupation's tasks depend on each requirement's skill (named or by meaning)."""
    tasks = occupation_tasks(occupation_id, settings)
    if not tasks or not reqs:
        return TaskSupport(total=len(tasks))
    named = _named_links(occupation_id, tasks, settings)
    linked = {r.skill_id: np.array([r.skill_id in n for n in named], dtype=bool) for r in reqs}
    if use_embeddings:
        vectors = vectors if vectors is not None else skill_vectors(reqs, settings)
        T = task_vectors(occupation_id, tasks, settings)
        for r in reqs:
            v = vectors.get(r.skill_id)
            if v is not None:
                linked[r.skill_id] |= (T @ v) >= TASK_COSINE
    return TaskSupport(total=len(tasks), counts={sid: int(m.sum()) for sid, m in linked.items()})
