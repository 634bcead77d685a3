"""What the chat does with a message: answer a fit question, list courses or job postings when asked
for them, say what an occupation is when asked about one ("What does a data analyst do?",
:func:`asks_about_occupation`), weigh a choice between two kinds of work ("Should I go into nursing or teaching?",
:mod:`app.ui.choices`), take in what the person says about themselves (and recommend), or reply to small talk.

Two signals, each used for what it is good at:

* **what is asked**: the SetFit intent classifier (:meth:`app.api.services.WaypointService.intent`;
  ``eval/chat_routing.py`` measured it against the regular expressions it replaces). Its
  ``explain_fit`` and ``skill_gap`` intents are fit questions; ``courses`` and ``find_jobs`` ask for
  those lists; ``other`` is small talk.
* **what is said**: the :class:`~retrieval.understanding.schema.Understanding` of the message. The
  classifier was trained without self-descriptions, so it calls some of them "other" ("I'm an RN on a
  busy med-surg ward"); a message that names an occupation, a skill or a goal is taken in whatever
  the classifier says.

A fit question's target is the occupation it names: the words after "Am I a good fit for …"
(:func:`~app.api.services.parse_fit_question`, kept verbatim so that an unknown title can be answered
with "I couldn't find an occupation called …"), else the occupation goal or title the understanding
found in it ("What skills would I need to become a pilot?"), or the occupation it links with some
confidence. None means "the one on screen".

A pasted résumé or a long about-me (:func:`pasted_description`) is taken in, not answered as the fit
question the classifier, trained on short chat messages, may take it for; so is a short statement about the
person (:func:`describes_self`). A bare follow-up ("why?", "tell me more") is about the recommendation on
screen: too short for the classifier to go on (``eval/data/chat_followups.jsonl`` measures follow-ups).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from app.api.services import asks_about_shown, parse_fit_question
from app.ui.choices import Choice, parse_choice
from retrieval.understanding.schema import NAMED, Understanding

Action = Literal["fit", "courses", "jobs", "profile", "about", "compare", "other"]
FIT_INTENTS = frozenset({"explain_fit", "skill_gap"})
# "what courses should I take?", "find me jobs": answered with that list, not the occupation list again
LIST_INTENTS: dict[str, Action] = {"courses": "courses", "find_jobs": "jobs"}
# A self-description with a goal ("I teach math and I'd like to become a developer") reads to the classifier
# like a request for courses or jobs; it gets that list only when it names what it asks for.
LIST_WORDS: dict[str, re.Pattern[str]] = {
    "courses": re.compile(r"\b(?:courses?|class(?:es)?|certificat\w*|training|bootcamps?|study|studies)\b", re.I),
    "find_jobs": re.compile(
        r"\b(?:jobs?|postings?|listings?|openings?|positions?|vacanc\w*|hiring|roles?\s+(?:near|in|at)|apply)\b", re.I
    ),
}
DESCRIPTION_WORDS = 40  # a message this long that asks nothing is a description of the person


@dataclass(frozen=True)
class Route:
    action: Action
    target: str | None = None  # fit, about: the occupation as the person named it; None = the one on screen
    intent: str = ""  # the classifier's label
    model: str = ""  # which classifier answered (setfit | centroid | none)
    choice: Choice | None = None  # compare: the two options asked about (app.ui.choices)


def says_something(understood: Understanding) -> bool:
    """Whether the message tells Waypoint something about the person: their work (an occupation named in it,
    linked with some confidence, or described: :meth:`Understanding.said_work`), a skill, a goal, that they have not
    worked yet, or text in a language it cannot read yet (its message says so)."""
    if understood.status == "not_english":
        return True
    # "I just finished high school and have no experience": that they have not worked yet is what the list goes by
    return (
        understood.said_work() or bool(understood.skills) or bool(understood.goals) or understood.first_work is not None
    )


def pasted_description(message: str, understood: Understanding) -> bool:
    """A pasted résumé or a long about-me: :data:`DESCRIPTION_WORDS` words or more, asking nothing (no
    question mark), that say something about the person. The intent model learnt from chat-length messages
    (at most ~15 words): of 80 pasted résumés and work histories it routed 31 as fit questions (the chat then
    answered "First tell me a little about yourself") and 12 to a course or job list (a résumé's "training",
    "hiring"). A question in a long message is still answered ("… Which courses would help me?")."""
    return len(message.split()) >= DESCRIPTION_WORDS and "?" not in message and says_something(understood)


# How a question or a request starts; a message that starts otherwise and asks nothing ("I drive an
# 18-wheeler, been doing it 12 years") is a statement.
_ASKING = re.compile(
    r"^\W*(?:and\s+|so\s+|ok(?:ay)?,?\s+|hmm+,?\s+|but\s+)?(?:do|does|did|am|is|are|was|were|can|could|would|will|"
    r"should|shall|may|might|have|has|how|what|whats|why|which|where|who|when|whose|tell|explain|show|"
    r"give|list|compare|help|please|describe|find|any)\b",
    re.I,
)


# Words of a fit or gap request ("gap analysis for marketing manager"): such a message is not a statement.
_FIT_WORDS = re.compile(r"\b(?:gaps?|missing|lack\w*|fit|match\w*|suit\w*|qualif\w*)\b", re.I)
# A bare follow-up about what is on screen: too short for the intent model to have anything to go on.
_BARE_FOLLOW_UP = re.compile(
    r"^\W*(?:(?:but|and|so|ok(?:ay)?|hmm+)\W+)?(?:why(?:\s+(?:so|not|that|this))?|how\s+(?:come|so)|"
    r"(?:tell|show)\s+me\s+more|more\s+(?:details?|about\s+(?:it|this|that|this\s+one|that\s+one)|please)|go\s+on|"
    r"what(?:'s|’s|\s+is)\s+(?:stopping|holding)\s+me(?:\s+back)?|"
    # the gap of the one on screen: the centroid classifier (no SetFit model built) read "what am I missing?" as
    # small talk and the chat answered with its help text
    r"what\s+am\s+i\s+(?:still\s+)?missing|what(?:'s|’s|\s+is)\s+my\s+gap|"
    r"what\s+(?:else\s+)?(?:do|would|will)\s+i\s+need(?:\s+to\s+(?:learn|know|get\s+there))?|"
    r"how\s+far\s+am\s+i(?:\s+from\s+(?:it|that|this))?|what\s+would\s+it\s+take|how\s+do\s+i\s+get\s+there)\W*$",
    re.I,
)


# A request for other work ("what else could I do?", "what are my options?"): the occupation list, not a fit
# question about the occupation the same message says the person holds ("truck driver 10 years, my back is
# done. what else could I do?" was answered "First tell me a little about yourself").
_ALTERNATIVES = re.compile(
    r"\bwhat\s+else\s+(?:(?:can|could|should|would|might)\s+i\s+(?:do|be|try|work\s+as)\b|is\s+(?:there|out\s+there)\b|"
    r"(?:would|might|could)\s+suit\s+me\b|fits?\s+me\b)|\bwhat\s+other\s+(?:jobs?|careers?|options?|work|roles?|occupations?|positions?|fields?)\b|"
    r"\b(?:my|the|any)\s+options\b|\bwhat\s+now\b|\bwhere\s+(?:do|can|could|should)\s+i\s+go\b|"
    r"\bwhat\s+(?:jobs?|careers?|work)\s+(?:can|could|should|would)\s+i\b|"
    r"\bwhat\s+(?:can|could|should)\s+i\s+(?:do|switch\s+to|move\s+(?:in)?to)\s*(?:instead|next|now)?\s*\??\s*$",
    re.I | re.M,
)


# "show me postings", "find me some courses": a list asked for in so many words, whatever the model says
_LIST_REQUEST = re.compile(
    r"\b(?:show|find|give|list|get|see|suggest|recommend)\s+(?:me\s+)?(?:some\s+|any\s+|the\s+|a\s+few\s+)?"
    r"(?:(?:job\s+)?(?P<jobs>jobs?|postings?|openings?|vacanc(?:y|ies))|(?P<courses>courses?|classes))\b",
    re.I,
)


def asked_list(message: str) -> str | None:
    """The list a message asks for in so many words ("show me postings": ``find_jobs``), else None."""
    m = _LIST_REQUEST.search(message)
    if m is None:
        return None
    return "find_jobs" if m.group("jobs") else "courses"


def asks_for_alternatives(message: str, understood: Understanding) -> bool:
    """ "What else could I do?" without a goal named: a request for the occupation list."""
    return bool(_ALTERNATIVES.search(message)) and not understood.goals


# Words of the person: a question with none of them is about work in general ("What does a data analyst do?"). "Tell
# me about welders" asks about welders.
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|im|i've|ive|i'd|i'll|me|my|mine|myself)\b", re.I)
_ASKED_OF_US = re.compile(r"\b(?:tell|show|give|explain\s+to)\s+me\b", re.I)
# A question about other work than the one it names is the person's ("What can a nurse do besides bedside care?")
_OTHER_WORK = re.compile(
    r"\b(?:else|besides|instead|other|options?|alternatives?|switch\w*|move|moving|transition\w*|leave|leaving|"
    r"after|into|become|becoming)\b",
    re.I,
)


def asks_about_occupation(message: str, understood: Understanding, intent: str = "") -> str | None:
    """The occupation a question about work in general names, as written ("What does a data analyst do?": "data
    analyst"; "How much do nurses make?", "Tell me about welders"); None when the message is about the person (their
    words, a goal, other work than the one named) or names no occupation by its title. Such a question was taken in
    as the person's own work: "I've noted your occupation as Business Intelligence Analysts"."""
    asking = "?" in message or _ASKING.search(message)
    if not asking or understood.goals or _OTHER_WORK.search(message) or _FIT_WORDS.search(message):
        return None  # "missing skills for HR specialist?" is a fit question
    if intent in LIST_INTENTS and LIST_WORDS[intent].search(message):
        return None  # "Are there hiring postings for welders?", "any listings for dental assistants"
    if _FIRST_PERSON.search(_ASKED_OF_US.sub(" ", message)):
        return None
    named = [o.span.text for o in understood.occupations if o.span is not None]
    return named[0] if named else None


# Words of a question about the gaps: answered with the gaps themselves (the chat's skill-gap reply)
_GAP_ASK = re.compile(
    r"\b(?:missing|lack(?:ing)?|gaps?|stopping\s+me|holding\s+me\s+back|what\s+(?:else\s+)?(?:do|would|will)\s+i\s+need)\b",
    re.I,
)


def describes_self(message: str, understood: Understanding) -> bool:
    """A statement about the person (no question mark, not worded as a question or a request) that says
    something (:func:`says_something`): taken in, even when the intent model reads it as a fit question.
    The follow-ups of INTENT_VERSION 2 ("why is it on my list", "gaps?") taught the model that short
    messages can be fit questions; "I'm an RN on a busy med-surg ward" then read as one."""
    asking = "?" in message or _ASKING.search(message) or _FIT_WORDS.search(message)
    # "I like working with my hands": a liking that names no work still says which work comes first
    return not asking and (says_something(understood) or understood.leaning is not None)


def fit_target(message: str, understood: Understanding) -> str | None:
    """The occupation a fit question is about, as written; None when it names none ("why this one?")."""
    target = parse_fit_question(message)
    if target:
        return target
    for goal in understood.goals:
        if goal.kind == "occupation":
            return goal.text
    for occupation in understood.occupations:
        if occupation.span is not None:
            return occupation.span.text
    linked = understood.occupation  # named in words no title lists ("missing to be a pharmacist" in a wish)
    return linked.title if linked is not None and linked.confidence >= NAMED else None


def route(message: str, intent: str, understood: Understanding, model: str = "") -> Route:
    """The chat's action for ``message``, given its intent label and its understanding."""
    choice = parse_choice(message)
    if choice is not None:  # "Should I go into accounting or data analytics?": both weighed (before "should I become")
        return Route("compare", None, intent, model, choice)
    target = parse_fit_question(message)
    if target:  # "Am I a good fit for X?": unambiguous, and X is kept as written
        return Route("fit", target, intent, model)
    if pasted_description(message, understood):  # a résumé's "training" or "hiring" asks for no list
        return Route("profile", None, intent, model)
    listed = asked_list(message)
    if listed is not None and intent not in LIST_INTENTS:
        intent = listed  # "cool, show me postings" read as small talk
    if asks_for_alternatives(message, understood) and not asks_about_shown(message):
        return Route("profile", None, intent, model)
    about = asks_about_occupation(message, understood, intent) if listed is None else None
    if about is not None:  # "What does a data analyst do?": the work itself, not the person's
        return Route("about", about, intent, model)
    fit_intent = intent in FIT_INTENTS and not describes_self(message, understood)
    # "why does this role fit me?", "why?", "tell me more": the one on screen
    if fit_intent or asks_about_shown(message) or _BARE_FOLLOW_UP.search(message):
        # "what's stopping me?" read as small talk by the model is still a question about the gaps
        gap = "skill_gap" if _GAP_ASK.search(message) else intent
        return Route("fit", fit_target(message, understood), gap, model)
    if intent in LIST_INTENTS and (not says_something(understood) or LIST_WORDS[intent].search(message)):
        return Route(LIST_INTENTS[intent], None, intent, model)  # what else they say is taken in first
    if intent == "other" and not says_something(understood) and not understood.limits and not understood.leaning:
        # a limit or a wish said alone ("I want to make more money", read as small talk) is heard and kept
        return Route("other", None, intent, model)
    return Route("profile", None, intent, model)
