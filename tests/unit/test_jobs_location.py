"""Where a posting is against the place a request names (retrieval/jobs/location.py): pure functions."""

from __future__ import annotations

from retrieval.jobs.location import Place, describe, nearby, parse_place


def _item(city: str, state: str) -> dict:
    return {"id": f"{city}-{state}", "city": city, "state": state}


def test_postings_in_the_named_city_come_first_then_its_state_in_their_order():
    items = [_item("Los Angeles", "CA"), _item("Glenview", "IL"), _item("Chicago", "IL"), _item("Gurnee", "IL")]
    near, elsewhere = nearby(items, parse_place("any jobs near Chicago?"))
    assert [i["city"] for i in near] == ["Chicago", "Glenview", "Gurnee"]
    assert [i["city"] for i in elsewhere] == ["Los Angeles"]


def test_a_state_matches_by_code_or_name_and_a_posting_without_a_place_is_elsewhere():
    items = [_item("Dallas", "Texas"), _item("", ""), _item("Austin", "TX")]
    near, elsewhere = nearby(items, parse_place("jobs in Texas please"))
    assert [i["city"] for i in near] == ["Dallas", "Austin"] and elsewhere == [items[1]]


def test_nothing_near_when_no_place_is_named():
    near, elsewhere = nearby([_item("Chicago", "IL")], Place())
    assert near == [] and len(elsewhere) == 1


def test_the_place_is_named_back_with_its_preposition():
    assert describe(parse_place("near Chicago")) == "near Chicago, IL"
    assert describe(parse_place("in Texas")) == "in Texas"
    assert describe(parse_place("Chicago or somewhere in Texas")) == "near Chicago, IL or in Texas"
