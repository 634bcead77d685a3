"""O*NET occupations as aligned arrays: texts per field, rating vectors, technology sets, SOC codes.

Everything the occupation ranker needs is read from the catalogue once and held in memory (about
1,000 occupations), so pairwise features are whole-matrix numpy operations.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from retrieval.occupations.outdoor import outdoor_score
from retrieval.occupations.physical import physical_demand
from retrieval.occupations.remote import remote_feasibility
from retrieval.occupations.transitions import leads_others

TEXT_FIELDS = ("title", "alt_titles", "description", "tasks", "full")


#: O*NET's interest dimensions, in the order of :attr:`OccupationCorpus.interests`' columns
RIASEC = ("Realistic", "Investigative", "Artistic", "Social", "Enterprising", "Conventional")


@dataclass
class OccupationCorpus:
    ids: list[str]
    titles: list[str]
    texts: dict[str, list[str]]
    task_lists: list[list[str]]
    skills_im: np.ndarray  # (n, 35) O*NET skill importance 0..1 (0 where unrated)
    skills_lv: np.ndarray
    knowledge_im: np.ndarray  # (n, 33)
    knowledge_lv: np.ndarray
    interests: np.ndarray  # (n, 6) :data:`RIASEC` 1..7
    job_zone: np.ndarray  # (n,) float, nan when unknown
    rated: np.ndarray  # (n,) bool: has skill ratings
    tech: sp.csr_matrix  # (n, n_tech) binary, canonical technology/ESCO skill ids
    tech_hot: sp.csr_matrix
    index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = {oid: i for i, oid in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def physical(self) -> np.ndarray:
        """(n,) 0..1 how physically demanding each occupation is (:mod:`retrieval.occupations.physical`)."""
        return physical_demand(self.task_lists, self.interests, self.ids)

    @cached_property
    def remote(self) -> np.ndarray:
        """(n,) 0..1 how often each occupation's work can be done from home (:mod:`retrieval.occupations.remote`)."""
        return remote_feasibility(self.task_lists, self.interests, self.physical, self.ids)

    @cached_property
    def outdoor(self) -> np.ndarray:
        """(n,) 0..1 how much of each occupation's work is done outdoors (:mod:`retrieval.occupations.outdoor`)."""
        return outdoor_score(self.task_lists, self.ids)

    @cached_property
    def away_from_desk(self) -> np.ndarray:
        """(n,) bool: work done in person, away from a desk and a screen -- not work that can often be done from home
        (:data:`~retrieval.occupations.remote.FEASIBLE`, the share of desk tasks), or work done outdoors, or physically
        demanding work. What a person who "can't sit at a desk all day" or wants "less screen time" is offered
        (:mod:`retrieval.understanding.desk`): medical assistants, teachers, technicians and the trades stay;
        receptionists, office clerks, analysts and developers go."""
        from retrieval.occupations.outdoor import OUTDOOR
        from retrieval.occupations.physical import DEMANDING
        from retrieval.occupations.remote import FEASIBLE

        return (self.remote < FEASIBLE) | (self.outdoor >= OUTDOOR) | (self.physical >= DEMANDING)

    @cached_property
    def leads(self) -> np.ndarray:
        """(n,) bool: the occupation leads people or an operation (:func:`retrieval.occupations.transitions.leads_others`)."""
        return np.array([leads_others(o, t) for o, t in zip(self.ids, self.titles)], dtype=bool)

    @cached_property
    def catch_all(self) -> np.ndarray:
        """(n,) bool: O*NET's residual "All Other" categories ("Computer Occupations, All Other")."""
        return np.array(["all other" in t.lower() for t in self.titles], dtype=bool)

    @cached_property
    def zone_or_family(self) -> np.ndarray:
        """(n,) :attr:`job_zone`, where O*NET gives none (its "All Other" codes) the median zone of the occupations
        of the same SOC minor group ("25-1", postsecondary teachers: 5); nan when the group has none either. Why:
        "Can I become a teacher without a degree?" kept Postsecondary Teachers, All Other on a list that leaves out
        work needing a degree."""
        zones = self.job_zone.copy()
        groups = np.array([c[:4] for c in self.ids])
        for group in np.unique(groups[np.isnan(zones)]):
            members = (groups == group) & ~np.isnan(self.job_zone)
            if members.any():
                zones[(groups == group) & np.isnan(zones)] = float(np.median(self.job_zone[members]))
        return zones

    @cached_property
    def soc(self) -> np.ndarray:
        """(n, 4) SOC prefixes: major '15', minor '15-1', broad '15-12', detailed '15-1252'."""
        return np.array([[c[:2], c[:4], c[:6], c[:7]] for c in self.ids])

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> OccupationCorpus:
        rows = conn.execute(
            "SELECT id, title, description, job_zone FROM occupation WHERE taxonomy='onet' ORDER BY id"
        ).fetchall()
        ids = [r[0] for r in rows]
        index = {oid: i for i, oid in enumerate(ids)}
        n = len(ids)
        alt: dict[str, list[str]] = {oid: [] for oid in ids}
        for oid, title in conn.execute(
            "SELECT occupation_id, title FROM occupation_title WHERE kind IN ('alternate','reported') "
            "AND occupation_id IN (SELECT id FROM occupation WHERE taxonomy='onet')"
        ):
            if len(alt[oid]) < 60:
                alt[oid].append(title)
        tasks: dict[str, list[str]] = {oid: [] for oid in ids}
        for oid, text in conn.execute(
            "SELECT occupation_id, text FROM task ORDER BY occupation_id, task_type, task_id"
        ):
            if oid in tasks:
                tasks[oid].append(text)
        titles = [r[1] for r in rows]
        texts = {
            "title": titles,
            "alt_titles": [f"{t}. " + "; ".join(alt[o]) for o, t in zip(ids, titles)],
            "description": [r[2] for r in rows],
            "tasks": [" ".join(tasks[o]) for o in ids],
        }
        texts["full"] = [f"{t}. {d} {k}" for t, d, k in zip(titles, texts["description"], texts["tasks"])]

        elements = {
            kind: sorted(r[0] for r in conn.execute("SELECT id FROM skill WHERE kind=?", (kind,)))
            for kind in ("onet_skill", "onet_knowledge")
        }
        mats = {}
        for kind, cols in elements.items():
            col = {e: j for j, e in enumerate(cols)}
            im, lv = np.zeros((n, len(cols)), np.float32), np.zeros((n, len(cols)), np.float32)
            for oid, sid, imp, lev in conn.execute(
                "SELECT os.occupation_id, os.skill_id, os.importance, os.level FROM occupation_skill os "
                "JOIN skill s ON s.id = os.skill_id WHERE os.relation='rated' AND s.kind=?",
                (kind,),
            ):
                if oid in index:
                    im[index[oid], col[sid]] = imp or 0.0
                    lv[index[oid], col[sid]] = lev or 0.0
            mats[kind] = (im, lv)
        interests = np.zeros((n, 6), np.float32)
        for oid, element, value in conn.execute("SELECT occupation_id, element, value FROM occupation_interest"):
            if oid in index and element in RIASEC:
                interests[index[oid], RIASEC.index(element)] = value
        tech_rows = conn.execute(
            "SELECT occupation_id, skill_id, hot FROM occupation_skill WHERE relation='technology'"
        ).fetchall()
        vocab = {s: j for j, s in enumerate(sorted({r[1] for r in tech_rows}))}
        r_idx = [index[o] for o, _s, _h in tech_rows if o in index]
        c_idx = [vocab[s] for o, s, _h in tech_rows if o in index]
        hot = [float(h) for o, _s, h in tech_rows if o in index]
        tech = sp.csr_matrix((np.ones(len(r_idx), np.float32), (r_idx, c_idx)), shape=(n, len(vocab)))
        tech_hot = sp.csr_matrix((np.array(hot, np.float32), (r_idx, c_idx)), shape=(n, len(vocab)))
        tech_hot.eliminate_zeros()
        zone = np.array([np.nan if r[3] is None else float(r[3]) for r in rows], np.float32)
        rated = mats["onet_skill"][0].sum(axis=1) > 0
        return cls(
            ids,
            titles,
            texts,
            [tasks[o] for o in ids],
            mats["onet_skill"][0],
            mats["onet_skill"][1],
            mats["onet_knowledge"][0],
            mats["onet_knowledge"][1],
            interests,
            zone,
            rated,
            tech,
            tech_hot,
        )
