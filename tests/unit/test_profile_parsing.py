"""The profile at every boundary (CLI batch lines, REST bodies, UI) and the chat's fit-question parser."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.api.services import parse_fit_question
from retrieval.profile import MAX_TEXT_CHARS, Profile, ProfileError
from retrieval.recommend import Kind, parse_profiles


# ---------------------------------------------------------------------------------------------- Profile
def test_fields_are_stripped_and_blank_skills_dropped():
    profile = Profile(occupation="  Registered Nurses ", skills=[" Python ", "", "   ", "SQL"], text="  hi  ")
    assert profile.occupation == "Registered Nurses"
    assert profile.skills == ["Python", "SQL"]
    assert profile.text == "hi"


def test_ids_become_strings():
    profile = Profile(id=7, user_id=10001, skills=["x"])
    assert profile.id == "7" and profile.user_id == "10001"


@pytest.mark.parametrize(
    "fields", [{}, {"text": ""}, {"skills": ["", " "]}, {"occupation": "   "}, {"id": "only-an-id"}]
)
def test_an_empty_profile_is_refused(fields):
    with pytest.raises(ValidationError, match="empty profile"):
        Profile(**fields)


@pytest.mark.parametrize("fields", [{"occupation": "x"}, {"skills": ["x"]}, {"text": "x"}, {"user_id": "10001"}])
def test_any_one_field_is_enough(fields):
    Profile(**fields)


def test_text_is_limited():
    Profile(text="a" * MAX_TEXT_CHARS)
    with pytest.raises(ValidationError, match="the limit is 50,000"):
        Profile(text="a" * (MAX_TEXT_CHARS + 1))


def test_skills_are_limited_to_500():
    Profile(skills=["s"] * 500)
    with pytest.raises(ValidationError, match="at most 500 skills"):
        Profile(skills=["s"] * 501)


def test_unknown_fields_are_refused():
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Profile(skills=["x"], salary=100)


def test_profile_error_is_a_value_error():
    assert issubclass(ProfileError, ValueError)


# ------------------------------------------------------------------------------------- parse_profiles
def test_batch_lines_parse_and_blank_lines_are_skipped():
    profiles = parse_profiles(['{"id": "a", "skills": ["SQL"]}', "", "   ", '{"occupation": "29-1141.00"}'])
    assert [p.id for p in profiles] == ["a", None]
    assert profiles[1].occupation == "29-1141.00"


def test_every_bad_line_is_reported_with_its_number():
    lines = ['{"skills": ["ok"]}', '{"skills": [', "[1, 2]", '{"salary": 1, "skills": ["x"]}', "{}"]
    with pytest.raises(ProfileError) as info:
        parse_profiles(lines)
    message = str(info.value).splitlines()
    assert [m.split(":")[0] for m in message] == ["line 2", "line 3", "line 4", "line 5"]
    assert "malformed JSON" in message[0] and "column" in message[0]
    assert "JSON object" in message[1]
    assert "salary" in message[2]
    assert "empty profile" in message[3]


def test_an_empty_batch_is_an_error():
    with pytest.raises(ProfileError, match="no profiles"):
        parse_profiles(["", "  "])


def test_kinds_are_the_four_recommendation_kinds():
    assert [k.value for k in Kind] == ["occupation", "job", "course", "skill"]
    with pytest.raises(ValueError):
        Kind("salary")


# -------------------------------------------------------------------------------- parse_fit_question
@pytest.mark.parametrize(
    "message, target",
    [
        ("Am I a good fit for data scientist?", "data scientist"),
        ("am i a fit for a nurse", "nurse"),
        ("Would I be a great match for the Web Developers", "Web Developers"),
        ("Is it a strong match as an accountant", "accountant"),
        ("I'm a decent fit for electrician?", "electrician"),
        ("Could I become an electrician?", "electrician"),
        ("Can I work as a teacher.", "teacher"),
        ("should i be a pharmacist", "pharmacist"),
        ("what about data scientists?", "data scientists"),
        ("How about the Librarians", "Librarians"),
        ("Explain the pharmacist", "pharmacist"),
        ("why Nurse Practitioners?!", "Nurse Practitioners"),
        ("Am I a good fit for IT support?", "IT support"),
        # what follows the title is no part of it ("an occupation called 'teacher without a degree'")
        ("Can I become a teacher without a degree?", "teacher"),
        ("Could I become a nurse at my age?", "nurse"),
        ("Can I become a pilot with no experience?", "pilot"),
        ("Could I work as a nurse, even part time?", "nurse"),
        ("Can I become a teacher in 2 years?", "teacher"),
        ("Am I a good fit for Teachers, Postsecondary?", "Teachers, Postsecondary"),
        (
            "Am I a good fit for first-line supervisors of retail sales workers",
            "first-line supervisors of retail sales workers",
        ),
        ("How do I become an electrician?", "electrician"),
        ("I'm 40. Is it too late to become a doctor?", "doctor"),
        ("What certifications do I need to become a project manager?", "project manager"),
        ("I don't mind studying, what would I need to become an engineer?", "engineer"),
        ("what does it take to be a pilot", "pilot"),
        ("I'm a nurse. How can I become a nurse practitioner?", "nurse practitioner"),
    ],
)
def test_fit_questions_name_their_target(message, target):
    assert parse_fit_question(message) == target


@pytest.mark.parametrize(
    "message",
    [
        "I like cats",
        "I am a nurse",
        "Recommend me some jobs",
        "",
        "Why does this role fit me?",
        "explain the recommendation please",
        "Am I a good fit for this one?",
        "why is that on my list",
    ],
)
def test_other_messages_are_not_fit_questions(message):
    assert parse_fit_question(message) is None


def test_a_fit_question_without_a_target_is_not_one():
    assert parse_fit_question("Am I a good fit for ?") is None
