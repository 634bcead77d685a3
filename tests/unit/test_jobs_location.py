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


def test_near_a_city_is_a_commute_across_a_state_line_not_the_whole_state():
    items = [_item("Springfield", "IL"), _item("Gary", "IN"), _item("Evanston", "IL"), _item("Nowhereville", "IL")]
    near, elsewhere = nearby(items, parse_place("what jobs are there near Chicago?"))
    assert [i["city"] for i in near] == ["Gary", "Evanston"]  # 38 and 22 km; Springfield is 280 km away
    assert [i["city"] for i in elsewhere] == ["Springfield", "Nowhereville"]  # a town GeoNames lacks: not near


def test_saint_and_st_are_one_city_and_a_state_named_alone_beside_a_city_takes_the_state():
    items = [_item("Saint Louis", "MO"), _item("El Paso", "TX"), _item("Kansas City", "MO")]
    near, elsewhere = nearby(items, parse_place("jobs in St. Louis, MO or in Texas"))
    assert [i["city"] for i in near] == ["Saint Louis", "El Paso"] and elsewhere == [items[2]]


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
