"""What a person's text says about them: their occupation(s) linked to O*NET, the skills they hold,
their goals, and how long they have worked — each with the words that support it.

How an occupation is linked:

1. **Titles in the text** (:class:`~retrieval.understanding.titles.TitleIndex`): every O*NET title,
   colloquial title or abbreviation found, weighted by the kind of title, by how many occupations
   share it, by its length, by whether the person says it about themselves ("I'm a …", "10 years as
   a …", a résumé heading) and by how often it occurs. Titles inside a goal ("want to become a
   lawyer") or a negation are not the person's occupation.
2. **Meaning**: the text's embedding against each occupation's description and tasks, which
   separates the occupations a shared title names ("store manager": retail supervisor or general
   manager) and is the only evidence when no title occurs ("I keep the books for three shops").
3. **Confidence**: high when a title is stated about the person and its occupation also wins on
   meaning; lower when only meaning speaks, or when two candidates are close. Below
   :data:`MIN_SEMANTIC` with no title, the answer is "I could not tell what you do".
"""

from __future__ import annotations

import functools
import math
import re
from collections import defaultdict
from collections.abc import Callable
from typing import Literal, cast

import numpy as np

from retrieval.understanding import cues
from retrieval.understanding.desk import desk_wishes
from retrieval.understanding.fields import FIELDS, CareerField
from retrieval.understanding.hours import hours_wishes
from retrieval.understanding.keys import title_key
from retrieval.understanding.leaving import leaving_wishes
from retrieval.understanding.limits import physical_limits
from retrieval.understanding.outdoor import outdoor_wishes
from retrieval.understanding.pay import pay_wishes
from retrieval.understanding.remote import remote_wishes
from retrieval.understanding.schema import (
    Goal,
    Leaning,
    Limit,
    OccupationLink,
    SkillMention,
    Span,
    Status,
    Understanding,
)
from retrieval.understanding.schooling import training_limits
from retrieval.understanding.spelling import TitleSpelling
from retrieval.understanding.strengths import LABELS as STRENGTH_LABELS, strengths
from retrieval.understanding.titles import TitleIndex, TitleMatch

# Evidence weights (see the module docstring). A title said about oneself counts most.
SELF_CUE = 2.0
HEADING = 1.5
PAST = 0.6
ACRONYM = 0.5
#: a title named as where or for whom the person works ("a receptionist at a dentist's office", "I clean for a
#: lawyer"): the workplace, not their work; "I work as a receptionist at a dentist" linked Dentists first
EMPLOYER = 0.2
_EMPLOYER_BEFORE = re.compile(
    r"\b(?:at|for)\s+(?:a|an|the|my|our|his|her|their|one|some)?\s*(?:local\s+|small\s+|big\s+)?$", re.I
)
_EMPLOYER_AFTER = re.compile(r"(?:'s|’s|s')?\s+(?:office|clinic|practice|surgery|firm|practices|offices)\b", re.I)
_A_BEFORE = re.compile(r"\b(?:a|an)\s+(?:[a-z]+\s+)?$", re.I)
MAX_GOALS = 3

Tense = Literal["current", "past", "unknown"]  # OccupationLink.tense
CLEAR_COVER = 0.5  # a goal reading by name covering this share of the target's words is clear
#: What a person enjoys and no field or title names: the groups of this many nearest occupations, the nearest at
#: least this near by meaning ("sports and staying fit": exercise trainers, coaches, athletes, ...).
INTEREST_OCCUPATIONS = 6
INTEREST_MIN = 0.3
CLEAR_MEANING = 0.55  # ... else a reading by meaning this close wins over it
MEANING_ONLY_MIN = 0.3  # an occupation linked by meaning alone below this confidence is not linked
SEMANTIC_GOAL = 0.55  # an occupation goal found by meaning alone must be this close ("astronaut wizard" is not)
SEMANTIC_WEIGHT = 1.5  # cosine (≈0.2..0.7) times this joins the title evidence
MIN_SEMANTIC = 0.42  # best cosine below this, with no title: we could not tell what they do
# ... unless the person says what they do ("I cut hair", "25 years running a CNC machine"): a sentence of
# work is about work, so a weaker match by meaning is still their occupation (eval/data/activities.jsonl)
ACTIVITY_MIN_SEMANTIC = 0.36
CONFIDENT = 0.75  # a link at or above this is ranked exactly like a code query
MAX_CANDIDATES = 5
UNDERSTOOD_CACHE = 64  # texts whose understanding is kept in memory (never on disk)
MIN_SKILL_CONFIDENCE = 0.6
_HEADING_LINE = re.compile(r"^[^\n]{1,60}$", re.M)
_ENGLISH = {
    "i",
    "a",
    "an",
    "the",
    "and",
    "or",
    "to",
    "of",
    "in",
    "on",
    "for",
    "with",
    "at",
    "my",
    "me",
    "am",
    "is",
    "was",
    "have",
    "has",
    "been",
    "as",
    "work",
    "working",
    "job",
    "years",
    "year",
    "want",
    "do",
}
#: the function words above, for other readers of the text (never corrected as misspelt titles)
ENGLISH = frozenset(_ENGLISH)
_FOREIGN = {
    "je",
    "suis",
    "et",
    "le",
    "la",
    "les",
    "des",
    "une",
    "un",
    "est",
    "soy",
    "estoy",
    "el",
    "los",
    "las",
    "y",
    "que",
    "en",
    "con",
    "para",
    "trabajo",
    "ich",
    "bin",
    "und",
    "der",
    "die",
    "das",
    "ein",
    "eine",
    "mit",
    "arbeite",
    "sono",
    "lavoro",
    "il",
    "di",
    "che",
    "eu",
    "sou",
    "trabalho",
    "não",
    "als",
    "bei",
}
_WORDS = re.compile(r"[^\W\d_]+", re.U)

NO_OCCUPATION = "I could not tell what you do — tell me your job title (for example “I'm a registered nurse”)."
NOT_ENGLISH = "I can only read English for now — please describe your work in English."
EMPTY = "Tell me about yourself: what you do now, your skills, or paste your résumé."


def _ids(match: TitleMatch) -> set[str]:
    return {oid for oid, _weight in match.occupations}


class Linker:
    """Links free text to a structured :class:`Understanding`. Built once per process (it holds the
    title index and the occupation embeddings of the catalogue it serves)."""

    def __init__(
        self,
        titles: TitleIndex,
        occupation_ids: list[str],
        occupation_vectors: np.ndarray,
        embed: Callable[[str], np.ndarray],
        skill_finder: Callable[[str], list] | None = None,
        skill_lookup: Callable[[str], list[str]] | None = None,
        common_words: frozenset[str] = frozenset(),
        title_vectors: np.ndarray | None = None,
        task_vectors: np.ndarray | None = None,
        spelling: TitleSpelling | None = None,
    ):
        self.titles = titles
        self.spelling = spelling  # misspelt title words ("im a nurce"): read as the title word they miss
        self.common_words = common_words  # lower-case words of the catalogue's prose
        self.ids = occupation_ids
        self.index = {oid: i for i, oid in enumerate(occupation_ids)}
        self.vectors = occupation_vectors  # (n, d) L2-normalised: titles + description + tasks
        self.title_vectors = title_vectors  # (n, d) the O*NET title alone: crisp for a short goal phrase
        # (n, d) L2-normalised centroid of each occupation's task statements embedded one by one (where the
        # home has them: WAYPOINT_OCCUPATION_TASK_ALIGNMENT). The blended vector sees only the first ~12
        # tasks (MiniLM stops at 256 tokens); "I wire houses" is in the later ones. Ranks, never gates.
        self.task_vectors = task_vectors
        self.embed = embed
        self.skill_finder = skill_finder  # text → ExtractedSkill-like hits with spans
        self.skill_lookup = skill_lookup  # a skill phrase → catalogue skill ids
        self._field_keys = sorted(
            ((title_key(a), f) for f in FIELDS for a in (f.name, *f.aliases)), key=lambda kv: -len(kv[0])
        )
        self._field_vectors: np.ndarray | None = None

    # ------------------------------------------------------------------ entry point
    def understand(self, text: str) -> Understanding:
        """What ``text`` says (see the module docstring). One request asks this several times of the same
        text (the occupation list, the job search, the course target, the response's ``understanding``), so
        the last few answers are kept in memory; each caller gets its own copy."""
        return self._understand_cached(text or "").model_copy(deep=True)

    @functools.lru_cache(maxsize=UNDERSTOOD_CACHE)  # noqa: B019 - one linker per process and catalogue
    def _understand_cached(self, text: str) -> Understanding:
        if not text.strip() or not _WORDS.search(text):
            return Understanding(status="empty", message=EMPTY)
        if not self._looks_english(text):
            return Understanding(status="not_english", message=NOT_ENGLISH)
        # "I can't sit at a desk all day", "less screen time": how they want to work, not a skill nor a title ("a
        # desk" is no wish for seated work when it is what they want away from)
        desk_spans = desk_wishes(text)
        limit_spans = [s for s in physical_limits(text) if not cues.inside(s, desk_spans)]
        # "without going back to school", "no college degree": neither a title nor a skill held, nor a goal
        # ("looking for jobs that don't need a degree" wants no degree)
        schooling_spans = training_limits(text)
        # "want something remote": where they want to work, not a title ("remote sensing") nor a skill
        remote_spans = remote_wishes(text)
        # "I'm a teacher and I hate it": what they want out of, not a skill ("driving" in "I hate driving")
        leaving_spans = leaving_wishes(text)
        # "I want to make more money": a wish about the move, not a field ("Your goal: money") nor a skill; "a well
        # paid job in healthcare" still names healthcare
        pay_spans = pay_wishes(text)
        # "I want to work outdoors": where they want to work, not a title nor a goal ("outdoor work")
        outdoor_spans = outdoor_wishes(text)
        # "a part-time job", "fits around my kids' school hours": when they can work, not a goal nor a skill
        hours_spans = hours_wishes(text)
        goals_found = [
            kept
            for g in cues.goal_phrases(cues.blank(text, schooling_spans))
            # "I love animals and being outdoors": animals (the outdoors is a wish of its own); "I like being
            # outdoors" alone stays what they enjoy
            if (kept := cues.goal_outside(text, g, pay_spans + outdoor_spans) or cues.goal_outside(text, g, pay_spans))
            is not None
        ]
        goal_regions = [g.clause for g in goals_found]
        # "I'm a roofer and my knees can't take it anymore": the "can't" is about the knees, not the roofing;
        # "I'm a hairdresser and I want out without starting a degree": the "without" is about the degree
        negated = cues.negated_clauses(cues.blank(text, limit_spans + schooling_spans))
        # "I've been a stay-at-home mom for 10 years ... Before that I was a receptionist": the 10 years are not
        # a receptionist's, and "stay-at-home mom" names no occupation to link (nannies, childcare workers)
        breaks = cues.career_break_clauses(text)
        years = cues.years_of_experience(cues.blank(text, breaks))
        excluded = (
            breaks
            + goal_regions
            + negated
            + limit_spans
            + schooling_spans
            + remote_spans
            + leaving_spans
            + pay_spans
            + outdoor_spans
            + desk_spans
            + hours_spans
            # "graduating this spring" is where they stand in school, not work
            + cues.school_status(text)
            # "What jobs are there for me?" asks for the list and says nothing about the person
            + cues.generic_requests(text)
        )
        # "I speak Spanish and English": skills (found in it below), no work to link
        spoken = cues.languages_spoken(text)
        # "my back is done" names no occupation (by meaning it is near chiropractors)
        occupations = self.link_occupations(text, excluded=excluded + spoken)
        # "can't lift heavy things", "bad back": what the body no longer does is not a skill held; what they studied
        # ("a biology degree") is knowledge they hold, though no work
        studied = [g.clause for g in goals_found if g.studied]
        skills = self.held_skills(text, excluded=[span for span in excluded if span not in studied])
        # "I'm really good with numbers", "a people person": what they say they are good at is a stated skill
        # ("I'm good at math" with no work named is also what they enjoy: the list's frame, and a skill held)
        enjoyed = [g.clause for g in goals_found if g.interest]
        skills += self.strength_skills(
            text, [span for span in excluded if span not in enjoyed], {s.skill_id for s in skills}
        )
        limits = (
            [Limit(kind="physical", span=Span(start=s, end=e, text=text[s:e])) for s, e in limit_spans]
            + [Limit(kind="training", span=Span(start=s, end=e, text=text[s:e])) for s, e in schooling_spans]
            + [Limit(kind="remote", span=Span(start=s, end=e, text=text[s:e])) for s, e in remote_spans]
            + [Limit(kind="leaving", span=Span(start=s, end=e, text=text[s:e])) for s, e in leaving_spans]
            + [Limit(kind="pay", span=Span(start=s, end=e, text=text[s:e])) for s, e in pay_spans]
            + [Limit(kind="outdoor", span=Span(start=s, end=e, text=text[s:e])) for s, e in outdoor_spans]
            + [Limit(kind="hours", span=Span(start=s, end=e, text=text[s:e])) for s, e in hours_spans]
            + [Limit(kind="desk", span=Span(start=s, end=e, text=text[s:e])) for s, e in desk_spans]
        )
        work = [(s, e) for s, e in cues.activity_clauses(text) if not cues.inside((s, e), excluded)]
        if (
            occupations
            and not work
            and all(o.span is None for o in occupations)
            and occupations[0].confidence < MEANING_ONLY_MIN
        ):
            # "What careers would suit me?": no title, and the nearest occupations by meaning are far. A
            # sentence of work passed its own floor (link_occupations): its link stays, marked unsure.
            occupations = []
        # "I like working on cars" is where a school leaver is headed; beside a named occupation it is what they
        # enjoy in it ("I'm a nurse and I like working with people") -- unless they want out of that occupation:
        # "I'm an accountant but I'm bored. I like creative stuff." was listed accounting work again
        # (what they studied stays background -- an English teacher's English degree is no move -- unless they ask
        # what to do with it: "I have a psychology degree but I work at Starbucks. What can I do with my degree?" was
        # listed baristas; "What else can I do with an English degree?" is the writing field, fields.py)
        use_degree = cues.asks_to_use_degree(text)
        wishes = [
            p
            for p in goals_found
            if not (
                p.interest and occupations and ((p.studied and not use_degree) or (not p.studied and not leaving_spans))
            )
        ]
        goals = [g for g in (self._wish_goal(p) for p in wishes[:MAX_GOALS]) if g is not None]
        # "I'd like to become a pharmacist but I can't afford 6 more years of school. What else could I do?": the
        # wish is ruled out by the person, and the list is what else is within reach (physicians were offered)
        ruled_out = [g for g in goals if g.kind == "occupation" and cues.ruled_out_by(text, g.span, schooling_spans)]
        goals = [g for g in goals if g not in ruled_out]
        # "learn Excel and become a data analyst": where they are going leads, the skill on the way follows
        goals.sort(key=lambda g: g.kind == "skill")
        if occupations and years is not None:
            occupations[0].years = years
        if breaks and occupations and occupations[0].span is not None:
            # a returner names the work they did before the break in the past tense ("Before that I was a
            # receptionist"), which alone reads as unsure (0.64); it is the work they come back with
            occupations[0].confidence = max(occupations[0].confidence, CONFIDENT)
        status: Status = "understood" if occupations else "no_occupation"
        message = None if occupations else NO_OCCUPATION
        first = cues.first_work(text) if not occupations else None
        leans = cues.leaning(text)
        if not occupations and not skills and not goals and not limits and first is None:
            status = "nonsense" if self._semantic_best(text) < MIN_SEMANTIC * 0.8 else "no_occupation"
        return Understanding(
            status=status,
            message=message,
            occupations=occupations,
            skills=skills,
            goals=goals,
            limits=limits,
            ruled_out_goals=ruled_out,
            work=[Span(start=s, end=e, text=text[s:e]) for s, e in work],
            years_experience=years,
            career_break=Span(start=breaks[0][0], end=breaks[0][1], text=text[breaks[0][0] : breaks[0][1]])
            if breaks
            else None,
            first_work=Span(start=first[0], end=first[1], text=text[first[0] : first[1]]) if first else None,
            leaning=cast(Leaning, leans[0]) if leans else None,
            leaning_span=Span(start=leans[1][0], end=leans[1][1], text=text[leans[1][0] : leans[1][1]])
            if leans
            else None,
            # cues.seniority returns one of these levels (it is typed plain str there); not having worked yet is entry
            seniority=cast(
                Literal["entry", "mid", "senior", "lead"] | None,
                cues.seniority(text, years) or ("entry" if first else None),
            ),
        )

    @staticmethod
    def _looks_english(text: str) -> bool:
        ws = [w.lower() for w in _WORDS.findall(text)]
        if len(ws) < 4:
            return True  # "RN", "welder": too short to tell, and titles are English anyway
        english = sum(w in _ENGLISH for w in ws)
        foreign = sum(w in _FOREIGN for w in ws)
        return not (foreign >= 2 and foreign > english)

    # ------------------------------------------------------------------ occupations
    def link_occupations(self, text: str, excluded: list[tuple[int, int]] | None = None) -> list[OccupationLink]:
        excluded = excluded or []
        fixes = self.spelling.corrections(text) if self.spelling is not None else None
        matches = [m for m in self.titles.scan(text, fixes) if not cues.inside((m.start, m.end), excluded)]
        matches = self.titles.technology_roles(text, matches, self.common_words)
        described = [a for a in cues.activity_clauses(text) if not cues.inside(a, excluded)]
        # "25 years running a CNC machine" names the title "CNC machine operator" without typing it
        implied = [
            m  # "I drive an 18-wheeler" names "18-wheeler" itself: its implied "18-wheeler driver" adds nothing
            for m in self._implied_titles(text, described, excluded)
            if not any(d.start < m.end and m.start < d.end and _ids(d) & _ids(m) for d in matches)
        ]
        matches += implied
        self_regions = cues.self_cue_clauses(text) + [(m.start, m.end, False) for m in implied]
        past_regions = cues.past_clauses(text)
        headings = [(m.start(), m.end()) for m in _HEADING_LINE.finditer(text)] if "\n" in text else []
        evidence: dict[str, float] = defaultdict(float)
        best_match: dict[str, tuple[float, TitleMatch, Tense]] = {}
        for m in matches:
            span = (m.start, m.end)
            cue = 1.0
            tense: Tense = "unknown"
            if cues.inside(span, self_regions):
                cue = SELF_CUE
                tense = "past" if any(r[2] for r in self_regions if r[0] <= span[0] and span[1] <= r[1]) else "current"
            elif headings and cues.inside(span, headings):
                cue = HEADING
            if cues.inside(span, past_regions):
                cue *= PAST
                tense = "past"
            employer = bool(
                _EMPLOYER_BEFORE.search(text[max(0, m.start - 30) : m.start]) or _EMPLOYER_AFTER.match(text, m.end)
            )
            if employer:
                cue *= EMPLOYER
            # said of themselves in the past, right after "a": "I was a doctor in my country" was no doctor (the past
            # tense took the cue below SELF_CUE, and "doctor", a word of everyday prose, was dropped as one); "in the
            # Marines" stays a word
            of_self = cue >= SELF_CUE or (
                cues.inside(span, self_regions)
                and not employer
                and bool(_A_BEFORE.search(text[max(0, m.start - 24) : m.start]))
            )
            length = 0.5 if m.n_words == 1 else 0.8 if m.n_words == 2 else 1.0
            if m.n_words == 1 and len(m.key) <= 4 and not of_self:
                length *= ACRONYM  # "QA" in "QA/QC procedures", "PM" in a schedule: acronyms have many senses
            if m.n_words == 1 and self._plain_word(m) and (not of_self or len(m.key) <= 3):
                continue  # "I do …" is not a D.O.: a short lower-case word is a word even after "I"
            share = 1.0 / math.sqrt(len(m.occupations))
            for oid, weight in m.occupations[:12]:
                w = cue * length * weight * share
                evidence[oid] += w
                if oid not in best_match or w > best_match[oid][0]:
                    best_match[oid] = (w, m, tense)
        # what the person wants is not what they do: goal and negated clauses are blanked before embedding
        kept = cues.blank(text, excluded)
        vec = self.embed(kept[:4000])
        blended = self.vectors @ vec
        work = " ".join(kept[s:e].strip() for s, e in described)
        if work and not evidence and work != " ".join(kept.split()):
            # "I fix leaking pipes and unblock drains. My knees are fine but I want better pay": the rest of the
            # text pulls the whole reading toward podiatrists; the sentences of work alone name the work. The
            # reading that comes closer to an occupation is taken.
            work_vec = self.embed(work[:4000])
            work_sims = self.vectors @ work_vec
            if float(work_sims.max()) > float(blended.max()):
                vec, blended = work_vec, work_sims
        # "I cut hair": a sentence of work is about work, so a weaker match by meaning still names it
        activity = bool(described)
        floor = ACTIVITY_MIN_SEMANTIC if activity and not evidence else MIN_SEMANTIC
        if not evidence and float(blended.max()) < floor:
            return []
        # ... and with no title to go by, which occupation it is, its task statements help decide
        # (eval/data/activities.jsonl: top-1 0.53 -> 0.77); a stated title keeps the blended vector alone
        # ("PR specialist, I write press releases" stays PR, not journalism)
        sims = blended
        if activity and not evidence and self.task_vectors is not None:
            sims = (blended + self.task_vectors @ vec) / 2
        top = np.argsort(-sims)[:MAX_CANDIDATES]
        # the occupations nearest by meaning compete with the titles: "I supervise the admin team" names
        # no title of office supervisors, and "admin" is a title of database administrators
        candidates = set(evidence) | {self.ids[j] for j in top}
        scored = []
        for oid in candidates:
            sim = float(sims[self.index[oid]])
            title_part = 1.0 - math.exp(-evidence.get(oid, 0.0))  # diminishing returns for repeats
            scored.append((title_part + SEMANTIC_WEIGHT * sim, title_part, sim, oid))
        scored.sort(key=lambda s: (-s[0], s[3]))
        top_score = scored[0][0]
        out: list[OccupationLink] = []
        for rank, (score, title_part, sim, oid) in enumerate(scored[:MAX_CANDIDATES]):
            margin = (top_score - scored[1][0]) if rank == 0 and len(scored) > 1 else (0.5 if rank == 0 else 0.0)
            if title_part > 0:
                confidence = min(0.98, 0.35 + 0.45 * title_part + 0.4 * min(margin, 0.5) + 0.3 * max(sim - 0.3, 0))
            else:
                confidence = min(0.7, max(0.05, 1.2 * (sim - floor) + 0.8 * min(margin, 0.3) + 0.2))
            if rank > 0:
                confidence = min(confidence, max(0.05, out[0].confidence * (score / top_score) * 0.8))
            best = best_match.get(oid)
            match = best[1] if best else None
            tense = best[2] if best else "unknown"
            out.append(
                OccupationLink(
                    occupation_id=oid,
                    title=self.titles.titles[oid],
                    confidence=round(confidence, 3),
                    span=Span(start=match.start, end=match.end, text=match.text) if match else None,
                    tense=tense,
                    method=("title+meaning" if match else "meaning"),
                )
            )
        return out

    def _implied_titles(
        self, text: str, described: list[tuple[int, int]], excluded: list[tuple[int, int]]
    ) -> list[TitleMatch]:
        """The titles the work a person describes implies (:func:`cues.derived_titles`), as matches over the words
        they come from: "running a CNC machine" is the title "CNC machine operator". Only in a sentence of work,
        and only a title that is the whole object with the agent noun: "I run the night shift" is not a "shift
        operator", and "operator" alone names hundreds of occupations."""
        out: list[TitleMatch] = []
        by_place: list[TitleMatch] = []
        # where the work was done names it in any sentence about the person ("laid off from a factory job")
        workplace = set(cues.workplace_titles(text))
        own = cues.own_sentences(text) if workplace else []
        for start, end, phrase in cues.derived_titles(text):
            at_place = (start, end, phrase) in workplace
            of_work = cues.inside((start, end), described) or (at_place and cues.inside((start, end), own))
            if not of_work or cues.inside((start, end), excluded):
                continue
            for m in self.titles.scan(phrase):
                if m.start == 0 and m.end == len(phrase) and m.n_words >= 2:  # the whole object: not "night shift"
                    match = TitleMatch(start, end, text[start:end], m.key, m.n_words, m.occupations)
                    (by_place if at_place else out).append(match)
        # what they did there says more than where: "I've worked in a warehouse for 6 years, mostly driving forklifts"
        # is a forklift operator before a warehouse worker
        return out or by_place

    def _plain_word(self, m: TitleMatch) -> bool:
        """A one-word title that is more likely an ordinary word here: "pa" or "ta" in lower case, or a
        word of everyday prose ("former", "model", "host") that only an alternate title lists."""
        if m.key in self.titles.colloquial:
            return False
        if len(m.key) <= 3:
            return not m.text.isupper()
        return m.text.lower() in self.common_words or m.key in self.common_words

    def _semantic_best(self, text: str) -> float:
        return float(np.max(self.vectors @ self.embed(text[:4000])))

    # ------------------------------------------------------------------ skills
    def held_skills(self, text: str, excluded: list[tuple[int, int]] | None = None) -> list[SkillMention]:
        """Skills the text says the person has: alias finds outside goals, wishes and negations."""
        if self.skill_finder is None:
            return []
        excluded = excluded or []
        out: list[SkillMention] = []
        seen = set()
        for hit in self.skill_finder(text):
            spans = [s for s in hit.spans if not cues.inside(tuple(s), excluded)]
            if not spans or hit.confidence < MIN_SKILL_CONFIDENCE or hit.skill_id in seen:
                continue
            seen.add(hit.skill_id)
            start, end = spans[0]
            kind: Literal["skill", "credential"] = "credential" if getattr(hit, "kind", "") == "credential" else "skill"
            out.append(
                SkillMention(
                    skill_id=hit.skill_id,
                    label=hit.label,
                    kind=kind,
                    confidence=round(float(hit.confidence), 3),
                    span=Span(start=start, end=end, text=text[start:end]),
                )
            )
        return out[:40]

    @staticmethod
    def strength_skills(text: str, excluded: list[tuple[int, int]], held: set[str]) -> list[SkillMention]:
        """The strengths the text states (:mod:`retrieval.understanding.strengths`) outside goals, wishes and
        negations, as skills: the first element each names, unless already found."""
        out = []
        for found in strengths(text):
            skill_id = found.skill_ids[0]
            if skill_id in held or cues.inside((found.start, found.end), excluded):
                continue
            held.add(skill_id)
            out.append(
                SkillMention(
                    skill_id=skill_id,
                    label=STRENGTH_LABELS[skill_id],
                    confidence=0.9,
                    span=Span(start=found.start, end=found.end, text=text[found.start : found.end]),
                )
            )
        return out

    # ------------------------------------------------------------------ goals
    def resolve_goal(self, target: str, span: Span | None = None, learn: bool = False) -> Goal | None:
        """A goal's target → a field, an occupation or a skill.

        The reading that covers most of the target's words wins ("supply chain management" is the
        logistics field, not "management"; "HR manager" is the occupation, not the HR field); at equal
        cover a field wins over a title, as the field table is curated. "learn X" tries skills first.
        Nothing found by name: the nearest field or occupation by meaning, when near enough."""
        target = target.strip()
        key = title_key(target)
        if not key:
            return None
        if learn:
            skill = self._skill_goal(target, span)
            if skill:
                return skill
        best: tuple[float, int, Goal] | None = None

        def consider(cover: float, rank: int, goal: Goal) -> None:
            nonlocal best
            if best is None or (cover, -rank) > (best[0], -best[1]):
                best = (cover, rank, goal)

        inner: list[tuple[str, CareerField]] = []
        for fkey, f in self._field_keys:
            if fkey == key:
                consider(1.0, 0, self._field_goal(target, f, span, 1.0))
            elif (len(fkey) > 2 or fkey.upper() in target) and re.search(rf"(?<![\w]){re.escape(fkey)}(?![\w])", key):
                if not any(fkey in k for k, _f in inner):  # "supply chain" inside "supply chain management"
                    inner.append((fkey, f))
        for fkey, f in inner:
            consider(len(fkey) / len(key), 0, self._field_goal(target, f, span, 0.85))
        combined = self._intersection(target, [f for _k, f in inner], span)
        if combined is not None:
            # "HR management": both fields at once, the occupations in each (HR managers)
            consider(sum(len(k) for k, _f in inner) / len(key), 0, combined)
        fixes = self.spelling.corrections(target) if self.spelling is not None else {}
        fixed = self.spelling.correct_phrase(target, fixes) if self.spelling is not None else None
        exact = self.titles.lookup(target)
        if not exact and fixed and (exact := self.titles.lookup(fixed)):
            target = fixed  # named back as the title it misspells ("Your goal: electrician", not "electrition")
        if exact:
            consider(1.0, 1, self._occupation_goal(target, exact, span, 0.9))
        else:
            for m in self.titles.scan(target, fixes):
                if m.n_words > 1 or not self._plain_word(m):
                    consider(len(m.key) / len(key), 1, self._occupation_goal(target, list(m.occupations), span, 0.8))
        if best is not None and best[0] >= CLEAR_COVER:
            return best[2]
        # a weak reading by name ("therapy" in "physical therapy") gives way to a clear one by meaning
        meaning = self._semantic_goal(target, span)
        if meaning is not None and (best is None or meaning.confidence >= CLEAR_MEANING):
            return meaning
        if best is not None and best[0] >= 0.3:
            return best[2]
        return self._skill_goal(target, span)

    def _wish_goal(self, wish: cues.GoalPhrase) -> Goal | None:
        """The goal a wish names; for what a person enjoys, the work nearest it by meaning when nothing names it
        ("fixing cars and working with my hands", "sports and staying fit" resolve to no field or title)."""
        if wish.interest and cues.vague_interest(wish.said or wish.text):
            return None  # "I like working with people": no kind of work to go by
        span = Span(start=wish.target[0], end=wish.target[1], text=wish.text)
        goal = self.resolve_goal(wish.text, span=span, learn=wish.learn)
        if wish.interest and wish.said != wish.text and (goal is None or goal.kind != "field"):
            # "working with kids" is the childcare field; its target alone, "kids", is nearest pediatric surgeons
            said = self.resolve_goal(wish.said, span=span)
            if said is not None and said.kind == "field":
                goal = said
        if wish.interest and (goal is None or goal.kind != "field"):
            # one occupation is too narrow a frame for what someone enjoys: "drawing and video games" named Video
            # Game Designers, whose SOC group is software developers; by meaning it is animators, designers, artists
            goal = self._interest_goal(wish.said or wish.text, span, studied=wish.studied) or goal
        if goal is not None and wish.interest:
            goal.interest, goal.text = True, wish.said or goal.text  # named back in their words
            goal.studied = wish.studied
        return goal

    def _interest_goal(self, target: str, span: Span | None, *, studied: bool = False) -> Goal | None:
        """The SOC groups of the :data:`INTEREST_OCCUPATIONS` occupations nearest what a person enjoys, when the
        nearest is at least :data:`INTEREST_MIN` near: a field of their own, not one table entry. For what they
        studied, postsecondary teachers (SOC 25-1) are not among them: their titles are the subjects' names
        ("Computer Science Teachers, Postsecondary"), so "I majored in computer science" read as university
        teaching, which takes a doctorate."""
        sims = self._occupation_sims(self.embed(cues.specific_interest(target)))
        if studied:
            sims = np.where([oid.startswith("25-1") for oid in self.ids], -1.0, sims)
        top = [j for j in np.argsort(-sims)[:INTEREST_OCCUPATIONS] if sims[j] >= INTEREST_MIN]
        if not top:
            return None
        prefixes = list(dict.fromkeys(self.ids[j][:7] for j in top))
        return Goal(
            text=target, kind="field", soc_prefixes=prefixes, confidence=round(float(sims[top[0]]), 3), span=span
        )

    def _intersection(self, target: str, fields: list[CareerField], span: Span | None) -> Goal | None:
        names = list(dict.fromkeys(f.name for f in fields))
        if len(names) < 2:
            return None
        codes = [oid for oid in self.ids if all(any(oid.startswith(p) for p in f.soc_prefixes) for f in fields)]
        if not codes:
            return None
        return Goal(text=target, kind="field", field=" + ".join(names), soc_prefixes=codes, confidence=0.85, span=span)

    @staticmethod
    def _occupation_goal(
        target: str, occupations: list[tuple[str, float]], span: Span | None, confidence: float
    ) -> Goal:
        top = occupations[0][1]
        ids = [oid for oid, w in occupations if w >= top - 1e-9][:3]
        return Goal(
            text=target,
            kind="occupation",
            occupation_ids=ids,
            soc_prefixes=sorted({o[:7] for o in ids}),
            confidence=confidence,
            span=span,
        )

    @staticmethod
    def _field_goal(target: str, f: CareerField, span: Span | None, confidence: float) -> Goal:
        return Goal(
            text=target, kind="field", field=f.name, soc_prefixes=list(f.soc_prefixes), confidence=confidence, span=span
        )

    def _skill_goal(self, target: str, span: Span | None) -> Goal | None:
        if self.skill_lookup is None:
            return None
        ids = self.skill_lookup(target)[:3]
        if not ids:
            return None
        return Goal(text=target, kind="skill", skill_ids=ids, confidence=0.8, span=span)

    def _occupation_sims(self, vec: np.ndarray) -> np.ndarray:
        """Cosine of ``vec`` to every occupation: the better of its blended vector and its title's."""
        sims = self.vectors @ vec
        if self.title_vectors is not None:
            # "dental hygiene" is nearest to the title "Dental Hygienists"; the blended vector prefers Dentists
            sims = np.maximum(sims, self.title_vectors @ vec)
        return sims

    def nearest_titles(self, text: str, n: int) -> list[tuple[str, str]]:
        """The ``n`` occupations nearest ``text`` by meaning as ``(id, title)``, "All Other" catch-alls
        only to fill up: the suggestions offered when a typed occupation matches no title."""
        order = [self.ids[j] for j in np.argsort(-self._occupation_sims(self.embed(text)))[: 4 * n]]
        named = [o for o in order if "All Other" not in self.titles.titles[o]]
        picked = (named + [o for o in order if o not in named])[:n]
        return [(oid, self.titles.titles[oid]) for oid in picked]

    def _semantic_goal(self, target: str, span: Span | None) -> Goal | None:
        """A target no table names ("helping animals", "something with numbers"): the nearest field
        name or occupation by meaning, when near enough."""
        vec = self.embed(target)
        if self._field_vectors is None:
            self._field_vectors = np.stack([self.embed(f"{f.name}: {', '.join(f.aliases[:6])}") for f in FIELDS])
        field_sims = self._field_vectors @ vec
        j = int(np.argmax(field_sims))
        if field_sims[j] >= 0.5:
            return self._field_goal(target, FIELDS[j], span, round(float(field_sims[j]), 3))
        sims = self._occupation_sims(vec)
        k = int(np.argmax(sims))
        if sims[k] >= SEMANTIC_GOAL:
            oid = self.ids[k]
            return Goal(
                text=target,
                kind="occupation",
                occupation_ids=[oid],
                soc_prefixes=[oid[:7]],
                confidence=round(float(sims[k]), 3),
                span=span,
            )
        return None
