"""Deterministic composer: writes a whole explanation draft from the evidence, with no LLM.

Used when the LLM is down, slow, invalid or unfaithful, as the no-LLM baseline, and to produce SFT
golden data (its drafts pass the verifier by construction and mention the decisive skills). The
phrasing varies between a handful of templates, chosen by a seed derived from the evidence and the
variant name, so the same request always reads the same (stable ids, cacheable, testable) while a
corpus of explanations does not repeat one sentence (unique-sentence ratio) and a variant can ask
for a different wording of the same facts (DPO pairs within one impression).

True about the person: "you already show", "you bring", "your background ... including" are written
only about *stated* skills (typed, or in the person's text). Skills only the current occupation gives
(``provenance == "inferred"``) are written as likely ("as a firefighter you have likely used Microsoft
Excel") and never in the same clause as a claim of having them; :func:`app.explain.verify.provenance_errors`
checks exactly that, so a composer draft never has one. Labels go through
:mod:`app.explain.phrasing` so verb-phrase skills read "the ability to lead a team" in every slot, and
verbs agree with the number of skills.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

from app.explain.evidence import Evidence, EvidenceSkill, mention_order
from app.explain.phrasing import agree, role_phrase, skill_phrase
from app.explain.schema import (
    MAX_CITES_PER_CLAIM,
    MAX_LLM_MATCHED,
    MAX_LLM_MISSING,
    MAX_LLM_STEPS,
    DraftMatched,
    DraftStep,
    LLMDraft,
)
from retrieval.skills.evidence import stable_hash

T = TypeVar("T")

COMPOSER_NAME = "composer-v1"

_FIT_WORD = {"strong": "strong", "possible": "realistic", "stretch": "stretch"}
_FIT_PHRASE = {"strong": "a natural move", "possible": "within reach", "stretch": "a stretch for now"}

SUMMARIES_BOTH = [
    "{title} is a {fitword} next step: you already show {top}, which the role relies on, and {gap} is the main skill to build.",
    "Your background covers {pct}% of what {title} asks for, including {top}; the biggest gap is {gap}.",
    "You bring {top} to {title}, so the move is {fitphrase}; building {gap} would close the most important gap.",
    "For {title}, you already show {top}, while {gap} is still missing from your profile.",
    "{top} from your experience {carry} over to {title}; {gap} is what stands between you and the role.",
    "With {top} in hand, {title} looks {fitphrase}; focus next on {gap}.",
]
SUMMARIES_MATCH_ONLY = [
    "{title} is a {fitword} next step: you already show {top}, and no major requirement is missing.",
    "Your background covers {pct}% of what {title} asks for, including {top}, with no major gap.",
    "You bring {top} to {title}; the evidence shows no important requirement you lack.",
]
SUMMARIES_GAP_ONLY = [
    "{title} would be a {fitword} move: your profile does not yet show its core skills, starting with {gap}.",
    "Your profile covers {pct}% of what {title} asks for; {gap} is the first skill to build.",
]
# Only the current occupation gives the matched skills: say they are likely, never that the person has them.
SUMMARIES_INFERRED_BOTH = [
    "{as_role} you have likely {used} {inf}, which {title} also asks for; {gap} is the main skill to build.",
    "{title} asks for {inf}, which {work} has probably involved; the biggest gap is {gap}.",
    "{work} has likely involved {inf}, a start for {title}; focus next on {gap}.",
]
SUMMARIES_INFERRED_ONLY = [
    "{as_role} you have likely {used} {inf}, which {title} also asks for, and no major requirement is missing.",
    "{title} asks for {inf}, which {work} has probably involved; the evidence shows no important requirement missing.",
]
#: Below this share of the target covered, no summary quotes the percentage: "Your profile covers 0% of what
#: Information Security Analysts asks for" (an infantry veteran, browser walk) says nothing a person can use.
MIN_COVERAGE_SAID = 10
SUMMARY_EMPTY = "There is too little evidence to compare your profile with {title}; add your skills or experience."

STEP_COURSE = [
    'Take the course "{course}" to build {skill}.',
    'Start with "{course}", which teaches {skill}.',
    'Close the gap in {skill} with the course "{course}".',
]
# A gap no course of the catalogue teaches well enough (retrieval/courses/relevance.py): say so, and point to practice.
STEP_SKILL = [
    "No course in the catalogue teaches {skill} yet; build it through a project or volunteer work that uses it.",
    "Get practice with {skill}, which {title} rates as important, in your current work or a side project.",
    "No course here covers {skill} yet: look for a project, certificate or volunteer role that shows it.",
]
# A gap learned hands-on (operating a crane, keeping heavy equipment in good condition): "a project or volunteer work"
# is no way into it; training on the job, an apprenticeship or a certification course is.
STEP_HANDS_ON = [
    "No course in the catalogue teaches {skill}; it is learned hands-on, through on-the-job training, an "
    "apprenticeship or a certification course.",
    "Build {skill} through on-the-job training or a certification course, which employers often provide.",
]
# A gap the person has in part: the target needs more of it than their current work gives. "No course in the
# catalogue teaches Biology yet" was untrue (it holds introductory ones, too basic here) and "volunteer work"
# was no advice for an RN who needs biology at a nurse practitioner's level.
STEP_DEEPER = [
    "Take {skill} further than your current work does: {title} needs more of it, from advanced study or a mentor.",
    "Build on your {skill}: {title} asks for a higher level, so look for advanced training or a stretching project.",
]
STEP_HIGHLIGHT = [
    "Put {skills} first when you apply for {title} roles.",
    "Highlight {skills} in your résumé for {title}.",
]
STEP_HIGHLIGHT_INFERRED = [
    "If {work} involved {skills}, put {them} first when you apply for {title} roles.",
    "If you have used {skills} {as_role_lc}, say so in your résumé for {title}.",
]


def _once_per_label(items: list[T], label: Callable[[T], str]) -> list[T]:
    """``items`` with each label (case aside) once, where it first comes: O*NET rates Mathematics both as a
    skill and as a knowledge area, and a teller's summary read "Economics and Accounting, Mathematics and
    Mathematics" (seen in the browser)."""
    first: dict[str, T] = {}
    for item in items:
        first.setdefault(label(item).lower(), item)
    return list(first.values())


def join_labels(labels: list[str]) -> str:
    labels = _once_per_label([label for label in labels if label], str)
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def seed_for(evidence: Evidence, variant: str | None) -> int:
    return int(stable_hash({"evidence": evidence.key, "variant": variant or "default"}, 8), 16)


def _by_importance(skills: list[EvidenceSkill]) -> list[EvidenceSkill]:
    """In :func:`app.explain.evidence.mention_order`: of a truck driver's inferred skills, Transportation
    before the Microsoft Excel that 859 of 923 occupations list."""
    return sorted(
        skills,
        key=lambda s: mention_order(s.kind, s.provenance == "inferred", s.salience, s.importance, s.label, s.id),
    )


def decisive(evidence: Evidence, n: int = 3) -> list[EvidenceSkill]:
    """The decisive matched skills: the top ``n`` by salience, then importance (what FMR checks for)."""
    return _by_importance(evidence.matched)[:n]


def role_fields(evidence: Evidence) -> dict[str, str]:
    """How the composer names the person's current occupation: "As a firefighter", "your work as a
    firefighter" (or "your current occupation" for a title that does not make one person)."""
    role = role_phrase(evidence.occupation_title)
    return {
        "as_role": f"As {role}" if role else "In your current occupation",
        "as_role_lc": f"as {role}" if role else "in your current occupation",
        "work": f"your work as {role}" if role else "your current occupation",
    }


def _gap_phrase(skill: EvidenceSkill) -> str:
    """The first gap as the summary names it. One the person has in part (their work gives it at a lower level)
    says so: an EMT's list read "Paramedics asks for ... Psychology, which your work has probably involved" and,
    two lines below, "Registered Nurses ...: the biggest gap is Psychology"."""
    phrase = skill_phrase(skill.label)
    return f"{phrase} at a higher level" if skill.reason == "deeper" else phrase


def summary_options(evidence: Evidence) -> list[str]:
    """Every summary the composer can write for ``evidence`` (one per template of its case: stated
    skills and a gap, only one of them, inferred skills with or without a gap, only a gap, or
    nothing); the grammar's summary menu when ``WAYPOINT_EXPLAIN_GRAMMAR=closed``. The skills named
    as the person's are the top stated ones; inferred ones are named as likely only when nothing is
    stated (see the module docstring)."""
    stated = _once_per_label(_by_importance(evidence.stated()), lambda s: s.label)[:3]
    inferred = _once_per_label(_by_importance(evidence.inferred()), lambda s: s.label)[:3]
    gaps = evidence.missing[:1]
    pct = round(evidence.coverage * 100)
    fields = dict(
        title=evidence.item.title,
        fitword=_FIT_WORD[evidence.fit.value],
        fitphrase=_FIT_PHRASE[evidence.fit.value],
        pct=pct,
        top=join_labels([skill_phrase(s.label) for s in stated]),
        carry=agree(len(stated), "carries", "carry"),
        inf=join_labels([skill_phrase(s.label) for s in inferred]),
        used="used" if inferred and all(s.kind == "technology" for s in inferred) else "drawn on",
        gap=_gap_phrase(gaps[0]) if gaps else "",
        **role_fields(evidence),
    )
    if stated and gaps:
        templates = SUMMARIES_BOTH
    elif stated:
        templates = SUMMARIES_MATCH_ONLY
    elif inferred and gaps:
        templates = SUMMARIES_INFERRED_BOTH
    elif inferred:
        templates = SUMMARIES_INFERRED_ONLY
    elif gaps:
        templates = SUMMARIES_GAP_ONLY
    else:
        templates = [SUMMARY_EMPTY]
    if pct < MIN_COVERAGE_SAID:
        templates = [t for t in templates if "{pct}" not in t]
    return [text[0].upper() + text[1:] for text in (t.format(**fields) for t in templates)]


def compose_summary(evidence: Evidence, rng: random.Random) -> str:
    return rng.choice(summary_options(evidence))


def step_options(evidence: Evidence, skill: EvidenceSkill) -> tuple[list[str], list[str]]:
    """The citations and the phrasings of the next step that closes ``skill``'s gap: its first course
    (course + gap citations) when the evidence has one, otherwise practice (the gap citation) -- or, for a
    gap the person has in part (``reason == "deeper"``), going further than their current work."""
    gap_cites = [c for c in skill.citations if (cit := evidence.citation(c)) is not None and cit.role == "missing"]
    course_cites = [c for c in skill.citations if (cit := evidence.citation(c)) is not None and cit.role == "course"]
    name = skill_phrase(skill.label)
    if skill.courses and course_cites:
        return (
            [course_cites[0]] + gap_cites[:1],
            [t.format(course=skill.courses[0].title, skill=name) for t in STEP_COURSE],
        )
    templates = STEP_DEEPER if skill.reason == "deeper" else STEP_HANDS_ON if skill.hands_on else STEP_SKILL
    return gap_cites[:1] or skill.citations[:1], [t.format(skill=name, title=evidence.item.title) for t in templates]


def step_choices(evidence: Evidence) -> list[tuple[list[str], list[str]]]:
    """(citations, phrasings) of every grounded step this evidence allows: the grammar's step menu
    when ``WAYPOINT_EXPLAIN_GRAMMAR`` is ``steps`` or ``closed`` (see :func:`app.explain.schema.llm_json_schema`).

    Only for the gaps the page lists (the first ``MAX_LLM_MISSING``): a step about a fifth gap ("no course
    teaches Atlassian HipChat yet") under a list of three reads as if it came from nowhere."""
    gaps = [
        (cites, texts)
        for cites, texts in (step_options(evidence, s) for s in evidence.missing[:MAX_LLM_MISSING])
        if cites
    ]
    if gaps:
        return gaps
    # nothing to close: the step the composer writes then ("Put X first when you apply"); before, the grammar
    # left the step free here and the shipped adapter wrote "Microsoft Excel: c1" for a pasted résumé
    cites, texts = highlight_step(evidence)
    return [(cites, texts)] if cites else []


def highlight_step(evidence: Evidence) -> tuple[list[str], list[str]]:
    """(citations, phrasings) of the step for an item with no gap to close: put forward the person's top
    stated skills (or, only inferred, the occupation's, as a condition, never "you have"), citing the item's
    requirements; ``([], [])`` when nothing is matched."""
    stated = _by_importance(evidence.stated())[:2]
    top = stated or _by_importance(evidence.inferred())[:2]
    req = [
        c for s in top for c in s.citations if (cit := evidence.citation(c)) is not None and cit.role == "requirements"
    ][:1]
    if not req:
        return [], []
    names = join_labels([skill_phrase(s.label) for s in top])
    if stated:
        return req, [t.format(skills=names, title=evidence.item.title) for t in STEP_HIGHLIGHT]
    return req, [
        t.format(skills=names, title=evidence.item.title, them=agree(len(top), "it", "them"), **role_fields(evidence))
        for t in STEP_HIGHLIGHT_INFERRED
    ]


def claims(evidence: Evidence) -> list[DraftMatched]:
    """The matched-skill claims an explanation makes, in the order it lists them, each with every citation
    that states its skill (up to ``MAX_CITES_PER_CLAIM``): the composer writes all of them, the LLM's grammar
    offers their prefixes (:func:`app.explain.schema.llm_json_schema`).

    Which ones: the decisive skills (FMR), then what the person stated, then the rest by importance, so a
    stated skill is not crowded out by the occupation's rows; listed in the evidence's order."""
    from app.explain.verify import supports

    order = [
        s.name for s in (*decisive(evidence), *_by_importance(evidence.stated()), *evidence.matched) if s.citations
    ]
    chosen = set(list(dict.fromkeys(order))[:MAX_LLM_MATCHED])
    out = []
    for s in evidence.matched:
        cites = [c for c in s.citations if supports(evidence, c, s)][:MAX_CITES_PER_CLAIM]
        if s.name in chosen and cites:
            out.append(DraftMatched(skill=s.name, evidence=cites))
    return out


def compose(evidence: Evidence, variant: str | None = None) -> LLMDraft:
    """A complete draft (same shape the LLM writes) from ``evidence``, deterministic per variant."""
    rng = random.Random(seed_for(evidence, variant))
    matched = claims(evidence)
    missing = [s.name for s in evidence.missing[:MAX_LLM_MISSING]]
    steps: list[DraftStep] = []
    for s in evidence.missing[:MAX_LLM_MISSING]:
        if len(steps) >= MAX_LLM_STEPS:
            break
        cites, texts = step_options(evidence, s)
        text = rng.choice(texts)
        if cites:
            steps.append(DraftStep(text=text, citations=cites))
    if not steps and evidence.matched:
        cites, texts = highlight_step(evidence)
        if cites:
            steps.append(DraftStep(text=rng.choice(texts), citations=cites))
    return LLMDraft(
        matched_skills=matched,
        missing_skills=missing,
        fit=evidence.fit.value,
        summary=compose_summary(evidence, rng),
        next_steps=steps,
    )
