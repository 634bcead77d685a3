"""Occupation recommendations that use what Waypoint understood about the person.

* A free-text profile whose occupation is linked with confidence is ranked exactly like a query
  with that occupation's O*NET code (the ranker that wins the benchmarks); where the link is
  uncertain, the lists of the candidate occupations are blended by confidence with the text match.
* A goal (``Profile.goal``, or one stated in the text) that names a field or an occupation turns the
  list into a transition list: the occupations inside the target, ranked by reachability
  (:mod:`retrieval.occupations.transitions`), then the ordinary list. The person's own occupation is
  left out unless it is the goal. A skill to learn ("learn Python") leaves the occupation list as it
  is: it steers the courses and skills.
* A physical limit stated in the text ("my back is done", "looking for a desk job") leaves physically
  demanding occupations (:mod:`retrieval.occupations.physical`) out of the list, goal or not, except the
  occupation the person asked for by name. When their own work is beyond the limit by their account (fairly
  physical by its score, or the limit is about standing, which the score cannot see), their own kind of work
  (SOC minor group) goes too, and without a goal the lighter occupations most like theirs by meaning join the
  candidates (a bricklayer's ordinary list is nearly all trades). An accountant with a bad back keeps a list
  of desk work like theirs.
* A person who rules out going back to school ("without going back to school for years", "no degree") is
  shown work within the preparation they have: occupations whose O*NET job zone is above their own
  occupation's, and above :data:`SCHOOLING_FLOOR` (vocational training, not a degree) in any case, are left
  out, except the one they asked for by name.
* A person who wants out of their own kind of work ("I'm a high school English teacher and I hate it. What else
  can I do?", "burned out, need to get out of nursing") is not offered it again: the SOC minor group of their
  occupation and the occupations whose title names the same work ("Teachers") leave the list.
* A person who wants to work from home ("want something remote", "a work-from-home job") is shown work that can
  often be done from home (:mod:`retrieval.occupations.remote`), except the occupation they asked for by name.
* A person whose occupation is military (SOC major group 55: "8 years Army infantry, getting out next year") is
  shown civilian work: the occupations nearest a military one are other military occupations (Infantry
  Officers, Special Forces, ...), which are not a move anyone makes through a career service -- unless the goal
  names one.
* Text that says nothing Waypoint can use (empty, not English, nonsense, no occupation and no skill)
  is refused with a message for the person, never answered with a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import numpy as np

from retrieval.occupations.corpus import RIASEC
from retrieval.occupations.military import civilian_sources, is_military
from retrieval.occupations.outdoor import OUTDOOR
from retrieval.occupations.physical import DEMANDING
from retrieval.occupations.remote import FEASIBLE as REMOTE_FEASIBLE
from retrieval.occupations.service import OccupationRecommender, ScoredOccupation, get_occupation_recommender
from retrieval.occupations.transitions import in_prefixes, reachability
from retrieval.profile import Profile, ProfileError
from retrieval.settings import Settings, get_settings
from retrieval.skills.graph import RATED_MIN_IMPORTANCE
from retrieval.understanding import cues
from retrieval.understanding.leaving import OwnWork, left_fields, worn_out
from retrieval.understanding.linker import CONFIDENT, Linker
from retrieval.understanding.schema import Goal, Understanding
from retrieval.understanding.service import get_linker
from retrieval.understanding.strengths import strengths

TEXT_WEIGHT = 0.5  # the text match's weight in a blend with uncertain occupation links
WORK_TEXT_WEIGHT = 0.2  # ... when the links come from sentences of work
SOURCE_MIN = 0.3  # occupation candidates below this confidence are not the person's
WORK_SOURCE_MIN, WORK_SOURCE_SHARE = 0.15, 0.7  # ... but from a sentence of work, those near the first are
GOAL_CENTRALITY = {"field": 1.5, "occupation": 1.0}
SOMEWHAT_PHYSICAL = 0.3  # with a physical limit, occupations from here to DEMANDING move down the list ...
SOMEWHAT_PHYSICAL_SHIFT = 15  # ... by up to this many places
#: with a wish to work outdoors, the outdoor work most like what a person enjoys weighs this much against their list
INTEREST_ALIKE = 2.0
LIGHTER_ALIKE = 150  # with a physical limit, the occupations this near the person's by meaning are candidates
# No going back to school: the line is a degree. Job zone 3 (vocational training, an apprenticeship, on-the-job
# experience; at most an associate's) is within anyone's reach; zones 4 and 5 (a bachelor's, graduate school)
# only up to the person's own occupation's zone: a lawyer who will not study again keeps lawyers' work.
SCHOOLING_FLOOR = 3
#: O*NET's job zone of work that takes a graduate degree: after the rest in the list of what a degree leads to
GRADUATE_ZONE = 5
# Wanting out of their own work: an occupation described this much like theirs is the same work (a high school
# teacher's: ESL instructors 0.83, teaching assistants 0.80; kept: tutors 0.71, instructional coordinators 0.59; a
# nurse's: LPNs 0.84, nursing assistants 0.80, nurse practitioners 0.75; kept: health services managers 0.71)
SAME_WORK = 0.75
#: places work as physically demanding as theirs moves down for a person worn out by their own
WORN_OUT_SHIFT = 20
#: places work two or more job zones below theirs moves down for a person who wants out of their own work
#: (PersonalRanking.not_far_below)
LEAVING_DROP_SHIFT = 15
#: With a wish for better pay ("I want to make more money"): places work needing less preparation than the
#: person's own (a lower O*NET job zone) moves down, and work needing the same (which pays about what theirs does)
#: or two zones more (a degree or more away: emergency physicians for a home health aide). On eval/data/pay_wishes.jsonl
#: (waypoint eval pay) the share of the top 5 in a higher zone against the mean place the top 5 held in the list
#: without the wish (what the wish costs in fit), from 0.34 at place 2.0: 6/20 places 0.48 at 3.1, 10/20 0.56 at 3.8,
#: 15/30 0.65 at 4.7, 25/40 0.77 at 7.5 (library technicians for a shelf stocker).
PAY_SHIFT_BELOW = 30
#: With a strength said ("good with numbers"): the list's first places fused with them ordered by it
#: (PersonalRanking.toward_strengths). On eval/data/strengths.jsonl (waypoint eval strengths), the adviser's picks in the
#: top 5 (of 5) and the strength's mean importance there, from 0.58 and 0.53 unsaid: pool 15-20 1.08 / 0.62-0.63, 30
#: 1.33 / 0.64, 50 1.50 / 0.67, 80 1.33 / 0.69; at 50, weight 0.5 1.00 / 0.59, 1.5 1.50 / 0.73 (more of the list
#: decided by the strength alone).
STRENGTH_POOL = 50
STRENGTH_WEIGHT = 1.0
PAY_SHIFT_SAME = 15
#: ... and, for work needing little preparation (O*NET job zone 1-2, whose ordinary list is nearly all of its own zone:
#: a line cook's was cooks of every kind), the work one zone up most like theirs by meaning weighs this much against
#: their list, and leading others at their zone counts as a step up (PersonalRanking.toward_better_pay). waypoint eval
#: pay (22 wishes): share of the top 5 in a higher zone 0.636 -> 0.782, a step up (or leading others) 0.891, mean place
#: in the list without the wish 4.6 -> 10.5 (with weight 1 and no zone bound: 1.000 at 22.4, a janitor filled with
#: environmental engineers); on the 23 of session 24's set 0.783, 0.896 and 11.5
PAY_ALIKE = 0.5
PAY_FILL_ZONE_MAX = 2
# With a limit about standing ("I can't stand all day anymore"): the SOC groups whose work is done on one's feet
# nearly all day (BLS Occupational Requirements Survey: food preparation and serving, building cleaning, retail
# sales, personal appearance, hand material moving), which the demand score cannot see -- a line cook whose
# knees are shot was offered waiters and hosts
STANDING_GROUPS = ("35-", "37-", "41-2", "39-5", "53-7")


def recommend_occupations(
    profiles: list[Profile],
    k: int = 20,
    settings: Settings | None = None,
) -> list[list[ScoredOccupation]]:
    """One list per profile. Profiles that need no understanding (a code or title, skills only) are
    ranked together in one batch, as before."""
    settings = settings or get_settings()
    recommender = get_occupation_recommender(settings)
    plain = [
        i
        for i, p in enumerate(profiles)
        if not (
            p.text
            or p.goal
            or p.avoid_physical
            or p.avoid_schooling
            or p.remote
            or p.leave_own_work
            or p.better_pay
            or p.outdoors
            or p.away_from_desk
        )
    ]
    out: list[list[ScoredOccupation] | None] = [None] * len(profiles)
    if plain:
        for i, items in zip(plain, recommender.recommend_many([profiles[i] for i in plain], k=k)):
            out[i] = items
    linker: Linker | None = None  # loaded for the first profile that needs understanding
    for i, profile in enumerate(profiles):
        if out[i] is None:
            if linker is None:
                linker = get_linker(settings)
            try:
                out[i] = PersonalRanking(recommender, linker).recommend(profile, k)
            except ProfileError as exc:
                if len(profiles) == 1:
                    raise
                # in a batch, say which profile: the person's message alone does not name it
                raise ProfileError(f"profile {profile.id or i + 1}: {exc}") from None
    return [items or [] for items in out]


def resolve_goal(linker: Linker, text: str) -> Goal:
    """``Profile.goal`` → a :class:`Goal`; an unknown target is a clear error, never a silent guess."""
    goal = linker.resolve_goal(text)
    if goal is None:
        raise ProfileError(
            f"I couldn't find a field, occupation or skill called {text!r}; try a job title "
            "(“data analyst”) or a field (“finance”, “healthcare”)."
        )
    return goal


def moved_down(items: list[ScoredOccupation], places: Callable[[ScoredOccupation], float]) -> list[ScoredOccupation]:
    """``items`` with each moved ``places(item)`` places down the list (ties keep their order): a soft limit that
    keeps the work on the list, lower."""
    ranked = sorted(enumerate(items), key=lambda ri: ri[0] + places(ri[1]))
    return [item for _rank, item in ranked]


LEANING_HIGH = 5.0  # an interest this high (of 7) is what the work is; work below it moves down ...
LEANING_SHIFT = 20  # ... by up to this many places (two points below it)
#: the most preparation (O*NET job zone) a first job takes, for a person who has not worked yet: a few months of
#: training on the job, a high school diploma at most
FIRST_WORK_ZONE = 2
#: ESCO skill groups whose skills no O*NET occupation lists by name, and the O*NET element that rates the same
#: knowledge: "I want to learn Spanish" (an ESCO language) listed baristas and computer programmers by the look of
#: their titles; O*NET rates Foreign Language knowledge for interpreters, customs officers, flight attendants, ...
ELEMENT_FOR_GROUP = {"languages": "onet:2.C.7.b"}
#: how much of the element an occupation must need to be listed for it: what counts as a requirement (IM 3 of 5).
#: Below it (0.40-0.49) come security guards and parking enforcement workers, whose postings then filled the list
ELEMENT_MIN = RATED_MIN_IMPORTANCE


def element_ratings(skills, skill_ids: list[str], occupations: Collection[str], depth: int = 3) -> dict[str, float]:
    """Occupation -> importance of the O*NET element standing for ``skill_ids`` (:data:`ELEMENT_FOR_GROUP`, found
    among their broader skills up to ``depth`` levels), for the ``occupations`` rating it at least
    :data:`ELEMENT_MIN`; empty when no skill belongs to such a group."""
    seen, level, labels = set(skill_ids), list(skill_ids), set()
    for _ in range(depth + 1):
        labels |= {skills.label(s).lower() for s in level}
        level = [b for s in level for b in skills.broader(s) if b not in seen]
        seen.update(level)
    elements = {ELEMENT_FOR_GROUP[label] for label in labels if label in ELEMENT_FOR_GROUP}
    graph = skills.graph
    out: dict[str, float] = {}
    for element in (e for e in elements if e in graph):
        for oid, _e, data in graph.in_edges(element, data=True):
            weight = float(data.get("importance") or 0.0)
            if oid in occupations and weight >= ELEMENT_MIN:
                out[oid] = max(out.get(oid, 0.0), weight)
    return out


class PersonalRanking:
    """The list for one person: their occupation(s), text, skills and goal together."""

    def __init__(self, recommender: OccupationRecommender, linker: Linker):
        self.rec = recommender
        self.linker = linker

    def sources(self, profile: Profile, understanding: Understanding | None) -> list[tuple[str, float]]:
        """The person's occupations with confidences: a named occupation is certain."""
        if profile.occupation:
            resolution = self.rec.resolve(profile)
            return [(resolution.occupation_id, 1.0)] if resolution else []
        if understanding is None:
            return []
        floor = SOURCE_MIN
        if understanding.work and understanding.occupations and understanding.occupations[0].confidence < CONFIDENT:
            # "I cut hair": Barbers 0.34, Hairdressers 0.26 -- a sentence of work read by meaning names its kind
            # of work through several close occupations; with only the first, the text's own words ("cut")
            # pulled in hand cutters, sewers and tree trimmers
            floor = min(SOURCE_MIN, max(WORK_SOURCE_MIN, WORK_SOURCE_SHARE * understanding.occupations[0].confidence))
        return [(o.occupation_id, o.confidence) for o in understanding.occupations if o.confidence >= floor]

    def recommend(self, profile: Profile, k: int) -> list[ScoredOccupation]:
        understanding = self.linker.understand(profile.text) if profile.text else None
        if understanding is not None and not profile.occupation and not profile.skills:
            if understanding.status in ("empty", "not_english", "nonsense") or (
                not understanding.occupations
                and not understanding.skills
                and not understanding.goals
                and understanding.first_work is None
            ):
                raise ProfileError(understanding.message or "I could not tell what you do — tell me your job title.")
        read = understanding.goals if understanding is not None else []
        # the goal as the text reads it, when the profile's goal is those words (the chat sets it so): what a person
        # enjoys resolves only there ("fixing cars and working with my hands" names no field or title on its own)
        goal = (
            next((g for g in read if g.text == profile.goal), None) or resolve_goal(self.linker, profile.goal)
            if profile.goal
            else (read[0] if read else None)
        )
        sources = self.sources(profile, understanding)
        # a veteran's military occupation is read as the civilian work it carries over to (O*NET rates no military
        # occupation and relates none to anything): "infantryman" ranks from police, security and corrections
        work = civilian_sources(sources)
        military = work is not sources
        base = self.from_civilian_work(work) if military else self._base_list(profile, understanding, sources)
        exclude = set(profile.exclude) | {oid for oid, conf in sources if conf >= 0.5}
        if goal is not None and goal.kind != "skill":
            # a skill to learn ("learn Python") steers courses and skills, not the occupation list
            exclude -= set(goal.occupation_ids)  # "I'm a nurse and want to stay a nurse": asked for
            base = self._transition_list(profile, goal, work, base)
        elif goal is not None and not sources:
            # "I want to learn Python" with no work named: the work built on it (by the words left, "I want to learn",
            # the list was tutors and adult education teachers)
            base = self.built_on_skill(goal) or base
        elif goal is None and not sources and understanding and understanding.first_work:
            # "I just finished high school and have no experience": asked for a job title before; the work that takes
            # little preparation and that most postings are for (in the order their skills give, when they name any)
            base = self.first_jobs(base if profile.skills else [])
        asked = set(goal.occupation_ids) if goal is not None else set()  # by name: kept whatever the limits
        if sources and is_military(sources[0][0]):
            base = [i for i in base if not is_military(i.id) or i.id in asked]
        if profile.physical_limit(understanding is not None and understanding.physical_limit):
            # "my back is done": physically demanding work is left out, unless it is what they asked for
            standing = understanding is not None and understanding.standing_limit
            own = self._beyond_their_limit(work, standing) - asked
            base = self.within_physical_limit(base, keep=asked, own=own, standing=standing)
            if own and (goal is None or goal.kind == "skill"):
                # their ordinary list is their own kind of work, mostly gone now: add lighter work like theirs
                base = self._with_lighter_work_alike(base, work, own, standing)
        if profile.schooling_limit(understanding is not None and understanding.training_limit):
            # "without going back to school": within the preparation they have, unless asked for by name
            base = self.within_schooling(base, self.schooling_ceiling(work), keep=asked)
        if profile.leaving(understanding is not None and understanding.leaving):
            # "I'm a teacher and I hate it. What else can I do?", "sick of retail": not that work again
            named = left_fields(profile.text or "")
            left = [self.linker.resolve_goal(f) for f in named]
            fields = [p for g in left if g is not None and g.kind != "skill" for p in g.soc_prefixes + g.occupation_ids]
            base = self.away_from_own_work(base, sources, keep=asked, fields=fields)
            # what is left of the list is often the assistants to their work: a pharmacist who hates retail pharmacy
            # was listed medical assistants and LPNs first
            base = self.not_far_below(base, work, keep=asked)
            # "I want to leave the bedside", "what can a nurse do besides bedside care?": the front line is what they
            # leave, as for one worn out by it (paramedics and EMTs came first)
            if worn_out(profile.text or "") or any(f.lower().startswith("bedside") for f in named):
                base = self.off_the_front_line(base, sources, keep=asked)
        if understanding is not None and understanding.leaning and (goal is None or goal.kind == "skill"):
            # "I like working with my hands": the work that is most that kind of work (O*NET interests) comes up
            base = self.toward_leaning(base, understanding.leaning, keep=asked)
        said = self._strengths(profile, understanding)
        if said:
            # "I'm really good with numbers": work that rates it higher comes up
            base = self.toward_strengths(base, said)
        if profile.wants_better_pay(understanding is not None and understanding.pay_wish):
            # "I want to make more money": not their own occupation again, and not work that needs less than theirs;
            # with no goal, filled from the work one zone up most like theirs (a line cook's ordinary list holds one
            # such occupation, chefs, and was otherwise cooks of every kind)
            if goal is None or goal.kind == "skill":
                base = self._with_work_alike(base, sources, lambda items: self.one_zone_up(items, work), PAY_ALIKE)
            base = self.toward_better_pay(base, sources, keep=asked)
        if profile.wants_outdoors(understanding is not None and understanding.outdoor_wish):
            # "I want to work outdoors": work done outdoors, unless asked for by name; with no goal, filled from the
            # outdoor work most like theirs (a cashier's ordinary list holds four outdoor occupations)
            base = self.within_outdoors(base, keep=asked)
            if goal is None or goal.kind == "skill":
                base = self._with_work_alike(base, sources, lambda items: self.within_outdoors(items))
            elif goal.interest:
                # "I love animals and being outdoors": what they enjoy names indoor work (animal caretakers, vets), all
                # left out; the outdoor work most like it comes first (fish and game wardens, wildlife biologists),
                # not what else the list held (sailors, range managers)
                liked = self.linker.embed(cues.specific_interest(goal.text))
                base = self._with_alike(
                    base, liked, lambda items: self._first_steps(self.within_outdoors(items), sources), INTEREST_ALIKE
                )
        if profile.wants_away_from_desk(understanding is not None and understanding.desk_wish):
            # "I can't sit at a desk all day", "less screen time": work done in person, unless asked for by name; with
            # no goal, filled from such work most like theirs (a receptionist's ordinary list is all desk work)
            base = self.away_from_desk(base, keep=asked)
            if goal is None or goal.kind == "skill":
                # ... within one job zone of theirs: a medical biller who hates sitting all day was filled with
                # physicians (the in-person work nearest theirs by meaning)
                reach = self.schooling_ceiling(work) + 1
                base = self._with_work_alike(
                    base, sources, lambda items: self.away_from_desk(self.within_schooling(items, reach))
                )
        if profile.remote_work(understanding is not None and understanding.remote_wish):
            # "want something remote": work that can often be done from home, unless asked for by name
            base = self.within_remote(base, keep=asked)
        return [i for i in base if i.id not in exclude][:k]

    def away_from_own_work(
        self,
        items: list[ScoredOccupation],
        sources: list[tuple[str, float]],
        keep: Collection[str] = frozenset(),
        fields: Collection[str] = (),
    ) -> list[ScoredOccupation]:
        """``items`` without the person's own kind of work: the SOC minor groups of their occupations (at least
        :data:`~retrieval.understanding.linker.CONFIDENT` sure, or the first), the occupations whose title
        names the same work ("Teachers", "Nurses": :func:`~retrieval.understanding.leaving.head_nouns`) or whose
        description is nearly theirs (:data:`SAME_WORK`), and the SOC prefixes of the ``fields`` they name as
        what they leave ("retail": 41-, 11-2022); ``keep`` stays."""
        own = [oid for n, (oid, conf) in enumerate(sources) if n == 0 or conf >= CONFIDENT]
        work = OwnWork.of(own, lambda oid: self.linker.titles.titles.get(oid, ""))
        corpus, meaning = self.rec.corpus, self.rec.dense("full")
        rows = [corpus.index[oid] for oid in own if oid in corpus.index]

        def alike(oid: str) -> bool:  # the same work by its description (ESL instructors for a teacher)
            return (
                bool(rows)
                and oid in corpus.index
                and float(np.max(meaning[rows] @ meaning[corpus.index[oid]])) >= SAME_WORK
            )

        return [
            item
            for item in items
            if item.id in keep
            or not (work.covers(item.id, item.title) or in_prefixes(item.id, fields) or alike(item.id))
        ]

    def off_the_front_line(
        self, items: list[ScoredOccupation], sources: list[tuple[str, float]], keep: Collection[str] = frozenset()
    ) -> list[ScoredOccupation]:
        """``items`` with the work at least as physically demanding as the person's own moved down
        :data:`WORN_OUT_SHIFT` places, for a person worn out by their work ("15 years in the ER, completely burned
        out. What else can I do with my skills?" was offered paramedics, EMTs, medical assistants and surgical
        assistants). Physical demand (:mod:`retrieval.occupations.physical`) is the corpus's measure of front-line
        work: for a nurse it tells paramedics (0.39) and surgical assistants (0.43) from health educators (0.05),
        managers (0.12) and nursing instructors (0.17). The work stays on the list, lower."""
        corpus = self.rec.corpus
        own = [float(corpus.physical[corpus.index[o]]) for o, _c in sources[:1] if o in corpus.index]
        if not own:
            return items

        def shift(item: ScoredOccupation) -> float:
            front_line = (
                item.id not in keep
                and item.id in corpus.index
                and float(corpus.physical[corpus.index[item.id]]) >= own[0]
            )
            return WORN_OUT_SHIFT if front_line else 0.0

        return moved_down(items, shift)

    @staticmethod
    def _strengths(profile: Profile, understanding: Understanding | None) -> list[tuple[str, ...]]:
        """The O*NET elements each strength the person states names (:mod:`retrieval.understanding.strengths`), of
        those the understanding kept as skills (not a wish, a goal or a negation)."""
        if understanding is None or not profile.text:
            return []
        kept = {s.skill_id for s in understanding.skills}
        return [found.skill_ids for found in strengths(profile.text) if found.skill_ids[0] in kept]

    def toward_strengths(self, items: list[ScoredOccupation], said: list[tuple[str, ...]]) -> list[ScoredOccupation]:
        """``items`` with the first :data:`STRENGTH_POOL` fused (reciprocal ranks, equal weights) with the same ones
        ordered by how important O*NET rates the strengths the person states (the mean over strengths of the best
        element each names): a receptionist who is "really good with numbers" got medical secretaries, office clerks
        and switchboard operators, as if unsaid; bookkeeping and billing clerks, near their work and rating
        Mathematics higher, come up. Work far from theirs does not: only the list's own first places are reordered."""
        from retrieval.skills.graph import get_graph

        graph = get_graph(self.rec.settings)
        pool, rest = items[:STRENGTH_POOL], items[STRENGTH_POOL:]

        def importance(item: ScoredOccupation) -> float:
            per = [
                max(float((graph.graph.get_edge_data(item.id, sid) or {}).get("importance") or 0.0) for sid in ids)
                for ids in said
            ]
            return float(np.mean(per)) if per else 0.0

        by_strength = sorted(pool, key=lambda i: -importance(i))
        return self.rec.blend([(pool, 1.0), (by_strength, STRENGTH_WEIGHT)]) + rest

    def toward_leaning(
        self, items: list[ScoredOccupation], dimension: str, keep: Collection[str] = ()
    ) -> list[ScoredOccupation]:
        """``items`` with the work low on an O*NET interest ``dimension`` moved down (up to :data:`LEANING_SHIFT`
        places, by how far it is below :data:`LEANING_HIGH` on the 1-7 scale): a person who likes working with their
        hands sees the hands-on work of their list first. What they asked for by name stays."""
        corpus = self.rec.corpus
        column = RIASEC.index(dimension)

        def shift(item: ScoredOccupation) -> float:
            if item.id in keep or item.id not in corpus.index:
                return 0.0
            value = float(corpus.interests[corpus.index[item.id], column])
            return LEANING_SHIFT * min(1.0, max(0.0, (LEANING_HIGH - value) / 2.0))

        return moved_down(items, shift)

    def toward_better_pay(
        self, items: list[ScoredOccupation], sources: list[tuple[str, float]], keep: Collection[str] = frozenset()
    ) -> list[ScoredOccupation]:
        """``items`` for a person who wants better pay: without their own occupation, with work in a lower job zone
        than theirs moved :data:`PAY_SHIFT_BELOW` places down, and work in the same zone or two zones up (a degree
        or more away) :data:`PAY_SHIFT_SAME`: the next zone up comes first.

        Why job zones: the catalogue holds no wage figures, and O*NET's zones (how much education, training and
        experience work needs) are what pay follows most closely across occupations. A warehouse worker with a
        forklift licence who wants to make more money got their own occupation back beside work of the same
        preparation; moves that need more than their work did (crane operators, machinery maintenance workers,
        first-line supervisors of material moving) now come first. The work stays on the list, lower; an occupation without a zone ("All
        Other") and ``keep`` do not move. Nothing moves when the person's occupation is not known."""
        corpus = self.rec.corpus
        own, own_zone = self._own_zone(sources)
        if own is None or np.isnan(own_zone):
            return items

        def shift(item: ScoredOccupation) -> float:
            if item.id in keep or item.id not in corpus.index:
                return 0.0
            zone = corpus.job_zone[corpus.index[item.id]]
            if np.isnan(zone) or own_zone < zone <= own_zone + 1 or self._leads_at_their_zone(item.id, own):
                return 0.0
            return float(PAY_SHIFT_BELOW if zone < own_zone else PAY_SHIFT_SAME)

        return moved_down([i for i in items if i.id in keep or i.id != own], shift)

    def not_far_below(
        self, items: list[ScoredOccupation], sources: list[tuple[str, float]], keep: Collection[str] = frozenset()
    ) -> list[ScoredOccupation]:
        """``items`` with work two or more O*NET job zones below the person's own occupation moved
        :data:`LEAVING_DROP_SHIFT` places down (it stays on the list): one who wants out of their work wants other work,
        not the assistant's post beside it. Nothing moves when their occupation has no zone."""
        corpus = self.rec.corpus
        _own, own_zone = self._own_zone(sources)
        if np.isnan(own_zone):
            return items

        def shift(item: ScoredOccupation) -> float:
            if item.id in keep or item.id not in corpus.index:
                return 0.0
            zone = corpus.job_zone[corpus.index[item.id]]
            return float(LEAVING_DROP_SHIFT) if not np.isnan(zone) and zone <= own_zone - 2 else 0.0

        return moved_down(items, shift)

    def one_zone_up(self, items: list[ScoredOccupation], sources: list[tuple[str, float]]) -> list[ScoredOccupation]:
        """``items`` a step up from the person's own occupation -- the O*NET job zone just above theirs, or leading
        others at theirs (:meth:`_leads_at_their_zone`) -- when theirs needs little preparation
        (:data:`PAY_FILL_ZONE_MAX`; none when it has no zone). Above it the step is a degree (a janitor, zone 3 in
        O*NET, was filled with environmental engineers) and the ordinary list already holds the moves people make."""
        corpus = self.rec.corpus
        own, zone = self._own_zone(sources)
        if own is None or np.isnan(zone) or zone > PAY_FILL_ZONE_MAX:
            return []
        return [
            i
            for i in items
            if i.id in corpus.index
            and (corpus.job_zone[corpus.index[i.id]] == zone + 1 or self._leads_at_their_zone(i.id, own))
        ]

    def _own_zone(self, sources: list[tuple[str, float]]) -> tuple[str | None, float]:
        """The person's own occupation -- the most likely of their linked occupations, when the catalogue has it (a
        pharmacy technician's second candidate, pharmacists, is not their work) -- and its O*NET job zone; (None, nan)
        when it is not known, and nan for a zone O*NET does not give."""
        corpus = self.rec.corpus
        own = next((oid for oid, _conf in sources[:1] if oid in corpus.index), None)
        return own, float(corpus.job_zone[corpus.index[own]]) if own is not None else float("nan")

    def _leads_at_their_zone(self, oid: str, own_id: str) -> bool:
        """Whether ``oid`` leads others at the job zone of the person's own occupation ``own_id``, which does not: a step
        up that pays more (a line cook's food service managers and kitchen supervisors, a cashier's retail supervisors;
        O*NET puts them in zone 2)."""
        corpus = self.rec.corpus
        row, own = corpus.index[oid], corpus.index[own_id]
        return bool(corpus.job_zone[row] == corpus.job_zone[own] and corpus.leads[row] and not corpus.leads[own])

    def within_outdoors(
        self, items: list[ScoredOccupation], keep: Collection[str] = frozenset()
    ) -> list[ScoredOccupation]:
        """``items`` without the occupations whose work is rarely done outdoors (below
        :data:`~retrieval.occupations.outdoor.OUTDOOR`); ``keep`` stays. An office manager who wrote "I want to work
        outdoors" got housekeeping supervisors and general managers."""
        corpus = self.rec.corpus
        return [
            item
            for item in items
            if item.id in keep or (item.id in corpus.index and corpus.outdoor[corpus.index[item.id]] >= OUTDOOR)
        ]

    def away_from_desk(
        self, items: list[ScoredOccupation], keep: Collection[str] = frozenset()
    ) -> list[ScoredOccupation]:
        """``items`` without desk work (:attr:`~retrieval.occupations.corpus.OccupationCorpus.away_from_desk`);
        ``keep`` stays. A receptionist who "can't sit at a desk all day" got medical secretaries and office clerks."""
        corpus = self.rec.corpus
        return [
            item
            for item in items
            if item.id in keep or (item.id in corpus.index and corpus.away_from_desk[corpus.index[item.id]])
        ]

    def within_remote(
        self, items: list[ScoredOccupation], keep: Collection[str] = frozenset()
    ) -> list[ScoredOccupation]:
        """``items`` without the occupations whose work is rarely done from home (below
        :data:`~retrieval.occupations.remote.FEASIBLE`); ``keep`` stays."""
        corpus = self.rec.corpus
        return [
            item
            for item in items
            if item.id in keep or (item.id in corpus.index and corpus.remote[corpus.index[item.id]] >= REMOTE_FEASIBLE)
        ]

    def schooling_ceiling(self, sources: list[tuple[str, float]]) -> int:
        """The highest job zone within reach without going back to school: the person's own occupation's (the
        most likely of their linked occupations; a pharmacy technician's second candidate, pharmacists, is not
        their training), at least :data:`SCHOOLING_FLOOR`."""
        _own, zone = self._own_zone(sources)
        return SCHOOLING_FLOOR if np.isnan(zone) else max(SCHOOLING_FLOOR, int(zone))

    def within_schooling(
        self, items: list[ScoredOccupation], ceiling: int, keep: Collection[str] = frozenset()
    ) -> list[ScoredOccupation]:
        """``items`` without the occupations whose job zone is above ``ceiling``, an "All Other" code by its SOC
        group's (:attr:`retrieval.occupations.corpus.OccupationCorpus.zone_or_family`); one without either, and
        ``keep``, stay."""
        corpus = self.rec.corpus

        def within(item: ScoredOccupation) -> bool:
            if item.id in keep or item.id not in corpus.index:
                return True
            zone = corpus.zone_or_family[corpus.index[item.id]]
            return bool(np.isnan(zone) or zone <= ceiling)

        return [item for item in items if within(item)]

    def _beyond_their_limit(self, sources: list[tuple[str, float]], standing: bool) -> set[str]:
        """The person's occupations that are beyond their limit by their own account, so their kind of work
        is left out: when the occupation is fairly physical by its score, or the limit is about standing, which
        the score cannot see (a cashier who can't stand for long). An accountant with a bad back keeps the
        desk work like theirs."""
        corpus = self.rec.corpus
        return {  # sources are the person's already (at least SOURCE_MIN sure)
            oid
            for oid, _conf in sources
            if oid in corpus.index and (standing or corpus.physical[corpus.index[oid]] >= SOMEWHAT_PHYSICAL)
        }

    def _with_lighter_work_alike(
        self, base: list[ScoredOccupation], sources: list[tuple[str, float]], own: Collection[str], standing: bool
    ) -> list[ScoredOccupation]:
        """``base`` (already within the limit) blended with the lighter occupations most like the person's own
        by meaning: a bricklayer's ordinary list is nearly all trades, and what is left of it once they are
        out is its noisy tail ("Legislators"); construction managers and cost estimators are like the
        bricklayer's work without its load."""
        return self._with_work_alike(
            base, sources, lambda items: self.within_physical_limit(items, own=own, standing=standing)
        )

    def _with_work_alike(
        self,
        base: list[ScoredOccupation],
        sources: list[tuple[str, float]],
        within: Callable[[list[ScoredOccupation]], list[ScoredOccupation]],
        weight: float = 1.0,
    ) -> list[ScoredOccupation]:
        """``base`` blended (``weight`` to its 1) with the :data:`LIGHTER_ALIKE` occupations most like the person's own
        by meaning that ``within`` keeps: a limit or a wish that leaves little of their ordinary list is filled from work
        like theirs."""
        corpus = self.rec.corpus
        rows = [corpus.index[oid] for oid, _conf in sources if oid in corpus.index][:1]
        if not rows:
            return base
        return self._with_alike(base, self.rec.dense("full")[rows[0]], within, weight, skip=rows[0])

    def _first_steps(self, items: list[ScoredOccupation], sources: list[tuple[str, float]]) -> list[ScoredOccupation]:
        """``items`` without work that leads others when the person names no work of their own (as in
        reachability): "I love animals and being outdoors" listed first-line supervisors of farming workers."""
        corpus = self.rec.corpus
        if sources:
            return items
        return [i for i in items if i.id not in corpus.index or not corpus.leads[corpus.index[i.id]]]

    def _with_alike(
        self,
        base: list[ScoredOccupation],
        vector: np.ndarray,
        within: Callable[[list[ScoredOccupation]], list[ScoredOccupation]],
        weight: float = 1.0,
        *,
        skip: int | None = None,
    ) -> list[ScoredOccupation]:
        """``base`` blended (``weight`` to its 1) with the :data:`LIGHTER_ALIKE` occupations nearest ``vector`` by
        meaning that ``within`` keeps (``skip``: a row left out, the person's own occupation)."""
        corpus = self.rec.corpus
        similarity = self.rec.dense("full") @ vector
        order = [j for j in np.argsort(-similarity, kind="stable")[:LIGHTER_ALIKE] if j != skip]
        alike = within(
            [
                ScoredOccupation(corpus.ids[j], corpus.titles[j], round(float(similarity[j]), 4))
                for j in order
                if not corpus.catch_all[j]  # "Life Scientists, All Other": a title no one applies for
            ]
        )
        return self.rec.blend([(base, 1.0), (alike, weight)])

    def within_physical_limit(
        self,
        items: list[ScoredOccupation],
        keep: Collection[str] = frozenset(),
        own: Collection[str] = frozenset(),
        standing: bool = False,
    ) -> list[ScoredOccupation]:
        """``items`` without the physically demanding occupations (:data:`~retrieval.occupations.physical.DEMANDING`),
        the fairly physical ones moved down; ``keep`` stays where it is whatever its demand. ``own``: the
        person's occupations, beyond their limit by their own account ("I've been a cashier and I can't stand
        for long"), so the occupations of the same kind of work (SOC minor group: retail sales workers) are left
        out too, whatever their score says: the task statements do not say how long a cashier stands. ``standing``:
        the limit is about standing, so the groups of :data:`STANDING_GROUPS` are left out as well."""
        corpus = self.rec.corpus
        kinds = {oid[:4] for oid in own}

        def demand(item: ScoredOccupation) -> float:
            if item.id in keep:
                return 0.0
            if item.id[:4] in kinds or (standing and item.id.startswith(STANDING_GROUPS)):
                return DEMANDING
            return float(corpus.physical[corpus.index[item.id]]) if item.id in corpus.index else 0.0

        kept = [item for item in items if demand(item) < DEMANDING]
        # work that is fairly physical moves down the list (up to SOMEWHAT_PHYSICAL_SHIFT places at the limit)
        return moved_down(
            kept,
            lambda item: (
                SOMEWHAT_PHYSICAL_SHIFT
                * min(1.0, max(0.0, demand(item) - SOMEWHAT_PHYSICAL) / (DEMANDING - SOMEWHAT_PHYSICAL))
            ),
        )

    def built_on_skill(self, goal: Goal) -> list[ScoredOccupation]:
        """The occupations whose work is built on a skill to learn, for a person who names no work: those O*NET lists
        the skill for (Python: 130 occupations, from management analysts to software developers), most like it by
        their title and alternate titles first ("Python Developer"); where none lists it ("accounting", an ESCO
        skill), all occupations by the same measure. Work that leads others, and "All Other" residuals, come after
        the rest; university teaching (SOC 25-1: its titles are the subjects' names, and it takes a doctorate) is
        left out, as for what a person studied."""
        from retrieval.skills.graph import get_graph

        corpus = self.rec.corpus
        skills = get_graph(self.rec.settings)
        graph = skills.graph
        listing = {o for sid in goal.skill_ids if sid in graph for o, _s in graph.in_edges(sid) if o in corpus.index}
        rated = {} if listing else element_ratings(skills, goal.skill_ids, set(corpus.index))
        rows = np.array(
            [
                j
                for j, oid in enumerate(corpus.ids)
                if (oid in (listing or rated) or not (listing or rated)) and not oid.startswith("25-1")
            ],
            dtype=int,
        )
        if rows.size == 0:
            return []
        if rated:  # O*NET's own rating of the knowledge orders the work it is needed in
            scores = np.array([rated[corpus.ids[j]] for j in rows])
        else:
            vec = self.linker.embed(goal.text)
            scores = 0.5 * (self.rec.dense("title")[rows] @ vec + self.rec.dense("alt_titles")[rows] @ vec)
        # leading others is not a first step for someone with no work named (as in reachability), nor is an "All
        # Other" residual a title anyone applies for: after the rest
        order = np.lexsort((-scores, corpus.catch_all[rows], corpus.leads[rows]))
        return [
            ScoredOccupation(corpus.ids[rows[j]], corpus.titles[rows[j]], round(float(scores[j]), 4)) for j in order
        ]

    def first_jobs(self, by_skills: list[ScoredOccupation]) -> list[ScoredOccupation]:
        """For a person who has not worked yet and names nothing they would like: work that takes little preparation
        (O*NET job zone at most :data:`FIRST_WORK_ZONE`), in the order of ``by_skills`` (their list by the skills they
        named: "I'm good with people" listed counsellors and social workers, who need a degree) or, with none, the
        work the most postings are for first (the job log's postings by their linked occupation), then the rest by
        title. Work that leads others, "All Other" residuals and military work are left out: none is a first job.
        Without a job log, the order is the titles'."""
        from retrieval.jobs.service import get_job_recommender

        corpus = self.rec.corpus
        try:
            postings = get_job_recommender(self.rec.settings).occupation_postings()
        except ProfileError:  # the catalogue has no postings
            postings = {}
        rows = [
            j
            for j, oid in enumerate(corpus.ids)
            if corpus.job_zone[j] <= FIRST_WORK_ZONE
            and not corpus.leads[j]
            and not corpus.catch_all[j]
            and not is_military(oid)
        ]
        rows.sort(key=lambda j: (-postings.get(corpus.ids[j], 0), corpus.titles[j]))
        top = max((postings.get(corpus.ids[j], 0) for j in rows), default=0) or 1
        first = [
            ScoredOccupation(corpus.ids[j], corpus.titles[j], round(postings.get(corpus.ids[j], 0) / top, 4))
            for j in rows
        ]
        if not by_skills:
            return first
        entry = {i.id for i in first}
        ordered = [i for i in by_skills if i.id in entry]
        taken = {i.id for i in ordered}
        return ordered + [i for i in first if i.id not in taken]

    def from_civilian_work(self, work: list[tuple[str, float]]) -> list[ScoredOccupation]:
        """A veteran's list: the civilian counterparts of their military occupation first, closest first, then
        the work their lists share (:func:`civilian_sources`). The text is not matched again: "I was a mortarman"
        by its words alone listed airfield operations specialists and general managers."""
        corpus = self.rec.corpus
        known = [(oid, w) for oid, w in work if oid in corpus.index]
        if not known:
            return []
        lists = self.rec.from_occupations([oid for oid, _w in known])
        fused = self.rec.blend([(lists[oid], w) for oid, w in known])
        top = (fused[0].score if fused else 0.0) + 1.0
        first = [
            ScoredOccupation(oid, corpus.titles[corpus.index[oid]], round(top - i * 0.01, 4))
            for i, (oid, _w) in enumerate(known)
        ]
        return first + [i for i in fused if i.id not in dict(known)]

    def _base_list(
        self, profile: Profile, understanding: Understanding | None, sources: list[tuple[str, float]]
    ) -> list[ScoredOccupation]:
        if sources and sources[0][1] >= CONFIDENT:
            return self.rec.from_occupations([sources[0][0]])[sources[0][0]]
        lists = self.rec.from_occupations([oid for oid, _c in sources])
        # work described with no title: an occupation the person may hold (not sure enough to leave out as
        # theirs) is itself one that fits them -- "I cut hair" (Barbers 0.34, Hairdressers 0.26) listed
        # Shampooers, Tailors and Hand Sewers before either, since each list holds every occupation but its own.
        # (For every unsure link it cost the typed personas' lists: NDCG@10 0.909 -> 0.898.)
        by_meaning = (
            understanding is not None and understanding.work and not any(o.span for o in understanding.occupations)
        )
        weighted = [(self._with_itself(oid, lists[oid]) if by_meaning else lists[oid], conf) for oid, conf in sources]
        if profile.text or profile.skills:
            text_profile = profile.model_copy(update={"goal": None, "occupation": None})
            if understanding is not None and (understanding.goals or understanding.limits):
                # the goal's words are not the person's: "nurse wanting finance" must not match finance by text;
                # nor are their ailments: "mechanic, bad back" must not match physical therapists
                spans = [g.span for g in understanding.goals] + [lim.span for lim in understanding.limits]
                text = cues.blank(profile.text or "", [(sp.start, sp.end) for sp in spans if sp is not None])
                text_profile = text_profile.model_copy(update={"text": text.strip() or None})
            if text_profile.text or text_profile.skills:
                # a sentence of work was already read by meaning (and by the occupations' tasks) to give the
                # sources; the same words matched again pull in look-alikes ("I cut hair": hand sewers)
                weight = (
                    WORK_TEXT_WEIGHT if sources and understanding is not None and understanding.work else TEXT_WEIGHT
                )
                weighted.append((self.rec.from_text(text_profile), weight))
        if not weighted:
            return []
        return weighted[0][0] if len(weighted) == 1 else self.rec.blend(weighted)

    def _with_itself(self, oid: str, items: list[ScoredOccupation]) -> list[ScoredOccupation]:
        """``items`` (the list of occupation ``oid``) with ``oid`` first."""
        if any(i.id == oid for i in items):
            return items
        top = items[0].score if items else 0.0
        title = self.linker.titles.titles.get(oid, oid)
        return [ScoredOccupation(oid, title, top), *items]

    def _transition_list(
        self, profile: Profile, goal: Goal, sources: list[tuple[str, float]], base: list[ScoredOccupation]
    ) -> list[ScoredOccupation]:
        corpus = self.rec.corpus
        targets = self._targets(goal)
        if targets.size == 0:
            return base
        src_rows = [(corpus.index[oid], conf) for oid, conf in sources if oid in corpus.index]
        ranked = self.rec.ranked_ids([oid for oid, _c in sources if oid in corpus.index])
        ranked_rows = {corpus.index[q]: [corpus.index[c] for c in cs if c in corpus.index] for q, cs in ranked.items()}
        related = {
            corpus.index[q]: {corpus.index[t]: g for t, g in ts.items() if t in corpus.index}
            for q, ts in self.rec.labels.items()
            if q in {oid for oid, _c in sources}
        }
        meaning = self.rec.dense("full")
        # what someone enjoys is its own words ("fixing cars and working with my hands"), not the field it falls in
        # ("mechanics": Maintenance and Repair Workers, General came before Automotive Service Technicians)
        goal_vec = self.linker.embed(cues.specific_interest(goal.text) if goal.interest else (goal.field or goal.text))
        # how central each occupation is to the goal as named; a skill goal ("learn Python") is about
        # the occupations built on that skill more than about the ones that merely list it
        goal_sim = (self.rec.dense("alt_titles") @ goal_vec) * GOAL_CENTRALITY[goal.kind]
        text_sim = (
            meaning @ self.linker.embed(self._text_by_meaning(profile.text, goal))
            if profile.text and not src_rows
            else None
        )
        if goal.kind == "occupation" and goal.occupation_ids:
            # "become a lawyer": the occupation itself first, then the ones most like it
            goal_ranked = self.rec.ranked_ids([o for o in goal.occupation_ids if o in corpus.index], k=40)
            closeness = np.zeros(len(corpus), np.float32)
            for oid in goal.occupation_ids:
                if oid in corpus.index:
                    closeness[corpus.index[oid]] = 2.0
                for p, c in enumerate(goal_ranked.get(oid, [])):
                    closeness[corpus.index[c]] = max(closeness[corpus.index[c]], 1.0 - p / 40)
            goal_sim = goal_sim + closeness
        scores = reachability(
            targets=targets,
            sources=src_rows,
            requirements=self.rec.requirements(),
            meaning=meaning,
            job_zone=corpus.job_zone,
            ranked_from_source=ranked_rows,
            related=related,
            goal_similarity=goal_sim,
            text_similarity=text_sim,
            leads=corpus.leads,
            catch_all=corpus.catch_all,
        )
        order = targets[np.argsort(-scores, kind="stable")]
        top = [
            ScoredOccupation(corpus.ids[j], corpus.titles[j], round(float(s), 4))
            for j, s in zip(order, np.sort(scores)[::-1])
        ]
        if goal.studied:
            # what a degree leads to without another one: "What can I do with my degree?" (psychology) listed
            # psychiatrists and clinical psychologists second and third, and a computer-science graduate
            # Computer and Information Research Scientists first -- work that takes a graduate degree (job zone 5)
            zone = corpus.zone_or_family
            top = sorted(top, key=lambda i: bool(zone[corpus.index[i.id]] >= GRADUATE_ZONE))
        inside = {i.id for i in top}
        return top + [i for i in base if i.id not in inside]

    @staticmethod
    def _text_by_meaning(text: str, goal: Goal) -> str:
        """The person's text as read by meaning beside the goal: what they enjoy without its vague parts
        (:func:`cues.specific_interest`): "I enjoy fixing cars and working with my hands" listed general
        maintenance workers and helpers before automotive service technicians."""
        text = text[:4000]
        span = goal.span
        if not goal.interest or span is None or text[span.start : span.end] != span.text:
            return text
        specific = cues.specific_interest(span.text)
        return text if specific == span.text else text[: span.start] + specific + text[span.end :]

    def _targets(self, goal: Goal) -> np.ndarray:
        corpus = self.rec.corpus
        if goal.kind == "occupation" and goal.occupation_ids:
            # the occupation and its nearest neighbours in the same SOC minor group
            prefixes = sorted({o[:4] for o in goal.occupation_ids})
            return np.array([j for j, oid in enumerate(corpus.ids) if in_prefixes(oid, prefixes)], dtype=int)
        return np.array([j for j, oid in enumerate(corpus.ids) if in_prefixes(oid, goal.soc_prefixes)], dtype=int)
