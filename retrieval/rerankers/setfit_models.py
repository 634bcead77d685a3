"""Few-shot text classifiers served at run time: job family and chat intent.

* **job family**: the O*NET/SOC *major group* (first two digits of the O*NET-SOC code, e.g. ``15`` =
  Computer and Mathematical) of a free text — a résumé, a posting title, a chat message.
* **chat intent**: one of :data:`~retrieval.rerankers.intent_examples.INTENTS`.

Models are SetFit (contrastively fine-tuned MiniLM + logistic-regression head) trained by
``training/setfit_models.py`` into ``settings.models_dir / "setfit" / {family,intent}``. Each is loaded
once per process. When a model has not been trained yet, a **nearest-centroid** classifier over the
packaged MiniLM embeddings of the same few-shot examples answers instead (it needs no training and is
the baseline SetFit is compared to), so serving never fails for lack of a trained model; the
``model`` field of each prediction says which one answered.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from retrieval.settings import Settings, get_settings
from retrieval.threads import torch_threads

MAJOR_GROUPS: dict[str, str] = {
    "11": "Management",
    "13": "Business and Financial Operations",
    "15": "Computer and Mathematical",
    "17": "Architecture and Engineering",
    "19": "Life, Physical, and Social Science",
    "21": "Community and Social Service",
    "23": "Legal",
    "25": "Educational Instruction and Library",
    "27": "Arts, Design, Entertainment, Sports, and Media",
    "29": "Healthcare Practitioners and Technical",
    "31": "Healthcare Support",
    "33": "Protective Service",
    "35": "Food Preparation and Serving Related",
    "37": "Building and Grounds Cleaning and Maintenance",
    "39": "Personal Care and Service",
    "41": "Sales and Related",
    "43": "Office and Administrative Support",
    "45": "Farming, Fishing, and Forestry",
    "47": "Construction and Extraction",
    "49": "Installation, Maintenance, and Repair",
    "51": "Production",
    "53": "Transportation and Material Moving",
    "55": "Military Specific",
}

#: Hand-written map from the résumé file's 25 categories to SOC major groups (used for evaluation).
#: Judgement calls: "HR" → 13 (Human Resources Specialists 13-1071; HR managers would be 11);
#: "PMO" → 13 (Project Management Specialists 13-1082); "Health and fitness" → 39 (Exercise Trainers
#: 39-9031); "Business Analyst" → 13 (Management Analysts 13-1111); "Operations Manager" → 11;
#: "Web Designing" → 15 (Web and Digital Interface Designers 15-1255); "Arts" → 27; "Advocate" → 23
#: (Lawyers 23-1011); "Sales" → 41; all software / data / testing / network roles → 15; the three
#: engineering categories → 17.
RESUME_CATEGORY_TO_GROUP: dict[str, str] = {
    "Advocate": "23",
    "Arts": "27",
    "Automation Testing": "15",
    "Blockchain": "15",
    "Business Analyst": "13",
    "Civil Engineer": "17",
    "Data Science": "15",
    "Database": "15",
    "DevOps Engineer": "15",
    "DotNet Developer": "15",
    "ETL Developer": "15",
    "Electrical Engineering": "17",
    "HR": "13",
    "Hadoop": "15",
    "Health and fitness": "39",
    "Java Developer": "15",
    "Mechanical Engineer": "17",
    "Network Security Engineer": "15",
    "Operations Manager": "11",
    "PMO": "13",
    "Python Developer": "15",
    "SAP Developer": "15",
    "Sales": "41",
    "Testing": "15",
    "Web Designing": "15",
}

TASKS = ("family", "intent")
MAX_CHARS = 4000


@dataclass
class Prediction:
    label: str
    score: float
    title: str = ""
    model: str = "setfit"


def model_dir(task: str, settings: Settings | None = None) -> Path:
    settings = settings or get_settings()
    return settings.models_dir / "setfit" / task


class CentroidClassifier:
    """Nearest centroid of L2-normalised MiniLM embeddings (the few-shot baseline)."""

    def __init__(self, labels: list[str], centroids: np.ndarray):
        self.labels = labels
        self.centroids = centroids

    @classmethod
    def fit(cls, texts: list[str], labels: list[str], embedder=None) -> CentroidClassifier:
        from retrieval.embeddings import get_embedder

        embedder = embedder or get_embedder()
        X = embedder.encode([t[:MAX_CHARS] for t in texts])
        names = sorted(set(labels))
        C = np.stack([X[[i for i, y in enumerate(labels) if y == n]].mean(axis=0) for n in names])
        C /= np.linalg.norm(C, axis=1, keepdims=True)
        return cls(names, C.astype(np.float32))

    def predict_proba(self, texts: list[str], embedder=None) -> np.ndarray:
        from retrieval.embeddings import get_embedder

        embedder = embedder or get_embedder()
        X = embedder.encode([t[:MAX_CHARS] for t in texts], use_cache=False)  # chat messages: not cached
        sims = X @ self.centroids.T
        e = np.exp((sims - sims.max(axis=1, keepdims=True)) / 0.05)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, texts: list[str]) -> list[str]:
        p = self.predict_proba(texts)
        return [self.labels[i] for i in p.argmax(axis=1)]


class TextClassifier:
    """A SetFit model (or the centroid fallback) with its label names."""

    def __init__(self, task: str, settings: Settings | None = None, path: str | Path | None = None):
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")
        self.task = task
        self.settings = settings or get_settings()
        path = Path(path) if path is not None else model_dir(task, self.settings)
        self.kind = "setfit" if (path / "waypoint_labels.json").is_file() else "centroid"
        if self.kind == "setfit":
            from setfit import SetFitModel

            meta = json.loads((path / "waypoint_labels.json").read_text())
            self.labels: list[str] = meta["labels"]
            self.model = SetFitModel.from_pretrained(str(path), device="cpu")
            self.centroid = None
        else:
            texts, labels = default_examples(task, self.settings)
            self.centroid = CentroidClassifier.fit(texts, labels)
            self.labels = self.centroid.labels
            self.model = None
        self._lock = threading.Lock()

    def predict(self, texts: list[str]) -> list[Prediction]:
        if isinstance(texts, str):
            texts = [texts]
        texts = [(t or "").strip()[:MAX_CHARS] for t in texts]
        if any(not t for t in texts):
            raise ValueError("empty text")
        with self._lock, torch_threads(1):  # query time (the router, a résumé's family)
            if self.centroid is not None:  # no SetFit model: the fallback
                proba = self.centroid.predict_proba(texts)
                classes = self.labels
            else:
                proba = np.asarray(self.model.predict_proba(texts, as_numpy=True))
                classes = [str(c) for c in (self.model.labels or self.labels)]
        out = []
        for row in proba:
            i = int(np.argmax(row))
            label = classes[i]
            title = MAJOR_GROUPS.get(label, "") if self.task == "family" else ""
            out.append(Prediction(label=label, score=round(float(row[i]), 4), title=title, model=self.kind))
        return out


def family_examples(
    settings: Settings | None = None, shots: int = 8, seed: int = 0, test_per_family: int = 0
) -> tuple[list[str], list[str], list[str], list[str]]:
    """Few-shot training titles per major group (O*NET alternate titles, spread over the group's
    occupations) and, when ``test_per_family`` > 0, held-out *reported* titles (a different O*NET
    source) that are not training strings. Returns (train_texts, train_labels, test_texts, test_labels)."""
    import random

    from retrieval.catalogue.db import connect

    settings = settings or get_settings()
    conn = connect(settings.catalogue_path, readonly=True)
    try:
        rows = conn.execute(
            "SELECT t.occupation_id, t.title, t.kind FROM occupation_title t JOIN occupation o ON o.id = t.occupation_id "
            "WHERE o.taxonomy = 'onet' AND t.kind IN ('alternate', 'reported') ORDER BY t.occupation_id, t.title"
        ).fetchall()
    finally:
        conn.close()
    alt: dict[str, dict[str, list[str]]] = {}
    rep: dict[str, list[str]] = {}
    for occ, title, kind in rows:
        group = occ[:2]
        if group not in MAJOR_GROUPS:
            continue
        if kind == "alternate":
            alt.setdefault(group, {}).setdefault(occ, []).append(title)
        else:
            rep.setdefault(group, []).append(title)
    rng = random.Random(seed)
    train_x, train_y, test_x, test_y = [], [], [], []
    for group in sorted(alt):
        occs = sorted(alt[group])
        rng.shuffle(occs)
        chosen: list[str] = []
        round_ = 0
        while len(chosen) < shots and round_ < 50:  # round-robin over occupations: diverse shots
            for occ in occs:
                titles = sorted(set(alt[group][occ]))
                if round_ < len(titles):
                    pick = titles[rng.randrange(len(titles))] if round_ == 0 else titles[round_]
                    if pick not in chosen:
                        chosen.append(pick)
                if len(chosen) >= shots:
                    break
            round_ += 1
        train_x += chosen
        train_y += [group] * len(chosen)
        if test_per_family:
            seen = {c.lower() for c in chosen}
            pool = sorted({t for t in rep.get(group, []) if t.lower() not in seen})
            rng.shuffle(pool)
            test_x += pool[:test_per_family]
            test_y += [group] * len(pool[:test_per_family])
    return train_x, train_y, test_x, test_y


def intent_examples() -> tuple[list[str], list[str], list[str], list[str]]:
    from retrieval.rerankers.intent_examples import TEST, TRAIN

    tx = [t for k in TRAIN for t in TRAIN[k]]
    ty = [k for k in TRAIN for _ in TRAIN[k]]
    ex = [t for k in TEST for t in TEST[k]]
    ey = [k for k in TEST for _ in TEST[k]]
    return tx, ty, ex, ey


def default_examples(task: str, settings: Settings | None = None) -> tuple[list[str], list[str]]:
    if task == "family":
        x, y, _, _ = family_examples(settings)
    elif task == "intent":
        x, y, _, _ = intent_examples()
    else:
        raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")
    return x, y


_MODELS: dict[tuple[str, str], TextClassifier] = {}
_LOCK = threading.Lock()


def get_classifier(task: str, settings: Settings | None = None) -> TextClassifier:
    """The process-wide classifier for ``task`` (loaded on first use)."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")
    settings = settings or get_settings()
    key = (task, str(model_dir(task, settings).resolve()))
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = TextClassifier(task, settings)
        return _MODELS[key]


def reset_cache() -> None:
    """Forget loaded models (after retraining in the same process)."""
    with _LOCK:
        _MODELS.clear()


def predict_family(texts: list[str], settings: Settings | None = None) -> list[Prediction]:
    """SOC major group (``label`` = 2 digits, ``title`` = group name) for each text."""
    return get_classifier("family", settings).predict(texts)


def predict_intent(texts: list[str], settings: Settings | None = None) -> list[Prediction]:
    """Chat intent for each message."""
    return get_classifier("intent", settings).predict(texts)
