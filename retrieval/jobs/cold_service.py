"""The cold-start posting ranking as the product serves it: built by ``waypoint build`` (:func:`build`),
only loaded by a server (:class:`ColdStart`).

A person with no viewing history is understood (``understand()``: linked occupation, held skills, goals,
years and seniority), placed (city/state from their text), and ranked by the combination measured best
in ``eval/reports/jobs_cold_start.md`` -- the hand-weighted blend (:func:`retrieval.jobs.cold.hand_blend`):
a LambdaRank model over the same features, trained on applicants disjoint from the evaluated ones,
measured no better, so it is not served and the build trains none. For a person clearly understood (an
occupation or a goal) the best ten postings of their kind of work come first, then the blend as before
(measured on the log and on typed personas in the same report); postings that do not fit their experience are dropped
(:func:`retrieval.jobs.levels.fit`: no internships after years of work unless asked, no senior or
director roles for a student).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.catalogue.db import connect
from retrieval.jobs.cold import (
    _C,
    ColdQuery,
    ColdRanker,
    popularity,
    query_from_understanding,
    rank,
    shown,
    static_features,
    with_popularity,
)
from retrieval.jobs.cold_train import applicant_rows, make_index, row_place
from retrieval.jobs.data import JobLog
from retrieval.jobs.levels import FLEXIBLE_TITLE
from retrieval.jobs.posting_links import load_links
from retrieval.occupations.physical import DEMANDING, physical_title
from retrieval.occupations.remote import FEASIBLE as REMOTE_FEASIBLE, remote_title
from retrieval.occupations.service import get_occupation_recommender
from retrieval.profile import Profile, ProfileError
from retrieval.settings import Settings
from retrieval.understanding.leaving import OwnWork
from retrieval.understanding.recommend import recommend_occupations

log = logging.getLogger(__name__)

OWN_KIND_CACHE = 256  # sets of occupations whose postings of the same kind of work are kept (_own_kind_postings)
LIMITED_TARGETS = 5  # with a physical limit and no goal, postings of this many occupations of their list
PHYSICAL_LINK_MIN = 0.3  # with a physical limit, a posting's linked occupation this sure counts for its demand
OWN_LINK_MIN = 0.5  # ... and the person's occupation understood this surely is beyond it: its postings go


class ColdStart:
    """Loaded once per recommender: the postings' occupations, the ranker, popularity by place."""

    def __init__(self, settings: Settings, job_log: JobLog, content, fingerprint: str):
        self.settings = settings
        self.log = job_log
        self.content = content
        links = load_links(settings, fingerprint)  # NotBuilt when the build has not linked the postings
        self.ranker: ColdRanker | None = None  # the hand-weighted blend ranks (see the module docstring)
        self.blend: dict[str, Any] = {}  # hand_blend's arguments: served defaults; the eval compares others
        conn = connect(settings.catalogue_path, readonly=True)
        try:
            self.index = make_index(job_log, conn, links, settings, content=content)
            exp, _poi = applicant_rows(conn)
        finally:
            conn.close()
        self.pop = popularity(job_log, job_log.views, {a: row_place(rows) for a, rows in exp.items()})
        self._demand: np.ndarray | None = None  # per posting, read when a person with a physical limit asks
        self._own_kind: dict[tuple[str, ...], np.ndarray] = {}  # per set of occupations left (_own_kind_postings)
        self._own_kind_lock = threading.Lock()
        self._standing: np.ndarray | None = None  # per posting, read when that limit is about standing
        self._remote: tuple[np.ndarray, np.ndarray] | None = None  # per posting, read when a person wants remote work
        self._fewer_hours: np.ndarray | None = None  # per posting, read when a person asks for part-time hours
        self.available = self.pop.users > 0

    def query(self, profile: Profile, occupation_title: str | None = None) -> ColdQuery:
        """What the ranking knows about ``profile``: its text (with the occupation and skills it names)
        understood, plus an explicit O*NET code and goal."""
        from retrieval.understanding.service import get_linker, understand

        parts = [profile.text or ""]
        if profile.occupation:
            parts.append(f"I work as {occupation_title or profile.occupation}.")
        if profile.skills:
            parts.append("Skills: " + ", ".join(profile.skills) + ".")
        text = "\n".join(p for p in parts if p.strip())
        u = understand(text, self.settings) if text.strip() else None
        extra, goal = [], None
        linker = get_linker(self.settings)
        if profile.goal:
            goal = linker.resolve_goal(profile.goal)
            if goal is not None:
                # a field may name whole occupations among its SOC prefixes ("pharmaceutical sales": 41-4011.00); a
                # nurse who wants it was shown only nursing postings "in the work you want"
                named = list(dict.fromkeys([*goal.occupation_ids, *(p for p in goal.soc_prefixes if len(p) >= 10)]))
                extra = [(oid, float(goal.confidence)) for oid in named[:5]]
        q = query_from_understanding(text, u, extra_goals=extra)
        if goal is not None:
            q.goal_prefixes.extend(p for p in goal.soc_prefixes if len(p) < 10)
        if profile.occupation and profile.occupation in linker.index:
            q.occupations.insert(0, (profile.occupation, 1.0))
        q.skills |= {s for s in profile.skills if ":" in s}  # skill ids given as such
        q.avoid_physical = profile.physical_limit(q.avoid_physical)
        q.remote = profile.remote_work(q.remote)
        q.leaving = profile.leaving(q.leaving)
        q.better_pay = profile.wants_better_pay(q.better_pay)
        q.outdoors = profile.wants_outdoors(q.outdoors)
        q.away_from_desk = profile.wants_away_from_desk(q.away_from_desk)
        q.level.wants_part_time = profile.wants_part_time(q.level.wants_part_time)
        # "I want to learn Python" with no work named: the postings of the work built on it, as its list is
        learning = not q.occupations and any(
            g.kind == "skill" for g in [*(u.goals if u else []), *([goal] if goal else [])]
        )
        # "I just finished high school and have no experience": the postings of the first jobs on their list
        first_work = not q.occupations and u is not None and u.first_work is not None
        if (
            (q.avoid_physical or q.leaving or q.better_pay or q.outdoors or q.away_from_desk or learning or first_work)
            and not q.goals
            and not q.goal_prefixes
        ):
            # "truck driver, my back is done", "I'm a teacher and I hate it", "a line cook who wants better pay":
            # postings of the occupations on their (limited, better-paid) list, not trucking, teaching, line cooking
            try:
                listed = recommend_occupations([profile], k=LIMITED_TARGETS, settings=self.settings)[0]
                q.goals, q.goals_listed = [(o.id, 1.0) for o in listed], True
            except ProfileError:
                pass
        return q

    def occupation_postings(self) -> dict[str, int]:
        """How many postings each occupation accounts for: those whose title links it first, at least
        :data:`OWN_LINK_MIN` surely (what a person who has not worked yet is first shown: the work most postings are
        for, :meth:`retrieval.understanding.recommend.PersonalRanking.first_jobs`)."""
        first = self.index.link_idx[:, 0]
        sure = (first >= 0) & (self.index.link_conf[:, 0] >= OWN_LINK_MIN)
        counts = np.bincount(first[sure], minlength=len(self.index.occ_ids))
        return {oid: int(n) for oid, n in zip(self.index.occ_ids, counts) if n}

    def rank(self, q: ColdQuery, k: int, exclude: set[str]) -> tuple[list[tuple[int, float]], np.ndarray | None]:
        """Top-``k`` postings that fit the person, best first, and which postings are the person's kind of work
        (their occupation's or their goal's: the features' ``relevant``); None for the second when Waypoint did
        not understand them clearly enough to say (:func:`understood_targets`). Why the marks: a list of the
        most viewed postings is all the log can offer a barber, and it must not be shown as "postings that
        match you"."""
        F = with_popularity(static_features(self.index, q, self.content.encode), q, self.pop)
        marks = F[:, _C["relevant"]] > 0 if len(F) and F[0, _C["understood"]] > 0 else None
        # what may be shown is decided before the ranking, so the places kept for the person's kind of work go to
        # postings that can be shown: a teller who wants better pay got one relevant posting in eight, the others'
        # places taken by part-time postings and tellers' own, dropped after the ranking
        may_show = shown(self.index, q, F) & ~self._ruled_out(q)
        ranked = rank(F, self.available & may_show, self.ranker, 4 * k, self.log.job_ids, exclude, self.blend)
        if q.remote:
            ranked = self._remote_first(ranked, F, exclude)
        if q.level.wants_part_time:
            ranked = self._fewer_hours_first(ranked, F, exclude, may_show)
        fitting = [(i, s) for i, s in ranked if may_show[i]]
        if q.place_wanted and q.place.cities:
            # asked for work in a city: its postings first, within the relevant ones and within the rest (the
            # blend's order kept inside each group) -- "Looking for jobs in Austin, TX" got three Bay Area
            # software postings before the one in Austin, since the log's popularity outweighs the place terms
            relevant, local = F[:, _C["relevant"]] > 0, F[:, _C["same_city"]] > 0
            fitting.sort(key=lambda r: (not relevant[r[0]], not local[r[0]]))
        return fitting[:k], marks

    def _ruled_out(self, q: ColdQuery) -> np.ndarray:
        """Per posting, whether what the person said rules it out: with a physical limit, demanding work and their
        own occupation's ("a cashier who can't stand for long"; work done on one's feet when standing is the limit);
        with a wish for better pay, their own occupation's (a line cook asking for jobs that pay better was listed
        line cook postings); with a wish to work outdoors, those not linked to outdoor work, and away from a desk, those
        linked to desk work (a receptionist who can't sit at a desk all day was listed receptionist postings); wanting
        out of their work, its postings (its SOC minor group, or a title that names it: "Substitute Teacher" links to
        another group of teachers)."""
        out = np.zeros(len(self.log.job_ids), dtype=bool)
        if q.avoid_physical:
            out |= self._own_postings(q) | (self._posting_demand() >= DEMANDING)
            if q.avoid_standing:
                out |= self._standing_postings()
        if q.better_pay:
            out |= self._own_postings(q)
        if q.outdoors:
            out |= ~self._outdoor_postings()
        if q.away_from_desk:
            corpus = get_occupation_recommender(self.settings).corpus
            out |= ~self._linked_to(corpus.away_from_desk)
        if q.leaving:
            out |= self._own_kind_postings(tuple(o for o, c in q.occupations if c >= OWN_LINK_MIN))
        return out

    def _own_kind_postings(self, own: tuple[str, ...]) -> np.ndarray:
        """Per posting, whether it is the kind of work of the occupations ``own`` (:class:`OwnWork`: their SOC minor
        group or a title that names it), kept per set of occupations: every posting's title is read (~40 ms), where
        the check used to run on the ranked few, and people who leave the same work ask the same."""
        hit = self._own_kind.get(own)
        if hit is None:
            corpus = get_occupation_recommender(self.settings).corpus
            work = OwnWork.of(list(own), lambda o: corpus.titles[corpus.index[o]] if o in corpus.index else "")
            linked = [*self.index.occ_ids, ""]  # link_idx -1 (no link) reads the trailing ""
            hit = np.array(
                [work.covers(linked[j], title) for j, title in zip(self.index.link_idx[:, 0], self.log.titles)],
                dtype=bool,
            )
            with self._own_kind_lock:  # the server's threads share this
                if len(self._own_kind) >= OWN_KIND_CACHE:
                    self._own_kind.pop(next(iter(self._own_kind)))
                self._own_kind[own] = hit
        return hit

    def _outdoor_postings(self) -> np.ndarray:
        """Per posting, whether its first link is to work done outdoors (:mod:`retrieval.occupations.outdoor`): an
        office manager who wants to work outdoors was listed assistant and security-guard postings after the
        groundskeeper ones."""
        from retrieval.occupations.outdoor import OUTDOOR

        corpus = get_occupation_recommender(self.settings).corpus
        return self._linked_to(corpus.outdoor >= OUTDOOR)

    def _linked_to(self, holds: np.ndarray) -> np.ndarray:
        """Per posting, whether its first link is to an occupation of the catalogue for which ``holds`` (a boolean per
        row of the occupation corpus) is true; a posting without a link, or linked outside the corpus, is not."""
        corpus = get_occupation_recommender(self.settings).corpus
        per_occ = np.array([o in corpus.index and bool(holds[corpus.index[o]]) for o in self.index.occ_ids] + [False])
        return per_occ[self.index.link_idx[:, 0]]  # link_idx -1 (no link) reads the trailing False

    def _own_postings(self, q: ColdQuery) -> np.ndarray:
        """Per posting, whether its first link is one of the person's own occupations (linked at least
        :data:`OWN_LINK_MIN` surely)."""
        own = [self.index.occ_index[o] for o, c in q.occupations if c >= OWN_LINK_MIN and o in self.index.occ_index]
        return np.isin(self.index.link_idx[:, 0], own)

    def _remote_first(
        self, ranked: list[tuple[int, float]], F: np.ndarray, exclude: set[str]
    ) -> list[tuple[int, float]]:
        """For a person who wants to work from home: the postings whose title says they are remote first (the
        person's kind of work first among them; those the ranking's candidates missed follow the ranked ones,
        most viewed first), then postings of occupations often done from home; the rest are left out -- a nurse
        who wants "something remote" was listed bedside RN postings."""
        titled, feasible = self._remote_postings()
        pool = self._with_missed(ranked, F, titled & self.available, exclude)
        relevant = F[:, _C["relevant"]] > 0
        kept = [(i, s) for i, s in pool if titled[i] or feasible[i]]
        return sorted(kept, key=lambda r: (not titled[r[0]], not relevant[r[0]]))

    def _with_missed(
        self,
        ranked: list[tuple[int, float]],
        F: np.ndarray,
        wanted: np.ndarray,
        exclude: set[str],
        limit: int | None = None,
    ) -> list[tuple[int, float]]:
        """``ranked`` followed by the ``wanted`` postings its candidates missed (at most ``limit``), most viewed
        first, each scored just below the last ranked one: a wish that asks for postings of one kind (remote, part
        time) reaches those the ranking's candidate pool left out."""
        seen = {i for i, _s in ranked}
        floor = min((s for _i, s in ranked), default=0.0)
        extra = [int(i) for i in np.flatnonzero(wanted) if int(i) not in seen and self.log.job_ids[i] not in exclude]
        extra.sort(key=lambda i: -F[i, _C["pop_log"]])
        return ranked + [(i, floor - 1e-3 * (n + 1)) for n, i in enumerate(extra[:limit])]

    def _fewer_hours_first(
        self, ranked: list[tuple[int, float]], F: np.ndarray, exclude: set[str], may_show: np.ndarray
    ) -> list[tuple[int, float]]:
        """For a person who asks for part-time or flexible hours (:mod:`retrieval.understanding.hours`): the postings
        of their kind of work first (of their very occupation first), those that say they are part time or flexible
        first within each, then the others, likewise. Those of their kind the ranking's candidates missed join (most
        viewed first): "I was a bank teller ... I need something that fits around my kids' school hours" had one
        part-time teller posting, third, among full-time ones."""
        fits = self._fewer_hours_postings()
        relevant = F[:, _C["relevant"]] > 0
        wanted = fits & self.available & may_show & (relevant if relevant.any() else True)
        pool = self._with_missed(ranked, F, wanted, exclude, limit=len(ranked) or 40)
        # their kind of work before the hours, their very occupation first: most postings do not say their hours, so
        # one of their work may still fit (a pharmacy technician who wants flexible hours got part-time dietary
        # assistants and paramedics, of the same broad group, before pharmacy technician postings)
        exact = (F[:, _C["occ_exact"]] > 0) | (F[:, _C["goal_exact"]] > 0)
        return sorted(pool, key=lambda r: (not relevant[r[0]], not exact[r[0]], not fits[r[0]]))

    def _fewer_hours_postings(self) -> np.ndarray:
        """(n_postings,) whether a posting says it is part time or has flexible hours ("Flex Officer", "*Flexible
        Scheduling Option!*"); about a quarter of the log."""
        if self._fewer_hours is None:
            self._fewer_hours = np.array(
                [
                    "part_time" in lv.employment or bool(FLEXIBLE_TITLE.search(t))
                    for lv, t in zip(self.index.levels, self.log.titles)
                ],
                dtype=bool,
            )
        return self._fewer_hours

    def _remote_postings(self) -> tuple[np.ndarray, np.ndarray]:
        """(n_postings,) twice: whether a posting's title says it is remote, and whether its first link (at least
        :data:`PHYSICAL_LINK_MIN` sure) is an occupation often done from home (:mod:`retrieval.occupations.remote`)."""
        if self._remote is None:
            corpus = get_occupation_recommender(self.settings).corpus
            feasible = self._first_link_is(
                [o in corpus.index and corpus.remote[corpus.index[o]] >= REMOTE_FEASIBLE for o in self.index.occ_ids]
            )
            self._remote = (np.array([remote_title(t) for t in self.log.titles]), feasible)
        return self._remote

    def _standing_postings(self) -> np.ndarray:
        """(n_postings,) whether a posting's first link (at least :data:`PHYSICAL_LINK_MIN` sure) is an occupation
        of :data:`retrieval.understanding.recommend.STANDING_GROUPS`."""
        if self._standing is None:
            from retrieval.understanding.recommend import STANDING_GROUPS

            self._standing = self._first_link_is([o.startswith(STANDING_GROUPS) for o in self.index.occ_ids])
        return self._standing

    def _first_link_is(self, by_occupation: list[bool]) -> np.ndarray:
        """(n_postings,) whether a posting's first link, at least :data:`PHYSICAL_LINK_MIN` sure, is an occupation
        marked in ``by_occupation`` (one flag per ``index.occ_ids``); a posting without a link is not."""
        marked = np.array([*by_occupation, False])
        first = self.index.link_idx[:, 0]  # -1 (no link) reads the trailing False
        return marked[first] & (self.index.link_conf[:, 0] >= PHYSICAL_LINK_MIN)

    def _posting_demand(self) -> np.ndarray:
        """(n_postings,) how physically demanding each posting is: the most demanding of its linked occupations
        linked at least :data:`PHYSICAL_LINK_MIN` surely ("Package Handler" is a postal clerk and, less surely,
        a material mover: it is a lifting job), or 1 when its title names physical work; 0 unlinked."""
        if self._demand is None:
            corpus = get_occupation_recommender(self.settings).corpus
            by_occupation = np.array(
                [corpus.physical[corpus.index[o]] if o in corpus.index else 0.0 for o in self.index.occ_ids] + [0.0]
            )
            links = by_occupation[self.index.link_idx]  # -1 (no link) reads the trailing 0.0
            demand = np.where(self.index.link_conf >= PHYSICAL_LINK_MIN, links, 0.0).max(axis=1)
            titled = np.array([physical_title(t) for t in self.log.titles])
            self._demand = np.where(titled, 1.0, demand)
        return self._demand

    def fits(self, q: ColdQuery) -> np.ndarray:
        """Whether each posting fits the person (for lists ranked by the history model)."""
        return shown(self.index, q, static_features(self.index, q))


def has_job_views(settings: Settings) -> bool:
    """Whether the catalogue holds a job-view log (without one there is nothing to train on)."""
    try:
        conn = connect(settings.catalogue_path, readonly=True)
    except FileNotFoundError:
        return False
    try:
        return conn.execute("SELECT 1 FROM job_view LIMIT 1").fetchone() is not None
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def build(settings: Settings, show_progress: bool = False) -> list[Path]:
    """Link every posting to O*NET (loaded when it exists). The served blend needs nothing else; a learned
    ranker (:func:`retrieval.jobs.cold_train.train_serving_ranker`) would be trained here if it measured better."""
    from retrieval.jobs.posting_links import build_links
    from retrieval.jobs.service import get_job_recommender

    rec = get_job_recommender(settings, show_progress=show_progress)
    return [build_links(rec.log, settings, rec.fingerprint, show_progress=show_progress)]
