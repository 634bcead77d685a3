"""The Gradio chat UI, mounted at ``/ui`` on the FastAPI app.

A person describes themselves (chat or résumé upload), sees recommended occupations (and jobs and
courses where the build has them) with explanations, asks "Am I a good fit for X?", edits what
Waypoint believes about them (occupation, skills, goal, a physical limit: each shown with the words it came
from, see :func:`render_beliefs`), and gives feedback: helpful / not helpful with a reason, "Why?"
(a click: the full explanation opens) and dwell (how long an explanation stays open, logged when it
is closed or another one opens). Every handler calls :class:`app.api.services.WaypointService`, the
same code path as the REST API, so the events the UI produces are the ones the API produces.

What a message is for (a fit question, something about the person, small talk) is decided by
:mod:`app.ui.routing`; what it says, by the understanding (``WaypointService.understand``). Text the
understanding cannot use (not English, nonsense, no occupation) is answered with its message, never
with a guess; a goal ("I want to move into finance") turns the list into a transition list, and the
answer says so.

Stable ``elem_id``s for browser tests: ``chat``, ``chat-input``, ``chat-send``, ``resume-upload``,
``believes-panel``, ``profile-occupation``, ``profile-skills``, ``profile-goal``, ``profile-limit``, ``profile-schooling``, ``profile-remote``, ``profile-leave``, ``profile-save``,
``recs``, ``why-btn``, ``explanation``, ``thumbs-up``, ``thumbs-down``, ``thumbs-reason``, ``close-btn``,
``feedback-status``.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import gradio as gr

from app.api.explain_stream import open_explanation_stream
from app.api.services import DETERMINISTIC, ServiceError, WaypointService
from app.explain.composer import join_labels
from app.feedback.policies import next_sample_variant
from app.feedback.store import THUMBS_REASONS
from app.ui.choices import Choice
from app.ui.files import MAX_FILE_BYTES, FileError, read_resume, upload_folder
from app.ui.routing import Route, route, says_something
from retrieval.jobs.levels import day_wish, steady_wish, weekday_wish
from retrieval.jobs.location import describe, nearby, parse_place
from retrieval.occupations.about import OccupationFacts, degree_asked
from retrieval.occupations.military import civilian
from retrieval.occupations.transitions import in_prefixes
from retrieval.profile import Profile
from retrieval.understanding import cues
from retrieval.understanding.keys import title_key
from retrieval.understanding.leaving import FOREIGN_CREDENTIAL
from retrieval.understanding.linker import NO_OCCUPATION
from retrieval.understanding.schema import Goal, Span, Understanding

log = logging.getLogger("waypoint.ui")

UI_PATH = "/ui"
RECOMMEND_K = 5
POSTINGS_K = 8  # job postings listed when the person asks for them
NEARBY_POOL = 8  # a request that names a place looks this many times deeper for postings there
MAX_PROFILE_TEXT = 20_000
REASON_LABELS = {
    "not_relevant": "Not relevant to me",
    "wrong_skill": "A skill is wrong",
    "missing_skill": "A skill is missing",
    "too_generic": "Too generic",
    "other": "Other",
}
CONFIDENT = 0.75  # a detected occupation this sure is used as the person's occupation (retrieval's CONFIDENT)
SHOWN_SKILLS = 12
# Better pay: the catalogue has no wage figures, so the lists go by how much training and experience work needs (O*NET
# job zones), which pay follows; said as such (retrieval.understanding.recommend.PersonalRanking.toward_better_pay)
PAY_NOTE = (
    "I'll put first work that asks for more training or experience than yours, which usually pays more, and leave out "
    "part-time postings — I have no wage figures to go by"
)
#: what a wish for work away from a desk keeps (retrieval.occupations.corpus.OccupationCorpus.away_from_desk)
DESK_WAY = "work done in person, away from a desk and a screen"
#: how the postings answer a wish for day work (O*NET's work schedules are not in the data)
DAYS_NOTE = (
    "I'll leave out postings that say they are night or overnight shifts; my data doesn't say which occupations work "
    "nights, so ask about the hours before you apply"
)
WEEKDAYS_NOTE = (
    "I'll leave out postings that say they are weekend work; my data doesn't say which occupations work weekends, so "
    "ask about the schedule before you apply"
)
#: how the postings answer a wish for part-time or flexible hours (the occupation list does not change)
HOURS_WAY = "postings that say they are part time or have flexible hours"
PAY_WAY = (
    "work that usually pays more than yours first (it asks for more training or experience; no wage figures), no "
    "part-time postings"
)
PAY_NEEDS_WORK = "You'd like better pay, so I'll put first work that asks for more training or experience than yours"
# How a skill learned hands-on is learned (operating a crane; retrieval.skills.gap.learned_hands_on)
HANDS_ON_WAY = "on-the-job training, an apprenticeship or a certification course"
#: O*NET knowledge areas' ids ("onet:2.C.8.b" Law and Government): the subjects a degree teaches
KNOWLEDGE_AREA = "onet:2.C."
QUOTE_CHARS = 90
WRITING = "Writing the explanation…"  # an explanation's panel while it streams (render_explanation)
CSS = """
#explanation {min-height: 120px}
#feedback-status {min-height: 1.5em}
#believes-panel {min-height: 3em}
#believes-panel p, #believes-panel li {margin: 0.15em 0}
.waypoint-fit {font-weight: 600}
.waypoint-from {color: #6b7280; font-size: 0.92em}
"""
WELCOME = (
    "Hi! Tell me about yourself — what you do now, your skills, what you enjoy — or upload your résumé. "
    "I'll suggest occupations and explain each suggestion. You can also ask *“Am I a good fit for data "
    "scientist?”*"
)
HELP = (
    "I'm Waypoint, a career guide. Tell me what you do (or upload your résumé), and where you'd like to go "
    "(“I'm a firefighter and I want to move into finance”) — I'll suggest occupations and explain them. "
    "You can also ask *“Am I a good fit for data scientist?”*"
)


# ------------------------------------------------------------------------------------------------ state
def _new_state() -> dict:
    """The conversation. ``profile`` is what recommendations and explanations use; ``beliefs`` is where each
    part of it came from (the person's words, or "set by you"), for the panel."""
    return {
        "session_id": None,
        "profile": {
            "occupation": None,
            "occupation_id": None,
            "skills": [],
            "text": None,
            "goal": None,
            "avoid_physical": None,  # set by the person in the panel; None: what their words say
            "avoid_schooling": None,  # likewise for "no going back to school"
            "remote": None,  # likewise for "want something remote"
            "leave_own_work": None,  # likewise for "I'm a teacher and I hate it"
            "better_pay": None,  # likewise for "I want to make more money"
            "outdoors": None,  # likewise for "I want to work outdoors"
            "away_from_desk": None,  # likewise for "I can't sit at a desk all day", "less screen time"
            "part_time": None,  # likewise for "a part-time job", "fits around my kids' school hours"
        },
        "beliefs": {"occupation": None, "candidates": [], "skills": {}, "goal": None},
        "recs": [],
        "impression_id": None,
        "explanations": {},
        "open": None,
    }


def _session(state: dict) -> str:
    if not state.get("session_id"):
        state["session_id"] = "ui-" + uuid.uuid4().hex[:16]
    return state["session_id"]


def _profile(state: dict) -> Profile:
    """The person as the recommenders see them. The occupation is passed only when it is sure (the
    person set it, or it was detected with confidence); an uncertain one is left to the text, which the
    recommender blends over the candidates."""
    p = state["profile"]
    return Profile(
        occupation=p.get("occupation_id") or None,
        skills=list(p.get("skills") or []),
        text=p.get("text") or None,
        goal=p.get("goal") or None,
        avoid_physical=_said_or_set(state, "avoid_physical", "limit"),
        avoid_schooling=_said_or_set(state, "avoid_schooling", "schooling"),
        remote=_said_or_set(state, "remote", "remote"),
        leave_own_work=_said_or_set(state, "leave_own_work", "leaving"),
        better_pay=_said_or_set(state, "better_pay", "pay"),
        outdoors=_said_or_set(state, "outdoors", "outdoor"),
        away_from_desk=_said_or_set(state, "away_from_desk", "desk"),
        part_time=_said_or_set(state, "part_time", "hours"),
    )


def _said_or_set(state: dict, key: str, belief: str) -> bool | None:
    """A limit for the recommenders: the panel's tick box when the person set it, True when their words said it
    (in any message: "I can't afford college" alone is not kept as text to match, yet the list that follows
    keeps to it), else None (the text decides)."""
    set_by_person = state["profile"].get(key)
    return set_by_person if set_by_person is not None else (True if state["beliefs"].get(belief) else None)


#: an occupation linked this unsure is not offered as "It could also be ..." in the panel
CANDIDATE_MIN = 0.15


def _flag(state: dict, key: str, belief: str) -> bool:
    """A limit the lists apply: the panel's tick box (``profile[key]``) when the person set it, else whether their
    words said it (``beliefs[belief]``)."""
    set_by_person = state["profile"].get(key)
    return bool(state["beliefs"].get(belief)) if set_by_person is None else set_by_person


def _avoids_physical(state: dict) -> bool:
    """Whether the lists leave physically demanding work out."""
    return _flag(state, "avoid_physical", "limit")


def _avoids_schooling(state: dict) -> bool:
    """Whether the lists stay within reach without a degree."""
    return _flag(state, "avoid_schooling", "schooling")


def _wants_remote(state: dict) -> bool:
    """Whether the lists keep to work that can be done from home."""
    return _flag(state, "remote", "remote")


def _leaves_own_work(state: dict) -> bool:
    """Whether the lists leave the person's own kind of work out."""
    return _flag(state, "leave_own_work", "leaving")


def _wants_part_time(state: dict) -> bool:
    """Whether postings that say they are part time or flexible come first."""
    return _flag(state, "part_time", "hours")


def _wants_outdoors(state: dict) -> bool:
    """Whether the lists keep to work done outdoors."""
    return _flag(state, "outdoors", "outdoor")


def _wants_away_from_desk(state: dict) -> bool:
    """Whether the lists keep to work done in person, away from a desk and a screen."""
    return _flag(state, "away_from_desk", "desk")


def _wants_better_pay(state: dict) -> bool:
    """Whether the lists put work that usually pays more than the person's first."""
    return _flag(state, "better_pay", "pay")


_WORD = re.compile(r"[a-z0-9]+")
_NOT_A_NAME = frozenset(
    {"a", "an", "the", "job", "jobs", "work", "role", "roles", "one", "as", "being", "be", "for", "me"}
)


def _on_the_list(recs: list[dict], named: str) -> dict | None:
    """The occupation on the person's list that ``named`` names by its words ("why police?": Police and Sheriff's
    Patrol Officers, the first listed when several do); None when none does. A short name read against the whole
    catalogue was another occupation: "police" alone is an alternate title of a secretary."""

    def stem(word: str) -> str:
        return word[:-1] if word.endswith("s") and len(word) > 3 else word

    said = [stem(w) for w in _WORD.findall(named.lower()) if w not in _NOT_A_NAME]
    if not said:
        return None
    for rec in recs:
        if rec.get("kind", "occupation") != "occupation":
            continue
        title = [stem(w) for w in _WORD.findall(rec["title"].lower())]
        if all(any(t.startswith(w) for t in title) for w in said):
            return rec
    return None


def _has_profile(state: dict) -> bool:
    p = state["profile"]
    return bool(p.get("occupation") or p.get("skills") or p.get("text"))


# Where a quote ends: a sentence or a line, or "…, and I …" / "… but my …" / "…, my …" joining two statements
# ("truck driver 10 years, my back is done": the occupation's words are the first part).
_QUOTE_BOUNDARY = re.compile(
    r"[!?;\n•|]|\.(?=\s|$)|,?\s+\b(?:and|but|so|though|although|because|while)\s+"
    r"(?=(?:i|i'm|im|i've|i'd|my|now|currently)\b)|,\s+(?=my\b)",
    re.I,
)


def _quote(text: str, span: Span | None) -> str | None:
    """The clause (or line) of ``text`` that ``span`` lies in, cut to about :data:`QUOTE_CHARS` around
    the span: what the panel shows as "from: '…'" ("I'm a firefighter", "I want to move into finance")."""
    if span is None or not text:
        return None
    start, end = 0, len(text)
    for m in _QUOTE_BOUNDARY.finditer(text):
        if m.end() <= span.start:
            start = m.end()
        elif m.start() >= span.end:
            end = m.start()
            break
    cut_start, cut_end = start, end
    if end - start > QUOTE_CHARS:  # a long sentence: the words around the span, cut at spaces
        half = max(0, (QUOTE_CHARS - (span.end - span.start)) // 2)
        cut_start, cut_end = max(start, span.start - half), min(end, span.end + half)
        if cut_start > start:
            cut_start = min(span.start, text.find(" ", cut_start) + 1 or span.start)
        if cut_end < end:
            cut_end = max(span.end, text.rfind(" ", span.end, cut_end))
    quote = " ".join(text[cut_start:cut_end].split())
    return ("…" if cut_start > start else "") + quote + ("…" if cut_end < end else "")


#: The note for a person with no occupation in their words but a goal (a school leaver, someone back from years at
#: home): the list goes by what they would like to do, and a job title is welcome but not asked for.
# A person saying they have a criminal record ("I have a felony", "I was in prison for 3 years"): heard, and said
# honestly what Waypoint can and cannot tell; "I have a criminal record, what jobs can I get?" was asked for a job title
_RECORD_SAID = re.compile(
    r"\b(?:i\s+have|i'?ve\s+got|i\s+got|with|i'?m\s+an?|i\s+am\s+an?)\s+(?:a\s+)?(?:criminal\s+(?:record|background|"
    r"history|conviction)|felony|felonies|conviction|record(?!\s+(?:of|for|in|with|number|sales))|ex[- ]?(?:con|offender)|"
    r"felon)\b|"
    r"\b(?:i\s+was|i'?ve\s+been|i\s+have\s+been|just\s+got\s+out\s+of|released\s+from)\s+(?:in\s+)?(?:jail|prison)\b|"
    r"\bi'?m\s+on\s+(?:parole|probation)\b",
    re.I,
)
RECORD_NOTE = (
    "A record can rule out some work (jobs that need a professional license or a clean background check), but many "
    "employers hire people with one; the postings here don't say which do, so ask each employer about its policy."
)
# "I was a doctor in my country but my license isn't valid here" (retrieval.understanding.leaving: their own licensed
# work is left out of the lists until it is recognised)
_CREDENTIAL_SAID = re.compile(FOREIGN_CREDENTIAL, re.I)
CREDENTIAL_NOTE = (
    "A license or degree from another country usually has to be recognised here (an evaluation of your credentials, "
    "exams, and for some work supervised practice) before you can work in a licensed occupation; the licensing board of "
    "your profession says what it takes. Meanwhile the lists start from what carries over."
)
ASK_ABOUT_THEM = (
    "Plenty of work fits that. To find which, tell me a little about yourself: any job you've had (part-time or "
    "volunteering counts), or what you enjoy or are good at — for example “I worked in a café” or “I like fixing "
    "cars”."
)
NO_TITLE_YET = "You haven't named a job, so I've gone by what you'd like to do (tell me any work you've done, too)."
#: what a leaning brings up the list (retrieval.understanding.cues.leaning: O*NET interests)
LEANINGS = {"Realistic": "hands-on work", "Social": "work with people", "Artistic": "creative work"}
FIRST_WORK = (
    "You haven't worked yet, so these are first jobs: work that takes little preparation (a few months of training, a "
    "high school diploma at most), the work the most postings here are for first. Tell me what you enjoy or are good "
    "at — for example “I like fixing cars” or “I'm good with people” — and I'll narrow it down."
)


def _md(text: str) -> str:
    """Text quoted from the person, safe inside Markdown (no emphasis, links or HTML of theirs)."""
    return "".join("\\" + c if c in "\\`*_{}[]<>()#+!|~" else c for c in text)


def _split_skills(text: str | None) -> list[str]:
    out: list[str] = []
    for raw in (text or "").replace("\n", ",").replace(";", ",").split(","):
        s = raw.strip()
        if s and s.lower() not in {x.lower() for x in out}:
            out.append(s)
    return out[:200]


def _choice_label(item: dict) -> str:
    return f"{item['title']} ({item['id']})"


# ------------------------------------------------------------------------------------------------ rendering
SAME_WORDING = (
    "The model wrote the same explanation again: for this evidence it has no other wording yet. "
    "Tell us with **Not helpful** what is missing."
)


def _wording(e: dict) -> tuple:
    """What a reader compares two explanations of one item by: the summary and the next steps."""
    return (e.get("summary") or "", tuple(e.get("next_steps") or []))


def render_explanation(e: dict) -> str:
    """Markdown for the explanation panel, top to bottom in display order: summary, skills the person
    stated, skills only their occupation suggests (said as such), partly covered, missing with courses,
    next steps, then the evidence. :func:`app.explain.schema.number_citations` numbers citations in this
    same order, so the reader meets [c1], [c2], [c3] ... in sequence. How much was checked is said in
    words at the top; the faithfulness number is in the evidence details.

    An explanation still being written (``state: "writing"``: the stream's skeleton, then the same with
    each verified step and the summary filled in) renders the same way, with "Writing…" where the text
    and the verdict will be: the finished one replaces it in place."""
    item = e.get("item") or {}
    writing = e.get("state") == "writing"
    checked, detail = (
        (WRITING, "Each claim is checked against the evidence before it is shown.") if writing else _checked_in_words(e)
    )
    lines = [
        f"### {item.get('title', item.get('id', ''))}",
        f"<span class='waypoint-fit'>Fit: {e.get('fit', '?')}</span> · {checked}",
        "",
        e.get("summary") or (f"_{WRITING}_" if writing else ""),
    ]

    def cite(ids) -> str:  # a group in id order: ids are numbered by first appearance, so this reads c1, c2 ...
        ids = sorted(ids or [], key=lambda i: (len(i), i))
        return " " + " ".join(f"[{i}]" for i in ids) if ids else ""

    matched = e.get("matched_skills") or []
    stated = [s for s in matched if s.get("provenance") != "inferred"]
    inferred = [s for s in matched if s.get("provenance") == "inferred"]
    if stated:
        lines += ["", "**Skills you already have**"]
        lines += [f"- {s['label']}{cite(s.get('evidence'))}" for s in stated[:10]]
    if inferred:
        lines += [
            "",
            "**Skills your current occupation usually involves** (you have not said so; tell me if you lack any)",
        ]
        lines += [f"- {s['label']}{cite(s.get('evidence'))}" for s in inferred[:10]]
    if e.get("partial_skills"):
        lines += ["", "**Partly covered**"]
        for s in e["partial_skills"][:5]:
            via = (s.get("via") or {}).get("label")
            how = (
                " (at a lower level than required)"
                if s.get("reason") == "lower_level"
                else f" (through {via})"
                if via
                else ""
            )
            lines.append(f"- {s['label']}{how}{cite(s.get('evidence'))}")
    if e.get("missing_skills"):
        lines += ["", "**Skills to build** (and courses that teach them)"]
        for s in e["missing_skills"][:8]:
            courses = "; ".join(c["title"] for c in (s.get("courses") or [])[:2])
            deeper = " (further than your current work takes it)" if s.get("deeper") else ""
            lines.append(
                f"- {s['label']}{deeper}{cite(s.get('evidence'))}" + (f" — courses: {courses}" if courses else "")
            )
    if e.get("next_steps"):
        step_cites = e.get("next_step_evidence") or []
        lines += ["", "**Next steps**"] + [
            f"{n}. {step}{cite(step_cites[n - 1] if n <= len(step_cites) else [])}"
            for n, step in enumerate(e["next_steps"], 1)
        ]
    lines += ["", "<details><summary>Evidence</summary>", "", detail, ""]
    lines += [f"- [{c['id']}] *{c['source']}*: {c['text']}" for c in (e.get("citations") or [])[:20]]
    lines += ["", "</details>"]
    if writing:
        return "\n".join(lines)
    model = e.get("model") or {}
    note = f"_Written by {model.get('backend', '?')}/{model.get('name', '?')}"
    if model.get("adapter"):
        note += f" + {model['adapter']}"
    if e.get("fallback_reason"):
        note += f" (fallback: {e['fallback_reason']})"
    sample = re.fullmatch(r".+-s([1-9])", str(e.get("variant") or ""))
    if sample:  # "Explain differently" (or an explored sample): say it is another take on the same evidence
        note += f", another wording (#{int(sample[1]) + 1})"
    lines += ["", note + "._"]
    return "\n".join(lines)


def _checked_in_words(e: dict) -> tuple[str, str]:
    """(what the reader is told, the detail with the number): "Every claim checked against the evidence",
    or "2 of 3 claims could be checked against the evidence; the rest were corrected or left out"."""
    v = e.get("verification") or {}
    claims, supported = int(v.get("claims") or 0), int(v.get("supported") or 0)
    faithfulness = float(e.get("faithfulness") or 0.0)
    if claims:
        words = (
            "Every claim checked against the evidence"
            if supported >= claims
            else f"{supported} of {claims} claims could be checked against the evidence; "
            "the rest were corrected or left out"
        )
        detail = (
            f"Faithfulness {faithfulness:.2f}: {supported} of {claims} claims in the draft were supported by "
            "the evidence before checking; only checked claims are shown."
        )
    else:
        words = (
            "Every claim checked against the evidence"
            if faithfulness >= 0.9999
            else f"About {round(faithfulness * 100)}% of the claims could be checked against the evidence; "
            "the rest were left out"
        )
        detail = f"Faithfulness {faithfulness:.2f} (share of the draft's claims the evidence supported)."
    wrong = int(v.get("provenance_errors") or 0)
    if wrong:
        detail += (
            f" {wrong} said you have a skill only your occupation suggests; "
            f"{'it was' if wrong == 1 else 'they were'} corrected."
        )
    return words, detail


def _short(e: dict, n: int) -> str:
    item = e.get("item") or {}
    return f"**{n}. {item.get('title')}** — fit: {e.get('fit')}. {e.get('summary', '')}"


def _short_first_job(e: dict, n: int) -> str:
    """A first job's line for a person who has not worked yet and said no skill it asks for: "Cashiers would be a
    stretch move: your profile does not yet show its core skills" was true of every first job and told a school
    leaver nothing; such work takes little preparation, and what it asks first is learned on the job."""
    item = e.get("item") or {}
    gaps = [g["label"] for g in (e.get("missing_skills") or [])[:2]]
    asks = f": what it asks first, {_md(join_labels(gaps))}, is learned on the job" if gaps else ""
    return f"**{n}. {item.get('title')}** — a first job, little preparation needed{asks}."


# ------------------------------------------------------------------------------------------------ beliefs
def _from(quote: str | None, by_person: bool = False, note: str = "set by you") -> str:
    """Where a belief came from: the person's words, or the person's correction."""
    if by_person:
        return f" <span class='waypoint-from'>({note})</span>"
    return f" <span class='waypoint-from'>— from: “{_md(quote)}”</span>" if quote else ""


def _goal_belief(goal: Goal, quote: str | None, by_person: bool = False) -> dict:
    return {
        "text": goal.text,
        "kind": goal.kind,
        "field": goal.field,
        "occupations": list(goal.occupation_ids) if goal.kind == "occupation" else [],
        # a field's SOC prefixes: where its occupations end in the list (_in_goal)
        "prefixes": list(goal.soc_prefixes) if goal.kind == "field" else [],
        "interest": goal.interest,
        # what they study now is named back so ("I'm studying accounting" was told "You studied accounting")
        "studied": "now" if goal.studied and quote and _STUDYING_NOW.search(quote) else goal.studied,
        "quote": quote,
        "by_person": by_person,
    }


def render_beliefs(state: dict) -> str:
    """The "What Waypoint believes about you" panel: occupation (and the other candidates when it is not
    sure), skills, goal and limits, each with the words of the person's it came from."""
    p, b = state["profile"], state["beliefs"]
    lines = []
    occupation = b.get("occupation")
    if occupation:
        lines.append(
            f"**Occupation:** {_md(occupation['title'])}"
            + _from(occupation.get("quote"), occupation.get("by_person", False), occupation.get("note", "set by you"))
        )
        if not occupation.get("by_person") and occupation.get("confidence", 1.0) < CONFIDENT:
            others = [c for c in b.get("candidates") or [] if c != occupation["title"]][:3]
            maybe = f" It could also be {', '.join(_md(o) for o in others)}." if others else ""
            lines.append(f"*I'm not sure about this one.{maybe} Pick or type the right one below.*")
    elif b.get("first_work"):
        # "I just finished high school and have no experience": asking for a job title would not have heard them
        lines.append("**Occupation:** none yet, so the list is first jobs" + _from(b["first_work"]))
    else:
        lines.append("**Occupation:** not known yet — tell me your job title.")
    skills = p.get("skills") or []
    sources = b.get("skills") or {}
    if skills:
        lines.append("**Skills:**")
        groups: dict[str | None, list[str]] = {}  # skills from the same words share one quote
        for skill in skills[:SHOWN_SKILLS]:
            groups.setdefault(sources.get(skill), []).append(skill)
        lines += [
            f"- {', '.join(_md(s) for s in group)}"
            + (_from(quote) if quote else _from(None, by_person=True, note="added by you"))
            for quote, group in groups.items()
        ]
        if len(skills) > SHOWN_SKILLS:
            lines.append(f"- … and {len(skills) - SHOWN_SKILLS} more (all in the box below)")
    else:
        lines.append("**Skills:** none noted yet.")
    goal = b.get("goal")
    if p.get("goal") and goal:
        kind = {
            "field": "a move into this field",
            "occupation": "a move toward this occupation",
            "skill": "a skill to learn",
        }[goal["kind"]]
        if goal.get("interest"):  # "I like drawing and video games": the list goes by it, worded as theirs
            lines.append(
                f"**Goal:** work in what you {_interest_verb(goal.get('studied'))}, {_said_back(goal['text'])}"
                + _from(goal.get("quote"), False)
            )
        else:
            lines.append(
                f"**Goal:** {_md(goal['field'] or goal['text'])} ({kind})"
                + _from(goal.get("quote"), goal.get("by_person", False))
            )
    else:
        lines.append("**Goal:** none — say where you'd like to go (“I want to move into finance”).")
    leaning = b.get("leaning")
    if leaning:  # "I like working with my hands": what moves up the list, in their words
        lines.append(f"**You like:** {_said_back(leaning['quote'])} ({LEANINGS[leaning['dimension']]} first)")
    limit = b.get("limit") or {}
    if _avoids_physical(state):
        lines.append(
            "**Limits:** no physically demanding work" + _from(limit.get("quote"), p.get("avoid_physical") is not None)
        )
    if _avoids_schooling(state):
        schooling = b.get("schooling") or {}
        lines.append(
            "**Limits:** no going back to school for a degree"
            + _from(schooling.get("quote"), p.get("avoid_schooling") is not None)
        )
    if _leaves_own_work(state):
        lines.append(
            "**Limits:** not your current kind of work"
            + _from((b.get("leaving") or {}).get("quote"), p.get("leave_own_work") is not None)
        )
    if _wants_remote(state):
        lines.append(
            "**Where:** work that can often be done from home"
            + _from((b.get("remote") or {}).get("quote"), p.get("remote") is not None)
        )
    if _wants_outdoors(state):
        lines.append(
            "**Where:** work done outdoors"
            + _from((b.get("outdoor") or {}).get("quote"), p.get("outdoors") is not None)
        )
    if _wants_away_from_desk(state):
        lines.append(
            f"**Where:** {DESK_WAY}" + _from((b.get("desk") or {}).get("quote"), p.get("away_from_desk") is not None)
        )
    if _wants_better_pay(state):
        lines.append(f"**Pay:** {PAY_WAY}" + _from((b.get("pay") or {}).get("quote"), p.get("better_pay") is not None))
    if _wants_part_time(state):
        lines.append(
            "**Postings:** part-time or flexible hours first"
            + _from((b.get("hours") or {}).get("quote"), p.get("part_time") is not None)
        )
    if b.get("steady") and not _wants_part_time(state):
        lines.append("**Postings:** steady work, not part-time or seasonal" + _from(b["steady"].get("quote"), False))
    return "\n".join(_paragraphs(lines))


def _paragraphs(lines: list[str]) -> list[str]:
    """Markdown lines: list items stay together, everything else is its own paragraph."""
    out: list[str] = []
    for line in lines:
        if out and not (line.startswith("- ") and (out[-1].startswith("- ") or out[-1].endswith(":**"))):
            out.append("")
        out.append(line)
    return out


#: Each limit or wish the understanding reads (its ``Limit.kind``), where the beliefs keep its words, the profile's
#: tick box that overrides them, and what the chat says when it is first heard (given the profile): one loop in
#: :func:`_take_in` for all of them.
_HEARD: tuple[tuple[str, str, str, Callable[[dict], str]], ...] = (
    ("physical", "limit", "avoid_physical", lambda p: "I'll leave out work that is hard on the body"),
    (
        "training",
        "schooling",
        "avoid_schooling",
        lambda p: "I'll keep to work you can reach without a degree you don't have",
    ),
    ("leaving", "leaving", "leave_own_work", lambda p: "I'll look beyond your current kind of work"),
    ("remote", "remote", "remote", lambda p: "I'll keep to work that can often be done from home"),
    ("outdoor", "outdoor", "outdoors", lambda p: "I'll keep to work done outdoors"),
    ("desk", "desk", "away_from_desk", lambda p: f"I'll keep to {DESK_WAY}"),
    ("hours", "hours", "part_time", lambda p: f"I'll put {HOURS_WAY} first"),
    ("pay", "pay", "better_pay", lambda p: PAY_NOTE if p.get("occupation") else PAY_NEEDS_WORK),
)


def _take_in(state: dict, text: str, understood: Understanding, *, keep_text: bool = True) -> list[str]:
    """Merge what ``understood`` found in ``text`` into the profile and the beliefs; notes for the chat.

    An occupation replaces the one held when the text names it (or links it with more confidence): a
    vague hint ("I like working with data") never overrides "I'm a firefighter", nor what the person set.
    ``keep_text`` False: the text is not kept for matching (a limit said alone describes no one to match)."""
    p, b = state["profile"], state["beliefs"]
    notes = []
    top = understood.occupations[0] if understood.status == "understood" and understood.occupations else None
    held = b.get("occupation")
    if top is not None and (
        held is None
        or top.span is not None
        or (not held.get("by_person") and top.confidence > held.get("confidence", 0.0))
    ):
        sure = top.confidence >= CONFIDENT
        p["occupation"], p["occupation_id"] = top.title, (top.occupation_id if sure else None)
        b["occupation"] = {
            "title": top.title,
            "id": top.occupation_id,
            "confidence": top.confidence,
            "quote": _quote(text, top.span),
            "by_person": False,
        }
        # the others offered in the panel: only plausible ones ("Registered Nurses", 0.06 sure, for a CNC operator
        # read as "It could also be ... Registered Nurses")
        b["candidates"] = [o.title for o in understood.occupations if o is top or o.confidence >= CANDIDATE_MIN]
        notes.append(f"I've noted your occupation as **{top.title}**" + ("." if sure else " (I'm not sure about it)."))
        if understood.career_break is not None and top.span is not None:
            # "I've been a stay-at-home mom for 10 years ... Before that I was a receptionist": heard as a return
            notes.append(
                "Coming back after time away from paid work is common: what you did before still counts, so the "
                "lists start from it."
            )
        if sure and civilian(top.occupation_id):
            # "I was in the Army for 8 years as an infantryman": the list is civilian work, said so it is not read
            # as Waypoint having misheard them (retrieval.occupations.military)
            notes.append(f"{top.title} is military work, so the lists start from the civilian work it carries over to.")
        if (b.get("goal") or {}).get("interest") and not understood.goals:
            # what they enjoy or studied was the list's frame only while no work was named (as in one message: "I'm a
            # nurse and I like working with people" wants no move); a biology graduate who then said "I've been an
            # EMT for 5 years" was still shown "Occupations in work like what you studied (biology)"
            p["goal"], b["goal"] = None, None
    if understood.leaning is not None and understood.leaning_span is not None:
        b["leaning"] = {"dimension": understood.leaning, "quote": understood.leaning_span.text}
    if understood.first_work is not None and not p.get("occupation"):
        # "I just finished high school and have no experience": the list is first jobs, and says so
        b["first_work"] = understood.first_work.text
    elif top is not None:
        b.pop("first_work", None)  # they have worked after all ("... I did work at a café last summer")
    known = {s.lower() for s in p["skills"]}
    found = []
    for mention in understood.skills:
        if mention.label.lower() not in known:
            known.add(mention.label.lower())
            p["skills"].append(mention.label)
            b.setdefault("skills", {})[mention.label] = _quote(text, mention.span)
            found.append(mention.label)
    if found:
        notes.append("Skills I picked up: " + ", ".join(found[:SHOWN_SKILLS]) + ".")
    if understood.goals:
        goal = understood.goals[0]
        p["goal"] = goal.text
        b["goal"] = _goal_belief(goal, _quote(text, goal.span))
        notes.append(
            f"You {_interest_verb(b['goal']['studied'])} **{_said_back(goal.text)}**, so I've gone by that"
            # with work named (they want out of it: "I'm an accountant but I'm bored. I like creative stuff.")
            + ("." if p.get("occupation") else " (tell me any work you've done, too).")
            if goal.interest
            else f"Your goal: **{goal.field or goal.text}**."
        )
    for kind, belief, key, note in _HEARD:
        quote = next((limit.span.text for limit in understood.limits if limit.kind == kind), None)
        if quote is None:
            continue
        if not _flag(state, key, belief):
            notes.append(f"{note(p)} (you said “{_md(quote)}”).")
        b[belief] = {"quote": quote}
        p[key] = None  # said again: their words decide, even after they unticked it
    steady = steady_wish(text)
    if steady is not None and not b.get("steady"):
        # "I drive for Uber and want something stable with benefits": the postings leave part-time work out
        # (retrieval.jobs.levels.steady_enough, read from the text); said back so the person knows why
        quote = _quote(text, Span(start=steady[0], end=steady[1], text=text[steady[0] : steady[1]])) or ""
        notes.append(f"I'll leave out part-time, seasonal and temporary postings (you said “{_md(quote)}”).")
        b["steady"] = {"quote": quote}
    # "I'm a nurse but I hate night shifts", "a job with weekends off": the postings that say they are nights (weekend
    # work) are left out (retrieval.jobs.levels.day_wish, weekday_wish); which occupations work them the catalogue does
    # not say, and the note says so
    for when, hours, said in (("days", day_wish(text), DAYS_NOTE), ("weekdays", weekday_wish(text), WEEKDAYS_NOTE)):
        if hours is not None and not b.get(when):
            quote = _quote(text, Span(start=hours[0], end=hours[1], text=text[hours[0] : hours[1]])) or ""
            notes.append(f"{said} (you said “{_md(quote)}”).")
            b[when] = {"quote": quote}
    for wish in understood.ruled_out_goals[:1]:
        # "I'd like to become a pharmacist but I can't afford 6 more years of school. What else could I do?"
        notes.append(
            f"**{_md(wish.text[:1].upper() + wish.text[1:])}** is what you'd like, but not the years of school it "
            "takes, so I've left it out and looked for what else is within reach."
        )
    if keep_text:
        p["text"] = ((p.get("text") or "") + "\n" + text).strip()[-MAX_PROFILE_TEXT:]
    return notes


#: how the one-line summaries under the occupation list begin (_postings_line, _extra_line): an answer that gives a
#: list in full leaves its summary out, one that gives no list keeps only them
POSTINGS_SUMMARY, COURSES_SUMMARY = "Job postings", "Courses toward"


def _summary_line(line: str, *heads: str) -> bool:
    return line.lstrip().startswith(heads)


def _extra_line(heading: str, items: list[dict]) -> str:
    """The chat line under the list for postings or courses. A course says which gap it closes and toward
    which occupation ("Courses toward Cargo and Freight Agents: Principles of Management (for Administration
    and Management)"): a bare "Courses: Introduction to Sociology" under a nurse's list read as absurd."""
    toward = {i.get("toward") for i in items} - {None}
    if len(toward) == 1:
        heading += f" toward {next(iter(toward))}"

    # courses for the same gap(s) are alternatives, named once: "A or B (for Negotiation)"; "A; B (for
    # Negotiation)" read as A for something unsaid
    groups: dict[str, list[str]] = {}
    for item in items:
        groups.setdefault(", ".join((item.get("closes") or [])[:2]), []).append(item["title"])
    return f"\n{heading}: " + "; ".join(
        f"{' or '.join(titles)} (for {gaps})" if gaps else "; ".join(titles) for gaps, titles in groups.items()
    )


def _software_gap(gap: dict) -> bool:
    """A gap that is a software tool the target's workers use (O*NET technology, ids ``tech:``), not one the
    person has in part."""
    return gap["id"].startswith("tech:") and not gap.get("deeper")


def _no_course(gap: dict, degree: str = "") -> str:
    """What the courses answer says for a gap no course is shown for. Software (O*NET technology, ids ``tech:``)
    is learned where it is used: "iOS: ... a project or volunteer work that uses it is the way in" read oddly
    for the phones an EMT's next job uses, which gets no course (retrieval/skills/priority.py, plain tools).
    ``degree``: the degree the target's work usually asks for (:func:`retrieval.occupations.about.degree_asked`),
    which teaches its knowledge areas (O*NET ``onet:2.C``): a paralegal toward lawyers read "Law and Government: ... a
    project or volunteer work that uses it is the way in"."""
    if _software_gap(gap):
        return "no course here teaches it — software like this is usually learned on the job"
    if gap.get("hands_on"):  # "operate tower crane": no side project teaches it
        return f"learned hands-on — look for {HANDS_ON_WAY}"
    if degree and gap["id"].startswith(KNOWLEDGE_AREA):
        return f"no course in the catalogue teaches this yet — it is taught in {degree} this work usually asks for"
    return "no course in the catalogue teaches this yet — a project or volunteer work that uses it is the way in"


def _learned_on_the_job(gap: dict) -> bool:
    """A software gap its employers train on the job (a plain tool: retrieval/skills/priority.py) that no course
    is shown for."""
    return _software_gap(gap) and bool(gap.get("on_the_job")) and not gap.get("courses")


def _gaps_heading(title: str, gaps: list[dict]) -> str:
    """The first line of the answer to "what courses should I take?". When every gap is a software tool the
    target's workers use (O*NET technology, ids ``tech:``), it says so: a laid-off CNC operator read "these are
    the skills to build first" over a single line, QuickBooks for "Inventory control software", toward
    woodworking machine setting -- work whose skills they already have."""
    if gaps and all(_software_gap(g) for g in gaps):
        return (
            f"You already have the skills **{title}** asks for, as far as I can check; the gaps are software its "
            "workers use, and the courses that teach it:"
        )
    if gaps and all(g.get("hands_on") and not g.get("courses") for g in gaps):
        # a warehouse worker toward crane operators: "the courses that teach them" over three lines of none
        return f"To move toward **{title}**, these are the skills to build first, all learned hands-on:"
    return f"To move toward **{title}**, these are the skills to build first, and the courses that teach them:"


def _work_words(state: dict) -> str:
    """What "their kind of work" is called in the chat: the goal's when they said one (the postings are ranked
    by it), else their own."""
    if state["profile"].get("goal"):
        goal = state["beliefs"].get("goal") or {}
        # a graduate who said what they studied did not say they want it: "work like what you studied"
        return (
            f"work like what you {_interest_verb(goal.get('studied'))}" if goal.get("interest") else "the work you want"
        )
    if state["beliefs"].get("first_work") and not state["profile"].get("occupation"):
        return "first jobs like those on your list"
    listed = (
        _leaves_own_work(state) or _wants_better_pay(state) or _wants_outdoors(state) or _wants_away_from_desk(state)
    )
    return "the work on your list" if listed else "your kind of work"


def _postings_line(items: list[dict], work: str) -> list[str]:
    """The postings line under the occupation list: only postings of the person's kind of work, or a plain
    "none" -- a barber was shown "Job postings: Personal Assistant; Security Officer" (the log's most viewed)
    as if they matched. Where Waypoint cannot tell (``kind_of_work`` null), the list says what it is."""
    if not items:
        return []
    known, ours, _rest = _by_kind_of_work(items)
    if not known:
        return [_extra_line("Job postings people viewed most", _one_line_per_job(items))]
    if not ours:
        return [f"\nJob postings: none in {work} in the catalogue."]
    return [_extra_line(f"Job postings in {work}", ours)]


def _one_line_per_job(items: list[dict]) -> list[dict]:
    """Postings of the same job (title and employer) in several cities, one line each: a barista asking about UX
    design read "Usability Research Participant" six times, for Los Angeles, San Francisco, Dallas, Columbus and
    Oklahoma City. The first keeps its place; the title names the other cities ("... — Los Angeles, Dallas and 3
    more places")."""
    groups: dict[str, list[dict]] = {}
    for item in items:
        city, title = item.get("city") or "", item["title"]
        base = next((title[: -len(sep)] for sep in (f", {city}", f" — {city}") if city and title.endswith(sep)), title)
        groups.setdefault(base, []).append(item)
    out = []
    for base, same in groups.items():
        cities = list(dict.fromkeys(i.get("city") or "" for i in same))
        if len(same) == 1 or "" in cities:
            out += same
            continue
        last = cities[-1] if len(cities) <= 3 else f"{len(cities) - 2} more places"
        named = ", ".join(cities[: min(len(cities) - 1, 2)]) + f" and {last}"
        joiner = ": " if " — " in base else " — "  # "Nurse — Acme: Austin and Dallas"
        out.append({**same[0], "title": f"{base}{joiner}{named}"})
    return out


def _by_kind_of_work(items: list[dict]) -> tuple[bool, list[dict], list[dict]]:
    """(whether the recommender could tell, the postings of the person's kind of work, the others), the same job in
    several cities on one line (:func:`_one_line_per_job`)."""
    known = any(i.get("kind_of_work") is not None for i in items)
    ours = _one_line_per_job([i for i in items if i.get("kind_of_work")])
    return known, ours, _one_line_per_job([i for i in items if not i.get("kind_of_work")])


def _correct_flag(state: dict, key: str, value: bool | None, held: bool, said: tuple[str, str]) -> list[str]:
    """The person ticked or unticked a limit in the panel (``key``: ``avoid_physical``, ``avoid_schooling``): that
    wins over their words. ``held``: what the lists do now; ``said``: the note when set, when cleared."""
    if value is None or bool(value) == held:
        return []
    state["profile"][key] = bool(value)
    return [said[0] if value else said[1]]


def _correct_limit(state: dict, avoid_physical: bool | None) -> list[str]:
    """ "Leave out physically demanding work", ticked or unticked."""
    return _correct_flag(
        state,
        "avoid_physical",
        avoid_physical,
        _avoids_physical(state),
        ("I'll leave out physically demanding work.", "Physically demanding work is back on your lists."),
    )


def _correct_schooling(state: dict, avoid_schooling: bool | None) -> list[str]:
    """ "Only work I can reach without a degree", ticked or unticked."""
    return _correct_flag(
        state,
        "avoid_schooling",
        avoid_schooling,
        _avoids_schooling(state),
        (
            "I'll keep to work you can reach without a degree you don't have.",
            "Work that needs a degree is back on your lists.",
        ),
    )


def _correct_remote(state: dict, remote: bool | None) -> list[str]:
    """ "Only work I can do from home", ticked or unticked."""
    return _correct_flag(
        state,
        "remote",
        remote,
        _wants_remote(state),
        ("I'll keep to work that can often be done from home.", "Work done on site is back on your lists."),
    )


def _correct_part_time(state: dict, part_time: bool | None) -> list[str]:
    """ "Part-time or flexible hours first", ticked or unticked."""
    return _correct_flag(
        state,
        "part_time",
        part_time,
        _wants_part_time(state),
        (f"I'll put {HOURS_WAY} first.", "Postings are back in their usual order, full-time ones included."),
    )


def _correct_outdoors(state: dict, outdoors: bool | None) -> list[str]:
    """ "Only work done outdoors", ticked or unticked."""
    return _correct_flag(
        state,
        "outdoors",
        outdoors,
        _wants_outdoors(state),
        ("I'll keep to work done outdoors.", "Work done indoors is back on your lists."),
    )


def _place_on_list(state: dict, occupation_id: str, title: str) -> int:
    """The occupation's place under **Recommendations**, added at the end when it is not there: an occupation asked
    about (a fit question, one side of a choice) goes on the list, so "Why?" opens it."""
    position = next((n for n, r in enumerate(state["recs"]) if r["id"] == occupation_id), None)
    if position is None:
        state["recs"].append({"id": occupation_id, "title": title, "kind": "occupation"})
        position = len(state["recs"]) - 1
    return position


def _correct_desk(state: dict, away: bool | None) -> list[str]:
    """ "Only work away from a desk and a screen", ticked or unticked."""
    return _correct_flag(
        state,
        "away_from_desk",
        away,
        _wants_away_from_desk(state),
        (f"I'll keep to {DESK_WAY}.", "Desk work is back on your lists."),
    )


def _correct_pay(state: dict, better_pay: bool | None) -> list[str]:
    """ "Better-paid work first", ticked or unticked."""
    return _correct_flag(
        state,
        "better_pay",
        better_pay,
        _wants_better_pay(state),
        (f"{PAY_NOTE}.", "Work that needs no more training than yours is back where it was on your lists."),
    )


def _correct_leaving(state: dict, leave: bool | None) -> list[str]:
    """ "Not my current kind of work", ticked or unticked."""
    return _correct_flag(
        state,
        "leave_own_work",
        leave,
        _leaves_own_work(state),
        ("I'll look beyond your current kind of work.", "Your current kind of work is back on your lists."),
    )


def _gap_reply(title: str, e: dict) -> str:
    """The answer to a skill-gap question ("what am I missing?"): the explanation's gaps, first things first,
    each with the course that closes it when the catalogue has one. A walk through the UI got the fit summary
    ("... with no major gap") once per follow-up, whatever was asked."""
    gaps = e.get("missing_skills") or []
    head = f"**{title}** — fit: **{e.get('fit')}**."
    if not gaps:
        return f"{head} Your profile already shows every skill of it I can check: no gap to close."
    lines = [f"{head} What you would still need, most important first:"]
    for gap in gaps:
        courses = [c["title"] for c in gap.get("courses") or []]
        deeper = " (further than your current work takes it)" if gap.get("deeper") else ""
        lines.append(f"- **{gap['label']}**{deeper}" + (f" — course: {courses[0]}" if courses else ""))
    lines.append("\nThe full explanation, with what you already have, is in the panel below.")
    return "\n".join(lines)


def _list_heading(state: dict) -> str:
    """What the list is: a transition list when there is a goal ("Occupations in finance you could move
    into from Firefighters:"), else the occupations that fit the person; and what it leaves out."""
    heading = _list_kind(state)
    if _avoids_physical(state):
        heading = heading.removesuffix(":") + ", leaving out physically demanding work:"
    if _avoids_schooling(state):
        heading = heading.removesuffix(":") + ", without going back to school for a degree:"
    if _leaves_own_work(state):
        heading = heading.removesuffix(":") + ", beyond your current kind of work:"
    if _wants_remote(state):
        heading = heading.removesuffix(":") + ", keeping to work that can often be done from home:"
    if _wants_outdoors(state):
        heading = heading.removesuffix(":") + ", keeping to work done outdoors:"
    if _wants_away_from_desk(state):
        heading = heading.removesuffix(":") + ", away from a desk:"
    if _wants_better_pay(state) and state["profile"].get("occupation"):
        heading = heading.removesuffix(":") + ", work that usually pays more than yours moved up:"
    return heading


def _in_goal(state: dict, occupation_id: str) -> bool:
    """Whether an occupation is what the goal asks for: one an occupation goal names ("I want to become an
    electrician": Electricians), or one in a field goal's SOC groups. A field with fewer occupations than the
    list is long is followed by the person's ordinary list: a bartender who wants "to get into real estate" read
    Waiters and Waitresses fifth under "Occupations in real estate you could move into"."""
    goal = state["beliefs"].get("goal")
    if not (state["profile"].get("goal") and goal):
        return False
    if goal.get("kind") == "field":
        return in_prefixes(occupation_id, goal.get("prefixes") or [])
    return occupation_id in (goal.get("occupations") or [])


def _others_heading(state: dict) -> str:
    """Where the occupations after the goal's own begin: they are the person's ordinary list, not steps toward
    the goal. A walk through the UI read "Occupations toward “electrician” you could move into: Electricians,
    Operating Engineers, Pile Driver Operators, ..." for a forklift driver who asked how to become one."""
    p = state["profile"]
    return "\nOther occupations close to your work:" if p.get("occupation") else "\nOther occupations that fit you:"


def _said_back(words: str) -> str:
    """What a person said they enjoy, said back to them ("You enjoy working with **your** hands")."""
    return _md(cues.to_second_person(words))


_STUDYING_NOW = re.compile(r"\b(?:studying|study|majoring)\b", re.I)


def _interest_verb(studied: bool | str | None) -> str:
    """How an interest goal is named back: what the person enjoys, what they studied ("a biology degree"), or what
    they study now (``"now"``: "I'm studying accounting")."""
    return "study" if studied == "now" else "studied" if studied else "enjoy"


def _list_kind(state: dict) -> str:
    p, goal = state["profile"], state["beliefs"].get("goal")
    source = f" from {p['occupation']}" if p.get("occupation_id") else ""
    if p.get("goal") and goal and goal.get("interest"):
        return f"Occupations in work like what you {_interest_verb(goal.get('studied'))} ({_said_back(goal['text'])}){source}:"
    if p.get("goal") and goal and goal["kind"] == "field":
        return f"Occupations in {goal['field'] or goal['text']} you could move into{source}:"
    if p.get("goal") and goal and goal["kind"] == "occupation":
        return f"Toward “{goal['text']}”{source}:"
    if p.get("goal") and goal:
        return f"Here are occupations that fit you (your goal, {goal['text']}, shapes the skills and courses):"
    if not p.get("occupation") and state["beliefs"].get("first_work"):
        return "First jobs, work that takes little preparation:"
    if not p.get("occupation"):
        return "Going by your skills alone, these occupations fit:"
    return "Here are occupations that fit you:"


# ------------------------------------------------------------------------------------------------ the app
# a question about what work pays ("How much do nurses make?"): the catalogue has no pay figures, and says so
_PAY_ASKED = re.compile(r"\b(?:pay|pays|paid|salar\w*|wages?|earn\w*|make|makes|money|income)\b", re.I)


# "Which jobs are in demand?", "what's hiring right now", "growing fields": the market, not the person
_IN_DEMAND = re.compile(
    r"\bin[- ](?:(?:high|great|big)\s+)?demand\b|\bhigh[- ]demand\b|\b(?:who|what|which\s+\w+)\s+(?:is|are|'s)\s+hiring\b|\bgrowing\s+(?:fields?|jobs|careers?|"
    r"industries|occupations)\b|\b(?:hot|hottest)\s+(?:jobs|careers?|fields?)\b|\bjobs?\s+(?:with|that\s+have)\s+(?:the\s+)?"
    r"most\s+(?:openings|demand|postings)\b",
    re.I,
)
#: how deep a person's list toward a field is read for the field's own work (a mathematician's list toward accounting
#: holds accountants sixth, after the mathematical work their words asked for)
FIELD_DEPTH = 30
#: two options whose coverage of the person differs less than this are "about as near" (app.ui.choices)
COMPARE_TIE = 0.05
# a question that compares two occupations ("the difference between a nurse practitioner and a physician assistant")
_COMPARE = re.compile(r"\b(?:differen\w*|compare\w*|comparison|vs\.?|versus|or|better)\b", re.I)


# "Is it too late to become a doctor?", "I'm 40 ...": an age said beside a question about some work
_AGE_ASKED = re.compile(
    r"\btoo (?:late|old)\b|\bat my age\b|\b(?:i'?m|i am|aged?)\s+(?:[3-7]\d)\b(?!\s*(?:%|percent|hours|years? of))",
    re.I,
)
AGE_NOTE = (
    "Age alone rules none of this out: what matters is the preparation above, the years it takes set against your "
    "plans."
)


def _start(named: tuple[Span, str]) -> int:
    return named[0].start


def _facts_block(facts: OccupationFacts, said: str) -> str:
    """What the catalogue says about one occupation (:class:`retrieval.occupations.about.OccupationFacts`), as the
    answer to a question about it; ``said`` is what the person called it ("data analyst" is O*NET's Business
    Intelligence Analysts, and the answer says which occupation answers it)."""
    named_so = title_key(said) in title_key(facts.title)
    lines = [
        f"**{_md(facts.title)}**{'' if named_so else f' (the nearest occupation to “{_md(said)}”)'}: "
        + _md(facts.description)
    ]
    if facts.tasks:
        lines.append("\nWhat the work involves, for example:")
        lines += [f"- {_md(t)}" for t in facts.tasks]
    if facts.preparation:
        lines.append(f"\n**What it takes:** {facts.preparation} (O*NET job zone).")
    relies = [
        f"{name} {_md(join_labels(labels))}"
        for name, labels in (
            ("skills:", facts.skills),
            ("knowledge:", facts.knowledge),
            ("software its employers ask for:", facts.software),
        )
        if labels
    ]
    if relies:
        lines.append("**What it relies on most** — " + "; ".join(relies) + ".")
    return "\n".join(lines)


class ChatUI:
    """Handlers bound to one service; :meth:`build` returns the Blocks."""

    def __init__(self, service: WaypointService):
        self.svc = service

    @property
    def eager(self) -> int:
        """How many recommendations get an explanation right away (LLM explanations cost seconds each)."""
        return 3 if self.svc.settings.llm_backend == DETERMINISTIC else 1

    # -------------------------------------------------------------- feedback helpers
    def _close_open(self, state: dict) -> None:
        """Log dwell for the explanation that is open, if any."""
        current = state.get("open")
        if not current:
            return
        state["open"] = None
        dwell_ms = max(0.0, (time.monotonic() - current["t0"]) * 1000.0)
        try:
            self.svc.feedback(
                {
                    "type": "dwell",
                    "item_id": current["item_id"],
                    "dwell_ms": round(dwell_ms, 1),
                    "impression_id": current.get("impression_id"),
                    "position": current.get("position"),
                    "session_id": _session(state),
                }
            )
        except ServiceError as exc:
            log.warning("dwell not logged: %s", exc.message)

    def _open(self, state: dict, explanation: dict, position: int | None) -> None:
        state["open"] = {
            "item_id": explanation["item"]["id"],
            "impression_id": explanation.get("impression_id"),
            "position": position,
            "t0": time.monotonic(),
        }

    def _explain(self, state: dict, item_id: str, position: int | None, surface: str) -> dict:
        cached = state["explanations"].get(item_id)
        if cached is not None:
            return cached
        shown = [r["id"] for r in state["recs"]] or None
        explanation = self.svc.explain(
            _profile(state),
            item_id,
            session_id=_session(state),
            impression_id=state.get("impression_id") if shown and item_id in shown else None,
            position=position,
            shown=shown,
            surface=surface,
        )
        state["explanations"][item_id] = explanation
        return explanation

    def _recommend(self, state: dict) -> list[str]:
        """Recommend occupations (+ jobs and courses when available), explain the top ones; chat lines."""
        profile = _profile(state)
        result = self.svc.recommend(
            profile, "occupation", RECOMMEND_K, session_id=_session(state), surface="ui_list", with_understanding=False
        )
        state["recs"] = [{"id": i["id"], "title": i["title"], "kind": i["kind"]} for i in result["items"]]
        state["impression_id"] = result.get("impression_id")
        state["explanations"] = {}
        lines = []
        if not state["recs"]:
            return ["I couldn't find occupations for that yet — tell me more about what you do."]
        lines.append(_list_heading(state))
        for n, rec in enumerate(state["recs"]):
            if n and not _in_goal(state, rec["id"]) and _in_goal(state, state["recs"][n - 1]["id"]):
                lines.append(_others_heading(state))
            if n < self.eager:
                e = self._explain(state, rec["id"], n, "ui_chat")
                first_job = state["beliefs"].get("first_work") and not state["profile"].get("occupation")
                lines.append(
                    _short_first_job(e, n + 1) if first_job and not e.get("matched_skills") else _short(e, n + 1)
                )
            else:
                lines.append(f"**{n + 1}. {rec['title']}**")
        for kind, heading in (("job", "Job postings"), ("course", "Courses")):
            try:
                extra = self.svc.recommend(
                    profile, kind, 3, session_id=_session(state), surface="ui_list", with_understanding=False
                )
            except ServiceError:
                continue  # not available in this build, or nothing to match on
            if kind == "job":
                lines += _postings_line(extra["items"], _work_words(state))
            elif extra["items"]:
                lines.append(_extra_line(heading, extra["items"]))
        lines.append("\nPick one under **Recommendations** and press **Why?** for the full reasoning.")
        return lines

    def _profile_outputs(self, state: dict):
        """The panel: what Waypoint believes (with sources), and the three editable fields."""
        p, b = state["profile"], state["beliefs"]
        held = [p["occupation"]] if p.get("occupation") else []
        choices = list(dict.fromkeys([*(b.get("candidates") or []), *held]))
        occupation = gr.update(choices=choices, value=p.get("occupation") or None)
        return (
            occupation,
            ", ".join(p.get("skills") or []),
            p.get("goal") or "",
            render_beliefs(state),
            _avoids_physical(state),
            _avoids_schooling(state),
            _wants_remote(state),
            _leaves_own_work(state),
            _wants_better_pay(state),
            _wants_outdoors(state),
            _wants_part_time(state),
            _wants_away_from_desk(state),
        )

    def _recs_update(self, state: dict, selected: str | None = None):
        choices = [_choice_label(r) for r in state["recs"]]
        value = selected if selected in choices else (choices[0] if choices else None)
        return gr.update(choices=choices, value=value)

    # -------------------------------------------------------------- handlers
    def on_message(self, message: str, history: list, state: dict, selected: str | None = None):
        state = state or _new_state()
        history = list(history or [])
        message = (message or "").strip()
        panel = gr.update()
        if not message:
            return ("", history, state, *self._profile_outputs(state), self._recs_update(state), panel)
        limit = self.svc.settings.max_text_chars
        if len(message) > limit:  # the textbox's max_length is the browser's; a queue call can skip it
            history.append(
                {
                    "role": "assistant",
                    "content": f"Sorry — that message is {len(message):,} characters; "
                    f"the limit is {limit:,}. Paste the most relevant part, or upload your résumé.",
                }
            )
            return (message[:limit], history, state, *self._profile_outputs(state), self._recs_update(state), panel)
        history.append({"role": "user", "content": message})
        try:
            understood = self.svc.understand(message)
            intent, model = self.svc.intent(message)
            action = route(message, intent, understood, model)
            log.debug("chat route %s (intent %s by %s)", action.action, intent, model)
            if _IN_DEMAND.search(message) and not says_something(understood):
                # "Which jobs are in demand right now?" was asked about the person first
                reply = self._in_demand(state)
            elif action.action == "fit":
                if any(o.tense != "unknown" for o in understood.occupations):
                    _take_in(state, message, understood)  # "I'm a nurse — am I a good fit for X?"
                if action.target and not _has_profile(state):
                    reply = self._toward_unknown(state, action, message, understood)
                else:
                    reply, panel = self._fit(state, action, selected)
            elif action.action in ("courses", "jobs"):
                reply = self._asked_list(state, action, message, understood, selected)
            elif action.action == "about":
                reply = self._about(state, action, message, understood)
            elif action.action == "compare" and action.choice is not None:
                # "Should I go into accounting or data analytics?"; a choice naming no work ("... or keep working")
                # goes the usual way
                reply = self._compare(state, action.choice, message) or self._describe(state, message, understood)
            elif action.action == "other":
                reply = HELP
            else:
                reply = self._describe(state, message, understood)
        except ServiceError as exc:
            reply = f"Sorry — {exc.message}"
        except Exception as exc:  # noqa: BLE001 - the UI answers, never crashes
            log.exception("chat handler failed")
            reply = f"Sorry — something went wrong ({type(exc).__name__}). Please try again."
        history.append({"role": "assistant", "content": reply})
        selected = None
        if state.get("open"):
            match = [r for r in state["recs"] if r["id"] == state["open"]["item_id"]]
            selected = _choice_label(match[0]) if match else None
        return ("", history, state, *self._profile_outputs(state), self._recs_update(state, selected), panel)

    def _describe(self, state: dict, text: str, understood: Understanding | None = None) -> str:
        """Take in what ``text`` says about the person, then recommend. Text that says nothing Waypoint can
        use is answered with the understanding's message (a request for the list gets the list again)."""
        understood = understood or self.svc.understand(text)
        if understood.status == "not_english" or not says_something(understood):
            if understood.leaning is not None and understood.leaning_span is not None:
                # "I like working with my hands" (a vague liking: no goal) after "I have no experience" was answered
                # as a fit question about the first on the list; its kind of work now moves up the list
                had = _has_profile(state)
                notes = _take_in(state, text, understood.model_copy(update={"occupations": []}))
                notes.append(
                    f"You like {_said_back(understood.leaning_span.text)}, so {LEANINGS[understood.leaning]} "
                    + ("comes first." if had else "will come first.")
                )
                if not had:
                    return " ".join([*notes, ASK_ABOUT_THEM])
                return " ".join(notes) + "\n\n" + "\n".join(self._recommend(state))
            if understood.limits and understood.status != "not_english":
                # a limit or a wish said alone is heard and kept for the lists (not the occupations its words are
                # nearest by meaning: Computer Occupations, All Other). Before anything else about the person, "I
                # can't afford to go to college, what jobs could I get into?" was asked for a job title; the
                # question is what the list can go by. After it, a nurse who added "I want something remote" got
                # the same bedside list again, the wish unheard.
                limits_only = understood.model_copy(update={"occupations": []})
                notes = _take_in(state, text, limits_only, keep_text=False)
                if not _has_profile(state):
                    return " ".join([*notes, ASK_ABOUT_THEM])
                return " ".join(notes) + "\n\n" + "\n".join(self._recommend(state))
            if understood.status in ("understood", "no_occupation", "nonsense") and _has_profile(state):
                return "\n".join(self._recommend(state))  # "what else could I do?": nothing new, the list again
            if _RECORD_SAID.search(text):
                return f"{RECORD_NOTE} {ASK_ABOUT_THEM}"
            return understood.message or NO_OCCUPATION
        notes = _take_in(state, text, understood)
        if understood.status == "no_occupation" and not state["profile"].get("occupation"):
            # "I'm 19, no real work experience. I like working on cars.": asking a school leaver for their job title
            # reads as if they were not heard; what they would like to do is what the list goes by
            if not (state["beliefs"].get("goal") or {}).get("interest"):  # what they enjoy has its own note
                notes.insert(
                    0,
                    NO_TITLE_YET
                    if state["profile"].get("goal")
                    # "I just finished high school and have no experience" was asked for a job title
                    else FIRST_WORK
                    if understood.first_work is not None
                    else "Here are first jobs that fit that."
                    if state["beliefs"].get("first_work")
                    else (understood.message or NO_OCCUPATION),
                )
        if _RECORD_SAID.search(text):
            notes.append(RECORD_NOTE)
        if _CREDENTIAL_SAID.search(text):
            notes.append(CREDENTIAL_NOTE)
        notes.append("(You can correct all of this under *What Waypoint believes about you*.)")
        return " ".join(notes) + "\n\n" + "\n".join(self._recommend(state))

    def _asked_list(
        self, state: dict, action: Route, message: str, understood: Understanding, selected: str | None
    ) -> str:
        """ "What courses should I take?", "find me jobs": that list. What the message also says about the
        person ("I'm a nurse — what courses…?") is taken in first, with the occupation list it changes."""
        parts = []
        # "find me jobs that pay more": the wish is taken in first, like what the message says about the person
        if (says_something(understood) or understood.limits) and understood.status != "not_english":
            described = self._describe(state, message, understood)
            # the list asked for follows in full: its one-line summary under the occupations is left out ("I speak
            # Spanish ... Are there jobs where that helps?" read the most viewed postings twice)
            summary = POSTINGS_SUMMARY if action.action == "jobs" else COURSES_SUMMARY
            parts.append("\n".join(line for line in described.split("\n") if not _summary_line(line, summary)))
        if not _has_profile(state):
            return (
                parts[0]
                if parts
                else (
                    "First tell me a little about yourself (your job, your skills, where "
                    "you'd like to go) so I can suggest them."
                )
            )
        if not state["recs"]:
            parts.append("\n".join(self._recommend(state)))
        parts.append(
            self._courses_for_gaps(state, selected) if action.action == "courses" else self._postings(state, message)
        )
        return "\n\n".join(p for p in parts if p)

    def _courses_for_gaps(self, state: dict, selected: str | None) -> str:
        """The gaps to the occupation in view (the open or selected one, else the top of the list), most
        important first, each with the courses that teach it -- or, honestly, none."""
        target, _first = self._in_view(state, selected)
        if target is None:
            return "I have no occupation to compare you with yet — tell me more about what you do."
        position = next((n for n, r in enumerate(state["recs"]) if r["id"] == target["id"]), None)
        e = self._explain(state, target["id"], position, "ui_courses")
        gaps = e.get("missing_skills") or []
        if not gaps:
            return (
                f"For **{target['title']}** your profile already shows every skill I can check, so there is no "
                "gap a course would close."
            )
        # software employers train on the job and no course teaches (Mavenlink, EDI systems toward office clerks,
        # for a returning receptionist) is one line after the skills, not "the skills to build first"
        on_the_job = [g for g in gaps if _learned_on_the_job(g)]
        taught = [g for g in gaps if g not in on_the_job]
        skill_goal = (state["beliefs"].get("goal") or {}).get("kind") == "skill"
        listed = self._course_items(state) if skill_goal or any(not g.get("courses") for g in taught) else []
        # "I want to learn French": the skill they asked for comes first; toward interpreters its gap is the broader
        # Foreign Language, whose course taught Spanish
        wanted = [i for i in listed if i.get("toward") is None and i.get("closes")]
        lines = (
            [f"To learn **{_md(wanted[0]['closes'][0])}**: " + "; ".join(_md(i["title"]) for i in wanted) + "\n"]
            if wanted
            else []
        )
        lines += [_gaps_heading(target["title"], taught)] if taught else []
        hands_on_only = bool(taught) and all(g.get("hands_on") and not g.get("courses") for g in taught)
        degree = degree_asked(target["id"], self.svc.settings)
        for gap in taught:
            courses = [c["title"] for c in gap.get("courses") or []]
            if hands_on_only:  # said once below, not three times
                lines.append(f"- **{gap['label']}**")
                continue
            lines.append(f"- **{gap['label']}**: " + ("; ".join(courses) if courses else _no_course(gap, degree)))
        if hands_on_only:
            lines.append(
                f"\nNo course in the catalogue teaches these: look for {HANDS_ON_WAY}, which employers often provide."
            )
        if any(not g.get("courses") for g in taught):
            # the line under the list may name courses for a later gap ("Courses toward Office Clerks, General:
            # Principles of Management (for Administration and Management)"); answering "no course" three times
            # to "what courses should I take?" right after it read as a contradiction
            shown = {g["label"] for g in gaps}
            further = [
                i for i in listed if i.get("toward") == target["title"] and not shown & set(i.get("closes") or [])
            ]
            if further:
                lines.append(_extra_line("Courses for later gaps", further))
        if on_the_job:
            names = _md(join_labels([g["label"] for g in on_the_job]))
            lines.append(
                f"\nSoftware its workers use, such as {names}, is usually learned on the job; no course needed."
                if taught
                else f"You already have the skills **{target['title']}** asks for, as far as I can check. What is left is "
                f"software its workers usually learn on the job ({names}), so there is no course to take first."
            )
        lines.append("\nPick another occupation under **Recommendations** and ask again for its courses.")
        return "\n".join(lines)

    def _course_items(self, state: dict) -> list[dict]:
        """The courses the list's course line names: for a skill the goal names (no ``toward``), then toward the
        first occupation on the list, gap by gap."""
        try:
            found = self.svc.recommend(
                _profile(state), "course", 6, session_id=_session(state), surface="ui_courses", with_understanding=False
            )
        except ServiceError:
            return []
        return found["items"]

    def _postings(self, state: dict, asked: str = "") -> str:
        """Job postings for the person as understood (occupation, goal, skills): title, employer, place.
        The request's own words join the search, and a place it names ("… near Chicago") is a condition: the
        postings there come first and alone, or the answer says there are none there."""
        profile = _profile(state)
        if asked:
            profile = profile.model_copy(update={"text": f"{profile.text or ''}\n{asked}".strip()})
        place = parse_place(asked)
        try:
            found = self.svc.recommend(
                profile,
                "job",
                POSTINGS_K * NEARBY_POOL if place.known else POSTINGS_K,
                session_id=_session(state),
                surface="ui_jobs",
                log_impression=not place.known,  # the deeper list is not what the person sees: logged below
                with_understanding=False,
            )
        except ServiceError as exc:
            return f"I can't search job postings right now ({exc.message})."
        items = found.get("items") or []
        if not items:
            return "I found no job postings that match you in the catalogue."
        where, lines = "", []
        if place.known:
            near, _elsewhere = nearby(items, place)
            if near:
                items, where = near, f" {describe(place)}"
            else:
                lines.append(f"I found no job postings that fit you {describe(place)}; these are elsewhere.")
        items = items[:POSTINGS_K]
        if place.known:
            self.svc.log_list_impression(
                [i["id"] for i in items], profile, "job", surface="ui_jobs", session_id=_session(state), k=POSTINGS_K
            )
        if _wants_remote(state):
            lines.append("Postings that say they are remote come first.")
        work = _work_words(state)
        known, ours, rest = _by_kind_of_work(items)
        if not known:
            sections = [
                (
                    f"Job postings{where} people viewed most (tell me your job title and I'll look for your kind of "
                    "work):",
                    _one_line_per_job(items),
                )
            ]
        elif not ours:
            sections = [
                (
                    f"I found no job postings in {work}{where} in the catalogue. The ones people viewed most:",
                    _one_line_per_job(items),
                )
            ]
        else:
            sections = [(f"Job postings in {work}{where}:", ours), (f"Other postings{where} people viewed:", rest)]
        n = 0
        for heading, shown in sections:
            if shown:
                # a blank line ends the list above: Markdown reads a line right after an item as part of it
                lines += [""] if lines else []
                lines.append(heading)
                lines += [f"{n + m}. {item['title']}" for m, item in enumerate(shown, 1)]
                n += len(shown)
        return "\n".join(lines)

    def _fit(self, state: dict, action: Route, selected: str | None):
        """A fit question: the occupation it names (exactly: an unknown one gets "did you mean …?"), or
        the recommendation on screen when it names none ("why this one?")."""
        first_on_list = ""
        if action.target is None:
            # "what am I missing?" right after the list: the first one, said so, as "which courses?" takes it (a walk
            # got "Which occupation do you mean?" for one follow-up and an answer for the next)
            current, first = self._in_view(state, selected)
            if first:
                first_on_list = "The first on your list (pick another under **Recommendations** to ask about it):\n\n"
            if current is None:
                return (
                    "Which occupation do you mean? Ask, for example, *“Am I a good fit for data scientist?”*",
                    gr.update(),
                )
            item_id, title = current["id"], current["title"]
        else:
            match = self.svc.match_occupation(action.target)
            occupation = match.occupation
            listed = _on_the_list(state["recs"], action.target)
            if listed is not None and not any(r["id"] == (occupation or ("",))[0] for r in state["recs"]):
                # "why police?" right after a list that holds police officers: that one, not the catalogue's "police"
                occupation = (listed["id"], listed["title"])
            if occupation is None:
                return match.not_found_message(_md), gr.update()
            item_id, title = occupation
        if not _has_profile(state):
            return ("First tell me a little about yourself (your job, your skills) so I can compare.", gr.update())
        self._close_open(state)
        position = _place_on_list(state, item_id, title)
        e = self._explain(state, item_id, position, "ui_fit")
        self._open(state, e, position)
        if action.intent == "skill_gap":  # "what am I missing?": the gaps themselves, not the summary again
            return first_on_list + _gap_reply(title, e), render_explanation(e)
        reply = (
            f"{first_on_list}**{title}** — fit: **{e.get('fit')}**. {e.get('summary', '')}\n\n"
            "The full explanation, the skill gap and courses are in the panel below."
        )
        return reply, render_explanation(e)

    def _toward_unknown(self, state: dict, action: Route, message: str, understood: Understanding) -> str:
        """A fit question before anything about the person: "How do I become an electrician?", "I'm 40. Is it too
        late to become a doctor?", "What certifications do I need to become a project manager?" were each answered
        "First tell me a little about yourself". The answer is what the catalogue says about that work (what it
        involves, the preparation it takes, what it relies on) and, where the person said they want it, the goal
        taken in: the courses toward it and its postings, the list under **Recommendations**, and a request for
        their own work so the next answer can say how close they are."""
        match = self.svc.match_occupation(action.target or "")
        if match.occupation is None:
            return match.not_found_message(_md)
        facts = self.svc.occupation_facts(match.occupation[0])
        parts = [_facts_block(facts, action.target or "")] if facts is not None else []
        if _AGE_ASKED.search(message):
            parts.append(AGE_NOTE)
        if understood.goals:
            notes = _take_in(state, message, understood.model_copy(update={"occupations": []}))
            lines = self._recommend(state)
            goal = _md(state["profile"].get("goal") or action.target or "")
            listed = "; ".join(_md(r["title"]) for r in state["recs"])  # titles hold commas ("Pediatricians, General")
            extra = [line.strip() for line in lines if _summary_line(line, COURSES_SUMMARY, POSTINGS_SUMMARY)]
            parts.append(
                "\n".join(
                    [
                        " ".join(
                            [f"I've noted your goal: **{goal}**.", *(n for n in notes if not n.startswith("Your goal"))]
                        ),
                        *([f"On your list under **Recommendations**: {listed}."] if listed else []),
                        *extra,
                    ]
                )
            )
        parts.append(
            "Tell me about your own work (or paste your résumé) and I can say how close you are to it and what to "
            "learn first."
        )
        return "\n\n".join(parts)

    def _in_demand(self, state: dict) -> str:
        """What the data can say to "Which jobs are in demand?": no labour-market statistics, so the kinds of work the
        job log's postings are most for, said as such."""
        top, total = self.svc.most_posted()
        if not top:
            return "My data has no labour-market statistics, so I can't say which work is in demand."
        lines = [
            "My data has no labour-market statistics (openings, growth or pay across the country), so I can't say what "
            f"is in demand. What I can say is which work the {total:,} job postings here are most for:"
        ]
        lines += [f"{n}. {_md(title)} — {count:,} postings" for n, (_oid, title, count) in enumerate(top, 1)]
        lines.append(
            "\nAsk *“what does a … do?”* about any of them"
            + (
                ", or *“am I a good fit for …?”*."
                if _has_profile(state)
                else "; tell me about yourself and I'll say which is near you."
            )
        )
        return "\n".join(lines)

    def _compare(self, state: dict, choice: Choice, message: str) -> str | None:
        """A choice between two kinds of work (:mod:`app.ui.choices`): what the rest of the message says about the
        person is taken in, then each option's fit with them (its explanation, so "Why?" opens it) and which is the
        nearer move; before anything about them, what each takes. None when an option names no work the catalogue
        knows."""
        named = [self._named_work(text) for text in (choice.first, choice.second)]
        if any(n is None for n in named):
            return None
        rest = f"{message[: choice.start]} {message[choice.end :]}".strip(" .,;")
        understood = self.svc.understand(rest) if rest else None
        notes: list[str] = []
        if understood is not None and (says_something(understood) or understood.limits):
            # "I'm a CNA. I'm torn between ...": who they are, taken in before weighing (a field's occupation is the
            # one nearest them)
            notes = _take_in(state, rest, understood)
        found = [self._in_field(state, n) if isinstance(n, Goal) else n for n in named]
        options = [o for o in found if o is not None]
        if len(options) < 2:
            return None
        said = [choice.first, choice.second]
        if not _has_profile(state):
            blocks = [
                _facts_block(facts, text)
                for (oid, _title), text in zip(options, said)
                if oid and (facts := self.svc.occupation_facts(oid)) is not None
            ]
            return "\n\n".join(
                [
                    f"What **{_md(said[0])}** and **{_md(said[1])}** each take:",
                    *blocks,
                    "Tell me about your own work (or paste your résumé) and I can say which of the two is nearer for "
                    "you and what to learn first.",
                ]
            )
        self._close_open(state)
        lines = [" ".join(notes), ""] if notes else []
        lines.append(f"Weighing **{_md(said[0])}** against **{_md(said[1])}** with what you've told me:")
        fits = []
        for (oid, title), text in zip(options, said):
            e = self._explain(state, oid, _place_on_list(state, oid, title), "ui_compare")
            fits.append((title, e))
            said_as = "" if title_key(text) in title_key(title) else f" (for “{_md(text)}”)"
            lines.append(f"- **{_md(title)}**{said_as} — fit: **{e.get('fit')}**. {e.get('summary', '')}")
        (first, e1), (second, e2) = fits
        c1, c2 = float(e1.get("coverage") or 0.0), float(e2.get("coverage") or 0.0)
        if abs(c1 - c2) < COMPARE_TIE:
            lines.append(
                "\nThey are about as near as each other for you now; what you would rather do every day decides, and "
                "the gaps above say what each would take."
            )
        else:
            nearer, other = (first, second) if c1 > c2 else (second, first)
            lines.append(
                f"\n**{_md(nearer)}** is the nearer move for you now: your profile already covers more of what it asks "
                f"({max(c1, c2):.0%} against {min(c1, c2):.0%} for {_md(other)})."
            )
        lines.append(
            "Both are under **Recommendations**: pick one and press **Why?** for the full reasoning, or ask which "
            "courses would help."
        )
        return "\n".join(lines)

    def _named_work(self, text: str) -> tuple[str, str] | Goal | None:
        """What an option of a choice names: an occupation (a title the catalogue knows, "bank teller"), a field
        ("accounting", "data analytics", "nursing"; :meth:`_in_field` picks its occupation), or None (no work)."""
        match = self.svc.match_occupation(text)
        if match.occupation is not None:
            return match.occupation
        try:
            goal = self.svc.resolve_goal(text)
        except ServiceError:
            return None
        if goal.kind == "skill" or not (goal.occupation_ids or goal.soc_prefixes):
            return None
        if goal.occupation_ids:
            facts = self.svc.occupation_facts(goal.occupation_ids[0])
            return (goal.occupation_ids[0], facts.title) if facts is not None else None
        return goal

    def _in_field(self, state: dict, goal: Goal) -> tuple[str, str] | None:
        """A field's occupation for this person: the first of the field on their list toward it (the one nearest
        them; with nothing known about them, the field's first by its list alone)."""
        profile = (
            _profile(state).model_copy(update={"goal": goal.text})
            if _has_profile(state)
            else Profile(text=goal.text, goal=goal.text)  # a profile needs more than a goal
        )
        items = self.svc.recommend(
            profile,
            "occupation",
            FIELD_DEPTH,
            session_id=_session(state),
            log_impression=False,
            with_understanding=False,
        )["items"]
        inside = [i for i in items if in_prefixes(i["id"], goal.soc_prefixes)]
        return (inside[0]["id"], inside[0]["title"]) if inside else None

    def _about(self, state: dict, action: Route, message: str, understood: Understanding) -> str:
        """A question about an occupation in general ("What does a data analyst do?", "How much do nurses make?"):
        what the work is, what it involves, the preparation it takes and what it relies on; both occupations of a
        comparison ("What's the difference between a nurse practitioner and a physician assistant?" was answered
        about physician assistants alone). Nothing about the person is taken from it; the answer ends with how to
        compare it with them."""
        named = sorted(((o.span, o.occupation_id) for o in understood.occupations if o.span is not None), key=_start)
        asked = (
            named[:2]
            if len(named) > 1 and _COMPARE.search(message)
            else [(span, oid) for span, oid in named if span.text == action.target][:1]
        )
        blocks = []
        for span, occupation_id in asked:
            facts = self.svc.occupation_facts(occupation_id)
            if facts is not None:
                blocks.append(_facts_block(facts, span.text))
        if not blocks:
            return self.svc.match_occupation(action.target or "").not_found_message(_md)
        lines = ["\n\n".join(blocks)]
        if _PAY_ASKED.search(message):
            lines.append(
                "**Pay:** my data has no pay figures, so I can't tell you what it earns; the preparation above is the "
                "best guide I have to its level."
            )
        said = action.target or ""
        lines.append(
            f"\nAsk *“Am I a good fit for {_md(said)}?”* to compare it with what you've told me."
            if _has_profile(state)
            else "\nTell me about your own work (or paste your résumé) and I can say how close you are to it."
        )
        return "\n".join(lines)

    def _in_view(self, state: dict, selected: str | None) -> tuple[dict | None, bool]:
        """The recommendation a question without a target is about (:meth:`_current`), else the first on the list;
        and whether it is that first one by default (the answer then says so)."""
        current = self._current(state, selected)
        if current is None and state["recs"]:
            return state["recs"][0], True
        return current, False

    def _current(self, state: dict, selected: str | None) -> dict | None:
        """The recommendation a question without a target is about: the open explanation's, else the selected one."""
        if state.get("open"):
            found = [r for r in state["recs"] if r["id"] == state["open"]["item_id"]]
            if found:
                return found[0]
        picked = self._selected(state, selected)
        return picked[0] if picked else None

    def on_upload(self, path, history: list, state: dict):
        state = state or _new_state()
        history = list(history or [])
        if not path:
            return (history, state, *self._profile_outputs(state), self._recs_update(state))
        try:
            # Gradio has already refused paths outside its upload folder (see mount_ui); the reader checks
            # again (inside the folder after symlinks, a regular file, size, type, parse time) so no client-named
            # path reaches a read unchecked even if that layer changes.
            text = read_resume(path, inside=upload_folder())
            history.append({"role": "user", "content": f"Uploaded {Path(path).name} ({len(text):,} characters)"})
            reply = self._describe(state, text[:MAX_PROFILE_TEXT])
        except FileError as exc:
            log.info("résumé upload refused: %s", exc)
            reply = f"Sorry — {exc}"
        except ServiceError as exc:
            reply = f"Sorry — {exc.message}"
        history.append({"role": "assistant", "content": reply})
        return (history, state, *self._profile_outputs(state), self._recs_update(state))

    def on_save_profile(
        self,
        occupation: str,
        skills_text: str,
        goal_text: str,
        history: list,
        state: dict,
        avoid_physical: bool | None = None,
        avoid_schooling: bool | None = None,
        remote: bool | None = None,
        leave_own_work: bool | None = None,
        better_pay: bool | None = None,
        outdoors: bool | None = None,
        part_time: bool | None = None,
        away_from_desk: bool | None = None,
    ):
        """The person corrected what Waypoint believes: log skill corrections, check the occupation and
        the goal (an unknown one is named back, and the old value kept), set or clear the physical limit, the
        no-going-back-to-school one and remote work, then recommend again."""
        state = state or _new_state()
        history = list(history or [])
        p, b = state["profile"], state["beliefs"]
        new_skills = _split_skills(skills_text)
        old = {s.lower(): s for s in p["skills"]}
        new = {s.lower(): s for s in new_skills}
        corrections = [{"skill": old[k], "action": "wrong"} for k in old if k not in new]
        corrections += [{"skill": new[k], "action": "missing"} for k in new if k not in old]
        status = ""
        if corrections:
            try:
                self.svc.feedback({"type": "correction", "corrections": corrections, "session_id": _session(state)})
                status = f"Noted {len(corrections)} skill correction(s)."
            except ServiceError as exc:
                status = f"Corrections not saved: {exc.message}"
        p["skills"] = new_skills
        b["skills"] = {k: v for k, v in (b.get("skills") or {}).items() if k in new_skills}
        notes = []
        try:
            notes += self._correct_occupation(state, (occupation or "").strip())
            notes += self._correct_goal(state, (goal_text or "").strip())
        except ServiceError as exc:
            notes.append(f"Sorry — {exc.message}")
        notes += _correct_limit(state, avoid_physical)
        notes += _correct_schooling(state, avoid_schooling)
        notes += _correct_remote(state, remote)
        notes += _correct_leaving(state, leave_own_work)
        notes += _correct_pay(state, better_pay)
        notes += _correct_outdoors(state, outdoors)
        notes += _correct_part_time(state, part_time)
        notes += _correct_desk(state, away_from_desk)
        self._close_open(state)
        if _has_profile(state):
            try:
                notes.append("Profile updated. " + "\n".join(self._recommend(state)))
            except ServiceError as exc:
                notes.append(f"Sorry — {exc.message}")
        if notes:
            history.append({"role": "assistant", "content": "\n\n".join(notes)})
        return (history, state, *self._profile_outputs(state), self._recs_update(state), status)

    def _correct_occupation(self, state: dict, occupation: str) -> list[str]:
        p, b = state["profile"], state["beliefs"]
        if not occupation:
            p["occupation"] = p["occupation_id"] = b["occupation"] = None
            return []
        if occupation == p.get("occupation") and p.get("occupation_id"):
            return []
        match = self.svc.match_occupation(occupation)
        if match.occupation is None:
            return [match.not_found_message(_md) + " I kept your occupation as it was."]
        oid, title = match.occupation
        note = "confirmed by you" if title == p.get("occupation") else "set by you"  # seen and kept, or chosen
        p["occupation"], p["occupation_id"] = title, oid
        b["occupation"] = {"title": title, "id": oid, "confidence": 1.0, "quote": None, "by_person": True, "note": note}
        return []

    def _correct_goal(self, state: dict, goal: str) -> list[str]:
        p, b = state["profile"], state["beliefs"]
        if goal == (p.get("goal") or ""):
            return []
        if not goal:  # cleared: and the words that stated it stop steering the list too
            p["goal"], b["goal"] = None, None
            self._drop_stated_goals(state)
            return ["Goal cleared: the list is no longer a transition list."]
        resolved = self.svc.resolve_goal(goal)
        p["goal"] = goal
        b["goal"] = _goal_belief(resolved, None, by_person=True)
        return []

    def _drop_stated_goals(self, state: dict) -> None:
        """Remove goal targets from the profile text ("I want to move into finance"), so a cleared goal
        is not found again in the person's own words."""
        p = state["profile"]
        text = p.get("text") or ""
        if not text:
            return
        spans = sorted((g.span for g in self.svc.understand(text).goals if g.span is not None), key=lambda s: -s.start)
        for span in spans:
            text = text[: span.start] + text[span.end :]
        p["text"] = text.strip() or None

    def _selected(self, state: dict, label: str | None) -> tuple[dict, int] | None:
        for n, rec in enumerate(state.get("recs") or []):
            if _choice_label(rec) == label:
                return rec, n
        return None

    def on_why(self, label: str | None, state: dict):
        """ "Why?" = a click: log it, open the full explanation (dwell starts), close the previous one.

        A generator (Gradio sends each yield as it comes): the skeleton -- fit, skills and citations from
        the evidence -- is shown at once as "writing…", the verified steps and summary fill it in as the
        LLM writes them, and the finished explanation replaces it in place."""
        state = state or _new_state()
        found = self._selected(state, label)
        if found is None:
            yield state, gr.update(), "Pick a recommendation first."
            return
        rec, position = found
        self._close_open(state)
        try:
            e = state["explanations"].get(rec["id"])
            if e is None:
                for partial in self._explain_streaming(state, rec["id"], position, "ui_panel"):
                    if partial.get("state") == "writing":
                        yield state, render_explanation(partial), ""
                    else:
                        e = partial
            self.svc.feedback(
                {
                    "type": "click",
                    "item_id": rec["id"],
                    "impression_id": e.get("impression_id"),
                    "position": position,
                    "session_id": _session(state),
                }
            )
        except ServiceError as exc:
            yield state, gr.update(), f"Sorry — {exc.message}"
            return
        self._open(state, e, position)
        yield state, render_explanation(e), ""

    def on_again(self, state: dict):
        """ "Explain differently": another decoding of the open explanation (the same evidence, the next
        sampled arm, :func:`app.feedback.policies.next_sample_variant`), written in place like "Why?".

        It is its own impression (propensity 1: the person asked for it), so the two explanations of one
        item a person saw, and the thumbs or dwell each got, make an on-policy preference pair for
        ``waypoint train dpo --source feedback`` (:func:`training.feedback_data.context_groups`)."""
        state = state or _new_state()
        current = state.get("open")
        if not current:
            yield state, gr.update(), "Open an explanation first (select one and press **Why?**)."
            return
        item_id, position = current["item_id"], current.get("position")
        shown = state["explanations"].get(item_id) or {}
        variant = next_sample_variant(shown.get("variant"))
        self._close_open(state)
        e: dict = {}
        try:
            for partial in self._explain_streaming(state, item_id, position, "ui_panel", variant=variant):
                if partial.get("state") == "writing":
                    yield state, render_explanation(partial), ""
                else:
                    e = partial
        except ServiceError as exc:
            yield state, gr.update(), f"Sorry — {exc.message}"
            return
        self._open(state, e, position)
        same = _wording(e) == _wording(shown)  # the closed grammar leaves the model few choices: say so
        yield state, render_explanation(e), (SAME_WORDING if same else "")

    def _explain_streaming(
        self, state: dict, item_id: str, position: int | None, surface: str, *, variant: str | None = None
    ):
        """The explanation of ``item_id`` as it is written: the skeleton (``state: "writing"``), the same with
        each verified step and then the summary filled in, and last the finished explanation (cached in
        ``state`` like :meth:`_explain`'s). Logged exactly as :meth:`_explain` logs it, once, at the end.
        ``variant`` (an arm asked for, "Explain differently") makes it an impression of its own."""
        shown = None if variant else ([r["id"] for r in state["recs"]] or None)
        stream = open_explanation_stream(
            self.svc,
            _profile(state),
            item_id,
            variant=variant,
            session_id=_session(state),
            position=position,
            shown=shown,
            impression_id=state.get("impression_id") if shown and item_id in shown else None,
            surface=surface,
        )
        partial: dict = {}
        try:
            for name, data in stream:
                if name == "skeleton":
                    partial = dict(data)
                elif name == "next_step":  # its citation ids are final only at done: shown then
                    partial["next_steps"] = [*partial.get("next_steps", []), data["text"]]
                elif name == "rewrite":
                    partial["next_steps"] = []
                elif name == "summary":
                    partial["summary"] = data["text"]
                elif name == "done":
                    state["explanations"][item_id] = data
                    yield data
                    return
                else:
                    continue
                yield partial
        finally:
            stream.cancel()  # the page went away mid-stream: stop the LLM, free the slot (a no-op after done)
        raise ServiceError("the explanation stopped before it was finished; try again", status=503, code="unavailable")

    def on_close(self, state: dict):
        state = state or _new_state()
        self._close_open(state)
        return state, "", ""

    def on_thumbs(self, up: bool, reason: str | None, state: dict):
        state = state or _new_state()
        current = state.get("open")
        if not current:
            return state, "Open an explanation first (select one and press **Why?**)."
        event = {
            "type": "thumbs",
            "item_id": current["item_id"],
            "up": up,
            "impression_id": current.get("impression_id"),
            "position": current.get("position"),
            "session_id": _session(state),
        }
        if not up:
            event["reason"] = reason if reason in THUMBS_REASONS else "other"
        try:
            self.svc.feedback(event)
        except ServiceError as exc:
            return state, f"Feedback not saved: {exc.message}"
        return state, (
            "Thanks — glad it helped!"
            if up
            else f"Thanks — noted: {REASON_LABELS.get(event['reason'], event['reason'])}."
        )

    # -------------------------------------------------------------- layout
    def build(self) -> gr.Blocks:
        with gr.Blocks(title="Waypoint — career guidance") as demo:
            state = gr.State(_new_state())
            gr.Markdown("# Waypoint\nCareer guidance that shows its evidence.", elem_id="header")
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(
                        value=[{"role": "assistant", "content": WELCOME}],
                        elem_id="chat",
                        height=540,
                        label="Chat",
                        feedback_options=None,
                    )
                    with gr.Row():
                        msg = gr.Textbox(
                            placeholder="e.g. I'm a registered nurse who teaches patients about diabetes…",
                            show_label=False,
                            elem_id="chat-input",
                            scale=5,
                            lines=1,
                            max_lines=6,
                            max_length=self.svc.settings.max_text_chars,
                        )
                        send = gr.Button("Send", variant="primary", elem_id="chat-send", scale=1)
                    upload = gr.File(
                        label="Or upload a résumé (PDF, DOCX or TXT)",
                        file_types=[".pdf", ".docx", ".txt"],
                        type="filepath",
                        elem_id="resume-upload",
                        height=130,
                    )
                with gr.Column(scale=2):
                    gr.Markdown("### What Waypoint believes about you")
                    believes = gr.Markdown(render_beliefs(_new_state()), elem_id="believes-panel", sanitize_html=True)
                    gr.Markdown("Something wrong? Correct it here and press **Update** — corrections teach the system.")
                    occupation = gr.Dropdown(
                        choices=[],
                        value=None,
                        label="Current occupation (pick or type a title)",
                        allow_custom_value=True,
                        filterable=True,
                        elem_id="profile-occupation",
                    )
                    skills = gr.Textbox(
                        label="Skills (comma-separated: delete or add)", lines=3, elem_id="profile-skills"
                    )
                    goal = gr.Textbox(
                        label="Goal: a field, an occupation or a skill (clear it to drop it)",
                        placeholder="e.g. finance, lawyer, learn Python",
                        elem_id="profile-goal",
                        max_length=500,
                    )
                    limit_box = gr.Checkbox(
                        label="Leave out physically demanding work (a bad back, worn knees)",
                        value=False,
                        elem_id="profile-limit",
                    )
                    school_box = gr.Checkbox(
                        label="Only work I can reach without a degree (no going back to school)",
                        value=False,
                        elem_id="profile-schooling",
                    )
                    remote_box = gr.Checkbox(
                        label="Only work I can do from home (remote)", value=False, elem_id="profile-remote"
                    )
                    leave_box = gr.Checkbox(
                        label="Not my current kind of work (I want out of it)", value=False, elem_id="profile-leave"
                    )
                    pay_box = gr.Checkbox(
                        label="Better-paid work first (more training or experience than mine)",
                        value=False,
                        elem_id="profile-pay",
                    )
                    outdoor_box = gr.Checkbox(label="Only work done outdoors", value=False, elem_id="profile-outdoors")
                    hours_box = gr.Checkbox(
                        label="Part-time or flexible hours first", value=False, elem_id="profile-part-time"
                    )
                    desk_box = gr.Checkbox(
                        label="Only work away from a desk and a screen", value=False, elem_id="profile-away-from-desk"
                    )
                    save = gr.Button("Update profile", elem_id="profile-save")
            with gr.Row():
                with gr.Column(scale=2):
                    recs = gr.Radio(choices=[], label="Recommendations", elem_id="recs")
                    why = gr.Button("Why? Show the explanation", elem_id="why-btn", variant="secondary")
                    again = gr.Button("Explain differently", elem_id="again-btn", size="sm")
                with gr.Column(scale=3):
                    panel = gr.Markdown("", elem_id="explanation", sanitize_html=True)
                    with gr.Row():
                        up = gr.Button("Helpful ✓", elem_id="thumbs-up", size="sm")
                        down = gr.Button("Not helpful ✗", elem_id="thumbs-down", size="sm")
                        reason = gr.Dropdown(
                            choices=[(v, k) for k, v in REASON_LABELS.items()],
                            value="not_relevant",
                            label="Reason if not helpful",
                            elem_id="thumbs-reason",
                        )
                        close = gr.Button("Close", elem_id="close-btn", size="sm")
                    status = gr.Markdown("", elem_id="feedback-status")

            profile_outputs = [
                occupation, skills, goal, believes, limit_box, school_box, remote_box, leave_box, pay_box,
                outdoor_box, hours_box, desk_box,
            ]  # fmt: skip
            msg_outputs = [msg, chat, state, *profile_outputs, recs, panel]
            send.click(self.on_message, [msg, chat, state, recs], msg_outputs, api_visibility="private")
            msg.submit(self.on_message, [msg, chat, state, recs], msg_outputs, api_visibility="private")
            upload.upload(
                self.on_upload, [upload, chat, state], [chat, state, *profile_outputs, recs], api_visibility="private"
            )
            save.click(
                self.on_save_profile,
                [
                    occupation,
                    skills,
                    goal,
                    chat,
                    state,
                    limit_box,
                    school_box,
                    remote_box,
                    leave_box,
                    pay_box,
                    outdoor_box,
                    hours_box,
                    desk_box,
                ],  # fmt: skip
                [chat, state, *profile_outputs, recs, status],
                api_visibility="private",
            )
            # a stream: the skeleton replaces the panel at once and is filled in place, so no full-panel spinner
            # ("minimal"); each listener has its own concurrency group (default_concurrency_limit below), so chat,
            # upload and feedback stay usable while an explanation is written; a second "Why?" while one writes
            # runs after it ("always_last") instead of being dropped ("once", the default for clicks)
            why.click(
                self.on_why,
                [recs, state],
                [state, panel, status],
                api_visibility="private",
                show_progress="minimal",
                trigger_mode="always_last",
            )
            again.click(
                self.on_again,
                [state],
                [state, panel, status],
                api_visibility="private",
                show_progress="minimal",
                trigger_mode="always_last",
            )
            close.click(self.on_close, [state], [state, panel, status], api_visibility="private")
            up.click(lambda s: self.on_thumbs(True, None, s), [state], [state, status], api_visibility="private")
            down.click(
                lambda r, s: self.on_thumbs(False, r, s), [reason, state], [state, status], api_visibility="private"
            )
        demo.queue(default_concurrency_limit=4)
        return demo


def build_ui(service: WaypointService) -> gr.Blocks:
    return ChatUI(service).build()


def mount_ui(app, service: WaypointService, path: str = UI_PATH):
    """Mount the UI on ``app`` at ``path`` (returns the app).

    Uploads are capped by Gradio's own upload route at the reader's limit, so a file the route takes is
    never refused for its size afterwards.
    """
    demo = build_ui(service)
    # Gradio checks that a file path sent to an event lies in its upload folder
    # (processing_utils._check_allowed) only once ``has_launched`` is set, and only Blocks.launch() sets it:
    # mounted, any client could name any server file (issue 27: secrets read, /dev/zero hashed on the event
    # loop). Set it so the check applies: inputs must come from the upload folder, outputs from the working
    # or temp directory. In gradio 6.31 nothing else reads the flag (tests/test_security_uploads.py attacks it).
    demo.has_launched = True
    return gr.mount_gradio_app(
        app,
        demo,
        path=path,
        max_file_size=MAX_FILE_BYTES,
        ssr_mode=False,
        css=CSS,
        footer_links=[],
        theme=gr.themes.Soft(),
    )
