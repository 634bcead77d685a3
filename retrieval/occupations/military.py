"""The civilian work a military occupation carries over to.

Why: "I was in the Army for 8 years as an infantryman" links to O*NET's Infantry (55-3016.00), one of its 20
military occupations, which have titles, descriptions and MOS names but no tasks, ratings, related occupations or
job zones. The veteran was listed airfield operations specialists and general managers, "Fatburger General
Manager" postings, and told every move was a stretch "starting with Public Safety and Security". The table
(``data/military_counterparts.tsv``, its reasons beside each row) names the civilian occupations doing the same
duties; they stand in for the military occupation's ratings (:mod:`retrieval.occupations.stand_ins`), start its
list and decide its postings.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

#: SOC major group 55, Military Specific Occupations
MILITARY = "55-"
#: a military occupation's civilian counterparts, closest first, weigh this much less each
CIVILIAN_DECAY = 0.1
TABLE = Path(__file__).resolve().parent / "data" / "military_counterparts.tsv"


def is_military(occupation_id: str) -> bool:
    return occupation_id.startswith(MILITARY)


@cache
def counterparts() -> dict[str, tuple[str, ...]]:
    """Military O*NET-SOC code -> civilian O*NET-SOC codes, closest first."""
    out: dict[str, tuple[str, ...]] = {}
    for line in TABLE.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        military, civilian, _why = line.split("\t")
        out[military] = tuple(civilian.split())
    return out


def civilian(occupation_id: str) -> tuple[str, ...]:
    """The civilian counterparts of ``occupation_id``, closest first (empty for civilian work)."""
    return counterparts().get(occupation_id, ())


def civilian_sources(sources: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """A person's occupations ``(id, confidence)`` with a first military occupation replaced by its civilian
    counterparts, the closest weighing most; ``sources`` itself (the same object) when the first is not military
    or has none."""
    if not sources or not civilian(sources[0][0]):
        return sources
    oid, confidence = sources[0]
    return [(c, confidence * (1.0 - CIVILIAN_DECAY * i)) for i, c in enumerate(civilian(oid))]
