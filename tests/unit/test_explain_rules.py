"""The explainer's grammar (app/explain/schema.py) and verifier (app/explain/verify.py), rule by rule, on
evidence written out by hand -- no catalogue, no model.

The verifier also drops skills it finds named in free text but not in the evidence; that check reads
the catalogue's alias vocabulary, so its one test here (the last) runs on the synthetic catalogue; the
others see no vocabulary and exercise the same path through citation tokens (``c99``).
"""

from __future__ import annotations

import jsonschema
import pytest

from app.explain.composer import compose, step_choices, summary_options
from app.explain.evidence import Evidence, EvidenceCitation, EvidenceSkill, fit_for
from app.explain.prompt import completion_text, schema_for
from app.explain.schema import (
    MAX_LLM_MISSING,
    CourseInfo,
    Fit,
    ItemInfo,
    LLMDraft,
    llm_json_schema,
)
from app.explain.verify import (
    DraftError,
    VerifiedDraft,
    bad_citation_tokens,
    parse_draft,
    supports,
    verify,
)

COURSE = CourseInfo(id="course:x", title="Patient Communication Basics")


def _skill(sid, label, importance, status, citations, courses=()):
    return EvidenceSkill(
        id=sid,
        label=label,
        name=label,
        importance=importance,
        status=status,
        citations=citations,
        courses=list(courses),
    )


def make_evidence(coverage: float = 0.6) -> Evidence:
    """Health Education Specialists for a nurse: two matched requirements, two missing, one course."""
    citations = [
        EvidenceCitation(
            id="c1",
            source="profile",
            role="profile",
            skills=["s:edu", "s:records"],
            text="Registered nurse. I teach patients about diabetes and keep medical records.",
        ),
        EvidenceCitation(
            id="c2",
            source="onet:21-1091.00:skills",
            role="requirements",
            skills=["s:edu", "s:records", "s:comm", "s:stats"],
            text="Health Education Specialists requires patient education (0.90), maintain medical "
            "records (0.60), communication (0.80) and statistics (0.50).",
        ),
        EvidenceCitation(
            id="c3",
            source="onet:21-1091.00:skills",
            role="missing",
            skills=["s:comm", "s:stats"],
            text="Not shown in the profile: communication (0.80); statistics (0.50).",
        ),
        EvidenceCitation(
            id="c4",
            source="course:x",
            role="course",
            skills=["s:comm"],
            courses=["course:x"],
            text="Course: Patient Communication Basics teaches communication.",
        ),
        EvidenceCitation(
            id="c5",
            source="onet:21-1091.00:description",
            role="description",
            text="Health education specialists run Community Health Programmes for towns.",
        ),
        EvidenceCitation(
            id="c6", source="onet:21-1091.00:tasks", role="tasks", text="Teach patient education classes to families."
        ),
    ]
    return Evidence(
        key="hand-written",
        item=ItemInfo(id="21-1091.00", kind="occupation", title="Health Education Specialists"),
        coverage=coverage,
        fit=fit_for(coverage),
        requirements_total=4,
        matched=[
            _skill("s:edu", "patient education", 0.9, "matched", ["c1", "c2"]),
            _skill("s:records", "maintain medical records", 0.6, "matched", ["c1", "c2"]),
        ],
        matched_total=2,
        partial=[],
        missing=[
            _skill("s:comm", "communication", 0.8, "missing", ["c3", "c4"], [COURSE]),
            _skill("s:stats", "statistics", 0.5, "missing", ["c3"]),
        ],
        missing_total=2,
        citations=citations,
        known_skill_ids=["s:edu", "s:records", "s:comm", "s:stats"],
    )


@pytest.fixture()
def evidence() -> Evidence:
    return make_evidence()


def draft(**fields) -> dict:
    base = {
        "fit": "possible",
        "matched_skills": [],
        "missing_skills": [],
        "next_steps": [],
        "summary": "Health Education Specialists is within reach: patient education already counts.",
    }
    return {**base, **fields}


# ------------------------------------------------------------------------------------------------ fit
@pytest.mark.parametrize(
    "coverage, fit",
    [
        (1.0, Fit.strong),
        (0.75, Fit.strong),
        (0.7499, Fit.possible),
        (0.45, Fit.possible),
        (0.4499, Fit.stretch),
        (0.0, Fit.stretch),
    ],
)
def test_fit_thresholds(coverage, fit):
    assert fit_for(coverage) == fit


def test_a_wrong_fit_is_corrected_and_counted_unsupported(evidence):
    for claimed in ("strong", "excellent"):
        result = verify(draft(fit=claimed), evidence)
        assert result.fit == Fit.possible
        assert result.dropped[0].startswith(f"fit {claimed!r} corrected to 'possible'")
        assert (result.claims, result.supported) == (2, 1)  # fit and summary; the summary holds


# ------------------------------------------------------------------------------------- matched skills
def test_the_composers_own_draft_passes_whole(evidence):
    result = verify(compose(evidence), evidence)
    assert result.dropped == [] and result.faithfulness == 1.0
    # fit + 2 matched + 2 missing + 2 steps + summary
    assert result.claims == result.supported == 8
    assert [s.label for s, _c in result.matched] == ["patient education", "maintain medical records"]


def test_a_matched_claim_must_be_a_matched_requirement(evidence):
    result = verify(
        draft(matched_skills=[{"skill": "statistics", "evidence": ["c3"]}, {"skill": "Python", "evidence": ["c1"]}]),
        evidence,
    )
    assert result.matched == []
    assert "matched skill 'statistics' dropped: it is missing in the evidence" in result.dropped
    assert "matched skill 'Python' dropped: it is not in the evidence" in result.dropped
    assert (result.claims, result.supported) == (4, 2)


def test_citations_that_do_not_state_the_skill_are_stripped(evidence):
    result = verify(draft(matched_skills=[{"skill": "patient education", "evidence": ["c1", "c5", "c99"]}]), evidence)
    ((skill, cites),) = result.matched
    assert skill.id == "s:edu" and cites == ["c1"]
    assert "matched skill 'patient education': citation(s) c5, c99 do not state it" in result.dropped
    assert result.supported == 2  # kept, but not counted as supported: the generator cited wrongly


def test_a_matched_claim_with_no_supporting_citation_is_dropped(evidence):
    for cites in ([], ["c99"], ["c5"]):
        result = verify(draft(matched_skills=[{"skill": "patient education", "evidence": cites}]), evidence)
        assert result.matched == []
        assert "matched skill 'patient education' dropped: no supporting citation" in result.dropped


def test_a_citation_supports_a_skill_it_lists_or_names_as_a_whole_phrase(evidence):
    edu = evidence.matched[0]
    assert supports(evidence, "c1", edu)  # listed in the citation's skills
    assert supports(evidence, "c6", edu)  # not listed, but "patient education" is in its text
    assert not supports(evidence, "c5", edu)
    assert not supports(evidence, "c42", edu)
    near_miss = evidence.model_copy(deep=True)
    near_miss.citations[5].text = "Teach patient educations classes."
    assert not supports(near_miss, "c6", edu)  # "educations" is another word


def test_repeated_claims_are_counted_once(evidence):
    claim = {"skill": "patient education", "evidence": ["c1"]}
    result = verify(draft(matched_skills=[claim, claim], missing_skills=["statistics", "statistics"]), evidence)
    assert len(result.matched) == 1 and len(result.missing) == 1
    assert result.claims == 4  # fit, one matched, one missing, summary


# ------------------------------------------------------------------------------------- missing skills
def test_a_missing_claim_must_be_a_missing_requirement(evidence):
    result = verify(draft(missing_skills=["communication", "patient education", "surgery"]), evidence)
    assert [s.id for s in result.missing] == ["s:comm"]
    assert "missing skill 'patient education' dropped: it is matched in the evidence" in result.dropped
    assert "missing skill 'surgery' dropped: it is not in the evidence" in result.dropped


# ----------------------------------------------------------------------------------------- next steps
def test_a_step_must_name_what_its_citations_state(evidence):
    steps = [
        {"text": "Start with the course on communication skills.", "citations": ["c4"]},
        {"text": "Practise statistics at work on real data.", "citations": ["c5"]},
    ]
    result = verify(draft(next_steps=steps), evidence)
    assert result.steps == [("Start with the course on communication skills.", ["c4"])]
    assert any("dropped: no cited evidence states what it says" in d for d in result.dropped)


def test_a_step_may_name_a_quoted_title_its_citation_contains(evidence):
    step = {"text": 'Read about "Community Health Programmes" in your area.', "citations": ["c5"]}
    assert verify(draft(next_steps=[step]), evidence).steps == [(step["text"], ["c5"])]


def test_unsupported_step_citations_are_stripped_and_invented_ids_drop_the_step(evidence):
    stripped = verify(
        draft(next_steps=[{"text": "Build statistics in a project.", "citations": ["c3", "c99"]}]), evidence
    )
    assert stripped.steps == [("Build statistics in a project.", ["c3"])]
    assert any("citation(s) c99 stripped" in d for d in stripped.dropped)
    invented = verify(draft(next_steps=[{"text": "Build statistics, as c99 says.", "citations": ["c3"]}]), evidence)
    assert invented.steps == [] and any("names skills the evidence does not" in d for d in invented.dropped)


def test_steps_are_redacted_and_deduplicated(evidence):
    steps = [
        {"text": "Email jane.doe@example.com to practise statistics.", "citations": ["c3"]},
        {"text": "EMAIL jane.doe@example.com to practise statistics.", "citations": ["c3"]},
        {"text": "   ", "citations": ["c3"]},
    ]
    result = verify(draft(next_steps=steps), evidence)
    assert [text for text, _c in result.steps] == ["Email [email] to practise statistics."]


def test_a_catalogue_label_that_looks_like_a_name_is_not_redacted_away(evidence):
    """O*NET lists software named after people ("Armand Morin MultiTrack Generator"): a step about that gap
    was redacted to "[name] Generator", no longer named what its citation states, and was dropped. A
    person's name elsewhere in the same step is still redacted."""
    tool = "Armand Morin MultiTrack Generator"
    evidence.missing.append(_skill("s:tool", tool, 0.5, "missing", ["c7"]))
    evidence.citations.append(
        EvidenceCitation(
            id="c7",
            source="onet:21-1091.00:tech",
            role="missing",
            skills=["s:tool"],
            text=f"Not shown in the profile: {tool} (0.50).",
        )
    )
    kept = verify(
        draft(next_steps=[{"text": f"Get practice with {tool} in a side project.", "citations": ["c7"]}]), evidence
    )
    assert [text for text, _c in kept.steps] == [f"Get practice with {tool} in a side project."]
    named = verify(
        draft(next_steps=[{"text": f"Ask Sarah Johnson to show you {tool}.", "citations": ["c7"]}]), evidence
    )
    assert [text for text, _c in named.steps] == [f"Ask [name] to show you {tool}."]


# -------------------------------------------------------------------------------------------- summary
@pytest.mark.parametrize(
    "summary, problem",
    [
        ("Too short.", "too short"),
        ("Health Education Specialists suits your background, see c99 for the details.", "cites ids that do not exist"),
        ("This is the perfect role for you, with patient education already in hand.", "overclaims"),
        ("You are a great fit for Health Education Specialists given patient education.", "claims a stronger fit"),
        ("Health Education Specialists suits your patient education experience well.", "claims a stronger fit"),
    ],
)
def test_a_bad_summary_is_replaced(evidence, summary, problem):
    result = verify(draft(summary=summary), evidence, fallback_summary="The fallback summary, long enough.")
    assert result.summary == "The fallback summary, long enough." and result.summary_replaced
    assert problem in result.dropped[-1]
    assert result.supported == result.claims - 1


def test_a_strong_fit_may_be_called_a_great_fit():
    strong = make_evidence(coverage=0.8)
    summary = "You are a great fit for Health Education Specialists given patient education."
    result = verify(draft(fit="strong", summary=summary), strong)
    assert result.summary == summary and not result.summary_replaced


def test_without_a_fallback_the_composer_writes_the_summary(evidence):
    result = verify(draft(summary="short"), evidence)
    assert result.summary in summary_options(evidence)


def test_faithfulness_is_supported_over_claims_before_anything_is_dropped(evidence):
    result = verify(draft(fit="strong", matched_skills=[{"skill": "surgery", "evidence": ["c1"]}]), evidence)
    assert (result.claims, result.supported) == (3, 1) and result.faithfulness == round(1 / 3, 4)
    assert VerifiedDraft(fit=Fit.strong, summary="", matched=[], missing=[], steps=[]).faithfulness == 1.0


# ---------------------------------------------------------------------------------------- draft shape
def test_a_draft_that_is_not_an_explanation_is_a_draft_error(evidence):
    with pytest.raises(DraftError, match="not a JSON object"):
        verify(["not", "a", "draft"], evidence)
    with pytest.raises(DraftError, match="does not match the explanation shape"):
        parse_draft({"matched_skills": "patient education"})
    assert parse_draft({"summary": "x", "unexpected": 1}).summary == "x"  # unknown keys are ignored
    same = LLMDraft(summary="kept")
    assert parse_draft(same) is same


def test_citation_tokens_that_name_no_citation():
    evidence = make_evidence()
    assert bad_citation_tokens(evidence, "see [c2], C9 and c10x and c3") == ["c9"]
    assert bad_citation_tokens(evidence, "no ids here") == []


# -------------------------------------------------------------------------------------------- grammar
def _validator(schema):
    return jsonschema.Draft202012Validator(schema)


def test_matched_claims_are_prefixes_of_the_claims_in_order():
    """The model chooses how many of the listed claims to make (in their order, each with all its ids), not
    which ids or which skill: a claim cannot be repeated, reordered or cite what does not state it."""
    schema = llm_json_schema(
        {
            "patient education": ["c1", "c2"],
            "ghost": ["c99"],
            "maintain medical records": ["c2", "c1", "c1"],
            "statistics": ["c3"],
        },
        ["communication"],
        ["c1", "c2", "c3"],
    )
    claims = _validator(schema["properties"]["matched_skills"])
    pe = {"evidence": ["c1", "c2"], "skill": "patient education"}
    mr = {"evidence": ["c2", "c1"], "skill": "maintain medical records"}
    st = {"evidence": ["c3"], "skill": "statistics"}
    for ok in ([pe], [pe, mr], [pe, mr, st]):  # "ghost" cites nothing that exists: never claimable
        assert claims.is_valid(ok), ok
    for bad in (
        [],
        [mr],  # out of order
        [pe, pe],  # repeated
        [pe, st],  # skips one
        [{"evidence": ["c1"], "skill": "patient education"}],  # not all of its ids
        [{"evidence": ["c2", "c1"], "skill": "patient education"}],  # ids out of order
        [pe, mr, st, st],
    ):
        assert not claims.is_valid(bad), bad


def _all_citations(evidence, name: str) -> list[str]:
    """The citations a claim of ``name`` must carry: every one the prompt lists for it (up to two)."""
    return next(s for s in evidence.matched if s.name == name).citations[:2]


def test_the_grammar_admits_only_supported_claims(evidence):
    schema = schema_for(evidence, "claims")
    validator = _validator(schema)
    cites = _all_citations(evidence, "patient education")
    assert "c1" in cites
    good = {
        "fit": "possible",
        "matched_skills": [{"evidence": cites, "skill": "patient education"}],
        "missing_skills": ["communication"],
        "next_steps": [{"citations": ["c3"], "text": "Practise statistics daily."}],
        "summary": "Health Education Specialists is within reach for you.",
    }
    assert list(validator.iter_errors(good)) == []
    assert validator.is_valid({**good, "missing_skills": ["communication", "statistics"]})
    for bad in (
        {**good, "fit": "strong"},  # fit is fixed
        {**good, "matched_skills": [{"evidence": ["c3"], "skill": "patient education"}]},  # c3 does not state it
        {**good, "matched_skills": [{"evidence": cites, "skill": "statistics"}]},  # not matched
        {**good, "missing_skills": ["patient education"]},
        {**good, "missing_skills": ["statistics"]},  # the most important gap comes first
        {**good, "missing_skills": ["communication", "communication"]},
        {**good, "missing_skills": []},
        {**good, "next_steps": [{"citations": ["c99"], "text": "Practise statistics daily."}]},
        {**good, "summary": "Too short."},
        {**good, "extra": 1},
        {**good, "matched_skills": [{"evidence": cites[:-1] or cites * 2, "skill": "patient education"}]},  # not all
    ):
        assert list(validator.iter_errors(bad)), bad


def test_empty_evidence_closes_the_matched_and_missing_lists():
    schema = llm_json_schema({}, [], ["c1"])
    assert schema["properties"]["matched_skills"] == {"type": "array", "maxItems": 0}
    assert schema["properties"]["missing_skills"] == {"type": "array", "maxItems": 0}
    assert schema["properties"]["fit"]["enum"] == ["strong", "possible", "stretch"]  # no fit given: any


def test_with_no_gap_the_only_steps_are_the_composers_put_it_forward_step(evidence):
    """A strong fit has no gap to close: the grammar left the step free there, and the shipped adapter wrote
    "Microsoft Excel: c1" for a pasted résumé. The menu is the composer's own step for that case; with
    nothing matched either, an explanation has no step."""
    evidence.missing = []
    menu = step_choices(evidence)
    assert len(menu) == 1
    cites, texts = menu[0]
    assert cites == ["c2"] and all("patient education" in t for t in texts)
    composed = compose(evidence, None)
    assert [(st.citations, st.text in texts) for st in composed.next_steps] == [(cites, True)]
    steps = _validator(schema_for(evidence, "closed")["properties"]["next_steps"])
    assert steps.is_valid([{"citations": cites, "text": texts[0]}])
    assert not steps.is_valid([{"citations": ["c1"], "text": "Microsoft Excel: c1"}])
    evidence.matched = []
    assert step_choices(evidence) == []
    closed = schema_for(evidence, "closed")["properties"]["next_steps"]
    assert closed == {"type": "array", "maxItems": 0} and not compose(evidence, None).next_steps
    assert schema_for(evidence, "claims")["properties"]["next_steps"]["minItems"] == 1  # free text there


def test_missing_skills_are_capped():
    labels = [f"skill {i}" for i in range(6)]
    missing = _validator(llm_json_schema({}, labels, ["c1"])["properties"]["missing_skills"])
    assert missing.is_valid(labels[:MAX_LLM_MISSING]) and not missing.is_valid(labels[: MAX_LLM_MISSING + 1])


def test_closed_steps_take_exactly_their_citations_and_one_of_their_sentences(evidence):
    schema = schema_for(evidence, "steps")
    menu = step_choices(evidence)
    assert len(menu) == 2
    validator = _validator(schema)
    cites, texts = menu[0]
    base = {
        "fit": "possible",
        "matched_skills": [{"evidence": _all_citations(evidence, "patient education"), "skill": "patient education"}],
        "missing_skills": ["communication"],
        "summary": "Health Education Specialists is within reach for you.",
    }
    assert list(validator.iter_errors({**base, "next_steps": [{"citations": cites, "text": texts[0]}]})) == []
    first, second = ({"citations": c, "text": t[-1]} for c, t in menu)
    assert validator.is_valid({**base, "next_steps": [first, second]})
    # the menu's first steps, in its order, each once: never without the step for the gap that matters most
    for steps in ([second], [second, first], [first, first], [first, second, first]):
        assert not validator.is_valid({**base, "next_steps": steps}), steps
    repeated = [cites[0]] * len(cites) if len(cites) > 1 else cites + cites
    for bad_step in (
        {"citations": cites, "text": "Some other sentence entirely."},
        {"citations": list(reversed(cites)) + ["c9"], "text": texts[0]},
        {"citations": repeated, "text": texts[0]},
    ):
        assert list(validator.iter_errors({**base, "next_steps": [bad_step]})), bad_step


def test_the_closed_grammar_offers_exactly_the_composer_summaries(evidence):
    schema = schema_for(evidence, "closed")
    assert schema["properties"]["summary"] == {"type": "string", "enum": summary_options(evidence)}
    assert list(_validator(schema).iter_errors(compose(evidence).model_dump(mode="json"))) == []
    with pytest.raises(ValueError, match="unknown explanation grammar"):
        schema_for(evidence, "open")


def test_properties_are_alphabetical_for_both_backends(evidence):
    schema = schema_for(evidence, "closed")
    assert list(schema["properties"]) == sorted(schema["properties"])
    assert list(schema["properties"]) == ["fit", "matched_skills", "missing_skills", "next_steps", "summary"]
    text = completion_text(compose(evidence))
    assert text.index('"fit"') < text.index('"matched_skills"') < text.index('"summary"')


# -------------------------------------------------------------------------- invented skills (vocabulary)
def test_skills_named_in_free_text_must_come_from_the_evidence(synthetic_settings, evidence):
    """With a vocabulary (the synthetic catalogue's aliases): a step or summary that names a real skill no
    citation mentions is dropped or replaced; skills the citations name are fine."""
    steps = [
        {"text": "Practise statistics on a real data set.", "citations": ["c3"]},
        {"text": "Practise statistics with Kubernetes clusters.", "citations": ["c3"]},
    ]
    summary = "Health Education Specialists is within reach, and your Python helps there too."
    result = verify(draft(next_steps=steps, summary=summary), evidence, fallback_summary="A fallback summary here.")
    assert [text for text, _c in result.steps] == ["Practise statistics on a real data set."]
    assert any("Kubernetes" in d and "names skills the evidence does not" in d for d in result.dropped)
    assert result.summary_replaced and "names skills the evidence does not" in result.dropped[-1]


# ------------------------------------------------------------------------------------------------ prompt
def test_the_prompt_shows_what_the_choices_need_in_short_form():
    """explain-prompt-4: the request is in the static system message (prefix-cached); the evidence names a
    source kind, not its id, says the item's title once, clips a long profile quote around the person's
    words the skill was found in; every id and skill the grammar offers is listed."""
    from app.explain.prompt import SYSTEM_PROMPT, build_messages

    evidence = make_evidence()
    long_quote = '"' + "I started on a busy ward years ago and moved between units. " * 3
    long_quote += 'Now I teach patients about diabetes every day and keep medical records for the team."'
    evidence.citations[0] = evidence.citations[0].model_copy(update={"text": long_quote})
    evidence.matched[0].quote = "teach patients about diabetes"
    evidence.matched[1].provenance = "inferred"
    system, user = build_messages(evidence)
    assert system == {"role": "system", "content": SYSTEM_PROMPT} and "Explain why" in SYSTEM_PROMPT
    text = user["content"]
    assert text.count("Health Education Specialists") == 1 and "onet:" not in text and "course:x" not in text
    assert "[c2] role: requires patient education" in text and "[c4] course:" in text
    quote_line = next(line for line in text.splitlines() if line.startswith("[c1] profile: "))
    assert "teach patients about diabetes" in quote_line and quote_line.startswith('[c1] profile: "... ')
    assert quote_line.endswith('for the team."')  # the end of the text is not cut
    assert len(quote_line) < len(long_quote) / 1.5
    assert "- patient education: c1, c2\n" in text + "\n" and "- maintain medical records: c1, c2 (inferred)" in text
    assert "- communication: c3; courses: c4" in text and "- statistics: c3" in text
    for c in evidence.citations:
        assert f"[{c.id}] " in text


def test_a_gap_held_in_part_gets_a_go_further_step_not_no_course_exists():
    """A deeper gap (the target needs more than the person's current work gives) with no course fit for that
    level: the step says to go further, not that the catalogue has no course on it (it has introductory
    ones), and it verifies like any step."""
    from app.explain.composer import STEP_DEEPER, STEP_SKILL
    from app.explain.verify import verify

    evidence = make_evidence()
    stats = next(s for s in evidence.missing if s.name == "statistics")
    _cites, before = step_choices(evidence)[1]
    assert before == [t.format(skill="statistics", title="Health Education Specialists") for t in STEP_SKILL]
    stats.reason = "deeper"
    _cites, after = step_choices(evidence)[1]
    assert after == [t.format(skill="statistics", title="Health Education Specialists") for t in STEP_DEEPER]
    assert not any("No course" in t for t in after)
    for variant in ("a", "b", "c", "d"):
        draft = compose(evidence, variant)
        assert verify(draft, evidence).faithfulness == 1.0
        assert list(_validator(schema_for(evidence, "closed")).iter_errors(json_of(draft))) == []


def json_of(draft) -> dict:
    import json

    return json.loads(completion_text(draft))


def test_a_gap_learned_hands_on_gets_training_not_a_side_project():
    """A warehouse worker toward crane operators read "No course in the catalogue teaches the ability to operate
    tower crane yet; build it through a project or volunteer work that uses it". A hands-on gap's step is training
    on the job, an apprenticeship or a certification course, and it verifies like any step."""
    from app.explain.composer import STEP_HANDS_ON
    from app.explain.verify import verify

    evidence = make_evidence()
    stats = next(s for s in evidence.missing if s.name == "statistics")
    stats.hands_on = True
    _cites, steps = step_choices(evidence)[1]
    assert steps == [t.format(skill="statistics", title="Health Education Specialists") for t in STEP_HANDS_ON]
    assert not any("volunteer" in t or "project" in t for t in steps)
    for variant in ("a", "b", "c", "d"):
        draft = compose(evidence, variant)
        assert verify(draft, evidence).faithfulness == 1.0
        assert list(_validator(schema_for(evidence, "closed")).iter_errors(json_of(draft))) == []
