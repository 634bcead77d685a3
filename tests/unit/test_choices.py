"""Questions read from the words: a choice between two kinds of work (app/ui/choices.py) and one about what is in
demand (app.ui.chat._IN_DEMAND); the chat's answers are tested against the real catalogue in
tests/test_ui_understanding.py."""

from __future__ import annotations

import pytest

from app.ui.choices import parse_choice


@pytest.mark.parametrize(
    ("message", "first", "second"),
    [
        ("I'm good at math. Should I go into accounting or data analytics?", "accounting", "data analytics"),
        ("Should I become a nurse or a teacher?", "nurse", "teacher"),
        ("I'm a cashier. Would I be better as a bank teller or a receptionist?", "bank teller", "receptionist"),
        (
            "I'm an accountant. Data analyst vs financial analyst, which fits me better?",
            "Data analyst",
            "financial analyst",
        ),
        ("I'm torn between nursing and respiratory therapy", "nursing", "respiratory therapy"),
        ("Which is better for me: nursing or teaching?", "nursing", "teaching"),
        ("Accounting or data analytics, which is better for me?", "Accounting", "data analytics"),
        ("Would I be a better fit as a welder or an electrician?", "welder", "electrician"),
        ("Should I become a nurse practitioner or a physician assistant?", "nurse practitioner", "physician assistant"),
    ],
)
def test_the_two_options_are_read_without_their_framing_words(message, first, second):
    choice = parse_choice(message)
    assert choice is not None and (choice.first, choice.second) == (first, second), choice
    asked = message[choice.start : choice.end]
    assert first in asked and second in asked, asked  # the span holds the question (cut before the rest is read)


@pytest.mark.parametrize(
    "message",
    [
        "Am I a good fit for data scientist?",  # one option: a fit question
        "Should I go back to school or keep working?",  # no work named as options (the chat's own check goes further)
        "Should I stay or should I go?",
        "I do payroll or accounts payable depending on the week",  # says what they do, asks nothing
        "Should I become a nurse or a nurse?",  # the same option twice
    ],
)
def test_no_choice(message):
    assert parse_choice(message) is None


@pytest.mark.parametrize(
    ("message", "asks"),
    [
        ("Which jobs are in demand right now?", True),
        ("I want a job in high demand", True),
        ("what are the hottest jobs", True),
        ("who is hiring near me", True),
        ("growing fields in healthcare", True),
        ("I demand a raise", False),
        ("I'm a nurse on a busy ward", False),
    ],
)
def test_a_question_about_what_is_in_demand(message, asks):
    """Asked about the market, not the person: answered with what the postings are most for (app.ui.chat._in_demand)."""
    from app.ui.chat import _IN_DEMAND

    assert bool(_IN_DEMAND.search(message)) is asks
