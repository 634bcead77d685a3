"""Explanations true about the person (issue 24, item 3): provenance of every matched skill, "you have"
only for what the person stated, no stated skill listed as a gap, citations numbered in order of
appearance, faithfulness in words, and the slips seen in the app as regression tests.

Most tests use evidence written out by hand (a firefighter asking about Financial and Investment
Analysts, as in the issue); the last ones run the real gap and explainer on the synthetic catalogue.
The same checks on the real catalogue are in tests/test_provenance_real.py.
"""

from __future__ import annotations

import re

import pytest

from app.explain.composer import compose, step_options, summary_options
from app.explain.evidence import Evidence, EvidenceCitation, EvidenceSkill, fit_for
from app.explain.phrasing import agree, is_verb_phrase, role_phrase, skill_phrase
from app.explain.schema import (
    CitationOut,
    CourseInfo,
    Explanation,
    ItemInfo,
    MatchedSkillOut,
    MissingSkillOut,
    ModelInfo,
    Verification,
)
from app.explain.verify import provenance_errors, verify
from retrieval.skills.evidence import ProfileEvidence, Requirement
from retrieval.skills.gap import (
    HeldSkill,
    _stated_equivalent,
    _stated_names,
    element_names,
)

TITLE = "Financial and Investment Analysts"
COURSE = CourseInfo(id="course:lead", title="Leading Teams")


def _skill(sid, label, importance, status, citations, provenance=None, kind="technology", courses=()):
    return EvidenceSkill(
        id=sid,
        label=label,
        name=label,
        importance=importance,
        status=status,
        citations=citations,
        provenance=provenance,
        kind=kind,
        courses=list(courses),
    )


def firefighter(stated_word: bool = True, coverage: float = 0.3) -> Evidence:
    """A firefighter (occupation only, plus "Microsoft Word" typed when ``stated_word``) and Financial Analysts."""
    citations = [
        EvidenceCitation(
            id="c1",
            source="profile:occupation",
            role="profile_occupation",
            skills=["t:excel", "t:outlook"],
            text="Usually part of the current occupation, Firefighters (33-2011.00) (inferred, not stated "
            "by the person): Microsoft Excel, Microsoft Outlook",
        ),
        EvidenceCitation(
            id="c2",
            source="onet:13-2051.00:description",
            role="description",
            text=f"{TITLE}: Conduct quantitative analyses of information involving investment programs.",
        ),
        EvidenceCitation(
            id="c3",
            source="onet:13-2051.00:skills",
            role="requirements",
            skills=["t:excel", "t:outlook", "t:word"],
            text=f"{TITLE} requires: Microsoft Excel (importance 0.75); Microsoft Outlook (importance 0.75); "
            "Microsoft Word (importance 0.65)",
        ),
        EvidenceCitation(
            id="c4",
            source="onet:13-2051.00:skills",
            role="missing",
            skills=["e:lead", "t:bloomberg"],
            text=f"{TITLE} also requires, not shown in the profile: lead a team (importance 0.70); "
            "Bloomberg Terminal (importance 0.60)",
        ),
        EvidenceCitation(
            id="c5",
            source="course:lead",
            role="course",
            skills=["e:lead"],
            courses=["course:lead"],
            text='Course "Leading Teams" (edx, Introductory) teaches: lead a team',
        ),
    ]
    matched = [
        _skill("t:excel", "Microsoft Excel", 0.75, "matched", ["c1", "c3"], "inferred"),
        _skill("t:outlook", "Microsoft Outlook", 0.75, "matched", ["c1", "c3"], "inferred"),
    ]
    if stated_word:
        citations.insert(
            1,
            EvidenceCitation(
                id="c6",
                source="profile",
                role="profile_skills",
                skills=["t:word"],
                text="Skills the person lists: Microsoft Word",
            ),
        )
        matched.append(_skill("t:word", "Microsoft Word", 0.65, "matched", ["c6", "c3"], "stated"))
    return Evidence(
        key=f"firefighter-{stated_word}",
        item=ItemInfo(id="13-2051.00", kind="occupation", title=TITLE),
        coverage=coverage,
        fit=fit_for(coverage),
        requirements_total=5,
        matched=matched,
        matched_total=len(matched),
        partial=[],
        missing=[
            _skill("e:lead", "lead a team", 0.7, "missing", ["c4", "c5"], kind="esco_skill", courses=[COURSE]),
            _skill("t:bloomberg", "Bloomberg Terminal", 0.6, "missing", ["c4"]),
        ],
        missing_total=2,
        citations=citations,
        known_skill_ids=["t:excel", "t:outlook", "t:word", "e:lead", "t:bloomberg"],
        occupation_title="Firefighters (33-2011.00)",
    )


# ------------------------------------------------------------------------------------------------ phrasing


@pytest.mark.parametrize(
    "title, phrase",
    [
        ("Firefighters", "a firefighter"),
        ("Registered Nurses", "a registered nurse"),
        ("Firefighters (33-2011.00)", "a firefighter"),
        ("Accountants and Auditors", "an accountant or auditor"),
        ("Waiters and Waitresses", "a waiter or waitress"),  # "as a waiter and waitress" was shown
        ("Maids and Housekeeping Cleaners", "a maid or housekeeping cleaner"),
        ("First-Line Supervisors of Retail Sales Workers", "a first-line supervisor of retail sales workers"),
        ("Actuaries", "an actuary"),
        ("Physicians, All Other", None),
        ("", None),
        ("Infantry", "an infantry soldier"),  # a group, not its members: "your work as an infantry" was shown
        ("Special Forces", "a special forces soldier"),
    ],
)
def test_role_phrase_makes_one_person_of_a_plural_title(title, phrase):
    assert role_phrase(title) == phrase


def test_verb_phrase_skills_become_noun_phrases():
    assert skill_phrase("lead a team") == "the ability to lead a team"
    assert skill_phrase("manage budgets") == "the ability to manage budgets"
    # a bartender toward real estate read "focus next on value properties" (ESCO's "value properties")
    assert skill_phrase("value properties") == "the ability to value properties"
    for noun in (
        "Value Analysis",
        "customer service",
        "Microsoft Excel",
        "Customer and Personal Service",
        "research methods",
        "process control",
        "theology",
    ):
        assert not is_verb_phrase(noun) and skill_phrase(noun) == noun
    assert agree(1, "carries", "carry") == "carries" and agree(3, "carries", "carry") == "carry"


# ------------------------------------------------------------------------------------------------ composer


def test_inferred_skills_are_never_written_as_the_persons():
    evidence = firefighter(stated_word=False)
    options = summary_options(evidence)
    assert options and all(not provenance_errors(evidence, s) for s in options), options
    assert all(re.search(r"\b(likely|probably)\b", s) for s in options), options
    assert any("as a firefighter" in s.lower() for s in options)
    assert not any(re.search(r"you (already )?(show|have|bring) Microsoft", s) for s in options)
    for variant in [None, *(f"v{i}" for i in range(12))]:
        verified = verify(compose(evidence, variant), evidence)
        assert verified.provenance_errors == 0 and verified.faithfulness == 1.0, verified.dropped


def test_stated_skills_are_the_ones_named_as_yours():
    evidence = firefighter(stated_word=True)
    for text in summary_options(evidence):
        assert "Microsoft Word" in text and "Microsoft Excel" not in text, text
        assert not provenance_errors(evidence, text)
    assert evidence.stated()[0].label == "Microsoft Word" and [s.label for s in evidence.inferred()] == [
        "Microsoft Excel",
        "Microsoft Outlook",
    ]


def test_a_label_two_requirements_share_is_named_once():
    """O*NET rates Mathematics as a skill and as a knowledge area: a teller read "Economics and Accounting,
    Mathematics and Mathematics"."""
    evidence = firefighter(stated_word=False)
    twin = next(s for s in evidence.matched if s.label == "Microsoft Outlook")
    twin.label = twin.name = "microsoft excel"
    for text in summary_options(evidence):
        assert text.lower().count("microsoft excel") == 1, text


def test_a_move_the_profile_barely_covers_is_not_given_a_percentage():
    """An infantry veteran read "Your profile covers 0% of what Information Security Analysts asks for"."""
    nothing = firefighter(stated_word=False, coverage=0.0)
    nothing.matched, nothing.matched_total = [], 0
    options = summary_options(nothing)
    assert options and not any("%" in s for s in options), options
    assert any("Lead a team" in s or "lead a team" in s for s in options)
    assert any("30%" in s for s in summary_options(firefighter(stated_word=True, coverage=0.3)))


def test_a_first_gap_the_person_has_in_part_is_named_as_more_of_it():
    """An EMT's list read "Paramedics asks for ... Psychology, which your work has probably involved" and then
    "Registered Nurses ...: the biggest gap is Psychology" (needed there at a higher level)."""
    evidence = firefighter(stated_word=True)
    assert all("at a higher level" not in s for s in summary_options(evidence))
    evidence.missing[0].reason = "deeper"
    label = evidence.missing[0].label
    options = summary_options(evidence)
    assert all(f"{label} at a higher level" in s for s in options if label in s), options
    assert any(f"{label} at a higher level" in s for s in options), options


def test_evidence_from_before_provenance_reads_as_it_did():
    evidence = firefighter(stated_word=False)
    for s in evidence.matched:
        s.provenance = None
    assert evidence.stated() == evidence.matched and not evidence.inferred()
    assert any("you already show Microsoft Excel" in s for s in summary_options(evidence))


# ------------------------------------------------------------------------------------------------ verifier


@pytest.mark.parametrize(
    "text, flagged",
    [
        (f"You already show Microsoft Excel, which {TITLE} relies on.", ["Microsoft Excel"]),
        (f"For {TITLE}, your Microsoft Excel already count, while lead a team is still missing.", ["Microsoft Excel"]),
        (f"You bring Microsoft Excel and Microsoft Word to {TITLE}.", ["Microsoft Excel"]),
        (f"With Microsoft Outlook in hand, {TITLE} looks within reach.", ["Microsoft Outlook"]),
        ("Your skills include Microsoft Outlook and Microsoft Excel.", ["Microsoft Outlook", "Microsoft Excel"]),
        (f"As a firefighter you have likely used Microsoft Excel, which {TITLE} also asks for.", []),
        ("You already show Microsoft Word; as a firefighter you have probably used Microsoft Excel too.", []),
        (f"{TITLE} asks for Microsoft Excel and Microsoft Outlook.", []),
        ("If your work as a firefighter involved Microsoft Excel, put it first when you apply.", []),
        ("Bloomberg Terminal is still missing from your profile.", []),
    ],
)
def test_provenance_errors_are_claims_of_having_an_inferred_skill(text, flagged):
    assert provenance_errors(firefighter(), text) == flagged


def test_a_title_that_contains_an_inferred_label_is_not_a_claim():
    """Found on real data: the O*NET knowledge "Transportation" inside the item's title."""
    evidence = firefighter()
    evidence.matched[0].label = evidence.matched[0].name = "Transportation"
    evidence.item.title = "Reservation and Transportation Ticket Agents and Travel Clerks"
    step = (
        f"Get practice with Bloomberg Terminal, which {evidence.item.title} rates as important, in your current "
        "work or a side project."
    )
    assert provenance_errors(evidence, step) == []
    assert provenance_errors(evidence, "You already show Transportation.") == ["Transportation"]
    evidence.missing[1].label = "Transportation Planning"  # ... nor inside another skill's label
    assert provenance_errors(evidence, "Get practice with Transportation Planning in your current work.") == []


def test_a_stated_label_hides_an_inferred_one_inside_it():
    evidence = firefighter()
    evidence.matched[0].label = evidence.matched[0].name = "Microsoft Office"
    evidence.matched[2].label = evidence.matched[2].name = "Microsoft Office software"
    assert provenance_errors(evidence, "You already show Microsoft Office software.") == []
    assert provenance_errors(evidence, "You already show Microsoft Office.") == ["Microsoft Office"]


def test_a_provenance_error_is_counted_replaced_and_reported():
    evidence = firefighter()
    draft = {
        "fit": evidence.fit.value,
        "matched_skills": [{"skill": "Microsoft Excel", "evidence": ["c3"]}],
        "missing_skills": ["lead a team"],
        "next_steps": [
            {"text": "Highlight your Microsoft Excel for Financial roles.", "citations": ["c3"]},
            {"text": 'Take the course "Leading Teams" to build the ability to lead a team.', "citations": ["c5", "c4"]},
        ],
        "summary": f"You already show Microsoft Excel and Microsoft Outlook, which {TITLE} relies on.",
    }
    verified = verify(draft, evidence)
    assert verified.provenance_errors == 2 and verified.summary_replaced
    assert not provenance_errors(evidence, verified.summary)  # the composer's summary replaced it
    assert [t for t, _ in verified.steps] == ['Take the course "Leading Teams" to build the ability to lead a team.']
    assert verified.faithfulness == round((verified.claims - 2) / verified.claims, 4)
    lines = [d for d in verified.dropped if d.startswith("provenance:")]
    assert len(lines) == 2 and "'Microsoft Excel'" in lines[0]
    report = Verification(claims=verified.claims, supported=verified.supported, dropped=verified.dropped)
    assert report.provenance_errors == 2 and report.model_dump()["provenance_errors"] == 2
    # a matched claim that cited only the role's requirement row gets the occupation citation that backs it
    ((skill, cites),) = verified.matched
    assert skill.label == "Microsoft Excel" and cites == ["c3", "c1"]


# ------------------------------------------------------------------------------------------------ citation numbers


def _explanation(**overrides) -> Explanation:
    """An explanation whose kept citations skip numbers (c1, c3, c4, c5, c6, c8), as the verifier left them."""
    cites = {
        cid: CitationOut(id=cid, source=src, text=f"text of {cid}")
        for cid, src in [
            ("c1", "profile:occupation"),
            ("c3", "onet:x:skills"),
            ("c4", "course:a"),
            ("c5", "onet:x:skills"),
            ("c6", "profile"),
            ("c8", "onet:x:tasks"),
        ]
    }
    fields = dict(
        item=ItemInfo(id="13-2051.00", kind="occupation", title=TITLE),
        fit="stretch",
        summary="Your Microsoft Word [c6] is a start.",
        matched_skills=[
            MatchedSkillOut(id="t:excel", label="Microsoft Excel", evidence=["c1", "c3"]),
            MatchedSkillOut(id="t:word", label="Microsoft Word", evidence=["c6", "c3"]),
        ],
        missing_skills=[MissingSkillOut(id="e:lead", label="lead a team", importance=0.7, evidence=["c5"])],
        next_steps=["Take the course to build the ability to lead a team.", "Read the tasks [c8]."],
        next_step_evidence=[["c4", "c5"], ["c8"]],
        citations=list(cites.values()),
        faithfulness=0.6667,
        model=ModelInfo(backend="deterministic", name="composer-v1"),
        latency_ms=5,
        verification=Verification(claims=3, supported=2, dropped=["summary replaced: overclaims"]),
    )
    return Explanation(**{**fields, **overrides})


def test_citations_are_renumbered_in_order_of_first_appearance():
    e = _explanation()
    assert [c.id for c in e.citations] == ["c1", "c2", "c3", "c4", "c5", "c6"]  # no gaps
    # display order: summary, stated skills (Word: its provenance comes from the 'profile' source), inferred, missing, steps
    assert e.summary == "Your Microsoft Word [c1] is a start."
    assert [(m.label, m.provenance, m.evidence) for m in e.matched_skills] == [
        ("Microsoft Word", "stated", ["c1", "c2"]),
        ("Microsoft Excel", "inferred", ["c3", "c2"]),
    ]
    assert e.missing_skills[0].evidence == ["c4"]
    assert e.next_step_evidence == [["c5", "c4"], ["c6"]] and e.next_steps[1] == "Read the tasks [c6]."
    assert {c.id: c.ref for c in e.citations} == {
        "c1": "c6",
        "c2": "c3",
        "c3": "c1",
        "c4": "c5",
        "c5": "c4",
        "c6": "c8",
    }
    assert all(c.text == f"text of {c.ref}" for c in e.citations)  # each text travelled with its citation
    again = Explanation.model_validate(e.model_dump(mode="json"))
    assert again.model_dump() == e.model_dump()  # idempotent


# ------------------------------------------------------------------------------------------------ the UI


def test_ui_says_faithfulness_in_words_and_shows_ids_in_order():
    from app.ui.chat import render_explanation

    e = _explanation().model_dump(mode="json")
    md = render_explanation(e)
    head, details = md.split("<details>", 1)
    assert "2 of 3 claims could be checked against the evidence" in head
    assert not re.search(r"faithfulness\s*\d", head, re.IGNORECASE)  # the bare "faithfulness 0.67"
    assert "Faithfulness 0.67" in details
    first_seen = list(dict.fromkeys(re.findall(r"\[(c\d+)\]", md)))
    assert first_seen == [f"c{n}" for n in range(1, len(first_seen) + 1)], first_seen
    stated_block = head.split("**Skills you already have**")[1].split("**")[0]
    assert "Microsoft Word" in stated_block and "Microsoft Excel" not in stated_block
    assert "Microsoft Excel" in head.split("**Skills your current occupation usually involves**")[1]

    e["verification"] = {"claims": 4, "supported": 4, "dropped": []}
    e["faithfulness"] = 1.0
    assert "Every claim checked against the evidence" in render_explanation(e).split("<details>")[0]


# ------------------------------------------------------------------------------------------------ slips


def test_slips_seen_in_the_app_do_not_come_back():
    evidence = firefighter(stated_word=True)
    texts = summary_options(evidence)
    texts += [t for s in evidence.missing for t in step_options(evidence, s)[1]]
    joined = "\n".join(texts)
    assert "already count" not in joined and "Word carry over" not in joined  # "your Microsoft Excel already count"
    assert "Microsoft Word from your experience carries over" in joined
    assert not re.search(r"(?<!the ability to )\blead a team\b", joined), joined  # "to build lead a team"
    assert "to build the ability to lead a team" in joined
    assert "the lead a team gap" not in joined and "Practise lead" not in joined


# ------------------------------------------------------------------------------------------------ no stated skill is a gap


def test_element_names_split_a_joined_label():
    assert {"customer and personal service", "customer service", "personal service"} <= element_names(
        "Customer and Personal Service"
    )
    assert {"sales", "marketing"} <= element_names("Sales and Marketing")
    assert element_names("Mathematics") == {"mathematics"}


def test_a_stated_same_named_skill_stands_for_the_requirement():
    req = Requirement(
        skill_id="onet:2.C.1.e",
        label="Customer and Personal Service",
        kind="onet_knowledge",
        relation="rated",
        importance=0.87,
        source="onet:11-2022.00",
    )
    said = ProfileEvidence(source="text", text="customer service", span=(40, 56), confidence=0.95)
    held = {"esco:cs": HeldSkill("esco:cs", "customer service", 0.95, [said])}
    same = _stated_equivalent(req, _stated_names(held))
    assert same is not None and same.id == "onet:2.C.1.e" and same.evidence == [said]
    # an occupation's row never stands in for a requirement it does not list
    job = ProfileEvidence(source="occupation", text="Cashiers (41-2011.00): customer service")
    assert (
        _stated_equivalent(req, _stated_names({"esco:cs": HeldSkill("esco:cs", "customer service", 0.9, [job])}))
        is None
    )


NURSE, HEALTH_ED = "29-1141.00", "21-1091.00"


@pytest.fixture(scope="module")
def fast_settings(synthetic_settings):
    return synthetic_settings.model_copy(
        update={"gap_embeddings": False, "gap_esco_map": False, "explain_use_memory": False}
    )


def test_typed_skill_is_not_also_a_gap(fast_settings):
    """O*NET's Mathematics skill and Mathematics knowledge are two ids: typing "Mathematics" matched one and
    left the other as a gap."""
    from retrieval.skills.gap import Profile as GapProfile, skill_gap

    gap = skill_gap(GapProfile(skills=["Mathematics"]), HEALTH_ED, fast_settings)
    assert not [m for m in gap.missing_skills if m.label == "Mathematics"]
    maths = [m for m in gap.matched_skills if m.label == "Mathematics"]
    # both ids are matched and shown once: "Mathematics, Mathematics" reads as a slip
    assert len(maths) == 1 and all(e.source == "skills" for m in maths for e in m.profile_evidence)
    # the occupation alone gives neither: it never stands in for what the person did not say
    # (both are missing; the second reads the same and is listed once)
    gap = skill_gap(GapProfile(occupation=NURSE), HEALTH_ED, fast_settings)
    assert len([m for m in gap.missing_skills if m.label == "Mathematics"]) == 1
    assert not [m for m in gap.matched_skills + gap.partial_skills if m.label == "Mathematics"]


def test_explanation_on_the_synthetic_catalogue(fast_settings):
    from app.explain import explain_traced
    from retrieval.profile import Profile

    e, trace = explain_traced(
        Profile(occupation=NURSE, skills=["Microsoft Excel"]),
        HEALTH_ED,
        backend="deterministic",
        settings=fast_settings,
    )
    evidence = trace.evidence
    excel = next(s for s in evidence.matched if s.label == "Microsoft Excel")
    assert excel.provenance == "stated" and excel.quote == "Microsoft Excel"
    assert {s.provenance for s in evidence.matched if s.label != "Microsoft Excel"} == {"inferred"}
    assert e.matched_skills[0].label == "Microsoft Excel" and e.matched_skills[0].provenance == "stated"
    assert all(m.provenance == "inferred" for m in e.matched_skills[1:])
    assert "Microsoft Excel" in e.summary and not provenance_errors(evidence, e.summary)
    assert e.verification.provenance_errors == 0 and e.faithfulness == 1.0
    assert [c.id for c in e.citations] == [f"c{n}" for n in range(1, len(e.citations) + 1)]
    for c in e.citations:
        assert evidence.citation(c.ref).text == c.text
    shown = (
        [c for m in e.matched_skills for c in m.evidence]
        + [c for s in e.partial_skills for c in s.evidence]
        + [c for s in e.missing_skills for c in s.evidence]
        + [c for ids in e.next_step_evidence for c in ids]
    )
    assert list(dict.fromkeys(shown)) == [c.id for c in e.citations]

    e, trace = explain_traced(Profile(occupation=NURSE), HEALTH_ED, backend="deterministic", settings=fast_settings)
    assert "registered nurse" in e.summary and re.search(r"\b(likely|probably)\b", e.summary), e.summary
    assert not trace.evidence.stated() and e.verification.provenance_errors == 0
