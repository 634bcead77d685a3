"""The recommenders behind every front end, on the synthetic catalogue: occupations, the shared entry point,
skills toward a target, and the chat's reading of a self-description. Mechanics (ordering, resolution,
exclusion, errors), not quality: how good the rankings are is measured on the real data
(test_recommend_occupations.py, the eval reports). Jobs and courses have their synthetic-catalogue tests in
test_jobs.py and test_courses.py."""

from __future__ import annotations

import pytest

from retrieval.profile import Profile, ProfileError
from retrieval.recommend import Kind, recommend
from tests import synthetic_catalogue as synthetic

FAMILY = {o[0]: family for family, occs in synthetic.OCCUPATIONS.items() for o in occs}


def _related(conn, code: str) -> list[str]:
    """The curated related occupations of ``code``, best tier first (the order the file gives)."""
    order = {"Primary-Short": 0, "Primary-Long": 1, "Supplemental": 2}
    rows = conn.execute(
        "SELECT related_id, tier, rank FROM related_occupation WHERE occupation_id = ?", (code,)
    ).fetchall()
    return [r[0] for r in sorted(rows, key=lambda r: (order[r[1]], r[2]))]


def _occupations(profile: Profile, k: int = 10) -> list[str]:
    return [i.id for i in recommend([profile], Kind.occupation, k)[0].items]


# ------------------------------------------------------------------------------------------ occupations
def test_curated_related_occupations_lead_in_tier_order(synthetic_settings, synthetic_catalogue):
    result = recommend([Profile(id="p", occupation=synthetic.NURSE)], Kind.occupation, k=12)[0]
    ids = [i.id for i in result.items]
    curated = _related(synthetic_catalogue, synthetic.NURSE)
    assert len(curated) == 8 and ids[:8] == curated
    assert synthetic.NURSE not in ids and len(ids) == len(set(ids)) == 12
    assert result.id == "p" and all(i.kind == Kind.occupation and i.title for i in result.items)
    scores = [i.score for i in result.items]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    "given", [synthetic.NURSE, "Registered Nurses", "registered nurses", "Staff Nurse", "RN", "Charge Nurse"]
)
def test_codes_titles_and_alternate_titles_resolve_to_the_same_occupation(synthetic_settings, given):
    assert _occupations(Profile(occupation=given)) == _occupations(Profile(occupation=synthetic.NURSE))


def test_an_occupation_without_curated_links_is_ranked_by_the_model(synthetic_settings, synthetic_catalogue):
    assert _related(synthetic_catalogue, synthetic.WEB_DEV) == []  # held out, like the real development split
    top = _occupations(Profile(occupation=synthetic.WEB_DEV), k=6)
    assert sum(FAMILY[c] == "computing" for c in top) >= 5, top


def test_an_occupation_without_ratings_still_gets_recommendations(synthetic_settings):
    top = _occupations(Profile(occupation=synthetic.UNRATED), k=5)
    assert len(top) == 5 and synthetic.UNRATED not in top


@pytest.mark.parametrize(
    "profile, family",
    [
        (Profile(text="I write Python and SQL code and build machine learning models"), "computing"),
        (Profile(skills=["AutoCAD", "read blueprints"]), "trades"),
        (Profile(text="I plan lessons and teach pupils to read", skills=["classroom management"]), "education"),
    ],
)
def test_text_and_skills_profiles_find_their_family(synthetic_settings, profile, family):
    top = _occupations(profile, k=3)
    assert [FAMILY[c] for c in top] == [family] * 3, top


def test_excluded_ids_never_come_back(synthetic_settings):
    first = _occupations(Profile(occupation=synthetic.NURSE), k=5)
    again = _occupations(Profile(occupation=synthetic.NURSE, exclude=first[:2]), k=5)
    assert not set(first[:2]) & set(again) and again[:3] == first[2:5]


def test_unknown_occupations_and_bad_k_are_profile_errors(synthetic_settings):
    with pytest.raises(ProfileError, match="unknown occupation"):
        recommend([Profile(occupation="Chief Dragon Tamer")], Kind.occupation)
    for k in (0, 201):
        with pytest.raises(ProfileError, match="between 1 and 200"):
            recommend([Profile(occupation=synthetic.NURSE)], Kind.occupation, k)


# ------------------------------------------------------------------------------- the shared entry point
def test_the_shared_entry_point_serves_every_kind(synthetic_settings):
    profiles = [
        Profile(id="a", user_id="20001"),
        Profile(id="b", text="python developer who wants to become a data scientist"),
    ]
    for kind, prefix in ((Kind.job, "job:"), (Kind.course, "course:")):
        results = recommend(profiles, kind, k=3)
        assert [r.id for r in results] == ["a", "b"]
        assert all(i.kind == kind and i.id.startswith(prefix) for r in results for i in r.items)
        # a course list may honestly be empty (no course of the catalogue teaches the gap well enough: here
        # the nurse applicant's move to nurse practitioner); the developer's move to data science is not
        assert all(r.items for r in results) if kind is Kind.job else results[1].items


# ------------------------------------------------------------------ a text-only profile's own occupation
def test_a_text_only_profile_counts_the_occupation_its_text_names(synthetic_settings):
    """A pasted self-description gets the skills its occupation usually involves (cited as inferred), as in
    the chat; before, only skills written out word for word counted and a nurse 'covered' little of nursing."""
    from retrieval.skills.gap import Profile as GapProfile, skill_gap

    text = "I have worked as a registered nurse on a surgical ward for six years."
    understood = skill_gap(GapProfile(text=text), synthetic.NURSE_PRACTITIONER)
    written = skill_gap(GapProfile(text=text), synthetic.NURSE_PRACTITIONER, understand_text=False)
    given = skill_gap(GapProfile(occupation=synthetic.NURSE), synthetic.NURSE_PRACTITIONER)
    assert understood.current_occupation is not None
    assert (understood.current_occupation.id, understood.current_occupation.source) == (synthetic.NURSE, "text")
    assert "nurse" in (understood.current_occupation.quote or "").lower()
    assert written.current_occupation is None and given.current_occupation.source == "given"
    assert understood.coverage > written.coverage and understood.coverage >= given.coverage
    inferred = [m for m in understood.matched_skills if any(e.source == "occupation" for e in m.profile_evidence)]
    assert inferred and {m.id for m in given.matched_skills} <= {m.id for m in understood.matched_skills}


@pytest.mark.parametrize("text", ["I like helping people and I want to become a nurse practitioner", "qwzx plorb"])
def test_vague_text_or_a_goal_alone_is_not_taken_for_an_occupation(synthetic_settings, text):
    from retrieval.skills.gap import Profile as GapProfile, skill_gap

    gap = skill_gap(GapProfile(text=text), synthetic.NURSE_PRACTITIONER)
    assert gap.current_occupation is None  # a goal is where they want to go, not what they do


# ------------------------------------------------------------------------------------- courses, skills
def test_skills_toward_a_target_are_what_the_profile_lacks(synthetic_settings):
    from retrieval.courses.service import get_course_recommender

    recommender = get_course_recommender(synthetic_settings)
    skills = recommender.recommend_skills(Profile(occupation=synthetic.NURSE), k=5, target=synthetic.SOFTWARE_DEV)
    assert 0 < len(skills) <= 5 and all(s.target == synthetic.SOFTWARE_DEV and s.title for s in skills)
    titles = {s.title for s in skills}
    assert "Python (computer programming)" in titles
    assert not titles & {"Active Listening", "Social Perceptiveness", "Medicine and Dentistry"}  # a nurse has these


# ------------------------------------------------------------------------------------- understanding
@pytest.mark.parametrize(
    "message, occupation, skills",
    [
        (
            "I am a registered nurse and I know Python and Excel",
            synthetic.NURSE,
            {"Python (computer programming)", "Microsoft Excel"},
        ),
        ("I work as an electrician.", synthetic.ELECTRICIAN, set()),
        ("I'm a staff nurse, and I use SQL.", synthetic.NURSE, {"SQL"}),
        ("I like cats", None, set()),
    ],
)
def test_a_self_description_names_an_occupation_and_skills(synthetic_settings, message, occupation, skills):
    from app.api.services import WaypointService

    understood = WaypointService(synthetic_settings).understand(message)
    assert (understood.occupation.occupation_id if understood.occupation else None) == occupation
    assert {s.label for s in understood.skills if s.kind == "skill"} == skills


# ------------------------------------------------------------------ a course says what it is for
def test_a_course_says_which_gap_it_closes_and_toward_which_occupation(synthetic_settings):
    """The chat listed "Courses: Introduction to Sociology" under a nurse's list, with no word of what for."""
    from app.ui.chat import _extra_line

    items = recommend([Profile(text="python developer who wants to become a data scientist")], Kind.course, 3)[0].items
    assert items and all(i.closes and i.toward == "Data Scientists" for i in items), items
    line = _extra_line("Courses", [i.model_dump() for i in items])
    assert line.startswith("\nCourses toward Data Scientists: ")
    assert all(i.title in line for i in items) and f"(for {items[0].closes[0]}" in line
    assert line.count("(for ") == len({", ".join(i.closes[:2]) for i in items})  # each gap named once
    same = _extra_line("Courses", [{"title": t, "closes": ["Negotiation"]} for t in ("A", "B")])
    assert same == "\nCourses: A or B (for Negotiation)"  # "A; B (for Negotiation)" read as A for nothing said
    postings = _extra_line(
        "Job postings", [{"title": "Data Analyst — Gamma Health, Denver"}, {"title": "Clerk — Acme"}]
    )
    assert postings == "\nJob postings: Data Analyst — Gamma Health, Denver; Clerk — Acme"


def test_postings_under_the_list_are_the_persons_kind_of_work_or_an_honest_none():
    """A barber was shown "Job postings: Personal Assistant; Security Officer" (the log's most viewed) as if
    they matched: only postings of their kind of work are named, or "none", or, where Waypoint cannot tell,
    what the list is."""
    from app.ui.chat import _postings_line

    work = "your kind of work"
    cnc = {"title": "CNC Operator — Festo, Hauppauge", "kind_of_work": True}
    macys = {"title": "Seasonal Retail Sales — Macy's, Chicago", "kind_of_work": False}
    assert _postings_line([cnc, macys], work) == [
        "\nJob postings in your kind of work: CNC Operator — Festo, Hauppauge"
    ]
    assert _postings_line([macys], work) == ["\nJob postings: none in your kind of work in the catalogue."]
    vague = {"title": "Administrative Assistant — Quest LLC, New York", "kind_of_work": None}
    assert _postings_line([vague], work) == [
        "\nJob postings people viewed most: Administrative Assistant — Quest LLC, New York"
    ]
    assert _postings_line([], work) == []


def test_find_me_jobs_names_the_persons_kind_of_work_then_the_rest(synthetic_settings):
    """Through the chat on the synthetic catalogue: a nurse's "find me jobs" lists the nursing postings under
    "Job postings in your kind of work", then the others as what they are, numbered on."""
    from app.api.services import WaypointService
    from app.ui.chat import ChatUI
    from tests.test_ui_understanding import Chat

    chat = Chat(ChatUI(WaypointService(synthetic_settings.model_copy(update={"llm_backend": "deterministic"}))))
    chat.say("I am a registered nurse")
    reply = chat.say("Can you find me some job postings?")
    lines = reply.splitlines()
    assert lines[0] == "Job postings in your kind of work:", reply
    other = lines.index("Other postings people viewed:")
    assert lines[other - 1] == "", reply  # else Markdown reads the heading as part of the list item above
    ours, rest = lines[1 : other - 1], lines[other + 1 :]
    assert any("Registered Nurse - Med Surg" in x for x in ours) and not any("Python Developer" in x for x in ours)
    assert [x.split(".")[0] for x in ours + rest] == [str(n) for n in range(1, len(ours) + len(rest) + 1)]


def test_course_answer_says_when_the_only_gaps_are_software_tools():
    """A CNC operator's gap to woodworking machine setting is one software tool; "skills to build first" over
    it read as if they lacked the trade."""
    from app.ui.chat import _gaps_heading

    tools = [{"id": "tech:inventory-control-software", "label": "Inventory control software"}]
    assert _gaps_heading("Woodworking Machine Setters", tools).startswith(
        "You already have the skills **Woodworking Machine Setters** asks for"
    )
    skills = [*tools, {"id": "onet:2.A.1.a", "label": "Reading Comprehension"}]
    assert _gaps_heading("Machinists", skills).startswith("To move toward **Machinists**, these are the skills")
    deeper = [{**tools[0], "deeper": True}]
    assert _gaps_heading("Machinists", deeper).startswith("To move toward")


def test_a_knowledge_area_no_course_teaches_is_taught_in_the_degree_the_work_asks_for():
    """A paralegal toward lawyers read "Law and Government: no course in the catalogue teaches this yet -- a project or
    volunteer work that uses it is the way in"; a knowledge area of work that asks for a degree is taught there. A
    skill (not an area), or work asking for no degree, keeps the project advice."""
    from app.ui.chat import _no_course
    from retrieval.occupations.about import DEGREE

    law = {"id": "onet:2.C.8.b", "label": "Law and Government"}
    assert _no_course(law, DEGREE[5]).endswith(f"it is taught in {DEGREE[5]} this work usually asks for")
    assert "volunteer work" in _no_course(law, "")
    assert "volunteer work" in _no_course({"id": "onet:2.B.1.b", "label": "Persuasion"}, DEGREE[5])


def test_a_person_with_no_job_but_a_goal_is_not_asked_for_a_job_title(synthetic_settings):
    """Browser walk: "I'm 19, finished high school last year, no real work experience. I like working on cars." got
    the list toward the automotive trades under "I could not tell what you do -- tell me your job title"."""
    from app.api.services import WaypointService
    from app.ui.chat import NO_TITLE_YET, ChatUI
    from retrieval.understanding.linker import NO_OCCUPATION
    from tests.test_ui_understanding import Chat

    chat = Chat(ChatUI(WaypointService(synthetic_settings.model_copy(update={"llm_backend": "deterministic"}))))
    reply = chat.say("I'm 19 and have no real work experience. I want to become a registered nurse.")
    assert reply.startswith(NO_TITLE_YET) and NO_OCCUPATION not in reply, reply
