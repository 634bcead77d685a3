"""Understanding a person's own words (retrieval/understanding): the phrase cues, the title keys, the
linker and the goal-steered list, on the synthetic catalogue. Mechanics: which words are a goal, a
negation or a title, what is refused. How well it works on what people really write is measured by
`waypoint eval profiles` on the real catalogue (tests/test_understanding_real.py checks the known
failures there)."""

from __future__ import annotations

import pytest

from retrieval.profile import Profile, ProfileError
from retrieval.recommend import Kind, recommend
from retrieval.understanding import cues
from retrieval.understanding.fields import FIELDS
from retrieval.understanding.keys import title_key
from tests import synthetic_catalogue as synthetic


# ------------------------------------------------------------------------------------------ cues
@pytest.mark.parametrize(
    "text, target",
    [
        ("I'm a firefighter and I want to move into finance", "finance"),
        ("teacher here, want to switch to software development", "software development"),
        ("Software developer, hoping to move into management someday.", "management"),
        ("paralegal, would love to become a lawyer", "lawyer"),
        ("Nurse wanting to get into the healthcare administration side of things", "healthcare administration"),
        ("thinking about a career change to data science, because I like numbers", "data science"),
        ("aspiring data analyst with Excel skills", "data analyst"),
        ("I'd like to break into the tech industry", "tech"),
        # a school leaver with no work to go by (browser walk: "I could not tell what you do")
        ("I'm 19, no real work experience. I like working on cars.", "cars"),
        # a vague wish named after a hedge (browser walk: the ICU nurse's goal was read as "remote")
        ("ICU nurse, burned out, want to move into something remote, maybe health informatics.", "health informatics"),
        ("I want to get into something with computers, maybe IT", "IT"),
        ("I want to become a nurse, maybe a midwife", "nurse"),
        # school is the route, not the goal (it resolved to school bus drivers)
        ("Welder, 30 years old, would love to go back to school and become an engineer.", "engineer"),
    ],
)
def test_goal_phrases_find_the_target_without_filler(text, target):
    found = cues.goal_phrases(text)
    assert [g.text for g in found] == [target]
    g = found[0]
    assert text[g.target[0] : g.target[1]] == target and g.clause[0] <= g.target[0] < g.target[1] <= g.clause[1]


@pytest.mark.parametrize(
    "text",
    [
        "I switched to nursing in 2015",
        "I have moved into management already",
        "I'm a welder with ten years in shipyards",
        "Registered nurse, ICU, night shifts",
        "I like my job as a teacher",
    ],
)
def test_statements_about_the_past_or_present_are_not_goals(text):
    assert cues.goal_phrases(text) == []


def test_a_wish_to_learn_is_marked_as_learning():
    (goal,) = cues.goal_phrases("I don't know SQL yet but I want to learn Python")
    assert goal.text == "Python" and goal.learn


@pytest.mark.parametrize(
    "text, target",
    [
        ("I want to learn SQL and get a job", "SQL"),
        ("I want to learn coding and find work", "coding"),
        ("I want to become a nurse and get a stable job", "nurse"),
        ("I want to move into finance and make more money", "finance"),
        # "with" opens the target here; the purpose after it was kept ("kids and make a difference")
        ("I want to work with kids and make a difference", "kids"),
    ],
)
def test_what_the_move_is_for_is_not_its_target(text, target):
    """ "I want to learn SQL and get a job" read the target "SQL and get", which names nothing: no goal at all."""
    assert [g.text for g in cues.goal_phrases(text)] == [target]
    # a second move is still its own goal
    assert [g.text for g in cues.goal_phrases("I want to get into nursing and then get into management")] == [
        "nursing",
        "management",
    ]


def test_negated_clauses_cover_what_is_denied_and_nothing_after_but():
    text = "I have no experience with SQL, but I know Excel well"
    negated = cues.negated_clauses(text)
    sql = text.index("SQL")
    excel = text.index("Excel")
    assert cues.inside((sql, sql + 3), negated)
    assert not cues.inside((excel, excel + 5), negated)


@pytest.mark.parametrize(
    "text, years",
    [
        ("15 years as a welder", 15),
        ("two years in retail", 2),
        ("Since 2010, 3+ yrs leading a team", 3),
        ("I'm a nurse", None),
        ("worked 200 years", None),
    ],
)
def test_years_of_experience(text, years):
    assert cues.years_of_experience(text) == years


def test_seniority_from_words_or_years():
    assert cues.seniority("Sr. engineer", None) == "senior"
    assert cues.seniority("just graduated", None) == "entry"
    assert cues.seniority("engineer", 10) == "senior"
    assert cues.seniority("engineer", None) is None


# ------------------------------------------------------------------------------------------ keys and fields
@pytest.mark.parametrize(
    "a, b",
    [
        ("school counsellor", "School Counselors"),
        ("registered nurse", "Registered Nurses"),
        ("Labourer", "laborers"),
        ("Secretaries", "secretary"),
        ("RN", "rn"),
    ],
)
def test_title_keys_meet_across_plural_and_british_spelling(a, b):
    assert title_key(a) == title_key(b)


def test_field_table_is_well_formed():
    names = [f.name for f in FIELDS]
    assert len(names) == len(set(names))
    for f in FIELDS:
        assert f.aliases and f.soc_prefixes
        for p in f.soc_prefixes:
            assert p[:2].isdigit() and p[2] == "-" and len(p) <= 10, (f.name, p)
    # one alias, one field: otherwise what "finance" means would depend on the table's order
    keys = [k for f in FIELDS for k in {title_key(a) for a in (f.name, *f.aliases)}]
    dupes = {k for k in keys if keys.count(k) > 1}
    assert not dupes, dupes


@pytest.mark.parametrize(
    "text",
    [
        "I've worked in a warehouse for 6 years, mostly driving forklifts",
        "I have worked in retail for 10 years",
        "I've managed a team of 12",
        "I cut hair, mostly men's fades",
        "I do people's taxes every spring",
        "I mostly wire new builds",
        "25 years running a CNC machine",
        "Ive been driving trucks for 10 years",
        "RN here. I run the night shift.",
    ],
)
def test_sentences_of_work_are_activity_clauses(text):
    assert cues.activity_clauses(text)


@pytest.mark.parametrize(
    "text",
    [
        "I've always wanted to be a nurse",
        "I have a degree in biology",
        "I've never worked",
        "I've studied accounting",
        "I love the patients but the shifts are killing me.",
        "I live in Ohio.",
        "I just got laid off.",
        "I don't know what I want to do.",
        "I do want to move into finance",
        "Am I a good fit for data scientist?",
        "What would I need to learn to work as a UX designer?",
        "Registered nurse, ICU, night shifts",
    ],
)
def test_feelings_wishes_questions_and_bare_titles_are_not_activity_clauses(text):
    assert cues.activity_clauses(text) == []


@pytest.mark.parametrize(
    "text, asked",
    [
        ("I love animals. What jobs are there for me?", " What jobs are there for me?"),
        ("I like cooking. What careers would suit me?", " What careers would suit me?"),
        ("What kind of work could I get? I have a forklift license.", "What kind of work could I get?"),
        ("what jobs are there", "what jobs are there"),
        ("What jobs are there for a nurse?", None),
        ("What jobs could I do with my forklift license?", None),
        ("What jobs are there in Chicago?", None),
    ],
)
def test_a_bare_request_for_the_list_says_nothing_about_the_person(text, asked):
    assert [text[s:e] for s, e in cues.generic_requests(text)] == ([asked] if asked else [])


@pytest.mark.parametrize(
    "text, asks",
    [
        ("What can I do with my degree?", True),
        ("I want to use my psychology degree", True),
        ("My degree is going to waste", True),
        ("how to put my degree to good use", True),
        ("I have a degree in biology", False),
        ("I put my degree on hold", False),
    ],
)
def test_asking_what_to_do_with_a_degree(text, asks):
    assert cues.asks_to_use_degree(text) is asks


@pytest.mark.parametrize(
    "text, spoken",
    [
        (
            "I speak Spanish and English fluently. Are there jobs where that helps?",
            "I speak Spanish and English fluently",
        ),
        ("I speak French, German and Italian", "I speak French, German and Italian"),
        ("I'm bilingual", "I'm bilingual"),
        ("I teach Spanish", None),  # work, not a language spoken
        ("I know Python", None),
    ],
)
def test_languages_a_person_speaks_are_found(text, spoken):
    assert [text[s:e] for s, e in cues.languages_spoken(text)] == ([spoken] if spoken else [])


# ------------------------------------------------------------------------------------------ the linker
@pytest.fixture(scope="module")
def linker(synthetic_settings):
    from retrieval.understanding.service import get_linker

    return get_linker(synthetic_settings)


def test_a_stated_abbreviation_links_the_occupation_with_its_span(linker):
    text = "I'm an RN on a busy ward, 6 years now"
    u = linker.understand(text)
    assert u.status == "understood" and u.occupation.occupation_id == synthetic.NURSE
    assert u.occupation.span.text == "RN" and text[u.occupation.span.start : u.occupation.span.end] == "RN"
    assert u.occupation.tense == "current" and u.occupation.confidence >= 0.75
    assert u.years_experience == 6


def test_a_programming_language_before_a_bare_engineer_names_software_work(linker):
    """ "Java engineer" is no catalogue title: the bare "engineer" linked Electronics Engineers for a laid-off
    Java engineer. The technology vocabulary comes from the catalogue's development-tool categories."""
    from retrieval.understanding.titles import TitleIndex, TitleMatch

    assert {"python", "oracle java", "react"} <= linker.titles.software_terms
    engineer = {"17-2072.00": 0.9}
    index = TitleIndex(
        {"engineer": engineer, "software engineer": {synthetic.SOFTWARE_DEV: 1.0}},
        {synthetic.SOFTWARE_DEV: "Software Developers", "17-2072.00": "Electronics Engineers"},
        frozenset({"python", "c++", "go"}),
    )

    def widened(text: str) -> list[tuple[str, str]]:
        found = index.technology_roles(text, index.scan(text), ordinary={"go"})
        return [(m.text, m.occupations[0][0]) for m in found]

    assert widened("I'm a Python engineer") == [("Python engineer", synthetic.SOFTWARE_DEV)]
    assert widened("senior C++ engineer, 8 years") == [("C++ engineer", synthetic.SOFTWARE_DEV)]
    assert widened("I'm a Go engineer") == [("Go engineer", synthetic.SOFTWARE_DEV)]
    # an everyday word is a technology only where the person capitalised it, and nothing else is widened
    assert widened("we go engineer it ourselves") == [("engineer", "17-2072.00")]
    assert widened("I'm an engineer") == [("engineer", "17-2072.00")]
    assert widened("a sound engineer") == [("engineer", "17-2072.00")]
    assert isinstance(index.scan("engineer")[0], TitleMatch)


@pytest.mark.parametrize(
    "text, code, tense",
    [
        ("I teach high school math", "25-2031.00", "current"),
        ("I've been teaching 3rd grade for 8 years", synthetic.TEACHER, "current"),
        ("I taught elementary school, then stayed home with my kids", synthetic.TEACHER, "past"),
    ],
)
def test_where_a_teacher_teaches_names_their_occupation(linker, text, code, tense):
    """Teachers say where and whom they teach more often than their title; no catalogue title reads so."""
    u = linker.understand(text)
    assert u.occupation.occupation_id == code and u.occupation.tense == tense
    assert u.occupation.span.text.lower().startswith(("teach", "taught"))


def test_a_goal_is_not_the_persons_occupation_nor_a_held_skill(linker):
    u = linker.understand("I'm a staff nurse and I want to become an accountant who knows Python")
    assert u.occupation.occupation_id == synthetic.NURSE
    assert synthetic.ACCOUNTANT not in [o.occupation_id for o in u.occupations]
    assert [g.kind for g in u.goals] == ["occupation"] and u.goals[0].occupation_ids == [synthetic.ACCOUNTANT]
    assert "Python" not in " ".join(s.label for s in u.skills)


def test_what_a_school_leaver_enjoys_is_where_they_are_headed_and_a_workers_is_not(linker):
    """Browser walk: "I'm 19, finished high school last year, no real work experience. I like working on cars."
    was told "I could not tell what you do -- tell me your job title"."""
    leaver = linker.understand(
        "I'm 19, finished high school last year, no real work experience. I like working on cars."
    )
    assert [(g.kind, g.field) for g in leaver.goals] == [("field", "automotive trades")]
    assert linker.understand("I'm a staff nurse and I like working with people").goals == []


def test_a_negated_skill_is_not_held(linker):
    labels = [
        s.label.lower() for s in linker.understand("No experience with Python, but I use Microsoft Excel daily").skills
    ]
    assert not any("python" in lab for lab in labels)
    assert any("excel" in lab for lab in labels)


@pytest.mark.parametrize(
    "text, status",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("?!", "empty"),
        ("Je suis infirmière et je veux changer de métier", "not_english"),
        ("asdf qwer zxcv", "nonsense"),
    ],
)
def test_text_that_says_nothing_usable_gets_an_honest_status(linker, text, status):
    u = linker.understand(text)
    assert u.status == status and u.message and not u.occupations


# ------------------------------------------------------------------------------------------ recommending
def _ids(profile: Profile, k: int = 5) -> list[str]:
    return [i.id for i in recommend([profile], Kind.occupation, k)[0].items]


def test_a_confident_free_text_link_ranks_like_the_code_query(synthetic_settings):
    assert _ids(Profile(text="I'm an RN"), 8) == _ids(Profile(occupation=synthetic.NURSE), 8)


def test_a_goal_field_makes_a_transition_list_inside_the_field(synthetic_settings):
    finance = next(f for f in FIELDS if f.name == "finance")
    top = _ids(Profile(text="I'm a staff nurse and I want to move into finance"), 5)
    inside = [c for c in top if any(c.startswith(p) for p in finance.soc_prefixes)]
    assert top[0] in inside and len(inside) >= 2, top  # the synthetic catalogue has two finance occupations
    assert synthetic.NURSE not in top


def test_the_goal_field_of_the_profile_wins_and_an_unknown_goal_is_refused(synthetic_settings):
    top = _ids(Profile(occupation=synthetic.NURSE, goal="software development"), 5)
    assert all(c.startswith("15-12") for c in top[:3]), top
    with pytest.raises(ProfileError, match="couldn't find"):
        _ids(Profile(occupation=synthetic.NURSE, goal="zzqx blorp"))


@pytest.mark.parametrize("text", ["asdf qwer zxcv", "Je suis infirmière et je veux changer de métier"])
def test_recommending_from_unusable_text_is_refused_with_the_message(synthetic_settings, text):
    with pytest.raises(ProfileError) as err:
        _ids(Profile(text=text))
    assert "tell me" in str(err.value).lower() or "english" in str(err.value).lower()


def test_a_persons_words_never_reach_the_embedding_cache(linker, synthetic_settings):
    """The on-disk cache keys vectors by a hash of the text: a person's self-description must not be there."""
    from retrieval.embeddings import get_embedder, text_sha1

    text = "I'm a staff nurse who once trained as a glassblower in Murano, 7 years ago"
    linker.understand(text)
    recommend([Profile(text=text)], Kind.occupation, 3)
    embedder = get_embedder(synthetic_settings)
    assert embedder.cache is not None
    assert embedder.cache.get_many(embedder.model_key, [text_sha1(text), text_sha1(text[:4000])]) == {}


def test_a_sentence_of_work_without_a_title_is_linked_by_the_tasks_it_describes(linker):
    """The synthetic home embeds single tasks (WAYPOINT_OCCUPATION_TASK_ALIGNMENT), so the linker has their
    centroids; "help patients with bathing, dressing" is a task of LPNs, and only the tasks say so."""
    import copy

    assert linker.task_vectors is not None and linker.task_vectors.shape == linker.vectors.shape
    text = "I help patients wash and get dressed."
    with_tasks = linker.understand(text).occupations
    assert with_tasks and with_tasks[0].title == "Licensed Practical and Licensed Vocational Nurses"
    assert with_tasks[0].span is None and with_tasks[0].method == "meaning"
    without = copy.copy(linker)
    without.task_vectors = None
    assert without.understand(text).occupations[0].title != with_tasks[0].title


def test_a_weak_match_by_meaning_counts_only_when_the_person_says_what_they_do(linker):
    """ "I write code." is further from every occupation than a bare phrase may be and still be linked; said
    as what the person does, it is their work. Nothing they feel or where they live is."""
    assert [o.title for o in linker.understand("I write code.").occupations][:1] == ["Software Developers"]
    assert linker.understand("Writing code.").occupations == []
    for text in ("I love my dog.", "I live in Ohio."):
        u = linker.understand(text)
        assert u.occupations == [] and u.status in {"nonsense", "no_occupation"}, text


@pytest.mark.parametrize(
    "text, implied",
    [
        ("25 years running a CNC machine in a machine shop", ["CNC machine operator"]),
        ("I operate a crane on construction sites", ["crane operator"]),
        ("I drive a forklift, mostly nights", ["forklift driver"]),
        ("I run the kitchen at a hotel", []),  # to run is also to manage: only equipment has an operator
        ("I run a team of 12 engineers", []),
        # where the work is done: "Laid off from a factory job after 20 years on the assembly line" read as nonsense
        (
            "Laid off from a factory job after 20 years on the assembly line.",
            ["assembly line worker", "factory worker"],
        ),
        ("I worked in a factory for 10 years", ["factory worker"]),
        ("The lines at the factory gate are long", []),
        # "I drive for Uber" was a driver only by meaning: not sure, and every move from it a "stretch"
        ("I drive for Uber and want something stable", ["rideshare driver"]),
        ("I deliver for DoorDash part time", ["delivery driver"]),
        ("I took an Uber to work", []),
        # "20 years in retail management" was a retail supervisor by meaning only: their own occupation came back
        # as "a stretch move"
        ("20 years in retail management, I want something remote", ["retail manager"]),
    ],
)
def test_the_work_described_implies_a_title(text, implied):
    assert [title for _s, _e, title in cues.derived_titles(text)] == implied


def test_an_implied_title_links_with_the_words_it_comes_from(linker):
    """ "driving a tractor trailer" is the reported title "Tractor Trailer Driver", never typed as such."""
    u = linker.understand("Ive been driving a tractor trailer since 2010")
    top = u.occupations[0]
    assert top.title == "Heavy and Tractor-Trailer Truck Drivers" and top.method == "title+meaning"
    assert top.span is not None and top.span.text == "driving a tractor trailer"
    # the same words in a sentence that is not about the person's own work imply nothing
    assert all(o.span is None for o in linker.understand("My dad was driving a tractor trailer.").occupations)


def test_an_implied_title_adds_nothing_where_the_title_itself_is_typed(linker):
    """ "I drive an 18-wheeler" types the colloquial title "18-wheeler"; its implied "18-wheeler driver" names the
    same occupation, so the link quotes the title the person typed, not the verb phrase around it."""
    top = linker.understand("I drive an 18-wheeler, mostly long haul").occupations[0]
    assert top.title == "Heavy and Tractor-Trailer Truck Drivers" and top.span is not None
    assert top.span.text == "18-wheeler"


@pytest.mark.parametrize(
    "text",
    [
        "8 years Army infantry",
        "12 yrs ICU nurse",
        "Three years paralegal at a law firm",
        "I'm 55, been a machinist for 30 years",  # "I've" dropped, as people type: the link was "not sure"
    ],
)
def test_a_length_of_service_before_a_title_is_said_about_oneself(text):
    assert cues.self_cue_clauses(text)


def test_years_at_home_are_not_experience_and_the_work_before_is_the_persons(linker):
    """ "I've been a stay-at-home mom for 10 years ... Before that I was a receptionist" read as a receptionist with
    10 years' experience, and not sure of it (the past tense)."""
    text = (
        "I've been a stay-at-home mom for 10 years and want to go back to work. Before that I was a "
        "receptionist at a dental office."
    )
    assert cues.career_break_clauses(text) and not cues.career_break_clauses("I'm a receptionist, 10 years")
    u = linker.understand(text)
    assert u.career_break is not None and u.years_experience is None
    top = u.occupations[0]  # the synthetic catalogue files the title under its own occupation
    assert top.span is not None and top.span.text == "receptionist" and top.confidence >= 0.75, u.occupations


@pytest.mark.parametrize(
    "text",
    [
        "3 years ago we moved to Ohio",
        "My son is 5 years old",
        "2 years of experience",
        "10 years in retail",
        "It has been a hard year",
    ],
)
def test_years_before_anything_but_a_title_are_not_a_self_cue(text):
    assert cues.self_cue_clauses(text) == []


def test_a_skill_to_learn_on_the_way_to_a_job_is_a_second_goal_after_the_job(linker):
    """ "I want to learn Excel and become a data analyst" read as one goal, "Excel and become a data analyst"."""
    text = "I'm an administrative assistant and I want to learn Excel and become a data analyst."
    assert [(g.text, g.learn) for g in cues.goal_phrases(text)] == [("Excel", True), ("data analyst", False)]
    goals = linker.understand(text).goals
    assert goals and goals[0].kind != "skill" and goals[0].text == "data analyst", goals


def test_an_interest_that_names_no_kind_of_work_stays_vague():
    """ "I like working with people" is the job-view eval's vague persona; "working with kids" is childcare."""
    assert cues.vague_interest("working with people") and cues.vague_interest("learning new things.")
    assert not cues.vague_interest("working with kids") and not cues.vague_interest("people management")


@pytest.mark.parametrize(
    "words, specific",
    [
        # the vague part is near every manual job by meaning: hand grinders came before car mechanics
        ("working with my hands and fixing cars", "fixing cars"),
        ("working with people, animals", "animals"),
        ("drawing and video games", "drawing and video games"),  # nothing vague: unchanged
        ("people and teamwork", "people and teamwork"),  # all vague: unchanged (the caller sees it is vague)
    ],
)
def test_what_a_person_enjoys_is_read_without_its_vague_parts(words, specific):
    assert cues.specific_interest(words) == specific


def test_a_persons_words_are_said_back_in_the_second_person():
    """ "You enjoy working with my hands" read as if Waypoint had hands."""
    assert cues.to_second_person("working with my hands") == "working with your hands"
    assert cues.to_second_person("what I am good at, by myself") == "what you are good at, by yourself"
    assert cues.to_second_person("mining and metalwork") == "mining and metalwork"


@pytest.mark.parametrize(
    "text, target",
    [
        ("I'm 17 and I like drawing and video games. What jobs could I do?", "drawing and video games"),
        ("I'm into computers and gaming", "computers and gaming"),
        ("I'm good at math", "math"),
        ("I like to work with animals", "animals"),
        # what they enjoy, not a wish: the list goes by it only when no work is named (the linker drops it then)
        ("I love cooking Italian food", "cooking Italian food"),
        ("I love my job", None),  # about their own work or life, not where they are headed
        ("I love it here", None),
        ("I like to travel", None),
        ("I love the patients but the shifts are killing me.", None),
        ("I'd like to become a nurse", "nurse"),  # a wish, not an interest
    ],
)
def test_what_a_person_enjoys_is_read_as_an_interest(text, target):
    """A 17-year-old who wrote "I like drawing and video games" was asked for a job title."""
    found = [(text[p.target[0] : p.target[1]], p.interest) for p in cues.goal_phrases(text)]
    if target is None:
        assert not [f for f in found if f[1]], found
    else:
        assert found and found[0][0] == target and found[0][1] == (target != "nurse"), found


@pytest.mark.parametrize(
    "text, field",
    [
        ("Just graduated with a biology degree and I have no idea what to do with it", "biology"),
        ("I have a degree in psychology from UCLA", "psychology"),
        ("majored in history, now looking", "history"),
        ("I studied chemistry at university", "chemistry"),
        ("I have a bachelor's degree in computer science and 2 years experience", "computer science"),
        ("got my MBA in finance last year", "finance"),
        ("What else can I do with an English degree?", "English"),
        # a degree's level or kind is not what was studied; "studied hard" names no subject
        ("I have a college degree", None),
        ("I have a 4-year degree", None),
        ("I studied hard and passed", None),
        ("I studied abroad in Spain", None),
        # what they study now: "I'm studying accounting" was a skill to learn, which steers no list, and a student
        # looking for a part-time job was listed ethnic studies teachers and tutors by the word "studying"
        ("I'm studying accounting", "accounting"),
        ("I study nursing at the community college", "nursing"),
        ("currently studying computer science and want a part-time job", "computer science"),
        ("I'm studying for the CPA exam", None),
        ("I'm studying to become a nurse", None),
    ],
)
def test_what_a_person_studied_is_read_as_an_interest(text, field):
    """A graduate who wrote "Just graduated with a biology degree and I have no idea what to do with it" was asked
    for a job title. What they studied is an interest goal (``studied``), after any goal they state."""
    found = [(p.text, p.interest, p.studied) for p in cues.goal_phrases(text) if p.studied]
    assert found == ([] if field is None else [(field, True, True)]), found
    stated = cues.goal_phrases("I have a nursing degree but I want to become a lawyer")
    assert [p.text for p in stated] == ["lawyer", "nursing"] and stated[1].studied


def test_where_a_person_stands_in_school_is_not_work():
    """ "I majored in computer science, graduating this spring" linked Education Administrators, Postsecondary."""
    text = "I majored in computer science, graduating this spring"
    assert [text[s:e] for s, e in cues.school_status(text)] == ["graduating this spring"]
    text = "I graduated from nursing school in 2010 and have worked as an RN since"
    assert [text[s:e] for s, e in cues.school_status(text)] == ["graduated from nursing school in 2010"]
    assert cues.school_status("I'm a graduate nurse") == []


@pytest.mark.parametrize(
    "text, words",
    [
        ("I just finished high school and have no experience. What jobs can I get?", "just finished high school"),
        ("I have no work experience yet", "no work experience"),
        ("I'm looking for my first job", "looking for my first job"),
        ("I'm 18, never had a job", "never had a job"),
        ("I haven't worked before", "haven't worked before"),
        ("school leaver, 16", "school leaver"),
        # not: experience of one thing, work elsewhere, a first job in the past, a college start
        ("no experience with SQL", None),
        ("no experience in healthcare but I want to try", None),
        ("I never worked in retail", None),
        ("My first job was at McDonald's", None),
        ("recent college grad, no work experience", None),
    ],
)
def test_not_having_worked_yet_is_read_with_its_words(text, words):
    """ "I just finished high school and have no experience. What jobs can I get?" was asked for a job title."""
    found = cues.first_work(text)
    assert (text[found[0] : found[1]] if found else None) == words


@pytest.mark.parametrize(
    "text, dimension",
    [
        ("I like working with my hands", "Realistic"),
        ("No experience, but I like working with my hands", "Realistic"),
        ("I enjoy hands-on work", "Realistic"),
        ("I really enjoy working with people", "Social"),
        ("I'm a people person", "Social"),
        ("I like creative stuff", "Artistic"),
        # denied, or a fact of the work rather than a liking
        ("I don't like working with my hands", None),
        ("I can't stand working with people", None),
        ("I'm not a people person", None),
        ("I work with people every day", None),
    ],
)
def test_a_vague_liking_leans_to_an_interest_dimension(text, dimension):
    """ "I like working with my hands" (no work named: a vague interest, no goal) was answered as a fit question."""
    found = cues.leaning(text)
    assert (found[0] if found else None) == dimension


def test_a_misspelt_title_links_with_the_persons_own_span(linker):
    u = linker.understand("im a nurce on a busy ward")
    assert u.occupations[0].occupation_id == "29-1141.00" and u.occupations[0].span.text == "nurce"
