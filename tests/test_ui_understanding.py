"""The chat's handlers on the real catalogue: what a message is for (app/ui/routing.py), the
"What Waypoint believes about you" panel with the person's own words, corrections (occupation, skills,
goal), transition lists for a goal, fit questions about titles that do not exist, and honest answers
to text Waypoint cannot use. The browser drives the same handlers in tests/test_ui_browser*.py.
"""

from __future__ import annotations

import re

import pytest

from app.ui.chat import _no_course
from app.ui.routing import route
from retrieval.jobs.geo import NEAR_KM, distance_km, locate
from retrieval.understanding.schema import OccupationLink, Span, Understanding

FIREFIGHTER = "I'm a firefighter and I want to move into finance"
FINANCE = ("13-2", "11-3031")


@pytest.fixture(scope="module")
def ui(settings):
    from app.api.services import WaypointService
    from app.ui.chat import ChatUI

    return ChatUI(WaypointService(settings.model_copy(update={"llm_backend": "deterministic"})))


class Chat:
    """One conversation: each call sends a message and keeps what the handlers return."""

    def __init__(self, ui):
        self.ui, self.history, self.state = ui, [], None
        self.panel = self.beliefs = self.occupation = self.skills = self.goal = self.status = None

    def say(self, message: str, selected: str | None = None) -> str:
        out = self.ui.on_message(message, self.history, self.state, selected)
        # the message box, the chat, the state, the panel's fields and tick boxes, the recommendations, the panel
        _msg, self.history, self.state, self.occupation, self.skills, self.goal, self.beliefs = out[:7]
        self.panel = out[-1]
        return self.history[-1]["content"]

    def correct(self, occupation: str, skills: str, goal: str) -> str:
        out = self.ui.on_save_profile(occupation, skills, goal, self.history, self.state)
        self.history, self.state, self.occupation, self.skills, self.goal, self.beliefs = out[:6]
        self.status = out[-1]
        return self.history[-1]["content"]

    @property
    def recs(self) -> list[str]:
        return [r["id"] for r in self.state["recs"]]


@pytest.mark.slow
def test_a_goal_turns_the_list_into_a_transition_list_and_the_panel_quotes_the_person(ui):
    chat = Chat(ui)
    reply = chat.say(FIREFIGHTER)
    assert "Occupations in finance you could move into from Firefighters:" in reply, reply
    assert chat.recs and all(r.startswith(FINANCE) for r in chat.recs[:5]), chat.recs
    assert "33-2011.00" not in chat.recs  # their own occupation is where they come from, not where they go
    assert chat.goal == "finance" and chat.occupation["value"] == "Firefighters"
    assert "**Occupation:** Firefighters" in chat.beliefs
    beliefs = chat.beliefs.replace("\\", "")  # quotes are Markdown-escaped
    assert "**Occupation:** Firefighters <span class='waypoint-from'>— from: “I'm a firefighter”" in beliefs
    assert (
        "**Goal:** finance (a move into this field) <span class='waypoint-from'>— from: “I want to move into "
        "finance”" in beliefs
    )

    # the person clears the goal: the list is about them again, and their words no longer steer it
    reply = chat.correct("Firefighters", chat.skills, "")
    assert "Goal cleared" in reply and "Here are occupations that fit you:" in reply, reply
    assert chat.goal == "" and "finance" not in (chat.state["profile"]["text"] or "")
    assert not all(r.startswith(FINANCE) for r in chat.recs[:5]), chat.recs

    # an unknown goal is named back and nothing changes
    reply = chat.correct("Firefighters", chat.skills, "zorblax frobnication")
    assert "couldn't find" in reply and "zorblax frobnication" in reply
    assert chat.goal == ""


@pytest.mark.slow
def test_fit_questions_answer_for_the_title_named_or_say_it_does_not_exist(ui):
    chat = Chat(ui)
    chat.say("I'm a registered nurse. I teach patients about managing diabetes.")
    assert chat.state["profile"]["occupation"] == "Registered Nurses"
    reply = chat.say("Am I a good fit for astronaut wizard?")
    assert reply.startswith("I couldn't find an occupation called “astronaut wizard”; did you mean **"), reply
    assert "Air Crew Officers" not in reply.split(";")[0]
    assert not isinstance(chat.panel, str)  # no explanation was opened for a guessed occupation
    reply = chat.say("Am I a good fit for health education specialist?")
    assert reply.startswith("**Health Education Specialists** — fit:"), reply
    # skills the person stated, or (only inferred from the occupation) the ones it usually involves
    assert "Skills you already have" in chat.panel or "Skills your current occupation usually involves" in chat.panel
    # a fit question naming no occupation is about the one on screen
    reply = chat.say("Why does this role fit me?")
    assert reply.startswith("**Health Education Specialists** — fit:"), reply
    # a skill-gap question about it is answered with the gaps, not the summary again
    reply = chat.say("Which skills am I missing for this role?")
    gaps = [g["label"] for g in chat.state["explanations"][chat.state["open"]["item_id"]]["missing_skills"]]
    assert reply.startswith("**Health Education Specialists** — fit:"), reply
    assert all(f"**{label}**" in reply for label in gaps) if gaps else "no gap to close" in reply, reply
    assert "What you would still need" in reply or not gaps


@pytest.mark.slow
def test_corrections_of_the_occupation_and_skills_are_used_and_unknown_titles_refused(ui):
    chat = Chat(ui)
    chat.say("I drive an 18-wheeler, been doing it 12 years. I use Microsoft Excel for my logs.")
    assert chat.state["profile"]["occupation_id"] == "53-3032.00"
    assert "Microsoft Excel" in chat.skills
    reply = chat.correct("astronaut wizard", chat.skills, "")
    assert "couldn't find an occupation called “astronaut wizard”" in reply
    assert chat.state["profile"]["occupation_id"] == "53-3032.00"
    reply = chat.correct("Bus Drivers, Transit and Intercity", "Microsoft Excel, forklift operation", "")
    assert chat.state["profile"]["occupation_id"] == "53-3052.00" and "(set by you)" in chat.beliefs
    assert chat.status == "Noted 1 skill correction(s)."  # logged as feedback: a skill the person has
    assert "Forklift operation".lower() in chat.skills.lower()


@pytest.mark.parametrize(
    "message, expected",
    [
        ("Je suis infirmière à Lyon depuis dix ans et je cherche un nouveau travail", "English"),
        ("asdf qwer zxcv", "career guide"),
        ("hi", "career guide"),
    ],
)
def test_text_it_cannot_use_gets_an_honest_answer_and_no_list(ui, message, expected):
    chat = Chat(ui)
    reply = chat.say(message)
    assert expected in reply, reply
    assert not chat.recs and not chat.state["profile"]["text"] and not chat.state["profile"]["occupation"]


def test_a_school_leaver_who_says_what_they_enjoy_gets_a_list_not_a_request_for_a_job_title(ui):
    """ "I'm 17 and I like drawing and video games. What jobs could I do?" was answered "I could not tell what you
    do — tell me your job title"."""
    chat = Chat(ui)
    reply = chat.say("I'm 17 and I like drawing and video games. What jobs could I do?")
    assert "could not tell what you do" not in reply and "You enjoy **drawing and video games**" in reply, reply
    assert "Occupations in work like what you enjoy (drawing and video games):" in reply, reply
    assert len(chat.recs) >= 5 and "27-1024.00" in chat.recs, chat.recs  # Graphic Designers
    assert "work in what you enjoy, drawing and video games" in chat.beliefs, chat.beliefs


def test_a_limit_said_alone_is_kept_for_the_list_that_follows(ui):
    """ "I can't afford to go to college, what jobs could I get into?" was answered "I could not tell what you do",
    and "I like working with my hands and fixing cars" then listed hand grinders, laborers and automotive
    engineers (a degree), read back as "You enjoy working with my hands"."""
    chat = Chat(ui)
    reply = chat.say("I can't afford to go to college, what jobs could I get into?")
    assert "could not tell what you do" not in reply and "without a degree you don't have" in reply, reply
    assert "tell me a little about yourself" in reply and not chat.recs, reply
    assert not chat.state["profile"]["text"] and not chat.state["profile"]["occupation"], chat.state["profile"]
    reply = chat.say("I like working with my hands and fixing cars")
    assert "You enjoy **working with your hands and fixing cars**" in reply, reply
    assert "without going back to school" in reply, reply
    assert "49-3023.00" in chat.recs[:3], chat.recs  # Automotive Service Technicians and Mechanics
    assert "17-2141.02" not in chat.recs, chat.recs  # Automotive Engineers: job zone 4


def test_software_learned_on_the_job_is_one_line_after_the_skills_to_build(ui):
    """A receptionist coming back after ten years at home asked "what courses should I take?" and read Mavenlink
    and EDI systems among "the skills to build first" toward office clerks, each with "no course here"."""
    chat = Chat(ui)
    reply = chat.say(
        "I've been a stay-at-home mom for 10 years and want to go back to work. Before that I was a receptionist "
        "at a dental office."
    )
    # heard as a return: the work before the break is theirs, surely
    assert "**Receptionists and Information Clerks**." in reply and "Coming back after time away" in reply, reply
    from app.ui.chat import _choice_label

    clerks = next(r for r in chat.state["recs"] if r["id"] == "43-9061.00")  # Office Clerks, General
    reply = chat.say("what courses should I take?", selected=_choice_label(clerks))
    assert "**Office Clerks, General**" in reply, reply
    bullets = [line for line in reply.splitlines() if line.startswith("- **")]
    assert bullets and not any("learned on the job" in line for line in bullets), reply
    assert "is usually learned on the job; no course needed." in reply, reply


def test_a_gig_driver_who_wants_steady_work_is_heard_and_gets_no_part_time_postings(ui):
    """ "I drive for Uber and want something stable with benefits": read as a driver only by meaning (not sure),
    and the postings offered "Bus Operator (Part- Time)"."""
    chat = Chat(ui)
    reply = chat.say("I drive for Uber and want something stable with benefits")
    assert "(I'm not sure about it)" not in reply.split("\n")[0], reply
    assert "I'll leave out part-time, seasonal and temporary postings" in reply, reply
    assert "**Postings:** steady work" in chat.beliefs, chat.beliefs
    reply = chat.say("find me jobs")
    listed = [x for x in reply.splitlines() if x[:1].isdigit()]
    assert listed and not any(w in x.lower() for x in listed for w in ("part time", "part-time", "seasonal")), listed


def test_a_graduate_who_names_what_they_studied_gets_a_list_in_that_field(ui):
    """ "Just graduated with a biology degree and I have no idea what to do with it" was asked for a job title."""
    chat = Chat(ui)
    reply = chat.say("Just graduated with a biology degree and I have no idea what to do with it")
    assert "could not tell what you do" not in reply and "You studied **biology**" in reply, reply
    assert "Occupations in work like what you studied (biology):" in reply, reply
    assert sum(oid.startswith(("19-1", "19-4")) for oid in chat.recs[:5]) >= 4, chat.recs
    assert "work in what you studied, biology" in chat.beliefs, chat.beliefs
    assert "Job postings in work like what you studied" in reply or "Job postings" not in reply, reply
    # the work they then name is where they stand; what they studied was the frame only while none was named
    reply = chat.say("I've been an EMT for 5 years")
    assert "what you studied" not in reply and chat.state["profile"]["goal"] is None, reply
    assert chat.recs[0] == "29-2043.00", chat.recs  # Paramedics
    # what a student studies now: their field, named back in the present ("I'm studying accounting" was a skill to
    # learn, and the list ethnic studies teachers and tutors)
    student = Chat(ui)
    reply = student.say("I'm studying accounting")
    assert "You study **accounting**" in reply and "work like what you study (accounting):" in reply, reply
    assert {"43-3031.00", "13-2011.00"} <= set(student.recs[:3]), student.recs


def test_routing_takes_in_what_is_said_even_when_the_intent_model_calls_it_small_talk():
    said = Understanding(
        status="understood",
        occupations=[
            OccupationLink(
                occupation_id="29-1141.00",
                title="Registered Nurses",
                confidence=0.9,
                span=Span(start=7, end=9, text="RN"),
                method="title",
            )
        ],
    )
    assert route("I'm an RN on a busy med-surg ward", "other", said).action == "profile"
    assert route("thanks!", "other", Understanding(status="nonsense")).action == "other"
    fit = route("Am I a good fit for astronaut wizard?", "explain_fit", Understanding(status="nonsense"))
    assert (fit.action, fit.target) == ("fit", "astronaut wizard")
    gap = route("What skills am I missing to be an RN?", "skill_gap", said)
    assert (gap.action, gap.target) == ("fit", "RN")
    assert route("why this one?", "explain_fit", Understanding(status="nonsense")).target is None
    # a question about what is on screen is a fit question whatever the intent model says
    shown = route("explain the recommendation please", "courses", Understanding(status="nonsense"))
    assert (shown.action, shown.target) == ("fit", None)
    assert route("why is the sky blue", "other", Understanding(status="nonsense")).action == "other"
    # asking for courses or postings gets that list, not the occupation list again
    assert route("what courses should I take?", "courses", Understanding(status="nonsense")).action == "courses"
    assert route("find me jobs near Chicago", "find_jobs", Understanding(status="nonsense")).action == "jobs"
    # a self-description the classifier calls a course request is a self-description unless it asks for one
    assert route("I'm an RN and want to move into management", "courses", said).action == "profile"
    assert route("I'm an RN, which courses would help me?", "courses", said).action == "courses"
    # a pasted résumé is a description of the person, whatever the classifier (trained on short messages)
    # calls it; a fit question in it is still one
    pasted = " ".join(["Registered nurse, med-surg ward: responsible for patient assessments and training."] * 5)
    assert route(pasted, "skill_gap", said).action == "profile"
    assert route(pasted, "courses", said).action == "profile"  # "training" in a résumé asks for no course
    assert route(pasted, "skill_gap", Understanding(status="nonsense")).action == "fit"  # says nothing of them
    assert route(pasted + " Am I a good fit for nurse practitioner?", "explain_fit", said).action == "fit"
    assert route(pasted + " Which courses would help me?", "courses", said).action == "courses"
    assert route(pasted[:60] + "; what am I missing?", "skill_gap", said).action == "fit"  # short: the classifier
    assert route(pasted[:60], "skill_gap", said).action == "profile"  # ... unless it is a statement about them


RESUME = """Branch Manager, Lakeside Savings Bank (2015-2021)
- Hired and trained 12 personal bankers and tellers; ran weekly sales meetings
- Responsible for branch compliance reviews, audits and reporting to the regional office
- Handled customer complaints and grew deposits 18% in two years
Senior Investment Advisor (2009-2015)
- Managed client portfolios of stocks, bonds, mutual funds and annuities
- Licensed: Series 7, 63 and 65; insurance licence"""


@pytest.mark.slow
def test_a_pasted_resume_is_taken_in_and_recommended_for(ui):
    """A person pastes their résumé into the chat: the intent model (trained on short chat messages) read
    one as a skill-gap question, and the chat answered "First tell me a little about yourself"."""
    chat = Chat(ui)
    reply = chat.say(RESUME)
    assert "First tell me" not in reply, reply
    assert chat.recs and chat.state["profile"]["occupation"], reply
    assert "Branch Manager" in chat.state["profile"]["text"]


@pytest.mark.slow
def test_asking_for_courses_or_postings_answers_with_that_list(ui):
    """A new user's next questions after the list: courses for the gaps of the occupation in view, each
    gap with its courses or an honest "none yet", and job postings; not the occupation list once more."""
    chat = Chat(ui)
    chat.say("I'm a registered nurse and I want to move into healthcare administration")
    top = chat.state["recs"][0]["title"]
    reply = chat.say("What courses should I take?")
    assert reply.startswith(f"To move toward **{top}**, these are the skills to build first"), reply
    assert "you could move into" not in reply  # not the list again
    gaps = chat.state["explanations"][chat.state["recs"][0]["id"]]["missing_skills"]
    assert gaps and all(f"**{g['label']}**:" in reply for g in gaps)

    for g in gaps:
        line = next(x for x in reply.splitlines() if x.startswith(f"- **{g['label']}**:"))
        assert all(c["title"] in line for c in g["courses"]) if g["courses"] else _no_course(g) in line
    reply = chat.say("Can you find me some job postings?")
    # ranked by the goal: health-administration postings first, named as such (not "postings that match you")
    assert reply.startswith("Job postings in the work you want:"), reply
    assert len([x for x in reply.splitlines() if x[:1].isdigit()]) >= 3


def test_what_am_i_missing_right_after_the_list_answers_for_the_first_and_says_so(ui):
    """An EMT read the list, then asked "what am I missing?": "Which occupation do you mean?", although "which
    courses would help with that?" answered for the first on the list. Both take the first now, and say so.
    The EMT's ratings stand in from the nearest rated occupations (O*NET rates none for EMTs): Paramedics is
    not a stretch whose first gap is a phone's operating system."""
    chat = Chat(ui)
    chat.say("I'm an EMT, been on the ambulance for 5 years")
    first = chat.state["recs"][0]
    reply = chat.say("what am I missing?")
    assert reply.startswith(
        f"The first on your list (pick another under **Recommendations** to ask about it):\n\n**{first['title']}**"
    ), reply
    gaps = chat.state["explanations"][first["id"]]["missing_skills"]
    assert all(f"**{g['label']}**" in reply for g in gaps), reply
    assert "fit: **stretch**" not in reply, reply
    courses = chat.say("which courses would help with that?")
    assert courses.startswith(f"To move toward **{first['title']}**"), courses
    for g in gaps:
        line = next(x for x in courses.splitlines() if x.startswith(f"- **{g['label']}**:"))
        assert g["courses"] or _no_course(g) in line
        assert "iOS app" not in line, line


def test_a_nurse_who_wants_remote_work_is_not_sent_back_to_the_bedside(ui):
    """A burned-out med-surg nurse who wrote "want something remote" was offered Clinical Nurse Specialists,
    Nurse Practitioners and Acute Care Nurses, and RN postings. The wish is read back, the list keeps to work
    often done from home, and the postings that say they are remote come first; unticked, work done on site comes
    back, still beyond nursing, which she is burned out on."""
    from retrieval.occupations.remote import FEASIBLE
    from retrieval.occupations.service import get_occupation_recommender

    chat = Chat(ui)
    reply = chat.say("I'm an RN, 6 years med-surg. Burned out on bedside, want something remote")
    assert "I'll keep to work that can often be done from home (you said “something remote”)" in reply, reply
    assert "**Where:** work that can often be done from home" in chat.beliefs
    corpus = get_occupation_recommender(ui.svc.settings).corpus
    assert chat.recs and all(corpus.remote[corpus.index[r]] >= FEASIBLE for r in chat.recs), chat.recs
    bedside = {"29-1141.01", "29-1141.03", "29-1141.04", "29-1171.00"}  # acute, critical care, CNS, NP
    assert not bedside & set(chat.recs), chat.recs
    reply = chat.say("find me jobs")
    listed = [x for x in reply.splitlines() if x[:1].isdigit()]
    assert "Postings that say they are remote come first." in reply and len(listed) >= 3, reply
    assert all("home" in x.lower() or "remote" in x.lower() for x in listed[:3]), listed
    # unticked in the panel: work done on site is back (not nursing: "burned out on bedside" still holds)
    out = ui.on_save_profile(
        "Registered Nurses", ", ".join(chat.state["profile"]["skills"]), "", chat.history, chat.state, None, None, False
    )
    history, state = out[0], out[1]
    assert "Work done on site is back on your lists." in history[-1]["content"], history[-1]["content"]
    assert any(corpus.remote[corpus.index[r["id"]]] < FEASIBLE for r in state["recs"]), state["recs"]
    assert not any(r["id"].startswith("29-1141") for r in state["recs"]), state["recs"]


def test_a_worker_who_wants_more_money_sees_better_paid_work_first(ui):
    """ "I work in a warehouse, I have a forklift license. I want to make more money." was told "Your goal: money", and
    the list held their own occupation beside other work of the same preparation. Job zones stand in for pay."""
    from retrieval.occupations.service import get_occupation_recommender

    corpus = get_occupation_recommender(ui.svc.settings).corpus
    chat = Chat(ui)
    reply = chat.say("I work in a warehouse, I have a forklift license. I want to make more money.")
    assert "Your goal" not in reply and "(you said “make more money”)" in reply, reply
    assert "**Pay:** work that usually pays more than yours first" in chat.beliefs
    own = "53-7062.00"  # Laborers and Freight, Stock, and Material Movers, Hand
    zone = float(corpus.job_zone[corpus.index[own]])
    zones = [float(corpus.job_zone[corpus.index[r]]) for r in chat.recs if r in corpus.index]
    assert own not in chat.recs and len(zones) == 5, chat.recs
    assert min(zones) >= zone and sum(z > zone for z in zones[:3]) >= 2, (chat.recs, zones)
    # postings: none part time (they want more money), none of their own occupation
    reply = chat.say("find me jobs")
    listed = [x for x in reply.splitlines() if x[:1].isdigit()]
    assert listed and not any(re.search(r"part[\s-]*time|seasonal|temporary", x, re.I) for x in listed), listed
    # what to learn for the first move: hands-on skills are not sent to "a project or volunteer work"
    reply = chat.say("what courses should I take?")
    assert "volunteer" not in reply, reply
    # unticked in the panel: the ordinary list is back
    before = list(chat.recs)
    out = ui.on_save_profile(
        chat.occupation["value"], ", ".join(chat.state["profile"]["skills"]), "", chat.history, chat.state,
        None, None, None, None, False,
    )  # fmt: skip
    history, state = out[0], out[1]
    assert "back where it was on your lists" in history[-1]["content"], history[-1]["content"]
    assert [r["id"] for r in state["recs"]] != before


def test_a_field_goal_that_names_an_occupation_decides_the_postings(ui):
    """ "I'm a nurse and I want to get into pharmaceutical sales": the field names one occupation (Sales Representatives
    of technical and scientific products, 41-4011.00) and no SOC group, and the postings "in the work you want" were
    all Registered Nurse ones."""
    chat = Chat(ui)
    chat.say("I'm a nurse and I want to get into pharmaceutical sales")
    reply = chat.say("find me jobs")
    assert reply.startswith("Job postings in the work you want:"), reply
    wanted = reply.split("\n\n")[0].splitlines()[1:]
    assert any("Pharmaceutical Sales" in x for x in wanted), wanted
    assert not any("Nurse" in x or "RN" in x.split() for x in wanted), wanted


def test_a_strength_said_is_a_skill_and_brings_up_work_that_uses_it(ui):
    """A receptionist who wrote "I'm really good with numbers" got the list of one who said nothing (medical
    secretaries, office clerks, switchboard operators) and no skill picked up."""
    from retrieval.skills.graph import get_graph

    graph = get_graph(ui.svc.settings)

    def mathematics(recs: list[str]) -> float:
        return sum(float((graph.graph.get_edge_data(r, "onet:2.A.1.e") or {}).get("importance") or 0) for r in recs)

    plain = Chat(ui)
    plain.say("I'm a receptionist")
    chat = Chat(ui)
    reply = chat.say("I'm a receptionist and I'm really good with numbers")
    assert "Skills I picked up: Mathematics" in reply, reply
    assert "Mathematics" in chat.state["profile"]["skills"]
    assert mathematics(chat.recs) > mathematics(plain.recs), (chat.recs, plain.recs)
    chat = Chat(ui)
    reply = chat.say("I'm a receptionist and I'm not good with numbers")
    assert "Mathematics" not in reply, reply


def test_a_person_who_wants_to_work_outdoors_gets_outdoor_work(ui):
    """An office manager who wrote "I want to work outdoors" got housekeeping supervisors and general managers."""
    from retrieval.occupations.outdoor import OUTDOOR
    from retrieval.occupations.service import get_occupation_recommender

    corpus = get_occupation_recommender(ui.svc.settings).corpus
    chat = Chat(ui)
    reply = chat.say("I'm an office manager and I want to work outdoors")
    assert "I'll keep to work done outdoors (you said “work outdoors”)" in reply, reply
    assert "keeping to work done outdoors:" in reply and "**Where:** work done outdoors" in chat.beliefs
    assert len(chat.recs) == 5 and all(corpus.outdoor[corpus.index[r]] >= OUTDOOR for r in chat.recs), chat.recs
    # unticked in the panel: indoor work is back
    out = ui.on_save_profile(
        chat.occupation["value"], ", ".join(chat.state["profile"]["skills"]), "", chat.history, chat.state,
        None, None, None, None, None, False,
    )  # fmt: skip
    history, state = out[0], out[1]
    assert "Work done indoors is back on your lists." in history[-1]["content"], history[-1]["content"]
    assert any(corpus.outdoor[corpus.index[r["id"]]] < OUTDOOR for r in state["recs"]), state["recs"]


def test_a_person_who_cannot_sit_at_a_desk_gets_work_done_in_person(ui):
    """ "I have ADHD and can't sit at a desk all day. I currently work as a receptionist." was listed medical
    secretaries, office clerks and customer service representatives, and receptionist postings; a software engineer
    who wanted "less screen time" IT managers and data scientists."""
    from retrieval.occupations.service import get_occupation_recommender

    corpus = get_occupation_recommender(ui.svc.settings).corpus
    chat = Chat(ui)
    reply = chat.say("I have ADHD and can't sit at a desk all day. I currently work as a receptionist.")
    assert (
        "I'll keep to work done in person, away from a desk and a screen (you said “can't sit at a desk all day”)"
        in (reply)
    ), reply
    assert ", away from a desk:" in reply and "**Where:** work done in person" in chat.beliefs, reply
    assert len(chat.recs) == 5 and all(corpus.away_from_desk[corpus.index[r]] for r in chat.recs), chat.recs
    assert "Medical Secretaries" not in reply and "Office Clerks" not in reply, reply
    # unticked in the panel: desk work is back
    out = ui.on_save_profile(
        chat.occupation["value"], ", ".join(chat.state["profile"]["skills"]), "", chat.history, chat.state,
        None, None, None, None, None, None, None, False,
    )  # fmt: skip
    history, state = out[0], out[1]
    assert "Desk work is back on your lists." in history[-1]["content"], history[-1]["content"]
    assert any(not corpus.away_from_desk[corpus.index[r["id"]]] for r in state["recs"]), state["recs"]
    chat = Chat(ui)
    reply = chat.say("I'm a software engineer and I'm burned out. I want a job with less screen time.")
    assert "(you said “less screen time”)" in reply, reply
    assert chat.recs and all(corpus.away_from_desk[corpus.index[r]] for r in chat.recs), chat.recs
    assert "Data Scientists" not in reply and "Computer and Information Systems Managers" not in reply, reply


def test_better_pay_for_work_needing_little_preparation_is_a_step_up(ui):
    """ "I'm a line cook. What jobs pay more but don't need a degree?" listed chefs, then private-household, short-order
    and cafeteria cooks and food preparation workers: the ordinary list of work needing little preparation held one
    occupation a zone up. It is filled from the work a zone up most like theirs, and leading others at their zone
    (kitchen supervisors, food service managers: zone 2 in O*NET) counts as a step up."""
    from retrieval.occupations.service import get_occupation_recommender

    corpus = get_occupation_recommender(ui.svc.settings).corpus
    chat = Chat(ui)
    chat.say("I'm a cashier at Walmart and I need something that pays better")
    own = corpus.job_zone[corpus.index["41-2011.00"]]

    def step_up(oid: str) -> bool:
        row = corpus.index[oid]
        return bool(corpus.job_zone[row] > own or (corpus.job_zone[row] == own and corpus.leads[row]))

    assert len(chat.recs) == 5 and all(step_up(r) for r in chat.recs), chat.recs
    assert "41-2011.00" not in chat.recs


def test_a_choice_between_two_kinds_of_work_is_weighed_for_the_person(ui):
    """ "I'm a CNA. I'm torn between nursing and respiratory therapy" was answered with the CNA's ordinary list, "Should
    I become a nurse or a teacher?" as a fit question about an occupation called "nurse or a teacher", and "Should I go
    into accounting or data analytics?" as one goal no occupation fits. Both options are weighed: each one's fit with
    what the person said (both then on the list, so "Why?" opens them) and the nearer move; before anything about
    them, what each takes; a choice naming no work goes the usual way."""
    chat = Chat(ui)
    reply = chat.say("I'm a CNA. I'm torn between nursing and respiratory therapy")
    assert "I've noted your occupation as **Nursing Assistants**" in reply, reply
    assert "Weighing **nursing** against **respiratory therapy**" in reply, reply
    assert "**Respiratory Therapists** (for “respiratory therapy”) — fit: **" in reply, reply
    assert "(for “nursing”) — fit: **" in reply, reply
    assert "the nearer move for you now" in reply or "about as near as each other" in reply, reply
    assert "29-1126.00" in chat.recs and len(chat.state["explanations"]) == 2, chat.recs
    chat = Chat(ui)
    reply = chat.say("Should I become a nurse or a teacher?")
    assert reply.startswith("What **nurse** and **teacher** each take:") and "**Registered Nurses**" in reply, reply
    assert "**What it takes:**" in reply and "Tell me about your own work" in reply, reply
    assert not chat.state["profile"].get("occupation"), chat.state["profile"]
    chat = Chat(ui)
    reply = chat.say("I'm a retail manager. Should I go back to school or keep working?")
    assert "Weighing" not in reply and "I've noted your occupation as" in reply, reply


def test_no_night_or_weekend_postings_for_one_who_asks_and_told_what_is_not_known(ui):
    """ "I'm a nurse but I hate night shifts. I want regular hours ..." was heard as a wish for steady work only; the
    postings that say they are nights are left out, and the note says the catalogue cannot tell which occupations work
    nights. A per-diem posting is no regular hours."""
    from app.ui.chat import DAYS_NOTE, WEEKDAYS_NOTE
    from retrieval.jobs.levels import night_title, weekend_title

    chat = Chat(ui)
    reply = chat.say("I'm a nurse but I hate night shifts. I want regular hours and still use my nursing skills.")
    assert f"{DAYS_NOTE} (you said “I hate night shifts”)" in reply, reply
    jobs = chat.say("find me jobs")
    titles = [line.split(". ", 1)[1] for line in jobs.splitlines() if line[:1].isdigit()]
    assert titles and not any(night_title(t) or "per diem" in t.lower() for t in titles), jobs
    # weekends likewise: "a job with weekends off" leaves out the postings that say they are weekend work
    chat = Chat(ui)
    reply = chat.say("I'm a receptionist and I want a job with weekends off")
    assert f"{WEEKDAYS_NOTE} (you said “" in reply and "weekends off”)" in reply, reply
    jobs = chat.say("find me jobs")
    titles = [line.split(". ", 1)[1] for line in jobs.splitlines() if line[:1].isdigit()]
    assert titles and not any(weekend_title(t) for t in titles), jobs


def test_which_jobs_are_in_demand_is_answered_with_what_the_postings_are_for(ui):
    """ "Which jobs are in demand right now?" was asked about the person first. The data holds no labour-market
    statistics, and the answer says so, then names the work the job log's postings are most for, with their counts."""
    reply = Chat(ui).say("Which jobs are in demand right now?")
    assert reply.startswith("My data has no labour-market statistics"), reply
    top, total = ui.svc.most_posted()
    assert top and f"the {total:,} job postings here" in reply, reply
    assert f"1. {top[0][1]} — {top[0][2]:,} postings" in reply, reply
    assert [n for _o, _t, n in top] == sorted((n for _o, _t, n in top), reverse=True)


def test_leaving_their_work_is_not_an_assistants_post_beside_it(ui):
    """ "I'm a pharmacist and I hate retail pharmacy" was listed health informatics specialists, then medical assistants,
    medical records specialists and LPNs: what was left once pharmacists went was the assistants to it. Work two or more
    job zones below theirs moves down the list. "... work with kids but not in a classroom" leaves teaching."""
    from retrieval.occupations.service import get_occupation_recommender

    corpus = get_occupation_recommender(ui.svc.settings).corpus
    chat = Chat(ui)
    reply = chat.say("I'm a pharmacist and I hate retail pharmacy")
    own = corpus.job_zone[corpus.index["29-1051.00"]]
    assert chat.recs and all(corpus.job_zone[corpus.index[r]] > own - 2 for r in chat.recs), (chat.recs, reply)
    chat = Chat(ui)
    reply = chat.say("I'm a teacher and I want to work with kids but not in a classroom")
    assert "(you said “not in a classroom”)" in reply, reply
    assert not any(r.startswith("25-20") for r in chat.recs), chat.recs  # no preschool to secondary school teachers


def test_a_wish_said_after_the_work_changes_the_list(ui):
    """A nurse who added "I want something remote" in a second message got the same bedside list again: a wish said
    alone was heard only before anything else was known. Said alone first, it is kept for the list to come."""
    from retrieval.occupations.remote import FEASIBLE
    from retrieval.occupations.service import get_occupation_recommender

    corpus = get_occupation_recommender(ui.svc.settings).corpus
    chat = Chat(ui)
    chat.say("I'm a registered nurse")
    reply = chat.say("I want something remote")
    assert "I'll keep to work that can often be done from home" in reply, reply
    assert chat.recs and all(corpus.remote[corpus.index[r]] >= FEASIBLE for r in chat.recs), chat.recs
    chat = Chat(ui)
    reply = chat.say("I want to make more money")
    assert "You'd like better pay" in reply and "tell me a little about yourself" in reply, reply
    reply = chat.say("I'm a cashier")
    assert "work that usually pays more than yours moved up:" in reply, reply


def test_a_burned_out_nurse_is_not_offered_the_front_line_first(ui):
    """ "I'm a nurse, 15 years in the ER, completely burned out. What else can I do with my skills?" was offered
    paramedics, EMTs, medical assistants, psychiatric technicians and surgical assistants."""
    from retrieval.occupations.service import get_occupation_recommender

    chat = Chat(ui)
    chat.say("I'm a nurse, 15 years in the ER, completely burned out. What else can I do with my skills?")
    corpus = get_occupation_recommender(ui.svc.settings).corpus
    own = float(corpus.physical[corpus.index["29-1141.00"]])
    top = [oid for oid in chat.recs[:3] if oid in corpus.index]
    assert len(top) == 3 and all(float(corpus.physical[corpus.index[o]]) < own for o in top), chat.recs
    assert not {"29-2043.00", "29-2042.00"} & set(chat.recs[:3]), chat.recs  # paramedics, EMTs


def test_a_teacher_who_hates_it_is_offered_something_else(ui):
    """ "I'm a high school English teacher and I hate it. What else can I do?" was answered with elementary, middle
    school and special education teaching, and teaching postings."""
    chat = Chat(ui)
    reply = chat.say("I'm a high school English teacher and I hate it. What else can I do with an English degree?")
    assert "I'll look beyond your current kind of work (you said “I hate it”)" in reply, reply
    # what they studied, asked about, is where to look: writing work (by the meaning of "English" it was interpreters,
    # historians and mechatronics engineers)
    assert "Occupations in work like what you studied (English)" in reply, reply
    assert "beyond your current kind of work:" in reply and chat.recs[0].startswith("27-3"), chat.recs
    titles = [r["title"] for r in chat.state["recs"]]
    assert titles and not any("Teach" in t or t.startswith("25-2") for t in titles), titles
    assert not any(r.startswith("25-2") for r in chat.recs), chat.recs
    reply = chat.say("find me jobs")
    listed = [x for x in reply.splitlines() if x[:1].isdigit()]
    assert reply.startswith("Job postings in work like what you studied:") and listed, reply
    assert not any("teacher" in x.lower() for x in listed), listed
    # unticked in the panel: teaching is back
    out = ui.on_save_profile(
        chat.occupation["value"], ", ".join(chat.state["profile"]["skills"]), "", chat.history, chat.state,
        None, None, None, False,
    )  # fmt: skip
    history, state = out[0], out[1]
    assert "Your current kind of work is back on your lists." in history[-1]["content"], history[-1]["content"]
    assert any(r["id"].startswith("25-2") for r in state["recs"]), state["recs"]


def test_a_place_in_the_request_is_where_the_postings_are(ui, catalogue):
    """ "What jobs are there near Chicago?" listed postings in Los Angeles, Columbus and Kansas City among the
    Chicago ones: the ranker weighs a place as one signal. Asked for, it is a condition; a place with no
    postings is said so, and the list that follows says it is elsewhere."""
    chat = Chat(ui)
    chat.say("I've worked in a warehouse for 3 years, forklift and inventory. I'd like something in IT")
    reply = chat.say("what jobs are there near Chicago?")
    assert reply.splitlines()[0].endswith(" near Chicago, IL:"), reply
    listed = [x.split(" — ")[-1] for x in reply.splitlines() if x[:1].isdigit()]
    centre = locate("Chicago", "IL")
    near = {  # the towns within a commute of Chicago, across a state line too; not the rest of Illinois
        c.lower()
        for c, s in catalogue.execute("SELECT DISTINCT city, state FROM job")
        if (xy := locate(c, s)) is not None and distance_km(xy, centre) <= NEAR_KM or c == "Chicago"
    }
    assert len(listed) >= 5 and all(x.rsplit(", ", 1)[-1].lower() in near for x in listed), listed
    chicago = [x for x in listed if x.endswith(", Chicago")]
    assert chicago and listed[: len(chicago)] == chicago, listed  # the city itself before the rest of its state
    logged = ui.svc.store.query(
        "SELECT item_id FROM events WHERE type = 'impression' AND surface = 'ui_jobs' AND session_id = :s",
        {"s": chat.state["session_id"]},
    )
    assert len(logged) == len(listed), logged  # what the person saw, not the deeper list searched for the place
    reply = chat.say("find me jobs in Anchorage, AK")
    assert reply.startswith("I found no job postings that fit you near Anchorage, AK; these are elsewhere."), reply
    assert len([x for x in reply.splitlines() if x[:1].isdigit()]) >= 3


@pytest.mark.slow
def test_an_occupation_goal_comes_first_and_the_rest_of_the_list_says_what_it_is(ui):
    """A forklift driver who wants to become an electrician read "Occupations toward “electrician” you could move
    into: Electricians, Operating Engineers, Pile Driver Operators, ...": only the first is toward the goal."""
    chat = Chat(ui)
    reply = chat.say("I drive a forklift in a warehouse and I want to become an electrician. How do I get there?")
    assert "Toward “electrician” from Industrial Truck and Tractor Operators:" in reply, reply
    assert chat.recs[0] == "47-2111.00", chat.recs
    first, others = reply.index("1. Electricians"), reply.index("Other occupations close to your work:")
    assert first < others < reply.index("**2. "), reply
    assert reply.count("Other occupations") == 1


def test_a_small_field_is_followed_by_the_persons_ordinary_list_under_its_own_heading(ui):
    """A bartender who wants "to get into real estate" read Waiters and Waitresses fifth under "Occupations in
    real estate you could move into": the field has four occupations, the list five."""
    chat = Chat(ui)
    reply = chat.say("I'm a bartender and I want to get into real estate")
    assert "Occupations in real estate you could move into from Bartenders:" in reply, reply
    lines = [x for x in reply.splitlines() if x.startswith("**")]
    field = [x for x in lines if "Real Estate" in x or "Property" in x]
    assert field and lines[: len(field)] == field, lines  # the field's occupations first
    if len(lines) > len(field):  # then the rest, said to be the person's ordinary list
        assert reply.index("Other occupations close to your work:") < reply.index(lines[len(field)]), reply
    assert reply.count("Other occupations") <= 1


def test_a_veteran_gets_civilian_work_and_why_asks_about_the_one_on_the_list(ui):
    """ "I was in the Army for 8 years as an infantryman" got airfield operations specialists and general managers
    (O*NET rates no military occupation), and "why police?" then explained Secretaries (the catalogue's "police")."""
    chat = Chat(ui)
    reply = chat.say("I was in the Army for 8 years as an infantryman, getting out next year")
    assert "Infantry is military work, so the lists start from the civilian work it carries over to" in reply, reply
    assert chat.recs[:3] == ["33-3051.00", "33-9032.00", "33-3012.00"], chat.recs
    reply = chat.say("why police?")
    assert reply.startswith("**Police and Sheriff's Patrol Officers** — fit:"), reply


def test_a_parent_who_needs_school_hours_gets_part_time_postings_first(ui):
    """ "I was a bank teller. I need something that fits around my kids' school hours" was not heard: one part-time
    teller posting, third, among full-time ones. Unticked in the panel, the usual order is back."""
    from retrieval.jobs.levels import FLEXIBLE_TITLE

    def fewer_hours(title: str) -> bool:
        return bool(re.search(r"part[\s-]*time|\bpt\b", title, re.I) or FLEXIBLE_TITLE.search(title))

    chat = Chat(ui)
    reply = chat.say(
        "I'm a stay-at-home mom for 10 years, before that I was a bank teller. I need something that fits around my "
        "kids' school hours"
    )
    assert "I'll put postings that say they are part time or have flexible hours first (you said “fits around my " in (
        reply
    ), reply
    assert "**Postings:** part-time or flexible hours first" in chat.beliefs
    jobs = chat.say("find me jobs")
    listed = [line for line in jobs.splitlines() if re.match(r"\d+\. ", line)]
    assert len(listed) >= 5 and all(fewer_hours(line) for line in listed[:4]), listed
    assert all("teller" in line.lower() or "bank" in line.lower() for line in listed[:4]), listed
    out = ui.on_save_profile(
        chat.occupation["value"], ", ".join(chat.state["profile"]["skills"]), "", chat.history, chat.state,
        None, None, None, None, None, None, False,
    )  # fmt: skip
    assert "Postings are back in their usual order, full-time ones included." in out[0][-1]["content"]


def test_a_question_about_an_occupation_is_answered_about_it_not_taken_as_the_persons_work(ui):
    """ "What does a data analyst do?" was answered "I've noted your occupation as Business Intelligence Analysts",
    then a data analyst's next moves; "How much do nurses make?" made the person a nurse."""
    chat = Chat(ui)
    reply = chat.say("How much do nurses make?")
    assert reply.startswith("**Registered Nurses**: Assess patient health problems"), reply
    assert "What the work involves, for example:" in reply and "**What it takes:**" in reply, reply
    assert "my data has no pay figures" in reply and "Tell me about your own work" in reply, reply
    assert not chat.state["profile"].get("occupation") and not chat.recs  # nothing taken in about the person
    reply = chat.say("What does a data analyst do?")
    assert "(the nearest occupation to “data analyst”)" in reply and "pay figures" not in reply, reply
    chat.say("I'm a cashier at Target")
    reply = chat.say("Tell me about welders")
    assert reply.startswith("**Welders, Cutters, Solderers, and Brazers**:"), reply
    assert "Ask *“Am I a good fit for welders?”*" in reply and chat.state["profile"]["occupation"] == "Cashiers"
    # a comparison is answered about both (it was about physician assistants alone)
    reply = Chat(ui).say("What's the difference between a nurse practitioner and a physician assistant?")
    assert reply.startswith("**Nurse Practitioners**:") and "\n\n**Physician Assistants**:" in reply, reply


def test_a_school_leaver_is_shown_first_jobs_not_asked_for_a_job_title(ui):
    chat = Chat(ui)
    reply = chat.say("I just finished high school and have no experience. What jobs can I get?")
    assert reply.startswith("You haven't worked yet, so these are first jobs") and "tell me your job title" not in (
        reply
    ), reply
    assert "First jobs, work that takes little preparation:" in reply and len(chat.recs) >= 5, reply
    assert "**Occupation:** none yet, so the list is first jobs" in chat.beliefs and "job title" not in chat.beliefs
    reply = chat.say("I'm good with people")
    assert reply.startswith("Here are first jobs that fit that.") and "job title" not in reply, reply
    jobs = chat.say("find me jobs")  # the postings of the first jobs on the list, not the most viewed ones
    assert jobs.startswith("Job postings in first jobs like those on your list:"), jobs


def test_a_liking_for_hands_on_work_brings_it_up_the_list(ui, settings):
    """ "I like working with my hands" after "I have no experience" was answered as a fit question about the first
    occupation on the list."""
    from retrieval.occupations.service import get_occupation_recommender

    corpus = get_occupation_recommender(settings).corpus
    chat = Chat(ui)
    chat.say("I just finished high school and have no experience.")
    before = list(chat.recs)
    reply = chat.say("I like working with my hands")
    assert reply.startswith("You like working with your hands, so hands-on work comes first."), reply
    realistic = [corpus.interests[corpus.index[r], 0] for r in chat.recs[:5]]
    assert chat.recs[:5] != before[:5] and min(realistic) >= 4.0, (chat.recs, realistic)
    assert "**You like:** working with your hands (hands-on work first)" in chat.beliefs


def test_a_criminal_record_is_heard_and_answered_honestly(ui):
    from app.ui.chat import ASK_ABOUT_THEM, RECORD_NOTE

    assert Chat(ui).say("I have a criminal record, what jobs can I get?") == f"{RECORD_NOTE} {ASK_ABOUT_THEM}"
    reply = Chat(ui).say("I'm a line cook and I have a felony")
    assert RECORD_NOTE in reply and "**Cooks, Restaurant**" in reply, reply


def test_how_to_become_one_before_anything_about_the_person_is_answered_about_that_work(ui):
    """ "How do I become an electrician?", "I'm 40. Is it too late to become a doctor?" and "Can I become a teacher
    without a degree?" were each answered "First tell me a little about yourself"; "doctor" was Dermatologists."""
    from app.ui.chat import AGE_NOTE

    chat = Chat(ui)
    reply = chat.say("How do I become an electrician?")
    assert reply.startswith("**Electricians**:") and "**What it takes:** medium preparation" in reply, reply
    assert "I've noted your goal: **electrician**." in reply and "Tell me about your own work" in reply, reply
    assert chat.recs[0] == "47-2111.00" and chat.state["profile"]["goal"] == "electrician"
    assert "you already show" not in reply and AGE_NOTE not in reply
    reply = chat.say("I'm a warehouse worker, I've driven forklifts for 6 years")  # then the comparison
    assert "Toward “electrician” from" in reply and "**1. Electricians** — fit:" in reply, reply
    reply = Chat(ui).say("I'm 40. Is it too late to become a doctor?")
    assert reply.startswith("**Family Medicine Physicians**") and AGE_NOTE in reply, reply
    teacher = Chat(ui)
    reply = teacher.say("Can I become a teacher without a degree?")
    assert "without a degree you don't have" in reply and "Postsecondary Teachers, All Other" not in reply, reply
    # a fit question with no goal in it gets the facts too, and nothing is taken in
    asked = Chat(ui)
    reply = asked.say("Am I a good fit for data scientist?")
    assert reply.startswith("**Data Scientists**:") and "Tell me about your own work" in reply, reply
    assert not asked.recs and not asked.state["profile"].get("goal")


def test_a_liking_followed_by_a_bare_request_for_the_list_is_the_lists_frame(ui):
    """ "I love animals. What jobs are there for me?" was "I could not tell what you do": the request alone read by
    meaning as Computer Occupations, All Other, whose link then made the love of animals no goal."""
    chat = Chat(ui)
    reply = chat.say("I love animals. What jobs are there for me?")
    assert "You enjoy **animals**" in reply and "Animal" in chat.state["recs"][0]["title"], reply


def test_asking_what_to_do_with_a_degree_makes_it_the_lists_frame(ui):
    """ "I have a psychology degree but I work at Starbucks. What can I do with my degree?" was listed baristas."""
    chat = Chat(ui)
    reply = chat.say("I have a psychology degree but I work at Starbucks. What can I do with my degree?")
    assert "You studied **psychology**" in reply and "Occupations in work like what you studied" in reply, reply
    assert not any(r.startswith("35-") for r in chat.recs[:5]), chat.recs  # no food service first


def test_a_school_leavers_first_job_reads_as_one_not_as_a_stretch(ui):
    reply = Chat(ui).say("I just finished high school and have no experience. What jobs can I get?")
    assert "**1. " in reply and "— a first job, little preparation needed" in reply, reply
    assert "does not yet show its core skills" not in reply, reply


def test_languages_spoken_are_skills_not_an_occupation(ui):
    """ "I speak Spanish and English fluently" was told "I've noted your occupation as Foreign Language and Literature
    Teachers, Postsecondary", and the most viewed postings came twice."""
    chat = Chat(ui)
    reply = chat.say("I speak Spanish and English fluently. Are there jobs where that helps?")
    assert "noted your occupation" not in reply and not chat.state["profile"].get("occupation"), reply
    assert "Spanish" in " ".join(chat.state["profile"]["skills"]), chat.state["profile"]
    assert reply.count("Personal Assistant/ Administrative Assistant") <= 1, reply


def test_a_doctor_trained_abroad_is_understood_and_told_what_recognition_takes(ui):
    """ "I was a doctor in my country but my license isn't valid here" was answered with the help text: "doctor", a
    word of everyday prose said in the past tense, was dropped, and nothing else was heard."""
    from app.ui.chat import CREDENTIAL_NOTE

    chat = Chat(ui)
    reply = chat.say("I was a doctor in my country but my license isn't valid here")
    assert "Physicians**" in reply and CREDENTIAL_NOTE in reply, reply
    assert "(you said “my license isn't valid here”)" in reply, reply
    assert not any(r.startswith(("29-1215", "29-1216")) for r in chat.recs), chat.recs


def test_a_catch_all_code_does_not_lead_a_goal_list(ui):
    """ "Currently in sales, interested in tech" listed Computer Occupations, All Other first: a title no posting uses."""
    chat = Chat(ui)
    chat.say("Looking for a career change. Currently in sales, interested in tech")
    titles = [r["title"] for r in chat.state["recs"]]
    assert titles and not any("All Other" in t for t in titles[:3]), titles


def test_what_a_degree_leads_to_puts_work_needing_another_degree_last(ui, settings):
    """ "I'm a recent grad with a BS in computer science" was listed Computer and Information Research Scientists first
    (a doctorate: O*NET job zone 5)."""
    from retrieval.occupations.service import get_occupation_recommender

    corpus = get_occupation_recommender(settings).corpus
    chat = Chat(ui)
    chat.say("I'm a recent grad with a BS in computer science, can't find a job")
    zones = [corpus.zone_or_family[corpus.index[r]] for r in chat.recs[:5]]
    assert chat.recs and zones[0] < 5 and zones == sorted(zones, key=lambda z: z >= 5), (chat.recs, zones)
