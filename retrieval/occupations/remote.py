"""How often an occupation's work can be done from home, from what the catalogue holds: its task statements
and its interest profile -- and whether a posting says it is remote.

Why: a burned-out med-surg nurse who wrote "want something remote" was offered Clinical Nurse Specialists, Nurse
Practitioners and Acute Care Nurses: bedside work again. O*NET's Work Context and Work Activities files, from
which "can this job be done at home?" is usually scored (Dingel & Neiman 2020), are not in our data, so the
score is built from two things that are:

* the task statements: the share of tasks about documents, data, code, calls and analysis (desk work), less the
  share about people, patients, students, equipment or sites in person, less the physical demand
  (:mod:`retrieval.occupations.physical`) -- each in 0..1, their sum scaled to 0..1;
* the interest profile (RIASEC 1-7): Conventional and Investigative work is done at a desk more often than
  Realistic (hands, tools, machines) and Social (with people) work.

Both weigh the same. On 96 occupations labelled remote or not by hand before the score existed
(``eval/data/remote_occupations.csv``, rule in ``eval/data/README.md``) it ranks remote above in-person work
with AUC 0.98 (tasks alone 0.95, interests alone 0.96; ``waypoint eval limits``). At :data:`FEASIBLE` it keeps
27 of the 28 remote occupations and 10 of the 68 in-person ones (archivists, receptionists, pharmacists,
school administrators): work that is done at a desk but on the premises.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from retrieval.occupations.scores import blend_known, fill_from_soc_groups

#: an occupation at or above this is "work that can often be done from home"
FEASIBLE = 0.5
#: the weight of the tasks (the rest is the interests)
TASK_WEIGHT = 0.5

_DESK = re.compile(
    r"\b(?:computers?|software|spreadsheets?|databases?|data|reports?|documents?|documentation|records?|code|"
    r"coding|programs?|programming|writ\w*|edit\w*|analy[sz]\w*|research\w*|telephones?|phones?|calls?|"
    r"e-?mails?|online|web\w*|websites?|budgets?|plans?|policies|proposals?|contracts?|accounts?|financial|"
    r"statistic\w*|models?|designs?|translat\w*|transcrib\w*|forecasts?)\b",
    re.I,
)
_IN_PERSON = re.compile(
    r"\b(?:patients?|clients?\s+in\s+person|face[- ]to[- ]face|customers?|guests?|passengers?|students?|pupils?|"
    r"class(?:es|room)?|lectures?|children|infants?|residents?|inmates?|suspects?|animals?|livestock|crowds?|"
    r"audiences?|perform\w*|on[- ]site|sites?|fields?|premises|patrol\w*|vehicles?|aircraft|equipment|"
    r"machines?|machinery|tools?|materials?|specimens?|samples?|surgery|surgical|examin\w*|treat\w*|"
    r"administer\w*|inspect\w*|escort\w*|demonstrat\w*)\b",
    re.I,
)
# a posting that says it is remote: "Work at Home – Customer Service", "Representative - Home Based", "(Remote)"
_REMOTE_TITLE = re.compile(
    r"\b(?:remote(?:ly)?(?!\s+(?:sensing|control|controls|pilot|pilots|monitoring|access|desktop|site|sites))|"
    r"work(?:ing)?\s+(?:from|at)\s+home|home[- ]based|from\s+home|telecommut\w*|telework\w*)\b",
    re.I,
)


def remote_title(title: str) -> bool:
    """Whether a posting's title says the work is remote ("Work at Home – Technical Support", "Home Based")."""
    return bool(_REMOTE_TITLE.search(title or ""))


def _share(pattern: re.Pattern, tasks: Sequence[str]) -> float:
    return sum(bool(pattern.search(t)) for t in tasks) / len(tasks)


def remote_feasibility(
    task_lists: Sequence[Sequence[str]], interests: np.ndarray, physical: np.ndarray, codes: Sequence[str]
) -> np.ndarray:
    """(n,) 0..1, one per occupation (the corpus's tasks, RIASEC interests (n, 6) and physical demand). Without
    tasks the interests alone decide; without interests the tasks alone; without either, the mean of the SOC
    minor group, else the major group, else 0 -- an occupation nothing is known about is not offered as remote."""
    tasks = np.array(
        [
            (np.clip(_share(_DESK, t) - _share(_IN_PERSON, t) - p, -1.5, 1.0) + 1.5) / 2.5 if t else np.nan
            for t, p in zip(task_lists, np.asarray(physical, dtype=np.float64))
        ]
    )
    r, i, _a, s, _e, c = (interests[:, k].astype(np.float64) for k in range(6))
    rated = interests.sum(axis=1) > 0
    leaning = np.where(rated, (c + i - r - s + 12.0) / 24.0, np.nan)  # -12..12 -> 0..1
    score = fill_from_soc_groups(blend_known(tasks, leaning, TASK_WEIGHT), codes)
    return np.nan_to_num(score, nan=0.0)
