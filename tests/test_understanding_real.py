"""What people type, understood on the real catalogue: the failures issue 22 reported, each checked
against the real O*NET titles, the real skill vocabulary and the real occupation ranker. Quality
over many personas is measured by `waypoint eval profiles` (eval/reports/profiles.md)."""

from __future__ import annotations

import pytest

from retrieval.occupations.transitions import leads_others
from retrieval.profile import Profile, ProfileError
from retrieval.recommend import Kind, recommend
from retrieval.understanding.fields import FIELDS


@pytest.fixture(scope="module")
def understand(settings):
    from retrieval.understanding.service import get_linker

    return get_linker(settings).understand


@pytest.mark.parametrize(
    "text, code, words",
    [
        ("I'm an RN on a busy med-surg ward", "29-1141.00", "RN"),
        ("I drive an 18-wheeler, mostly long haul", "53-3032.00", "18-wheeler"),
        ("I work as a school counsellor in a secondary school", "21-1012.00", "school counsellor"),
        ("EMT certified, 3 years on an ambulance crew", "29-2042.00", "EMT"),
        # a military medic does an EMT's work: it linked nothing and was asked "Which occupation do you mean?"
        ("I was a medic in the army for 6 years", "29-2042.00", "medic"),
        ("Navy hospital corpsman, 4 years", "29-2042.00", "hospital corpsman"),
        ("Licensed practical nurse (LPN) at a care home", "29-2061.00", None),
        ("Former paralegal, now a stay-at-home mum", "23-2011.00", "paralegal"),
        # posting titles too: by meaning alone these read as Jewelers, Hairdressers and Lawyers ("advocate")
        ("Macy's Seasonal Retail Sales Fine Jewelry, Part Time", "41-2031.00", "Retail Sales"),
        ("Seasonal Wedding Sales Stylist", "41-2031.00", "Sales Stylist"),
        ("Part Time Retail Sales Advocate Cricket Wireless", "41-2031.00", "Retail Sales"),
        # software work named by its language or layer: the bare "engineer" read as Electronics Engineers and
        # "full stack engineer" as Engineers, All Other (browser walk: a laid-off Java engineer)
        ("I've been a Java engineer for 10 years and just got laid off.", "15-1252.00", "Java engineer"),
        ("Python engineer at a fintech", "15-1252.00", "Python engineer"),
        ("I'm a backend engineer", "15-1252.00", "backend engineer"),
        ("I'm a full stack engineer", "15-1252.00", "full stack engineer"),
        ("I'm an iOS engineer", "15-1252.00", "iOS engineer"),
        ("I'm a civil engineer", "17-2051.00", "civil engineer"),
        # misspelt, linked with the words as typed ("im a nurce" was asked for a job title)
        ("im a nurce and i want to do something else", "29-1141.00", "nurce"),
        ("I'm an acountant", "13-2011.00", "acountant"),
        ("I'm a mechanik", "49-3023.00", "mechanik"),
        # where or for whom they work is not their work ("... at a dentist" linked Dentists first)
        ("I work as a reciptionist at a dentist", "43-4171.00", "reciptionist"),
        ("I'm a receptionist at a dentist's office", "43-4171.00", "receptionist"),
        ("I'm a nanny for a doctor", "39-9011.00", "nanny"),
        # "I've ..." was no sentence of work (the apostrophe ended the "I"); what they did beats where
        ("I've worked in a warehouse for 6 years, mostly driving forklifts", "53-7051.00", "driving forklifts"),
        ("I worked in a warehouse for 6 years", "53-7062.00", "worked in a warehouse"),
    ],
)
def test_colloquial_titles_abbreviations_and_british_spellings_are_linked(understand, text, code, words):
    u = understand(text)
    assert u.status == "understood" and u.occupation.occupation_id == code, u.occupations[:3]
    if words:
        assert u.occupation.span.text == words


@pytest.mark.parametrize(
    "text, code",
    [
        ("I repair watches", "49-9064.00"),
        ("I tune pianos", "49-9063.00"),
        ("I make furniture by hand", "51-7011.00"),
        ("I install solar panels on roofs", "47-2231.00"),
    ],
)
def test_work_described_by_what_the_person_does_is_linked(understand, text, code):
    """No title in the sentence: the occupation comes from the meaning of the work it describes."""
    u = understand(text)
    assert u.status == "understood" and u.occupation.occupation_id == code, u.occupations[:3]
    assert u.occupation.span is None and u.occupation.method == "meaning"


def test_where_the_work_was_done_names_it(understand):
    """ "Laid off from a factory job after 20 years on the assembly line. I'm 55. What now?" read as nonsense: no
    title typed, and by meaning alone the sentence was 0.31 near any occupation."""
    u = understand("Laid off from a factory job after 20 years on the assembly line. I'm 55. What now?")
    assert u.status == "understood" and u.occupation.occupation_id.startswith("51-"), u.occupations[:3]
    assert u.occupation.span is not None and "assembly line" in u.occupation.span.text
    # without the assembly line: "got" is no verb of work, so it was no sentence of work, and nonsense
    u = understand("I'm 55 and just got laid off from a factory job after 30 years. What now?")
    assert u.occupation is not None and u.occupation.occupation_id.startswith("51-"), u.occupations[:3]
    assert u.occupation.span.text == "factory job"
    # someone else's work, a wish and a question name none of the person's
    for other in ("My dad had a factory job for 30 years", "I want a factory job", "Is a factory job hard?"):
        assert understand(other).occupations == [], other


def test_what_a_person_with_no_job_enjoys_is_what_the_list_goes_by(settings, understand):
    """A 17-year-old who wrote "I like drawing and video games. What jobs could I do?" was asked for a job title
    (by meaning the sentence was 0.32 near Video Game Designers, read as the work they do). Now the interest is a
    goal: the groups of the occupations nearest it, and the list is artists, animators and designers."""
    text = "I'm 17 and I like drawing and video games. What jobs could I do?"
    u = understand(text)
    assert u.occupations == [] and u.goals and u.goals[0].interest and u.goals[0].text == "drawing and video games"
    items = recommend([Profile(text=text)], Kind.occupation, 5)[0].items
    artists = [i.title for i in items if i.id.startswith(("27-1", "15-1255"))]
    assert len(artists) >= 4, [i.title for i in items]
    nurse = understand("I'm a nurse and I like drawing")  # beside a named occupation it is no move
    assert nurse.occupation.occupation_id == "29-1141.00" and nurse.goals == []


@pytest.mark.parametrize("text", ["I love my kids", "I live in Ohio, near Columbus", "I just got laid off"])
def test_first_person_sentences_that_name_no_work_link_nothing(understand, text):
    assert understand(text).occupations == []


def test_a_retail_resume_is_linked_to_retail_management(understand):
    resume = (
        "Store Manager\nABC Foods, Springfield — Store Manager, 2016–2023\n"
        "Ran a 40-person grocery store: scheduling, inventory, POS cash-up, customer service and "
        "loss prevention. Previously Assistant Store Manager at the same chain.\nSkills: team leadership, "
        "merchandising, Microsoft Excel"
    )
    u = understand(resume)
    assert u.occupation.occupation_id in {"41-1011.00", "11-1021.00"} and u.occupation.confidence >= 0.75
    labels = " ".join(s.label.lower() for s in u.skills)
    assert "blockchain" not in labels and "excel" in labels


def test_a_goal_is_kept_apart_from_held_skills(understand):
    u = understand("I'm a data analyst, good at SQL and Tableau, and I want to get into data engineering")
    assert [g.text for g in u.goals] == ["data engineering"]
    assert not any("data engineering" in s.label.lower() for s in u.skills)
    assert any(s.label.lower().startswith("sql") for s in u.skills)


def _family(name: str) -> tuple[str, ...]:
    return next(f.soc_prefixes for f in FIELDS if f.name == name)


@pytest.mark.parametrize(
    "text, family",
    [
        ("I'm a firefighter and I want to move into finance", "finance"),
        ("Teacher here, want to switch to software development", "software development"),
        ("School counsellor wanting to get into HR", "human resources"),
    ],
)
def test_a_stated_goal_fills_the_top_of_the_list_with_its_field(settings, text, family):
    items = recommend([Profile(text=text)], Kind.occupation, 10)[0].items
    inside = [any(i.id.startswith(p) for p in _family(family)) for i in items[:5]]
    assert all(inside), [(i.id, i.title) for i in items[:5]]


def test_a_developer_who_wants_management_gets_managers_and_not_their_own_job(settings):
    items = recommend(
        [Profile(text="Software developer, 6 years, hoping to move into management")], Kind.occupation, 5
    )[0].items
    assert items[0].id.startswith("11-") and "15-1252.00" not in [i.id for i in items]
    assert any(i.id == "11-3021.00" for i in items)  # Computer and Information Systems Managers


@pytest.mark.parametrize(
    "text",
    ["Security guard trying to get into IT", "I'm a firefighter and I want to move into finance"],
)
def test_a_person_who_leads_no_one_is_not_sent_first_to_lead_others_in_a_new_field(settings, text):
    """The field's managers were second or first ("Computer and Information Systems Managers" for a security
    guard): the title closest to the field's name, barely apart by job zone. The manager's own goal keeps them
    (above)."""
    items = recommend([Profile(text=text)], Kind.occupation, 5)[0].items
    assert not [i.title for i in items[:3] if leads_others(i.id, i.title)], [i.title for i in items]


def test_becoming_a_lawyer_puts_lawyers_first(settings):
    items = recommend([Profile(text="Paralegal, would love to become a lawyer one day")], Kind.occupation, 5)[0].items
    assert items[0].id == "23-1011.00"


def test_a_confident_text_link_gives_the_code_querys_list(settings):
    text = recommend([Profile(text="I'm a registered nurse on a cardiac ward")], Kind.occupation, 10)[0].items
    code = recommend([Profile(occupation="29-1141.00")], Kind.occupation, 10)[0].items
    assert [i.id for i in text] == [i.id for i in code]


@pytest.mark.parametrize(
    "text", ["lorem ipsum dolor sit amet consectetur", "Soy enfermera y quiero cambiar de trabajo"]
)
def test_unusable_text_is_refused_not_guessed(settings, text):
    with pytest.raises(ProfileError):
        recommend([Profile(text=text)], Kind.occupation, 5)


def test_work_described_without_a_title_lists_the_work_itself_first(settings):
    """ "I cut hair" links Barbers and Hairdressers, both unsure; the list led with Shampooers, Tailors and Hand
    Sewers (each linked occupation's list holds every occupation but its own, and the words "cut hair" matched
    cutters and trimmers). The occupations the person may hold come first, and look-alikes stay below them."""
    ids = [i.id for i in recommend([Profile(text="I cut hair")], Kind.occupation, 10)[0].items]
    assert set(ids[:2]) == {"39-5011.00", "39-5012.00"}, ids
    assert "51-9031.00" not in ids[:5], ids  # Cutters and Trimmers, Hand


def test_a_soldier_leaving_the_army_is_shown_civilian_work(settings, understand):
    """Walked in the browser: "8 years Army infantry, getting out next year, no degree. What civilian jobs could I
    do?" got "I could not tell what you do" ("infantry" is a word of the catalogue's prose, dropped as a one-word
    title without "I'm"), and once linked, the list was Infantry Officers, Special Forces, Artillery Crew Members."""
    text = "8 years Army infantry, getting out next year, no degree. What civilian jobs could I do?"
    u = understand(text)
    assert u.occupation.occupation_id == "55-3016.00" and u.occupation.span.text.lower() == "infantry"
    ids = [i.id for i in recommend([Profile(text=text)], Kind.occupation, 10)[0].items]
    assert len(ids) == 10 and not any(i.startswith("55-") for i in ids), ids
    # the list starts from the civilian work infantry carries over to (retrieval/occupations/military.py): it was
    # airfield operations specialists and general managers
    assert {"33-3051.00", "33-9032.00", "33-3012.00"} <= set(ids[:5]), ids
    # and what they are told they already have toward it: O*NET rates no military occupation, so it was nothing
    from retrieval.skills.gap import Profile as GapProfile, skill_gap

    has = {m.label for m in skill_gap(GapProfile(text=text), "33-3051.00", settings).matched_skills}
    assert "Public Safety and Security" in has, has
    # an equipment code before an O*NET title: "M1A1 Tank Crewman" is said "tank crewman" (it read as a sailor)
    assert understand("I served as a tank crewman in the Army").occupation.occupation_id == "55-3013.00"
    # "civilian" names no field: "looking for a civilian career" was a goal of infantry officers
    assert not understand("Ex-Navy SEAL looking for a civilian career").goals
    # a military goal is still answered
    goal = recommend([Profile(text="8 years Army infantry, I want to become an infantry officer")], Kind.occupation, 5)
    assert goal[0].items[0].id == "55-1016.00"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("I want to learn Python", {"15-1251.00", "15-2051.00", "15-1252.00"}),
        ("I'm learning SQL", {"15-1242.00", "15-1243.00"}),
        ("I want to learn accounting", {"13-2011.00", "43-3031.00"}),
    ],
)
def test_a_skill_to_learn_with_no_work_named_lists_the_work_built_on_it(settings, text, expected):
    """ "I want to learn Python" with no work named was listed tutors and adult education teachers: the skill steered
    nothing, and the words left ("I want to learn") were matched by meaning."""
    ids = [i.id for i in recommend([Profile(text=text)], Kind.occupation, 5)[0].items]
    assert expected & set(ids[:3]), ids
    assert not any(i.startswith(("25-", "11-")) for i in ids), ids
    # with work named, the skill still steers courses, not the list: a nurse learning Python keeps nursing work
    nurse = [
        i.id for i in recommend([Profile(text="I'm a nurse and I want to learn Python")], Kind.occupation, 5)[0].items
    ]
    assert all(i.startswith("29-") for i in nurse), nurse


def test_a_language_to_learn_lists_the_work_that_needs_one_and_its_courses_first(settings):
    """ "I want to learn Spanish" listed baristas, media programming directors and computer programmers: no O*NET
    occupation lists an ESCO language, so every title was compared with "Spanish". O*NET's Foreign Language knowledge
    now orders the list; "I want to learn French" was offered "Learn Spanish" for the interpreters' Foreign Language
    gap, and now gets its own language's course first."""
    from retrieval.courses.service import recommend_courses

    ids = [i.id for i in recommend([Profile(text="I want to learn Spanish")], Kind.occupation, 5)[0].items]
    assert ids[0] == "27-3091.00" and not {"35-3023.01", "15-1251.00", "27-2012.03"} & set(ids), ids
    assert not any(i.startswith("25-1") for i in ids), ids
    courses = recommend_courses([Profile(text="I want to learn French", goal="French")], k=4, settings=settings)[0]
    assert courses and courses[0].reason == "goal" and "French" in courses[0].title, [c.title for c in courses]
    assert courses[0].covers[0].label == "French"


@pytest.mark.parametrize("text", ["I want to work with kids and make a difference", "I love working with kids"])
def test_working_with_kids_lists_teaching_childcare_and_child_social_work(settings, text):
    """ "I want to work with kids and make a difference" was answered "First tell me a little about yourself": the
    target was "kids and make a difference", then "kids", which named nothing."""
    ids = [i.id for i in recommend([Profile(text=text)], Kind.occupation, 5)[0].items]
    assert len(ids) == 5 and all(
        i.startswith(("25-2", "39-9011", "25-9042", "21-1021", "21-1012", "39-9032")) for i in ids
    ), ids


def test_a_person_who_has_not_worked_yet_gets_first_jobs_the_most_postings_are_for(settings):
    """ "I just finished high school and have no experience. What jobs can I get?" was asked for a job title."""
    from retrieval.occupations.service import get_occupation_recommender

    corpus = get_occupation_recommender(settings).corpus
    text = "I just finished high school and have no experience. What jobs can I get?"
    items = recommend([Profile(text=text)], Kind.occupation, 10)[0].items
    rows = [corpus.index[i.id] for i in items]
    assert len(items) == 10 and all(corpus.job_zone[r] <= 2 and not corpus.leads[r] for r in rows), items
    assert items[0].score == 1.0 and items[0].score > items[-1].score  # the most postings first
    # a strength said steers them, still among first jobs ("good with people" listed counsellors, who need a degree)
    people = recommend([Profile(text=f"{text} I'm good with people")], Kind.occupation, 5)[0].items
    assert all(corpus.job_zone[corpus.index[i.id]] <= 2 for i in people), people
    assert [i.id for i in people] != [i.id for i in items[:5]]


@pytest.mark.parametrize(
    "text", ["What can a nurse do besides bedside care?", "I'm a nurse and I want to leave the bedside"]
)
def test_leaving_the_bedside_is_leaving_the_front_line(settings, text):
    """ "What can a nurse do besides bedside care?" kept bedside nursing ("besides" was not read), and "leave the
    bedside" listed paramedics, EMTs and medical assistants first: the front line again."""
    ids = [i.id for i in recommend([Profile(text=text)], Kind.occupation, 5)[0].items]
    assert not {"29-2042.00", "29-2043.00", "31-9092.00", "29-1141.00"} & set(ids), ids
    assert "15-1211.01" in ids[:3], ids  # health informatics specialists


def test_what_a_person_enjoys_is_where_to_go_when_they_want_out_of_their_work(settings, understand):
    """ "I'm an accountant but I'm bored. I like creative stuff." was listed accounting work: 'bored' was no wish to
    leave, and beside a named occupation what a person enjoys is no goal. Wanting out, it is where they go."""
    text = "I'm an accountant but I'm bored. I like creative stuff."
    u = understand(text)
    assert u.leaving and u.goals and u.goals[0].interest and u.goals[0].text == "creative stuff", u.goals
    ids = [i.id for i in recommend([Profile(text=text)], Kind.occupation, 5)[0].items]
    assert sum(i.startswith("27-1") for i in ids) >= 4 and not any(i.startswith("13-2") for i in ids), ids
    # still no goal beside work they keep: "I'm a nurse and I like working with people"
    assert understand("I'm an accountant and I like creative stuff").goals == []


def test_what_a_person_enjoys_and_a_wish_to_be_outdoors_give_outdoor_work_they_would_enjoy(settings):
    """ "I love animals and being outdoors" got park naturalists, conservation scientists, range managers and sailors:
    what they enjoy named indoor work (animal caretakers, vets), all of it left out by the outdoor wish, and the list
    was filled from whatever else it held. The outdoor work most like what they enjoy now comes first."""
    from retrieval.occupations.outdoor import OUTDOOR
    from retrieval.occupations.service import get_occupation_recommender

    corpus = get_occupation_recommender(settings).corpus
    items = recommend([Profile(text="I love animals and being outdoors.")], Kind.occupation, 5)[0].items
    ids = [i.id for i in items]
    # farmworkers (farm and ranch animals), zoologists and wildlife biologists, fish and game wardens
    assert {"45-2093.00", "19-1023.00", "33-3031.00"} & set(ids[:3]), ids
    assert all(corpus.outdoor[corpus.index[i]] >= OUTDOOR for i in ids) and "53-5011.00" not in ids, ids
