"""How physically demanding an occupation is, from what the catalogue holds: its task statements and its
Realistic (hands-on) interest score.

Why: a person who says "my back is done" must not be offered roofing or long-haul driving. O*NET's
Work Context and Abilities files (lifting, standing, static strength) are not in our data, so the score
is built from two things that are:

* the share of the occupation's tasks that call for exertion or for operating vehicles and heavy
  machinery ("Lift and carry materials", "Drive trucks", "Install roofing") -- what the body does all day;
* the Realistic interest (1-7): how much the work is done with the hands, tools and machines.

Both weigh the same; the score is in 0..1. On 57 occupations labelled physical or not by hand before the
score existed (``eval/data/physical_occupations.csv``) it ranks physical above non-physical with AUC 0.98;
what it misses is work that is hard on the body without tools: care (nursing assistants, home health
aides), serving and stocking, where standing and lifting people are not written in the tasks. Measured
by ``waypoint eval limits``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from retrieval.occupations.scores import blend_known, fill_from_soc_groups

#: an occupation at or above this is left out of the lists of a person with a physical limit
DEMANDING = 0.5
#: an occupation nothing is known about (no tasks, no interests, no rated occupation in its SOC group)
UNKNOWN = 0.45

_EXERTION = re.compile(
    r"\b(?:lift\w*|carr(?:y|ies|ied|ying)|load\w*|unload\w*|haul\w*|climb\w*|dig\w*|shovel\w*|stack\w*|push\w*|"
    r"pull\w*|lay(?:ing)?|pour\w*|bend\w*|kneel\w*|crawl\w*|stand\w*|walk\w*|driv(?:e|es|ing)|"
    r"operat\w*\s+(?:\w+\s+){0,3}(?:equipment|machinery|machines?|vehicles?|trucks?|tractors?|forklifts?|cranes?)|"
    r"install\w*|repair\w*|clean\w*|scrub\w*|mop\w*|sweep\w*|wash\w*|cut\w*|saw\w*|drill\w*|hammer\w*|weld\w*|"
    r"harvest\w*|plant(?:s|ing)?|prun\w*|mow\w*|spray\w*|paint\w*|position(?:s|ing)?\s+patients?|"
    r"transfer\w*\s+patients?|bath\w*|turn\w*\s+patients?|move\w*|hoist\w*|rig\w*|assembl\w*|dismantl\w*|"
    r"serv(?:e|es|ing)\s+(?:food|meals|customers)|cook\w*|chop\w*)\b",
    re.I,
)
TASK_WEIGHT = 0.5  # the rest is the Realistic interest

# a posting titled so is physical work whatever occupation it was linked to ("Warehouse Stocker" links to
# Stockers and Order Fillers, whose tasks do not say how much lifting they take; "Part Time Yard/General Labor" was
# offered to a farm worker whose back is giving out)
_PHYSICAL_TITLE = re.compile(
    r"\b(?:warehouse|stockers?|(?:package|material|baggage|cargo|freight|ramp)\s+handlers?|loaders?|movers?|"
    r"labou?rers?|pickers?|packers?|drivers?|driving|couriers?|janitors?|janitorial|custodians?|custodial|"
    r"housekeep(?:er|ers|ing)|cleaners?|landscap\w*|roofers?|carpenters?|welders?|mechanics?|dishwashers?|"
    r"(?:line|prep)\s+cooks?|lifeguards?|construction|delivery|(?:general|manual)\s+labou?r|yard\s+(?:labou?r|work(?:ers?)?|"
    r"associates?|help))\b",
    re.I,
)


def physical_title(title: str) -> bool:
    """Whether a posting's title names physical work ("Warehouse Stocker", "Package Handler", "CDL Driver")."""
    return bool(_PHYSICAL_TITLE.search(title))


def exertion_share(tasks: Sequence[str]) -> float | None:
    """The share of ``tasks`` that call for exertion; None for an occupation without task statements."""
    if not tasks:
        return None
    return sum(bool(_EXERTION.search(t)) for t in tasks) / len(tasks)


def physical_demand(
    task_lists: Sequence[Sequence[str]], interests: np.ndarray, codes: Sequence[str] | None = None
) -> np.ndarray:
    """(n,) 0..1, one per occupation: ``task_lists`` and ``interests`` (n, 6) RIASEC 1-7 are the corpus's
    (:class:`retrieval.occupations.corpus.OccupationCorpus`). Without tasks the interest alone decides; without
    a Realistic score (0) the tasks alone; without either ("Woodworkers, All Other") the mean of the
    occupation's SOC minor group ("47-2" construction trades), else of its major group, else
    :data:`UNKNOWN` -- never 0, which would put unknown trades first on the list of a person with a bad back."""
    shares = np.array([np.nan if (s := exertion_share(t)) is None else s for t in task_lists], dtype=np.float64)
    realistic = interests[:, 0].astype(np.float64)
    hands_on = np.where(realistic > 0, (realistic - 1.0) / 6.0, np.nan)
    score = blend_known(shares, hands_on, TASK_WEIGHT)
    if codes is not None:
        score = fill_from_soc_groups(score, codes)
    return np.clip(np.nan_to_num(score, nan=UNKNOWN), 0.0, 1.0)
