"""A choice between two kinds of work, read from the words (app/ui/choices.py); the chat's answer is tested against
the real catalogue in tests/test_ui_understanding.py."""

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
