"""Cold-start posting ranking: a person with no viewing history, matched through what Waypoint
understood about them -- where they are, the O*NET occupation they hold and the ones they want, the
skills they hold -- and through what other people view.

Why not title words: for "Python developer, Django, SQL, AWS" BM25 over posting titles picked "Front
Desk Coordinator with Innovative Software Developers"; and the job-view log is concentrated on a few
postings, so text alone loses to plain popularity (Recall@20 0.040 against 0.244 in issue 23).
Location, the linked occupation, skills and popularity are combined by :func:`hand_blend`, which the
product serves; a LightGBM LambdaRank model over the same features (:class:`ColdRanker`, trained on
applicants disjoint from the evaluated ones, ``retrieval/jobs/cold_train.py``) is measured beside it by
``waypoint eval jobs --cold-start`` and did not measure better on this log. For a clearly understood
person the blend puts postings of their kind of work first (:func:`understood_targets`,
:meth:`ColdIndex.relevant`, the comment above :data:`RELEVANCE_BONUS`): the log alone would serve the Python
developer its most viewed assistant and security-guard postings.

Everything here is vectorised over the whole posting catalogue (6.5k postings: a few ms per query).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from retrieval.jobs.data import JobLog, View
from retrieval.jobs.levels import (
    RANK,
    PersonLevel,
    fit,
    parse_posting,
    person_level,
    schedule_fits,
    steady_enough,
)
from retrieval.jobs.location import Place, norm_city, norm_state, parse_place
from retrieval.jobs.model import fit_lambdarank, gain_importance, save_booster
from retrieval.occupations.military import civilian_sources

COLD_FEATURES = [
    "pop_log",
    "pop_state_log",
    "pop_city_log",
    "pop_share_state",
    "same_state",
    "same_city",
    "has_place",
    "occ_exact",
    "occ_broad",
    "occ_minor",
    "occ_major",
    "occ_sim",
    "occ_related",
    "occ_conf",
    "goal_exact",
    "goal_prefix",
    "goal_sim",
    "skill_overlap",
    "bm25",
    "dense",
    "post_rank",
    "post_intern",
    "post_part_time",
    "person_years",
    "person_rank",
    "fits",
    "understood",
    "relevant",
]
_C = {name: i for i, name in enumerate(COLD_FEATURES)}
_PERSON_RANK = {"entry": 1, "mid": 2, "senior": 3, "lead": 4}

#: an occupation understood at least this surely says what the person does (lower: candidates, not a fact)
CONFIDENT_OCCUPATION = 0.75
#: ... or at least this surely when no occupation of another SOC minor group comes near (below CLEAR_RIVAL):
#: the linker's confidence for a title named with its tools stays under 0.75 ("Python developer, Django,
#: SQL, AWS": Software Developers 0.69, the next 0.06; "accountant for 10 years": 0.73 against 0.14)
CLEAR_OCCUPATION = 0.6
CLEAR_RIVAL = 0.5
#: a posting's second or third linked occupation counts for relevance only when linked at least this surely
SECOND_LINK_MIN = 0.5
#: ... and its first only when linked at least this surely: a short posting title the linker reads only by
#: meaning is often another kind of work ("Macy's Seasonal Retail Sales Fine Jewelry" is Jewelers at 0.28,
#: "Operations Processor" CNC Tool Programmers at 0.27), and a laid-off CNC operator was shown nine such
#: jewelry-sales postings among "their kind of work"
FIRST_LINK_MIN = 0.3
#: cosine between occupation vectors above which a posting's occupation is "the same kind of work"
RELEVANT_SIM = 0.8
# How relevance enters the blend (see :func:`hand_blend`; measured in eval/reports/jobs_cold_start.md, on the
# log's 811 applicants and the 16 clear personas of eval/data/jobs_personas.jsonl). A bonus or a damping of
# unrelated postings' popularity strong enough to make ~80% of a clear persona's top ten their kind of work
# (bonus 3, or damping 0.75) costs a third of the log's Recall@20 (0.265 -> 0.20 / 0.17): 716 of the 811
# applicants are clearly understood (most name positions of interest) and what they viewed is mostly the
# log's few popular postings outside their own work. Lifting the best 10 relevant postings above the rest
# (then the blend as before) gets 0.83 of the personas' top ten right and leaves Recall@20 as it was
# (0.265): the popular postings they view move from ranks 1-10 to 11-20 -- the cost is in the log's
# top ten (Recall@10 0.252 -> 0.107, NDCG@10 0.209 -> 0.093), which the report shows beside it. With
# unsure posting links left out of "relevant" (FIRST_LINK_MIN) and the relevant postings among the
# candidates: 0.92 of 17 clear personas' top ten (worst 0.7, was 0.2), Recall@20 0.264 -> 0.261.
#: added to the blend of a relevant posting (0: the served blend uses the first-slots lift instead)
RELEVANCE_BONUS = 0.0
#: the share of an unrelated posting's popularity taken away for a clearly understood person (0: as above)
POPULARITY_DAMPING = 0.0
#: how many of the best relevant postings are lifted above every other posting: the first page of ten
RELEVANT_FIRST = 10
#: relevant postings needed before they are put first: one is enough -- the catalogue's only hairdresser posting
#: is what a barber should see first (with 3, "I cut hair" got the log's most viewed assistant jobs and the chat
#: could only say "none in your kind of work"); on the log and the personas 1 and 3 measure the same
MIN_RELEVANT = 1


@dataclass
class ColdQuery:
    """What the cold-start ranking knows about a person (built from the understanding of their text)."""

    text: str = ""
    occupations: list[tuple[str, float]] = field(default_factory=list)  # (O*NET-SOC, confidence), held
    goals: list[tuple[str, float]] = field(default_factory=list)  # (O*NET-SOC, confidence), wanted
    goal_prefixes: list[str] = field(default_factory=list)  # SOC prefixes of goal fields
    skills: set[str] = field(default_factory=set)  # held skill ids
    place: Place = field(default_factory=Place)
    level: PersonLevel = field(default_factory=PersonLevel)
    avoid_physical: bool = False  # the person says their body limits them ("my back is done")
    avoid_standing: bool = False  # ... and the limit is about standing ("I can't stand all day anymore")
    place_wanted: bool = False  # the place is where they ask for work ("looking for jobs in Austin, TX")
    remote: bool = False  # the person wants to work from home ("want something remote")
    leaving: bool = False  # the person wants out of their own kind of work ("I'm a teacher and I hate it")
    better_pay: bool = False  # the person wants better pay ("I want to make more money")
    outdoors: bool = False  # the person wants to work outdoors
    away_from_desk: bool = False  # the person wants work away from a desk and a screen
    goals_listed: bool = False  # the goals are the occupations of their list (a limit or wish), not said by them


#: "jobs in Austin", "work near Chicago", "positions around Denver", "relocating to Seattle": the person asks for work
#: in a place (a capitalised name follows), not just says where they once worked
_PLACE_WANTED = re.compile(
    r"\b(?:(?:jobs?|work|positions?|openings?|roles?|opportunities|something|employment)\s+(?:in|near|around)|"
    r"relocat(?:e|ing)\s+to|moving\s+to|based\s+in)\s+(?:the\s+)?(?=[A-Z])"
)


def query_from_understanding(text: str, understanding, extra_goals: Iterable[tuple[str, float]] = ()) -> ColdQuery:
    """A :class:`ColdQuery` from ``understand(text)`` (``understanding`` may be None: text and place only)."""
    u = understanding
    q = ColdQuery(text=text or "", place=parse_place(text or ""))
    q.place_wanted = bool(_PLACE_WANTED.search(text or ""))
    if u is None or getattr(u, "status", "") in ("empty", "not_english", "nonsense"):
        q.level = person_level(text, None, None)
        return q
    q.occupations = [(o.occupation_id, float(o.confidence)) for o in u.occupations[:8]]
    for g in u.goals:
        q.goals.extend((oid, float(g.confidence)) for oid in g.occupation_ids[:5])
        q.goal_prefixes.extend(p for p in g.soc_prefixes if len(p) < 10)
    q.goals.extend(extra_goals)
    q.skills = {s.skill_id for s in u.skills}
    q.avoid_physical = bool(getattr(u, "physical_limit", False))
    q.avoid_standing = bool(getattr(u, "standing_limit", False))
    q.remote = bool(getattr(u, "remote_wish", False))
    q.leaving = bool(getattr(u, "leaving", False))
    q.better_pay = bool(getattr(u, "pay_wish", False))
    q.outdoors = bool(getattr(u, "outdoor_wish", False))
    q.away_from_desk = bool(getattr(u, "desk_wish", False))
    q.level = person_level(text, u.years_experience, u.seniority)
    return q


# ------------------------------------------------------------------------------------------------ postings
class ColdIndex:
    """The posting side: each posting's linked occupations, place and level, and the O*NET occupation data
    the occupation features compare against (vectors, related occupations, skills)."""

    def __init__(
        self,
        log: JobLog,
        links: dict[str, list[tuple[str, float]]],
        occupation_ids: list[str],
        occupation_vectors: np.ndarray,
        related: dict[str, list[str]] | None = None,
        occupation_skills: dict[str, set[str]] | None = None,
        *,
        content=None,
    ):
        self.log = log
        self.content = content  # JobContent: BM25 over position titles and dense title vectors
        n = len(log)
        self.occ_ids = list(occupation_ids)
        self.occ_index = {o: i for i, o in enumerate(self.occ_ids)}
        self.V = np.asarray(occupation_vectors, dtype=np.float32)
        m = len(self.occ_ids)
        self.link_idx = np.full((n, 3), -1, dtype=np.int64)
        self.link_conf = np.zeros((n, 3), dtype=np.float32)
        for i, j in enumerate(log.job_ids):
            for k, (oid, c) in enumerate((links.get(j) or [])[:3]):
                if oid in self.occ_index:
                    self.link_idx[i, k] = self.occ_index[oid]
                    self.link_conf[i, k] = c
        self.occ_code = np.array([o.replace("-", "").replace(".", "") for o in self.occ_ids])
        # related occupations as a sparse (m, m) 0/1 matrix
        rows, cols = [], []
        for a, rel in (related or {}).items():
            if a in self.occ_index:
                for b in rel:
                    if b in self.occ_index:
                        rows.append(self.occ_index[a])
                        cols.append(self.occ_index[b])
        self.related = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(m, m))
        self.occ_skills = [occupation_skills.get(o, set()) if occupation_skills else set() for o in self.occ_ids]
        self.job_state = np.array([norm_state(s) for s in log.states])
        self.job_city = np.array([f"{norm_city(c)}|{norm_state(s)}" for c, s in zip(log.cities, log.states)])
        levels = [parse_posting(log.positions[i] or log.titles[i]) for i in range(n)]
        self.levels = levels
        self.post_rank = np.array([RANK[lv.seniority] for lv in levels], dtype=np.float32)
        self.post_intern = np.array([lv.seniority == "intern" for lv in levels], dtype=np.float32)
        self.post_part_time = np.array(
            [bool({"part_time", "seasonal", "temporary"} & set(lv.employment)) for lv in levels], dtype=np.float32
        )

    def __len__(self) -> int:
        return len(self.log)

    # -- per occupation scores, then mapped to postings through their links -------------------------
    def _occ_scores(self, occs: list[tuple[str, float]]) -> dict[str, np.ndarray]:
        m = len(self.occ_ids)
        out = {k: np.zeros(m, dtype=np.float32) for k in ("exact", "broad", "minor", "major", "sim", "related")}
        occs = [(o, w) for o, w in occs if o in self.occ_index]
        if not occs:
            return out
        qv = np.zeros(self.V.shape[1], dtype=np.float32)
        for o, w in occs:
            i = self.occ_index[o]
            code = self.occ_code[i]
            out["exact"][i] = max(out["exact"][i], w)
            for key, width in (("broad", 5), ("minor", 3), ("major", 2)):
                hit = np.char.startswith(self.occ_code, code[:width])
                out[key] = np.maximum(out[key], np.where(hit, w, 0.0).astype(np.float32))
            row = self.related.getrow(i)
            out["related"][row.indices] = np.maximum(out["related"][row.indices], w)
            qv += w * self.V[i]
        norm = float(np.linalg.norm(qv))
        if norm > 0:
            out["sim"] = (self.V @ (qv / norm)).astype(np.float32)
        return out

    def _to_jobs(self, per_occ: np.ndarray) -> np.ndarray:
        """Confidence-weighted best over a posting's (up to three) linked occupations."""
        vals = np.where(self.link_idx >= 0, per_occ[np.maximum(self.link_idx, 0)], 0.0) * self.link_conf
        return vals.max(axis=1)

    def relevant(self, targets: list[str], prefixes: Sequence[str] = (), groups: bool = True) -> np.ndarray:
        """0/1 per posting: its linked occupation is the same kind of work as one of ``targets`` (O*NET
        codes: the person's confident occupations and goal occupations) -- same SOC minor group (15-1xxx
        computer occupations, 13-2xxx financial specialists), or a vector cosine of at least
        :data:`RELEVANT_SIM` -- or lies under one of the goal's SOC ``prefixes``. The posting's top link
        counts when linked at least :data:`FIRST_LINK_MIN` surely, its other links at :data:`SECOND_LINK_MIN`.
        ``groups`` False: the targets themselves and those near them by meaning, not their whole minor groups (the
        occupations of a list chosen for a limit or a wish: a teller who wants better pay got receptionist postings
        as work on their list, through New Accounts Clerks' group of information and record clerks)."""
        per_occ = np.zeros(len(self.occ_ids), dtype=bool)
        rows = [self.occ_index[o] for o in targets if o in self.occ_index]
        for i in rows:
            per_occ |= (
                np.char.startswith(self.occ_code, self.occ_code[i][:3]) if groups else self.occ_code == self.occ_code[i]
            )
        if rows:
            per_occ |= (self.V @ self.V[rows].T).max(axis=1) >= RELEVANT_SIM
        for p in prefixes:
            per_occ |= np.char.startswith(np.array(self.occ_ids), p)
        linked = self.link_idx >= 0
        floors = np.array([FIRST_LINK_MIN, SECOND_LINK_MIN, SECOND_LINK_MIN], dtype=np.float32)
        usable = linked & (self.link_conf >= floors)
        return np.asarray((usable & per_occ[np.maximum(self.link_idx, 0)]).any(axis=1), dtype=np.float32)


# ------------------------------------------------------------------------------------------------ popularity
@dataclass
class Popularity:
    """How many distinct people viewed each posting: overall, and among people of each state and city."""

    users: np.ndarray
    by_state: dict[str, np.ndarray]
    by_city: dict[str, np.ndarray]
    state_total: dict[str, float]


def popularity(
    log: JobLog, views: Iterable[View], places: dict[str, Place], exclude: set[str] | frozenset = frozenset()
) -> Popularity:
    """Distinct viewers per posting from ``views``, leaving out the applicants in ``exclude`` (the evaluated
    ones: their own views must not tell the ranking what they viewed). ``places``: where each viewer is."""
    n = len(log)
    seen: set[tuple[str, int]] = set()
    users = np.zeros(n, dtype=np.float32)
    by_state: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(n, dtype=np.float32))
    by_city: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(n, dtype=np.float32))
    for v in views:
        if v.applicant_id in exclude:
            continue
        j = log.job_index.get(v.job_id)
        if j is None or (v.applicant_id, j) in seen:
            continue
        seen.add((v.applicant_id, j))
        users[j] += 1
        place = places.get(v.applicant_id)
        if place is not None:
            for s in place.states[:2]:
                by_state[s][j] += 1
            for c, s in place.cities[:2]:
                by_city[f"{c}|{s}"][j] += 1
    return Popularity(users, dict(by_state), dict(by_city), {s: float(a.sum()) for s, a in by_state.items()})


# ------------------------------------------------------------------------------------------------ features
def static_features(index: ColdIndex, q: ColdQuery, encode=None) -> np.ndarray:
    """The features that do not depend on the views: place, occupation, skills, text, level.
    ``encode``: text -> unit vector (the dense model), None to leave ``dense`` at 0."""
    n = len(index)
    F = np.zeros((n, len(COLD_FEATURES)), dtype=np.float32)
    states = q.place.states
    if states:
        F[:, _C["has_place"]] = 1.0
        F[:, _C["same_state"]] = np.isin(index.job_state, states[:2])
        F[:, _C["same_city"]] = np.isin(index.job_city, [f"{c}|{s}" for c, s in q.place.cities[:3]])
    # a veteran's military occupation counts as the civilian work it carries over to (no posting is military)
    held = index._occ_scores(civilian_sources(q.occupations))
    for key in ("exact", "broad", "minor", "major", "sim", "related"):
        F[:, _C[f"occ_{key}"]] = index._to_jobs(held[key])
    F[:, _C["occ_conf"]] = index.link_conf[:, 0]
    if q.goals or q.goal_prefixes:
        wanted = index._occ_scores(q.goals)
        F[:, _C["goal_exact"]] = index._to_jobs(np.maximum(wanted["exact"], wanted["broad"] * 0.5))
        F[:, _C["goal_sim"]] = index._to_jobs(wanted["sim"])
        if q.goal_prefixes:
            hit = np.zeros(len(index.occ_ids), dtype=np.float32)
            for p in q.goal_prefixes:
                hit = np.maximum(hit, np.char.startswith(np.array(index.occ_ids), p).astype(np.float32))
            F[:, _C["goal_prefix"]] = index._to_jobs(hit)
    if q.skills:
        per_occ = np.array(
            [len(q.skills & s) / len(q.skills) if s else 0.0 for s in index.occ_skills], dtype=np.float32
        )
        F[:, _C["skill_overlap"]] = index._to_jobs(per_occ)
    text = q.text.strip()
    if text and index.content is not None:
        F[:, _C["bm25"]] = index.content.bm25_pos.score_all(text[:3000])
        if encode is not None and index.content.emb is not None:
            F[:, _C["dense"]] = index.content.emb @ encode(text[:2000])
    F[:, _C["post_rank"]] = index.post_rank
    F[:, _C["post_intern"]] = index.post_intern
    F[:, _C["post_part_time"]] = index.post_part_time
    F[:, _C["person_years"]] = np.nan if q.level.years is None else q.level.years
    F[:, _C["person_rank"]] = _PERSON_RANK.get(q.level.seniority or "", 0)
    F[:, _C["fits"]] = [fit(lv, q.level)[0] for lv in index.levels] if _has_level(q.level) else 1.0
    targets = understood_targets(q)
    if targets is not None:
        F[:, _C["understood"]] = 1.0
        F[:, _C["relevant"]] = index.relevant(*targets, groups=not q.goals_listed)
    return F


def understood_targets(q: ColdQuery) -> tuple[list[str], list[str]] | None:
    """What a clearly understood person does or wants: (O*NET codes, goal SOC prefixes); None when the
    understanding is vague (no occupation linked at least :data:`CONFIDENT_OCCUPATION` surely, or
    :data:`CLEAR_OCCUPATION` without a rival of another kind of work, and no goal), where the ranking stays
    popularity-led as before. A goal is where the person wants to go, so with one the goal alone decides
    what is relevant: a teacher who wants to become a software developer asked for software postings, and
    teaching postings (more viewed) would otherwise fill the top."""
    occupations = civilian_sources(q.occupations)
    held = [o for o, c in occupations if c >= CONFIDENT_OCCUPATION]
    if not held and occupations:
        top, c = max(occupations, key=lambda x: x[1])
        # a rival is another kind of work (another SOC major group): "laid off from a factory job after 25 years
        # running a CNC machine" links CNC tool operators 0.70 and team assemblers 0.55 (factory job), both
        # production work, and read as vague its postings were the most viewed ones, administrative assistants
        rival = max((c2 for o, c2 in occupations if o[:2] != top[:2]), default=0.0)
        # the kind of work can be clear when the occupation is not: "I cut hair" is Barbers 0.34, Hairdressers
        # 0.26, Shampooers 0.18 -- all SOC 39-5, nothing else near
        kind = sum(c2 for o, c2 in occupations if o[:4] == top[:4])
        if max(c, kind) >= CLEAR_OCCUPATION and rival < CLEAR_RIVAL:
            held = [top]
    wanted = [o for o, _c in q.goals]
    if not held and not wanted and not q.goal_prefixes:
        return None
    return (wanted if wanted or q.goal_prefixes else held), list(q.goal_prefixes)


def _has_level(level: PersonLevel) -> bool:
    return level.years is not None or level.seniority is not None


def shown(index: ColdIndex, q: ColdQuery, F: np.ndarray) -> np.ndarray:
    """Which postings may be shown to the person: those that fit their experience (the ``fits`` feature,
    :func:`retrieval.jobs.levels.fit`) and, for a person who asks for steady work, are not part time, seasonal
    or temporary (:func:`retrieval.jobs.levels.steady_enough`) -- nor for one who wants better pay: a warehouse
    worker who wants to make more money was shown part-time warehouse postings -- and, for one who wants day or
    weekday work, do not say they are night or weekend shifts (:func:`retrieval.jobs.levels.schedule_fits`). One mask for serving and for the
    evaluation."""
    mask = F[:, _C["fits"]] > 0
    if q.level.wants_steady or q.better_pay:
        person = q.level if q.level.wants_steady else q.level.model_copy(update={"wants_steady": True})
        mask &= np.array([steady_enough(lv, person) for lv in index.levels], dtype=bool)
    if q.level.wants_days or q.level.wants_weekdays:  # "I hate night shifts", "a job with weekends off"
        mask &= np.array([schedule_fits(lv, q.level) for lv in index.levels], dtype=bool)
    return mask


def with_popularity(F: np.ndarray, q: ColdQuery, pop: Popularity) -> np.ndarray:
    """``F`` (from :func:`static_features`) with the popularity features of ``pop`` filled in (a copy)."""
    F = F.copy()
    F[:, _C["pop_log"]] = np.log1p(pop.users)
    states = q.place.states[:2]
    if states:
        ps = sum((pop.by_state.get(s, 0.0) for s in states), np.zeros(len(pop.users), dtype=np.float32))
        F[:, _C["pop_state_log"]] = np.log1p(ps)
        total = sum(pop.state_total.get(s, 0.0) for s in states)
        F[:, _C["pop_share_state"]] = ps / total if total else 0.0
        pc = sum(
            (pop.by_city.get(f"{c}|{s}", 0.0) for c, s in q.place.cities[:3]),
            np.zeros(len(pop.users), dtype=np.float32),
        )
        F[:, _C["pop_city_log"]] = np.log1p(pc)
    return F


def candidates(F: np.ndarray, available: np.ndarray, sizes: dict[str, int] | None = None) -> np.ndarray:
    """The union of the top of each signal, among ``available`` postings (indices, sorted)."""
    sizes = sizes or {
        "pop_log": 150,
        "pop_state_log": 100,
        "pop_city_log": 50,
        "occ_exact": 60,
        "occ_sim": 60,
        "goal_exact": 40,
        "goal_sim": 40,
        "bm25": 60,
        "dense": 60,
        # the person's kind of work (0 for a vague reading): without it the relevant-first lift saw only the
        # few relevant postings another signal had picked (a CNC operator's list had 4, then the most viewed
        # assistant and guard postings, while quality inspectors and machinists were left out)
        "relevant": 60,
    }
    picks = []
    tie = 1e-3 * F[:, _C["pop_log"]]
    for name, k in sizes.items():
        col = F[:, _C[name]]
        if not np.any(col):
            continue
        s = np.where(available, col + tie, -np.inf)
        k = min(k, int(available.sum()))
        if k > 0:
            picks.append(np.argpartition(-s, k - 1)[:k])
    if not picks:
        return np.flatnonzero(available)
    out = np.unique(np.concatenate(picks))
    return out[available[out]]


def hand_blend(
    F: np.ndarray,
    relevance_bonus: float | None = None,
    damping: float | None = None,
    min_relevant: int | None = None,
    quota: int | None = None,
) -> np.ndarray:
    """The hand-weighted combination the product serves, over the rows of ``F`` (one person's candidates).

    For a clearly understood person (:func:`understood_targets`) the popularity terms count mainly WITHIN
    the postings of their kind of work (``relevant``): an unrelated posting keeps only ``1 - damping`` of
    its popularity, a relevant one gets ``relevance_bonus`` on top, and the first ``quota`` places go to
    relevant postings -- when at least ``min_relevant`` relevant postings are among the candidates. Why: the log rewards popularity (its most viewed Quest LLC assistant
    and Securitas guard postings are viewed by people of every occupation), so "Python developer" got 3
    software postings in ten. ``quota``: the best ``quota`` relevant postings that fit the person (by this
    same blend: popularity orders them) are lifted above all others -- relevant first, then the list as
    before. The defaults are the measured trade-off (the comment above :data:`RELEVANCE_BONUS`); a vague
    understanding, or all of ``relevance_bonus``, ``damping`` and ``quota`` 0, gives the blend as before."""
    bonus = RELEVANCE_BONUS if relevance_bonus is None else relevance_bonus
    damp = POPULARITY_DAMPING if damping is None else damping
    need = MIN_RELEVANT if min_relevant is None else min_relevant
    slots = RELEVANT_FIRST if quota is None else quota
    pop = F[:, _C["pop_log"]] + 1.0 * F[:, _C["pop_state_log"]] + 0.7 * F[:, _C["pop_city_log"]]
    rest = (
        0.8 * F[:, _C["same_state"]]
        + 0.6 * F[:, _C["same_city"]]
        + 1.5 * F[:, _C["occ_exact"]]
        + 0.5 * F[:, _C["occ_broad"]]
        + 1.0 * F[:, _C["occ_sim"]]
        + 1.0 * F[:, _C["goal_exact"]]
        + 0.5 * F[:, _C["goal_sim"]]
        + 0.5 * F[:, _C["skill_overlap"]]
        + 0.05 * F[:, _C["bm25"]]
        + 0.5 * F[:, _C["dense"]]
        - 2.0 * (1.0 - F[:, _C["fits"]])
    )
    if (bonus or damp or slots) and len(F) and F[0, _C["understood"]] > 0:
        rel = F[:, _C["relevant"]]
        # relevant postings anywhere count: a nurse moving into health administration who asks for jobs near
        # Chicago, where few such postings are, is better served by them (the local ones first: the place
        # terms below still order them) than by Chicago's dishwasher and receptionist postings
        if rel.sum() >= need:
            s = pop * (1.0 - damp * (1.0 - rel)) + rest + bonus * rel
            if slots:
                idx = np.flatnonzero((rel > 0) & (F[:, _C["fits"]] > 0))
                top = idx[np.argsort(-s[idx], kind="stable")[:slots]]
                if top.size:
                    s[top] += s.max() - s[top].min() + 1.0
            return s
    return pop + rest


# ------------------------------------------------------------------------------------------------ ranker
@dataclass
class ColdRankerConfig:
    n_estimators: int = 250
    learning_rate: float = 0.05
    num_leaves: int = 15
    min_child_samples: int = 40
    seed: int = 0


class ColdRanker:
    """LightGBM LambdaRank over :data:`COLD_FEATURES` (one thread at query time)."""

    def __init__(self, config: ColdRankerConfig | None = None):
        self.config = config or ColdRankerConfig()
        self.booster: Any = None  # a lightgbm.Booster once fitted or loaded

    def fit(self, groups: list[tuple[np.ndarray, np.ndarray]]) -> ColdRanker:
        self.booster = fit_lambdarank(groups, self.config, COLD_FEATURES, truncation=40).booster_
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.booster.predict(X.astype(np.float32), num_threads=1)

    def importance(self) -> dict[str, float]:
        return gain_importance(self.booster, COLD_FEATURES)

    def save(self, path: Path) -> None:
        save_booster(self.booster, path)

    @classmethod
    def load(cls, path: Path) -> ColdRanker:
        import lightgbm as lgb

        r = cls()
        r.booster = lgb.Booster(model_file=str(path))
        return r


def rank(
    F: np.ndarray,
    available: np.ndarray,
    ranker: ColdRanker | None,
    k: int,
    job_ids: list[str],
    exclude: set[str] | None = None,
    blend: dict[str, Any] | None = None,
) -> list[tuple[int, float]]:
    """Top-``k`` ``(posting index, score)``: the ranker over the candidates (hand blend without one;
    ``blend``: :func:`hand_blend`'s keyword arguments, empty for the served ones)."""
    cands = candidates(F, available)
    if exclude:
        cands = np.array([c for c in cands if job_ids[c] not in exclude], dtype=np.int64)
    if cands.size == 0:
        return []
    s = ranker.predict(F[cands]) if ranker is not None else hand_blend(F[cands], **(blend or {}))
    order = sorted(range(len(cands)), key=lambda i: (-round(float(s[i]), 9), job_ids[cands[i]]))[:k]
    return [(int(cands[i]), float(s[i])) for i in order]
