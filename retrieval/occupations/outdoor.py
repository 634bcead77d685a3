"""How much of an occupation's work is done outdoors, from its task statements.

Why: an office manager who wrote "I want to work outdoors" got first-line supervisors of housekeeping and
entertainment workers and general managers: the wish was not read at all. O*NET's Work Context file ("Outdoors,
Exposed to Weather"), from which this is usually taken, is not in our data; the task statements are. The score is
the share of an occupation's tasks that name the outdoors -- land, plants and animals in the open, weather, water,
roads, sites and structures worked on outside -- scaled so that a third of the tasks reads as outdoor work; an
occupation with no task statements takes its SOC group's mean (:func:`retrieval.occupations.scores.fill_from_soc_groups`).

Measured on occupations labelled outdoor or not by hand before the score existed (``eval/data/outdoor_occupations.csv``,
rule in ``eval/data/README.md``) by ``waypoint eval outdoor``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from retrieval.occupations.scores import fill_from_soc_groups

#: an occupation at or above this is "work done outdoors" for a person who asks for it: on the hand labels it keeps 24 of
#: 28 outdoor occupations and 1 of 30 indoor ones, 12% of the catalogue (chosen on those labels: an upper bound)
OUTDOOR = 0.3
#: the share of tasks naming the outdoors that scores 1
FULL_SHARE = 1 / 3

_OUTDOOR = re.compile(
    r"\b(?:outdoors?|open[- ]air|in\s+the\s+field|field\s+(?:work|surveys?|sites?|crews?)|forests?|woods|woodlands?|"
    r"timber|logging|trees|shrubs?|lawns?|turf|grounds|gardens?|landscap\w*|parks|trails?|campgrounds?|wildlife|"
    r"wild\s+animals|fish(?:ing|eries)?|game\s+animals|hunting|crops?|orchards?|vineyards?|farms?|farmland|"
    r"ranch(?:es|ing)?|livestock|cattle|herds?|pastures?|range\s?lands?|soil|irrigat\w*|weather|storms?|snow|"
    r"rivers?|lakes?|beaches?|coast(?:s|al|line)?|waterways?|harbou?rs?|vessels?|boats?|ships?|decks?|offshore|"
    r"mines|quarr\w*|excavat\w*|trench\w*|roads?|highways?|streets?|bridges?|roofs?|roofing|rooftops?|"
    r"construction\s+sites?|job\s?sites?|work\s?sites?|towers?|utility\s+poles|power\s+lines?|pipelines?|"
    r"railroads?|airfields?|runways?|golf\s+courses?|swimming\s+pools?|terrain|land\s+surveys?|property\s+lines|"
    r"scaffold\w*)\b",
    re.I,
)


def outdoor_share(tasks: Sequence[str]) -> float:
    """The share of ``tasks`` that name the outdoors (0 when there are none)."""
    if not tasks:
        return 0.0
    return sum(bool(_OUTDOOR.search(t)) for t in tasks) / len(tasks)


def outdoor_score(task_lists: Sequence[Sequence[str]], codes: Sequence[str]) -> np.ndarray:
    """(n,) 0..1 how much of each occupation's work is done outdoors; an occupation without tasks takes its SOC
    group's mean (0 where the group has none)."""
    score = np.array(
        [min(1.0, outdoor_share(tasks) / FULL_SHARE) if tasks else np.nan for tasks in task_lists], dtype=np.float32
    )
    return np.nan_to_num(fill_from_soc_groups(score, codes), nan=0.0)
