"""A veteran's military occupation is read as the civilian work it carries over to (retrieval/occupations/military.py):
O*NET rates none of its 20 military occupations and relates none to anything, so "I was an infantryman" was listed
airfield operations specialists and told every move was a stretch."""

from __future__ import annotations

import numpy as np

from retrieval.occupations.military import civilian, civilian_sources, counterparts, is_military
from retrieval.occupations.stand_ins import stand_ins


def test_every_military_occupation_has_civilian_counterparts_and_none_is_military():
    table = counterparts()
    assert len(table) == 19 and all(is_military(m) for m in table)  # O*NET 55-1011.00 ... 55-3019.00
    for military, civil in table.items():
        assert 3 <= len(civil) <= 5 and len(set(civil)) == len(civil), military
        assert not any(is_military(c) for c in civil), military
        assert all(len(c) == 10 and c[2] == "-" and c[7] == "." for c in civil), civil  # O*NET-SOC codes
    assert civilian("55-3016.00")[:3] == ("33-3051.00", "33-9032.00", "33-3012.00")  # infantry: patrol, guards, jails
    assert civilian("29-1141.00") == ()


def test_a_military_source_becomes_its_counterparts_closest_first_and_civilian_work_is_untouched():
    civil = civilian_sources([("55-3016.00", 0.9), ("33-3051.00", 0.2)])
    assert [o for o, _c in civil] == list(civilian("55-3016.00"))
    assert civil[0][1] == 0.9 and all(a[1] > b[1] for a, b in zip(civil, civil[1:]))
    nurse = [("29-1141.00", 1.0)]
    assert civilian_sources(nurse) is nurse and civilian_sources([]) == []


def test_a_military_occupation_takes_its_counterparts_ratings_before_any_neighbour_by_meaning():
    ids = ["55-3016.00", "33-3051.00", "33-9032.00", "53-2022.00"]
    rated = np.array([False, True, True, True])
    # by meaning, airfield operations specialists are nearest (as in the catalogue); the table decides first
    meaning = np.array([[1.0, 0.0], [0.6, 0.8], [0.6, 0.8], [0.99, 0.14]], dtype=np.float32)
    assert stand_ins(ids, rated, {}, meaning)["55-3016.00"] == ["33-3051.00", "33-9032.00"]
