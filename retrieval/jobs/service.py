"""Serve job recommendations; the model is loaded once per process (trained by ``waypoint build``).

* A profile whose ``user_id`` is an applicant of the job-view log gets the full model: their views
  are the history; their work experience and positions of interest (plus any ``text`` /
  ``occupation`` / ``skills`` given) are the profile text; LambdaRank orders the candidates.
* Any other profile is a cold start (:mod:`retrieval.jobs.cold_service`): matched through what Waypoint
  understood about the person -- place, linked O*NET occupation, goals, held skills -- and what other
  people view (measured: ``eval/reports/jobs_cold_start.md``; the postings' occupations come from ``waypoint build``).
  Postings that do not fit the person's experience are left out (:func:`retrieval.jobs.levels.fit`).

Already-viewed jobs stay eligible (re-views are a third of next views in the log); pass ``exclude``
to hide some.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from retrieval.artifacts import require_build_allowed
from retrieval.catalogue.db import connect, get_meta
from retrieval.jobs.data import JobLog, load_log
from retrieval.jobs.display import clean_title, dedup_key, employment_types
from retrieval.jobs.levels import parse_posting
from retrieval.jobs.model import _F, FEATURES, JobContent, JobInteractions, JobRanker, JobRecConfig, JobScorer, Query
from retrieval.jobs.pipeline import FittedJobModel, fit
from retrieval.profile import Profile, ProfileError
from retrieval.rerankers.stage2 import rerank_for_serving, stage2_enabled
from retrieval.settings import Settings, get_settings

log = logging.getLogger(__name__)

MODEL_VERSION = 1


@dataclass
class ScoredJob:
    id: str
    title: str
    score: float
    company: str = ""
    city: str = ""
    state: str = ""
    viewed: bool = False
    raw_title: str = ""  # the posting's own title (evidence); ``title`` is the cleaned one shown
    employment: list[str] = field(default_factory=list)  # internship | part_time | seasonal | temporary | full_time
    seniority: str | None = None  # intern | entry | senior | lead | director (as the posting states it)
    years_required: float | None = None  # minimum years of experience the posting asks for
    kind_of_work: bool | None = None  # the person's kind of work (cold start, clearly understood); None: unknown


class JobRecommender:
    def __init__(
        self,
        settings: Settings | None = None,
        config: JobRecConfig | None = None,
        *,
        train_if_missing: bool = True,
        show_progress: bool = False,
    ):
        self.settings = settings or get_settings()
        self.config = config or JobRecConfig()
        conn = connect(self.settings.catalogue_path, readonly=True)
        try:
            self.fingerprint = get_meta(conn, "fingerprint") or ""
            self.log: JobLog = load_log(conn)
            self._occupation_titles = dict(conn.execute("SELECT id, title FROM occupation").fetchall())
        finally:
            conn.close()
        if not self.log.job_ids:
            raise ProfileError("the catalogue has no jobs; run `waypoint ingest` with the interactions data")
        self.history = self.log.history()
        self.content = JobContent(self.log, dense=self.config.dense)
        self.model: FittedJobModel | None = None
        found, ranker = self._load_ranker()
        if not found and train_if_missing:
            self.train(show_progress=show_progress)
        else:
            inter = JobInteractions(self.log, self.log.views, self.config, als_factors=self._load_als())
            self.model = FittedJobModel(self.content, inter, JobScorer(self.content, inter, self.config), ranker, {})
            if self.config.als and inter.als_items is not None and not self.als_path.is_file():
                self._save_als(inter)  # a home trained before the factors were saved: save them once
        self._lock = threading.Lock()
        self._cold_start = None  # loaded on the first cold-start request (it needs the understanding's linker)
        self._cold_missing = False

    # -- persistence --------------------------------------------------------------------------
    @property
    def model_dir(self) -> Path:
        return self.settings.models_dir / "jobs"

    def _key(self) -> str:
        payload = json.dumps(
            {
                "v": MODEL_VERSION,
                "fp": self.fingerprint,
                "n": len(self.log.views),
                "cfg": self.config.to_dict(),
                "features": FEATURES,
            },
            sort_keys=True,
        )
        return hashlib.sha1(payload.encode()).hexdigest()[:12]

    @property
    def ranker_path(self) -> Path:
        return self.model_dir / f"ranker-{self._key()}.txt"

    @property
    def meta_path(self) -> Path:
        """Written after every training, with or without a ranker (a tiny log trains none)."""
        return self.model_dir / f"ranker-{self._key()}.json"

    @property
    def als_path(self) -> Path:
        """The ALS factors of the whole log, as the ranker's features were computed with them."""
        return self.model_dir / f"als-{self._key()}.npz"

    def artifact_files(self) -> list[Path]:
        """What ``waypoint build`` records for the job model."""
        files = [p for p in (self.ranker_path, self.meta_path) if p.is_file()]
        return files + ([self.als_path] if self.config.als and self.als_path.is_file() else [])

    def _load_ranker(self) -> tuple[bool, JobRanker | None]:
        """``(trained, ranker)``: trained with a ranker, trained without one (too few groups), or never."""
        if self.ranker_path.is_file():
            return True, JobRanker.load(self.ranker_path, self.config)
        try:
            trained_without = json.loads(self.meta_path.read_text()).get("ranker") is False
        except (OSError, ValueError):
            trained_without = False
        return trained_without, None

    def _load_als(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The saved ALS factors; None to fit them here (refused in a server: only the build trains)."""
        if not self.config.als:
            return None
        if self.als_path.is_file():
            with np.load(self.als_path) as data:
                return data["users"], data["items"]
        require_build_allowed(f"the job model's ALS factors ({self.als_path.name})")
        return None

    def _save_als(self, inter: JobInteractions) -> None:
        if inter.als_items is None or inter.als_users is None:
            return
        self.model_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.als_path.with_name(f"{self.als_path.name}.{os.getpid()}.tmp.npz")
        np.savez(tmp, users=inter.als_users, items=inter.als_items)
        os.replace(tmp, self.als_path)

    def train(self, show_progress: bool = False) -> FittedJobModel:
        """Train the LambdaRank model on inner folds of the whole log and save it with the ALS factors."""
        require_build_allowed(f"the job ranker ({self.ranker_path.name})")
        t0 = time.perf_counter()
        self.model = fit(self.log, self.log.views, self.config, content=self.content, show_progress=show_progress)
        self._save_als(self.model.interactions)
        meta: dict = {
            "trained_s": round(time.perf_counter() - t0, 1),
            "stats": self.model.train_stats,
            "config": self.config.to_dict(),
            "ranker": self.model.ranker is not None,
        }
        if self.model.ranker is not None:
            self.model.ranker.save(self.ranker_path)
            meta["importance"] = self.model.ranker.importance()
        self.model_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.meta_path.with_name(f"{self.meta_path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(meta, indent=2))
        os.replace(tmp, self.meta_path)  # last: it marks the training as finished
        return self.model

    # -- serving ------------------------------------------------------------------------------
    def profile_text(self, profile: Profile) -> str:
        parts = []
        if profile.user_id and profile.user_id in self.log.profile_text:
            parts.append(self.log.profile_text[profile.user_id])
        if profile.occupation:
            parts.append(self._occupation_titles.get(profile.occupation, profile.occupation))
        if profile.skills:
            parts.append(", ".join(profile.skills))
        if profile.text:
            parts.append(self._understood(profile))
        return " ; ".join(parts)

    def _understood(self, profile: Profile) -> str:
        """What a posting search should look for from free text: the occupations Waypoint linked (or, with a
        goal, the occupations the person wants to move into) and the skills they hold, then their words.
        Title words alone match "Front Desk Coordinator with Innovative Software Developers" for a
        Python developer; the linked occupation's titles and the held skills do not."""
        from retrieval.understanding.recommend import recommend_occupations
        from retrieval.understanding.service import understand

        try:
            u = understand(profile.text or "", self.settings)
            if u.status in ("empty", "not_english", "nonsense"):
                return profile.text or ""
            wanted = []
            if u.goals or profile.goal:
                wanted = [r.title for r in recommend_occupations([profile], k=3, settings=self.settings)[0]]
            linked = [o.title for o in u.occupations[:1] if o.confidence >= 0.5]
            skills = [s.label for s in u.skills[:15]]
        except ProfileError:
            return profile.text or ""
        return " ; ".join(x for x in (", ".join(wanted or linked), ", ".join(skills), profile.text or "") if x)

    def recommend(self, profile: Profile, k: int = 20) -> list[ScoredJob]:
        if not 1 <= k <= 200:
            raise ProfileError("k must be between 1 and 200")
        history = self.history.get(profile.user_id, []) if profile.user_id else []
        known_user = bool(profile.user_id) and (
            profile.user_id in self.history or profile.user_id in self.log.profile_text
        )
        cold = None if history else self._cold_model()
        text = "" if cold is not None else self.profile_text(profile)  # the cold-start ranking reads the profile itself
        if profile.user_id and not known_user and not (profile.occupation or profile.skills or profile.text):
            raise ProfileError(f"unknown user_id {profile.user_id!r}: not an applicant in the job-view log")
        exclude = set(profile.exclude)
        q = Query(
            user_id=profile.user_id if history else None,
            history=history,
            text=text,
            now=history[-1].t if history else float("nan"),
        )
        marks = None  # which postings are the person's kind of work, where the cold-start ranking can tell
        with self._lock:
            fetch = 2 * k  # room for the duplicates collapsed below
            assert self.model is not None, "JobRecommender: no model (constructed with train_if_missing=False?)"
            if history and self.model.ranker is not None:
                if stage2_enabled("job", self.settings):
                    ranked = self._stage2(
                        q, self.model.rank(q, k=max(fetch, self.settings.rerank_top_k), exclude=exclude)
                    )[:fetch]
                else:
                    ranked = self.model.rank(q, k=fetch, exclude=exclude)
            elif cold is not None:
                person = profile
                if profile.user_id in self.log.profile_text:  # an applicant with rows but no views: their rows too
                    person = profile.model_copy(
                        update={
                            "text": "\n".join(
                                x for x in (self.log.profile_text[profile.user_id], profile.text or "") if x
                            )
                        }
                    )
                ranked, marks = cold.rank(
                    cold.query(person, self._occupation_titles.get(profile.occupation or "")), fetch, exclude
                )
            else:
                ranked = self._cold(q, fetch, exclude)
        viewed = {v.job_id for v in history}
        lg = self.log
        out, seen = [], set()
        for i, s in ranked:  # one row per posting: the same (clean title, company, city) listed twice is one
            key = dedup_key(lg.titles[i], lg.companies[i], lg.cities[i])
            if key in seen:
                continue
            seen.add(key)
            level = parse_posting(lg.positions[i] or lg.titles[i])
            out.append(
                ScoredJob(
                    id=lg.job_ids[i],
                    title=clean_title(lg.titles[i], lg.companies[i], lg.cities[i], lg.states[i]),
                    score=round(float(s), 6),
                    company=lg.companies[i],
                    city=lg.cities[i],
                    state=lg.states[i],
                    viewed=lg.job_ids[i] in viewed,
                    raw_title=lg.titles[i],
                    employment=sorted(employment_types(lg.titles[i])),
                    seniority=level.seniority,
                    years_required=level.years_required,
                    kind_of_work=None if marks is None else bool(marks[i]),
                )
            )
        return out[:k]

    def occupation_postings(self) -> dict[str, int]:
        """Postings per occupation (:meth:`~retrieval.jobs.cold_service.ColdStart.occupation_postings`); empty on a
        home built before the postings were linked."""
        cold = self._cold_model()
        return cold.occupation_postings() if cold is not None else {}

    def _cold_model(self):
        """The built cold-start ranking (:class:`~retrieval.jobs.cold_service.ColdStart`), loaded once; None on
        a home built before it existed (then the older content-only ranking serves, with a warning)."""
        if self._cold_start is None and not self._cold_missing:
            from retrieval.artifacts import NotBuilt
            from retrieval.jobs.cold_service import ColdStart

            try:
                self._cold_start = ColdStart(self.settings, self.log, self.content, self.fingerprint)
            except NotBuilt as exc:
                log.warning("cold-start job ranking unavailable (%s); ranking by content only", exc.message)
                self._cold_missing = True
        return self._cold_start

    def _stage2(self, q: Query, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """The cross-encoder's rerank of the LambdaRank top (``WAYPOINT_RERANK_WEIGHT_JOB``; 0 = off)."""
        from retrieval.jobs.pipeline import cross_encoder_query

        lg = self.log
        by_id = {lg.job_ids[i]: (i, s) for i, s in ranked}
        order = rerank_for_serving(
            "job",
            cross_encoder_query(lg, q.history, q.text),
            list(by_id),
            lambda j: lg.doc_text(lg.job_index[j]),
            stage1=np.asarray([s for _i, s in ranked]),
            settings=self.settings,
        )
        return [by_id[j] for j in order]

    def _cold(self, q: Query, k: int, exclude: set[str]) -> list[tuple[int, float]]:
        """Content-only ranking (no history): z(BM25) + z(dense) over the profile text, popularity tie-break."""
        from retrieval.jobs.pipeline import fallback_score

        assert self.model is not None
        F = self.model.scorer.features(q)
        if q.history:  # history but no ranker (tiny logs): the hand-weighted blend
            s = fallback_score(F)
        else:
            if not q.text.strip():
                raise ProfileError("a job recommendation needs a known user_id, text, occupation or skills")
            s = _z(F[:, _F["bm25_profile"]]) + (_z(F[:, _F["dense_profile"]]) if self.content.emb is not None else 0.0)
            s = s + 0.05 * F[:, _F["pop_users_log"]]
        s = np.where(self.model.scorer.available, s, -np.inf)
        ids = self.log.job_ids
        order = np.argsort(-s, kind="stable")
        out = []
        for i in order:
            if not np.isfinite(s[i]):
                break
            if ids[i] in exclude:
                continue
            out.append((int(i), float(s[i])))
            if len(out) >= 4 * k:
                break
        out.sort(key=lambda x: (-round(x[1], 9), ids[x[0]]))
        return out[:k]

    def recommend_many(self, profiles: list[Profile], k: int = 20) -> list[list[ScoredJob]]:
        return [self.recommend(p, k) for p in profiles]


def _z(x: np.ndarray) -> np.ndarray:
    sd = float(x.std())
    return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)


_INSTANCES: dict[str, JobRecommender] = {}
_LOCK = threading.Lock()


def get_job_recommender(settings: Settings | None = None, *, show_progress: bool = False) -> JobRecommender:
    """The process-wide recommender for these settings (loaded on first use; trained only where building is
    allowed, see :mod:`retrieval.artifacts`)."""
    settings = settings or get_settings()
    key = str(Path(settings.catalogue_path).resolve())
    with _LOCK:
        if key not in _INSTANCES:
            _INSTANCES[key] = JobRecommender(settings, show_progress=show_progress)
        return _INSTANCES[key]


def recommend_jobs(profiles: list[Profile], k: int = 20, settings: Settings | None = None) -> list[list[ScoredJob]]:
    """Job recommendations for each profile (history via ``user_id``; cold start from text/occupation/skills)."""
    return get_job_recommender(settings).recommend_many(profiles, k)
