"""Training and measuring the cold-start ranking on the job-view log (shared by ``waypoint build``,
``waypoint eval jobs-cold-start`` and the tests).

Each applicant of the log with work history or positions of interest is turned into the text a person
would type -- "I work as a Receptionist at Acme in Chicago, IL. I have 6 years of experience. I am
looking for work as an Administrative Assistant." -- and that text goes through the same
``understand()`` and :func:`retrieval.jobs.cold.query_from_understanding` a cold-start request does. The
postings they then viewed are what the ranking should find.

Leave-applicants-out: applicants are split into folds by a stable hash of their id. The applicants of
a fold are scored with popularity computed from everyone else's views, by a ranker trained on the other
folds' applicants (whose own popularity features, in turn, leave out both their fold and the evaluated
one). No applicant's own views reach the features or the model that scores them.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sqlite3
import time
from collections import defaultdict
from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from retrieval.jobs.cold import (
    _C,
    COLD_FEATURES,
    ColdIndex,
    ColdQuery,
    ColdRanker,
    ColdRankerConfig,
    Popularity,
    candidates,
    hand_blend,
    popularity,
    query_from_understanding,
    shown,
    static_features,
    with_popularity,
)
from retrieval.jobs.data import JobLog
from retrieval.jobs.levels import fit as level_fit
from retrieval.jobs.location import Place, norm_city, norm_state
from retrieval.settings import Settings

#: bump when the training data, features or model change
COLD_VERSION = 1
FOLDS = 5
LOG_END = datetime(2015, 4, 2)  # the log's last day: an open-ended job counts up to it


@dataclass
class ExperienceRow:
    position: str
    employer: str
    city: str
    state: str
    start: str
    end: str


def applicant_rows(conn: sqlite3.Connection) -> tuple[dict[str, list[ExperienceRow]], dict[str, list[str]]]:
    """Work history and positions of interest per applicant, in catalogue order."""
    exp: dict[str, list[ExperienceRow]] = defaultdict(list)
    for a, pos, emp, city, state, start, end in conn.execute(
        "SELECT applicant_id, position, employer, city, state, start_date, end_date FROM experience ORDER BY rowid"
    ):
        if (pos or "").strip():
            exp[str(a)].append(
                ExperienceRow(
                    pos.strip(),
                    (emp or "").strip(),
                    (city or "").strip(),
                    (state or "").strip(),
                    start or "",
                    end or "",
                )
            )
    poi: dict[str, list[str]] = defaultdict(list)
    for a, pos in conn.execute("SELECT applicant_id, position FROM position_of_interest ORDER BY rowid"):
        if (pos or "").strip() and pos.strip() not in poi[str(a)]:
            poi[str(a)].append(pos.strip())
    return dict(exp), dict(poi)


def _date(s: str) -> datetime | None:
    try:
        return datetime.strptime(s[:10], "%Y-%m-%d")
    except ValueError:
        return None


def years_of_experience(rows: list[ExperienceRow]) -> float | None:
    """Years covered by the dated rows (open-ended ones up to the log's end), at most 45; None without dates."""
    total, dated = 0.0, False
    for r in rows:
        start = _date(r.start)
        if start is None:
            continue
        end = _date(r.end) or LOG_END
        if end > start:
            total += (end - start).days / 365.25
            dated = True
    return min(total, 45.0) if dated else None


def applicant_text(rows: list[ExperienceRow], interests: list[str]) -> str:
    """What the applicant would have typed, from their rows alone: most recent job first."""

    def when(r: ExperienceRow) -> str:
        return r.start or "0000"

    rows = sorted(rows, key=when, reverse=True)[:8]
    sentences = []
    for n, r in enumerate(rows):
        verb = "I work as" if n == 0 and not r.end else "I worked as"
        where = ", ".join(
            x
            for x in (r.city.title() if r.city.islower() else r.city, r.state.upper() if len(r.state) == 2 else r.state)
            if x
        )
        sentences.append(
            f"{verb} {r.position}"
            + (f" at {r.employer}" if r.employer else "")
            + (f" in {where}" if where else "")
            + "."
        )
    years = years_of_experience(rows)
    if years is not None and years >= 1:
        sentences.append(f"I have {int(round(years))} years of experience.")
    for p in interests[:5]:
        sentences.append(f"I am looking for work as {p}.")
    return "\n".join(sentences)


def row_place(rows: list[ExperienceRow]) -> Place:
    """Where an applicant is, from their work history (most recent first): for popularity by place."""
    cities, states = [], []
    for r in sorted(rows, key=lambda r: r.start or "0000", reverse=True):
        s = norm_state(r.state)
        if not s:
            continue
        if s not in states:
            states.append(s)
        c = norm_city(r.city)
        if c and (c, s) not in cities:
            cities.append((c, s))
    return Place(cities=cities, states=states)


def fold_of(applicant_id: str, folds: int = FOLDS) -> int:
    return int(hashlib.sha1(applicant_id.encode()).hexdigest(), 16) % folds


@dataclass
class ColdData:
    """Everything training and evaluation need, loaded once."""

    log: JobLog
    index: ColdIndex
    places: dict[str, Place]  # every applicant with work history: for popularity by place
    texts: dict[str, str]  # applicants with text
    queries: dict[str, ColdQuery]  # applicants with text AND views
    relevant: dict[str, set[str]]  # their distinct viewed postings
    statics: dict[str, np.ndarray]  # static features per applicant


def occupation_data(
    conn: sqlite3.Connection, occupation_ids: list[str]
) -> tuple[dict[str, list[str]], dict[str, set[str]]]:
    """Related occupations and each occupation's skill ids (rated, technology, essential, optional)."""
    related: dict[str, list[str]] = defaultdict(list)
    for a, b in conn.execute("SELECT occupation_id, related_id FROM related_occupation"):
        related[a].append(b)
    wanted = set(occupation_ids)
    skills: dict[str, set[str]] = defaultdict(set)
    for o, s in conn.execute("SELECT occupation_id, skill_id FROM occupation_skill"):
        if o in wanted:
            skills[o].add(s)
    return dict(related), dict(skills)


def make_index(log: JobLog, conn: sqlite3.Connection, links: dict, settings: Settings, content=None) -> ColdIndex:
    from retrieval.understanding.service import get_linker

    linker = get_linker(settings)
    related, skills = occupation_data(conn, linker.ids)
    return ColdIndex(log, links, linker.ids, linker.vectors, related, skills, content=content)


def load_cold_data(
    log: JobLog,
    conn: sqlite3.Connection,
    index: ColdIndex,
    settings: Settings,
    encode=None,
    show_progress: bool = False,
    max_applicants: int | None = None,
) -> ColdData:
    """Render, understand and featurise every applicant with text and views."""
    from retrieval.understanding.service import understand

    exp, poi = applicant_rows(conn)
    places = {a: row_place(rows) for a, rows in exp.items()}
    texts = {a: applicant_text(exp.get(a, []), poi.get(a, [])) for a in sorted(set(exp) | set(poi))}
    relevant: dict[str, set[str]] = defaultdict(set)
    for v in log.views:
        if v.job_id in log.job_index:
            relevant[v.applicant_id].add(v.job_id)
    users = sorted(a for a in texts if a in relevant and texts[a].strip())
    if max_applicants:
        users = users[:max_applicants]
    queries, statics = {}, {}
    for a in tqdm(users, desc="understanding applicants", disable=not show_progress, leave=False):
        q = query_from_understanding(texts[a], understand(texts[a], settings))
        queries[a] = q
        statics[a] = static_features(index, q, encode)
    return ColdData(log, index, places, texts, queries, {a: relevant[a] for a in users}, statics)


def _groups(data: ColdData, users: list[str], pop: Popularity) -> list[tuple[np.ndarray, np.ndarray]]:
    available = pop.users > 0
    out = []
    for a in users:
        F = with_popularity(data.statics[a], data.queries[a], pop)
        cands = candidates(F, available)
        y = np.array([data.log.job_ids[c] in data.relevant[a] for c in cands], dtype=np.int32)
        if y.sum():
            out.append((F[cands], y))
    return out


def training_groups(data: ColdData, users: list[str], outer: Set[str] = frozenset(), folds: int = FOLDS) -> list:
    """LambdaRank groups for ``users``: each scored with popularity that leaves out its own fold (and
    ``outer``, the applicants being evaluated)."""
    groups = []
    by_fold: dict[int, list[str]] = defaultdict(list)
    for a in users:
        by_fold[fold_of(a, folds)].append(a)
    for _g, members in sorted(by_fold.items()):
        pop = popularity(data.log, data.log.views, data.places, set(outer) | set(members))
        groups.extend(_groups(data, members, pop))
    return groups


def _topk(scores: np.ndarray, ids: list[str], k: int) -> list[str]:
    k = min(k, scores.size)
    idx = np.argpartition(-scores, k - 1)[:k]
    return [ids[i] for i in sorted(idx, key=lambda i: (-scores[i], ids[i]))]


def _z(x: np.ndarray) -> np.ndarray:
    sd = float(x.std())
    return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)


def evaluate(
    data: ColdData, k: int = 20, folds: int = FOLDS, config: ColdRankerConfig | None = None, show_progress: bool = False
) -> dict:
    """Runs of every method for every evaluated applicant (leave-applicants-out), plus training facts."""
    ids = data.log.job_ids
    runs: dict[str, dict[str, list[str]]] = defaultdict(dict)
    users = sorted(data.queries)
    cand_hits, cand_total, importances, hidden = 0, 0, [], 0
    for f in tqdm(range(folds), desc="folds", disable=not show_progress, leave=False):
        test = [a for a in users if fold_of(a, folds) == f]
        train = [a for a in users if fold_of(a, folds) != f]
        if not test:
            continue
        groups = training_groups(data, train, outer=set(test), folds=folds)
        ranker = ColdRanker(config).fit(groups) if len(groups) >= 20 else None
        if ranker is not None:
            importances.append(ranker.importance())
        pop = popularity(data.log, data.log.views, data.places, set(test))
        available = pop.users > 0
        mask = np.where(available, 0.0, -np.inf)
        pop_order = _topk(np.log1p(pop.users) + mask, ids, k)
        for a in test:
            q = data.queries[a]
            F = with_popularity(data.statics[a], q, pop)
            runs["popularity"][a] = pop_order
            runs["bm25"][a] = _topk(F[:, _C["bm25"]] + 1e-6 * F[:, _C["pop_log"]] + mask, ids, k)
            runs["naive_blend"][a] = _topk(_z(F[:, _C["bm25"]]) + _z(F[:, _C["pop_log"]]) + mask, ids, k)
            runs["popularity_place"][a] = _topk(
                F[:, _C["pop_state_log"]] + 0.5 * F[:, _C["pop_city_log"]] + 0.2 * F[:, _C["pop_log"]] + mask, ids, k
            )
            cands = candidates(F, available)
            rel = data.relevant[a]
            cand_hits += sum(ids[c] in rel for c in cands)
            cand_total += len(rel)
            s = hand_blend(F[cands])
            order = [int(i) for i in np.argsort(-s, kind="stable")]
            runs["hand_blend"][a] = [ids[cands[i]] for i in order[:k]]
            may_show = shown(data.index, q, F)
            # the "_fit" runs decide what may be shown before the ranking, as served (ColdStart.rank)
            fit_cands = candidates(F, available & may_show)
            fit_order = np.argsort(-hand_blend(F[fit_cands]), kind="stable")
            runs["hand_blend_fit"][a] = [ids[fit_cands[i]] for i in fit_order[:k]]
            if ranker is not None:
                s = ranker.predict(F[cands])
                order = [int(i) for i in np.argsort(-s, kind="stable")]
                runs["ltr"][a] = [ids[cands[i]] for i in order[:k]]
                hidden += sum(1 for i in order[:k] if not may_show[cands[i]])
                fit_order = np.argsort(-ranker.predict(F[fit_cands]), kind="stable")
                runs["ltr_fit"][a] = [ids[fit_cands[i]] for i in fit_order[:k]]
    imp: dict[str, float] = defaultdict(float)
    for d in importances:
        for name, g in d.items():
            imp[name] += g / len(importances)
    return {
        "runs": dict(runs),
        "candidate_recall": cand_hits / max(1, cand_total),
        "importance": dict(sorted(imp.items(), key=lambda x: -x[1])),
        "hidden_by_fit_in_top_k": hidden,
        "users": users,
    }


# ------------------------------------------------------------------------------------------------ serving model
def model_key(fingerprint: str, config: ColdRankerConfig | None = None) -> str:
    payload = json.dumps(
        {
            "v": COLD_VERSION,
            "fp": fingerprint,
            "features": COLD_FEATURES,
            "cfg": (config or ColdRankerConfig()).__dict__,
        },
        sort_keys=True,
    )
    return hashlib.sha1(payload.encode()).hexdigest()[:12]


def ranker_paths(settings: Settings, fingerprint: str) -> tuple[Path, Path]:
    base = settings.models_dir / "jobs" / f"cold-{model_key(fingerprint)}"
    return base.with_suffix(".txt"), base.with_suffix(".json")


def train_serving_ranker(
    data: ColdData, settings: Settings, fingerprint: str, config: ColdRankerConfig | None = None
) -> list[Path]:
    """The served ranker: trained on every applicant with text and views (each with popularity that leaves
    out its own fold), saved beside a meta file that marks the training finished."""
    from retrieval.artifacts import require_build_allowed

    model_path, meta_path = ranker_paths(settings, fingerprint)
    require_build_allowed(f"the cold-start job ranker ({model_path.name})")
    t0 = time.perf_counter()
    groups = training_groups(data, sorted(data.queries))
    ranker = ColdRanker(config).fit(groups) if len(groups) >= 20 else None
    meta: dict[str, Any] = {
        "version": COLD_VERSION,
        "ranker": ranker is not None,
        "queries": len(data.queries),
        "groups": len(groups),
        "rows": int(sum(len(g[1]) for g in groups)),
        "trained_s": round(time.perf_counter() - t0, 1),
    }
    if ranker is not None:
        ranker.save(model_path)
        meta["importance"] = ranker.importance()
    meta_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = meta_path.with_name(f"{meta_path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(meta, indent=2))
    os.replace(tmp, meta_path)
    return [p for p in (model_path, meta_path) if p.is_file()]


def per_user_recall(run: dict[str, list[str]], relevant: dict[str, set[str]], users: list[str], k: int) -> np.ndarray:
    return np.array([len(relevant[a] & set(run.get(a, [])[:k])) / len(relevant[a]) for a in users])


def per_user_ndcg(run: dict[str, list[str]], relevant: dict[str, set[str]], users: list[str], k: int) -> np.ndarray:
    out = []
    for a in users:
        rel = relevant[a]
        dcg = sum(1.0 / math.log2(i + 2) for i, j in enumerate(run.get(a, [])[:k]) if j in rel)
        ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(rel), k)))
        out.append(dcg / ideal if ideal else 0.0)
    return np.array(out)


def fit_filter(index: ColdIndex, q: ColdQuery, i: int) -> tuple[bool, str]:
    """Whether posting ``i`` suits the person's experience (see :func:`retrieval.jobs.levels.fit`)."""
    return level_fit(index.levels[i], q.level)


__all__ = [
    "COLD_VERSION",
    "ColdData",
    "applicant_text",
    "evaluate",
    "fold_of",
    "load_cold_data",
    "make_index",
    "per_user_ndcg",
    "per_user_recall",
    "train_serving_ranker",
    "years_of_experience",
]
