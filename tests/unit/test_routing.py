"""What the chat does with short follow-ups and self-descriptions (app/ui/routing.py), as a pure function.

A walk through the UI (a junior web developer asked "Could I become a UX designer?", then "what am I
missing?") got the greeting: the intent model had never seen a follow-up that short. Its new training
follow-ups made it read some statements ("I drive an 18-wheeler, been doing it 12 years") as fit
questions; a statement that says something about the person is taken in whatever the model says.
"""

from __future__ import annotations

import pytest

from app.ui.routing import describes_self, route
from retrieval.understanding.schema import Goal, OccupationLink, Span, Understanding

NOTHING = Understanding(status="nonsense")


def _names(text: str, title: str = "Heavy and Tractor-Trailer Truck Drivers") -> Understanding:
    return Understanding(
        status="understood",
        occupations=[
            OccupationLink(
                occupation_id="53-3032.00",
                title=title,
                confidence=0.9,
                span=Span(start=0, end=len(text), text=text),
                method="title",
            )
        ],
    )


@pytest.mark.parametrize(
    "message", ["why?", "Why not?", "how come?", "tell me more", "ok, tell me more", "more details"]
)
def test_a_bare_follow_up_is_about_the_one_on_screen_whatever_the_intent_model_says(message):
    routed = route(message, "other", NOTHING)
    assert (routed.action, routed.target) == ("fit", None)


@pytest.mark.parametrize(
    "message", ["what am I missing?", "What's my gap", "what would I need to learn?", "how far am I from that?"]
)
def test_a_bare_gap_question_is_about_the_gaps_of_the_one_on_screen(message):
    """Without the SetFit intent model (the centroid classifier) "what am I missing?" was small talk, answered
    with the help text, while "which courses would help with that?" answered for the first on the list."""
    routed = route(message, "other", NOTHING)
    assert (routed.action, routed.target) == ("fit", None)
    assert routed.intent == "skill_gap" or not message.startswith(("what am", "What's"))


@pytest.mark.parametrize(
    "message", ["why is the sky blue", "tell me a joke", "more coffee", "what am I missing out on"]
)
def test_longer_questions_are_not_taken_for_follow_ups(message):
    assert route(message, "other", NOTHING).action == "other"


def test_a_statement_about_the_person_is_taken_in_even_when_read_as_a_fit_question():
    said = _names("18-wheeler")
    assert describes_self("I drive an 18-wheeler, been doing it 12 years", said)
    assert route("I drive an 18-wheeler, been doing it 12 years", "explain_fit", said).action == "profile"
    # worded as a question or a request, or with the words of one: still a fit question
    for message in (
        "Do my skills match what a truck driver needs",
        "gap analysis for truck driver",
        "tell me why truck driving suits me",
        "Could I drive an 18-wheeler?",
    ):
        assert not describes_self(message, said), message
        assert route(message, "explain_fit", said).action == "fit", message
    # a statement that says nothing Waypoint can use is left to the intent model
    assert route("the one you showed first", "explain_fit", NOTHING).action == "fit"


def test_a_skill_gap_question_is_answered_with_the_gaps_and_their_first_course():
    from app.ui.chat import _gap_reply

    e = {
        "fit": "possible",
        "missing_skills": [
            {"label": "Pharmacology", "courses": [{"title": "Drugs and the Brain"}, {"title": "Pharmacy 101"}]},
            {"label": "Diagnosis", "courses": []},
            {"label": "Biology", "courses": [], "deeper": True},  # held, at a lower level than required
        ],
    }
    reply = _gap_reply("Nurse Practitioners", e)
    assert reply.startswith("**Nurse Practitioners** — fit: **possible**. What you would still need")
    assert "- **Pharmacology** — course: Drugs and the Brain" in reply and "Pharmacy 101" not in reply
    assert "- **Diagnosis**\n" in reply and "- **Biology** (further than your current work takes it)" in reply
    assert "no gap to close" in _gap_reply("Nurse Practitioners", {"fit": "strong", "missing_skills": []})


@pytest.mark.parametrize(
    "message",
    [
        "truck driver 10 years, my back is done. what else could I do?",
        "truck driver, what are my options?",
        "truck driver. What other jobs could I do?",
        "truck driver, what could I do instead?",
    ],
)
def test_asking_what_else_gets_the_list_not_a_fit_answer_about_their_own_job(message):
    """The walk: the first message of a truck driver was routed as a fit question about truck driving, and
    the chat answered "First tell me a little about yourself"."""
    for intent in ("explain_fit", "skill_gap", "recommend_occupations", "other"):
        assert route(message, intent, _names("truck driver")).action == "profile"


@pytest.mark.parametrize(
    "message", ["What other skills do I need to become a pilot?", "what else do I need for data scientist?"]
)
def test_what_else_about_a_named_target_is_still_a_fit_question(message):
    understood = Understanding(
        status="no_occupation",
        goals=[Goal(text="pilot", kind="occupation", occupation_ids=["53-2011.00"])],
    )
    assert route(message, "skill_gap", understood).action == "fit"
    named = _names("data scientist", title="Data Scientists")  # named without a goal's words
    assert route(message, "skill_gap", named).action == "fit"


def test_a_list_asked_for_in_so_many_words_is_that_list_whatever_the_model_says():
    assert route("cool, show me postings", "other", NOTHING).action == "jobs"
    assert route("ok find me some courses", "other", NOTHING).action == "courses"
    assert route("show me more", "other", NOTHING).action == "fit"  # a follow-up, not a list


def test_what_is_stopping_me_is_about_the_one_on_screen():
    routed = route("what's stopping me?", "other", NOTHING)
    assert (routed.action, routed.target, routed.intent) == ("fit", None, "skill_gap")  # answered with the gaps


def test_work_described_without_a_title_is_taken_in_whatever_the_intent_model_says():
    """ "I fix leaking pipes and unblock drains. ... I want something with better pay" names no title and links
    by meaning only 0.44 sure; it was answered "First tell me a little about yourself". A sentence of work
    (``Understanding.work``) is the person's own account of their work: taken in, then the list."""
    text = "I fix leaking pipes and unblock drains for a living. I want something with better pay."
    link = OccupationLink(
        occupation_id="47-2152.00", title="Plumbers, Pipefitters, and Steamfitters", confidence=0.44, method="meaning"
    )
    described = Understanding(status="understood", occupations=[link], work=[Span(start=0, end=52, text=text[:52])])
    assert described.said_work()
    # the walk's message was read as a request for postings ("something with better pay")
    assert route(text, "find_jobs", described).action == "profile"
    vague = described.model_copy(update={"work": []})  # the same weak link from a text that describes no work
    assert not vague.said_work() and route(text, "find_jobs", vague).action == "jobs"


def test_the_panel_offers_only_plausible_other_occupations():
    """A CNC operator's unsure link came with "Registered Nurses" at 0.06 among the candidates, and the panel
    read "It could also be Packaging and Filling Machine Operators, Registered Nurses, Home Health Aides"."""
    from app.ui.chat import _new_state, _take_in, render_beliefs

    def link(oid: str, title: str, confidence: float) -> OccupationLink:
        return OccupationLink(occupation_id=oid, title=title, confidence=confidence, method="title+meaning")

    text = "25 years running a CNC machine"
    understood = Understanding(
        status="understood",
        occupations=[
            link("51-9161.00", "Computer Numerically Controlled Tool Operators", 0.73),
            link("51-9111.00", "Packaging and Filling Machine Operators and Tenders", 0.53),
            link("29-1141.00", "Registered Nurses", 0.06),
        ],
        work=[Span(start=0, end=len(text), text=text)],
    )
    state = _new_state()
    _take_in(state, text, understood)
    panel = render_beliefs(state)
    assert "It could also be Packaging and Filling Machine Operators and Tenders." in panel
    assert "Registered Nurses" not in panel


def _names_span(message: str, words: str) -> Understanding:
    """``message`` naming an occupation by ``words`` (a title the catalogue knows)."""
    start = message.index(words)
    return Understanding(
        status="understood",
        occupations=[
            OccupationLink(
                occupation_id="29-1141.00",
                title="Registered Nurses",
                confidence=0.8,
                span=Span(start=start, end=start + len(words), text=words),
                method="title",
            )
        ],
    )


@pytest.mark.parametrize(
    "message, words",
    [
        ("What does a data analyst do?", "data analyst"),
        ("How much do nurses make?", "nurses"),
        ("Tell me about welders", "welders"),
        ("what do actuaries do", "actuaries"),
        ("Do dental hygienists need a degree?", "dental hygienists"),
    ],
)
def test_a_question_about_an_occupation_in_general_is_answered_about_it(message, words):
    """ "What does a data analyst do?" was taken in as the person's work: "I've noted your occupation as Business
    Intelligence Analysts", then a data analyst's next moves."""
    routed = route(message, "explain_fit", _names_span(message, words))
    assert (routed.action, routed.target) == ("about", words)


@pytest.mark.parametrize(
    "message, words, action",
    [
        ("I'm a nurse, how much do nurses make?", "nurse", "profile"),  # the person's own words
        ("Am I a good fit for nurse?", "nurse", "fit"),
        ("What can a nurse do besides bedside care?", "nurse", "profile"),  # other work than the one named
        ("I'm a nurse", "nurse", "profile"),  # a statement, not a question
        ("show me jobs for nurses", "nurses", "jobs"),  # a list asked for
    ],
)
def test_a_question_about_the_person_or_for_a_list_is_not_one_about_the_occupation(message, words, action):
    intent = "find_jobs" if "jobs" in message else "recommend"
    assert route(message, intent, _names_span(message, words)).action == action


def test_a_vague_liking_is_taken_in_not_answered_as_a_fit_question():
    leaning = Understanding(
        status="no_occupation", leaning="Realistic", leaning_span=Span(start=7, end=28, text="working with my hands")
    )
    assert route("I like working with my hands", "explain_fit", leaning).action == "profile"
    assert route("I like working with my hands", "other", leaning).action == "profile"


@pytest.mark.parametrize(
    "text, said",
    [
        ("I have a criminal record, what jobs can I get?", True),
        ("I'm a cook and I have a felony", True),
        ("I was in prison for 3 years", True),
        ("I'm on parole", True),
        ("I'm a probation officer", False),  # work, not a record
        ("I work with ex-offenders", False),
        ("I have a record of success in sales", False),
        ("I have a clean record", False),
    ],
)
def test_a_record_said_of_oneself_is_heard(text, said):
    """ "I have a criminal record, what jobs can I get?" was asked for a job title."""
    from app.ui.chat import _RECORD_SAID

    assert bool(_RECORD_SAID.search(text)) is said
