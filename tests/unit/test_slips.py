"""The grammar rules of eval/slips.py: each fires on the slip seen in the app and stays quiet on the right sentence."""

from __future__ import annotations

import pytest

from eval.slips import RULES, check_explanation, check_text, citation_ids_skip, count


def rules(text: str) -> set[str]:
    return {s.rule for s in check_text(text)}


@pytest.mark.parametrize(
    "rule, slip, right",
    [
        (
            "already_count",
            "For Nurses, your Microsoft Excel already count.",
            "For Nurses, your Microsoft Excel and Microsoft Word already count.",
        ),
        (
            "bare_verb_phrase",
            "Take the course to build lead a team.",
            "Take the course to build the ability to lead a team.",
        ),
        (
            "bare_faithfulness",
            "This explanation has faithfulness 0.67.",
            "Every claim was checked against the evidence.",
        ),
        ("doubled_word", "Build the the skills the role asks for.", "Build the skills the role asks for."),
        ("a_an", "Take a online course in Python.", "Take an online course in Python."),
        ("a_an", "It is an big step.", "It is a big step."),
        (
            "lowercase_sentence_start",
            "You bring Excel. analyse test data is next.",
            "You bring Excel. Analysing test data is next.",
        ),
        ("spacing", "You bring Excel , Word and Outlook.", "You bring Excel, Word and Outlook."),
        ("dangling_list", "You bring Excel, Word and .", "You bring Excel, Word and Outlook."),
        ("unbalanced", "Take the course (Excel basics to start.", "Take the course (Excel basics) to start."),
    ],
)
def test_rule_fires_on_the_slip_and_not_on_the_fix(rule, slip, right):
    assert rule in rules(slip), check_text(slip)
    assert rule not in rules(right), check_text(right)


@pytest.mark.parametrize(
    "text",
    [
        "Take a university course or a one-day workshop as a user of Excel.",
        "An MBA or an hour a day of SQL practice helps; a UX portfolio too.",
        "Nurses would be a good move, e.g. for you.",
        'Take the course "Adobe Suite : Unleash your creativity & benefit from it !" to build Adobe XD.',
    ],
)
def test_correct_sentences_and_quoted_titles_pass(text):
    assert check_text(text) == []


def test_citation_ids_that_skip_are_caught():
    assert citation_ids_skip(["c1", "c3", "c4"]) and citation_ids_skip(["c2", "c1"])
    assert not citation_ids_skip(["c1", "c2", "c3"]) and not citation_ids_skip([])
    seen = {
        "summary": "You bring Excel.",
        "next_steps": ["Practise SQL."],
        "citations": [{"id": "c1"}, {"id": "c3"}, {"id": "c4"}, {"id": "c5"}, {"id": "c6"}, {"id": "c8"}],
    }
    assert [s.rule for s in check_explanation(seen)] == ["citation_ids_skip"]
    fixed = {**seen, "citations": [{"id": f"c{n}"} for n in range(1, 7)]}
    assert check_explanation(fixed) == []


def test_counts_list_every_rule_with_zeros():
    found = check_text("your Microsoft Excel already count and and faithfulness 0.67")
    counts = count(found)
    assert set(counts) == {*RULES, "citation_ids_skip"}
    assert counts["already_count"] == 1 and counts["doubled_word"] == 1 and counts["bare_faithfulness"] == 1
    assert counts["a_an"] == 0
