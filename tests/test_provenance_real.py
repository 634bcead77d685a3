"""Explanations true about the person, on the real catalogue (issue 24, item 3): the cases the issue
reported, through ``explain`` and through ``POST /v1/explain`` (plain and streamed).

* a firefighter asking about Financial and Investment Analysts is never told "you have Microsoft
  Excel" (it comes from the firefighter occupation's software list) unless they said so;
* a store manager whose words say "customer service" never gets Customer and Personal Service as a gap;
* citation ids run c1, c2, ... in the order a reader meets them, in the JSON, the stream and the UI.

The rule-by-rule tests are in tests/unit/test_provenance.py; the counts over 300 real pairs are
``python -m eval.provenance`` (eval/reports/provenance.md).
"""

from __future__ import annotations

import json
import re

import pytest

from retrieval.profile import Profile

FIREFIGHTER, FINANCIAL_ANALYSTS = "33-2011.00", "13-2051.00"
RETAIL_SUPERVISORS, SALES_MANAGERS = "41-1011.00", "11-2022.00"
STORE_MANAGER = (
    "Store Manager, Target (2016-2024)\nLed a team of 15; scheduling, inventory and visual "
    "merchandising.\nSkills: Microsoft Excel, customer service"
)
CUSTOMER_SERVICE = "onet:2.C.1.e"  # Customer and Personal Service
YOU_HAVE = re.compile(r"\byou (?:already )?(?:have|show|bring)\b[^.;]*Microsoft Excel|\byour Microsoft Excel\b", re.I)


@pytest.fixture(scope="module")
def fast(settings):
    return settings.model_copy(update={"llm_backend": "deterministic", "explain_use_memory": False})


def _explain(profile: Profile, item: str, settings):
    from app.explain import explain_traced

    return explain_traced(profile, item, backend="deterministic", settings=settings)


def _display_ids(e: dict) -> list[str]:
    """Citation ids in the order a reader meets them (summary, matched, partial, missing, next steps)."""
    ids = re.findall(r"\bc\d+\b", e["summary"])
    for key in ("matched_skills", "partial_skills", "missing_skills"):
        ids += [c for s in e.get(key) or [] for c in s["evidence"]]
    for step, cites in zip(e["next_steps"], e.get("next_step_evidence") or []):
        ids += re.findall(r"\bc\d+\b", step) + cites
    return list(dict.fromkeys(ids))


def test_firefighter_is_not_told_they_have_excel(fast):
    from app.explain.verify import provenance_errors
    from app.ui.chat import render_explanation

    profile = Profile(occupation=FIREFIGHTER, text="I'm a firefighter and I want to move into finance.")
    e, trace = _explain(profile, FINANCIAL_ANALYSTS, fast)
    # what the firefighter occupation lists (Microsoft Excel among it, when it is shown at all) is inferred
    assert trace.evidence.matched and {s.provenance for s in trace.evidence.matched} == {"inferred"}
    text = " ".join([e.summary, *e.next_steps])
    assert not YOU_HAVE.search(text), text
    assert not provenance_errors(trace.evidence, text) and e.verification.provenance_errors == 0
    assert re.search(r"\b(likely|probably)\b", e.summary) and "firefighter" in e.summary, e.summary
    assert {m.provenance for m in e.matched_skills} == {"inferred"}
    md = render_explanation(e.model_dump(mode="json"))
    assert "**Skills you already have**" not in md
    inferred_list = md.split("**Skills your current occupation usually involves**")[1].split("\n\n**")[0]
    assert all(m.label in inferred_list for m in e.matched_skills)
    occupation = next(c for c in e.citations if c.source == "profile:occupation")
    assert "inferred, not stated by the person" in occupation.text

    # said in their own words, Excel is theirs
    said = Profile(occupation=FIREFIGHTER, text="Firefighter. I keep the station's rosters in Microsoft Excel.")
    e, trace = _explain(said, FINANCIAL_ANALYSTS, fast)
    excel = next(s for s in trace.evidence.matched if s.label == "Microsoft Excel")
    assert excel.provenance == "stated" and excel.quote == "Microsoft Excel"
    assert e.matched_skills[0].label == "Microsoft Excel" and e.matched_skills[0].provenance == "stated"
    assert "Microsoft Excel" in e.summary and e.verification.provenance_errors == 0


@pytest.mark.parametrize("occupation", [RETAIL_SUPERVISORS, None])
def test_customer_service_in_their_words_is_never_a_gap(fast, occupation):
    e, trace = _explain(Profile(occupation=occupation, text=STORE_MANAGER), SALES_MANAGERS, fast)
    assert CUSTOMER_SERVICE not in {s.id for s in trace.evidence.missing}
    assert CUSTOMER_SERVICE not in {s.id for s in e.missing_skills}
    held = next(s for s in trace.evidence.matched if s.id == CUSTOMER_SERVICE)
    assert held.provenance == "stated" and held.quote.lower() == "customer service"
    quoted = [e.citations[int(c[1:]) - 1] for m in e.matched_skills if m.id == CUSTOMER_SERVICE for c in m.evidence]
    assert any(c.source == "profile" and "customer service" in c.text for c in quoted)
    assert not re.search(
        r"(?:gap is|building|focus next on|starting with) Customer and Personal Service|"
        r"Customer and Personal Service is (?:the main|what|the first|still missing)",
        e.summary,
    )


def test_rest_output_uses_the_renumbered_ids_everywhere(fast):
    from fastapi.testclient import TestClient

    from app.api.app import create_app
    from app.ui.chat import render_explanation

    body = {
        "profile": {"occupation": RETAIL_SUPERVISORS, "text": STORE_MANAGER},
        "item_id": SALES_MANAGERS,
        "backend": "deterministic",
    }
    with TestClient(
        create_app(fast.model_copy(update={"api_keys": "", "rate_limit_per_minute": 100_000}), mount_ui=False)
    ) as client:
        plain = client.post("/v1/explain", json=body)
        assert plain.status_code == 200, plain.text
        e = plain.json()
        streamed = client.post("/v1/explain", json={**body, "stream": True}, headers={"Accept": "application/x-ndjson"})
    ids = [c["id"] for c in e["citations"]]
    assert ids == [f"c{n}" for n in range(1, len(ids) + 1)]  # no gaps
    assert _display_ids(e) == ids  # in order of first appearance
    assert [m["provenance"] for m in e["matched_skills"]] == sorted(
        (m["provenance"] for m in e["matched_skills"]), key=lambda p: p == "inferred"
    )  # stated first
    assert e["verification"]["provenance_errors"] == 0
    by_id = {c["id"]: c for c in e["citations"]}
    same = lambda a, b: all(a[k] == b[k] for k in ("id", "source", "text"))  # noqa: E731
    events = [json.loads(line) for line in streamed.text.splitlines() if line.strip()]
    for event in events:
        data = event["data"]
        if event["event"] in ("matched_skill", "partial_skill", "missing_skill", "next_step"):
            assert data["citations"] and all(same(c, by_id[c["id"]]) for c in data["citations"]), event
    done = events[-1]
    assert done["event"] == "done" and len(done["data"]["citations"]) == len(ids)
    assert all(same(a, b) for a, b in zip(done["data"]["citations"], e["citations"]))
    md = render_explanation(e)
    assert list(dict.fromkeys(re.findall(r"\[(c\d+)\]", md))) == ids  # the UI shows them in order too
    assert "Every claim checked against the evidence" in md.split("<details>")[0]


def test_an_occupation_o_star_net_does_not_rate_holds_and_asks_for_what_its_relatives_do(fast):
    """Software Developers has no O*NET ratings: a 10-year Java engineer "held" only tools, and Computers and
    Electronics, Critical Thinking and Reading Comprehension were their biggest gaps to Computer Systems
    Engineers/Architects (browser walk). Their ratings are now their closest rated relatives', cited as such."""
    from retrieval.skills.gap import Profile as GapProfile, skill_gap

    engineer = GapProfile(occupation="15-1252.00", text="I've been a Java engineer for 10 years.")
    gap = skill_gap(engineer, "15-1299.08", fast)
    missing = {m.label for m in gap.missing_skills}
    assert not missing & {"Critical Thinking", "Computers and Electronics", "Reading Comprehension"}, missing
    held = {m.label: m for m in gap.matched_skills}
    assert {"Critical Thinking", "Computers and Electronics"} <= set(held)
    assert all(e.source == "occupation" for e in held["Critical Thinking"].profile_evidence)

    # as a target: the requirement rows of Data Scientists say where their ratings come from
    e, _trace = _explain(Profile(occupation="13-2011.00", text="I'm an accountant."), "15-2051.00", fast)
    rated = [c.text for c in e.citations if c.source == "onet_related:15-2051.00:skills"]
    assert rated and all("Data Scientists (rated like its closest occupations in O*NET)" in t for t in rated), [
        c.source for c in e.citations
    ]


def test_an_occupation_without_relatives_in_onets_list_holds_what_the_nearest_rated_ones_do(fast):
    """Emergency Medical Technicians has no ratings and no related occupations in the data: "I'm an EMT" was told
    "you have likely used Microsoft PowerPoint, Microsoft Word and Microsoft Office software", every move was a
    stretch, and "iOS is the main skill to build" toward Paramedics, with "Build your very first iOS app" to take
    (browser walk). Its ratings are now the nearest rated occupations' by meaning; the phones paramedics use are
    a plain tool there (hot only in developers' postings), ranked after what the work rates, with no course."""
    from retrieval.skills.gap import Profile as GapProfile, skill_gap

    emt = GapProfile(occupation="29-2042.00", text="I'm an EMT, been on the ambulance for 5 years.")
    gap = skill_gap(emt, "29-2043.00", fast, use_embeddings=False, use_map=False)
    held = {m.label: m for m in gap.matched_skills}
    assert "Medicine and Dentistry" in held, set(held)
    assert all(e.source == "occupation" for e in held["Medicine and Dentistry"].profile_evidence)
    assert gap.coverage >= 0.6, gap.coverage
    tools = [m for m in gap.missing_skills if m.rank and m.rank.plain_tool and m.requirement.hot]
    assert all(not m.courses for m in tools), [(m.label, [c.title for c in m.courses]) for m in tools]
    if gap.missing_skills:
        assert not gap.missing_skills[0].id.startswith("tech:"), [m.label for m in gap.missing_skills]


def test_an_occupations_long_tool_list_is_not_what_the_person_has_used(fast):
    """O*NET lists 132 tools for administrative assistants: "your current occupation has likely involved Apache
    Tomcat, Drupal and Hadoop" (browser walk, toward Business Intelligence Analysts). Named as held through the
    occupation are the tools O*NET flags In Demand for it or that nearly every occupation lists; the rest still
    count toward the coverage."""
    from retrieval.skills.gap import Profile as GapProfile, profile_skills, skill_gap

    admin = GapProfile(occupation="43-6014.00")
    gap = skill_gap(admin, "15-2051.01", fast, use_embeddings=False, use_map=False)
    said = {m.label for m in gap.matched_skills}
    assert not said & {"Hadoop", "Apache Tomcat", "Drupal", "Teradata Database"}, said
    assert {"Microsoft Excel", "Microsoft Word", "Microsoft Outlook"} <= said
    held = {h.label for h in profile_skills(admin, fast).held.values()}
    assert {"Hadoop", "Apache Tomcat"} <= held  # counted, not said
    missing = {m.label for m in gap.missing_skills}
    assert not missing & {"Hadoop", "Apache Tomcat", "Drupal"}
