"""``POST /v1/understand``, the goal and the understanding in ``/v1/recommend``, and fit-question targets,
on the synthetic catalogue with the real understanding (title index, skill aliases, MiniLM).

Text Waypoint cannot use is a 200 with a status and a message on /v1/understand, a 4xx with that
message on /v1/recommend, and leaves nothing in the logs or the events database.
"""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.api.auth import request_cost
from app.feedback.store import EventStore
from tests import synthetic_catalogue as synthetic

GOAL_TEXT = "I'm a registered nurse and I want to move into finance"


def _error(response, status: int, fragment: str) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert fragment.lower() in body["message"].lower(), body["message"]
    return body


# ------------------------------------------------------------------------------------------------ /v1/understand
def test_understand_links_the_occupation_and_the_goal_with_their_spans(client):
    r = client.post("/v1/understand", json={"text": GOAL_TEXT})
    assert r.status_code == 200, r.text
    u = r.json()
    assert u["status"] == "understood" and u["message"] is None
    top = u["occupations"][0]
    assert top["occupation_id"] == synthetic.NURSE and top["title"] == "Registered Nurses"
    # every span points into the text sent, so a client can quote it back to the person
    for finding in [*u["occupations"], *u["skills"], *u["goals"]]:
        span = finding["span"]
        if span is not None:
            assert GOAL_TEXT[span["start"] : span["end"]] == span["text"]
    assert top["span"]["text"].lower() == "registered nurse"
    (goal,) = u["goals"]
    assert goal["kind"] == "field" and goal["field"] == "finance" and "13-2" in goal["soc_prefixes"]
    assert goal["span"]["text"] == "finance"
    # the goal is where the person wants to go, not something they have
    assert not any(s["span"]["start"] >= goal["span"]["start"] for s in u["skills"])


@pytest.mark.parametrize(
    "text, status",
    [
        ("asdf qwer zxcv", "nonsense"),
        ("Je suis infirmière et je travaille à l'hôpital depuis dix ans", "not_english"),
    ],
)
def test_text_it_cannot_use_is_a_200_with_a_status_and_a_message(client, text, status):
    r = client.post("/v1/understand", json={"text": text})
    assert r.status_code == 200, r.text
    u = r.json()
    assert u["status"] == status and u["message"] and not u["occupations"]


@pytest.mark.parametrize(
    "body, status, fragment",
    [
        ({"text": ""}, 422, "text is empty"),
        ({"text": "   \n "}, 422, "text is empty"),
        ({}, 422, "field required"),
        ({"text": "I'm a nurse", "goal": "finance"}, 422, "goal"),
        ({"text": 42}, 422, "text"),
        ({"text": "nurse " * 10_000}, 413, "limit"),
    ],
)
def test_bad_understand_requests_are_a_clear_4xx(client, body, status, fragment):
    _error(client.post("/v1/understand", json=body), status, fragment)


def test_understand_costs_one_request_and_needs_a_key_when_keys_are_set(api_settings):
    assert request_cost("POST", "/v1/understand", api_settings) == 1.0
    locked = api_settings.model_copy(update={"api_keys": "alpha-key"})
    with TestClient(create_app(locked, mount_ui=False)) as c:
        _error(c.post("/v1/understand", json={"text": GOAL_TEXT}), 401, "missing api key")
        assert c.post("/v1/understand", json={"text": GOAL_TEXT}, headers={"X-API-Key": "alpha-key"}).status_code == 200


# ------------------------------------------------------------------------------------------------ /v1/recommend
def test_recommend_returns_the_understanding_of_the_text_and_follows_the_goal(client):
    r = client.post("/v1/recommend", json={"profile": {"text": GOAL_TEXT}, "k": 5})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["understanding"]["occupations"][0]["occupation_id"] == synthetic.NURSE
    assert out["understanding"]["goals"][0]["field"] == "finance"
    ids = [i["id"] for i in out["items"]]
    assert ids and ids[0].startswith(("13-2", "11-3031")), ids  # a transition list into finance
    assert synthetic.NURSE not in ids
    # Profile.goal steers a profile without any text; no text, no understanding
    r = client.post("/v1/recommend", json={"profile": {"occupation": synthetic.NURSE, "goal": "finance"}, "k": 3})
    assert r.status_code == 200, r.text
    assert r.json()["understanding"] is None
    assert r.json()["items"][0]["id"].startswith(("13-2", "11-3031"))


def test_recommend_refuses_text_it_cannot_use_and_logs_nothing(client, api_settings, caplog):
    events = EventStore(api_settings.events_path)
    session = "reject-" + uuid.uuid4().hex[:10]
    before = events.query("SELECT COUNT(*) AS n FROM events")[0]["n"]
    secret = "zqxv plokm wert yuio"
    with caplog.at_level(logging.DEBUG):
        for body, fragment in [
            ({"profile": {"text": secret}}, "could not tell what you do"),
            ({"profile": {"text": "Je suis infirmière et je travaille à l'hôpital depuis dix ans"}}, "english"),
            ({"profile": {"occupation": synthetic.NURSE, "goal": "astronaut wizardry"}}, "couldn't find"),
        ]:
            _error(client.post("/v1/recommend", json={**body, "session_id": session}), 400, fragment)
    assert events.query("SELECT COUNT(*) AS n FROM events")[0]["n"] == before
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert secret not in logged and "infirmière" not in logged and "astronaut" not in logged
    assert "recommend {" not in logged and "understand {" not in logged


def test_openapi_documents_understand_the_goal_and_the_understanding(client):
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/v1/understand"]["post"]
    examples = op["requestBody"]["content"]["application/json"]["examples"]
    assert {"goal", "resume", "unclear"} <= set(examples)
    ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    schemas = spec["components"]["schemas"]
    out = schemas[ref]
    assert {"status", "message", "occupations", "skills", "goals"} <= set(out["properties"])
    assert [e["status"] for e in out["examples"]] == ["understood", "nonsense"]
    assert "not_english" in json.dumps(schemas["Understanding"] if "Understanding" in schemas else out)
    assert {"422", "413", "401"} <= set(op["responses"])
    profile = schemas["Profile"]["properties"]["goal"]
    assert "transition list" in profile["description"]
    assert "understanding" in schemas["RecommendResponse"]["properties"]


# ------------------------------------------------------------------------------------------------ fit targets
@pytest.fixture(scope="module")
def service(client):
    return client.app.state.service


@pytest.mark.parametrize(
    "named, expected",
    [
        ("Registered Nurses", synthetic.NURSE),
        ("registered nurse", synthetic.NURSE),
        ("RN", synthetic.NURSE),
        ("a senior software developer role", synthetic.SOFTWARE_DEV),
        (synthetic.ELECTRICIAN, synthetic.ELECTRICIAN),
    ],
)
def test_a_named_occupation_is_matched_exactly(service, named, expected):
    match = service.match_occupation(named)
    assert match.occupation is not None and match.occupation[0] == expected, match


def test_an_unknown_occupation_is_never_guessed_and_gets_suggestions(service):
    match = service.match_occupation("astronaut wizard")
    assert match.occupation is None
    assert 1 <= len(match.suggestions) <= 3 and len(set(match.suggestions)) == len(match.suggestions)
    message = match.not_found_message()
    assert message.startswith("I couldn't find an occupation called “astronaut wizard”; did you mean ")
    assert all(title in message for _id, title in match.suggestions)
    assert service.resolve_occupation("astronaut wizard") is None
    assert service.match_occupation("99-9999.00").occupation is None
